package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
)

const fixtureRules = `rules:
  - name: bombing
    when: mentions("bomb*")
    score: count("bomb*")
  - name: kidnapping
    when: mentions("kidnap*")
    fields:
      who: matched("kidnap*")
  - name: arrest
    when: mentions("arrested")
`

// fixtureArticles: a1 and a2 are true positives, a3 a false positive for
// bombing, a4 (no title) a false negative for kidnapping, a5 a true
// positive for bombing and a false positive for kidnapping, a6 is not
// labelled and matches nothing, a7 is not labelled and matches kidnapping.
var fixtureArticles = strings.Join([]string{
	`{"id":"a1","title":"Bomb in market","body":"A bomb exploded in the market."}`,
	`{"id":"a2","title":"Aid worker taken","body":"Kidnappers seized an aid worker."}`,
	`{"id":"a3","title":"Bomb disposal training","body":"Soldiers learned to defuse a bomb and a second bomb."}`,
	`{"id":"a4","title":"","body":"Gunmen abducted two engineers on the road north of the city on Tuesday, police said, and asked for a ransom."}`,
	`{"id":"a5","title":"Blast and escape","body":"A bomb went off and the kidnappers fled."}`,
	`{"id":"a6","title":"Sunny weekend","body":"Forecasters expect sunshine."}`,
	`{"id":"a7","title":"Drill","body":"Police rehearsed a kidnap rescue."}`,
}, "\n") + "\n"

// fixtureLabels: line 2 names a rule the set lacks; "ghost" matches no
// article; a3 is an explicit negative.
var fixtureLabels = strings.Join([]string{
	`{"id": "a1", "rules": ["bombing"]}`,
	`{"id": "a2", "rules": ["kidnapping", "hijack"]}`,
	`{"id": "a3", "rules": []}`,
	``,
	`{"id": "a4", "rules": ["kidnapping"], "note": "abducted"}`,
	`{"id": "a5", "rules": ["bombing"]}`,
	`{"id": "ghost", "rules": ["bombing"]}`,
}, "\n") + "\n"

// evalFixture writes the rules, articles and labels and returns their
// paths.
func evalFixture(t *testing.T) (rulesDir, articles, labels string) {
	t.Helper()
	dir := t.TempDir()
	rulesDir = filepath.Join(dir, "rules")
	articles = filepath.Join(dir, "articles.jsonl")
	labels = filepath.Join(dir, "labels.jsonl")
	evalWriteFile(t, filepath.Join(rulesDir, "r.yaml"), fixtureRules)
	evalWriteFile(t, articles, fixtureArticles)
	evalWriteFile(t, labels, fixtureLabels)
	return rulesDir, articles, labels
}

func evalWriteFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvalText(t *testing.T) {
	rulesDir, articles, labels := evalFixture(t)
	code, out, errs := run(t, "", "eval", "--rules", rulesDir, "--labels", labels, articles)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	table := `rule           TP     FP     FN precision  recall     F1
bombing         2      1      0     0.667   1.000  0.800
kidnapping      1      2      1     0.333   0.500  0.400
arrest          0      0      0       n/a     n/a    n/a
--------------------------------------------------------
micro           3      3      1     0.500   0.750  0.600
7 articles;`
	if !strings.HasPrefix(out, table) {
		t.Errorf("table:\n%s\nwant it to start with:\n%s", out, table)
	}
	lead := "Gunmen abducted two engineers on the road north of the city on Tuesday, police…"
	for _, want := range []string{
		"\nfalse positives (3)\n  bombing  a3  score 3  “Bomb disposal training”\n      source: file:" + articles + "#3\n      bomb* ×3: **Bomb** disposal training\n",
		"  kidnapping  a5  score 1  “Blast and escape”\n      source: file:" + articles + "#5\n      fields: who: kidnappers\n      kidnap* ×1: A bomb went off and the **kidnappers** fled.\n",
		"\n  kidnapping  a5  score 1  “Blast and escape”\n",
		"\n  kidnapping  a7  score 1  “Drill”\n",
		"\nfalse negatives (1)\n  kidnapping  a4  “" + lead + "”\n      source: file:" + articles + "#4\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a1 ") || strings.Contains(out, "a6") || strings.Contains(out, "more not shown") {
		t.Errorf("true positives, silent articles or an omission note listed:\n%s", out)
	}
	for _, want := range []string{
		labels + `:2: rule "hijack" is not in the rules; ignored (1 line names it)`,
		`1 labelled id (1 positive for some rule) matches no input article and was not counted (first: "ghost")`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// evalJSON is the documented --format json shape.
type evalJSON struct {
	Articles int `json:"articles"`
	Rules    []struct {
		Rule      string   `json:"rule"`
		TP        int      `json:"tp"`
		FP        int      `json:"fp"`
		FN        int      `json:"fn"`
		Precision *float64 `json:"precision"`
		Recall    *float64 `json:"recall"`
		F1        *float64 `json:"f1"`
	} `json:"rules"`
	Micro struct {
		TP        int     `json:"tp"`
		FP        int     `json:"fp"`
		FN        int     `json:"fn"`
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		F1        float64 `json:"f1"`
	} `json:"micro"`
	FalsePositives []struct {
		Rule     string            `json:"rule"`
		ID       string            `json:"id"`
		Source   string            `json:"source"`
		Title    string            `json:"title"`
		Score    *float64          `json:"score"`
		Evidence []engine.Evidence `json:"evidence"`
		Fields   map[string]any    `json:"fields"`
	} `json:"false_positives"`
	FalseNegatives []map[string]any `json:"false_negatives"`
	OmittedFP      int              `json:"omitted_false_positives"`
	OmittedFN      int              `json:"omitted_false_negatives"`
	Gate           *struct {
		MinPrecision *float64 `json:"min_precision"`
		MinRecall    *float64 `json:"min_recall"`
		Passed       bool     `json:"passed"`
		Failures     []string `json:"failures"`
	} `json:"gate"`
}

func fmt4(v float64) string { return fmt.Sprintf("%.4f", v) }

func fmt4p(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt4(*p)
}

func TestEvalJSON(t *testing.T) {
	rulesDir, articles, labels := evalFixture(t)
	code, out, errs := run(t, "", "eval", "--rules", rulesDir, "--labels", labels, "--format", "json", articles)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("json output is %d lines, want one object", n+1)
	}
	var rep evalJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rows []string
	for _, r := range rep.Rules {
		rows = append(rows, fmt.Sprintf("%s %d/%d/%d %s %s %s", r.Rule, r.TP, r.FP, r.FN, fmt4p(r.Precision), fmt4p(r.Recall), fmt4p(r.F1)))
	}
	want := []string{"bombing 2/1/0 0.6667 1.0000 0.8000", "kidnapping 1/2/1 0.3333 0.5000 0.4000", "arrest 0/0/0 null null null"}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	m := rep.Micro
	if got := fmt.Sprintf("%d/%d/%d %s %s %s", m.TP, m.FP, m.FN, fmt4(m.Precision), fmt4(m.Recall), fmt4(m.F1)); got != "3/3/1 0.5000 0.7500 0.6000" {
		t.Errorf("micro %s", got)
	}
	if rep.Articles != 7 || rep.Gate != nil || rep.OmittedFP != 0 || rep.OmittedFN != 0 {
		t.Errorf("articles %d, gate %v, omitted %d/%d", rep.Articles, rep.Gate, rep.OmittedFP, rep.OmittedFN)
	}
	var fps []string
	for _, x := range rep.FalsePositives {
		fps = append(fps, x.Rule+":"+x.ID)
		if x.Score == nil || len(x.Evidence) == 0 || len(x.Evidence[0].Snippets) == 0 || x.Title == "" || !strings.HasPrefix(x.Source, "file:") {
			t.Errorf("false positive %+v lacks score, evidence, title or source", x)
		}
	}
	if got := strings.Join(fps, " "); got != "bombing:a3 kidnapping:a5 kidnapping:a7" {
		t.Errorf("false positives %s", got)
	}
	if s := rep.FalsePositives[0].Score; s == nil || *s != 3 {
		t.Errorf("a3 bombing score %v, want 3 (title and body)", fmt4p(s))
	}
	if got := fmt.Sprint(rep.FalsePositives[1].Fields); got != "map[who:[kidnappers]]" {
		t.Errorf("a5 kidnapping fields %s", got)
	}
	if rep.FalsePositives[0].Fields != nil {
		t.Errorf("bombing has no fields, got %v", rep.FalsePositives[0].Fields)
	}
	if len(rep.FalseNegatives) != 1 {
		t.Fatalf("false negatives %v", rep.FalseNegatives)
	}
	fn := rep.FalseNegatives[0]
	if fn["rule"] != "kidnapping" || fn["id"] != "a4" || !strings.HasPrefix(fn["title"].(string), "Gunmen abducted") {
		t.Errorf("false negative %v", fn)
	}
	for _, k := range []string{"score", "evidence"} {
		if _, ok := fn[k]; ok {
			t.Errorf("false negative carries %q: %v", k, fn)
		}
	}
}

func TestEvalGate(t *testing.T) {
	rulesDir, articles, labels := evalFixture(t)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		failures []string
	}{
		{"precision passes", []string{"--min-precision", "0.3"}, 0, nil},
		{"precision fails for one rule", []string{"--min-precision", "0.5"}, 1,
			[]string{"rule kidnapping: precision 0.333 is below 0.500 (TP 1, FP 2)"}},
		{"recall passes at the threshold", []string{"--min-recall", "0.5"}, 0, nil},
		{"recall fails for a rule and the micro average", []string{"--min-recall", "0.8"}, 1,
			[]string{"rule kidnapping: recall 0.500 is below 0.800 (TP 1, FN 1)", "micro average: recall 0.750 is below 0.800 (TP 3, FN 1)"}},
		{"both gates", []string{"--min-precision", "0.6", "--min-recall", "0.6"}, 1,
			[]string{"rule kidnapping: precision 0.333 is below 0.600 (TP 1, FP 2)", "rule kidnapping: recall 0.500 is below 0.600 (TP 1, FN 1)", "micro average: precision 0.500 is below 0.600 (TP 3, FP 3)"}},
		{"only the rule that passes", []string{"--only", "bombing", "--min-precision", "0.6", "--min-recall", "1"}, 0, nil},
		{"nothing to measure", []string{"--only", "arrest", "--min-precision", "0"}, 1,
			[]string{"nothing to measure: no article is labelled positive for an evaluated rule and no rule matched"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"eval", "--rules", rulesDir, "--labels", labels, "--format", "json"}, tc.args...)
			code, out, errs := run(t, "", append(args, articles)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, errs)
			}
			var rep evalJSON
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Gate == nil || rep.Gate.Passed != (tc.code == 0) {
				t.Fatalf("gate %+v", rep.Gate)
			}
			if got, want := strings.Join(rep.Gate.Failures, "\n"), strings.Join(tc.failures, "\n"); got != want {
				t.Errorf("failures:\n%s\nwant:\n%s", got, want)
			}
			for _, f := range tc.failures {
				if !strings.Contains(errs, "watchfloor eval: gate: "+f+"\n") {
					t.Errorf("stderr lacks %q:\n%s", f, errs)
				}
			}
			if tc.code == 0 && !strings.Contains(errs, "gate passed") {
				t.Errorf("stderr does not say the gate passed:\n%s", errs)
			}
		})
	}
}

