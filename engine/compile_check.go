package engine

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// Compile time: the checker, run over a rule's expression before expr
// compiles it.

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
