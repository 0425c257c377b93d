package rulesdir

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func watch(t *testing.T, dir string) (*atomic.Int32, func()) {
	t.Helper()
	return watchLogged(t, dir, nil)
}

// watchLogged is watch with a logger.
func watchLogged(t *testing.T, dir string, logger *slog.Logger) (*atomic.Int32, func()) {
	t.Helper()
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	armed := make(chan struct{})
	go func() {
		defer close(done)
		if err := Watch(ctx, dir, 100*time.Millisecond, logger, func() { n.Add(1) }, func() { close(armed) }); err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	select {
	case <-armed:
	case <-done:
	}
	return &n, func() { cancel(); <-done }
}

func waitCount(t *testing.T, n *atomic.Int32, want int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // and no more calls follow
	if got := n.Load(); got != want {
		t.Fatalf("%d calls, want %d", got, want)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestChanges(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "rules: []")
	n, stop := watch(t, dir)
	defer stop()

	write(t, filepath.Join(dir, "a.yaml"), "rules: [] # edited")
	waitCount(t, n, 1)

	// Atomic save: temp file renamed over the rule file.
	write(t, filepath.Join(dir, ".a.yaml.swp"), "x")
	write(t, filepath.Join(dir, "a.yaml.tmp"), "rules: []")
	if err := os.Rename(filepath.Join(dir, "a.yaml.tmp"), filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	waitCount(t, n, 2)

	// Ignored names cause no call.
	write(t, filepath.Join(dir, "notes.txt"), "x")
	write(t, filepath.Join(dir, "a.yaml~"), "x")
	write(t, filepath.Join(dir, "4913"), "x")
	waitCount(t, n, 2)

	// A new file in a new subdirectory.
	write(t, filepath.Join(dir, "team", "b.yml"), "rules: []")
	waitCount(t, n, 3)
	write(t, filepath.Join(dir, "team", "b.yml"), "rules: [] # again")
	waitCount(t, n, 4)

	// A burst of writes is one call.
	for i := 0; i < 20; i++ {
		write(t, filepath.Join(dir, "a.yaml"), "rules: [] # burst")
	}
	waitCount(t, n, 5)
}

func TestConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "..2024_01", "r.yaml"), "rules: []")
	if err := os.Symlink("..2024_01", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "r.yaml"), filepath.Join(dir, "r.yaml")); err != nil {
		t.Fatal(err)
	}
	n, stop := watch(t, dir)
	defer stop()
	// The kubelet writes a new data dir, links ..data_tmp to it and renames
	// that over ..data.
	write(t, filepath.Join(dir, "..2024_02", "r.yaml"), "rules: [] # v2")
	if err := os.Symlink("..2024_02", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2024_01")); err != nil {
		t.Fatal(err)
	}
	waitCount(t, n, 1)
}

// waitMore waits until the callback has run more than from times, and
// returns the count once the calls have settled.
func waitMore(t *testing.T, n *atomic.Int32, from int32, what string) int32 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() <= from && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n.Load() <= from {
		t.Fatalf("%s: no call within 5s", what)
	}
	time.Sleep(300 * time.Millisecond) // the calls settle
	return n.Load()
}

