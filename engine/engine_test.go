package engine

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// compile builds a rule set of one rule per expression, named r0, r1, ….
func compile(t testing.TB, lex map[string][]string, whens ...string) *RuleSet {
	t.Helper()
	c, err := NewCompiler(lex)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range whens {
		if err := c.Add(RuleSpec{Name: "r" + string(rune('0'+i)), When: w}); err != nil {
			t.Fatalf("compile %q: %v", w, err)
		}
	}
	return c.Finish()
}

// matches reports whether the single rule of rs matches the article.
func matches(t *testing.T, rs *RuleSet, title, body string) bool {
	t.Helper()
	res := rs.NewScorer().Score(Article{Title: title, Body: body})
	for _, e := range res.Errors {
		t.Errorf("run-time error: %v", e)
	}
	return len(res.Matches) > 0
}

var testLex = map[string][]string{
	"isis":      {"ISIS", "ISIL", "Daesh", "Islamic State", "=IS", "داعش", "الدولة الإسلامية"},
	"smuggling": {"smuggl*", "traffick*"},
}

func TestTermSemantics(t *testing.T) {
	tests := []struct {
		name  string
		when  string
		title string
		body  string
		want  bool
	}{
		{"phrase across hyphen", `mentions("cross-border")`, "", "a cross border route", true},
		{"phrase across punctuation", `mentions("cross border")`, "", "the Cross-Border trade", true},
		{"phrase with comma between", `mentions("islamic state")`, "", "Islamic, State", true},
		{"phrase not across words", `mentions("cross border")`, "", "cross the border", false},
		{"whole words only", `mentions("state")`, "", "statement", false},
		{"prefix", `mentions("smuggl*")`, "", "Smugglers moved fuel", true},
		{"prefix equal to word", `mentions("smuggl*")`, "", "smuggl", true},
		{"prefix not in middle", `mentions("smuggl*")`, "", "antismuggling", false},
		{"prefix in phrase", `mentions("islamic stat*")`, "", "Islamic Statehood", true},
		{"case sensitive IS matches IS", `mentions("=IS")`, "", "claimed by IS on Monday", true},
		{"case sensitive IS ignores is", `mentions("=IS")`, "", "this is fine", false},
		{"case sensitive keeps normalisation", `mentions("=Café")`, "", "Cafe opened", true},
		{"case sensitive rejects other case", `mentions("=Café")`, "", "cafe opened", false},
		{"lexicon", `mentions(lex.isis)`, "", "Daesh fighters", true},
		{"lexicon miss", `mentions(lex.isis)`, "", "this is a test", false},
		{"curly apostrophe", `mentions("daesh")`, "", "Daesh’s leaders", true},
		{"arabic with harakat", `mentions("داعش")`, "", "مقاتلو دَاعِش", true},
		{"arabic with tatweel", `mentions("داعش")`, "", "عناصر داعـــش", true},
		{"arabic hamza variants", `mentions("الإسلامية")`, "", "الدولة الاسلامية", true},
		{"arabic hamza in text", `mentions("الاسلامية")`, "", "الدولة الإسلاميّة", true},
		{"phrase never spans title and body", `mentions("islamic state")`, "Islamic", "State fighters", false},
		{"count of positions", `count("isis", "isis") == 2`, "", "ISIS and ISIS", true},
		{"count overrides builtin", `count(lex.isis) == 3`, "ISIS", "Daesh and the Islamic State", true},
		{"count shared start counted once", `count(["islamic", "islamic state"]) == 1`, "", "Islamic State", true},
		{"in_title", `in_title("isis")`, "ISIS remnants", "body", true},
		{"in_title not in body", `in_title("isis")`, "Remnants", "ISIS", false},
		{"near at exactly n", `near("alpha", "beta", 2)`, "", "alpha x beta", true},
		{"near at n+1", `near("alpha", "beta", 1)`, "", "alpha x beta", false},
		{"near either order", `near("alpha", "beta", 2)`, "", "beta x alpha", true},
		{"near negative never", `near("alpha", "alpha", -1)`, "", "alpha", false},
		{"near same occurrence both sides", `near("alpha", "alpha", 0)`, "", "alpha", true},
		{"near across title and body", `near("alpha", "beta", 1)`, "alpha", "beta", true},
		{"same_sentence yes", `same_sentence("alpha", "beta")`, "", "Alpha met Beta. Gamma left.", true},
		{"same_sentence no", `same_sentence("alpha", "gamma")`, "", "Alpha met Beta. Gamma left.", false},
		{"same_sentence abbreviation", `same_sentence("alpha", "gamma")`, "", "Alpha met the U.S. Gamma team.", true},
		{"numbers_near digits", `any(numbers_near("arrested", 3), # >= 160)`, "", "police arrested 160 suspects", true},
		{"numbers_near thousands", `1200 in numbers_near("arrested", 3)`, "", "they arrested 1,200 people", true},
		{"numbers_near words", `5 in numbers_near("individuals", 2)`, "", "five individuals were held", true},
		{"numbers_near dozens", `12 in numbers_near("arrested", 3)`, "", "dozens arrested", true},
		{"numbers_near hundreds", `100 in numbers_near("arrested", 3)`, "", "hundreds were arrested", true},
		{"numbers_near compound", `25 in numbers_near("held", 3)`, "", "twenty-five held", true},
		{"numbers_near too far", `len(numbers_near("arrested", 1)) == 0`, "", "arrested the 160", true},
		{"numbers_near decimal", `2.5 in numbers_near("tons", 1)`, "", "2.5 tons", true},
		{"numbers_near multiplier", `3e6 in numbers_near("displaced", 3)`, "", "3 million displaced", true},
		{"dynamic terms", `mentions(lower(title))`, "Daesh", "daesh here", true},
		{"dynamic list", `near([title], "beta", 1)`, "alpha", "beta", true},
		{"article fields", `words == 3 && lang == "en"`, "the", "one two", true},
		{"lang detected en is not ar", `lang == "ar"`, "the", "one two", false},
		{"lang detected ar", `lang == "ar"`, "", "مقاتلو داعش في الموصل", true},
		{"lang undetected is empty", `lang == ""`, "", "uno dos tres", true},
		{"not mentions runs without hits", `!mentions("zzz")`, "", "nothing here", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compile(t, testLex, tt.when)
			if got := matches(t, rs, tt.title, tt.body); got != tt.want {
				t.Errorf("%s on title %q body %q = %v, want %v", tt.when, tt.title, tt.body, got, tt.want)
			}
		})
	}
}

