package rules

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
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
			`b.yaml:2:3: lexicon "isis" is defined 2 times, at `},
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
	f.Add([]byte("lexicons: {a: [\"x\", \"@b\"], b: [\"@a\", \"@c\"]}\nextend_lexicons: {c: [\"@a\"]}\n"))
	f.Add([]byte("lexicons: {a: [\"@\"]}\nextend_lexicons: {a: [y]}\nrules:\n  - {name: r, when: mentions(lex.a), polarity: asserted, fields: {n: count(lex.a)}}\n"))
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

// loadCase is one file of testdata/: a rules directory, and either the
// exact errors loading it gives or what its rules make of some articles.
type loadCase struct {
	// Files maps a path inside the rules directory to its content.
	Files map[string]string `yaml:"files"`
	// Errors is the whole error text, one FILE:LINE:COL: message a line,
	// with FILE relative to the directory.
	Errors string `yaml:"errors"`
	// Articles must each be matched by exactly the rules listed.
	Articles []struct {
		Title string   `yaml:"title"`
		Body  string   `yaml:"body"`
		Match []string `yaml:"match"`
	} `yaml:"articles"`
}

func TestLoadTestdata(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no cases in testdata/")
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var tc loadCase
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&tc); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			given := 0
			for _, g := range []bool{tc.Errors != "", len(tc.Articles) > 0} {
				if g {
					given++
				}
			}
			if given != 1 {
				t.Fatalf("%s: give one of errors and articles", p)
			}
			dir := writeFiles(t, tc.Files)
			set, err := Load(dir)
			if tc.Errors != "" {
				if err == nil {
					t.Fatalf("loaded %d rules, want errors\n%s", set.Rules.Len(), tc.Errors)
				}
				if set != nil {
					t.Error("a set came back with the error: loading must be all or nothing")
				}
				got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
				if want := strings.TrimSuffix(tc.Errors, "\n"); got != want {
					t.Errorf("errors\n%s\nwant\n%s", got, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := set.Rules.NewScorer()
			for _, a := range tc.Articles {
				art := engine.Article{Title: a.Title, Body: a.Body}
				art.EnsureID()
				var got []string
				for _, m := range s.Score(art).Matches {
					got = append(got, m.Rule)
				}
				sort.Strings(got)
				want := append([]string(nil), a.Match...)
				sort.Strings(want)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%q matched %v, want %v", a.Body, got, want)
				}
			}
		})
	}
}

func TestLoadRuleKeys(t *testing.T) {
	tests := []struct {
		name     string
		rule     string // the keys after name and when
		polarity string
		quotes   string
		fields   []engine.FieldSpec
		delivery string
		cooldown time.Duration
	}{
		{name: "defaults", rule: ""},
		{name: "asserted, ignore", rule: "    polarity: asserted\n    quotes: ignore\n", polarity: "asserted", quotes: "ignore"},
		{name: "explicit defaults", rule: "    polarity: any\n    quotes: include\n", polarity: "any", quotes: "include"},
		{name: "fields keep file order", rule: "    fields:\n      place: matched(\"Mosul\")\n      killed: numbers_near(\"kill*\", 3)\n      a1_b: |\n        count(\"x\")\n",
			fields: []engine.FieldSpec{{Name: "place", Expr: `matched("Mosul")`}, {Name: "killed", Expr: `numbers_near("kill*", 3)`}, {Name: "a1_b", Expr: "count(\"x\")\n"}}},
		{name: "empty fields", rule: "    fields: {}\n"},
		{name: "digest with a cooldown", rule: "    delivery: digest\n    cooldown: 90m\n", delivery: engine.DeliveryDigest, cooldown: 90 * time.Minute},
		{name: "immediate", rule: "    delivery: immediate\n", delivery: engine.DeliveryImmediate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"a.yaml": "rules:\n  - name: a\n    when: mentions('x')\n" + tt.rule})
			set, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			r := set.Rules.Rules()[0]
			if r.Polarity != tt.polarity || r.Quotes != tt.quotes {
				t.Errorf("polarity %q quotes %q, want %q and %q", r.Polarity, r.Quotes, tt.polarity, tt.quotes)
			}
			if fmt.Sprint(r.Fields) != fmt.Sprint(tt.fields) {
				t.Errorf("fields %q, want %q", r.Fields, tt.fields)
			}
			if r.Delivery != tt.delivery || r.Cooldown != tt.cooldown {
				t.Errorf("delivery %q cooldown %v, want %q and %v", r.Delivery, r.Cooldown, tt.delivery, tt.cooldown)
			}
			// The match carries them, for routing.
			s := set.Rules.NewScorer()
			ms := s.Score(engine.Article{ID: "x", Body: "x"}).Matches
			wantDelivery := tt.delivery
			if wantDelivery == "" {
				wantDelivery = engine.DeliveryImmediate
			}
			if len(ms) != 1 || ms[0].Delivery != wantDelivery || ms[0].Cooldown != tt.cooldown {
				t.Errorf("matches %+v, want one with delivery %q and cooldown %v", ms, wantDelivery, tt.cooldown)
			}
		})
	}
}

