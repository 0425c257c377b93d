package engine

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// scoreOne compiles spec alone and scores one article with it.
func scoreOne(t *testing.T, spec RuleSpec, lex map[string][]string, title, body string) Result {
	t.Helper()
	c, err := NewCompiler(lex)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name == "" {
		spec.Name = "r"
	}
	if err := c.Add(spec); err != nil {
		t.Fatalf("compile %+v: %v", spec, err)
	}
	res := c.Finish().NewScorer().Score(Article{Title: title, Body: body})
	for _, e := range res.Errors {
		t.Errorf("run-time error: %v", e)
	}
	return res
}

// TestPolarityCues has one case per cue: with polarity: asserted, an event
// word in the cue's scope does not count; the same sentence without the cue
// does.
func TestPolarityCues(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool // rule with polarity: asserted matches
	}{
		{"plain fact", "Police arrested five suspects.", true},
		{"not", "Police did not arrest the suspects.", false},
		{"n't", "Police didn't arrest the suspects.", false},
		{"curly n't", "Police didn’t arrest the suspects.", false},
		{"won't", "Police won't arrest the suspects.", false},
		{"no", "There were no arrests in the town.", false},
		{"never", "The men were never arrested.", false},
		{"without", "They left without being arrested.", false},
		{"nor", "Nor were any suspects arrested.", false},
		{"cannot", "Police cannot arrest him there.", false},
		{"failed to", "Police failed to arrest the leader.", false},
		{"denied", "The ministry denied arresting the journalist.", false},
		{"could", "Police could arrest the leader soon.", false},
		{"would", "Officials said police would arrest the men.", false},
		{"might", "Police might arrest more suspects.", false},
		{"may", "Police may arrest more suspects.", false},
		{"May the month is no cue", "In May police arrested five suspects.", true},
		{"if", "If police arrest the leader, the cell collapses.", false},
		{"plans to", "The government plans to arrest the organisers.", false},
		{"aims to", "The operation aims to arrest the organisers.", false},
		{"threatens to", "The minister threatens to arrest the organisers.", false},
		{"seeks to", "The court seeks to arrest the organisers.", false},
		{"allegedly", "The man allegedly arrested the journalist.", false},
		{"help foil", "ID cards help foil arrests of the wrong people.", false},
		{"scope ends at comma", "Police did not say how, but arrested five suspects.", true},
		{"scope ends at but", "Police did not comment but arrested five suspects.", true},
		{"scope ends at sentence", "The ministry did not comment. Police arrested five suspects.", true},
		{"scope is bounded", "Officials did not give the names of the many people that police later arrested.", true},
		{"not only is no cue", "Police not only arrested five suspects.", true},
		{"failed alone is no cue", "After a failed raid police arrested five suspects.", true},
		{"arabic lam", "لم تعتقل الشرطة احدا", false},
		{"arabic la with waw", "ولا تعتقل الشرطة احدا", false},
		{"arabic fact", "اعتقلت الشرطة خمسة", true},
		{"arabic qad before an imperfect verb", "قد تعتقل الشرطة خمسة", false},
		{"arabic qad before a past verb asserts", "وقد اعتقلت الشرطة خمسة", true},
		{"arabic qad before tamma asserts", "قد تم اعتقال خمسة", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			when := `mentions("arrest*", "اعتقل*", "تعتقل*", "اعتقال")`
			res := scoreOne(t, RuleSpec{When: when, Polarity: "asserted"}, nil, "", tt.body)
			if got := len(res.Matches) > 0; got != tt.want {
				t.Errorf("asserted rule matched = %v, want %v", got, tt.want)
			}
			// Without polarity the occurrence always counts.
			if res := scoreOne(t, RuleSpec{When: when}, nil, "", tt.body); len(res.Matches) == 0 {
				t.Errorf("rule with polarity any did not match")
			}
		})
	}
}

