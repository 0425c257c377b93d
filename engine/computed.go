package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Computed term arguments.
//
// A helper argument that is not a literal term, a list or a lexicon is
// computed. When its value cannot depend on the article (only literals,
// lexicons, let variables bound to such values and pure builtins such as
// lower, upper, trim, split, map over a literal list: no article field, no
// helper, no time function), it is evaluated once when the rule is
// compiled and becomes literal terms, found by the matcher in its one pass
// and gating the rule like any other. Only the arguments that depend on the
// article are looked up at run time (see dynTerm), and the rule they appear
// in runs for every article; SlowRules lists those rules.

// letDecl is a let variable of an expression, as the checker saw it.
type letDecl struct {
	value ast.Node
	twice bool // declared more than once: never treated as constant
	// state is 0 before isConst has looked at the value, 1 while it does
	// (a cycle, impossible in expr, counts as not constant), 2 when the
	// value is constant, 3 when not.
	state uint8
}

// recordLet notes a let declaration seen by the checker.
func recordLet(lets map[string]*letDecl, n *ast.VariableDeclaratorNode) map[string]*letDecl {
	if lets == nil {
		lets = map[string]*letDecl{}
	}
	if d, ok := lets[n.Name]; ok {
		d.twice = true
		return lets
	}
	lets[n.Name] = &letDecl{value: n.Value}
	return lets
}

// constLet reports whether the let variable name is bound to a value that
// does not depend on the article.
func (p *patcher) constLet(name string) bool {
	d, ok := p.lets[name]
	if !ok || d.twice {
		return false
	}
	switch d.state {
	case 0:
		d.state = 1
		c := p.isConst(d.value, 0)
		d.state = 3
		if c {
			d.state = 2
		}
	case 1:
		return false
	}
	return d.state == 2
}

// isConst reports whether n can be evaluated when the rule is compiled:
// its value depends neither on the article nor on the clock. depth counts
// the predicates of n that enclose the node, inside which # is the
// element of a list that n itself provides.
func (p *patcher) isConst(n ast.Node, depth int) bool {
	switch x := n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.BytesNode, *ast.ConstantNode:
		return true
	case *ast.IdentifierNode:
		return x.Value == "lex" || p.constLet(x.Value)
	case *ast.PointerNode:
		return depth > 0
	case *ast.PredicateNode:
		return p.isConst(x.Node, depth+1)
	case *ast.BuiltinNode:
		if clockFuncs[x.Name] {
			return false
		}
		return p.allConst(x.Arguments, depth)
	case *ast.UnaryNode:
		return p.isConst(x.Node, depth)
	case *ast.BinaryNode:
		return p.isConst(x.Left, depth) && p.isConst(x.Right, depth)
	case *ast.ChainNode:
		return p.isConst(x.Node, depth)
	case *ast.MemberNode:
		return !x.Method && p.isConst(x.Node, depth) && p.isConst(x.Property, depth)
	case *ast.SliceNode:
		return p.isConst(x.Node, depth) && (x.From == nil || p.isConst(x.From, depth)) && (x.To == nil || p.isConst(x.To, depth))
	case *ast.ConditionalNode:
		return p.isConst(x.Cond, depth) && p.isConst(x.Exp1, depth) && p.isConst(x.Exp2, depth)
	case *ast.ArrayNode:
		return p.allConst(x.Nodes, depth)
	case *ast.MapNode:
		for _, pr := range x.Pairs {
			if !p.isConst(pr, depth) {
				return false
			}
		}
		return true
	case *ast.PairNode:
		return p.isConst(x.Key, depth) && p.isConst(x.Value, depth)
	case *ast.SequenceNode:
		return p.allConst(x.Nodes, depth)
	case *ast.CallNode:
		// The finiteness checks the patcher wraps around arithmetic
		// (guard.go) are as constant as what they check; helpers read
		// the article.
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && (id.Value == "__finite" || id.Value == "__finite_any") && len(x.Arguments) == 2 {
			return p.isConst(x.Arguments[0], depth)
		}
	}
	// Let declarations inside the argument, and anything unknown.
	return false
}

func (p *patcher) allConst(ns []ast.Node, depth int) bool {
	for _, n := range ns {
		if !p.isConst(n, depth) {
			return false
		}
	}
	return true
}

