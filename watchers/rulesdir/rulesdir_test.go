package rulesdir

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func watch(t *testing.T, dir string) (*atomic.Int32, func()) {
	t.Helper()
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := Watch(ctx, dir, 100*time.Millisecond, nil, func() { n.Add(1) }); err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	time.Sleep(100 * time.Millisecond) // the watch is set up
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
