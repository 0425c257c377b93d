package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// evidenceUnshared is how evidence was built before it was shared between
// rules: every matched rule built its own, term by term. Kept to compare
// results and, in the benchmarks, cost.
func evidenceUnshared(s *Scorer, r *rule) []Evidence {
	a := &s.a
	var ev []Evidence
	for _, t := range r.terms {
		h := a.hits[t]
		if len(h) == 0 {
			continue
		}
		if r.drop != 0 {
			var kept []int32
			for _, p := range h {
				if a.flagsOf(p)&r.drop == 0 {
					kept = append(kept, p)
				}
			}
			if h = kept; len(h) == 0 {
				continue
			}
		}
		e := Evidence{Term: s.rs.terms[t].src, Count: len(h), Positions: make([]int, len(h))}
		for i, p := range h {
			e.Positions[i] = int(p)
		}
		n := len(s.rs.terms[t].words)
		for i := 0; i < len(h) && i < maxSnippets; i++ {
			key := uint64(h[i])<<16 | uint64(n)
			sn, ok := s.snips[key]
			if !ok {
				sn = a.snippet(int(h[i]), n)
				s.snips[key] = sn
			}
			e.Snippets = append(e.Snippets, sn)
		}
		ev = append(ev, e)
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Positions[0] < ev[j].Positions[0] })
	return ev
}

// TestSharedEvidence checks that evidence shared between rules is what
// each rule built for itself before, on the many-matches benchmark shape
// (real articles, 1,000 rules of common words, some with polarity:
// asserted) and on the generated rules.
func TestSharedEvidence(t *testing.T) {
	b := &testing.B{}
	for _, sh := range []shape{shapeNamed("common-words"), {name: "generated", rules: 300, gen: func(r *rand.Rand, _ int) RuleSpec { return genRule(r) }}} {
		rs := sh.build(b)
		arts := genArticles(8)
		if sh.arts != nil {
			arts = sh.arts(arts)
		}
		shared, unshared := rs.NewScorer(), rs.NewScorer()
		unshared.evidenceHook = evidenceUnshared
		matches := 0
		for _, a := range arts {
			got, want := shared.Score(a), unshared.Score(a)
			matches += len(got.Matches)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: article %s: shared evidence differs from per-rule evidence", sh.name, a.ID)
			}
		}
		if matches == 0 {
			t.Errorf("%s: %d matches on %d articles: the comparison compares little", sh.name, matches, len(arts))
		}
	}
}

// TestEvidenceAllocations checks that evidence is built once per term and
// article, not once per term and matched rule: 200 rules naming the same
// three terms all match, and scoring allocates about one evidence slice
// per match, not a list of positions and snippets per term of each.
func TestEvidenceAllocations(t *testing.T) {
	c, _ := NewCompiler(nil)
	for i := 0; i < 200; i++ {
		if err := c.Add(RuleSpec{Name: fmt.Sprint("r", i), When: fmt.Sprintf(`mentions("alpha", "beta", "gamma") && %d >= 0`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Finish()
	art := Article{ID: "a", Title: "Alpha", Body: "The alpha and the beta met gamma, then alpha again with beta."}
	allocs := func(hook func(*Scorer, *rule) []Evidence) float64 {
		s := rs.NewScorer()
		s.SummarySentences = -1
		s.evidenceHook = hook
		return testing.AllocsPerRun(20, func() {
			if n := len(s.Score(art).Matches); n != 200 {
				t.Fatalf("%d matches, want 200", n)
			}
		})
	}
	shared, unshared := allocs(nil), allocs(evidenceUnshared)
	t.Logf("%.0f allocations per article, %.0f with evidence built per rule", shared, unshared)
	// Per match: its evidence slice, its events; the result's list grows.
	if shared > 3*200 {
		t.Errorf("%.0f allocations for 200 matches of 3 terms each, want at most 600", shared)
	}
}

func shapeNamed(name string) shape {
	for _, sh := range shapes {
		if sh.name == name {
			return sh
		}
	}
	panic("no shape " + name)
}

// TestNoEvidence checks that a Scorer with NoEvidence gives the matches,
// scores and fields it gives without, and no evidence; and that summaries,
// which read the evidence, keep it.
func TestNoEvidence(t *testing.T) {
	lex := map[string][]string{"places": {"Mosul", "Tal Afar"}, "groups": {"ISIS", "Daesh"}}
	c, err := NewCompiler(lex)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(RuleSpec{Name: "arrests", When: `mentions("arrest*") && mentions(lex.groups)`, Polarity: "asserted",
		Score:  `distinct(lex.groups, lex.places)`,
		Fields: []FieldSpec{{Name: "place", Expr: `matched(lex.places)`}, {Name: "n", Expr: `max(numbers_near("arrest*", 4))`}}}); err != nil {
		t.Fatal(err)
	}
	rs := c.Finish()
	arts := []Article{
		{Title: "Forces arrest ISIS cell", Body: "Security forces arrested 160 ISIS suspects in Tal Afar and Mosul. Daesh did not resist."},
		{Title: "Prices", Body: "Farmers said prices rose."},
	}
	plain, skip := rs.NewScorer(), rs.NewScorer()
	plain.SummarySentences, skip.SummarySentences = -1, -1
	skip.NoEvidence = true
	for _, a := range arts {
		want, got := plain.Score(a), skip.Score(a)
		for i := range want.Matches {
			want.Matches[i].Evidence = nil
		}
		if !reflect.DeepEqual(summarise(got), summarise(want)) || len(got.Matches) != len(want.Matches) {
			t.Errorf("%q: NoEvidence gave %v, want %v", a.Title, summarise(got), summarise(want))
		}
		for _, m := range got.Matches {
			if m.Evidence != nil {
				t.Errorf("%q: %s has evidence %v", a.Title, m.Rule, m.Evidence)
			}
		}
	}
	if n := len(skip.Score(arts[0]).Matches); n != 1 {
		t.Fatalf("%d matches, want 1", n)
	}
	summarised := rs.NewScorer()
	summarised.NoEvidence = true
	if res := summarised.Score(arts[0]); len(res.Matches) != 1 || len(res.Matches[0].Evidence) == 0 || len(res.Summary) == 0 {
		t.Errorf("with a summary: matches %+v summary %v", res.Matches, res.Summary)
	}
}
