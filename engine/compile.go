package engine

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Severities lists the valid rule severities, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityRank returns the position of s in Severities, or -1.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// MaxNodes bounds the size of one rule expression.
const MaxNodes = 2000

// RuleSpec is a rule as written by the analyst, before compilation.
type RuleSpec struct {
	Name        string
	Description string
	When        string
	Score       string // "" means 1
	MinScore    float64
	Severity    string // "" means medium
	Labels      map[string]string
	Notify      []string
	// Polarity is "any" (the default, also "") or "asserted": every helper
	// of the rule then ignores occurrences that their clause negates or
	// hedges.
	Polarity string
	// Quotes is "include" (the default, also "") or "ignore": occurrences
	// inside quoted speech do not count for the rule.
	Quotes string
	// Fields are the rule's event fields, evaluated when it matches.
	Fields []FieldSpec
	// Delivery is DeliveryImmediate (the default, also "") or
	// DeliveryDigest: the rule's matches then wait for each destination's
	// next digest instead of alerting at once.
	Delivery string
	// Cooldown, when positive, keeps the rule's later matches of the same
	// story in that story's thread instead of new alerts, for this long
	// after its last alert of the story.
	Cooldown time.Duration
}

// FieldSpec is one event field of a rule: a name and an expression whose
// value (a string, a number, a list of them) is shown with the match.
type FieldSpec struct {
	Name string
	Expr string
}

// ExprError is an error in a rule expression, positioned within the
// expression text so the caller can map it into its file.
type ExprError struct {
	Rule  string
	Field string // "when", "score" or "fields.NAME"
	// Line is 1-based and Column 1-based, in runes, within the expression;
	// both are 0 when the error has no position.
	Line, Column int
	Msg          string
}

func (e *ExprError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rule %s: %s:%d:%d: %s", e.Rule, e.Field, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("rule %s: %s: %s", e.Rule, e.Field, e.Msg)
}

// Env is the expression environment of a rule: the article and the
// lexicons. The helpers (mentions, count, …) are functions, not fields.
type Env struct {
	Title     string              `expr:"title"`
	Body      string              `expr:"body"`
	URL       string              `expr:"url"`
	Lang      string              `expr:"lang"`
	Source    string              `expr:"source"`
	Published time.Time           `expr:"published"`
	Words     int                 `expr:"words"`
	Lex       map[string][]string `expr:"lex"`

	a  *analysis
	rs *RuleSet
	// bufs keeps its memory from one article to the next (Scorer.Score
	// carries it over).
	bufs envBufs
	// drop holds the token flags whose occurrences the rule being
	// evaluated ignores (flagNegated|flagHedged, flagQuoted).
	drop uint8
	// events collects the positions where the rule's conditions held.
	events []int32
	// noEvents is set when the article gets no summary, the only reader
	// of events: the pair helpers then stop at the first pair that holds
	// and record nothing.
	noEvents bool
	// dyn caches, for terms computed at run time, the parsed term (for the
	// Scorer's life) and its positions (for the article).
	dyn *dynCache
}

// envBufs are the helpers' working buffers.
type envBufs struct {
	scratch   [3][]int32
	hitBuf    []termHit
	occBuf    []occ    // matched's
	hitPosBuf []int32  // termHits's
	formBuf   []string // matched's keys
	numBuf    []number // numbersNear's
}

// articleFields are the environment names that depend on the article
// rather than on term hits.
var articleFields = map[string]bool{
	"title": true, "body": true, "url": true, "lang": true, "source": true,
	"published": true, "words": true, "$env": true,
}

// rule is a compiled rule.
type rule struct {
	spec  RuleSpec
	when  *vm.Program
	score *vm.Program // nil: score 1
	terms []int32     // term ids referenced with constant arguments, in order of appearance
	// ranks holds, for a rule of many terms, each of terms with its index
	// there, sorted by term id (nil for a rule of few terms): evidence
	// reads the rule's terms that occurred from the article's side.
	ranks []termRank
	// termBits has a bit set for each of terms, over term ids, when ranks
	// is set: most touched terms are not the rule's, and are passed over
	// without a search.
	termBits []uint64
	gate     []int32   // terms and the terms computed arguments can take: one must occur when gated
	gated    bool      // evaluate only when one of terms occurred
	slow     *SlowRule // the rule computes terms from the article
	severity string
	delivery string // spec.Delivery, DeliveryImmediate for ""
	drop     uint8  // token flags whose occurrences the rule ignores
	fields   []eventField
	// needs is what must have occurred for when to be true (nil: nothing
	// known), see needsOf.
	needs *need
}

// eventField is a compiled event field of a rule.
type eventField struct {
	name string
	prog *vm.Program
}