func TestNegatedHedgedCount(t *testing.T) {
	body := "Police did not arrest him. Police could arrest her. Police arrested them."
	for _, tt := range []struct {
		when string
		want bool
	}{
		{`negated("arrest*") == 1`, true},
		{`hedged("arrest*") == 1`, true},
		{`count("arrest*") == 3`, true},
	} {
		res := scoreOne(t, RuleSpec{When: tt.when}, nil, "", body)
		if got := len(res.Matches) > 0; got != tt.want {
			t.Errorf("%s = %v, want %v", tt.when, got, tt.want)
		}
		// negated and hedged count also in rules that ignore such occurrences.
		res = scoreOne(t, RuleSpec{When: tt.when, Polarity: "asserted"}, nil, "", body)
		if strings.HasPrefix(tt.when, "count") {
			continue
		}
		if got := len(res.Matches) > 0; got != tt.want {
			t.Errorf("asserted %s = %v, want %v", tt.when, got, tt.want)
		}
	}
	// An asserted rule counts only the asserted occurrence.
	if res := scoreOne(t, RuleSpec{When: `count("arrest*") == 1`, Polarity: "asserted"}, nil, "", body); len(res.Matches) == 0 {
		t.Error("asserted count != 1")
	}
	// in_lead of an asserted rule looks past the negated and hedged
	// occurrences of the lead, whether its terms are literal or computed
	// from the article (the source here).
	for _, tt := range []struct {
		when string
		want bool
	}{
		{`in_lead("arrest*", 2)`, false},
		{`in_lead("arrest*", 3)`, true},
		{`in_lead(source + "*", 2)`, false},
		{`in_lead(source + "*", 3)`, true},
	} {
		c, err := NewCompiler(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Add(RuleSpec{Name: "r", When: tt.when, Polarity: "asserted"}); err != nil {
			t.Fatal(err)
		}
		res := c.Finish().NewScorer().Score(Article{Body: body, Source: "arrest"})
		if got := len(res.Matches) > 0; got != tt.want {
			t.Errorf("asserted %s = %v, want %v", tt.when, got, tt.want)
		}
		// Every occurrence counts without polarity: the first is in the lead.
		c, _ = NewCompiler(nil)
		if err := c.Add(RuleSpec{Name: "r", When: tt.when}); err != nil {
			t.Fatal(err)
		}
		if res := c.Finish().NewScorer().Score(Article{Body: body, Source: "arrest"}); len(res.Matches) == 0 {
			t.Errorf("%s did not match without polarity", tt.when)
		}
	}
}

func TestQuotes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool // rule with quotes: ignore matches
	}{
		{"reported", "Gunmen attacked a checkpoint.", true},
		{"straight quotes", `The minister said "we will attack them everywhere" on Monday.`, false},
		{"curly quotes", "The minister said “we will attack them everywhere” on Monday.", false},
		{"guillemets", "Le ministre a dit «attack» hier.", false},
		{"after the quote", `"We are ready," he said. Gunmen attacked a checkpoint.`, true},
		{"unclosed quote ends with paragraph", "He said \"nothing more.\n\nGunmen attacked a checkpoint.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scoreOne(t, RuleSpec{When: `mentions("attack*")`, Quotes: "ignore"}, nil, "", tt.body)
			if got := len(res.Matches) > 0; got != tt.want {
				t.Errorf("matched = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOrderAndZones(t *testing.T) {
	tests := []struct {
		name, when, title, body string
		want                    bool
	}{
		{"before in order", `before("killed", "commander", 5)`, "", "Troops killed a senior commander.", true},
		{"before reversed", `before("commander", "killed", 5)`, "", "Troops killed a senior commander.", false},
		{"before too far", `before("killed", "commander", 2)`, "", "Troops killed a senior commander.", false},
		{"before at exactly n", `before("killed", "commander", 3)`, "", "Troops killed a senior commander.", true},
		{"before not across sentences", `before("killed", "commander", 10)`, "", "Troops killed two. The commander fled.", false},
		{"before n zero", `before("killed", "killed", 0)`, "", "killed killed", false},
		{"in_lead first sentence", `in_lead("bomb*", 1)`, "", "A bomb exploded in Mosul. Police came.", true},
		{"in_lead too deep", `in_lead("bomb*", 1)`, "", "Police came to Mosul. A bomb had exploded there.", false},
		{"in_lead k=2", `in_lead("bomb*", 2)`, "", "Police came to Mosul. A bomb had exploded there.", true},
		{"in_lead ignores title", `in_lead("bomb*", 1)`, "Bomb in Mosul", "Police came. Nothing else.", false},
		{"distinct counts terms", `distinct("bomb*", "kill*", "mosul", "absent") == 3`, "", "A bomb killed two in Mosul; the bomb was big.", true},
		{"distinct not occurrences", `distinct("bomb*") == 1`, "", "bomb bomb bomb", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scoreOne(t, RuleSpec{When: tt.when}, nil, tt.title, tt.body)
			if got := len(res.Matches) > 0; got != tt.want {
				t.Errorf("matched = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFields(t *testing.T) {
	lex := map[string][]string{
		"places": {"Mosul", "Tal Afar", "Tal"},
		"groups": {"ISIS", "Islamic State", "Daesh"},
	}
	spec := RuleSpec{
		When: `mentions("arrest*")`,
		Fields: []FieldSpec{
			{Name: "arrested", Expr: `max(numbers_near("arrest*", 4))`},
			{Name: "place", Expr: `matched(lex.places)`},
			{Name: "group", Expr: `matched(lex.groups)`},
			{Name: "none", Expr: `matched("absent")`},
			{Name: "note", Expr: `"x"`},
		},
	}
	body := "Forces arrested 160 ISIS suspects in Tal Afar and MOSUL. Daesh and the Islamic State, isis again, and Mosul and Mōsul again."
	res := scoreOne(t, spec, lex, "", body)
	if len(res.Matches) != 1 {
		t.Fatalf("matches: %+v", res.Matches)
	}
	got := res.Matches[0].Fields
	want := map[string]any{
		"arrested": 160.0,
		"place":    []string{"Tal Afar", "MOSUL"},
		"group":    []string{"ISIS", "Daesh", "Islamic State"},
		"note":     "x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %#v\nwant %#v", got, want)
	}
	// A field that fails is reported and left out; the rule still matches.
	c, _ := NewCompiler(lex)
	if err := c.Add(RuleSpec{Name: "r", When: spec.When, Fields: []FieldSpec{{Name: "first", Expr: `numbers_near("absent", 1)[0]`}}}); err != nil {
		t.Fatal(err)
	}
	res = c.Finish().NewScorer().Score(Article{Body: body})
	if len(res.Matches) != 1 || res.Matches[0].Fields != nil || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "field first") {
		t.Errorf("failing field: matches %+v errors %v", res.Matches, res.Errors)
	}
}

func TestFieldCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		field FieldSpec
		want  string
	}{
		{"syntax", FieldSpec{Name: "k", Expr: "max(("}, "rule r: fields.k:1:"},
		{"bad term", FieldSpec{Name: "k", Expr: `matched("a*b")`}, "rule r: fields.k:1:9: matched: term \"a*b\": '*' may only end a word"},
		{"empty", FieldSpec{Name: "k", Expr: ""}, "rule r: fields.k: is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := NewCompiler(nil)
			err := c.Add(RuleSpec{Name: "r", When: "true", Fields: []FieldSpec{tt.field}})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want prefix %q", err, tt.want)
			}
		})
	}
	c, _ := NewCompiler(nil)
	if err := c.Add(RuleSpec{Name: "r", When: "true", Polarity: "positive"}); err == nil || !strings.Contains(err.Error(), `unknown polarity "positive"`) {
		t.Errorf("bad polarity: %v", err)
	}
	if err := c.Add(RuleSpec{Name: "r", When: "true", Quotes: "skip"}); err == nil || !strings.Contains(err.Error(), `unknown quotes "skip"`) {
		t.Errorf("bad quotes: %v", err)
	}
}

// TestEvents checks that the positions where conditions held reach the match.
func TestEvents(t *testing.T) {
	body := "Nothing here at all today. Police arrested 160 suspects in Mosul. More later."
	res := scoreOne(t, RuleSpec{When: `near("arrest*", "suspects", 3) && any(numbers_near("arrest*", 3), # > 100)`}, nil, "", body)
	if len(res.Matches) != 1 {
		t.Fatal("no match")
	}
	ev := res.Matches[0].events
	if len(ev) == 0 {
		t.Fatal("no events")
	}
	for _, p := range ev {
		if p < 5 || p > 10 {
			t.Errorf("event at token %d, outside the second sentence", p)
		}
	}
}

// FuzzPolarity checks the v2 helpers on arbitrary text: nothing panics,
// an asserted rule never counts more than the plain one, negated and
// hedged occurrences are some of all occurrences, and every matched form
// is text of the article.
func FuzzPolarity(f *testing.F) {
	f.Add("did not arrest “him” but arrested her", "arrest*")
	f.Add("لم تعتقل، ولا اعتقل\n\n\"quoted arrest", "اعتقل*")
	f.Add("won't, can't. \"a\" «b» may May if", "b")
	f.Fuzz(func(t *testing.T, body, term string) {
		if !utf8.ValidString(term) || CheckTerm(term) != nil {
			return
		}
		q := strconv.Quote(term)
		c, _ := NewCompiler(nil)
		for _, spec := range []RuleSpec{
			{Name: "plain", When: "true", Fields: []FieldSpec{{Name: "n", Expr: "count(" + q + ")"}, {Name: "neg", Expr: "negated(" + q + ") + hedged(" + q + ")"}, {Name: "forms", Expr: "matched(" + q + ")"}}},
			{Name: "asserted", When: "true", Polarity: "asserted", Quotes: "ignore", Fields: []FieldSpec{
				{Name: "n", Expr: "count(" + q + ")"},
				{Name: "d", Expr: "distinct(" + q + ") + (before(" + q + ", " + q + ", 5) ? 1 : 0) + (in_lead(" + q + ", 2) ? 1 : 0)"},
			}},
		} {
			if err := c.Add(spec); err != nil {
				t.Fatal(err)
			}
		}
		res := c.Finish().NewScorer().Score(Article{Title: "t", Body: body})
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		var plain, asserted map[string]any
		for _, m := range res.Matches {
			if m.Rule == "plain" {
				plain = m.Fields
			} else {
				asserted = m.Fields
			}
		}
		n := plain["n"].(int)
		if a := asserted["n"].(int); a > n {
			t.Errorf("asserted count %d > count %d", a, n)
		}
		if neg := plain["neg"].(int); neg > n {
			t.Errorf("negated+hedged %d > count %d", neg, n)
		}
		forms, _ := plain["forms"].([]string)
		for _, f := range forms {
			if !strings.Contains(collapseSpace(body), f) && !strings.Contains("t", f) {
				t.Errorf("matched form %q is not in the article", f)
			}
		}
	})
}

// TestRuleNeeds checks the presearch conditions taken from when: helper
// calls joined by && are all needed, alternatives joined by || each need
// their own, and anything that can be true without an occurrence needs
// nothing, so a rule is skipped only when it cannot match.
func TestRuleNeeds(t *testing.T) {
	tests := []struct {
		when string
		want string
	}{
		{`mentions("a") && near("b", "c", 3)`, "all(a b c)"},
		{`mentions("a") and before("b", "c", 3) and in_lead("d", 2)`, "all(a b c d)"},
		{`mentions("a") || mentions("b")`, "any(a b)"},
		{`mentions("a") or in_title("b") or same_sentence("c", "d")`, "any(a b all(c d))"},
		{`(before("a", "b", 3) || mentions("c")) && mentions("d")`, "all(any(all(a b) c) d)"},
		{`mentions("a") || count("b") > 0`, "nothing"},
		{`mentions("a") || !mentions("b")`, "nothing"},
		{`!mentions("a") && mentions("b")`, "b"},
		{`count("a") >= 2 && mentions("b")`, "b"},
		{`mentions("a", "b")`, "a|b"},
		{`words > 3 && same_sentence("a", "b")`, "all(a b)"},
		{`any(numbers_near("a", 3), # > 1)`, "nothing"},
		{`mentions("a") ? mentions("b") : mentions("c")`, "nothing"},
	}
	for _, tt := range tests {
		c, _ := NewCompiler(nil)
		if err := c.Add(RuleSpec{Name: "r", When: tt.when}); err != nil {
			t.Fatal(err)
		}
		rs := c.Finish()
		if got := rs.rules[0].needs.format(rs); got != tt.want {
			t.Errorf("%s: needs %s, want %s", tt.when, got, tt.want)
		}
	}
	// A rule none of whose alternatives' terms occurred is not run; one
	// whose second alternative's did is run, and matches.
	rs := compile(t, nil, `words > 0 && (near("alpha", "beta", 2) || mentions("gamma"))`)
	for _, tt := range []struct {
		body       string
		may, match bool
	}{
		{"alpha then beta", true, true},
		{"alpha and much later beta", true, false},
		{"alpha alone, and delta", false, false},
		{"only gamma", true, true},
		{"beta ... alpha far", true, true},
	} {
		s := rs.NewScorer()
		res := s.Score(Article{Body: tt.body})
		if got := s.mayMatch(&rs.rules[0]); got != tt.may {
			t.Errorf("%q: mayMatch %v, want %v", tt.body, got, tt.may)
		}
		if got := len(res.Matches) == 1; got != tt.match {
			t.Errorf("%q: matched %v, want %v", tt.body, got, tt.match)
		}
	}
	// One Scorer over articles that have and lack the needed terms, in
	// turn: what gating found for one article holds for it alone.
	shared := rs.NewScorer()
	for round := range 2 {
		for _, tt := range []struct {
			body  string
			match bool
		}{
			{"alpha alone, and delta", false},
			{"only gamma", true},
			{"nothing at all", false},
			{"alpha then beta", true},
		} {
			if got := len(shared.Score(Article{Body: tt.body}).Matches) == 1; got != tt.match {
				t.Errorf("round %d, %q on a shared Scorer: matched %v, want %v", round, tt.body, got, tt.match)
			}
		}
	}
	// A rule whose needed set is absent does not match; with it, it does.
	rs = compile(t, nil, `words > 0 && mentions("alpha") && near("beta", "gamma", 2)`)
	if m := rs.NewScorer().Score(Article{Body: "beta gamma"}); len(m.Matches) != 0 {
		t.Error("matched without alpha")
	}
	if m := rs.NewScorer().Score(Article{Body: "alpha beta gamma"}); len(m.Matches) != 1 {
		t.Error("did not match with every required term")
	}
}
