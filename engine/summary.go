package engine

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// summary picks n body sentences: those holding the most evidence of the
// matches, with a bonus for the lead; the lead alone when nothing matched.
// Sentences come back verbatim (whitespace collapsed) in document order.
func (s *Scorer) summary(matches []Match, n int) []string {
	a := &s.a
	sp := a.sentences(fieldBody)
	if len(sp) == 0 {
		return nil
	}
	ids := a.sentenceIDs()
	base := int32(a.sentCount - len(sp))
	tokens := make([]int, len(sp))
	for i := a.titleToks; i < len(a.toks); i++ {
		if k := ids[i] - base; k >= 0 && int(k) < len(sp) {
			tokens[k]++
		}
	}
	score := make([]float64, len(sp))
	for _, m := range matches {
		for _, e := range m.Evidence {
			seen := -1
			for _, p := range e.Positions {
				if p < a.titleToks {
					continue
				}
				k := int(ids[p] - base)
				if k < 0 || k >= len(sp) || k == seen {
					continue
				}
				seen = k
				score[k] += 1 + m.Score/100
			}
		}
	}
	var pick []int
	for k := range sp {
		if tokens[k] < minSummaryTokens {
			continue
		}
		pick = append(pick, k)
	}
	lead := 0
	for _, k := range pick {
		if lead < 3 {
			score[k] += 0.75 - 0.25*float64(lead)
			lead++
		}
	}
	sort.SliceStable(pick, func(i, j int) bool { return score[pick[i]] > score[pick[j]] })
	if len(pick) > n {
		pick = pick[:n]
	}
	sort.Ints(pick)
	out := make([]string, 0, len(pick))
	for _, k := range pick {
		out = append(out, truncateWords(collapseSpace(a.fields[fieldBody].orig[sp[k].Start:sp[k].End]), summaryChars))
	}
	return out
}

// truncateWords cuts s to at most max characters at a word boundary,
// ending with "…" when it cut.
func truncateWords(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	t := s[:cut]
	if k := strings.LastIndexFunc(t, unicode.IsSpace); k > 0 {
		t = t[:k]
	}
	return strings.TrimRightFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"' }) + "…"
}
