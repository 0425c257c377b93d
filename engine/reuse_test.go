package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestResultsOutliveTheNextArticle holds the Scorer's buffer reuse to what
// a Result may reference: a result kept while the same Scorer scores other
// articles (longer, shorter, ASCII or not) marshals to the same JSON after
// them as it did at once, with snippets cut at once or when marshalled.
func TestResultsOutliveTheNextArticle(t *testing.T) {
	lex := map[string][]string{
		"places": {"Mosul", "Tal Afar", "الموصل", "Diyarbakır"},
		"groups": {"ISIS", "Islamic State", "Daesh", "داعش", "=IS"},
	}
	c, err := NewCompiler(lex)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []RuleSpec{
		{Name: "arrests", When: `mentions("arrest*", "اعتقال") && mentions(lex.groups)`, Fields: []FieldSpec{
			{Name: "arrested", Expr: `max(numbers_near(["arrest*", "اعتقال"], 4))`},
			{Name: "place", Expr: `matched(lex.places)`},
			{Name: "group", Expr: `matched(lex.groups)`},
			{Name: "title_words", Expr: `matched(split(lower(title), " "))`},
		}},
		{Name: "attack", When: `near(lex.groups, ["attack~", "هجوم"], 8) || same_sentence("bomb~", lex.places)`, Polarity: "asserted",
			Score: `distinct(lex.groups, lex.places) + count("attack~")`},
	} {
		if err := c.Add(spec); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Finish()
	arts := []Article{
		{Title: "Forces arrest ISIS cell in Mosul", Body: "Security forces arrested 160 ISIS suspects in Tal Afar and MOSUL on Monday. “Daesh” fighters did not attack the bridge. An ISIS attack near Mosul killed five."},
		{Title: "اعتقال عناصر من داعش في الموصل", Body: "أعلنت القوات اعتقال عشرة من عناصر داعش في الموصل. وقال مسؤول إن هجوم داعش فشل. Daesh’s attack on Diyarbakır — a bomb in Mosul — was foiled."},
		{Title: "Market prices", Body: "Farmers said prices rose."},
		{Title: "Ümit’s report: IS claims attack", Body: strings.Repeat("The Islamic State claimed the attack in Tal Afar after a bomb exploded in Mosul. ", 40)},
		{Title: "ISIS", Body: "Arrests of ISIS members."},
	}
	for _, lazy := range []bool{false, true} {
		sc := rs.NewScorer()
		sc.LazySnippets = lazy
		sc.SummarizeAll = true
		var kept []Result
		var want []string
		for round := 0; round < 3; round++ {
			for _, a := range arts {
				res := sc.Score(a)
				if round == 0 {
					b, err := json.Marshal(res)
					if err != nil {
						t.Fatal(err)
					}
					kept, want = append(kept, res), append(want, string(b))
					if lazy {
						// Lazy results are also kept unmarshalled, their
						// snippets cut only after later articles.
						kept = append(kept, sc.Score(a))
						want = append(want, string(b))
					}
				}
			}
		}
		matched := 0
		for i, res := range kept {
			matched += len(res.Matches)
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != want[i] {
				t.Errorf("lazy=%v: result %d changed after later articles:\n got %s\nwant %s", lazy, i, b, want[i])
			}
		}
		if matched < len(arts) {
			t.Errorf("lazy=%v: %d matches over %d articles: the test reads too little", lazy, matched, len(arts))
		}
	}
}
