package engine

import (
	"reflect"
	"slices"

	"github.com/expr-lang/expr/ast"
)

// Compile time: the patcher, which rewrites helper calls to refer to
// interned term sets and records what gates the rule. Term arguments
// computed from literals are folded in computed.go.

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
	var ids []int
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
		ids = append(ids, int(id))
	}
	if len(unknown) > 0 {
		p.unknown(h, unknown)
	}
	if !constant {
		args := append([]ast.Node{env}, n.Arguments...)
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + h.name + "_dyn"}, Arguments: args})
		return
	}
	if call, ok := typedCall(h, ids, n.Arguments[nTerms:]); ok {
		ast.Patch(node, call)
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