// TestFieldErrorPosition maps an expression error of a field, as the
// engine reports it, to its place inside the field's value in the file.
func TestFieldErrorPosition(t *testing.T) {
	src := "rules:\n  - name: a\n    when: mentions('x')\n    fields:\n" +
		"      plain: matched(lex.nope)\n" + // line 5, value at col 14
		"      quoted: \"matched(lex.nope)\"\n" + // line 6, value at col 15, text at 16
		"      block: |\n        count('x')\n        + matched(lex.nope)\n" + // lines 7-9, text at col 9
		"      deeper: |\n\n        count('x')\n          + matched(lex.nope)\n" // lines 10-13, blank 11, text at col 9
	tests := []struct {
		name      string
		field     string
		line, col int // of the error in the expression
		want      string
	}{
		{name: "plain scalar", field: "plain", line: 1, col: 9, want: `a.yaml:5:22: rule "a": fields.plain: boom`},
		{name: "quoted scalar", field: "quoted", line: 1, col: 9, want: `a.yaml:6:24: rule "a": fields.quoted: boom`},
		{name: "block scalar, second line", field: "block", line: 2, col: 3, want: `a.yaml:9:11: rule "a": fields.block: boom`},
		{name: "block scalar, deeper line after a blank one", field: "deeper", line: 3, col: 5, want: `a.yaml:13:13: rule "a": fields.deeper: boom`},
		{name: "no position: the value", field: "plain", want: `a.yaml:5:14: rule "a": fields.plain: boom`},
		{name: "unknown field: the rule name", field: "other", line: 1, col: 1, want: `a.yaml:2:11: rule "a": fields.other: boom`},
	}
	fd, errs := parseFile("a.yaml", []byte(src))
	if errs != nil || len(fd.rules) != 1 {
		t.Fatalf("parse: %v", errs)
	}
	d := &fd.rules[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &engine.ExprError{Rule: "a", Field: "fields." + tt.field, Line: tt.line, Column: tt.col, Msg: "boom"}
			if got := d.position(err).Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDocsExtendIllustration loads the two-file extend_lexicons example of
// docs/rules.md (blocks whose first line is "# rules.d/FILE, …"), which the
// docs test cannot run as one file, and checks what it claims.
func TestDocsExtendIllustration(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```yaml\n# rules\\.d/([^,\n]+),[^\n]*\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		files[m[1]] = m[2]
	}
	if len(files) != 2 {
		t.Fatalf("found files %v in docs/rules.md, want the two of the extend_lexicons example", files)
	}
	files["check.yaml"] = `rules:
  - name: places
    when: join(lex.places, ", ") == "Mosul, Tal Afar, Raqqa, Menaka, Gao, Tillaberi, Niamey"
  - name: groups
    when: mentions(lex.groups)
`
	set, err := Load(writeFiles(t, files))
	if err != nil {
		t.Fatal(err)
	}
	art := engine.Article{Body: "Islamic State in the Greater Sahara fighters"}
	art.EnsureID()
	var got []string
	for _, m := range set.Rules.NewScorer().Score(art).Matches {
		got = append(got, m.Rule)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "groups,places" {
		t.Errorf("matched %v, want groups (through the extension) and places (in the order the docs give)", got)
	}
}

// TestLoadHugeExpression loads a rule of 100,000 nested parentheses: it is
// refused at once, with its position (the parser used to take seconds over
// it, and accepted it).
func TestLoadHugeExpression(t *testing.T) {
	deep := strings.Repeat("(", 100000) + "true" + strings.Repeat(")", 100000)
	dir := writeFiles(t, map[string]string{"x.yaml": "rules:\n  - name: deep\n    when: \"" + deep + "\"\n"})
	_, err := loadWithin(t, dir, 5*time.Second)
	want := filepath.Join(dir, "x.yaml") + `:3:12: rule "deep": when: expression is 200004 bytes long, over the limit of 65536`
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

// TestCheckNotifiers reports a notify entry naming a notifier the config
// lacks at the entry's place, in a list and as a single name.
func TestCheckNotifiers(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "rules:\n  - name: a\n    when: mentions('x')\n    notify: [ops, pager]\n" +
			"  - name: b\n    when: mentions('y')\n    notify:\n      - pager\n      - ops\n",
		"b.yaml": "rules:\n  - name: c\n    when: mentions('z')\n    notify: siem\n",
	})
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := func(name string) bool { return name == "ops" }
	err = set.CheckNotifiers(known)
	if err == nil {
		t.Fatal("no error for notifiers the config lacks")
	}
	want := `a.yaml:4:19: rule "a": notify: no notifier named "pager" in the config` + "\n" +
		`a.yaml:8:9: rule "b": notify: no notifier named "pager" in the config` + "\n" +
		`b.yaml:4:13: rule "c": notify: no notifier named "siem" in the config`
	if got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""); got != want {
		t.Errorf("error\n%s\nwant\n%s", got, want)
	}
	if err := set.CheckNotifiers(func(string) bool { return true }); err != nil {
		t.Errorf("every notifier known: %v", err)
	}
}

// FuzzScalarPlaces checks, for every scalar of any YAML document, that the
// places found for its characters are in the file and hold that character
// (or the escape or line end it came from).
func FuzzScalarPlaces(f *testing.F) {
	for _, p := range []string{"scalar-plain", "scalar-single-quoted", "scalar-double-quoted", "scalar-literal", "scalar-folded"} {
		data, err := os.ReadFile("testdata/" + p + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		var tc loadCase
		if err := yaml.Unmarshal(data, &tc); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(tc.Files["a.yaml"]))
	}
	f.Add([]byte("a: \"x\\\n  y\\u00e9\\\"\"\nb: 'it''s\n\n  z'\nc: >2-\n    a\n\n     b\n   c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil {
			return
		}
		lines := strings.Split(string(data), "\n")
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			for _, c := range n.Content {
				walk(c)
			}
			places := scalarPlaces(lines, n)
			if places == nil {
				return
			}
			value := []rune(n.Value)
			if len(places) != len(value)+1 {
				t.Fatalf("%d places for %q", len(places), n.Value)
			}
			for i, p := range places {
				if p.line < 1 || p.line > len(lines) || p.col < 1 {
					t.Fatalf("place %v of %q out of the file", p, n.Value)
				}
				row := []rune(strings.TrimSuffix(lines[p.line-1], "\r"))
				if p.col > len(row)+2 {
					t.Fatalf("place %v of %q beyond its line %q", p, n.Value, row)
				}
				if i == len(value) || p.col > len(row) {
					continue
				}
				got, want := row[p.col-1], value[i]
				if got != want && got != '\\' && got != '\'' && want != ' ' && want != '\n' {
					t.Fatalf("rune %d %q of %q is at %v, which holds %q", i, want, n.Value, p, got)
				}
			}
		}
		walk(&root)
	})
}

// TestDocsLexiconNames checks the section "Lexicon names are global" of
// docs/rules.md against the shipped pack: the names it lists as taken by
// each file, and the error it shows for a desk file that takes one.
func TestDocsLexiconNames(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "### Lexicon names are global\n")
	section, _, _ = strings.Cut(section, "\n## ")
	files := map[string]string{}
	entries, err := os.ReadDir("../rules.d")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("../rules.d", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
		if !IsRuleFile(e.Name()) {
			continue
		}
		fd, errs := parseFile(e.Name(), data)
		if errs != nil {
			t.Fatal(errs)
		}
		var names []string
		for _, l := range fd.lexicons {
			names = append(names, "`"+l.name+"`")
		}
		if len(names) == 0 {
			continue
		}
		sort.Slice(names, func(i, j int) bool { return strings.Trim(names[i], "`") < strings.Trim(names[j], "`") })
		m := regexp.MustCompile("(?s)- `rules\\.d/" + regexp.QuoteMeta(e.Name()) + "`: (.*?)\\.\n").FindStringSubmatch(section)
		if m == nil {
			t.Errorf("docs/rules.md does not list the lexicons of rules.d/%s", e.Name())
			continue
		}
		if got := strings.Join(strings.Fields(m[1]), " "); got != strings.Join(names, ", ") {
			t.Errorf("docs/rules.md lists for rules.d/%s\n  %s\nthe file defines\n  %s", e.Name(), got, strings.Join(names, ", "))
		}
	}
	blocks := regexp.MustCompile("(?s)```(yaml)?\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("want the desk file and the error in the section, found %d blocks", len(blocks))
	}
	files["desk.yaml"] = blocks[0][2]
	dir := writeFiles(t, files)
	_, err = Load(dir)
	if err == nil {
		t.Fatal("the desk file loaded")
	}
	got := strings.ReplaceAll(err.Error(), dir, "rules.d")
	if want := strings.TrimSpace(blocks[1][2]); !strings.Contains(got+"\n", want+"\n") {
		t.Errorf("errors\n%s\ndo not hold the docs' line\n%s", got, want)
	}
}
