package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

// TestSilencesStopAlertsOfARunningDaemon runs the daemon as a real
// process: a silence added with the CLI and one added over the admin API
// each stop their rule's alert and no other, and `outbox list --status
// silenced` shows the two alerts kept unsent.
func TestSilencesStopAlertsOfARunningDaemon(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var got []string // rules of each delivered alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var al struct {
			Matches []struct{ Rule string } `json:"matches"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &al); err != nil {
			t.Errorf("payload: %v", err)
		}
		mu.Lock()
		for _, m := range al.Matches {
			got = append(got, m.Rule)
		}
		mu.Unlock()
	}))
	defer srv.Close()
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`data_dir: ./data
rules_dir: ./rules.d
inbox: {dir: ./inbox, settle: 50ms, rescan: 1s}
http: {listen: %q}
notifiers:
  - {name: siem, type: webhook, url: %q, secret: s3cret}
default_notify: [siem]
`, addr, srv.URL)
	rules := "rules:\n" +
		"  - {name: alpha, when: mentions('alpha')}\n" +
		"  - {name: beta, when: mentions('beta')}\n" +
		"  - {name: gamma, when: mentions('gamma')}\n"
	for name, body := range map[string]string{"watchfloor.yaml": cfg, "rules.d/r.yaml": rules} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	waitUntil(t, "ready", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	code, out, errs := runBinary(t, dir, "silence", "add", "--config", "watchfloor.yaml", "--rule", "alpha", "--for", "1h", "--reason", "known story")
	if code != 0 {
		t.Fatalf("silence add: exit %d\n%s%s", code, out, errs)
	}
	// The API answers with the silence, and refreshes the daemon's cache
	// (so the CLI's silence, already in the store, is in force too).
	resp, err := http.Post("http://"+addr+"/api/v1/silences", "application/json",
		strings.NewReader(`{"rules": ["beta"], "duration": "1h", "reason": "noisy feed", "author": "desk"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"id"`) {
		t.Fatalf("POST /api/v1/silences: %d %s", resp.StatusCode, body)
	}

	inbox := filepath.Join(dir, "inbox")
	for _, word := range []string{"alpha", "beta", "gamma"} {
		tmp := filepath.Join(inbox, "."+word+".txt")
		if err := os.WriteFile(tmp, []byte(word+" report\n\nThe "+word+" event happened today.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(inbox, word+".txt")); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "three files processed", 20*time.Second, func() bool {
		des, _ := os.ReadDir(filepath.Join(inbox, "processed"))
		return len(des) == 3
	})
	waitUntil(t, "the gamma alert", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 })
	code, out, errs = runBinary(t, dir, "outbox", "list", "--config", "watchfloor.yaml", "--status", "silenced")
	if code != 0 {
		t.Fatalf("outbox list: exit %d\n%s%s", code, out, errs)
	}
	for _, rule := range []string{"alpha", "beta"} {
		if !regexp.MustCompile(`silenced +siem .*` + rule + ` +silenced by [a-z2-7]{13}`).MatchString(out) {
			t.Errorf("outbox list --status silenced lacks the %s alert:\n%s", rule, out)
		}
	}
	if strings.Contains(out, "gamma") {
		t.Errorf("gamma listed as silenced:\n%s", out)
	}
	// Pending alerts are delivered within the outbox tick; give a silenced
	// one the same chance to (wrongly) go out before looking.
	code, out, _ = runBinary(t, dir, "outbox", "list", "--config", "watchfloor.yaml", "--status", "pending")
	if code != 0 || strings.Contains(out, "alpha") || strings.Contains(out, "beta") {
		t.Errorf("silenced alerts pending:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "gamma" {
		t.Errorf("delivered rules %v, want only gamma", got)
	}
	if p.cmd.ProcessState != nil {
		t.Errorf("the daemon exited:\n%s", p.stderr.String())
	}
}

// A silence naming a rule the rules directory lacks is added, with a
// warning: a typo would otherwise silence nothing without a word.
func TestSilenceAddWarnsOfUnknownRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rules.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.d", "r.yaml"), []byte("rules:\n  - {name: attack, when: mentions('attack')}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "data")) // as a daemon leaves it
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tc := range []struct {
		rule string
		warn bool
	}{{"attack", false}, {"atack", true}} {
		code, out, errs := runBinary(t, dir, "silence", "add", "--rule", tc.rule, "--for", "1h", "--reason", "test")
		if code != 0 || !strings.Contains(out, "added") {
			t.Fatalf("--rule %s: exit %d\n%s%s", tc.rule, code, out, errs)
		}
		if got := strings.Contains(errs, `warning: no rule named "`+tc.rule+`"`); got != tc.warn {
			t.Errorf("--rule %s: warned %v, want %v: %q", tc.rule, got, tc.warn, errs)
		}
	}
}
