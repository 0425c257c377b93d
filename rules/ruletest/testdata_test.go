package ruletest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/rules"
)

// writeFiles writes files (path inside the directory → content) into a
// new temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testdataCase is one file of testdata/: a rules directory with unit test
// files, and the whole error text of running those tests, one
// FILE:LINE:COL: message a line with FILE relative to the directory.
type testdataCase struct {
	Files      map[string]string `yaml:"files"`
	TestErrors string            `yaml:"test_errors"`
}

func TestTestdata(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases in testdata/: %v", err)
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var tc testdataCase
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&tc); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			dir := writeFiles(t, tc.Files)
			set, err := rules.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, f := range set.Tests {
				files = append(files, filepath.Join(dir, f))
			}
			_, err = Test(set.Rules, files)
			if err == nil {
				t.Fatalf("tests ran, want errors\n%s", tc.TestErrors)
			}
			got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if want := strings.TrimSuffix(tc.TestErrors, "\n"); got != want {
				t.Errorf("test errors\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// A named pipe where a test file should be is an error naming it, never a
// read that blocks until some writer comes.
func TestTestFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x_test.yaml")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	set, err := rules.Load(writeFiles(t, map[string]string{"a.yaml": "rules:\n  - name: a\n    when: mentions('x')\n"}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Test(set.Rules, []string{p})
		done <- err
	}()
	select {
	case err := <-done:
		if want := p + ": not a regular file (named pipe)"; err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Test did not return")
	}
}
