package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
)

// A rule unit test file (NAME_test.yaml) holds cases, each naming an
// article and what the rules must make of it:
//
//	tests:
//	  - name: seed 002 reports a leader killed
//	    file: ../testdata/seeds/002.txt   # relative to this file; or:
//	    article: {title: "…", body: "…", url: "…"}
//	    expect:
//	      - rule: high-value-leader-killed
//	        min_score: 3
//	        min_severity: high
//	      - rule: cross-border-smuggling
//	        match: false
//
// An expectation holds when the rule matches (match: true, the default)
// with at least min_score and a severity at least min_severity, or when it
// does not match (match: false). Every rule named must exist.

// CaseResult is the outcome of one test case.
type CaseResult struct {
	File     string // test file
	Line     int    // line of the case
	Name     string
	Failures []string // why the case failed; empty when it passed
	// Result is what scoring produced, for the failure report.
	Results []engine.Result
}

// Passed reports whether every expectation of the case held.
func (c CaseResult) Passed() bool { return len(c.Failures) == 0 }

type testArticle struct {
	Title     string `yaml:"title"`
	Body      string `yaml:"body"`
	URL       string `yaml:"url"`
	Published string `yaml:"published"`
	Lang      string `yaml:"lang"`
}

type expectation struct {
	Rule        string   `yaml:"rule"`
	Match       *bool    `yaml:"match"`
	MinScore    *float64 `yaml:"min_score"`
	MinSeverity string   `yaml:"min_severity"`
}

type testCase struct {
	Name    string        `yaml:"name"`
	File    string        `yaml:"file"`
	Article *testArticle  `yaml:"article"`
	Expect  []expectation `yaml:"expect"`
	line    int
}

// Test runs the cases of the given test files against set and returns one
// result per case. A file that cannot be read or parsed is an error naming
// FILE:LINE:COL.
func Test(set *engine.RuleSet, files []string) ([]CaseResult, error) {
	known := map[string]bool{}
	for _, r := range set.Rules() {
		known[r.Name] = true
	}
	var out []CaseResult
	var errs ErrorList
	scorer := set.NewScorer()
	for _, f := range files {
		cases, err := readTests(f)
		if err != nil {
			errs = append(errs, err...)
			continue
		}
		for _, tc := range cases {
			arts, err := tc.articles(f)
			if err != nil {
				errs = append(errs, &Error{File: f, Line: tc.line, Col: 1, Msg: err.Error()})
				continue
			}
			cr := CaseResult{File: f, Line: tc.line, Name: tc.Name}
			for _, e := range tc.Expect {
				if !known[e.Rule] {
					errs = append(errs, &Error{File: f, Line: tc.line, Col: 1, Msg: fmt.Sprintf("case %q: no rule named %q", tc.Name, e.Rule)})
				}
				if e.MinSeverity != "" && engine.SeverityRank(e.MinSeverity) < 0 {
					errs = append(errs, &Error{File: f, Line: tc.line, Col: 1, Msg: fmt.Sprintf("case %q: unknown severity %q", tc.Name, e.MinSeverity)})
				}
			}
			for _, a := range arts {
				res := scorer.Score(a)
				cr.Results = append(cr.Results, res)
				cr.Failures = append(cr.Failures, check(res, tc.Expect, len(arts) > 1)...)
			}
			out = append(out, cr)
		}
	}
	if len(errs) > 0 {
		return out, errs.sorted()
	}
	return out, nil
}

func readTests(path string) ([]testCase, ErrorList) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Msg: err.Error()}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, ErrorList{yamlError(path, data, err)}
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	top, errs := mapping(path, root.Content[0], "test file", "tests")
	var cases []testCase
	for _, kv := range top {
		if kv[1].Kind != yaml.SequenceNode {
			errs = append(errs, at(path, kv[1], "tests must be a list"))
			continue
		}
		for _, cn := range kv[1].Content {
			if _, e := mapping(path, cn, "test case", "name", "file", "article", "expect"); e != nil {
				errs = append(errs, e...)
				continue
			}
			var tc testCase
			dec := cn
			if err := decodeStrict(dec, &tc); err != nil {
				errs = append(errs, at(path, cn, "%v", err))
				continue
			}
			tc.line = cn.Line
			if (tc.File == "") == (tc.Article == nil) {
				errs = append(errs, at(path, cn, "case %q: give exactly one of file and article", tc.Name))
				continue
			}
			if len(tc.Expect) == 0 {
				errs = append(errs, at(path, cn, "case %q: no expectations", tc.Name))
				continue
			}
			cases = append(cases, tc)
		}
	}
	return cases, errs
}

// decodeStrict decodes n into v, rejecting unknown keys below it.
func decodeStrict(n *yaml.Node, v any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func (tc *testCase) articles(testFile string) ([]engine.Article, error) {
	if tc.Article != nil {
		a := engine.Article{Title: tc.Article.Title, Body: tc.Article.Body, URL: tc.Article.URL, Lang: tc.Article.Lang, Source: "test:" + tc.Name}
		if tc.Article.Published != "" {
			t, err := time.Parse(time.RFC3339, tc.Article.Published)
			if err != nil {
				return nil, fmt.Errorf("case %q: published: %w", tc.Name, err)
			}
			a.Published = t
		}
		a.EnsureID()
		return []engine.Article{a}, nil
	}
	path := tc.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(testFile), path)
	}
	arts, err := ingest.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("case %q: %w", tc.Name, err)
	}
	return arts, nil
}

// check returns the expectations res does not meet.
func check(res engine.Result, exp []expectation, many bool) []string {
	byRule := map[string]engine.Match{}
	for _, m := range res.Matches {
		byRule[m.Rule] = m
	}
	where := ""
	if many {
		where = " in " + res.Article.Source
	}
	var fails []string
	for _, e := range exp {
		want := e.Match == nil || *e.Match
		m, got := byRule[e.Rule]
		switch {
		case want && !got:
			fails = append(fails, fmt.Sprintf("rule %s did not match%s", e.Rule, where))
		case !want && got:
			fails = append(fails, fmt.Sprintf("rule %s matched%s with score %g, want no match", e.Rule, where, m.Score))
		case want && e.MinScore != nil && m.Score < *e.MinScore:
			fails = append(fails, fmt.Sprintf("rule %s scored %g%s, want at least %g", e.Rule, m.Score, where, *e.MinScore))
		case want && e.MinSeverity != "" && engine.SeverityRank(m.Severity) < engine.SeverityRank(e.MinSeverity):
			fails = append(fails, fmt.Sprintf("rule %s has severity %s%s, want at least %s", e.Rule, m.Severity, where, e.MinSeverity))
		}
	}
	return fails
}

// Describe renders what scoring produced, for a failure report: every
// matched rule with score and evidence terms, and any rule errors.
func Describe(res engine.Result) string {
	var b strings.Builder
	if len(res.Matches) == 0 {
		b.WriteString("    matched: nothing\n")
	}
	for _, m := range res.Matches {
		fmt.Fprintf(&b, "    matched %s score=%g severity=%s", m.Rule, m.Score, m.Severity)
		var terms []string
		for _, e := range m.Evidence {
			terms = append(terms, fmt.Sprintf("%s×%d", e.Term, e.Count))
		}
		sort.Strings(terms)
		if len(terms) > 0 {
			fmt.Fprintf(&b, " evidence: %s", strings.Join(terms, ", "))
		}
		b.WriteByte('\n')
	}
	for _, e := range res.Errors {
		fmt.Fprintf(&b, "    error: %v\n", e)
	}
	return b.String()
}
