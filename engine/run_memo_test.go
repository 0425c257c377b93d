package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLargeSetsFromTouchedTerms checks the helpers on sets large enough to
// be read from the article's touched terms (bitsMinSet), against the same
// sets below that size, on one Scorer across articles: what one article
// memoised must not leak into the next.
func TestLargeSetsFromTouchedTerms(t *testing.T) {
	var big []string
	// Over 64 terms: the set's bits span more than one word.
	for i := range 3 * bitsMinSet {
		big = append(big, fmt.Sprintf("town%02d", i))
	}
	small := []string{"town03", "town17", "town40", "town90"}
	if len(small) >= bitsMinSet {
		t.Fatal("small set is not small")
	}
	fields := []FieldSpec{
		{Name: "places", Expr: "matched(lex.places)"},
		{Name: "count", Expr: "count(lex.places)"},
		{Name: "distinct", Expr: "distinct(lex.places)"},
		{Name: "near", Expr: "near(lex.places, lex.raid, 3)"},
		{Name: "title", Expr: "in_title(lex.places)"},
		{Name: "negated", Expr: "negated(lex.places)"},
	}
	build := func(places []string) *RuleSet {
		c, err := NewCompiler(map[string][]string{"places": places, "raid": {"raid*"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range []RuleSpec{
			{Name: "asserted", When: "mentions(lex.places)", Polarity: "asserted", Fields: fields},
			{Name: "any", When: "mentions(lex.places) && count(lex.places) > 0", Fields: fields},
		} {
			if err := c.Add(spec); err != nil {
				t.Fatal(err)
			}
		}
		return c.Finish()
	}
	bigRS, smallRS := build(big), build(small)
	if bigRS.setBits[0] == nil || smallRS.setBits[0] != nil {
		t.Fatalf("set bits: big %v, small %v", bigRS.setBits[0] != nil, smallRS.setBits[0] != nil)
	}
	arts := []Article{
		{Title: "Raid in town17", Body: "Troops raided town03 and town40. They did not reach town17 again. town03 was quiet."},
		{Title: "Nothing here", Body: "A council met to discuss prices and water."},
		{Title: "Quiet", Body: "Officials said town40 was not raided."},
		{Title: "Again", Body: "town03 town03 town17, then a raid near town40."},
		{Title: "Far", Body: "Troops raided town90."},
	}
	bigSc, smallSc := bigRS.NewScorer(), smallRS.NewScorer()
	for i, a := range arts {
		got, want := bigSc.Score(a), smallSc.Score(a)
		if len(got.Errors)+len(want.Errors) > 0 {
			t.Fatalf("article %d: errors %v %v", i, got.Errors, want.Errors)
		}
		if !reflect.DeepEqual(summarise(got), summarise(want)) {
			t.Errorf("article %d:\nlarge set %v\nsmall set %v", i, summarise(got), summarise(want))
		}
		// The set's occurring terms, read from the touched terms, are
		// exactly its terms with hits in this article, in id order.
		var wantOcc []int32
		for _, term := range bigRS.sets[0] {
			if len(bigSc.a.hits[term]) > 0 {
				wantOcc = append(wantOcc, term)
			}
		}
		if occ := bigSc.a.occurring(bigRS, 0); !slices.Equal(occ, wantOcc) {
			t.Errorf("article %d: occurring terms %v, want %v", i, occ, wantOcc)
		}
	}
	// The articles must exercise both outcomes, or the comparison proves
	// little.
	if n := len(bigRS.NewScorer().Score(arts[0]).Matches); n != 2 {
		t.Errorf("first article: %d matches, want 2", n)
	}
	if n := len(bigRS.NewScorer().Score(arts[1]).Matches); n != 0 {
		t.Errorf("second article: %d matches, want 0", n)
	}
}

// summarise keeps what a match shows of the helpers' results.
func summarise(r Result) []string {
	var out []string
	for _, m := range r.Matches {
		out = append(out, fmt.Sprintf("%s %v %v", m.Rule, m.Score, m.Fields))
	}
	return out
}

// TestEvidenceOfManyTerms checks a rule of many terms, whose evidence is
// read from the article's touched terms: terms that start at one position
// keep the rule's order, which here differs from the order of term ids.
func TestEvidenceOfManyTerms(t *testing.T) {
	var big []string
	for i := range 2 * bitsMinSet {
		big = append(big, fmt.Sprintf("filler%02d", i))
	}
	big = append(big, "Islamic State", "Mosul")
	c, err := NewCompiler(map[string][]string{"big": big})
	if err != nil {
		t.Fatal(err)
	}
	// The first rule interns "islamic" first, so its id is the lowest;
	// the second names it after the lexicon.
	for _, spec := range []RuleSpec{
		{Name: "first", When: `mentions("islamic")`},
		{Name: "many", When: `mentions(lex.big) || mentions("islamic")`},
	} {
		if err := c.Add(spec); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Finish()
	if rs.rules[1].ranks == nil {
		t.Fatal("the rule of many terms has no ranks")
	}
	res := rs.NewScorer().Score(Article{Body: "In Mosul, Islamic State fighters and filler07; filler07 again."})
	var got []string
	for _, m := range res.Matches {
		if m.Rule != "many" {
			continue
		}
		for _, e := range m.Evidence {
			got = append(got, fmt.Sprintf("%s@%v", e.Term, e.Positions))
		}
	}
	want := []string{"Mosul@[1]", "Islamic State@[2]", "islamic@[2]", "filler07@[6 7]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("evidence %v, want %v", got, want)
	}
}

// TestPairPruning holds near, before and same_sentence on the occurrences
// that have a partner (pairPositions, sentencePositions) to their answers
// and events on every kept occurrence, for rules that drop negated,
// hedged or quoted occurrences, on random text full of cues.
func TestPairPruning(t *testing.T) {
	lex := map[string][]string{
		"a": {"alpha", "gamma"},
		"b": {"beta", "gamma", "delta"},
		"c": {"epsilon"},
	}
	rs := compile(t, lex, `mentions(lex.a) && mentions(lex.b) && mentions(lex.c)`)
	// The rule's sets, found by their terms.
	var ids []int
	for _, name := range []string{"a", "b", "c"} {
		for id, set := range rs.sets {
			var srcs []string
			for _, term := range set {
				srcs = append(srcs, rs.terms[term].src)
			}
			want := slices.Clone(lex[name])
			slices.Sort(srcs)
			slices.Sort(want)
			if slices.Equal(srcs, want) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) != 3 {
		t.Fatalf("sets of the lexicons: %v", ids)
	}
	r := rand.New(rand.NewPCG(5, 6))
	texts := randomTexts(r, 300, 60, "alpha ", "beta ", "gamma ", "delta ", "epsilon ", "not ", "may ", "no ", "said ",
		"\"", ". ", ", ", "the ", "troops ", "\n\n", "denied ")
	s := rs.NewScorer()
	for _, text := range texts {
		s.Score(Article{Body: text})
		e := &s.env.Env
		for _, drop := range []uint8{flagNegated | flagHedged, flagQuoted, flagNegated | flagHedged | flagQuoted} {
			e.drop = drop
			for _, x := range ids {
				for _, y := range ids {
					for _, n := range []int{-1, 0, 1, 2, 5} {
						type run struct {
							ok     bool
							events []int32
						}
						do := func(f func() bool) run {
							e.events = e.events[:0]
							ok := f()
							return run{ok, slices.Clone(e.events)}
						}
						full := func(f func(a, b []int32) bool) run {
							a := slices.Clone(e.setPositions(x))
							b := slices.Clone(e.setPositions(y))
							return do(func() bool { return f(a, b) })
						}
						checks := []struct {
							name      string
							got, want run
						}{
							{"near", do(func() bool { a, b := e.pairPositions(x, y, -n, n); return e.near(a, b, n) }),
								full(func(a, b []int32) bool { return e.near(a, b, n) })},
							{"before", do(func() bool { a, b := e.pairPositions(x, y, 1, n); return e.before(a, b, n) }),
								full(func(a, b []int32) bool { return e.before(a, b, n) })},
							{"same_sentence", do(func() bool { return e.sameSentence(e.sentencePositions(x, y)) }),
								full(func(a, b []int32) bool { return e.sameSentence(a, b) })},
							{"same_sentence of sets", do(func() bool { return e.sameSentenceSets(x, y) }),
								full(func(a, b []int32) bool { return e.sameSentence(a, b) })},
							{"same_sentence of sets without events", do(func() bool {
								e.noEvents = true
								defer func() { e.noEvents = false }()
								return e.sameSentenceSets(x, y)
							}), run{ok: full(func(a, b []int32) bool { return e.sameSentence(a, b) }).ok, events: []int32{}}},
						}
						for _, c := range checks {
							if !reflect.DeepEqual(c.got, c.want) {
								t.Fatalf("%q drop %b sets %d %d n %d: %s pruned %+v, filtered %+v", text, drop, x, y, n, c.name, c.got, c.want)
							}
						}
					}
				}
			}
		}
	}
}

// TestUnionOfManyOccurrences checks union past the number of occurrences
// it sorts, where it reads them from a bit set over the tokens: sorted,
// distinct, each once, in an article of several hundred tokens, and the
// bit set left clear for the next.
func TestUnionOfManyOccurrences(t *testing.T) {
	rs := compile(t, map[string][]string{"x": {"alpha", "alpha beta", "beta", "gamma"}}, `mentions(lex.x)`)
	id := -1
	for i, set := range rs.sets {
		if len(set) == 4 {
			id = i
		}
	}
	if id < 0 {
		t.Fatal("no set of four terms")
	}
	r := rand.New(rand.NewPCG(9, 10))
	s := rs.NewScorer()
	for round := range 20 {
		words := []string{"alpha", "beta", "gamma", "delta", "the"}
		var body []string
		for range 50 + r.IntN(600) {
			body = append(body, words[r.IntN(len(words))])
		}
		s.Score(Article{Body: strings.Join(body, " ")})
		var want []int32
		for i, w := range body {
			if w != "delta" && w != "the" {
				want = append(want, int32(i))
			}
		}
		got := s.a.union(rs, id)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: union %v, want %v", round, got, want)
		}
		if slices.ContainsFunc(s.a.memo.bits, func(w uint64) bool { return w != 0 }) {
			t.Fatalf("round %d: the bit set is not clear", round)
		}
	}
}

// TestMatchedOncePerArticle: matched() of a set is kept for the article
// and the flags dropped, so rules of either polarity get their own answer,
// the next article its own, and no caller sees another's changes.
func TestMatchedOncePerArticle(t *testing.T) {
	c, err := NewCompiler(map[string][]string{"places": {"Mosul", "Kirkuk", "Erbil"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []RuleSpec{
		{Name: "any", When: "mentions(lex.places)", Fields: []FieldSpec{{Name: "place", Expr: "matched(lex.places)"}}},
		{Name: "again", When: "mentions(lex.places) && len(matched(lex.places)) > 0", Fields: []FieldSpec{{Name: "place", Expr: "matched(lex.places)"}}},
		{Name: "asserted", When: "mentions(lex.places)", Polarity: "asserted", Fields: []FieldSpec{{Name: "place", Expr: "matched(lex.places)"}}},
	} {
		if err := c.Add(spec); err != nil {
			t.Fatal(err)
		}
	}
	sc := c.Finish().NewScorer()
	fields := func(body string) map[string]any {
		out := map[string]any{}
		for _, m := range sc.Score(Article{Body: body}).Matches {
			out[m.Rule] = m.Fields["place"]
		}
		return out
	}
	got := fields("Troops did not reach Mosul. Fighting went on in Kirkuk.")
	want := map[string]any{"any": []string{"Mosul", "Kirkuk"}, "asserted": []string{"Kirkuk"}, "again": []string{"Mosul", "Kirkuk"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("first article: %v, want %v", got, want)
	}
	// Each match has its own list.
	got["any"].([]string)[0] = "changed"
	if got["again"].([]string)[0] != "Mosul" {
		t.Error("two matches share one list")
	}
	got = fields("Fighting in Erbil.")
	want = map[string]any{"any": []string{"Erbil"}, "asserted": []string{"Erbil"}, "again": []string{"Erbil"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("second article: %v, want %v", got, want)
	}
}
