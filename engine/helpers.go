package engine

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// helper describes one rule helper: which arguments are terms, and its
// public signature for type checking.
type helper struct {
	name      string
	termArgs  int  // leading arguments that are terms (all of them when variadic)
	variadic  bool // every argument is a term
	signature any
}

var helpers = map[string]helper{
	"mentions":      {name: "mentions", variadic: true, signature: new(func(...any) bool)},
	"count":         {name: "count", variadic: true, signature: new(func(...any) int)},
	"in_title":      {name: "in_title", variadic: true, signature: new(func(...any) bool)},
	"near":          {name: "near", termArgs: 2, signature: new(func(any, any, int) bool)},
	"same_sentence": {name: "same_sentence", termArgs: 2, signature: new(func(any, any) bool)},
	"numbers_near":  {name: "numbers_near", termArgs: 1, signature: new(func(any, int) []float64)},
	"negated":       {name: "negated", variadic: true, signature: new(func(...any) int)},
	"hedged":        {name: "hedged", variadic: true, signature: new(func(...any) int)},
	"before":        {name: "before", termArgs: 2, signature: new(func(any, any, int) bool)},
	"in_lead":       {name: "in_lead", termArgs: 1, signature: new(func(any, int) bool)},
	"distinct":      {name: "distinct", variadic: true, signature: new(func(...any) int)},
	"matched":       {name: "matched", variadic: true, signature: new(func(...any) []string)},
}

// publicHelpers declares the helpers with the signatures users see. Their
// calls are always rewritten by the patcher, so these bodies never run.
func publicHelpers() []expr.Option {
	var opts []expr.Option
	for name, h := range helpers {
		name := name
		opts = append(opts, expr.Function(name, func(...any) (any, error) {
			return nil, fmt.Errorf("%s: internal error: call not compiled", name)
		}, h.signature))
	}
	return opts
}

