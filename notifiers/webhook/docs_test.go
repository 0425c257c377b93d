package webhook

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPythonVerifierInDocs runs the Python verification code of
// docs/webhooks.md against a signature made here.
func TestPythonVerifierInDocs(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```python\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no python block in docs/webhooks.md")
	}
	body := []byte(`{"version":"1","id":"wf_1"}`)
	now := time.Now()
	sig, _ := Sign(secret, "wf_1", now, body)
	script := string(m[1]) + `
import sys
h = {"webhook-id": sys.argv[1], "webhook-timestamp": sys.argv[2], "webhook-signature": sys.argv[3]}
print(verify(sys.argv[4], h, sys.argv[5].encode()))
`
	run := func(sig, body string) string {
		out, err := exec.Command(py, "-c", script, "wf_1", strconv.FormatInt(now.Unix(), 10), sig, secret, body).CombinedOutput()
		if err != nil {
			t.Fatalf("python: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run(sig, string(body)); got != "True" {
		t.Errorf("valid signature: %s", got)
	}
	if got := run(sig, string(body)+" "); got != "False" {
		t.Errorf("tampered body: %s", got)
	}
}