// foldTerms evaluates a constant term argument and returns its terms. ok
// is false when n is not constant; err is set when it is, but its value is
// not a string or a list of strings, or its evaluation fails.
func (p *patcher) foldTerms(n ast.Node) (terms []string, ok bool, err error) {
	if !p.isConst(n, 0) {
		return nil, false, nil
	}
	var src strings.Builder
	var emitted []string
	var emit func(n ast.Node)
	emit = func(n ast.Node) {
		// The let variables n reads, those they read first.
		ast.Find(n, func(m ast.Node) bool {
			id, ok := m.(*ast.IdentifierNode)
			if !ok || id.Value == "lex" || slices.Contains(emitted, id.Value) {
				return false
			}
			if d, ok := p.lets[id.Value]; ok {
				emitted = append(emitted, id.Value)
				emit(d.value)
				fmt.Fprintf(&src, "let %s = %s; ", id.Value, d.value.String())
			}
			return false
		})
	}
	emit(n)
	src.WriteString(n.String())
	prog, err := expr.Compile(src.String(), append(finiteHelpers(), expr.Env(Env{}))...)
	if err != nil {
		// The printed form did not compile: leave the argument to run time,
		// which computes it as written.
		return nil, false, nil
	}
	v, err := vm.Run(prog, &Env{Lex: p.c.rs.lexicons})
	if err != nil {
		return nil, true, fmt.Errorf("computing the terms: %w", err)
	}
	terms, err = flattenTerms([]any{v})
	if err != nil {
		return nil, true, err
	}
	return terms, true, nil
}

// computed records a term argument of helper h that is not constant, and
// reports whether the terms it can take are known: a conditional between
// constant terms (lang == "ar" ? lex.ar : lex.en). Those terms are
// interned, so the matcher finds them in its pass and the run-time lookup
// reads its hits, and they gate the rule: whichever the argument takes, a
// rule none of whose possible terms occurred sees no occurrence.
func (p *patcher) computed(h helper, arg ast.Node) bool {
	terms, known, err := p.possibleTerms(arg)
	if err != nil {
		p.err = positioned(arg, "%s: %v", h.name, err)
		return false
	}
	if !known {
		return false
	}
	id, err := p.c.termSet(terms)
	if err != nil {
		p.err = positioned(arg, "%s: %v", h.name, err)
		return false
	}
	for _, t := range p.c.rs.sets[id] {
		if !slices.Contains(p.gate, t) {
			p.gate = append(p.gate, t)
		}
	}
	p.termRefs += articleRefs(arg)
	return true
}

// unknown records the term arguments of a call of h whose terms are known
// only at run time (mentions(lower(title))). A helper that needs an
// occurrence of each of its two term arguments (near, same_sentence,
// before) is false when its other argument, constant or of known terms,
// has none: the rule can still be gated by those. Any other call makes the
// rule run for every article.
func (p *patcher) unknown(h helper, args []ast.Node) {
	bounded := false
	switch h.name {
	case "near", "same_sentence", "before":
		bounded = len(args) == 1
	}
	if p.slowArg == "" {
		p.slowArg = args[0].String()
	}
	if !bounded {
		p.dynamic = true
		return
	}
	p.termRefs += articleRefs(args[0])
}

// articleRefs counts the article fields n reads.
func articleRefs(n ast.Node) int {
	refs := 0
	ast.Find(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.IdentifierNode); ok && id.Value != "$env" && articleFields[id.Value] {
			refs++
		}
		return false
	})
	return refs
}

// possibleTerms returns every term that n can evaluate to, when that is
// known: n is constant, or a conditional whose branches are. A branch that
// fails to compute, or computes something other than terms, leaves the
// argument to run time, where the branch may never be taken.
func (p *patcher) possibleTerms(n ast.Node) ([]string, bool, error) {
	if ts, ok := p.constTerms(n); ok {
		return ts, true, nil
	}
	if ts, ok, err := p.foldTerms(n); ok || err != nil {
		return ts, ok, err
	}
	c, ok := n.(*ast.ConditionalNode)
	if !ok {
		return nil, false, nil
	}
	var out []string
	for _, b := range []ast.Node{c.Exp1, c.Exp2} {
		ts, ok, err := p.possibleTerms(b)
		if !ok || err != nil {
			return nil, false, nil
		}
		for _, t := range ts {
			if CheckTerm(t) != nil {
				return nil, false, nil
			}
		}
		out = append(out, ts...)
	}
	return out, true, nil
}

// SlowRule is a rule that leaves the one-pass path: see RuleSet.SlowRules.
type SlowRule struct {
	Rule string
	// Field is "when" or "score".
	Field string
	// Arg is the first term argument computed from the article, as expr
	// prints it.
	Arg string
	// Gated is false when the rule runs for every article; true when it
	// runs only when one of its other terms occurred (the argument is one
	// side of near, same_sentence or before).
	Gated bool
}

func (s SlowRule) String() string {
	how := "for every article"
	if s.Gated {
		how = "whenever the rule runs"
	}
	return fmt.Sprintf("rule %s: %s: term argument %s is computed from the article: its terms are looked up one by one %s, after the one pass over the text", s.Rule, s.Field, s.Arg, how)
}

// SlowRules lists the rules whose when or score compute term arguments
// from the article (mentions(lower(title))), in load order. Arguments
// computed from literals and lexicons alone are not listed: they are
// resolved when the rule is compiled.
func (rs *RuleSet) SlowRules() []SlowRule {
	var out []SlowRule
	for i := range rs.rules {
		if s := rs.rules[i].slow; s != nil {
			s := *s
			s.Gated = rs.rules[i].gated
			out = append(out, s)
		}
	}
	return out
}
