// Package ruletest runs rule unit tests: the NAME_test.yaml files beside
// the rules, each naming articles (inline, or files read as the inbox reads
// them) and what the rules must make of them. It is what `watchfloor test`
// runs; it lives apart from package rules so that loading rules does not
// link the article readers (HTML, e-mail, charsets) that tests need.
package ruletest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/internal/poserr"
	"github.com/watchfloor/watchfloor/rules"
)

// A rule unit test file (NAME_test.yaml) holds cases, each naming an
// article and what the rules must make of it:
//
//	tests:
//	  - name: seed 002 reports a leader killed
//	    file: ../testdata/seeds/002.txt   # relative to this file; or:
//	    article: {title: "…", body: "…", url: "…", lang: en, published: "2024-05-01T08:00:00Z"}
//	    expect:
//	      - rule: high-value-leader-killed
//	        min_score: 3
//	        min_severity: high
//	      - rule: cross-border-smuggling
//	        match: false
//
// An expectation holds when the rule matches (match: true, the default)
// with at least min_score and a severity at least min_severity, or when it
// does not match (match: false). Every rule named must exist. Every key
// is checked (an unknown one is an error listing the known ones), and
// published must be an RFC 3339 time; docs/rules.md lists every key.
//
// An expectation may also check event fields of the match, only those it
// names:
//
//	      - rule: mass-arrests
//	        fields: {arrested: 160, place: [Mosul]}
//
// A number equals a number field, or a list field holding just that number;
// a string equals a string field, or a list field holding just that string
// (case-sensitively); a list equals a list field of as many elements, each
// equal; an empty list also holds for a field left out of the match for
// being empty. Quote a number ("160") to compare it as a string. Each field
// named must be declared by the rule.

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
	Title, Body, URL, Lang string
	Published              time.Time
}

type expectation struct {
	Rule        string
	Match       *bool
	MinScore    *float64
	MinSeverity string
	// Fields are the event fields to compare, in file order.
	Fields []fieldExpect
	// node is the expectation, ruleNode and severityNode its values, for
	// errors.
	node, ruleNode, severityNode *yaml.Node
}

// fieldExpect is one expected event field: want is a float64, a string, a
// bool, or a []any of those.
type fieldExpect struct {
	name string
	want any
	node *yaml.Node // the field name
}

type testCase struct {
	Name     string
	File     string
	Article  *testArticle
	Expect   []expectation
	line     int
	fileNode *yaml.Node // the value of file, for errors
}

// Keys of the mappings of a test file.
var (
	caseKeys        = []string{"name", "file", "article", "expect"}
	articleKeys     = []string{"title", "body", "url", "published", "lang"}
	expectationKeys = []string{"rule", "match", "min_score", "min_severity", "fields"}
)

// Test runs the cases of the given test files against set and returns one
// result per case. A file that cannot be read or parsed is an error naming
// FILE:LINE:COL.
func Test(set *engine.RuleSet, files []string) ([]CaseResult, error) {
	fieldsOf := map[string][]string{}
	for _, r := range set.Rules() {
		names := []string{}
		for _, f := range r.Fields {
			names = append(names, f.Name)
		}
		fieldsOf[r.Name] = names
	}
	var out []CaseResult
	var errs poserr.List
	scorer := set.NewScorer()
	for _, f := range files {
		// The cases that parse are run even when others do not, so that
		// every problem of the file is reported at once.
		cases, perrs := readTests(f)
		errs = append(errs, perrs...)
		for _, tc := range cases {
			for _, e := range tc.Expect {
				fields, known := fieldsOf[e.Rule]
				if !known {
					errs = append(errs, poserr.At(f, e.ruleNode, "case %q: no rule named %q", tc.Name, e.Rule))
				}
				if e.MinSeverity != "" && engine.SeverityRank(e.MinSeverity) < 0 {
					errs = append(errs, poserr.At(f, e.severityNode, "case %q: unknown severity %q (want one of %s)", tc.Name, e.MinSeverity, strings.Join(engine.Severities, ", ")))
				}
				for _, fe := range e.Fields {
					if known && !slices.Contains(fields, fe.name) {
						has := "it has none"
						if len(fields) > 0 {
							has = "it has " + strings.Join(fields, ", ")
						}
						errs = append(errs, poserr.At(f, fe.node, "case %q: rule %q has no field %q (%s)", tc.Name, e.Rule, fe.name, has))
					}
				}
			}
			arts, err := tc.articles(f)
			if err != nil {
				errs = append(errs, poserr.At(f, tc.fileNode, "%v", err))
				continue
			}
			cr := CaseResult{File: f, Line: tc.line, Name: tc.Name}
			for _, a := range arts {
				res := scorer.Score(a)
				cr.Results = append(cr.Results, res)
				cr.Failures = append(cr.Failures, check(res, tc.Expect, len(arts) > 1)...)
			}
			out = append(out, cr)
		}
	}
	if len(errs) > 0 {
		return out, errs.Err()
	}
	return out, nil
}