// internalHelpers declares the rewritten forms: __NAME($env, set ids…, n)
// for literal terms, and __NAME_dyn($env, args…) for computed ones.
func internalHelpers() []expr.Option {
	return []expr.Option{
		expr.Function("__mentions", func(p ...any) (any, error) { return envOf(p).mentionsSet(p[1].(int)), nil }, new(func(any, int) bool)),
		expr.Function("__count", func(p ...any) (any, error) { e := envOf(p); return len(e.setPositions(p[1].(int), 0)), nil }, new(func(any, int) int)),
		expr.Function("__in_title", func(p ...any) (any, error) { return envOf(p).inTitleSet(p[1].(int)), nil }, new(func(any, int) bool)),
		expr.Function("__near", func(p ...any) (any, error) {
			e := envOf(p)
			return e.near(e.setPositions(p[1].(int), 0), e.setPositions(p[2].(int), 1), p[3].(int)), nil
		}, new(func(any, int, int, int) bool)),
		expr.Function("__same_sentence", func(p ...any) (any, error) {
			e := envOf(p)
			return e.sameSentence(e.setPositions(p[1].(int), 0), e.setPositions(p[2].(int), 1)), nil
		}, new(func(any, int, int) bool)),
		expr.Function("__numbers_near", func(p ...any) (any, error) {
			e := envOf(p)
			return e.numbersNear(e.setPositions(p[1].(int), 0), p[2].(int)), nil
		}, new(func(any, int, int) []float64)),
		expr.Function("__negated", func(p ...any) (any, error) {
			e := envOf(p)
			return e.countFlagged(e.setPositionsKeeping(p[1].(int), 0, flagNegated|flagHedged), flagNegated), nil
		}, new(func(any, int) int)),
		expr.Function("__hedged", func(p ...any) (any, error) {
			e := envOf(p)
			return e.countFlagged(e.setPositionsKeeping(p[1].(int), 0, flagNegated|flagHedged), flagHedged), nil
		}, new(func(any, int) int)),
		expr.Function("__before", func(p ...any) (any, error) {
			e := envOf(p)
			return e.before(e.setPositions(p[1].(int), 0), e.setPositions(p[2].(int), 1), p[3].(int)), nil
		}, new(func(any, int, int, int) bool)),
		expr.Function("__in_lead", func(p ...any) (any, error) {
			e := envOf(p)
			return e.inLead(e.setPositions(p[1].(int), 0), p[2].(int)), nil
		}, new(func(any, int, int) bool)),
		expr.Function("__distinct", func(p ...any) (any, error) {
			e := envOf(p)
			return e.distinct(e.termHits(e.rs.sets[p[1].(int)])), nil
		}, new(func(any, int) int)),
		expr.Function("__matched", func(p ...any) (any, error) {
			e := envOf(p)
			return e.matched(e.termHits(e.rs.sets[p[1].(int)])), nil
		}, new(func(any, int) []string)),

		expr.Function("__mentions_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			pos, err := e.dynPositions(p[1:], 0)
			return len(e.keep(pos)) > 0, err
		}, new(func(any, ...any) bool)),
		expr.Function("__count_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			pos, err := e.dynPositions(p[1:], 0)
			return len(e.keep(pos)), err
		}, new(func(any, ...any) int)),
		expr.Function("__in_title_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			pos, err := e.dynPositions(p[1:], 0)
			pos = e.keep(pos)
			return len(pos) > 0 && int(pos[0]) < e.a.titleToks, err
		}, new(func(any, ...any) bool)),
		expr.Function("__near_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			a, b, err := e.dynPair(p[1], p[2])
			if err != nil {
				return false, err
			}
			return e.near(a, b, p[3].(int)), nil
		}, new(func(any, any, any, int) bool)),
		expr.Function("__same_sentence_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			a, b, err := e.dynPair(p[1], p[2])
			if err != nil {
				return false, err
			}
			return e.sameSentence(a, b), nil
		}, new(func(any, any, any) bool)),
		expr.Function("__numbers_near_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			a, err := e.dynPositions(p[1:2], 0)
			return e.numbersNear(e.keep(a), p[2].(int)), err
		}, new(func(any, any, int) []float64)),
		expr.Function("__negated_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			pos, err := e.dynPositions(p[1:], 0)
			return e.countFlagged(e.keepOnly(pos, flagNegated|flagHedged), flagNegated), err
		}, new(func(any, ...any) int)),
		expr.Function("__hedged_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			pos, err := e.dynPositions(p[1:], 0)
			return e.countFlagged(e.keepOnly(pos, flagNegated|flagHedged), flagHedged), err
		}, new(func(any, ...any) int)),
		expr.Function("__before_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			a, b, err := e.dynPair(p[1], p[2])
			if err != nil {
				return false, err
			}
			return e.before(a, b, p[3].(int)), nil
		}, new(func(any, any, any, int) bool)),
		expr.Function("__in_lead_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			a, err := e.dynPositions(p[1:2], 0)
			return e.inLead(e.keep(a), p[2].(int)), err
		}, new(func(any, any, int) bool)),
		expr.Function("__distinct_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			hits, err := e.dynTermHits(p[1:])
			return e.distinct(hits), err
		}, new(func(any, ...any) int)),
		expr.Function("__matched_dyn", func(p ...any) (any, error) {
			e := envOf(p)
			hits, err := e.dynTermHits(p[1:])
			return e.matched(hits), err
		}, new(func(any, ...any) []string)),
	}
}

func envOf(p []any) *Env { return p[0].(*Env) }

// helperCall returns the helper a node calls, if it calls one.
func helperCall(node ast.Node) (*ast.CallNode, helper, bool) {
	n, ok := node.(*ast.CallNode)
	if !ok {
		return nil, helper{}, false
	}
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, helper{}, false
	}
	h, ok := helpers[id.Value]
	return n, h, ok
}

// checker validates helper arguments and lexicon names before the real
// compilation, so errors point at the argument the user wrote.
type checker struct {
	lex  map[string][]string
	lets map[string]*letDecl // let variables, for the patcher (computed.go)
	err  error
}