// RuleSet is an immutable compiled set of rules, safe for concurrent use;
// score articles with a Scorer from NewScorer.
type RuleSet struct {
	rules    []rule
	lexicons map[string][]string
	terms    []term
	sets     [][]int32  // term-set id → term ids
	setBits  [][]uint64 // term-set id → membership bits over term ids, for large sets (run_memo.go)
	setWords []span     // term-set id → the words of setBits[id] that are not zero
	matcher  *matcher
	// termRules[t] lists the gated rules that reference term t.
	termRules [][]int32
	always    []int32 // rules evaluated for every article
	// termIDs maps term keys to term ids, so a term computed at run time
	// that is also a literal term reads its hits instead of rescanning.
	termIDs  map[string]int32
	usesLang bool // some rule reads lang: detect it when the article has none
}

// Len returns the number of rules.
func (rs *RuleSet) Len() int { return len(rs.rules) }

// Rules returns the specs of the rules, in load order.
func (rs *RuleSet) Rules() []RuleSpec {
	out := make([]RuleSpec, len(rs.rules))
	for i := range rs.rules {
		out[i] = rs.rules[i].spec
	}
	return out
}

// Compiler builds a RuleSet rule by rule, so that each error can be
// reported against the rule that caused it.
type Compiler struct {
	rs      *RuleSet
	termIDs map[string]int32
	setIDs  map[string]int32
	names   map[string]bool
}

