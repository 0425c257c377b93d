package engine

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Compile time: the table of rule helpers and their registration with
// expr, both the signatures users see and the rewritten forms that the
// patcher (compile_patch.go) calls. What the rewritten forms do at run time
// is in run_sets.go (literal terms) and run_dynamic.go (computed terms).

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
		expr.Function("__count", func(p ...any) (any, error) { e := envOf(p); return len(e.setPositions(p[1].(int))), nil }, new(func(any, int) int)),
		expr.Function("__in_title", func(p ...any) (any, error) { return envOf(p).inTitleSet(p[1].(int)), nil }, new(func(any, int) bool)),
		expr.Function("__near", func(p ...any) (any, error) {
			return envOf(p).nearSets(p[1].(int), p[2].(int), p[3].(int)), nil
		}, new(func(any, int, int, int) bool)),
		expr.Function("__same_sentence", func(p ...any) (any, error) {
			return envOf(p).sameSentenceSets(p[1].(int), p[2].(int)), nil
		}, new(func(any, int, int) bool)),
		expr.Function("__numbers_near", func(p ...any) (any, error) {
			return envOf(p).numbersNearSet(p[1].(int), p[2].(int)), nil
		}, new(func(any, int, int) []float64)),
		expr.Function("__negated", func(p ...any) (any, error) {
			e := envOf(p)
			return e.countFlagged(e.setPositionsKeeping(p[1].(int), flagNegated|flagHedged), flagNegated), nil
		}, new(func(any, int) int)),
		expr.Function("__hedged", func(p ...any) (any, error) {
			e := envOf(p)
			return e.countFlagged(e.setPositionsKeeping(p[1].(int), flagNegated|flagHedged), flagHedged), nil
		}, new(func(any, int) int)),
		expr.Function("__before", func(p ...any) (any, error) {
			return envOf(p).beforeSets(p[1].(int), p[2].(int), p[3].(int)), nil
		}, new(func(any, int, int, int) bool)),
		expr.Function("__in_lead", func(p ...any) (any, error) {
			e := envOf(p)
			return e.inLead(e.a.union(e.rs, p[1].(int)), p[2].(int)), nil
		}, new(func(any, int, int) bool)),
		expr.Function("__distinct", func(p ...any) (any, error) {
			e := envOf(p)
			return e.distinct(e.termHits(e.a.occurring(e.rs, p[1].(int)))), nil
		}, new(func(any, int) int)),
		expr.Function("__matched", func(p ...any) (any, error) {
			return envOf(p).matchedSet(p[1].(int)), nil
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
			return e.inLead(a, p[2].(int)), err
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

func envOf(p []any) *Env { return &p[0].(*runEnv).Env }

// runEnv is the environment compiled expressions run in: Env, and the
// commonest rewritten helper calls as functions of set ids bound to it
// (bind). expr calls a function field of these signatures directly, where
// a call of a function it was given as an option has its arguments copied
// into a slice allocated for every run. Two set ids are packed into one
// int (pairIDs). The check against the public signatures runs with Env
// alone, so rules cannot name these.
type runEnv struct {
	Env
	MentionsID     func(set int) bool     `expr:"__mentions_id"`
	CountID        func(set int) int      `expr:"__count_id"`
	InTitleID      func(set int) bool     `expr:"__in_title_id"`
	NegatedID      func(set int) int      `expr:"__negated_id"`
	HedgedID       func(set int) int      `expr:"__hedged_id"`
	DistinctID     func(set int) int      `expr:"__distinct_id"`
	InLeadID       func(set, k int) bool  `expr:"__in_lead_id"`
	SameSentenceID func(a, b int) bool    `expr:"__same_sentence_id"`
	NearID         func(pair, n int) bool `expr:"__near_id"`
	BeforeID       func(pair, n int) bool `expr:"__before_id"`
	// Fields read these two most: typed, they cost no argument list. expr
	// calls a function field without reflection only when its signature
	// is one of a fixed list, which has no function of ints returning a
	// list: these take and return any (an int; a []string, a []float64).
	MatchedID     func(set any) any    `expr:"__matched_id"`
	NumbersNearID func(set, n any) any `expr:"__numbers_near_id"`
}

// pairBits is the width of each set id packed by pairIDs.
const pairBits = 15

// pairIDs packs set ids a and b into one int, when both fit.
func pairIDs(a, b int) (int, bool) {
	if a < 0 || b < 0 || a >= 1<<pairBits || b >= 1<<pairBits {
		return 0, false
	}
	return a<<pairBits | b, true
}

// unpairIDs undoes pairIDs.
func unpairIDs(p int) (a, b int) { return p >> pairBits, p & (1<<pairBits - 1) }

// bind sets the function fields of r to the helpers' run-time forms over
// r.Env, as the Function options of internalHelpers do for their calls.
func (r *runEnv) bind() {
	e := &r.Env
	r.MentionsID = e.mentionsSet
	r.CountID = func(id int) int { return len(e.setPositions(id)) }
	r.InTitleID = e.inTitleSet
	r.NegatedID = func(id int) int {
		return e.countFlagged(e.setPositionsKeeping(id, flagNegated|flagHedged), flagNegated)
	}
	r.HedgedID = func(id int) int {
		return e.countFlagged(e.setPositionsKeeping(id, flagNegated|flagHedged), flagHedged)
	}
	r.DistinctID = func(id int) int { return e.distinct(e.termHits(e.a.occurring(e.rs, id))) }
	r.InLeadID = func(id, k int) bool { return e.inLead(e.a.union(e.rs, id), k) }
	r.SameSentenceID = e.sameSentenceSets
	r.NearID = func(pair, n int) bool {
		a, b := unpairIDs(pair)
		return e.nearSets(a, b, n)
	}
	r.MatchedID = func(id any) any { return e.matchedSet(id.(int)) }
	r.NumbersNearID = func(id, n any) any { return e.numbersNearSet(id.(int), n.(int)) }
	r.BeforeID = func(pair, n int) bool {
		a, b := unpairIDs(pair)
		return e.beforeSets(a, b, n)
	}
}

// typedCall returns the call of a function field of runEnv for a helper
// call with literal term sets ids and further arguments rest, when there
// is one.
func typedCall(h helper, ids []int, rest []ast.Node) (*ast.CallNode, bool) {
	var args []ast.Node
	switch h.name {
	case "mentions", "count", "in_title", "negated", "hedged", "distinct":
		if len(ids) == 1 && len(rest) == 0 {
			args = []ast.Node{&ast.IntegerNode{Value: ids[0]}}
		}
	case "matched":
		if len(ids) == 1 && len(rest) == 0 {
			args = []ast.Node{&ast.IntegerNode{Value: ids[0]}}
		}
	case "in_lead", "numbers_near":
		if len(ids) == 1 && len(rest) == 1 {
			args = []ast.Node{&ast.IntegerNode{Value: ids[0]}, rest[0]}
		}
	case "same_sentence":
		if len(ids) == 2 && len(rest) == 0 {
			args = []ast.Node{&ast.IntegerNode{Value: ids[0]}, &ast.IntegerNode{Value: ids[1]}}
		}
	case "near", "before":
		if len(ids) == 2 && len(rest) == 1 {
			if pair, ok := pairIDs(ids[0], ids[1]); ok {
				args = []ast.Node{&ast.IntegerNode{Value: pair}, rest[0]}
			}
		}
	}
	if args == nil {
		return nil, false
	}
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + h.name + "_id"}, Arguments: args}, true
}

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