func (c *checker) Visit(node *ast.Node) {
	if c.err != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		c.lets = recordLet(c.lets, n)
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "lex" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				if _, ok := c.lex[s.Value]; !ok {
					c.err = positioned(n.Property, "unknown lexicon %q", s.Value)
				}
			}
		}
	case *ast.CallNode:
		_, h, ok := helperCall(n)
		if !ok {
			return
		}
		if h.variadic && len(n.Arguments) == 0 {
			c.err = positioned(n, "%s needs at least one term", h.name)
			return
		}
		for i, arg := range n.Arguments {
			if !h.variadic && i >= h.termArgs {
				break
			}
			if err := checkTermArg(h.name, i, arg); err != nil {
				c.err = err
				return
			}
		}
	}
}

// checkTermArg checks that arg can be a string or a list of strings, and
// that literal terms are valid.
func checkTermArg(fn string, i int, arg ast.Node) error {
	switch a := arg.(type) {
	case *ast.StringNode:
		if err := CheckTerm(a.Value); err != nil {
			return positioned(a, "%s: %v", fn, err)
		}
		return nil
	case *ast.ArrayNode:
		for _, el := range a.Nodes {
			if err := checkTermArg(fn, i, el); err != nil {
				return err
			}
		}
		return nil
	}
	t := arg.Type()
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		return nil
	case reflect.Slice, reflect.Array:
		switch t.Elem().Kind() {
		case reflect.String, reflect.Interface:
			return nil
		}
	}
	return positioned(arg, "%s: argument %d must be a string or a list of strings, not %s", fn, i+1, t)
}

// patcher rewrites helper calls: literal terms become term-set ids
// (__mentions($env, 3)); anything else calls the dynamic form. It records
// which terms a rule uses and whether it depends on more than term hits.
type patcher struct {
	c        *Compiler
	usesLang bool
	terms    []int32
	dynamic  bool
	// articleRefs counts the article fields the expression reads;
	// termRefs those read inside term arguments whose possible terms are
	// known (computed.go), which do not stop the rule being gated.
	articleRefs, termRefs int
	// gate holds the terms that arguments computed at run time can take:
	// they gate the rule without being its evidence.
	gate []int32
	// clock is set when the expression calls one of expr's time
	// functions: its value can change between articles with the same
	// terms, so the rule is never gated nor its calls folded.
	clock bool
	// lets are the let variables of the expression being compiled;
	// slowArg is the first term argument computed from the article.
	lets    map[string]*letDecl
	slowArg string
	err     error
}

// clockFuncs are expr's built-in time functions. now() reads the clock;
// the others are pure, but a rule calling them is treated the same, so a
// rule's gating never depends on which of them it uses.
var clockFuncs = map[string]bool{"now": true, "date": true, "duration": true, "timezone": true}

func (p *patcher) Visit(node *ast.Node) {
	if p.err != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if articleFields[n.Value] {
			p.articleRefs++
		}
		if n.Value == "lang" || n.Value == "$env" {
			p.usesLang = true
		}
	case *ast.BuiltinNode:
		if clockFuncs[n.Name] {
			p.clock = true
		}
		guardFinite(node)
	case *ast.CallNode:
		if _, h, ok := helperCall(n); ok {
			p.rewrite(node, n, h)
		}
	case *ast.BinaryNode:
		guardFinite(node)
	}
}

