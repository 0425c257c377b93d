package engine

import (
	"slices"
	"strings"
	"testing"
)

// loaded returns a Scorer whose analysis holds the article, so summary
// can be called with hand-made matches.
func loaded(t *testing.T, title, body string) *Scorer {
	t.Helper()
	sc := compile(t, nil, `mentions("zzzz")`).NewScorer()
	sc.Score(Article{Title: title, Body: body})
	return sc
}

// at returns the global token position of the nth (from 0) occurrence of
// word, title tokens first.
func at(t *testing.T, sc *Scorer, word string, nth int) int {
	t.Helper()
	for i := range sc.a.toks {
		if string(sc.a.lowerTok(i)) == word {
			if nth == 0 {
				return i
			}
			nth--
		}
	}
	t.Fatalf("no occurrence %d of %q", nth, word)
	return -1
}

// firstWords shortens each sentence to its first two words, for messages
// and comparison.
func firstWords(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		f := strings.Fields(s)
		out[i] = strings.Join(f[:min(2, len(f))], " ")
	}
	return out
}

func TestSummaryPicks(t *testing.T) {
	const title = "Security forces arrest militants in the north"
	lines := []string{
		"Alpha one reports on the weather in the capital today.",          // S0
		"Bravo two talks about markets and prices rising again.",          // S1
		"Charlie three covers the sports results from the weekend.",       // S2
		"Police arrested the cell leader near the border crossing today.", // S3
		"He was wanted for the bombing of a market last year.",            // S4
		"Short line.", // S5
		"They said the smuggling ring had moved fuel for months.",      // S6
		"Delta four mentions the smuggling ring once more in passing.", // S7
		"Echo five says troops detained the ring leader at dawn.",      // S8
	}
	body := strings.Join(lines, "\n")
	type pos struct {
		word string
		nth  int
	}
	type match struct {
		events   []pos
		evidence map[string][]pos
	}
	tests := []struct {
		name    string
		n       int
		matches []match
		want    []string
	}{
		{"no match: the lead", 3, nil,
			[]string{"Alpha one", "Bravo two", "Charlie three"}},
		{"event sentence before the lead", 2,
			[]match{{events: []pos{{"arrested", 0}, {"leader", 0}}}},
			[]string{"Alpha one", "Police arrested"}},
		{"at most n, in document order", 1,
			[]match{{events: []pos{{"detained", 0}}}},
			[]string{"Echo five"}},
		{"every match gets its event sentence first", 2,
			[]match{
				{events: []pos{{"detained", 0}, {"arrested", 0}}},
				{events: []pos{{"delta", 0}}},
			},
			// The first match's strongest sentence is its earliest here; the
			// second match's comes before the first match's other one.
			[]string{"Police arrested", "Delta four"}},
		{"strongest event sentence of a match: most distinct terms", 1,
			[]match{{
				events:   []pos{{"arrested", 0}, {"detained", 0}},
				evidence: map[string][]pos{"detain*": {{"detained", 0}}, "ring": {{"ring", 2}}, "leader": {{"leader", 1}}},
			}},
			[]string{"Echo five"}},
		{"pronoun opener comes with the sentence before", 2,
			[]match{{events: []pos{{"bombing", 0}}}},
			[]string{"Police arrested", "He was"}},
		{"pronoun pair counts two against n", 3,
			[]match{{events: []pos{{"bombing", 0}, {"detained", 0}}}},
			[]string{"Police arrested", "He was", "Echo five"}},
		{"pronoun pair that does not fit is left out", 1,
			[]match{{events: []pos{{"bombing", 0}}}},
			[]string{"Alpha one"}},
		{"pronoun after a short sentence is left out", 2,
			[]match{{events: []pos{{"smuggling", 0}}}},
			[]string{"Alpha one", "Bravo two"}},
		{"short sentence is skipped even with events", 1,
			[]match{{events: []pos{{"short", 0}}}},
			[]string{"Alpha one"}},
		{"events in the title do not count", 1,
			[]match{{events: []pos{{"arrest", 0}}}},
			[]string{"Alpha one"}},
		{"events only in the title: co-occurring evidence stands in", 1,
			[]match{{
				events:   []pos{{"arrest", 0}},
				evidence: map[string][]pos{"smuggling": {{"smuggling", 0}, {"smuggling", 1}}, "ring": {{"ring", 0}, {"ring", 1}}},
			}},
			// S6 opens with a pronoun after a short line, so S7.
			[]string{"Delta four"}},
		{"no events: co-occurrence stands in, lone mentions do not", 2,
			[]match{{evidence: map[string][]pos{"bombing": {{"bombing", 0}}, "leader": {{"leader", 0}, {"leader", 1}}, "detain*": {{"detained", 0}}}}},
			[]string{"Alpha one", "Echo five"}},
		{"further co-occurrences of a match with events come before the lead", 2,
			[]match{{
				events:   []pos{{"arrested", 0}},
				evidence: map[string][]pos{"detain*": {{"detained", 0}}, "leader": {{"leader", 0}, {"leader", 1}}},
			}},
			[]string{"Police arrested", "Echo five"}},
		{"unsorted and repeated events", 2,
			[]match{{events: []pos{{"detained", 0}, {"arrested", 0}, {"detained", 0}}}},
			[]string{"Police arrested", "Echo five"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := loaded(t, title, body)
			var ms []Match
			for i, m := range tc.matches {
				mm := Match{Rule: "r", Score: float64(10 - i)}
				for _, p := range m.events {
					mm.events = append(mm.events, int32(at(t, sc, p.word, p.nth)))
				}
				terms := make([]string, 0, len(m.evidence))
				for term := range m.evidence {
					terms = append(terms, term)
				}
				slices.Sort(terms)
				for _, term := range terms {
					e := Evidence{Term: term}
					for _, p := range m.evidence[term] {
						e.Positions = append(e.Positions, at(t, sc, p.word, p.nth))
					}
					slices.Sort(e.Positions)
					e.Count = len(e.Positions)
					mm.Evidence = append(mm.Evidence, e)
				}
				ms = append(ms, mm)
			}
			got := sc.summary(ms, tc.n)
			if g := firstWords(got); !slices.Equal(g, tc.want) {
				t.Errorf("summary starts %q, want %q\n%q", g, tc.want, got)
			}
		})
	}
}

