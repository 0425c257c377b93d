package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/engine"
)

// defaultShowText is how many false positives and false negatives per rule
// the text report lists unless --show says otherwise.
const defaultShowText = 20

// leadChars is how much of the body stands in for an empty title.
const leadChars = 80

// cmdEval is `watchfloor eval`: it scores the inputs with the rules,
// compares the matches with the labels file and prints per-rule counts,
// precision, recall and F1, and the false positives and negatives
// (docs/eval.md). Exit 1 when an input cannot be read or the gate fails, 2
// for bad flags, rules or labels.
func cmdEval(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("eval", "[--rules DIR] --labels FILE [--format text|json] [--min-precision P] [--min-recall R] [--only RULE,...] [--show N] PATH...", std)
	rulesDir := fs.String("rules", defaultRulesDir, "rules directory")
	labelsPath := fs.String("labels", "", "labels file: JSON lines {\"id\": \"…\", \"rules\": [\"…\"]} (required)")
	format := fs.String("format", "text", "output format: text or json (one object)")
	minP := fs.Float64("min-precision", 0, "gate: exit 1 when a rule or the micro average has precision below P (0 to 1)")
	minR := fs.Float64("min-recall", 0, "gate: exit 1 when a rule or the micro average has recall below R (0 to 1)")
	only := fs.String("only", "", "evaluate only these rules (comma-separated names); labels of other rules are ignored")
	show := fs.Int("show", defaultShowText, "list at most N false positives and N false negatives per rule; -1 lists all (json lists all unless given)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	bad := func(msg string, a ...any) int {
		fmt.Fprintf(std.err, "watchfloor eval: "+msg+"\n", a...)
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		return bad("unknown format %q (want text or json)", *format)
	}
	if *labelsPath == "" {
		fmt.Fprintln(std.err, "watchfloor eval: --labels FILE is required")
		fs.Usage()
		return exitUsage
	}
	gate := evalGate{minP: math.NaN(), minR: math.NaN()}
	if flagSet(fs, "min-precision") {
		if !(*minP >= 0 && *minP <= 1) {
			return bad("--min-precision %g is not between 0 and 1", *minP)
		}
		gate.minP = *minP
	}
	if flagSet(fs, "min-recall") {
		if !(*minR >= 0 && *minR <= 1) {
			return bad("--min-recall %g is not between 0 and 1", *minR)
		}
		gate.minR = *minR
	}
	limit := *show
	if *format == "json" && !flagSet(fs, "show") {
		limit = -1
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(std.err, "watchfloor eval: no input; give files, directories or - for stdin")
		fs.Usage()
		return exitUsage
	}
	set, err := loadRules(*rulesDir, flagSet(fs, "rules"), std)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	var ruleNames []string
	for _, r := range set.Rules.Rules() {
		ruleNames = append(ruleNames, r.Name)
	}
	evalRules := ruleNames
	if *only != "" {
		known := map[string]bool{}
		for _, r := range ruleNames {
			known[r] = true
		}
		evalRules = nil
		picked := map[string]bool{}
		for _, r := range strings.Split(*only, ",") {
			r = strings.TrimSpace(r)
			if r == "" || picked[r] {
				continue
			}
			if !known[r] {
				return bad("--only: rule %q is not in the rules", r)
			}
			picked[r] = true
		}
		for _, r := range ruleNames {
			if picked[r] {
				evalRules = append(evalRules, r)
			}
		}
		if len(evalRules) == 0 {
			return bad("--only names no rule")
		}
	}
	lf, err := os.Open(*labelsPath)
	if err != nil {
		return bad("labels: %v", err)
	}
	labels, err := readLabels(lf, *labelsPath, ruleNames)
	lf.Close()
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor eval: %v\n", err)
		return exitUsage
	}
	for _, w := range labels.warnings {
		fmt.Fprintf(std.err, "watchfloor eval: warning: %s\n", w)
	}

	inputs, listErrs := expandInputs(fs.Args())
	for _, e := range listErrs {
		fmt.Fprintf(std.err, "watchfloor eval: %v\n", e)
	}
	ev := newEvaluation(evalRules, labels)
	readErrs := classifyAll(ctx, set.Rules, inputs, std.in, ev.add,
		func(err error) { fmt.Fprintf(std.err, "watchfloor eval: %v\n", err) })
	for _, w := range ev.warnings() {
		fmt.Fprintf(std.err, "watchfloor eval: warning: %s\n", w)
	}
	rep := ev.report(limit)
	if !math.IsNaN(gate.minP) || !math.IsNaN(gate.minR) {
		rep.Gate = gate.check(rep)
	}

	w := bufio.NewWriter(std.out)
	if *format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
	} else {
		writeEvalText(w, rep)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(std.err, "watchfloor eval: %v\n", err)
		return exitInput
	}
	if rep.Gate != nil {
		for _, f := range rep.Gate.Failures {
			fmt.Fprintf(std.err, "watchfloor eval: gate: %s\n", f)
		}
		if rep.Gate.Passed {
			fmt.Fprintf(std.err, "watchfloor eval: gate passed (%s)\n", gate)
		}
	}
	if len(listErrs) > 0 || readErrs > 0 || (rep.Gate != nil && !rep.Gate.Passed) {
		return exitInput
	}
	return exitOK
}

