package engine

import (
	"strings"

	"github.com/expr-lang/expr/ast"
)

// need is a necessary condition for a rule's when to be true, in terms of
// which term sets occurred in the article: a set (one of its terms
// occurred), all of some needs, or any of them. It is read from the
// compiled expression (needsOf) and checked before the rule is evaluated
// (Scorer.mayMatch), so a rule whose terms cannot make it true is not run.
//
// The shipped pack's rules begin with alternatives ("a named leader
// killed, or a rank tied to the group killed"): every branch needs terms
// of its own, and an article that has none of any branch is skipped.
type need struct {
	op   needOp
	set  int32   // needSet
	kids []*need // needAll, needAny
}

type needOp uint8

const (
	needSet needOp = iota
	needAll
	needAny
)

// needsOf returns what must have occurred for the compiled expression n to
// be true, or nil when nothing is known. A helper that needs an occurrence
// (mentions, in_title, in_lead, near, same_sentence, before) needs its
// term-set arguments; a && b needs what a and b need; a || b needs what a
// or b needs, and nothing when either needs nothing. Anything else
// (negation, comparisons, counts, computed arguments) needs nothing, so a
// need is only ever a necessary condition.
func needsOf(n ast.Node) *need {
	switch x := n.(type) {
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			return join(needAll, needsOf(x.Left), needsOf(x.Right))
		case "||", "or":
			l, r := needsOf(x.Left), needsOf(x.Right)
			if l == nil || r == nil {
				return nil
			}
			return join(needAny, l, r)
		}
	case *ast.CallNode:
		return callNeeds(x)
	}
	return nil
}

// join returns the needs op of l and r (either may be nil, meaning
// nothing), flattening nested needs of the same op.
func join(op needOp, l, r *need) *need {
	var kids []*need
	for _, k := range []*need{l, r} {
		switch {
		case k == nil:
		case k.op == op:
			kids = append(kids, k.kids...)
		default:
			kids = append(kids, k)
		}
	}
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return &need{op: op, kids: kids}
}

// callNeeds returns the term sets a helper call with constant set
// arguments needs: all of them.
func callNeeds(x *ast.CallNode) *need {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil
	}
	var sets []int32
	first, n := 1, 0
	switch id.Value {
	case "__mentions_id", "__in_title_id", "__in_lead_id":
		first, n = 0, 1
	case "__same_sentence_id":
		first, n = 0, 2
	case "__near_id", "__before_id":
		if c, ok := x.Arguments[0].(*ast.IntegerNode); ok {
			a, b := unpairIDs(c.Value)
			sets = append(sets, int32(a), int32(b))
		}
	case "__mentions", "__in_title", "__in_lead":
		n = 1
	case "__near", "__same_sentence", "__before":
		n = 2
	}
	for i := first; i < first+n && i < len(x.Arguments); i++ {
		if c, ok := x.Arguments[i].(*ast.IntegerNode); ok {
			sets = append(sets, int32(c.Value))
		}
	}
	var out *need
	for _, s := range sets {
		out = join(needAll, out, &need{op: needSet, set: s})
	}
	return out
}

// holds reports whether the need is met by the article's occurrences.
func (nd *need) holds(a *analysis, rs *RuleSet) bool {
	switch nd.op {
	case needSet:
		return a.anyOccurred(rs, int(nd.set))
	case needAll:
		for _, k := range nd.kids {
			if !k.holds(a, rs) {
				return false
			}
		}
		return true
	default:
		for _, k := range nd.kids {
			if k.holds(a, rs) {
				return true
			}
		}
		return false
	}
}

// format writes the need with each set shown as its terms joined by |,
// for tests and debugging.
func (nd *need) format(rs *RuleSet) string {
	if nd == nil {
		return "nothing"
	}
	switch nd.op {
	case needSet:
		var terms []string
		for _, t := range rs.sets[nd.set] {
			terms = append(terms, rs.terms[t].src)
		}
		return strings.Join(terms, "|")
	}
	parts := make([]string, len(nd.kids))
	for i, k := range nd.kids {
		parts[i] = k.format(rs)
	}
	op := "all"
	if nd.op == needAny {
		op = "any"
	}
	return op + "(" + strings.Join(parts, " ") + ")"
}