func (p *patcher) rewrite(node *ast.Node, n *ast.CallNode, h helper) {
	env := &ast.IdentifierNode{Value: "$env"}
	nTerms := h.termArgs
	if h.variadic {
		nTerms = len(n.Arguments)
	}
	// Literal terms: one set per term argument; variadic helpers take the
	// union of their arguments as one set. Arguments computed from
	// literals alone count as literal (computed.go).
	var sets [][]string
	var unknown []ast.Node // arguments whose terms are known only at run time
	constant := true
	for i := 0; i < nTerms && i < len(n.Arguments); i++ {
		arg := n.Arguments[i]
		ts, ok := p.constTerms(arg)
		if !ok {
			var err error
			if ts, ok, err = p.foldTerms(arg); err != nil {
				p.err = positioned(arg, "%s: %v", h.name, err)
				return
			}
			if ok {
				// Computed once, here, rather than for every article.
				lit := &ast.ArrayNode{Nodes: make([]ast.Node, len(ts))}
				for k, t := range ts {
					lit.Nodes[k] = &ast.StringNode{Value: t}
				}
				lit.SetLocation(arg.Location())
				n.Arguments[i] = lit
			}
		}
		if !ok {
			constant = false
			if !p.computed(h, arg) {
				unknown = append(unknown, arg)
			}
			continue
		}
		if h.variadic && len(sets) == 1 {
			sets[0] = append(sets[0], ts...)
		} else {
			sets = append(sets, ts)
		}
	}
	args := []ast.Node{env}
	for _, ts := range sets {
		id, err := p.c.termSet(ts)
		if err != nil {
			p.err = positioned(n, "%s: %v", h.name, err)
			return
		}
		for _, t := range p.c.rs.sets[id] {
			if !slices.Contains(p.terms, t) {
				p.terms = append(p.terms, t)
			}
		}
		args = append(args, &ast.IntegerNode{Value: int(id)})
	}
	if len(unknown) > 0 {
		p.unknown(h, unknown)
	}
	if !constant {
		args := append([]ast.Node{env}, n.Arguments...)
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + h.name + "_dyn"}, Arguments: args})
		return
	}
	args = append(args, n.Arguments[nTerms:]...)
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + h.name}, Arguments: args})
}

// constTerms returns the terms of a literal argument: a string, an array
// of strings, a lexicon, or a concatenation of those.
func (p *patcher) constTerms(n ast.Node) ([]string, bool) {
	switch a := n.(type) {
	case *ast.StringNode:
		return []string{a.Value}, true
	case *ast.ArrayNode:
		var out []string
		for _, el := range a.Nodes {
			ts, ok := p.constTerms(el)
			if !ok {
				return nil, false
			}
			out = append(out, ts...)
		}
		return out, true
	case *ast.MemberNode:
		if id, ok := a.Node.(*ast.IdentifierNode); ok && id.Value == "lex" {
			if s, ok := a.Property.(*ast.StringNode); ok {
				ts, ok := p.c.rs.lexicons[s.Value]
				return ts, ok
			}
		}
	case *ast.BinaryNode:
		// + joins lists here; on strings it concatenates them, which
		// foldTerms computes.
		if a.Operator == "+" && !isStringExpr(a) && !isStringExpr(a.Left) && !isStringExpr(a.Right) {
			l, ok1 := p.constTerms(a.Left)
			r, ok2 := p.constTerms(a.Right)
			if ok1 && ok2 {
				return append(l, r...), true
			}
		}
	}
	return nil, false
}

// isStringExpr reports whether n is a string literal or typed as a string.
func isStringExpr(n ast.Node) bool {
	if _, ok := n.(*ast.StringNode); ok {
		return true
	}
	t := n.Type()
	return t != nil && t.Kind() == reflect.String
}

// ---- run time ----

// mentionsSet reports whether any term of set id occurred.
func (e *Env) mentionsSet(id int) bool {
	for _, t := range e.rs.sets[id] {
		for _, p := range e.a.hits[t] {
			if e.kept(p) {
				return true
			}
		}
	}
	return false
}

func (e *Env) inTitleSet(id int) bool {
	for _, t := range e.rs.sets[id] {
		for _, p := range e.a.hits[t] {
			if int(p) >= e.a.titleToks {
				break
			}
			if e.kept(p) {
				return true
			}
		}
	}
	return false
}

// kept reports whether the occurrence at token p counts for the rule being
// evaluated (see RuleSpec.Polarity and RuleSpec.Quotes).
func (e *Env) kept(p int32) bool {
	return e.drop == 0 || e.a.flagsOf(p)&e.drop == 0
}

// setPositions returns the sorted, distinct start positions of the terms of
// set id that count for the rule, in scratch buffer k (0 or 1) when they
// must be merged or filtered.
func (e *Env) setPositions(id, k int) []int32 {
	return e.setPositionsKeeping(id, k, 0)
}