// labelSet is a parsed labels file.
type labelSet struct {
	// rules maps an article id to the rules it is a positive for (empty
	// for an explicit negative); rule names not in the rule set are left
	// out.
	rules map[string]map[string]bool
	// order holds the ids in file order.
	order []string
	// warnings are problems that do not stop the evaluation.
	warnings []string
}

// labelLine is the pinned shape of one line of a labels file.
type labelLine struct {
	ID    *string   `json:"id"`
	Rules *[]string `json:"rules"`
}

// readLabels parses a labels file: JSON lines {"id": "…", "rules": […]},
// blank lines skipped. A malformed line or an id given twice is an error
// naming name:LINE; a rule name that is not in known is a warning and is
// ignored.
func readLabels(r io.Reader, name string, known []string) (*labelSet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("labels: %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	isKnown := make(map[string]bool, len(known))
	for _, k := range known {
		isKnown[k] = true
	}
	type unknownRule struct {
		first, lines int
	}
	unknown := map[string]*unknownRule{}
	var unknownOrder []string
	ls := &labelSet{rules: map[string]map[string]bool{}}
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lineErr := func(format string, a ...any) error {
			return fmt.Errorf("labels: %s:%d: %s", name, n, fmt.Sprintf(format, a...))
		}
		if !utf8.ValidString(line) {
			return nil, lineErr("invalid UTF-8")
		}
		var ll labelLine
		dec := json.NewDecoder(strings.NewReader(line))
		if err := dec.Decode(&ll); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				switch te.Field {
				case "":
					return nil, lineErr(`a label line must be a JSON object {"id": "…", "rules": […]}`)
				case "id":
					return nil, lineErr(`"id" must be a string, not %s`, te.Value)
				default:
					return nil, lineErr(`"rules" must be a list of rule names (strings), not %s`, te.Value)
				}
			}
			return nil, fmt.Errorf("labels: %s:%d: invalid JSON: %w", name, n, err)
		}
		if dec.More() {
			return nil, lineErr("more than one JSON value on the line")
		}
		if ll.ID == nil || strings.TrimSpace(*ll.ID) == "" {
			return nil, lineErr(`"id" is missing or empty`)
		}
		if ll.Rules == nil {
			return nil, lineErr(`"rules" is missing or null (an explicit negative is "rules": [])`)
		}
		id := strings.TrimSpace(*ll.ID)
		if prev, dup := seen[id]; dup {
			return nil, lineErr("id %q is already labelled at line %d", id, prev)
		}
		seen[id] = n
		pos := map[string]bool{}
		for _, r := range *ll.Rules {
			r = strings.TrimSpace(r)
			if r == "" {
				return nil, lineErr("empty rule name")
			}
			if !isKnown[r] {
				u := unknown[r]
				if u == nil {
					u = &unknownRule{first: n}
					unknown[r] = u
					unknownOrder = append(unknownOrder, r)
				}
				u.lines++
				continue
			}
			pos[r] = true
		}
		ls.rules[id] = pos
		ls.order = append(ls.order, id)
	}
	if len(ls.order) == 0 {
		ls.warnings = append(ls.warnings, fmt.Sprintf("%s holds no labels: every article counts as a negative for every rule", name))
	}
	for _, r := range unknownOrder {
		u := unknown[r]
		ls.warnings = append(ls.warnings, fmt.Sprintf("%s:%d: rule %q is not in the rules; ignored (%s %s it)",
			name, u.first, r, plural(u.lines, "line"), verb(u.lines, "names", "name")))
	}
	return ls, nil
}