// NewCompiler starts a rule set over the given lexicons. Every lexicon term
// must be valid (see CheckTerm).
func NewCompiler(lexicons map[string][]string) (*Compiler, error) {
	c := &Compiler{
		rs:      &RuleSet{lexicons: map[string][]string{}},
		termIDs: map[string]int32{},
		setIDs:  map[string]int32{},
		names:   map[string]bool{},
	}
	var errs []error
	for name, ts := range lexicons {
		for _, t := range ts {
			if err := CheckTerm(t); err != nil {
				errs = append(errs, fmt.Errorf("lexicon %s: %w", name, err))
			}
		}
		c.rs.lexicons[name] = append([]string(nil), ts...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Add compiles one rule. The error, when not nil, is an *ExprError or
// describes the spec (duplicate name, unknown severity).
func (c *Compiler) Add(spec RuleSpec) error {
	if spec.Name == "" {
		return errors.New("rule without a name")
	}
	if c.names[spec.Name] {
		return fmt.Errorf("rule %s: defined twice", spec.Name)
	}
	if spec.Severity == "" {
		spec.Severity = "medium"
	}
	if SeverityRank(spec.Severity) < 0 {
		return fmt.Errorf("rule %s: unknown severity %q (want one of info, low, medium, high, critical)", spec.Name, spec.Severity)
	}
	if spec.When == "" {
		return &ExprError{Rule: spec.Name, Field: "when", Msg: "is empty"}
	}
	r := rule{spec: spec, severity: spec.Severity}
	switch spec.Polarity {
	case "", "any":
	case "asserted":
		r.drop |= flagNegated | flagHedged
	default:
		return fmt.Errorf("rule %s: unknown polarity %q (want any or asserted)", spec.Name, spec.Polarity)
	}
	switch spec.Quotes {
	case "", "include":
	case "ignore":
		r.drop |= flagQuoted
	default:
		return fmt.Errorf("rule %s: unknown quotes %q (want include or ignore)", spec.Name, spec.Quotes)
	}
	switch spec.Delivery {
	case "", DeliveryImmediate:
		r.delivery = DeliveryImmediate
	case DeliveryDigest:
		r.delivery = DeliveryDigest
	default:
		return fmt.Errorf("rule %s: unknown delivery %q (want immediate or digest)", spec.Name, spec.Delivery)
	}
	if spec.Cooldown < 0 {
		return fmt.Errorf("rule %s: cooldown %v must not be negative", spec.Name, spec.Cooldown)
	}
	p := &patcher{c: c}
	var err error
	r.when, err = c.compileExpr(spec.Name, "when", spec.When, reflect.Bool, p)
	if err != nil {
		return err
	}
	slowWhen := p.slowArg != ""
	if spec.Score != "" {
		r.score, err = c.compileExpr(spec.Name, "score", spec.Score, reflect.Float64, p)
		if err != nil {
			return err
		}
	}
	r.needs = needsOf(r.when.Node())
	if p.slowArg != "" {
		r.slow = &SlowRule{Rule: spec.Name, Field: "when", Arg: p.slowArg}
		if !slowWhen {
			r.slow.Field = "score"
		}
	}
	// Fields run only on a match: their terms neither gate the rule nor
	// count as its evidence, so they get a patcher of their own.
	fp := &patcher{c: c}
	seenField := map[string]bool{}
	for _, f := range spec.Fields {
		where := "fields." + f.Name
		if f.Name == "" || seenField[f.Name] {
			return &ExprError{Rule: spec.Name, Field: where, Msg: "field name empty or used twice"}
		}
		seenField[f.Name] = true
		if f.Expr == "" {
			return &ExprError{Rule: spec.Name, Field: where, Msg: "is empty"}
		}
		prog, err := c.compileExpr(spec.Name, where, f.Expr, reflect.Invalid, fp)
		if err != nil {
			return err
		}
		r.fields = append(r.fields, eventField{name: f.Name, prog: prog})
	}
	c.rs.usesLang = c.rs.usesLang || fp.usesLang
	r.terms = p.terms
	r.ranks = termRanks(r.terms)
	if r.ranks != nil {
		r.termBits = setBits([][]int32{r.terms}, int(slices.Max(r.terms))+1)[0]
	}
	r.gate = p.terms
	for _, t := range p.gate {
		if !slices.Contains(r.gate, t) {
			r.gate = append(r.gate, t)
		}
	}
	r.gated = !p.dynamic && p.articleRefs == p.termRefs && !p.clock
	c.rs.usesLang = c.rs.usesLang || p.usesLang
	c.names[spec.Name] = true
	c.rs.rules = append(c.rs.rules, r)
	return nil
}

// Finish returns the compiled rule set. The Compiler must not be used after.
func (c *Compiler) Finish() *RuleSet {
	rs := c.rs
	rs.termIDs = c.termIDs
	rs.matcher = newMatcher(rs.terms)
	rs.termRules = make([][]int32, len(rs.terms))
	rs.setBits = setBits(rs.sets, len(rs.terms))
	rs.setWords = setWords(rs.setBits)
	// A gated rule that is true when no term occurs must run for every
	// article: find out by scoring an empty article.
	s := rs.NewScorer()
	s.a.reset("", "", len(rs.terms), false)
	s.env.Env = Env{Lex: rs.lexicons, a: &s.a, rs: rs}
	for i := range rs.rules {
		r := &rs.rules[i]
		if r.gated {
			out, err := s.vm.Run(r.when, &s.env)
			if b, ok := out.(bool); err != nil || !ok || b {
				r.gated = false
			}
		}
		if !r.gated {
			rs.always = append(rs.always, int32(i))
			continue
		}
		for _, t := range r.gate {
			rs.termRules[t] = append(rs.termRules[t], int32(i))
		}
	}
	return rs
}

// compileExpr compiles src (to a bool, a float64, or any value for
// reflect.Invalid) twice: first against the public helper
// signatures, for clean type errors; then with literal terms replaced by
// term-set ids, which is the program that runs.
func (c *Compiler) compileExpr(rule, fld, src string, want reflect.Kind, p *patcher) (*vm.Program, error) {
	if err := checkSource(rule, fld, src); err != nil {
		return nil, err
	}
	opts := []expr.Option{expr.MaxNodes(MaxNodes)}
	switch want {
	case reflect.Bool:
		opts = append(opts, expr.AsBool())
	case reflect.Float64:
		opts = append(opts, expr.AsFloat64())
	}
	check := &checker{lex: c.rs.lexicons}
	checkOpts := append([]expr.Option{expr.Env(Env{})}, opts...)
	checkOpts = append(checkOpts, publicHelpers()...)
	checkOpts = append(checkOpts, expr.Patch(check))
	if _, err := expr.Compile(src, checkOpts...); err != nil {
		return nil, exprError(rule, fld, src, err)
	}
	if check.err != nil {
		return nil, exprError(rule, fld, src, check.err)
	}
	p.err, p.lets = nil, check.lets
	runOpts := append([]expr.Option{expr.Env(runEnv{})}, opts...)
	runOpts = append(runOpts, publicHelpers()...)
	runOpts = append(runOpts, internalHelpers()...)
	runOpts = append(runOpts, finiteHelpers()...)
	runOpts = append(runOpts, expr.Patch(p))
	prog, err := expr.Compile(src, runOpts...)
	if p.err != nil {
		return nil, exprError(rule, fld, src, p.err)
	}
	if err != nil {
		return nil, exprError(rule, fld, src, err)
	}
	return prog, nil
}

// exprError turns an expr error into an *ExprError with a 1-based line and
// column inside src.
func exprError(rule, fld, src string, err error) *ExprError {
	e := &ExprError{Rule: rule, Field: fld, Msg: err.Error()}
	var fe *file.Error
	if errors.As(err, &fe) {
		e.Msg = fe.Message
		if fe.Line == 0 {
			fe = fe.Bind(file.NewSource(src))
		}
		e.Line, e.Column = fe.Line, fe.Column+1
	}
	return e
}

// positioned is an error at a node, for the visitors.
func positioned(n ast.Node, format string, args ...any) *file.Error {
	return &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
}

// termSet returns the id of the set of the given terms, compiling and
// interning them.
func (c *Compiler) termSet(terms []string) (int32, error) {
	ids := make([]int32, 0, len(terms))
	seen := map[int32]bool{}
	for _, s := range terms {
		t, err := parseTerm(s)
		if err != nil {
			return 0, err
		}
		k := t.key()
		id, ok := c.termIDs[k]
		if !ok {
			id = int32(len(c.rs.terms))
			c.rs.terms = append(c.rs.terms, t)
			c.termIDs[k] = id
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	key := fmt.Sprint(ids)
	if id, ok := c.setIDs[key]; ok {
		return id, nil
	}
	id := int32(len(c.rs.sets))
	c.rs.sets = append(c.rs.sets, ids)
	c.setIDs[key] = id
	return id, nil
}