// setPositionsKeeping is setPositions with the flags in keep not dropped
// even when the rule drops them (negated and hedged count those).
func (e *Env) setPositionsKeeping(id, k int, keep uint8) []int32 {
	set := e.rs.sets[id]
	drop := e.drop &^ keep
	if drop == 0 && len(set) == 1 {
		return e.a.hits[set[0]]
	}
	buf := e.scratch[k][:0]
	if drop == 0 {
		for _, t := range set {
			buf = append(buf, e.a.hits[t]...)
		}
	} else {
		for _, t := range set {
			for _, p := range e.a.hits[t] {
				if e.a.flagsOf(p)&drop == 0 {
					buf = append(buf, p)
				}
			}
		}
	}
	e.scratch[k] = buf
	if len(set) == 1 {
		return buf
	}
	return sortDistinct(buf)
}

// keep filters positions computed at run time (which are in a scratch
// buffer of their own) in place, as setPositions does.
func (e *Env) keep(pos []int32) []int32 { return e.keepOnly(pos, 0) }

func (e *Env) keepOnly(pos []int32, keep uint8) []int32 {
	drop := e.drop &^ keep
	if drop == 0 || len(pos) == 0 {
		return pos
	}
	out := pos[:0]
	for _, p := range pos {
		if e.a.flagsOf(p)&drop == 0 {
			out = append(out, p)
		}
	}
	return out
}

// countFlagged counts the positions whose token has flag f.
func (e *Env) countFlagged(pos []int32, f uint8) int {
	if len(pos) == 0 {
		return 0
	}
	n := 0
	for _, p := range pos {
		if e.a.flagsOf(p)&f != 0 {
			n++
		}
	}
	return n
}

// event records that a condition of the rule held at token p; the
// sentences of events lead the summary.
func (e *Env) event(p ...int32) { e.events = append(e.events, p...) }

func sortDistinct(p []int32) []int32 {
	if len(p) < 2 {
		return p
	}
	slices.Sort(p)
	return slices.Compact(p)
}

// near reports whether some position of a is within n of one of b (both
// sorted), and records every such occurrence of a as an event.
func (e *Env) near(a, b []int32, n int) bool {
	i, j, ok := nearPair(a, b, n)
	if !ok {
		return false
	}
	e.event(b[j])
	// Record the rest too: the summary wants every sentence where the
	// condition held. b is swept once alongside a.
	lo := j
	for ; i < len(a) && len(e.events) < maxEvents; i++ {
		for lo < len(b) && int(b[lo]) < int(a[i])-n {
			lo++
		}
		if lo < len(b) && int(b[lo]) <= int(a[i])+n {
			e.event(a[i])
		}
	}
	return true
}

// maxEvents bounds the events one rule records on one article.
const maxEvents = 64

// nearPair returns indexes of a position of a and one of b at most n apart.
func nearPair(a, b []int32, n int) (int, int, bool) {
	if n < 0 {
		return 0, 0, false
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		d := int(a[i]) - int(b[j])
		if d <= n && d >= -n {
			return i, j, true
		}
		if a[i] < b[j] {
			i++
		} else {
			j++
		}
	}
	return 0, 0, false
}

func (e *Env) sameSentence(a, b []int32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	sent := e.a.sentenceIDs()
	// Both lists are sorted by position, so sentence ids are sorted too.
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		sa, sb := sent[a[i]], sent[b[j]]
		switch {
		case sa == sb:
			// Record every occurrence of a in a sentence that has one of b.
			for ; i < len(a) && j < len(b) && len(e.events) < maxEvents; i++ {
				for j < len(b) && sent[b[j]] < sent[a[i]] {
					j++
				}
				if j < len(b) && sent[b[j]] == sent[a[i]] {
					e.event(a[i])
				}
			}
			return true
		case sa < sb:
			i++
		default:
			j++
		}
	}
	return false
}