func TestSummaryVerbatimAndCut(t *testing.T) {
	long := "The long sentence " + strings.Repeat("goes on and on ", 60) + "until it ends."
	sc := loaded(t, "T", "Spaces   and\ttabs are collapsed in this sentence here.\n"+long)
	got := sc.summary(nil, 3)
	if len(got) != 2 {
		t.Fatalf("summary %q", got)
	}
	if got[0] != "Spaces and tabs are collapsed in this sentence here." {
		t.Errorf("first %q", got[0])
	}
	if n := len([]rune(got[1])); n > summaryChars || !strings.HasSuffix(got[1], "…") {
		t.Errorf("long sentence not cut: %d runes", n)
	}
	if got := sc.summary(nil, 0); got != nil {
		t.Errorf("n = 0 gave %q", got)
	}
	if got := loaded(t, "Title only", "").summary(nil, 3); got != nil {
		t.Errorf("empty body gave %q", got)
	}
}

// TestSummaryThroughScore checks the summary Score attaches: a rule whose
// condition held in a later sentence puts that sentence first.
func TestSummaryThroughScore(t *testing.T) {
	body := "Intro sentence about the weather in the capital today.\n" +
		"Second sentence talks about markets and prices rising.\n" +
		"Third sentence is about sports results from the weekend.\n" +
		"Police arrested the smuggling ring leader near the border crossing.\n" +
		"Short line.\n" +
		"The last sentence mentions the ring once more in passing today."
	tests := []struct {
		name string
		when string
		want []string
	}{
		{"near", `near("smuggling", "leader", 3)`, []string{"Intro sentence", "Second sentence", "Police arrested"}},
		{"same_sentence", `same_sentence("ring", "crossing")`, []string{"Intro sentence", "Second sentence", "Police arrested"}},
		{"mentions only: co-occurrence", `mentions("smuggling", "ring")`, []string{"Intro sentence", "Second sentence", "Police arrested"}},
		{"one lone term: the lead", `mentions("weekend")`, []string{"Intro sentence", "Second sentence", "Third sentence"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := compile(t, nil, tc.when).NewScorer()
			sc.SummarySentences = 3
			res := sc.Score(Article{Title: "T", Body: body})
			if len(res.Matches) != 1 {
				t.Fatalf("matches %v errors %v", res.Matches, res.Errors)
			}
			if g := firstWords(res.Summary); !slices.Equal(g, tc.want) {
				t.Errorf("summary starts %q, want %q", g, tc.want)
			}
		})
	}
	sc := compile(t, nil, `mentions("zzz")`).NewScorer()
	if got := sc.Score(Article{Title: "T", Body: body}).Summary; got != nil {
		t.Errorf("unmatched article summarised by default: %q", got)
	}
	sc.SummarizeAll = true
	if got := firstWords(sc.Score(Article{Title: "T", Body: body}).Summary); !slices.Equal(got, []string{"Intro sentence", "Second sentence", "Third sentence"}) {
		t.Errorf("lead summary %q", got)
	}
}

func TestDependentOpener(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"he", "He said the cell was broken up.", true},
		{"after a bullet", "- This terrorist leader was issued a warrant.", true},
		{"after an opening quote", "“They were planning an attack,” he said.", true},
		{"possessive", "Its leader was killed in March.", true},
		{"contraction", "It’s the third attack this month.", true},
		{"upper case", "THEY FIRED ON THE PATROL.", true},
		{"those", "Those arrested were taken to Baghdad.", true},
		{"that", "That operation ended at dawn.", true},
		{"time expression", "This week, police arrested five men.", false},
		{"time expression plural", "These days the border is quiet again.", false},
		{"word that starts like a pronoun", "Hezbollah said nothing about it.", false},
		{"there", "There are ongoing attempts to regroup.", false},
		{"first person", "We will not stop, the minister said.", false},
		{"name", "Police arrested five men.", false},
		{"number", "14 leaders were killed.", false},
		{"empty", "", false},
		{"arabic pronoun", "هذا القيادي صدرت بحقه مذكرة.", true},
		{"arabic pronoun with conjunction", "وهو مطلوب للقضاء.", true},
		{"arabic noun", "واعتقلت القوات خمسة عناصر.", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dependentOpener(tc.s); got != tc.want {
				t.Errorf("dependentOpener(%q) = %v, want %v", tc.s, got, tc.want)
			}
		})
	}
}