// TestLangMetadata checks that an article's own lang wins over detection,
// and that detection fills it in only when it is empty.
func TestLangMetadata(t *testing.T) {
	tests := []struct {
		name, when, lang string
		want             bool
	}{
		{"metadata wins over detection", `lang == "ar"`, "ar", true},
		{"metadata is not overwritten", `lang == "en"`, "ar", false},
		{"detected when absent", `lang == "en"`, "", true},
		{"metadata passed as given", `lang == "fr"`, "fr", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compile(t, nil, tt.when)
			res := rs.NewScorer().Score(Article{Title: "The report", Body: "The army said that the road was open.", Lang: tt.lang})
			for _, e := range res.Errors {
				t.Errorf("run-time error: %v", e)
			}
			if got := len(res.Matches) > 0; got != tt.want {
				t.Errorf("%s with lang %q = %v, want %v", tt.when, tt.lang, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, when, wantMsg string
		line, col           int
	}{
		{"unknown lexicon", `mentions(lex.nope)`, `unknown lexicon "nope"`, 1, 14},
		{"bad star", `mentions("sm*gg")`, `'*' may only end a word`, 1, 10},
		{"no words", `mentions("--")`, `has no words`, 1, 10},
		{"wrong result type", `count("x")`, `expected bool`, 0, 0},
		{"number as term", `mentions(3)`, `must be a string or a list of strings`, 1, 10},
		{"syntax", "mentions(\"a\") &&\n  (", `unexpected token`, 2, 3},
		{"wrong arity", `near("a", "b")`, `not enough arguments`, 1, 1},
		{"no terms", `mentions()`, `needs at least one term`, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := NewCompiler(map[string][]string{"x": {"x"}})
			err := c.Add(RuleSpec{Name: "r", When: tt.when})
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v (%T), want *ExprError", err, err)
			}
			if !strings.Contains(ee.Msg, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", ee.Msg, tt.wantMsg)
			}
			if tt.line != 0 && (ee.Line != tt.line || ee.Column != tt.col) {
				t.Errorf("position %d:%d, want %d:%d", ee.Line, ee.Column, tt.line, tt.col)
			}
		})
	}
}

func TestCompileSpecErrors(t *testing.T) {
	c, _ := NewCompiler(nil)
	if err := c.Add(RuleSpec{Name: "a", When: "true", Severity: "urgent"}); err == nil || !strings.Contains(err.Error(), "unknown severity") {
		t.Errorf("severity error = %v", err)
	}
	if err := c.Add(RuleSpec{Name: "a", When: "true"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(RuleSpec{Name: "a", When: "true"}); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate error = %v", err)
	}
	if err := c.Add(RuleSpec{Name: "s", When: "true", Score: `"high"`}); err == nil {
		t.Error("string score compiled")
	}
	long := strings.Repeat("1 + ", MaxNodes) + "1 > 0"
	if err := c.Add(RuleSpec{Name: "long", When: long}); err == nil {
		t.Error("over-long expression compiled")
	}
	if _, err := NewCompiler(map[string][]string{"bad": {"*x"}}); err == nil {
		t.Error("lexicon with a bad term accepted")
	}
}

func TestScoreAndEvidence(t *testing.T) {
	c, _ := NewCompiler(testLex)
	err := c.Add(RuleSpec{
		Name: "smuggling", When: `mentions(lex.isis) && near(lex.smuggling, ["border*", "cross-border"], 12)`,
		Score: `2 * count(lex.smuggling) + (in_title(lex.smuggling) ? 3 : 0)`, MinScore: 2, Severity: "high",
		Labels: map[string]string{"topic": "logistics"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(RuleSpec{Name: "low", When: `mentions("smuggl*")`, Score: "1", MinScore: 5}); err != nil {
		t.Fatal(err)
	}
	rs := c.Finish()
	res := rs.NewScorer().Score(Article{
		Title: "Smuggling ring broken",
		Body:  "Security forces said ISIS smugglers used cross-border routes near Sinjar. Officials said the trafficking network moved money.",
	})
	if len(res.Matches) != 1 {
		t.Fatalf("matches = %+v, want only smuggling", res.Matches)
	}
	m := res.Matches[0]
	if m.Rule != "smuggling" || m.Score != 2*3+3 || m.Severity != "high" || m.Labels["topic"] != "logistics" {
		t.Errorf("match = %+v", m)
	}
	got := map[string]Evidence{}
	for _, e := range m.Evidence {
		got[e.Term] = e
	}
	if e := got["smuggl*"]; e.Count != 2 || !reflect.DeepEqual(e.Positions, []int{0, 7}) {
		t.Errorf("smuggl* evidence = %+v", e)
	}
	if e := got["cross-border"]; len(e.Snippets) != 1 || !strings.Contains(e.Snippets[0], "**cross-border**") {
		t.Errorf("cross-border evidence = %+v", e)
	}
	if e := got["ISIS"]; e.Count != 1 || !strings.HasPrefix(e.Snippets[0], "Security forces said **ISIS** smugglers used cross-border routes near Sinjar.") || !strings.HasSuffix(e.Snippets[0], "the…") {
		t.Errorf("ISIS evidence = %+v", e)
	}
}

func TestSnippetCutsAtWords(t *testing.T) {
	body := strings.Repeat("lorem ipsum dolor ", 30) + "TARGET " + strings.Repeat("sit amet consectetur ", 30)
	rs := compile(t, nil, `mentions("target")`)
	res := rs.NewScorer().Score(Article{Body: body})
	sn := res.Matches[0].Evidence[0].Snippets[0]
	if !strings.HasPrefix(sn, "…") || !strings.HasSuffix(sn, "…") || !strings.Contains(sn, "**TARGET**") {
		t.Fatalf("snippet %q", sn)
	}
	if n := len([]rune(sn)); n > snippetChars+10 || n < snippetChars-40 {
		t.Errorf("snippet has %d characters", n)
	}
	inner := strings.Trim(sn, "…")
	for _, w := range strings.Fields(inner) {
		switch strings.Trim(w, "*") {
		case "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "TARGET":
		default:
			t.Errorf("snippet cut a word: %q in %q", w, sn)
		}
	}
}

func TestSnippetNonASCIIOffsets(t *testing.T) {
	rs := compile(t, nil, `mentions("داعش")`)
	res := rs.NewScorer().Score(Article{Body: "قال المسؤول إن دَاعِش هاجم القرية"})
	if sn := res.Matches[0].Evidence[0].Snippets[0]; !strings.Contains(sn, "**دَاعِش**") {
		t.Errorf("snippet %q does not mark the original text", sn)
	}
}

func TestGating(t *testing.T) {
	rs := compile(t, nil, `mentions("alpha")`, `!mentions("beta")`, `words > 2`, `mentions(title)`)
	if got := len(rs.always); got != 3 {
		t.Errorf("%d rules always run, want 3 (negation, article field, dynamic)", got)
	}
	res := rs.NewScorer().Score(Article{Title: "x", Body: "gamma delta epsilon"})
	var names []string
	for _, m := range res.Matches {
		names = append(names, m.Rule)
	}
	want := []string{"r1", "r2", "r3"}
	slices := strings.Join(names, ",")
	if slices != strings.Join(want, ",") {
		t.Errorf("matched %v, want %v", names, want)
	}
}

func TestRuntimeErrorDoesNotMatch(t *testing.T) {
	rs := compile(t, nil, `mentions(body == "x" ? 1 : "y")`)
	res := rs.NewScorer().Score(Article{Body: "x"})
	if len(res.Matches) != 0 || len(res.Errors) != 1 {
		t.Errorf("matches %v errors %v, want one error and no match", res.Matches, res.Errors)
	}
}

func FuzzTermsAndScore(f *testing.F) {
	f.Add("cross-border", "Cross border smuggling", "داعش")
	f.Add("=IS", "IS claimed", "smuggl*")
	f.Add("islamic stat*", "Islamic\u00adState ١٢٣", "a b c")
	f.Add("car bomb~", "Car bombings and gunmen beheaded", "=Catch~")
	f.Add("الموصل", "فبالموصل وداعش للموصل", "داعش*")
	f.Add("behead~*", "beheaded", "gunman~ kill~")
	f.Fuzz(func(t *testing.T, term, body, term2 string) {
		if !utf8.ValidString(term) || !utf8.ValidString(term2) {
			return // an expression literal cannot carry invalid bytes as written
		}
		c, _ := NewCompiler(nil)
		err := c.Add(RuleSpec{Name: "r", When: "mentions(" + strconv.Quote(term) + ") || near(" + strconv.Quote(term) + ", " + strconv.Quote(term2) + ", 3) || any(numbers_near(" + strconv.Quote(term2) + ", 5), # > 1)"})
		if err != nil {
			if CheckTerm(term) == nil && CheckTerm(term2) == nil {
				t.Fatalf("valid terms %q %q did not compile: %v", term, term2, err)
			}
			return
		}
		res := c.Finish().NewScorer().Score(Article{Title: term, Body: body})
		for _, m := range res.Matches {
			for _, e := range m.Evidence {
				if len(e.Snippets) == 0 || !strings.Contains(strings.Join(e.Snippets, ""), "**") {
					t.Fatalf("evidence without a marked snippet: %+v", e)
				}
			}
		}
	})
}
