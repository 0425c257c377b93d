package engine

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/textcut"
)

// proxyWindow is how close, in tokens, two different evidence terms of a
// match must be in one sentence to stand in for an event when the match
// carries no event positions.
const proxyWindow = 10

// summary picks at most n body sentences and returns them verbatim
// (whitespace collapsed, cut to summaryChars) in document order.
//
// Candidates, in order of preference:
//
//  1. Event sentences: those holding a position where a matched rule's
//     conditions held (Match.events). A match without events in the body
//     (a rule of mentions and counts, or one whose conditions held in the
//     title) stands in with its co-occurrences: positions of its evidence
//     that have a different term of its evidence within proxyWindow tokens
//     in the same sentence. First each match, highest score first, gets its strongest
//     event sentence (the most distinct evidence terms of the match, then
//     the earliest); then the other event sentences follow, those of the
//     highest-scored match first, each match's in document order.
//  2. Co-occurrence sentences of the matches that have events: the
//     helpers record the first place where a condition held, and these
//     are the further places where the match's terms meet (a second
//     arrest in a later paragraph), in document order.
//  3. The lead: the remaining sentences in document order.
//
// Sentences of fewer than minSummaryTokens tokens are never picked. A
// sentence that opens with a bare pronoun (see dependentOpener) is picked
// only together with the sentence before it, and both count against n;
// when that sentence is too short, or both do not fit, it is left out.
// The first sentence of the body is never treated as dependent: what it
// refers to is in the title.
func (s *Scorer) summary(matches []Match, n int) []string {
	a := &s.a
	sp := a.sentences(fieldBody)
	if len(sp) == 0 || n <= 0 {
		return nil
	}
	ids := a.sentenceIDs()
	base := int32(a.sentCount - len(sp))
	// sentOf returns the body sentence of token p, or -1.
	sentOf := func(p int) int {
		if p < a.titleToks || p >= len(ids) {
			return -1
		}
		k := int(ids[p] - base)
		if k < 0 || k >= len(sp) {
			return -1
		}
		return k
	}
	body := a.fields[fieldBody].orig
	sel := selector{n: n, st: make([]sentState, len(sp)), open: func(k int) string {
		return body[sp[k].Start:sp[k].End]
	}}
	st := sel.st
	for i := a.titleToks; i < len(a.toks); i++ {
		if k := sentOf(i); k >= 0 {
			st[k].tokens++
		}
	}
	ok := func(k int) bool { return st[k].tokens >= minSummaryTokens }

	var touched, proxySents []int
	var proxy []int32
	var termsSeen []int
	for mi, m := range matches {
		proxy = proxyEvents(proxy[:0], m, sentOf)
		touched = eventSentences(touched[:0], m.events, sentOf, ok)
		if len(touched) == 0 {
			// No events, or only in the title.
			touched = eventSentences(touched, proxy, sentOf, ok)
		} else {
			proxySents = eventSentences(proxySents[:0], proxy, sentOf, ok)
			for _, k := range proxySents {
				if st[k].tier == 0 {
					st[k].tier = tierCooccur
				}
			}
		}
		if len(touched) == 0 {
			continue
		}
		for _, k := range touched {
			if st[k].tier != tierEvent {
				st[k].tier = tierEvent
				st[k].rank = int32(mi)
			}
			st[k].strength = 0
		}
		// Strength: distinct evidence terms of m in each event sentence.
		for _, e := range m.Evidence {
			termsSeen = termsSeen[:0]
			for _, p := range e.Positions {
				k := sentOf(p)
				if k < 0 || !slices.Contains(touched, k) || slices.Contains(termsSeen, k) {
					continue
				}
				termsSeen = append(termsSeen, k)
				st[k].strength++
			}
		}
		slices.SortFunc(touched, func(x, y int) int {
			if st[x].strength != st[y].strength {
				return int(st[y].strength - st[x].strength)
			}
			return x - y
		})
		for _, k := range touched {
			if st[k].picked || sel.take(k) {
				break
			}
		}
		if sel.full() {
			break
		}
	}
	// The other event sentences: those of the highest-scored match first,
	// each match's in document order.
	var rest []int
	for k := range st {
		if st[k].tier == tierEvent && !st[k].picked {
			rest = append(rest, k)
		}
	}
	slices.SortStableFunc(rest, func(x, y int) int { return int(st[x].rank - st[y].rank) })
	for _, k := range rest {
		if sel.full() {
			break
		}
		if !st[k].picked {
			sel.take(k)
		}
	}
	for _, want := range []uint8{tierCooccur, tierLead} {
		for k := range st {
			if sel.full() {
				break
			}
			if st[k].tier == want && !st[k].picked {
				sel.take(k)
			}
		}
	}

	out := make([]string, 0, sel.used)
	for k := range st {
		if st[k].picked {
			out = append(out, textcut.Words(collapseSpace(body[sp[k].Start:sp[k].End]), summaryChars))
		}
	}
	return out
}

// Tiers of candidate sentences, see summary.
const (
	tierLead uint8 = iota
	tierEvent
	tierCooccur
)

// sentState is what summary knows of one body sentence.
type sentState struct {
	tokens   int32 // words in it
	strength int32 // distinct evidence terms of the match being ranked
	rank     int32 // for event sentences: index of the highest-scored match whose event it holds
	tier     uint8
	dep      int8 // 0 not known yet, 1 opens with a bare pronoun, -1 not
	picked   bool
}

