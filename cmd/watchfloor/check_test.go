package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckNamedPipe runs the real binary: a named pipe called x.yaml in
// the rules directory is reported by name, and check exits at once with
// status 1 (a check failed) instead of blocking on the pipe forever.
func TestCheckNamedPipe(t *testing.T) {
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules.d")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rulesDir, "good.yaml"), []byte("rules:\n  - name: a\n    when: mentions('signal')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(rulesDir, "x.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	p := startProc(t, dir, "check", "--rules", "rules.d")
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitInput {
			t.Errorf("exit %v, want status %d\n%s", err, exitInput, p.stderr)
		}
		if want := "rules.d/x.yaml: not a regular file (named pipe)"; !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr %q, want %q", p.stderr, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("check did not exit within 10s")
	}
}
