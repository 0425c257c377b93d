package engine

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// snippetCases returns rule sets and the articles to score with them: the
// many-matches benchmark shape on the seed articles, generated rules on
// generated articles, and Arabic and multi-byte text whose snippets are
// cut inside longer runs of text and white space.
func snippetCases(t *testing.T) []struct {
	name string
	rs   *RuleSet
	arts []Article
} {
	b := &testing.B{}
	many := shapeNamed("common-words")
	gen := shape{name: "generated", rules: 300, gen: func(r *rand.Rand, _ int) RuleSpec { return genRule(r) }}
	filler := strings.Repeat("كلمة ", 40)
	return []struct {
		name string
		rs   *RuleSet
		arts []Article
	}{
		{"many matches", many.build(b), many.arts(nil)},
		{"generated", gen.build(b), genArticles(6)},
		{"arabic and white space", compile(t, testLex, `mentions(lex.isis)`, `mentions("cross-border") || mentions("café")`, `mentions("الموصل")`), []Article{
			{ID: "ar", Title: "داعش في الموصل", Body: filler + "قال مسؤول إن مقاتلي داعش\u00a0 انسحبوا من الموصل.\n\n" + filler + "بالموصل"},
			{ID: "mixed", Title: "Daesh   fighters", Body: "A  cross-border\u2009route, the Café\t\tnear ISIS lines;\r\n" + strings.Repeat("more words here ", 30) + "and ISIL again"},
		}},
	}
}

// TestLazySnippets checks that a Scorer with LazySnippets leaves the
// snippets uncut and that, cut when marshalled or by CutSnippets, they are
// exactly those a Scorer without it cuts, also after the Scorer has gone
// on to other articles.
func TestLazySnippets(t *testing.T) {
	for _, tc := range snippetCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			eager, lazy := tc.rs.NewScorer(), tc.rs.NewScorer()
			lazy.LazySnippets = true
			var want [][]byte
			var got []Result
			snippets := 0
			for _, a := range tc.arts {
				we := eager.Score(a)
				w, err := json.Marshal(we)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, w)
				res := lazy.Score(a)
				for _, m := range res.Matches {
					for _, e := range m.Evidence {
						if e.Snippets != nil {
							t.Fatalf("article %s: rule %s: snippets cut while scoring", a.ID, m.Rule)
						}
					}
				}
				for _, m := range we.Matches {
					for _, e := range m.Evidence {
						snippets += len(e.Snippets)
					}
				}
				got = append(got, res)
			}
			if snippets == 0 {
				t.Fatal("no snippets: the comparison compares nothing")
			}
			// Marshalled after every article was scored: the Scorer's
			// buffers hold the last article by now.
			for i, res := range got {
				g, err := json.Marshal(res)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(g, want[i]) {
					t.Fatalf("article %s: lazy JSON differs:\n got %s\nwant %s", tc.arts[i].ID, g, want[i])
				}
				// Calling MarshalJSON directly gives the same bytes
				// without encoding/json's second pass over them.
				if d, err := res.MarshalJSON(); err != nil || !bytes.Equal(d, g) {
					t.Fatalf("article %s: MarshalJSON differs from json.Marshal (%v)", tc.arts[i].ID, err)
				}
			}
			for i, res := range got {
				res.CutSnippets()
				w := eager.Score(tc.arts[i])
				if !reflect.DeepEqual(snippetsOfMatches(res.Matches), snippetsOfMatches(w.Matches)) {
					t.Fatalf("article %s: CutSnippets differs from snippets cut while scoring", tc.arts[i].ID)
				}
			}
		})
	}
}

func snippetsOfMatches(ms []Match) [][]string {
	var out [][]string
	for _, m := range ms {
		for _, e := range m.Evidence {
			out = append(out, e.Snippets)
		}
	}
	return out
}

// TestLazySnippetsConcurrent marshals one lazily scored result from
// several goroutines at once (run with -race).
func TestLazySnippetsConcurrent(t *testing.T) {
	tc := snippetCases(t)[0]
	s := tc.rs.NewScorer()
	s.LazySnippets = true
	res := s.Score(tc.arts[0])
	out := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], _ = json.Marshal(res)
		}()
	}
	wg.Wait()
	for i := range out {
		if len(out[i]) == 0 || !bytes.Equal(out[i], out[0]) {
			t.Fatalf("marshal %d differs or failed", i)
		}
	}
}

func TestSingleSpaced(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"empty", "", true},
		{"words", "one two three", true},
		{"arabic", "قال مسؤول إن", true},
		{"leading space", " one", false},
		{"trailing space", "one ", false},
		{"double space", "one  two", false},
		{"tab", "one\ttwo", false},
		{"newline", "one\ntwo", false},
		{"no-break space", "one\u00a0two", false},
		{"thin space", "one\u2009two", false},
		{"invalid utf-8", "one \xff two", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := singleSpaced(tt.in); got != tt.want {
				t.Errorf("singleSpaced(%q) = %v, want %v", tt.in, got, tt.want)
			}
			// Whatever the answer, appendCollapsed writes what its slow
			// path writes.
			var fast, slow strings.Builder
			appendCollapsed(&fast, tt.in)
			appendCollapsedRuns(&slow, tt.in)
			if fast.String() != slow.String() {
				t.Errorf("appendCollapsed(%q) = %q, want %q", tt.in, fast.String(), slow.String())
			}
		})
	}
}
