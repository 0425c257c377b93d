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

// TestGoVerifierInDocs compiles and runs the Go verification code of
// docs/webhooks.md against a signature made here.
func TestGoVerifierInDocs(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no go block in docs/webhooks.md")
	}
	src := `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

` + string(m[1]) + `
func main() {
	r, _ := http.NewRequest("POST", "http://x/", nil)
	r.Header.Set("webhook-id", os.Args[1])
	r.Header.Set("webhook-timestamp", os.Args[2])
	r.Header.Set("webhook-signature", os.Args[3])
	fmt.Print(verify(os.Args[4], r, []byte(os.Args[5])))
}
`
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.go", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/go.mod", []byte("module verifydoc\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := dir + "/verify"
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Go example does not compile: %v\n%s", err, out)
	}
	body := `{"version":"1","id":"wf_1"}`
	now := time.Now()
	sig, _ := Sign(secret, "wf_1", now, []byte(body))
	for _, tc := range []struct{ body, want string }{{body, "true"}, {body + " ", "false"}} {
		out, err := exec.Command(bin, "wf_1", strconv.FormatInt(now.Unix(), 10), sig, secret, tc.body).CombinedOutput()
		if err != nil || string(out) != tc.want {
			t.Errorf("verify(%q) = %s %v, want %s", tc.body, out, err, tc.want)
		}
	}
}