func readTests(path string) ([]testCase, poserr.List) {
	data, err := rules.ReadFile(path)
	if err != nil {
		return nil, poserr.List{{File: path, Msg: err.Error()}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, poserr.List{poserr.YAML(path, data, err)}
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	top, errs := poserr.Mapping(path, root.Content[0], "test file", "tests")
	var cases []testCase
	for _, kv := range top {
		if kv[1].Kind != yaml.SequenceNode {
			errs = append(errs, poserr.At(path, kv[1], "tests must be a list"))
			continue
		}
		for _, cn := range kv[1].Content {
			tc, e := parseCase(path, cn)
			errs = append(errs, e...)
			if e == nil {
				cases = append(cases, tc)
			}
		}
	}
	return cases, errs
}

// testParser reads the nodes of a test file, collecting errors.
type testParser struct {
	path string
	errs poserr.List
}

func (p *testParser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, poserr.At(p.path, n, format, args...))
}

func (p *testParser) mapping(n *yaml.Node, what string, known ...string) [][2]*yaml.Node {
	kvs, errs := poserr.Mapping(p.path, n, what, known...)
	p.errs = append(p.errs, errs...)
	return kvs
}

func (p *testParser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string", key)
		return ""
	}
	return n.Value
}

// parseCase reads one test case, checking every key.
func parseCase(path string, cn *yaml.Node) (testCase, poserr.List) {
	p := &testParser{path: path}
	tc := testCase{line: cn.Line}
	for _, kv := range p.mapping(cn, "test case", caseKeys...) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "name":
			tc.Name = p.str(v, "name")
		case "file":
			tc.File, tc.fileNode = p.str(v, "file"), v
		case "article":
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "article must be a mapping (keys: %s)", strings.Join(articleKeys, ", "))
				continue
			}
			a := &testArticle{}
			for _, akv := range p.mapping(v, "article", articleKeys...) {
				val := p.str(akv[1], akv[0].Value)
				switch akv[0].Value {
				case "title":
					a.Title = val
				case "body":
					a.Body = val
				case "url":
					a.URL = val
				case "published":
					if val == "" {
						continue
					}
					t, err := time.Parse(time.RFC3339, val)
					if err != nil {
						p.errorf(akv[1], "published %q is not a time in RFC 3339 form, such as 2024-05-01T08:00:00Z", val)
						continue
					}
					a.Published = t
				case "lang":
					a.Lang = val
				}
			}
			tc.Article = a
		case "expect":
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "expect must be a list of expectations")
				continue
			}
			for _, en := range v.Content {
				tc.Expect = append(tc.Expect, p.expectation(en))
			}
		}
	}
	if p.errs != nil {
		return tc, p.errs
	}
	if (tc.File == "") == (tc.Article == nil) {
		p.errorf(cn, "case %q: give exactly one of file and article", tc.Name)
	} else if len(tc.Expect) == 0 {
		p.errorf(cn, "case %q: no expectations", tc.Name)
	}
	return tc, p.errs
}

func (p *testParser) expectation(n *yaml.Node) expectation {
	e := expectation{node: n}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "an expectation must be a mapping (keys: %s)", strings.Join(expectationKeys, ", "))
		return e
	}
	for _, kv := range p.mapping(n, "expectation", expectationKeys...) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "rule":
			e.Rule, e.ruleNode = p.str(v, "rule"), v
		case "match":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				p.errorf(v, "match must be true or false")
				continue
			}
			e.Match = &b
		case "min_score":
			var f float64
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&f) != nil {
				p.errorf(v, "min_score must be a number")
				continue
			}
			e.MinScore = &f
		case "min_severity":
			e.MinSeverity, e.severityNode = p.str(v, "min_severity"), v
		case "fields":
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "fields must be a mapping of field names to expected values")
				continue
			}
			for _, fkv := range p.mapping(v, "fields") {
				if want, ok := p.fieldValue(fkv[0].Value, fkv[1]); ok {
					e.Fields = append(e.Fields, fieldExpect{name: fkv[0].Value, want: want, node: fkv[0]})
				}
			}
		}
	}
	if e.ruleNode == nil {
		p.errorf(n, "expectation without a rule")
	}
	if e.Match != nil && !*e.Match && len(e.Fields) > 0 {
		p.errorf(n, "rule %s: fields are checked on a match, and match is false", e.Rule)
	}
	return e
}

