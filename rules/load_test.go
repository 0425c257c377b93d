package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

const goodLex = `lexicons:
  isis: ["ISIS", "Daesh", "=IS"]
`

func TestLoadGood(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"lex.yaml": goodLex,
		"sub/a.yml": `rules:
  - name: a
    when: mentions(lex.isis)
    score: "count(lex.isis) > 1 ? 3 : 1"
    severity: high
    labels: {topic: x}
    notify: [ops]
`,
		"a_test.yaml":  "tests: []\n",
		".hidden.yaml": "this: is: broken",
		"notes.txt":    "ignored",
	})
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if set.Rules.Len() != 1 || len(set.Files) != 2 || len(set.Tests) != 1 {
		t.Fatalf("rules %d files %v tests %v", set.Rules.Len(), set.Files, set.Tests)
	}
	r := set.Rules.Rules()[0]
	if r.Severity != "high" || r.Labels["topic"] != "x" || r.Notify[0] != "ops" {
		t.Errorf("spec %+v", r)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // FILE:LINE:COL: message, FILE relative to the dir
	}{
		{"yaml syntax", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: x ? 3 : 0\n"},
			"a.yaml:3:17: mapping values are not allowed in this context (quote an expression"},
		{"unknown top key", map[string]string{"a.yaml": "rulez: []\n"}, `a.yaml:1:1: unknown key "rulez" in rule file`},
		{"unknown rule key", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: 'true'\n    sevrity: high\n"},
			`a.yaml:4:5: unknown key "sevrity" in rule`},
		{"duplicate key", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: 'true'\n    when: 'false'\n"},
			`a.yaml:4:5: duplicate key "when" in rule`},
		{"unknown severity", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: 'true'\n    severity: urgent\n"},
			`a.yaml:4:15: unknown severity "urgent"`},
		{"unknown lexicon in plain scalar", map[string]string{"a.yaml": goodLex + "rules:\n  - name: a\n    when: mentions(lex.isis) && mentions(lex.nope)\n"},
			`a.yaml:5:46: rule "a": when: unknown lexicon "nope"`},
		{"error in a block scalar", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: |\n      mentions(\"x\")\n        && near(\"a\", \"b\", \"c\")\n"},
			`a.yaml:5:`},
		{"error in a quoted scalar", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: \"mentions('*x')\"\n"},
			`a.yaml:3:21: rule "a": when: mentions: term "*x": '*' may only end a word`},
		{"wrong result type", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: count('x')\n"},
			`a.yaml:3:11: rule "a": when: expected bool`},
		{"score not a number", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: 'true'\n    score: '\"high\"'\n"},
			`a.yaml:4:12: rule "a": score:`},
		{"bad lexicon term", map[string]string{"a.yaml": "lexicons:\n  x: [\"ok\", \"b*d\"]\n"},
			`a.yaml:2:13: lexicon "x": term "b*d": '*' may only end a word`},
		{"duplicate rule across files", map[string]string{
			"a.yaml": "rules:\n  - name: a\n    when: 'true'\n",
			"b.yaml": "rules:\n  - name: a\n    when: 'false'\n"},
			`b.yaml:2:11: rule "a" already defined at`},
		{"duplicate lexicon across files", map[string]string{"a.yaml": goodLex, "b.yaml": goodLex},
			`b.yaml:2:3: lexicon "isis" already defined at`},
		{"missing when", map[string]string{"a.yaml": "rules:\n  - name: a\n"}, `a.yaml:2:5: rule "a" has no when`},
		{"too long", map[string]string{"a.yaml": "rules:\n  - name: a\n    when: '" + strings.Repeat("1 + ", 3000) + "1 > 0'\n"},
			`a.yaml:3:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			set, err := Load(dir)
			if err == nil {
				t.Fatalf("loaded %d rules, want error %q", set.Rules.Len(), tt.want)
			}
			if set != nil {
				t.Error("a set came back with the error: loading must be all or nothing")
			}
			got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(got, tt.want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", got, tt.want)
			}
		})
	}
}

func TestLoadAllOrNothing(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.yaml": "rules:\n  - name: good\n    when: mentions('x')\n",
		"bad.yaml":  "rules:\n  - name: bad\n    when: mentions(\n",
	})
	if set, err := Load(dir); err == nil || set != nil {
		t.Fatalf("set %v err %v: one broken file must fail the whole load", set, err)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(goodLex + "rules:\n  - name: a\n    when: mentions(lex.isis)\n"))
	f.Add([]byte("rules:\n  - name: a\n    when: |\n      near('a', 'b', 3)\n"))
	f.Add([]byte("lexicons: {x: [\"*\"]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := Load(dir)
		if (set == nil) == (err == nil) {
			t.Fatalf("set %v and err %v: exactly one must be set", set, err)
		}
		if err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