// before reports whether an occurrence in a is followed, in the same
// sentence, by one in b starting 1..n tokens later (both sorted).
func (e *Env) before(a, b []int32, n int) bool {
	if n < 1 || len(a) == 0 || len(b) == 0 {
		return false
	}
	var sent []int32
	found := false
	j := 0
	for _, pa := range a {
		for j < len(b) && b[j] <= pa {
			j++
		}
		for k := j; k < len(b) && int(b[k]) <= int(pa)+n; k++ {
			if sent == nil {
				sent = e.a.sentenceIDs()
			}
			if sent[pa] == sent[b[k]] {
				// Go on through a: the summary wants every sentence
				// where the order held.
				found = true
				e.event(pa, b[k])
				break
			}
		}
		if found && len(e.events) >= maxEvents {
			break
		}
	}
	return found
}

// inLead reports whether one of the sorted positions lies in the first k
// sentences of the body.
func (e *Env) inLead(pos []int32, k int) bool {
	if k < 1 {
		return false
	}
	for _, p := range pos {
		if int(p) < e.a.titleToks {
			continue
		}
		sent := e.a.sentenceIDs()
		base := int32(max(len(e.a.sentences(fieldTitle)), 1))
		return int(sent[p]-base) < k
	}
	return false
}

// termHit is the occurrences of one term that count for the rule.
type termHit struct {
	words int // words of the term
	pos   []int32
}

// termHits returns, for each term of the set, its occurrences that count.
func (e *Env) termHits(set []int32) []termHit {
	out := e.hitBuf[:0]
	for _, t := range set {
		h := e.a.hits[t]
		if len(h) == 0 {
			continue
		}
		if e.drop != 0 {
			var kept []int32
			for _, p := range h {
				if e.kept(p) {
					kept = append(kept, p)
				}
			}
			h = kept
		}
		out = append(out, termHit{words: len(e.rs.terms[t].words), pos: h})
	}
	e.hitBuf = out
	return out
}

// dynTermHits is termHits for terms computed at run time.
func (e *Env) dynTermHits(args []any) ([]termHit, error) {
	terms, err := flattenTerms(args)
	if err != nil {
		return nil, err
	}
	var out []termHit
	for _, s := range terms {
		pos, err := e.dynTerm(s)
		if err != nil {
			return nil, err
		}
		buf := append(e.scratch[2][:0], pos...)
		e.scratch[2] = buf
		if kept := e.keep(buf); len(kept) > 0 {
			out = append(out, termHit{words: len(e.dyn.terms[s].t.words), pos: slices.Clone(kept)})
		}
	}
	return out, nil
}