// fieldValue reads an expected field value: a number, a string, a boolean
// or a list of them.
func (p *testParser) fieldValue(name string, v *yaml.Node) (any, bool) {
	if v.Kind == yaml.SequenceNode {
		list := []any{}
		for _, x := range v.Content {
			s, ok := scalarValue(x)
			if !ok {
				p.errorf(x, "field %q: a list element must be a number, a string or true/false", name)
				return nil, false
			}
			list = append(list, s)
		}
		return list, true
	}
	s, ok := scalarValue(v)
	if !ok {
		p.errorf(v, "field %q: want a number, a string, true/false or a list of them", name)
	}
	return s, ok
}

// scalarValue is a scalar node as a float64, a bool or a string, by its
// YAML tag: quote a number to compare it as a string.
func scalarValue(v *yaml.Node) (any, bool) {
	if v.Kind != yaml.ScalarNode {
		return nil, false
	}
	switch v.Tag {
	case "!!int", "!!float":
		var f float64
		if err := v.Decode(&f); err != nil {
			return nil, false
		}
		return f, true
	case "!!bool":
		var b bool
		if err := v.Decode(&b); err != nil {
			return nil, false
		}
		return b, true
	case "!!null":
		return nil, false
	}
	return v.Value, true
}

func (tc *testCase) articles(testFile string) ([]engine.Article, error) {
	if tc.Article != nil {
		a := engine.Article{Title: tc.Article.Title, Body: tc.Article.Body, URL: tc.Article.URL, Lang: tc.Article.Lang,
			Published: tc.Article.Published, Source: "test:" + tc.Name}
		a.EnsureID()
		return []engine.Article{a}, nil
	}
	path := tc.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(testFile), path)
	}
	arts, err := ingest.ReadFile(path)
	if err != nil {
		// Name the file as the test does, not as the reader reached it.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("case %q: cannot read %s: %w", tc.Name, tc.File, pe.Err)
		}
		return nil, fmt.Errorf("case %q: %s: %w", tc.Name, tc.File, err)
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
		if !want || !got {
			continue
		}
		for _, f := range e.Fields {
			v, ok := m.Fields[f.name]
			if !ok && !fieldEqual(f.want, nil) {
				fails = append(fails, fmt.Sprintf("rule %s field %s is missing%s, want %s", e.Rule, f.name, where, formatValue(f.want)))
				continue
			}
			if actual := plainValue(v); !fieldEqual(f.want, actual) {
				fails = append(fails, fmt.Sprintf("rule %s field %s is %s%s, want %s", e.Rule, f.name, formatValue(actual), where, formatValue(f.want)))
			}
		}
	}
	return fails
}

// fieldEqual reports whether an event field's value (made plain by
// plainValue) is what a test expects: a number equals a number or a list
// holding just that number; a string equals a string or a list holding
// just that string; a list equals a list of as many equal elements. An
// empty list also equals nothing, as the engine leaves empty fields out.
func fieldEqual(want, got any) bool {
	if w, ok := want.([]any); ok {
		g, ok := got.([]any)
		if !ok {
			return got == nil && len(w) == 0
		}
		if len(w) != len(g) {
			return false
		}
		for i := range w {
			if w[i] != g[i] {
				return false
			}
		}
		return true
	}
	if g, ok := got.([]any); ok && len(g) == 1 {
		got = g[0]
	}
	// want is a float64, a string or a bool; got of another type (a list
	// of lists, say) compares unequal.
	return want == got
}

// plainValue turns a field value into a float64, a string, a bool, nil or
// a []any of those, whatever Go types the expression produced.
func plainValue(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = plainValue(rv.Index(i).Interface())
		}
		return out
	}
	return fmt.Sprint(rv.Interface())
}

// formatValue writes a plain value as a test file would: numbers bare,
// strings quoted, lists in brackets.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return strconv.Quote(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = formatValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
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
		if len(m.Fields) > 0 {
			names := make([]string, 0, len(m.Fields))
			for n := range m.Fields {
				names = append(names, n)
			}
			sort.Strings(names)
			for i, n := range names {
				names[i] = n + "=" + formatValue(plainValue(m.Fields[n]))
			}
			fmt.Fprintf(&b, " fields: %s", strings.Join(names, ", "))
		}
		b.WriteByte('\n')
	}
	for _, e := range res.Errors {
		fmt.Fprintf(&b, "    error: %v\n", e)
	}
	return b.String()
}
