package rules

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestSeed(t *testing.T) {
	pack := fstest.MapFS{
		"core.yaml":      {Data: []byte("rules:\n  - name: a\n    when: mentions('x')\n")},
		"lex/words.yaml": {Data: []byte("lexicons:\n  words: [x]\n")},
		"core_test.yaml": {Data: []byte("tests: []\n")},
		"README.md":      {Data: []byte("not a rule file")},
		".hidden.yaml":   {Data: []byte("rules: []\n")},
	}
	for _, tc := range []struct {
		name     string
		prepare  func(dir string) error
		seeded   bool
		wantFile []string
	}{
		{"missing directory", func(dir string) error { return nil }, true, []string{"core.yaml", "lex/words.yaml"}},
		{"empty directory", func(dir string) error { return os.Mkdir(dir, 0o755) }, true, []string{"core.yaml", "lex/words.yaml"}},
		{"directory with a file", func(dir string) error {
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("rules: []\n"), 0o644)
		}, false, []string{"mine.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rules.d")
			if err := tc.prepare(dir); err != nil {
				t.Fatal(err)
			}
			seeded, err := Seed(dir, pack)
			if err != nil || seeded != tc.seeded {
				t.Fatalf("Seed = %v, %v; want %v", seeded, err, tc.seeded)
			}
			var got []string
			err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					got = append(got, filepath.ToSlash(rel))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.wantFile) {
				t.Fatalf("files %v, want %v", got, tc.wantFile)
			}
			for i := range got {
				if got[i] != tc.wantFile[i] {
					t.Errorf("files %v, want %v", got, tc.wantFile)
				}
			}
		})
	}
}
