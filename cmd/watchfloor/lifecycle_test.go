package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
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
		return strings.Contains(p.stderr.String(), "watchfloor started")
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

// TestReadyzFailsWhileCommitsFail runs the daemon with a file size limit
// (ulimit -f), so its database soon cannot grow, as on a full disk:
// /readyz must report not ready while commits fail, not "ready".
func TestReadyzFailsWhileCommitsFail(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Fatal("sh is needed to set the file size limit")
	}
	dir := t.TempDir()
	writeCrashConfig(t, dir, "http://127.0.0.1:9/hook")
	addr := freeAddr(t)
	cfgPath := filepath.Join(dir, "watchfloor.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte(`http: {listen: "off"}`), []byte(`http: {listen: "`+addr+`"}`), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	// 4,096 blocks of 512 bytes: 2 MiB per file.
	cmd := exec.Command("sh", "-c", `ulimit -f 4096 && exec "$0" run --config watchfloor.yaml`, binary(t))
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitUntil(t, "ready", 20*time.Second, func() bool { return ready() == http.StatusOK })

	// Articles of 200 KB each, unique, until the database cannot hold them.
	filler := strings.Repeat("A signal was picked up near the border by the patrol. ", 4000)
	for i := 0; i < 40; i++ {
		body := fmt.Sprintf("Signal report %d\n%d %s\n", i, i, filler)
		if err := os.WriteFile(filepath.Join(inbox, fmt.Sprintf(".a%02d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(inbox, fmt.Sprintf(".a%02d.txt", i)), filepath.Join(inbox, fmt.Sprintf("a%02d.txt", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Commits now fail, at least now and then (a checkpoint may free room
	// in the WAL for one more): /readyz must say so while they do.
	waitUntil(t, "/readyz to report the failing commits", 60*time.Second, func() bool {
		return ready() == http.StatusServiceUnavailable
	})
	if s := stderr.String(); !strings.Contains(s, "disk is full") && !strings.Contains(s, "too large") && !strings.Contains(s, "I/O error") {
		t.Errorf("no failed write in the log:\n%s", s)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestClassifyOutputErrorFails runs classify with its output on /dev/full:
// the write fails, and the exit status must say so.
func TestClassifyOutputErrorFails(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test needs /dev/full: %v", err)
	}
	defer full.Close()
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(binary(t), "classify", "--rules", filepath.Join(repo, "rules.d"), "--format", format, filepath.Join(repo, "testdata/seeds"))
			cmd.Stdout = full
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "no space left") {
				t.Errorf("stderr does not give the cause:\n%s", stderr.String())
			}
		})
	}
}

// TestShutdownGraceWithHangingDestination sends SIGTERM while a delivery
// is stuck on a webhook that never answers: the process must exit 0
// within the grace period plus a second, and the alert must stay pending
// in the outbox (not delivered, not dead) for the next start.
func TestShutdownGraceWithHangingDestination(t *testing.T) {
	var requests atomic.Int32
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)

	dir := t.TempDir()
	writeCrashConfig(t, dir, hang.URL+"/hook")
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	const grace = 3 * time.Second
	p := startProc(t, dir, "run", "--config", "watchfloor.yaml", "--shutdown-grace", grace.String())
	if err := os.WriteFile(filepath.Join(inbox, "a.txt"), []byte("Signal report\nA signal was picked up near the border.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a delivery in flight", 20*time.Second, func() bool { return requests.Load() > 0 })

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		took := time.Since(start)
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, p.stderr)
		}
		if took > grace+time.Second {
			t.Errorf("shutdown took %v, want at most grace %v + 1s\n%s", took.Round(time.Millisecond), grace, p.stderr)
		}
		t.Logf("shutdown with a hanging destination took %v (grace %v)", took.Round(time.Millisecond), grace)
	case <-time.After(60 * time.Second):
		t.Fatalf("no exit 60s after SIGTERM\n%s", p.stderr)
	}

	list := exec.Command(binary(t), "outbox", "list", "--config", "watchfloor.yaml", "--status", "pending")
	list.Dir = dir // data_dir is relative to the config's directory of use
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("outbox list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "pending") {
		t.Errorf("want the alert pending in the outbox, got:\n%s\ndaemon log:\n%s", out, p.stderr)
	}
}

// TestSIGHUPSaysConfigNeedsRestart: SIGHUP reloads the rules only; when
// the config file changed since the start the daemon says a restart is
// needed.
func TestSIGHUPSaysConfigNeedsRestart(t *testing.T) {
	dir := t.TempDir()
	writeCrashConfig(t, dir, "http://127.0.0.1:9/hook")
	if err := os.MkdirAll(filepath.Join(dir, "inbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	waitUntil(t, "the daemon to start", 20*time.Second, func() bool { return strings.Contains(p.stderr.String(), "watchfloor started") })
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first reload", 10*time.Second, func() bool { return strings.Count(p.stderr.String(), `"rules reloaded"`) == 1 })
	if strings.Contains(p.stderr.String(), "restart to apply") {
		t.Errorf("an unchanged config was reported as changed:\n%s", p.stderr)
	}
	f, err := os.OpenFile(filepath.Join(dir, "watchfloor.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("# edited\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the restart warning", 10*time.Second, func() bool { return strings.Contains(p.stderr.String(), "restart to apply") })
}
