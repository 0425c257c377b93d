package engine

import (
	"slices"
	"strings"
	"testing"
)

// TestComputedTermsResolvedAtLoad checks that term arguments computed from
// literals and lexicons alone become literal terms when the rule is
// compiled: the rule is gated by them, like a rule written with literals,
// and its evidence lists them.
func TestComputedTermsResolvedAtLoad(t *testing.T) {
	tests := []struct {
		name     string
		when     string
		body     string
		evidence []string // terms of the evidence, in order
	}{
		{"lower", `mentions(lower("DAESH"))`, "Daesh fighters", []string{"daesh"}},
		{"concatenation", `mentions("cross" + "-border")`, "a cross border raid", []string{"cross-border"}},
		{"arabic concatenation", `mentions("دا" + "عش")`, "قال وداعش", []string{"داعش"}},
		{"let list", `let t = ["alpha", "beta"]; near(t, "gamma", 3)`, "beta and gamma", []string{"beta", "gamma"}},
		{"let of let", `let a = "alp"; let b = [a + "ha*"]; mentions(b)`, "alphabet soup", []string{"alpha*"}},
		{"map over a list", `count(map(["alph", "bet"], # + "*")) >= 2`, "alphas and betas", []string{"alph*", "bet*"}},
		{"lexicon plus computed", `mentions(concat(lex.smuggling, [upper("gunrun~")]))`, "gunrunning smuggled", []string{"GUNRUN~", "smuggl*"}},
		{"split", `mentions(split("alpha,beta", ","))`, "beta", []string{"beta"}},
		{"conditional on constants", `mentions(1 > 2 ? "alpha" : "beta")`, "alpha beta", []string{"beta"}},
		{"float arithmetic", `mentions(["alpha", "beta"][int(0.5 * 2)])`, "alpha beta", []string{"beta"}},
		{"quotes and backslashes", `mentions(trim(" \"alpha\"\t"))`, "an alpha", []string{`"alpha"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compile(t, testLex, tt.when)
			if len(rs.always) != 0 {
				t.Errorf("the rule runs for every article; want it gated by its computed terms")
			}
			if s := rs.SlowRules(); len(s) != 0 {
				t.Errorf("SlowRules = %v, want none", s)
			}
			res := rs.NewScorer().Score(Article{Body: tt.body})
			for _, e := range res.Errors {
				t.Errorf("run-time error: %v", e)
			}
			if len(res.Matches) != 1 {
				t.Fatalf("%d matches, want 1", len(res.Matches))
			}
			var got []string
			for _, e := range res.Matches[0].Evidence {
				got = append(got, e.Term)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.evidence) {
				t.Errorf("evidence %q, want %q", got, tt.evidence)
			}
		})
	}
}

// TestComputedTermsFromTheArticle checks that arguments that depend on the
// article, the clock or a predicate's element are left to run time, still
// match, and are listed by SlowRules.
func TestComputedTermsFromTheArticle(t *testing.T) {
	tests := []struct {
		name, when, score, title, body string
		slow                           string // the argument SlowRules names
		gated                          bool   // the rule runs only when one of its terms occurred
	}{
		{"title", `mentions(lower(title))`, "", "Daesh", "daesh here", "lower(title)", false},
		{"clock", `mentions(now().Year() > 2000 ? "alpha" : title)`, "", "", "alpha", `now().Year() > 2000 ? "alpha" : title`, false},
		{"element of a list", `any(["alpha", "beta"], mentions(#))`, "", "", "beta", "#", false},
		{"let from the article", `let t = [title]; mentions(t)`, "", "Gamma", "gamma", "t", false},
		{"in score only", `true`, `count(url + "alpha")`, "", "alpha", `url + "alpha"`, false},
		{"one side of near", `near("alpha", [title, "beta"], 3)`, "", "Gamma", "alpha gamma", `[title, "beta"]`, true},
		{"one side of before", `before(lower(title), "alpha", 3) || mentions("beta")`, "", "Gamma", "gamma alpha", `lower(title)`, true},
		{"both sides of near", `near(title, [title], 3)`, "", "Gamma", "gamma", `title`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCompiler(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Add(RuleSpec{Name: "r", When: tt.when, Score: tt.score}); err != nil {
				t.Fatal(err)
			}
			rs := c.Finish()
			if !matches(t, rs, tt.title, tt.body) {
				t.Errorf("no match")
			}
			s := rs.SlowRules()
			if len(s) != 1 || s[0].Arg != tt.slow || s[0].Rule != "r" {
				t.Fatalf("SlowRules = %+v, want rule r with argument %s", s, tt.slow)
			}
			if s[0].Gated != tt.gated || (len(rs.always) == 0) != tt.gated {
				t.Errorf("gated %v (runs always: %d), want %v", s[0].Gated, len(rs.always), tt.gated)
			}
			wantField := "when"
			if tt.score != "" {
				wantField = "score"
			}
			if s[0].Field != wantField {
				t.Errorf("SlowRules names field %s, want %s", s[0].Field, wantField)
			}
			if !strings.Contains(s[0].String(), "rule r: "+wantField+": term argument "+tt.slow+" is computed from the article") {
				t.Errorf("message %q", s[0])
			}
		})
	}
}

// TestComputedTermsWithKnownValues checks that an argument computed at run
// time whose possible terms are known when the rule is compiled (a
// conditional between constants) is not slow: the rule is gated by every
// term it can take, it runs as computed, and it is not listed by
// SlowRules.
func TestComputedTermsWithKnownValues(t *testing.T) {
	tests := []struct {
		name, when, source, body string
		always, match            bool
	}{
		{"first branch", `mentions(source == "feed:ar" ? "داعش" : ["isis", "daesh"])`, "feed:ar", "وداعش isis", false, true},
		{"second branch", `mentions(source == "feed:ar" ? "داعش" : ["isis", "daesh"])`, "feed:en", "Daesh", false, true},
		{"untaken branch does not count", `mentions(source == "feed:ar" ? "داعش" : ["isis", "daesh"])`, "feed:en", "وداعش", false, false},
		{"near", `near(source == "x" ? "alpha" : lex.smuggling, "border*", 3)`, "y", "smugglers at the border", false, true},
		{"clock never gated", `mentions(now().Year() > 2000 ? "alpha" : "beta")`, "", "alpha", true, true},
		{"field outside the argument", `mentions(source == "x" ? "alpha" : "beta") || source == "z"`, "z", "", true, true},
		{"invalid branch left to run time", `mentions(body == "x" ? 1 : "y")`, "", "y", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compile(t, testLex, tt.when)
			if got := len(rs.always) == 1; got != tt.always {
				t.Errorf("runs for every article: %v, want %v", got, tt.always)
			}
			if s := rs.SlowRules(); len(s) != 0 && tt.name != "invalid branch left to run time" {
				t.Errorf("SlowRules = %v, want none", s)
			}
			res := rs.NewScorer().Score(Article{Source: tt.source, Body: tt.body})
			for _, e := range res.Errors {
				t.Errorf("run-time error: %v", e)
			}
			if got := len(res.Matches) == 1; got != tt.match {
				t.Errorf("match %v, want %v", got, tt.match)
			}
		})
	}
}

func TestComputedTermErrorsAtLoad(t *testing.T) {
	tests := []struct{ name, when, msg string }{
		{"bad term", `mentions("a" + "*b")`, "'*' may only end a word"},
		{"not a string", `mentions(["a", 1][1])`, "terms must be strings"},
		{"fails", `mentions(["a"][3])`, "computing the terms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := NewCompiler(nil)
			err := c.Add(RuleSpec{Name: "r", When: tt.when})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}
