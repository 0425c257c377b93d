package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestComponentFailureExitsNonZero removes the inbox directory under the
// running process: it must log the cause and exit non-zero promptly, so
// its supervisor restarts it.
func TestComponentFailureExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	writeCrashConfig(t, dir, "http://127.0.0.1:9/hook")
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	waitUntil(t, "the daemon to start", 20*time.Second, func() bool {
		return bytes.Contains(p.stderr.Bytes(), []byte("watchfloor started"))
	})
	if err := os.RemoveAll(inbox); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("exit %v, want a non-zero status\n%s", err, p.stderr)
		}
		if !strings.Contains(p.stderr.String(), "inbox") {
			t.Errorf("the log does not name the failed component:\n%s", p.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after its inbox was removed\n%s", p.stderr)
	}
}