// TestDirectoryReplaced replaces the whole rules directory, as people and
// deploy scripts do, and checks that live reload goes on in the new one.
func TestDirectoryReplaced(t *testing.T) {
	tests := []struct {
		name    string
		replace func(t *testing.T, dir string)
	}{
		{"rm -rf and mkdir", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "b.yaml"), "rules: [] # new dir")
		}},
		{"rename a new directory over the emptied one", func(t *testing.T, dir string) {
			next := dir + ".new"
			write(t, filepath.Join(next, "b.yaml"), "rules: [] # new dir")
			write(t, filepath.Join(next, "team", "c.yaml"), "rules: []")
			for _, f := range []string{"a.yaml", filepath.Join("team", "t.yaml")} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(dir, "team")); err != nil {
				t.Fatal(err)
			}
			// os.Rename refuses a directory target: rename(2) replaces
			// an empty one, as "mv -T rules.new rules" does.
			if err := syscall.Rename(next, dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"rename the old one aside and the new one in", func(t *testing.T, dir string) {
			next := dir + ".new"
			write(t, filepath.Join(next, "b.yaml"), "rules: [] # new dir")
			write(t, filepath.Join(next, "team", "c.yaml"), "rules: []")
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(next, dir); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rules")
			write(t, filepath.Join(dir, "a.yaml"), "rules: []")
			write(t, filepath.Join(dir, "team", "t.yaml"), "rules: []")
			var logs logBuffer
			n, stop := watchLogged(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
			defer stop()

			tc.replace(t, dir)
			got := waitMore(t, n, 0, "after the replacement")
			if want := `msg="the rules directory was replaced; watching it again"`; !strings.Contains(logs.String(), want) {
				t.Errorf("log:\n%s\nwant a line with %q", logs.String(), want)
			}

			// Edits in the new directory and its subdirectories are seen.
			write(t, filepath.Join(dir, "b.yaml"), "rules: [] # edited")
			got = waitMore(t, n, got, "edit in the new directory")
			write(t, filepath.Join(dir, "team", "d.yaml"), "rules: []")
			got = waitMore(t, n, got, "new file in a subdirectory of the new directory")

			// The old directory, renamed aside, is no longer watched.
			if old := dir + ".old"; exists(old) {
				write(t, filepath.Join(old, "a.yaml"), "rules: [] # old")
				write(t, filepath.Join(old, "team", "t.yaml"), "rules: [] # old")
				waitCount(t, n, got)
			}
		})
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestSymlinkedDirectory watches a rules directory reached through a
// symlink, which a deploy swaps to a new release directory.
func TestSymlinkedDirectory(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "v1", "a.yaml"), "rules: []")
	write(t, filepath.Join(root, "v2", "a.yaml"), "rules: [] # v2")
	dir := filepath.Join(root, "rules")
	if err := os.Symlink("v1", dir); err != nil {
		t.Fatal(err)
	}
	n, stop := watch(t, dir)
	defer stop()

	write(t, filepath.Join(dir, "a.yaml"), "rules: [] # edited")
	got := waitMore(t, n, 0, "edit through the symlink")

	// ln -sfn v2 rules: a new link renamed over the old one.
	if err := os.Symlink("v2", dir+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir+".tmp", dir); err != nil {
		t.Fatal(err)
	}
	got = waitMore(t, n, got, "after the swap")
	write(t, filepath.Join(root, "v2", "b.yaml"), "rules: []")
	got = waitMore(t, n, got, "edit in the new release")
	write(t, filepath.Join(root, "v1", "a.yaml"), "rules: [] # old release")
	waitCount(t, n, got)
}

// TestDirectoryRemovedLogs checks the log line when the directory goes,
// and that no reload is asked for while it is gone.
func TestDirectoryRemovedLogs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	write(t, filepath.Join(dir, "a.yaml"), "rules: []")
	var logs logBuffer
	n, stop := watchLogged(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	defer stop()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitCount(t, n, 0)
	// The message does not repeat the component the daemon's logger
	// carries (component=rules).
	if want := `msg="the rules directory was removed or renamed;`; !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s\nwant a line with %q", logs.String(), want)
	}
}

// logBuffer is a bytes.Buffer safe for the watcher's goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStamp(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "rules: []\n")
	base := Stamp(dir)
	if Stamp(dir) != base {
		t.Fatal("Stamp is not stable")
	}
	for _, tc := range []struct {
		name    string
		change  func()
		differs bool
	}{
		{"an editor's backup file", func() { write(t, filepath.Join(dir, "a.yaml~"), "x") }, false},
		{"a new rule file in a subdirectory", func() { write(t, filepath.Join(dir, "sub", "b.yml"), "rules: []\n") }, true},
		{"a rule file rewritten", func() { write(t, filepath.Join(dir, "a.yaml"), "rules: [] # edited\n") }, true},
		{"a rule file removed", func() {
			if err := os.Remove(filepath.Join(dir, "sub", "b.yml")); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := Stamp(dir)
			tc.change()
			if got := Stamp(dir) != before; got != tc.differs {
				t.Errorf("stamp changed = %v, want %v", got, tc.differs)
			}
		})
	}
}
