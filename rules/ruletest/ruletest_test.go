package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/rules"
)

// writeTest writes a rule unit test file and returns its path.
func writeTest(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a_test.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFieldEqual(t *testing.T) {
	tests := []struct {
		name string
		want any // as a test file gives it (see scalarValue)
		got  any // as the engine gives it
		eq   bool
	}{
		{name: "number and one-number list", want: 160.0, got: []float64{160}, eq: true},
		{name: "number and float", want: 160.0, got: 160.0, eq: true},
		{name: "number and int", want: 3.0, got: 3, eq: true},
		{name: "number and other number", want: 160.0, got: []float64{16}, eq: false},
		{name: "number and two-number list", want: 160.0, got: []float64{160, 20}, eq: false},
		{name: "number and empty list", want: 160.0, got: []float64{}, eq: false},
		{name: "number and its digits as a string", want: 160.0, got: "160", eq: false},
		{name: "string and string", want: "Mosul", got: "Mosul", eq: true},
		{name: "string and one-string list", want: "Mosul", got: []string{"Mosul"}, eq: true},
		{name: "string case-sensitive", want: "Mosul", got: []string{"mosul"}, eq: false},
		{name: "string and two-string list", want: "Mosul", got: []string{"Mosul", "Erbil"}, eq: false},
		{name: "list and list", want: []any{"Mosul", "Erbil"}, got: []string{"Mosul", "Erbil"}, eq: true},
		{name: "list order matters", want: []any{"Erbil", "Mosul"}, got: []string{"Mosul", "Erbil"}, eq: false},
		{name: "list shorter", want: []any{"Mosul"}, got: []string{"Mosul", "Erbil"}, eq: false},
		{name: "list of numbers", want: []any{160.0, 20.0}, got: []float64{160, 20}, eq: true},
		{name: "list of any from expr", want: []any{"ISIS", 3.0}, got: []any{"ISIS", 3}, eq: true},
		{name: "list and a string", want: []any{"Mosul"}, got: "Mosul", eq: false},
		{name: "empty list and nothing", want: []any{}, got: []string(nil), eq: true},
		{name: "empty list and empty list", want: []any{}, got: []float64{}, eq: true},
		{name: "bool", want: true, got: true, eq: true},
		{name: "bool and string", want: true, got: "true", eq: false},
		{name: "list of lists never equals", want: []any{"a"}, got: [][]string{{"a"}}, eq: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldEqual(tt.want, plainValue(tt.got)); got != tt.eq {
				t.Errorf("fieldEqual(%s, %s) = %v, want %v", formatValue(tt.want), formatValue(plainValue(tt.got)), got, tt.eq)
			}
		})
	}
}

