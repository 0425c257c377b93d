package muc4_test

// The MUC-4 rules measured on the MUC-4 corpus, when the corpus is there:
// the shared development corpus lives next to the repository
// (../shared/corpus/dev/muc4 from the repository root) and is not part of
// it. Without it these tests skip. The rule unit tests (rules_test.yaml)
// run with `watchfloor test` and need no corpus.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/rules/ruletest"
)

// corpusArticles is the MUC-4 articles file, relative to this directory;
// MUC4_ARTICLES, when set, names another copy.
var corpusArticles = func() string {
	if p := os.Getenv("MUC4_ARTICLES"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "corpus", "dev", "muc4", "articles.jsonl")
}()

// types are the rules of the MUC-4 set, one per incident type.
var types = []string{"attack", "bombing", "kidnapping", "arson"}

// counts are true positives, false positives and false negatives.
type counts struct{ tp, fp, fn int }

func (c counts) add(o counts) counts { return counts{c.tp + o.tp, c.fp + o.fp, c.fn + o.fn} }

func (c counts) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c counts) recall() float64    { return ratio(c.tp, c.tp+c.fn) }

func (c counts) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (c counts) String() string {
	return fmt.Sprintf("TP %4d FP %4d FN %4d  P %.3f R %.3f F1 %.3f", c.tp, c.fp, c.fn, c.precision(), c.recall(), c.f1())
}

func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// measurement holds the counts per rule of one rule set on one split.
type measurement map[string]counts

func (m measurement) micro() counts {
	var all counts
	for _, t := range types {
		all = all.add(m[t])
	}
	return all
}

