package engine

import (
	"fmt"
	"math"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Limits on the source of one rule expression, checked before it is
// parsed: the parser's cost grows with nesting, and a rule of 100,000
// nested parentheses would hold a reload for seconds.
const (
	// MaxExprLen is the longest expression source, in bytes (64 KiB).
	MaxExprLen = 64 << 10
	// MaxExprDepth is the deepest nesting of parentheses, brackets and
	// braces in an expression.
	MaxExprDepth = 200
)

// checkSource refuses an expression source that is too long or nested too
// deep, with the position of the problem (1-based line and rune column).
// The scan skips string literals and comments, as the expression lexer
// does, so brackets inside them do not count.
func checkSource(rule, fld, src string) *ExprError {
	if len(src) > MaxExprLen {
		return &ExprError{Rule: rule, Field: fld, Line: 1, Column: 1,
			Msg: fmt.Sprintf("expression is %d bytes long, over the limit of %d", len(src), MaxExprLen)}
	}
	rs := []rune(src)
	line, col, depth := 1, 0, 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		col++
		if r == '\n' {
			line, col = line+1, 0
		}
		// skipTo moves i to the end of a string or comment, keeping the
		// line and column.
		skipTo := func(end func(j int) bool) {
			for i+1 < len(rs) {
				i++
				col++
				if rs[i] == '\n' {
					line, col = line+1, 0
				}
				if end(i) {
					return
				}
			}
		}
		switch r {
		case '"', '\'':
			escaped := false
			skipTo(func(j int) bool {
				switch {
				case escaped:
					escaped = false
				case rs[j] == '\\':
					escaped = true
				case rs[j] == r:
					return true
				}
				return false
			})
		case '`':
			skipTo(func(j int) bool { return rs[j] == '`' })
		case '/':
			switch {
			case i+1 < len(rs) && rs[i+1] == '/':
				skipTo(func(j int) bool { return j+1 < len(rs) && rs[j+1] == '\n' })
			case i+1 < len(rs) && rs[i+1] == '*':
				i++
				col++
				skipTo(func(j int) bool { return rs[j] == '/' && rs[j-1] == '*' })
			}
		case '(', '[', '{':
			if depth++; depth > MaxExprDepth {
				return &ExprError{Rule: rule, Field: fld, Line: line, Column: col,
					Msg: fmt.Sprintf("nested deeper than %d levels of parentheses and brackets", MaxExprDepth)}
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// Non-finite numbers. Division by zero gives ±Inf or NaN, and these
// compare in ways no rule means (+Inf > 5 is true, and so is !(NaN > 5)):
// every arithmetic operation and builtin that gives a float is checked at
// run time, and a non-finite result is an error of the rule for that
// article, never a match.

// arithmetic lists the operators whose float result is checked.
var arithmetic = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "**": true, "^": true}

// finiteHelpers declares the run-time checks the patcher inserts:
// __finite(x, op) for a float, __finite_any(x, op) for a value whose type
// is known only at run time.
func finiteHelpers() []expr.Option {
	return []expr.Option{
		expr.Function("__finite", func(p ...any) (any, error) {
			return p[0], finite(p[0], p[1].(string))
		}, new(func(float64, string) float64)),
		expr.Function("__finite_any", func(p ...any) (any, error) {
			return p[0], finite(p[0], p[1].(string))
		}, new(func(any, string) any)),
	}
}

// finite returns an error when v is a float that is not finite.
func finite(v any, op string) error {
	f, ok := v.(float64)
	if !ok || !math.IsInf(f, 0) && !math.IsNaN(f) {
		return nil
	}
	return fmt.Errorf("%s gives %v, not a finite number", op, f)
}

// numericBuiltins lists the builtins whose float result is checked.
var numericBuiltins = map[string]bool{
	"abs": true, "ceil": true, "floor": true, "round": true, "float": true,
	"max": true, "min": true, "sum": true, "mean": true, "median": true,
}

// guardFinite wraps the node at *node in a finiteness check when it is an
// arithmetic operation or a numeric builtin call that may give a float.
// One whose type is known only at run time is checked when its operands
// may be numbers: "+" of two term lists is left alone (the patcher reads
// it as one list of terms).
func guardFinite(node *ast.Node) {
	var op string
	var operands []ast.Node
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if !arithmetic[n.Operator] {
			return
		}
		op, operands = fmt.Sprintf("%q", n.Operator), []ast.Node{n.Left, n.Right}
	case *ast.BuiltinNode:
		if !numericBuiltins[n.Name] {
			return
		}
		op = n.Name + "()"
	default:
		return
	}
	fn := "__finite"
	switch t := (*node).Type(); {
	case t != nil && t.Kind() == reflect.Float64:
	case unknown(t):
		for _, o := range operands {
			if t := o.Type(); !unknown(t) && !numeric(t) {
				return
			}
		}
		fn = "__finite_any"
	default:
		return
	}
	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: fn},
		Arguments: []ast.Node{*node, &ast.StringNode{Value: op}},
	})
}

func unknown(t reflect.Type) bool { return t == nil || t.Kind() == reflect.Interface }

func numeric(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