// TestCheckFields reads expectations from a test file and checks them
// against a match carrying fields.
func TestCheckFields(t *testing.T) {
	match := engine.Match{Rule: "mass-arrests", Score: 3, Severity: "high", Fields: map[string]any{
		"arrested": []float64{160},
		"place":    []string{"Mosul", "Tal Afar"},
		"group":    "ISIS",
	}}
	tests := []struct {
		name   string
		expect string // one expectation, in flow style
		want   []string
	}{
		{name: "all fields as given", expect: `{rule: mass-arrests, fields: {arrested: 160, place: [Mosul, Tal Afar], group: ISIS}}`},
		{name: "only the named fields", expect: `{rule: mass-arrests, fields: {group: ISIS}}`},
		{name: "a wrong number", expect: `{rule: mass-arrests, fields: {arrested: 16}}`,
			want: []string{"rule mass-arrests field arrested is [160], want 16"}},
		{name: "a list against a longer list", expect: `{rule: mass-arrests, fields: {place: [Mosul]}}`,
			want: []string{`rule mass-arrests field place is ["Mosul", "Tal Afar"], want ["Mosul"]`}},
		{name: "a string against a two-string list", expect: `{rule: mass-arrests, fields: {place: Mosul}}`,
			want: []string{`rule mass-arrests field place is ["Mosul", "Tal Afar"], want "Mosul"`}},
		{name: "a quoted number is a string", expect: `{rule: mass-arrests, fields: {arrested: "160"}}`,
			want: []string{`rule mass-arrests field arrested is [160], want "160"`}},
		{name: "two wrong fields, both reported", expect: `{rule: mass-arrests, fields: {arrested: 5, group: ISKP}}`,
			want: []string{"rule mass-arrests field arrested is [160], want 5", `rule mass-arrests field group is "ISIS", want "ISKP"`}},
		{name: "a field the match lacks", expect: `{rule: mass-arrests, fields: {killed: 3}}`,
			want: []string{"rule mass-arrests field killed is missing, want 3"}},
		{name: "no match: fields not checked", expect: `{rule: attack, fields: {killed: 3}}`,
			want: []string{"rule attack did not match"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTest(t, "tests:\n  - name: c\n    article: {body: x}\n    expect: ["+tt.expect+"]\n")
			cases, errs := readTests(p)
			if errs != nil {
				t.Fatal(errs)
			}
			res := engine.Result{Matches: []engine.Match{match}}
			got := check(res, cases[0].Expect, false)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("failures\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestReadTestsErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the whole error text, FILE relative
	}{
		{name: "unknown expectation key lists the known",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect:\n      - {rule: a, max_score: 3}\n",
			want: `a_test.yaml:5:19: unknown key "max_score" in expectation (known: rule, match, min_score, min_severity, fields)`},
		{name: "unknown case key",
			body: "tests:\n  - name: c\n    articel: {body: x}\n    expect: [{rule: a}]\n",
			want: `a_test.yaml:3:5: unknown key "articel" in test case (known: name, file, article, expect)`},
		{name: "unknown article key",
			body: "tests:\n  - name: c\n    article: {body: x, text: y}\n    expect: [{rule: a}]\n",
			want: `a_test.yaml:3:24: unknown key "text" in article (known: title, body, url, published, lang)`},
		{name: "match not a bool",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, match: no}]\n",
			want: `a_test.yaml:4:31: match must be true or false`},
		{name: "min_score not a number",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, min_score: high}]\n",
			want: `a_test.yaml:4:35: min_score must be a number`},
		{name: "expectation without a rule",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{min_score: 2}]\n",
			want: `a_test.yaml:4:14: expectation without a rule`},
		{name: "fields on a non-match",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, match: false, fields: {n: 1}}]\n",
			want: `a_test.yaml:4:14: rule a: fields are checked on a match, and match is false`},
		{name: "fields not a mapping",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, fields: [n, 1]}]\n",
			want: `a_test.yaml:4:32: fields must be a mapping of field names to expected values`},
		{name: "field value a mapping",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, fields: {n: {x: 1}}}]\n",
			want: `a_test.yaml:4:36: field "n": want a number, a string, true/false or a list of them`},
		{name: "field list of lists",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect: [{rule: a, fields: {n: [[1]]}}]\n",
			want: `a_test.yaml:4:37: field "n": a list element must be a number, a string or true/false`},
		{name: "field value null",
			body: "tests:\n  - name: c\n    article: {body: x}\n    expect:\n      - rule: a\n        fields:\n          n:\n",
			want: `a_test.yaml:7:13: field "n": want a number, a string, true/false or a list of them`},
		{name: "both file and article",
			body: "tests:\n  - name: c\n    file: x.txt\n    article: {body: x}\n    expect: [{rule: a}]\n",
			want: `a_test.yaml:2:5: case "c": give exactly one of file and article`},
		{name: "several errors at once",
			body: "tests:\n  - name: c\n    article: {body: x, titel: y}\n    expect: [{rule: a, min_scor: 2}]\n  - nme: d\n",
			want: "a_test.yaml:3:24: unknown key \"titel\" in article (known: title, body, url, published, lang)\n" +
				"a_test.yaml:4:24: unknown key \"min_scor\" in expectation (known: rule, match, min_score, min_severity, fields)\n" +
				"a_test.yaml:5:5: unknown key \"nme\" in test case (known: name, file, article, expect)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTest(t, tt.body)
			_, errs := readTests(p)
			if errs == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			got := strings.ReplaceAll(errs.Err().Error(), filepath.Dir(p)+string(filepath.Separator), "")
			if got != tt.want {
				t.Errorf("error\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

// TestTestErrors checks what Test reports against the rule set: rules,
// severities and fields that do not exist.
func TestTestErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "rules:\n" +
		"  - name: arrests\n    when: mentions('arrest*')\n    fields:\n      arrested: numbers_near('arrest*', 3)\n      place: matched('Mosul')\n" +
		"  - name: plain\n    when: mentions('x')\n"})
	set, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		expect string
		want   string
	}{
		{name: "no such rule", expect: "{rule: arests}", want: `a_test.yaml:4:21: case "c": no rule named "arests"`},
		{name: "no such severity", expect: "{rule: arrests, min_severity: urgent}", want: `a_test.yaml:4:44: case "c": unknown severity "urgent" (want one of info, low, medium, high, critical)`},
		{name: "no such field", expect: "{rule: arrests, fields: {arested: 3, place: Mosul}}", want: `a_test.yaml:4:39: case "c": rule "arrests" has no field "arested" (it has arrested, place)`},
		{name: "a rule without fields", expect: "{rule: plain, fields: {n: 3}}", want: `a_test.yaml:4:37: case "c": rule "plain" has no field "n" (it has none)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTest(t, "tests:\n  - name: c\n    article: {body: x}\n    expect: ["+tt.expect+"]\n")
			_, err := Test(set.Rules, []string{p})
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			got := strings.ReplaceAll(err.Error(), filepath.Dir(p)+string(filepath.Separator), "")
			if got != tt.want {
				t.Errorf("error\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

// TestTestFields runs field expectations against fields the engine
// evaluates.
func TestTestFields(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": `lexicons:
  places: ["Mosul", "Tal Afar"]
  arrest: ["arrested"]
rules:
  - name: mass-arrests
    when: mentions(lex.arrest)
    fields:
      arrested: numbers_near(lex.arrest, 3)
      top: max(numbers_near(lex.arrest, 3))
      place: matched(lex.places)
      group: matched(["ISIS"])
`})
	set, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	const body = "Police arrested 160 suspects in Mosul and Tal Afar."
	tests := []struct {
		name   string
		fields string
		want   []string // failures
	}{
		{name: "as given", fields: "{arrested: 160, top: 160, place: [Mosul, Tal Afar]}"},
		{name: "one field", fields: "{place: [Mosul, Tal Afar]}"},
		{name: "wrong count", fields: "{arrested: 16}", want: []string{"rule mass-arrests field arrested is [160], want 16"}},
		{name: "wrong max", fields: "{top: 16}", want: []string{"rule mass-arrests field top is 160, want 16"}},
		{name: "no group: an empty list", fields: "{group: []}"},
		{name: "no group: not a string", fields: "{group: ISIS}", want: []string{`rule mass-arrests field group is missing, want "ISIS"`}},
		{name: "one place of two", fields: "{place: Mosul}", want: []string{`rule mass-arrests field place is ["Mosul", "Tal Afar"], want "Mosul"`}},
		{name: "places out of order", fields: "{place: [Tal Afar, Mosul]}", want: []string{`rule mass-arrests field place is ["Mosul", "Tal Afar"], want ["Tal Afar", "Mosul"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTest(t, "tests:\n  - name: c\n    article: {body: \""+body+"\"}\n    expect: [{rule: mass-arrests, fields: "+tt.fields+"}]\n")
			res, err := Test(set.Rules, []string{p})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(res[0].Failures, "\n"); got != strings.Join(tt.want, "\n") {
				t.Errorf("failures\n  %s\nwant\n  %s", got, strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		res  engine.Result
		want string
	}{
		{name: "nothing", res: engine.Result{}, want: "    matched: nothing\n"},
		{name: "evidence and fields, names sorted",
			res: engine.Result{Matches: []engine.Match{{Rule: "a", Score: 2, Severity: "high",
				Evidence: []engine.Evidence{{Term: "arrest*", Count: 2}},
				Fields:   map[string]any{"place": []string{"Mosul"}, "arrested": []float64{160}}}}},
			want: `    matched a score=2 severity=high evidence: arrest*×2 fields: arrested=[160], place=["Mosul"]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.res); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
