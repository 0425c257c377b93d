package rules

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWithin runs Load on dir and fails the test, instead of hanging, when
// it does not return within the deadline.
func loadWithin(t *testing.T, dir string, d time.Duration) (*Set, error) {
	t.Helper()
	type result struct {
		set *Set
		err error
	}
	done := make(chan result, 1)
	go func() {
		set, err := Load(dir)
		done <- result{set, err}
	}()
	select {
	case r := <-done:
		return r.set, r.err
	case <-time.After(d):
		t.Fatalf("Load(%s) did not return within %v", dir, d)
		return nil, nil
	}
}

const oneRule = "rules:\n  - name: a\n    when: mentions('signal')\n"

func TestLoadOnlyRegularFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // makes rules.d/x.yaml
		want  string                         // the error, after the directory
	}{
		{"named pipe", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "x.yaml"), 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "x.yaml: not a regular file (named pipe)"},
		{"symlink to /dev/zero", func(t *testing.T, dir string) {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "x.yaml")); err != nil {
				t.Fatal(err)
			}
		}, "x.yaml: not a regular file (character device)"},
		{"symlink to a named pipe", func(t *testing.T, dir string) {
			fifo := filepath.Join(t.TempDir(), "pipe")
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			if err := os.Symlink(fifo, filepath.Join(dir, "x.yaml")); err != nil {
				t.Fatal(err)
			}
		}, "x.yaml: not a regular file (named pipe)"},
		{"over the size cap", func(t *testing.T, dir string) {
			big := oneRule + "# " + strings.Repeat("x", MaxFileSize) + "\n"
			if err := os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(big), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "x.yaml: file larger than the 4 MiB limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "rules.d")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "good.yaml"), []byte(oneRule), 0o644); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			set, err := loadWithin(t, dir, 5*time.Second)
			if err == nil {
				t.Fatalf("loaded %d rules, want an error", set.Rules.Len())
			}
			if want := filepath.Join(dir, tc.want); err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
		})
	}
}

func TestLoadSymlinkToRuleFile(t *testing.T) {
	target := filepath.Join(t.TempDir(), "real.yaml")
	if err := os.WriteFile(target, []byte(oneRule), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(target, filepath.Join(dir, "x.yaml")); err != nil {
		t.Fatal(err)
	}
	set, err := loadWithin(t, dir, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if set.Rules.Len() != 1 || len(set.Files) != 1 {
		t.Errorf("%d rules in %v, want 1 in x.yaml", set.Rules.Len(), set.Files)
	}
}
