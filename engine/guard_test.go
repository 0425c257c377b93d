package engine

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestNonFiniteIsAnError checks that arithmetic giving Inf or NaN makes
// the rule fail for the article, with a positioned error, instead of
// matching.
func TestNonFiniteIsAnError(t *testing.T) {
	tests := []struct {
		name    string
		spec    RuleSpec
		wantErr string // "" means the rule matches
	}{
		{"finite division", RuleSpec{When: "words / 2 > 1"}, ""},
		{"term list concatenation", RuleSpec{When: "mentions(lex.isis + ['signal'])"}, ""},
		{"max of numbers", RuleSpec{When: "max(numbers_near('killed', 3)) >= 5"}, ""},
		{"division by zero in when", RuleSpec{When: "words / 0 > 5"},
			"rule r: \"/\" gives +Inf, not a finite number (1:7)\n | words / 0 > 5\n | ......^"},
		{"zero by zero in when", RuleSpec{When: "!(0.0 / 0 > 5)"},
			"rule r: \"/\" gives NaN, not a finite number (1:7)\n | !(0.0 / 0 > 5)\n | ......^"},
		{"hidden by a later division", RuleSpec{When: "1 / (words / 0) == 0"},
			"rule r: \"/\" gives +Inf, not a finite number (1:12)\n | 1 / (words / 0) == 0\n | ...........^"},
		{"overflow", RuleSpec{When: "words * 1e300 * 1e10 > 1"},
			"rule r: \"*\" gives +Inf, not a finite number (1:15)\n | words * 1e300 * 1e10 > 1\n | ..............^"},
		{"power", RuleSpec{When: "words ** 400 > 1"},
			"rule r: \"**\" gives +Inf, not a finite number (1:7)\n | words ** 400 > 1\n | ......^"},
		{"builtin", RuleSpec{When: `float("inf") > 1`},
			"rule r: float() gives +Inf, not a finite number (1:1)\n | float(\"inf\") > 1\n | ^"},
		{"score", RuleSpec{When: "mentions('signal')", Score: "words / 0"},
			"rule r: \"/\" gives +Inf, not a finite number (1:7)\n | words / 0\n | ......^"},
		{"negative infinity in score", RuleSpec{When: "mentions('signal')", Score: "-words / 0"},
			"rule r: \"/\" gives -Inf, not a finite number (1:8)\n | -words / 0\n | .......^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCompiler(testLex)
			if err != nil {
				t.Fatal(err)
			}
			tc.spec.Name = "r"
			if err := c.Add(tc.spec); err != nil {
				t.Fatal(err)
			}
			res := c.Finish().NewScorer().Score(Article{Title: "Signal", Body: "The signal: 12 killed at the border by ISIS."})
			if tc.wantErr == "" {
				if len(res.Errors) > 0 || len(res.Matches) != 1 {
					t.Errorf("matches %v, errors %v; want a match", res.Matches, res.Errors)
				}
				return
			}
			if len(res.Matches) != 0 {
				t.Errorf("matched with score %v, want no match", res.Matches[0].Score)
			}
			if len(res.Errors) != 1 || res.Errors[0].Error() != tc.wantErr {
				t.Errorf("errors %q, want %q", res.Errors, tc.wantErr)
			}
		})
	}
}

// TestNonFiniteField checks that an event field that gives Inf is reported.
func TestNonFiniteField(t *testing.T) {
	c, _ := NewCompiler(nil)
	if err := c.Add(RuleSpec{Name: "r", When: "mentions('signal')", Fields: []FieldSpec{{Name: "x", Expr: "words / 0"}}}); err != nil {
		t.Fatal(err)
	}
	res := c.Finish().NewScorer().Score(Article{Title: "Signal", Body: "The signal."})
	want := "rule r: field x: \"/\" gives +Inf, not a finite number (1:7)\n | words / 0\n | ......^"
	if len(res.Matches) != 1 || res.Matches[0].Fields != nil || len(res.Errors) != 1 || res.Errors[0].Error() != want {
		t.Errorf("matches %v, errors %q; want the match without the field and %q", res.Matches, res.Errors, want)
	}
}

// TestSourceLimits checks that over-long and over-nested expressions are
// refused before parsing, promptly (a deadline, not a speed assertion: the
// parser took seconds on 100,000 parentheses and accepted them).
func TestSourceLimits(t *testing.T) {
	tests := []struct {
		name     string
		spec     RuleSpec
		field    string
		line     int
		col      int
		wantMsg  string
		compiles bool
	}{
		{"100,000 parentheses", RuleSpec{When: strings.Repeat("(", 100000) + "true" + strings.Repeat(")", 100000)},
			"when", 1, 1, "expression is 200004 bytes long, over the limit of 65536", false},
		{"32,000 parentheses", RuleSpec{When: strings.Repeat("(", 32000) + "true" + strings.Repeat(")", 32000)},
			"when", 1, 201, "nested deeper than 200 levels of parentheses and brackets", false},
		{"200 parentheses", RuleSpec{When: strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200)},
			"", 0, 0, "", true},
		{"brackets and braces count", RuleSpec{When: "true", Score: strings.Repeat("[", 100) + strings.Repeat("{a: ", 101) + "1" + strings.Repeat("}", 101) + strings.Repeat("]", 100) + " != nil ? 1 : 0"},
			"score", 1, 501, "nested deeper than 200 levels of parentheses and brackets", false},
		{"on a later line", RuleSpec{When: "true &&\n" + strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300)},
			"when", 2, 201, "nested deeper than 200 levels of parentheses and brackets", false},
		{"in a field", RuleSpec{When: "true", Fields: []FieldSpec{{Name: "f", Expr: strings.Repeat("(", 201) + "1" + strings.Repeat(")", 201)}}},
			"fields.f", 1, 201, "nested deeper than 200 levels of parentheses and brackets", false},
		{"brackets in strings and comments", RuleSpec{When: `title != "` + strings.Repeat("(", 300) + `\"(" && title != '` + strings.Repeat("[", 300) + "' && title != `" + strings.Repeat("{", 300) + "` // " + strings.Repeat("(", 300) + "\n/* " + strings.Repeat("(", 300) + " */"},
			"", 0, 0, "", true},
		{"over-long source", RuleSpec{When: "true" + strings.Repeat(" ", MaxExprLen)},
			"when", 1, 1, "expression is 65540 bytes long, over the limit of 65536", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCompiler(nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.spec.Name = "r"
			done := make(chan error, 1)
			go func() { done <- c.Add(tc.spec) }()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Add did not return within 5s")
			}
			if tc.compiles {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v (%T), want *ExprError", err, err)
			}
			if ee.Field != tc.field || ee.Line != tc.line || ee.Column != tc.col || ee.Msg != tc.wantMsg {
				t.Errorf("%s:%d:%d: %s\nwant %s:%d:%d: %s", ee.Field, ee.Line, ee.Column, ee.Msg, tc.field, tc.line, tc.col, tc.wantMsg)
			}
		})
	}
}