// eventSentences appends to dst the distinct body sentences, long enough
// to be picked, that hold one of the positions, in order of first
// appearance.
func eventSentences(dst []int, positions []int32, sentOf func(int) int, ok func(int) bool) []int {
	for _, p := range positions {
		if k := sentOf(int(p)); k >= 0 && ok(k) && !slices.Contains(dst, k) {
			dst = append(dst, k)
		}
	}
	return dst
}

// selector picks sentences within a budget, keeping every dependent
// sentence with the one before it.
type selector struct {
	n, used int
	st      []sentState
	open    func(k int) string // the text of sentence k
}

func (s *selector) full() bool { return s.used >= s.n }

func (s *selector) ok(k int) bool { return s.st[k].tokens >= minSummaryTokens }

// dep reports whether sentence k opens with a bare pronoun; the first
// sentence never does (what it refers to is in the title).
func (s *selector) dep(k int) bool {
	if k == 0 {
		return false
	}
	if s.st[k].dep == 0 {
		s.st[k].dep = -1
		if dependentOpener(s.open(k)) {
			s.st[k].dep = 1
		}
	}
	return s.st[k].dep == 1
}

// take picks sentence k, and the sentences before it back to one that
// does not open with a pronoun (or one already picked), when all of them
// are long enough and fit in what is left of the budget.
func (s *selector) take(k int) bool {
	if !s.ok(k) || s.st[k].picked {
		return false
	}
	need := 1
	j := k
	for s.dep(j) {
		j--
		if j < 0 || !s.ok(j) {
			return false
		}
		if s.st[j].picked {
			break
		}
		need++
	}
	if s.used+need > s.n {
		return false
	}
	for i := k; i >= 0 && !s.st[i].picked; i-- {
		s.st[i].picked = true
		s.used++
		if i == j {
			break
		}
	}
	return true
}

// proxyEvents appends to dst the body positions of m's evidence that have
// a different term of m within proxyWindow tokens in the same sentence.
func proxyEvents(dst []int32, m Match, sentOf func(int) int) []int32 {
	type hit struct {
		pos, term, sent int
	}
	var hits []hit
	for ti, e := range m.Evidence {
		for _, p := range e.Positions {
			if k := sentOf(p); k >= 0 {
				hits = append(hits, hit{p, ti, k})
			}
		}
	}
	slices.SortFunc(hits, func(x, y hit) int { return x.pos - y.pos })
	for i, h := range hits {
		found := false
		for j := i - 1; j >= 0 && h.pos-hits[j].pos <= proxyWindow && !found; j-- {
			found = hits[j].term != h.term && hits[j].pos != h.pos && hits[j].sent == h.sent
		}
		for j := i + 1; j < len(hits) && hits[j].pos-h.pos <= proxyWindow && !found; j++ {
			found = hits[j].term != h.term && hits[j].pos != h.pos && hits[j].sent == h.sent
		}
		if found {
			dst = append(dst, int32(h.pos))
		}
	}
	return dst
}

// pronounOpeners are the words that, opening a sentence, make it lean on
// the sentence before it for its meaning: English personal, possessive and
// demonstrative pronouns, and the Arabic ones (also with the conjunction
// و or ف attached). First-person and second-person pronouns are left out:
// they open quotes whose speaker the sentence itself names.
var pronounOpeners = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"he", "she", "it", "they", "him", "them",
		"his", "her", "its", "their",
		"this", "these", "those", "that",
		"هو", "هي", "هم", "هما", "هن",
		"هذا", "هذه", "هؤلاء", "ذلك", "تلك", "أولئك",
	} {
		m[w] = true
	}
	return m
}()

// timeNouns after "this" or "these" make a time expression ("This week,
// police…"), which refers to nothing before it.
var timeNouns = map[string]bool{
	"week": true, "weekend": true, "month": true, "year": true, "morning": true, "afternoon": true,
	"evening": true, "summer": true, "winter": true, "spring": true, "autumn": true, "season": true,
	"days": true, "weeks": true, "months": true, "years": true,
}

// dependentOpener reports whether sentence s opens with a bare pronoun:
// after any leading quotes, dashes, bullets and brackets, its first word
// is one of pronounOpeners (case ignored), and not "this"/"these" opening
// a time expression.
func dependentOpener(s string) bool {
	w, rest := firstWord(s)
	if w == "" || len(w) > maxOpenerBytes {
		return false
	}
	var buf [maxOpenerBytes]byte
	lw := buf[:0]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lw = append(lw, c)
	}
	if !pronounOpeners[string(lw)] {
		// Arabic conjunctions attach to the word: وهو، فهذا.
		r, size := utf8.DecodeRune(lw)
		if (r != 'و' && r != 'ف') || !pronounOpeners[string(lw[size:])] {
			return false
		}
	}
	if string(lw) == "this" || string(lw) == "these" {
		next, _ := firstWord(rest)
		if timeNouns[strings.ToLower(next)] {
			return false
		}
	}
	return true
}

// maxOpenerBytes bounds the length of a pronoun opener, in bytes: the
// longest is an Arabic demonstrative with a conjunction (وأولئك).
const maxOpenerBytes = 16

// firstWord returns the first run of letters of s, skipping anything
// before it that is neither a letter nor a digit, and the text after it.
// It returns "" when s opens with a digit.
func firstWord(s string) (string, string) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
	if i < 0 {
		return "", ""
	}
	s = s[i:]
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) })
	if end < 0 {
		end = len(s)
	}
	return s[:end], s[end:]
}