// flattenTerms turns helper arguments into the list of terms they hold.
func flattenTerms(args []any) ([]string, error) {
	var terms []string
	var add func(v any) error
	add = func(v any) error {
		switch x := v.(type) {
		case string:
			terms = append(terms, x)
		case []string:
			terms = append(terms, x...)
		case []any:
			for _, el := range x {
				if err := add(el); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%w, not %T", errTermType, v)
		}
		return nil
	}
	for _, v := range args {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return terms, nil
}

// distinct counts the terms that occurred.
func (e *Env) distinct(hits []termHit) int {
	n := 0
	for _, h := range hits {
		if len(h.pos) > 0 {
			n++
		}
	}
	return n
}

// matched returns the distinct surface forms of the occurrences, as
// written in the article, in document order. Where terms overlap, the
// longest occurrence at a position wins and occurrences inside it are
// skipped; forms differing only in case or normalisation are one.
func (e *Env) matched(hits []termHit) []string {
	out := []string{}
	if len(hits) == 0 {
		return out
	}
	type occ struct{ pos, end int32 }
	var occs []occ
	for _, h := range hits {
		for _, p := range h.pos {
			occs = append(occs, occ{p, p + int32(h.words) - 1})
		}
	}
	slices.SortFunc(occs, func(x, y occ) int {
		if x.pos != y.pos {
			return int(x.pos - y.pos)
		}
		return int(y.end - x.end)
	})
	seen := map[string]bool{}
	last := int32(-1)
	for _, o := range occs {
		if o.pos <= last {
			continue
		}
		last = o.end
		fi, s, en := e.a.origSpan(int(o.pos), int(min(o.end, int32(len(e.a.toks)-1))))
		form := collapseSpace(e.a.fields[fi].orig[s:en])
		key := lowerString(Normalize(form))
		if form == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, form)
	}
	return out
}

// numbersNear returns the numbers that lie within n tokens of one of the
// sorted positions (a number of several tokens, "1,200", counts from its
// nearest token).
func (e *Env) numbersNear(pos []int32, n int) []float64 {
	out := []float64{}
	if n < 0 || len(pos) == 0 {
		return out
	}
	j := 0
	for _, num := range e.a.numbers() {
		for j < len(pos) && int(pos[j]) < int(num.pos)-n {
			j++
		}
		if j < len(pos) && int(pos[j]) <= int(num.end)+n {
			out = append(out, num.value)
			if len(e.events) < maxEvents {
				e.event(pos[j], num.pos)
			}
		}
	}
	return out
}

var errTermType = errors.New("terms must be strings or lists of strings")

// dynPair returns the positions that count of the two term arguments of a
// helper such as near, computed at run time. Each side needs an
// occurrence: when one side has none, both are empty, and an invalid term
// on the other side is not an error (so such a rule can be gated by the
// terms of the side that is constant, computed.go).
func (e *Env) dynPair(x, y any) (a, b []int32, err error) {
	a, errA := e.dynPositions([]any{x}, 0)
	if a = e.keep(a); errA == nil && len(a) == 0 {
		return nil, nil, nil
	}
	b, errB := e.dynPositions([]any{y}, 1)
	if b = e.keep(b); errB == nil && len(b) == 0 {
		return nil, nil, nil
	}
	if err := errors.Join(errA, errB); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// dynPositions finds the terms given at run time (see dynTerm). Rules
// with literal terms never come here.
func (e *Env) dynPositions(args []any, k int) ([]int32, error) {
	terms, err := flattenTerms(args)
	if err != nil {
		return nil, err
	}
	buf := e.scratch[k][:0]
	for _, s := range terms {
		pos, err := e.dynTerm(s)
		if err != nil {
			return nil, err
		}
		buf = append(buf, pos...)
	}
	e.scratch[k] = buf
	return sortDistinct(buf), nil
}

// dynCache holds what computed terms cost to find.
type dynCache struct {
	terms map[string]dynTerm // parsed terms, kept across articles
	pos   map[string][]int32 // positions in the current article
}

type dynTerm struct {
	t   term
	id  int32 // the literal term with the same key, or -1
	err error
}

// maxDynTerms bounds the parsed terms a Scorer keeps.
const maxDynTerms = 4096

// dynTerm returns the start positions of term s in the article. A term
// that is also a literal term of the rule set reads the matcher's hits;
// another is looked up in the article's word index once per article.
func (e *Env) dynTerm(s string) ([]int32, error) {
	c := e.dyn
	if c == nil {
		c = &dynCache{terms: map[string]dynTerm{}, pos: map[string][]int32{}}
		e.dyn = c
	}
	d, ok := c.terms[s]
	if !ok {
		if len(c.terms) >= maxDynTerms {
			clear(c.terms)
		}
		d.t, d.err = parseTerm(s)
		d.id = -1
		if d.err == nil {
			if id, ok := e.rs.termIDs[d.t.key()]; ok {
				d.id = id
			}
		}
		c.terms[s] = d
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.id >= 0 {
		return e.a.hits[d.id], nil
	}
	if pos, ok := c.pos[s]; ok {
		return pos, nil
	}
	pos := e.a.dynScan(&d.t)
	c.pos[s] = pos
	return pos, nil
}

// tokenMatches reports whether token i matches w as the first word of a
// term: word forms and Arabic proclitics as the matcher applies them.
func (a *analysis) tokenMatches(i int, w *termWord, cs bool) bool {
	var tok string
	if cs && w.arBase == "" {
		tok = a.rawTok(i)
	} else {
		// Arabic letters have no case: the matcher compares lower-cased
		// tokens for these words, case-sensitive or not.
		tok = a.lowerTokString(i)
	}
	return w.matchesFirst(tok)
}