// verb picks the singular or plural form for n.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// plural returns n and word, with an s when n is not 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ruleCounts are the confusion counts of one rule.
type ruleCounts struct {
	TP, FP, FN int
}

// evaluation accumulates counts and errors as results arrive, in input
// order.
type evaluation struct {
	rules    []string
	labels   *labelSet
	counts   map[string]*ruleCounts
	seen     map[string]bool
	articles int
	dupIDs   int
	firstDup string
	ruleErrs int
	firstErr string
	fps, fns map[string][]evalItem
}

func newEvaluation(rules []string, labels *labelSet) *evaluation {
	ev := &evaluation{rules: rules, labels: labels, counts: map[string]*ruleCounts{}, seen: map[string]bool{},
		fps: map[string][]evalItem{}, fns: map[string][]evalItem{}}
	for _, r := range rules {
		ev.counts[r] = &ruleCounts{}
	}
	return ev
}

// add counts one scored article. An article whose id was already seen is
// the same article read twice and counts once.
func (ev *evaluation) add(res engine.Result) {
	id := res.Article.ID
	if ev.seen[id] {
		if ev.dupIDs == 0 {
			ev.firstDup = res.Article.Source
		}
		ev.dupIDs++
		return
	}
	ev.seen[id] = true
	ev.articles++
	for _, e := range res.Errors {
		if ev.ruleErrs == 0 {
			ev.firstErr = fmt.Sprintf("%s: %v", res.Article.Source, e)
		}
		ev.ruleErrs++
	}
	matched := make(map[string]engine.Match, len(res.Matches))
	for _, m := range res.Matches {
		matched[m.Rule] = m
	}
	want := ev.labels.rules[id]
	for _, r := range ev.rules {
		m, got := matched[r]
		c := ev.counts[r]
		switch {
		case got && want[r]:
			c.TP++
		case got:
			c.FP++
			it := newEvalItem(res.Article, r)
			s := m.Score
			it.Score = &s
			it.Evidence = m.Evidence
			it.Fields = m.Fields
			ev.fps[r] = append(ev.fps[r], it)
		case want[r]:
			c.FN++
			ev.fns[r] = append(ev.fns[r], newEvalItem(res.Article, r))
		}
	}
}

// warnings reports what the evaluation met but did not stop for.
func (ev *evaluation) warnings() []string {
	var out []string
	if ev.dupIDs > 0 {
		out = append(out, fmt.Sprintf("%s %s the id of an earlier article and %s counted once (first: %s)",
			plural(ev.dupIDs, "input article"), verb(ev.dupIDs, "repeats", "repeat"), verb(ev.dupIDs, "was", "were"), ev.firstDup))
	}
	missing, missingPos, first := 0, 0, ""
	for _, id := range ev.labels.order {
		if ev.seen[id] {
			continue
		}
		if missing == 0 {
			first = id
		}
		missing++
		if len(ev.labels.rules[id]) > 0 {
			missingPos++
		}
	}
	if missing > 0 {
		out = append(out, fmt.Sprintf("%s (%d positive for some rule) %s no input article and %s not counted (first: %q)",
			plural(missing, "labelled id"), missingPos, verb(missing, "matches", "match"), verb(missing, "was", "were"), first))
	}
	if ev.ruleErrs > 0 {
		out = append(out, fmt.Sprintf("%s at run time; a rule that fails does not match (first: %s)",
			plural(ev.ruleErrs, "rule error"), ev.firstErr))
	}
	return out
}

// evalItem is one false positive or false negative.
type evalItem struct {
	Rule   string `json:"rule"`
	ID     string `json:"id"`
	Source string `json:"source"`
	// Title is the article's title, or the first 80 characters of its body
	// when it has none.
	Title string `json:"title"`
	// Score, Evidence and Fields are those of the match (false positives
	// only).
	Score    *float64          `json:"score,omitempty"`
	Evidence []engine.Evidence `json:"evidence,omitempty"`
	Fields   map[string]any    `json:"fields,omitempty"`
}

func newEvalItem(a engine.Article, rule string) evalItem {
	return evalItem{Rule: rule, ID: a.ID, Source: a.Source, Title: titleOrLead(a)}
}