func TestEvalBadLabels(t *testing.T) {
	rulesDir, articles, _ := evalFixture(t)
	for _, tc := range []struct{ name, labels, want string }{
		{"invalid JSON", "{\"id\":\"a1\",\"rules\":[]}\n\n{\"id\":\"a2\",\"rules\":[\n", ":3: invalid JSON"},
		{"not an object", `["a1"]`, `:1: a label line must be a JSON object`},
		{"no id", `{"rules": ["bombing"]}`, `:1: "id" is missing or empty`},
		{"id not a string", `{"id": 3, "rules": []}`, `:1: "id" must be a string, not number`},
		{"no rules", "{\"id\":\"a1\",\"rules\":[]}\n{\"id\": \"a2\"}", `:2: "rules" is missing or null`},
		{"rules not a list", `{"id": "a1", "rules": "bombing"}`, `:1: "rules" must be a list of rule names`},
		{"rule not a string", `{"id": "a1", "rules": [1]}`, `:1: "rules" must be a list of rule names`},
		{"empty rule name", `{"id": "a1", "rules": [""]}`, `:1: empty rule name`},
		{"id twice", "{\"id\":\"a1\",\"rules\":[]}\n{\"id\":\"a1\",\"rules\":[\"bombing\"]}", `:2: id "a1" is already labelled at line 1`},
		{"two values on a line", `{"id":"a1","rules":[]} {"id":"a2","rules":[]}`, `:1: more than one JSON value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels := filepath.Join(t.TempDir(), "labels.jsonl")
			evalWriteFile(t, labels, tc.labels)
			code, out, errs := run(t, "", "eval", "--rules", rulesDir, "--labels", labels, articles)
			want := "watchfloor eval: labels: " + labels + tc.want
			if code != 2 || !strings.Contains(errs, want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q, want exit 2 and %q", code, out, errs, want)
			}
		})
	}
}

func TestEvalEmptyLabels(t *testing.T) {
	rulesDir, articles, _ := evalFixture(t)
	labels := filepath.Join(t.TempDir(), "empty.jsonl")
	evalWriteFile(t, labels, "\n\n")
	code, out, errs := run(t, "", "eval", "--rules", rulesDir, "--labels", labels, articles)
	if code != 0 || !strings.Contains(errs, labels+" holds no labels") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	// Every match is now a false positive: a1, a3 and a5 for bombing; a2, a5
	// and a7 for kidnapping.
	if !strings.Contains(out, "micro           0      6      0     0.000     n/a  0.000\n") {
		t.Errorf("output:\n%s", out)
	}
}

func TestEvalUsageAndInputs(t *testing.T) {
	rulesDir, articles, labels := evalFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no labels flag", []string{"--rules", rulesDir, articles}, 2, "--labels FILE is required"},
		{"labels file missing", []string{"--rules", rulesDir, "--labels", "/nonexistent.jsonl", articles}, 2, "/nonexistent.jsonl"},
		{"bad format", []string{"--rules", rulesDir, "--labels", labels, "--format", "csv", articles}, 2, `unknown format "csv"`},
		{"precision out of range", []string{"--rules", rulesDir, "--labels", labels, "--min-precision", "1.5", articles}, 2, "--min-precision 1.5 is not between 0 and 1"},
		{"recall out of range", []string{"--rules", rulesDir, "--labels", labels, "--min-recall", "-0.1", articles}, 2, "--min-recall -0.1 is not between 0 and 1"},
		{"unknown rule in --only", []string{"--rules", rulesDir, "--labels", labels, "--only", "bombing,hijack", articles}, 2, `--only: rule "hijack" is not in the rules`},
		{"no input", []string{"--rules", rulesDir, "--labels", labels}, 2, "no input"},
		{"bad rules dir", []string{"--rules", "/nonexistent", "--labels", labels, articles}, 2, "/nonexistent"},
		{"unknown flag", []string{"--bogus"}, 2, "flag provided but not defined"},
		{"unreadable input still reports", []string{"--rules", rulesDir, "--labels", labels, articles, "/nonexistent.txt"}, 1, "/nonexistent.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, "", append([]string{"eval"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.err) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.err)
			}
			if tc.code == 1 && !strings.Contains(out, "micro           3      3      1") {
				t.Errorf("the readable input was not evaluated:\n%s", out)
			}
		})
	}
}

func TestEvalShowAndDuplicates(t *testing.T) {
	rulesDir, articles, labels := evalFixture(t)
	// The same file twice: every article is read twice and counted once.
	code, out, errs := run(t, "", "eval", "--rules", rulesDir, "--labels", labels, "--format", "json", "--show", "1", articles, articles)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep evalJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Articles != 7 || rep.Micro.TP != 3 || rep.Micro.FP != 3 || rep.Micro.FN != 1 {
		t.Errorf("articles %d, micro %+v: duplicates counted", rep.Articles, rep.Micro)
	}
	if !strings.Contains(errs, "7 input articles repeat the id of an earlier article and were counted once") {
		t.Errorf("no duplicate warning:\n%s", errs)
	}
	// --show 1 keeps one per rule: bombing a3, kidnapping a5 (a7 left out).
	if len(rep.FalsePositives) != 2 || rep.FalsePositives[1].ID != "a5" || rep.OmittedFP != 1 || len(rep.FalseNegatives) != 1 || rep.OmittedFN != 0 {
		t.Errorf("--show 1: %d false positives, omitted %d; %d false negatives, omitted %d", len(rep.FalsePositives), rep.OmittedFP, len(rep.FalseNegatives), rep.OmittedFN)
	}
	_, out, _ = run(t, "", "eval", "--rules", rulesDir, "--labels", labels, "--show", "0", articles)
	if !strings.Contains(out, "false positives (3)\n  … 3 more not shown (--show -1 lists all)\n") ||
		!strings.Contains(out, "false negatives (1)\n  … 1 more not shown") {
		t.Errorf("--show 0:\n%s", out)
	}
}

func TestTitleOrLead(t *testing.T) {
	long := strings.Repeat("word ", 30)
	arabic := strings.Repeat("كلمة ", 30)
	for _, tc := range []struct {
		name string
		a    engine.Article
		want string
	}{
		{"title", engine.Article{Title: " Headline ", Body: "body"}, "Headline"},
		{"short body", engine.Article{Body: "  Two\n\nlines  "}, "Two lines"},
		{"long body cut at a word", engine.Article{Body: long}, strings.TrimSpace(strings.Repeat("word ", 16)) + "…"},
		{"multibyte", engine.Article{Body: arabic}, strings.TrimSpace(strings.Repeat("كلمة ", 16)) + "…"},
		{"one long word", engine.Article{Body: strings.Repeat("x", 100)}, strings.Repeat("x", 80) + "…"},
		{"empty", engine.Article{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := titleOrLead(tc.a); got != tc.want {
				t.Errorf("titleOrLead = %q, want %q", got, tc.want)
			}
		})
	}
}

var fencedBlock = regexp.MustCompile("(?s)```(\\w*)\n(.*?)```")

// TestEvalDocExample runs the example of docs/eval.md and compares its
// output, and the gate's verdict, with what the page shows.
func TestEvalDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/eval.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Example\n")
	if !ok {
		t.Fatal("docs/eval.md has no Example section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var kinds []string
	var blocks []string
	for _, m := range fencedBlock.FindAllStringSubmatch(section, -1) {
		kinds = append(kinds, m[1])
		blocks = append(blocks, m[2])
	}
	if got := strings.Join(kinds, ","); got != "yaml,jsonl,jsonl,sh,text," {
		t.Fatalf("example blocks %q, want rules, articles, labels, command, output, gate", got)
	}
	dir := t.TempDir()
	evalWriteFile(t, filepath.Join(dir, "rules", "desk.yaml"), blocks[0])
	evalWriteFile(t, filepath.Join(dir, "articles.jsonl"), blocks[1])
	evalWriteFile(t, filepath.Join(dir, "labels.jsonl"), blocks[2])
	args := strings.Fields(blocks[3])
	if len(args) < 2 || args[0] != "watchfloor" {
		t.Fatalf("command %q", blocks[3])
	}
	t.Chdir(dir)
	code, out, errs := run(t, "", args[1:]...)
	if code != 0 || out != blocks[4] {
		t.Errorf("exit %d, output:\n%s\nthe page shows:\n%s\nstderr: %s", code, out, blocks[4], errs)
	}
	gate := append(append([]string{}, args[1:len(args)-1]...), "--min-precision", "0.8", args[len(args)-1])
	code, _, errs = run(t, "", gate...)
	if code != 1 || errs != blocks[5] {
		t.Errorf("gate: exit %d, stderr:\n%s\nthe page shows:\n%s", code, errs, blocks[5])
	}
}