// readLabels reads an eval labels file: {"id": …, "rules": […]} per line.
func readLabels(t *testing.T, path string) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("labels: %v", err)
	}
	defer f.Close()
	labels := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			ID    string   `json:"id"`
			Rules []string `json:"rules"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		labels[line.ID] = map[string]bool{}
		for _, r := range line.Rules {
			labels[line.ID][r] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("labels: %v", err)
	}
	return labels
}

// measure scores every article with the rules in dir and counts, per
// split (an id prefix), the matches against the labels.
func measure(t *testing.T, dir string, labels map[string]map[string]bool, splits map[string]string) map[string]measurement {
	t.Helper()
	set, err := rules.Load(dir)
	if err != nil {
		t.Fatalf("rules %s: %v", dir, err)
	}
	arts, err := ingest.ReadFile(corpusArticles)
	if err != nil {
		t.Fatalf("articles: %v", err)
	}
	if len(arts) != len(labels) {
		t.Fatalf("%d articles but %d labels", len(arts), len(labels))
	}
	out := map[string]measurement{}
	for split := range splits {
		out[split] = measurement{}
	}
	sc := set.Rules.NewScorer()
	for _, a := range arts {
		want, ok := labels[a.ID]
		if !ok {
			t.Fatalf("article %q has no label line", a.ID)
		}
		res := sc.Score(a)
		for _, e := range res.Errors {
			t.Errorf("%s: rule %s failed: %v", a.ID, e.Rule, e.Err)
		}
		got := map[string]bool{}
		for _, m := range res.Matches {
			got[m.Rule] = true
		}
		for split, prefix := range splits {
			if !strings.HasPrefix(a.ID, prefix) {
				continue
			}
			for _, r := range types {
				c := out[split][r]
				switch {
				case got[r] && want[r]:
					c.tp++
				case got[r]:
					c.fp++
				case want[r]:
					c.fn++
				}
				out[split][r] = c
			}
		}
	}
	return out
}

// TestCorpus checks the rule set's micro-F1 over the four types on the
// development part of MUC-4 (DEV-*) and on the held-out test sets (TST1,
// TST2), each against a floor a little under the figure the rules reach,
// and that the v2 rules beat the v1-language baseline in ../muc4-v1/ on both.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusArticles); err != nil {
		t.Skipf("MUC-4 corpus not found at %s (it is not part of the repository): %v", corpusArticles, err)
	}
	labels := readLabels(t, "labels.jsonl")
	splits := map[string]string{"dev": "DEV-", "held-out": "TST"}
	v2 := measure(t, ".", labels, splits)
	v1 := measure(t, "../muc4-v1", labels, splits)

	tests := []struct {
		name       string
		split      string
		minMicroF1 float64
		minRuleF1  float64
	}{
		{name: "development set DEV (1,300 articles)", split: "dev", minMicroF1: 0.76, minRuleF1: 0.73},
		{name: "held-out TST1 and TST2 (200 articles)", split: "held-out", minMicroF1: 0.77, minRuleF1: 0.72},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := v2[tc.split]
			names := append([]string(nil), types...)
			sort.Strings(names)
			for _, r := range names {
				t.Logf("v2 %-10s %s   (v1 %s)", r, m[r], v1[tc.split][r])
				if f := m[r].f1(); f < tc.minRuleF1 {
					t.Errorf("%s: F1 %.3f below %.2f", r, f, tc.minRuleF1)
				}
			}
			micro, base := m.micro(), v1[tc.split].micro()
			t.Logf("v2 %-10s %s   (v1 %s)", "micro", micro, base)
			if f := micro.f1(); f < tc.minMicroF1 {
				t.Errorf("micro-F1 %.3f below %.2f", f, tc.minMicroF1)
			}
			if micro.f1() <= base.f1() {
				t.Errorf("v2 micro-F1 %.3f does not beat the v1 baseline's %.3f", micro.f1(), base.f1())
			}
		})
	}
}

// TestRuleCases runs the rule unit tests of rules_test.yaml (short texts
// written for them, no corpus needed), as `watchfloor test` does.
func TestRuleCases(t *testing.T) {
	set, err := rules.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Tests) == 0 {
		t.Fatal("no rule test file found")
	}
	files := make([]string, len(set.Tests))
	for i, f := range set.Tests {
		files[i] = filepath.Join(".", f)
	}
	results, err := ruletest.Test(set.Rules, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 8 {
		t.Errorf("%d cases, want at least 8", len(results))
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Errorf("%s:%d: %s", r.File, r.Line, f)
			}
		})
	}
}

// noise are words that tell a reader nothing when they stand alone in an
// alert's evidence list.
var noise = map[string]bool{
	"a": true, "an": true, "the": true, "this": true, "that": true, "his": true, "her": true,
	"their": true, "last": true, "recent": true, "one": true, "two": true, "three": true,
	"several": true, "we": true, "our": true, "us": true,
}

// TestEvidenceReadable checks that the evidence of each rule's match names
// phrases a reader can use ("a bomb", "the murder"), never a bare
// determiner or pronoun, whose counts ("the ×44") fill an alert.
func TestEvidenceReadable(t *testing.T) {
	set, err := rules.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body string
		rule string
	}{
		{name: "a bombing", rule: "bombing",
			body: "LIMA, 3 MAR 90 -- A CAR BOMB EXPLODED OUTSIDE THE BANK THIS MORNING. THE BOMB DESTROYED TWO CARS AND THE POLICE SAID THAT THEIR EXPERTS FOUND A SECOND DEVICE."},
		{name: "a murder", rule: "attack",
			body: "BOGOTA, 2 SEP 89 -- THE MURDER OF A JUDGE SHOCKED THE CITY. TWO GUNMEN SHOT THE JUDGE AS HE LEFT HIS HOME, AND THE POLICE SAID THAT THE CRIME WAS THE THIRD THIS MONTH."},
		{name: "a kidnapping", rule: "kidnapping",
			body: "QUITO, 5 APR 90 -- THE KIDNAPPING OF A BUSINESSMAN WAS REPORTED TODAY. THREE ARMED MEN KIDNAPPED HIM AT HIS OFFICE AND THEIR LEADER DEMANDED A RANSOM."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := set.Rules.NewScorer().Score(engine.Article{ID: tc.name, Body: tc.body})
			found := false
			for _, m := range res.Matches {
				if m.Rule != tc.rule {
					continue
				}
				found = true
				for _, e := range m.Evidence {
					if noise[strings.ToLower(e.Term)] {
						t.Errorf("rule %s: evidence term %q ×%d says nothing to a reader", m.Rule, e.Term, e.Count)
					}
				}
			}
			if !found {
				t.Fatalf("rule %s did not match", tc.rule)
			}
		})
	}
}