// titleOrLead returns the title, or the first leadChars characters of the
// body with white space collapsed, cut at a word boundary, when the title
// is empty.
func titleOrLead(a engine.Article) string {
	if t := strings.TrimSpace(a.Title); t != "" {
		return t
	}
	body := strings.Join(strings.Fields(a.Body), " ")
	if utf8.RuneCountInString(body) <= leadChars {
		return body
	}
	cut, n := 0, 0
	for i := range body {
		if n == leadChars {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexByte(body[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return body[:cut] + "…"
}

// metrics are counts with precision, recall and F1; a ratio whose
// denominator is zero is null ("n/a").
type metrics struct {
	Rule      string   `json:"rule,omitempty"`
	TP        int      `json:"tp"`
	FP        int      `json:"fp"`
	FN        int      `json:"fn"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

func newMetrics(rule string, c ruleCounts) metrics {
	return metrics{Rule: rule, TP: c.TP, FP: c.FP, FN: c.FN,
		Precision: ratio(c.TP, c.TP+c.FP),
		Recall:    ratio(c.TP, c.TP+c.FN),
		F1:        ratio(2*c.TP, 2*c.TP+c.FP+c.FN)}
}

// active reports whether the rule has a labelled positive or a prediction.
func (m metrics) active() bool { return m.TP+m.FP+m.FN > 0 }

// evalReport is the result of eval; its JSON form is the --format json
// output (documented in docs/eval.md).
type evalReport struct {
	Articles       int        `json:"articles"`
	Rules          []metrics  `json:"rules"`
	Micro          metrics    `json:"micro"`
	FalsePositives []evalItem `json:"false_positives"`
	FalseNegatives []evalItem `json:"false_negatives"`
	// Omitted counts the false positives and negatives left out of the
	// lists by --show.
	OmittedFalsePositives int         `json:"omitted_false_positives"`
	OmittedFalseNegatives int         `json:"omitted_false_negatives"`
	Gate                  *gateResult `json:"gate,omitempty"`
}

// report builds the report; limit bounds each rule's false positives and
// false negatives (negative: no bound). Lists are grouped by rule in rule
// order, articles in input order.
func (ev *evaluation) report(limit int) *evalReport {
	rep := &evalReport{Articles: ev.articles, FalsePositives: []evalItem{}, FalseNegatives: []evalItem{}}
	var sum ruleCounts
	for _, r := range ev.rules {
		c := *ev.counts[r]
		rep.Rules = append(rep.Rules, newMetrics(r, c))
		sum.TP += c.TP
		sum.FP += c.FP
		sum.FN += c.FN
		fp, fn := ev.fps[r], ev.fns[r]
		if limit >= 0 {
			if len(fp) > limit {
				rep.OmittedFalsePositives += len(fp) - limit
				fp = fp[:limit]
			}
			if len(fn) > limit {
				rep.OmittedFalseNegatives += len(fn) - limit
				fn = fn[:limit]
			}
		}
		rep.FalsePositives = append(rep.FalsePositives, fp...)
		rep.FalseNegatives = append(rep.FalseNegatives, fn...)
	}
	if rep.Rules == nil {
		rep.Rules = []metrics{}
	}
	rep.Micro = newMetrics("", sum)
	return rep
}

// evalGate holds the thresholds of --min-precision and --min-recall; NaN
// means not set.
type evalGate struct {
	minP, minR float64
}

func (g evalGate) String() string {
	var parts []string
	if !math.IsNaN(g.minP) {
		parts = append(parts, fmt.Sprintf("min precision %.3f", g.minP))
	}
	if !math.IsNaN(g.minR) {
		parts = append(parts, fmt.Sprintf("min recall %.3f", g.minR))
	}
	return strings.Join(parts, ", ")
}

// gateResult says whether the report passed the gate and, when not, why.
type gateResult struct {
	MinPrecision *float64 `json:"min_precision,omitempty"`
	MinRecall    *float64 `json:"min_recall,omitempty"`
	Passed       bool     `json:"passed"`
	Failures     []string `json:"failures"`
}

// check applies the gate to every rule with a labelled positive or a
// prediction, and to the micro average. A ratio that is n/a does not fail;
// a run with nothing to count fails, so a gate never passes on the wrong
// inputs by measuring nothing.
func (g evalGate) check(rep *evalReport) *gateResult {
	res := &gateResult{Failures: []string{}}
	if !math.IsNaN(g.minP) {
		v := g.minP
		res.MinPrecision = &v
	}
	if !math.IsNaN(g.minR) {
		v := g.minR
		res.MinRecall = &v
	}
	test := func(name string, m metrics) {
		if !m.active() {
			return
		}
		if m.Precision != nil && *m.Precision < g.minP {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: precision %.3f is below %.3f (TP %d, FP %d)", name, *m.Precision, g.minP, m.TP, m.FP))
		}
		if m.Recall != nil && *m.Recall < g.minR {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: recall %.3f is below %.3f (TP %d, FN %d)", name, *m.Recall, g.minR, m.TP, m.FN))
		}
	}
	for _, m := range rep.Rules {
		test("rule "+m.Rule, m)
	}
	test("micro average", rep.Micro)
	if !rep.Micro.active() {
		res.Failures = append(res.Failures, "nothing to measure: no article is labelled positive for an evaluated rule and no rule matched")
	}
	res.Passed = len(res.Failures) == 0
	return res
}

// MarshalJSON rounds the ratios to four decimals.
func (m metrics) MarshalJSON() ([]byte, error) {
	type plain metrics
	round := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		v := math.Round(*p*1e4) / 1e4
		return &v
	}
	m.Precision, m.Recall, m.F1 = round(m.Precision), round(m.Recall), round(m.F1)
	return json.Marshal(plain(m))
}

func fmtRatio(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *p)
}

// writeEvalText prints the report for people: an aligned table of the
// rules and the micro average, then the false positives with their
// evidence (each term with its first snippet) and the false negatives.
func writeEvalText(w io.Writer, rep *evalReport) {
	width := len("micro")
	for _, m := range rep.Rules {
		width = max(width, len(m.Rule))
	}
	row := func(name string, m metrics) {
		fmt.Fprintf(w, "%-*s %6d %6d %6d %9s %7s %6s\n", width, name, m.TP, m.FP, m.FN, fmtRatio(m.Precision), fmtRatio(m.Recall), fmtRatio(m.F1))
	}
	fmt.Fprintf(w, "%-*s %6s %6s %6s %9s %7s %6s\n", width, "rule", "TP", "FP", "FN", "precision", "recall", "F1")
	for _, m := range rep.Rules {
		row(m.Rule, m)
	}
	fmt.Fprintln(w, strings.Repeat("-", width+46))
	row("micro", rep.Micro)
	note := ""
	for _, m := range append(rep.Rules, rep.Micro) {
		if m.Precision == nil || m.Recall == nil {
			note = "; n/a: no predictions (precision) or no labelled positives (recall)"
		}
	}
	fmt.Fprintf(w, "%s%s\n", plural(rep.Articles, "article"), note)

	total := rep.Micro.FP
	fmt.Fprintf(w, "\nfalse positives (%d)\n", total)
	for _, it := range rep.FalsePositives {
		fmt.Fprintf(w, "  %s  %s  score %g  %s\n", it.Rule, it.ID, *it.Score, quoteTitle(it.Title))
		fmt.Fprintf(w, "      source: %s\n", it.Source)
		if len(it.Fields) > 0 {
			fmt.Fprintf(w, "      fields: %s\n", formatFields(it.Fields))
		}
		for _, e := range it.Evidence {
			fmt.Fprintf(w, "      %s ×%d", e.Term, e.Count)
			if len(e.Snippets) > 0 {
				fmt.Fprintf(w, ": %s", e.Snippets[0])
			}
			fmt.Fprintln(w)
		}
	}
	if rep.OmittedFalsePositives > 0 {
		fmt.Fprintf(w, "  … %d more not shown (--show -1 lists all)\n", rep.OmittedFalsePositives)
	}
	fmt.Fprintf(w, "\nfalse negatives (%d)\n", rep.Micro.FN)
	for _, it := range rep.FalseNegatives {
		fmt.Fprintf(w, "  %s  %s  %s\n", it.Rule, it.ID, quoteTitle(it.Title))
		fmt.Fprintf(w, "      source: %s\n", it.Source)
	}
	if rep.OmittedFalseNegatives > 0 {
		fmt.Fprintf(w, "  … %d more not shown (--show -1 lists all)\n", rep.OmittedFalseNegatives)
	}
}

func quoteTitle(t string) string {
	if t == "" {
		return "(no title or text)"
	}
	return "“" + t + "”"
}

// formatFields renders event fields as "name: value · name: value", names
// sorted.
func formatFields(f map[string]any) string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		v := f[k]
		if list, ok := v.([]any); ok {
			s := make([]string, len(list))
			for j, x := range list {
				s[j] = fmt.Sprint(x)
			}
			v = strings.Join(s, ", ")
		}
		if list, ok := v.([]string); ok {
			v = strings.Join(list, ", ")
		}
		parts[i] = fmt.Sprintf("%s: %v", k, v)
	}
	return strings.Join(parts, " · ")
}
