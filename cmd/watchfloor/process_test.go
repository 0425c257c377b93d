package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers/router"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
)

// These tests run the real binary as a separate process.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "watchfloor-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "watchfloor")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

const crashSecret = "whsec_Y3Jhc2gtdGVzdC1zZWNyZXQ="

// flakyReceiver fails every other request with 503 and records the
// verified alert ids it accepted.
type flakyReceiver struct {
	mu   sync.Mutex
	n    int
	got  map[string]int
	bad  int
	srv  *httptest.Server
	fail bool
}

func newFlakyReceiver(t *testing.T) *flakyReceiver {
	r := &flakyReceiver{got: map[string]int{}, fail: true}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.n++
		if r.fail && r.n%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(crashSecret, req.Header, body, time.Minute, time.Now()); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.got[req.Header.Get("webhook-id")]++
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *flakyReceiver) missing(want map[string]bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id := range want {
		if r.got[id] == 0 {
			n++
		}
	}
	return n
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

func startProc(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: stderr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func writeCrashConfig(t *testing.T, dir, hookURL string) {
	t.Helper()
	cfg := fmt.Sprintf(`data_dir: ./data
rules_dir: ./rules.d
inbox: {dir: ./inbox, settle: 50ms, rescan: 1s}
http: {listen: "off"}
notifiers:
  - {name: siem, type: webhook, url: %q, secret: %q}
default_notify: [siem]
delivery: {min_backoff: 20ms, max_backoff: 200ms, max_age: 1h}
`, hookURL, crashSecret)
	if err := os.MkdirAll(filepath.Join(dir, "rules.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "watchfloor.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := "rules:\n  - name: signal\n    when: mentions('signal*')\n"
	if err := os.WriteFile(filepath.Join(dir, "rules.d", "signal.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLosesNothing drops 200 articles while the receiver fails half
// its requests, SIGKILLs the daemon midway, restarts it, and checks that
// every alert arrived at least once and every file ended in processed/.
func TestCrashLosesNothing(t *testing.T) {
	dir := t.TempDir()
	rcv := newFlakyReceiver(t)
	writeCrashConfig(t, dir, rcv.srv.URL+"/hook")
	inbox := filepath.Join(dir, "inbox")
	stage := filepath.Join(dir, "stage")
	for _, d := range []string{inbox, stage} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		title := fmt.Sprintf("Report %d", i)
		body := fmt.Sprintf("Analysts picked up signals number %d from the border region.", i)
		if err := os.WriteFile(filepath.Join(stage, fmt.Sprintf("a%03d.txt", i)), []byte(title+"\n"+body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want[router.AlertID(engine.ArticleID("", title, body), "siem")] = true
	}
	drop := func(from, to int) {
		for i := from; i < to; i++ {
			name := fmt.Sprintf("a%03d.txt", i)
			if err := os.Rename(filepath.Join(stage, name), filepath.Join(inbox, name)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	p1 := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	drop(0, 120)
	// Kill it while files are still being handled and alerts retried.
	waitUntil(t, "some progress", 20*time.Second, func() bool {
		des, _ := os.ReadDir(filepath.Join(inbox, "processed"))
		return len(des) >= 40
	})
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p1.done
	drop(120, n) // the daemon is down: these wait in the inbox
	p2 := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	waitUntil(t, "every alert", 60*time.Second, func() bool { return rcv.missing(want) == 0 })
	waitUntil(t, "an empty inbox", 20*time.Second, func() bool {
		des, _ := os.ReadDir(inbox)
		for _, de := range des {
			if !de.IsDir() {
				return false
			}
		}
		return true
	})
	processed, _ := os.ReadDir(filepath.Join(inbox, "processed"))
	failed, _ := os.ReadDir(filepath.Join(inbox, "failed"))
	if len(processed) != n || len(failed) != 0 {
		t.Errorf("%d files processed and %d failed, want %d and 0", len(processed), len(failed), n)
	}
	rcv.mu.Lock()
	if rcv.bad != 0 {
		t.Errorf("%d requests failed signature verification", rcv.bad)
	}
	extra := 0
	for id := range rcv.got {
		if !want[id] {
			extra++
		}
	}
	rcv.mu.Unlock()
	if extra != 0 {
		t.Errorf("%d unexpected alert ids", extra)
	}
	// SIGTERM: a clean exit.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p2.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, p2.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("notifiers:\n  - {name: x, type: webhook, url: 'not a url'}\ndefault_notify: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "run", "--config", "bad.yaml")
	err := <-p.done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(p.stderr.String(), `bad.yaml:2:35: notifier "x": url`) {
		t.Errorf("exit %v, stderr %s", err, p.stderr)
	}
}

// BenchmarkLoad drops b.N files into the inbox of a running daemon at once
// (written elsewhere, renamed in) with a webhook notifier on a local
// receiver, and reports files/s, the p50 and p99 time from rename to
// webhook receipt, and the daemon's peak RSS. Files written before the
// drop are older than the settle time, so they are read at once; the
// settle time (reported as settle-ms) only delays files still changing.
//
//	go test ./cmd/watchfloor -run '^$' -bench Load -benchtime 10000x
//
// The paced variant drops files at 500/s instead, below the daemon's
// throughput, to show the latency of one file without a queue before it.
func BenchmarkLoad(b *testing.B) {
	b.Run("burst", func(b *testing.B) { runLoad(b, 0) })
	b.Run("paced-500-per-s", func(b *testing.B) { runLoad(b, 500) })
}

// runLoad drops b.N files, all at once (rate 0) or rate per second.
func runLoad(b *testing.B, rate float64) {
	dir := b.TempDir()
	var mu sync.Mutex
	renamed := map[string]time.Time{}
	var lat []time.Duration
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		i := bytes.Index(body, []byte(`"source":"file:`))
		j := bytes.Index(body[i:], []byte(`.txt"`))
		name := filepath.Base(string(body[i+len(`"source":"file:`) : i+j+4]))
		mu.Lock()
		defer mu.Unlock()
		if at, ok := renamed[name]; ok {
			lat = append(lat, time.Since(at))
			delete(renamed, name)
			if len(lat) == b.N {
				close(all)
			}
		}
	}))
	defer srv.Close()
	cfg := fmt.Sprintf("data_dir: ./data\nrules_dir: ./rules.d\ninbox: {dir: ./inbox, settle: 200ms}\nhttp: {listen: \"off\"}\n"+
		"notifiers:\n  - {name: siem, type: webhook, url: %q, secret: %q}\ndefault_notify: [siem]\n", srv.URL, crashSecret)
	if err := os.WriteFile(filepath.Join(dir, "watchfloor.yaml"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	copyTree(b, "../../rules.d", filepath.Join(dir, "rules.d"))
	stage := filepath.Join(dir, "stage")
	inbox := filepath.Join(dir, "inbox")
	_ = os.MkdirAll(stage, 0o755)
	seed, _ := os.ReadFile("../../testdata/seeds/004.txt")
	for i := 0; i < b.N; i++ {
		// Each file is a distinct article (a unique first line).
		data := append([]byte(fmt.Sprintf("Load test article %d\n", i)), seed...)
		if err := os.WriteFile(filepath.Join(stage, fmt.Sprintf("f%05d.txt", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(binary(b), "run", "--config", "watchfloor.yaml", "--log-level", "error")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(inbox, "processed")); err == nil {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		name := fmt.Sprintf("f%05d.txt", i)
		mu.Lock()
		renamed[name] = time.Now()
		mu.Unlock()
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(inbox, name)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d alerts arrived", len(lat), b.N)
	}
	b.StopTimer()
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	var hwm int
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Sscanf(strings.TrimPrefix(l, "VmHWM:"), "%d", &hwm)
		}
	}
	sortDurations(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(200, "settle-ms")
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MB")
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

func copyTree(b *testing.B, src, dst string) {
	err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_ = os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}
