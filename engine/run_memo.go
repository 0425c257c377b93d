package engine

import (
	"math/bits"
)

// Run time: what the helpers ask of a term set, computed once per article.
//
// The shipped pack's rules name the same large lexicons (places, armed
// groups, ranks) in many calls, and an article meets a few dozen terms
// out of thousands. Walking a set's every term on every call cost about a
// tenth of scoring; the set's terms that occurred and the union of their
// positions are kept here for the article instead, and a large set's
// terms that occurred are found from the article's side: its few dozen
// touched terms, tested against the set's membership bits.

// bitsMinSet is the size from which a set gets membership bits: below it,
// walking the set costs no more than walking the touched terms.
const bitsMinSet = 32

// setBits returns the membership bits of each set of at least bitsMinSet
// terms (nil for the others), over term ids.
func setBits(sets [][]int32, nTerms int) [][]uint64 {
	out := make([][]uint64, len(sets))
	words := (nTerms + 63) / 64
	for id, set := range sets {
		if len(set) < bitsMinSet {
			continue
		}
		b := make([]uint64, words)
		for _, t := range set {
			b[t>>6] |= 1 << (t & 63)
		}
		out[id] = b
	}
	return out
}

// setWords returns, for each set with membership bits, the range of
// words [from, to) outside which its bits are all zero: a lexicon's
// terms are numbered together, so that is a few words of many.
func setWords(bits [][]uint64) []span {
	out := make([]span, len(bits))
	for id, b := range bits {
		from, to := 0, len(b)
		for from < to && b[from] == 0 {
			from++
		}
		for to > from && b[to-1] == 0 {
			to--
		}
		out[id] = span{int32(from), int32(to)}
	}
	return out
}

// span is a range of one of setMemo's arenas.
type span struct{ from, to int32 }

// setMemo holds, for the article being scored, each asked-for set's terms
// that occurred and the union of their positions. Entries are valid while
// their stamp is the memo's; reset starts a new article.
type setMemo struct {
	stamp    uint32
	occStamp []uint32 // per set id
	occ      []span   // per set id, into terms
	posStamp []uint32
	pos      []span // per set id, into positions
	// kept is union's positions without those whose flags are keptDrop:
	// one filtered list per set, the last one asked for (rules that drop
	// the same flags ask for the same one).
	keptStamp []uint32
	keptDrop  []uint8
	kept      []span
	// anyStamp and anyVal keep anyOccurred's answers: gating asks it of
	// the same sets for several rules.
	anyStamp []uint32
	anyVal   []bool
	// matchedStamp, matchedDrop and matched keep matched()'s answer per
	// set, for the flags last dropped: the fields of every rule that
	// matched ask for the same places and groups.
	matchedStamp []uint32
	matchedDrop  []uint8
	matched      [][]string
	terms        []int32
	position     []int32

	bits []uint64 // union's bit set over token positions, all zero between uses
	// touched is the article's touched terms as a bit set over term ids,
	// words [touchedLo, touchedHi) set when touchedDone; all zero outside
	// them, and everywhere between articles.
	touched              []uint64
	touchedLo, touchedHi int
	touchedDone          bool
}

func (m *setMemo) reset(nSets int) {
	if len(m.occStamp) < nSets {
		m.occStamp = make([]uint32, nSets)
		m.occ = make([]span, nSets)
		m.posStamp = make([]uint32, nSets)
		m.pos = make([]span, nSets)
		m.keptStamp = make([]uint32, nSets)
		m.keptDrop = make([]uint8, nSets)
		m.kept = make([]span, nSets)
		m.anyStamp = make([]uint32, nSets)
		m.anyVal = make([]bool, nSets)
		m.matchedStamp = make([]uint32, nSets)
		m.matchedDrop = make([]uint8, nSets)
		m.matched = make([][]string, nSets)
	}
	m.stamp++
	if m.stamp == 0 {
		clear(m.occStamp)
		clear(m.posStamp)
		clear(m.keptStamp)
		clear(m.anyStamp)
		clear(m.matchedStamp)
		m.stamp = 1
	}
	m.terms = m.terms[:0]
	m.position = m.position[:0]
	if m.touchedDone {
		clear(m.touched[m.touchedLo:m.touchedHi])
		m.touchedDone = false
	}
}

// occurring returns the terms of set id that occurred in the article, in
// id order (the set's order). The slice must not be changed.
func (a *analysis) occurring(rs *RuleSet, id int) []int32 {
	m := &a.memo
	if m.occStamp[id] == m.stamp {
		sp := m.occ[id]
		return m.terms[sp.from:sp.to:sp.to]
	}
	from := len(m.terms)
	if member := a.fromTouched(rs, id); member != nil {
		// The set's bits and the touched terms' bits, word by word, give
		// the terms in id order with no sort.
		tb, lo, hi := a.touchedWithin(rs, id, len(member))
		for w := lo; w < hi; w++ {
			for x := member[w] & tb[w]; x != 0; x &= x - 1 {
				m.terms = append(m.terms, int32(w<<6|bits.TrailingZeros64(x)))
			}
		}
	} else {
		for _, t := range rs.sets[id] {
			if len(a.hits[t]) > 0 {
				m.terms = append(m.terms, t)
			}
		}
	}
	m.occStamp[id] = m.stamp
	m.occ[id] = span{int32(from), int32(len(m.terms))}
	return m.terms[from:len(m.terms):len(m.terms)]
}

// anyOccurred reports whether a term of set id occurred: occurring's
// answer when it is known, else found by stopping at the first such term
// (gating asks this of many sets that no helper reads after).
func (a *analysis) anyOccurred(rs *RuleSet, id int) bool {
	m := &a.memo
	if m.occStamp[id] == m.stamp {
		return m.occ[id].to > m.occ[id].from
	}
	if m.anyStamp[id] == m.stamp {
		return m.anyVal[id]
	}
	ok := a.findOccurred(rs, id)
	m.anyStamp[id], m.anyVal[id] = m.stamp, ok
	return ok
}

// touchedBits returns the memo's bit set of the article's touched terms,
// of words words at least (the rule set's term table), built on first use.
func (a *analysis) touchedBits(words int) []uint64 {
	m := &a.memo
	if m.touchedDone {
		return m.touched
	}
	if len(m.touched) < words {
		m.touched = make([]uint64, words)
	}
	lo, hi := len(m.touched), 0
	for _, t := range a.touched {
		w := int(t >> 6)
		m.touched[w] |= 1 << (t & 63)
		lo, hi = min(lo, w), max(hi, w+1)
	}
	m.touchedLo, m.touchedHi = lo, max(lo, hi)
	m.touchedDone = true
	return m.touched
}

// touchedWithin returns the touched terms' bit set (touchedBits) and the
// words [lo, hi) where both it and set id's bits may be set.
func (a *analysis) touchedWithin(rs *RuleSet, id, words int) (tb []uint64, lo, hi int) {
	tb = a.touchedBits(words)
	sw := rs.setWords[id]
	return tb, max(a.memo.touchedLo, int(sw.from)), min(a.memo.touchedHi, int(sw.to))
}

// findOccurred is anyOccurred, computed.
func (a *analysis) findOccurred(rs *RuleSet, id int) bool {
	if member := a.fromTouched(rs, id); member != nil {
		tb, lo, hi := a.touchedWithin(rs, id, len(member))
		for w := lo; w < hi; w++ {
			if member[w]&tb[w] != 0 {
				return true
			}
		}
		return false
	}
	for _, t := range rs.sets[id] {
		if len(a.hits[t]) > 0 {
			return true
		}
	}
	return false
}

// fromTouched returns the membership bits of set id when its terms that
// occurred are found more cheaply from the article's touched terms than
// by walking the set (a large set, fewer terms touched than it holds),
// else nil.
func (a *analysis) fromTouched(rs *RuleSet, id int) []uint64 {
	if member := rs.setBits[id]; member != nil && len(a.touched) < len(rs.sets[id]) {
		return member
	}
	return nil
}

// union returns the sorted, distinct start positions of the terms of set
// id, every occurrence counted. The slice must not be changed.
func (a *analysis) union(rs *RuleSet, id int) []int32 {
	m := &a.memo
	if m.posStamp[id] == m.stamp {
		sp := m.pos[id]
		return m.position[sp.from:sp.to:sp.to]
	}
	occ := a.occurring(rs, id)
	if len(occ) == 1 {
		h := a.hits[occ[0]]
		return h[:len(h):len(h)]
	}
	from := len(m.position)
	total := 0
	for _, t := range occ {
		total += len(a.hits[t])
	}
	if total <= 32 {
		for _, t := range occ {
			m.position = append(m.position, a.hits[t]...)
		}
		u := sortDistinct(m.position[from:])
		m.position = m.position[:from+len(u)]
	} else {
		// Many occurrences: marked in a bit set over the tokens and read
		// back in order, which costs less than sorting them.
		if words := (len(a.toks) + 63) / 64; len(m.bits) < words {
			m.bits = make([]uint64, words)
		}
		lo, hi := len(m.bits), 0
		for _, t := range occ {
			for _, p := range a.hits[t] {
				w := int(p >> 6)
				m.bits[w] |= 1 << (p & 63)
				lo, hi = min(lo, w), max(hi, w)
			}
		}
		for w := lo; w <= hi; w++ {
			for b := m.bits[w]; b != 0; b &= b - 1 {
				m.position = append(m.position, int32(w<<6+bits.TrailingZeros64(b)))
			}
			m.bits[w] = 0
		}
	}
	to := len(m.position)
	m.posStamp[id] = m.stamp
	m.pos[id] = span{int32(from), int32(to)}
	return m.position[from:to:to]
}

// keptPositions returns union(rs, id) without the positions whose token
// has one of the flags drop (not 0). The slice must not be changed.
func (a *analysis) keptPositions(rs *RuleSet, id int, drop uint8) []int32 {
	m := &a.memo
	if m.keptStamp[id] == m.stamp && m.keptDrop[id] == drop {
		sp := m.kept[id]
		return m.position[sp.from:sp.to:sp.to]
	}
	all := a.union(rs, id)
	from := len(m.position)
	for _, p := range all {
		if a.flagsOf(p)&drop == 0 {
			m.position = append(m.position, p)
		}
	}
	to := len(m.position)
	m.keptStamp[id], m.keptDrop[id], m.kept[id] = m.stamp, drop, span{int32(from), int32(to)}
	return m.position[from:to:to]
}

// Pairs: near, before and same_sentence relate an occurrence of one set to
// one of another. For a rule that drops some occurrences (polarity,
// quotation), only those with a partner in the other set, every
// occurrence counted, can matter; their flags are read, the others' are
// not. The helpers then run on the kept ones as on the fully filtered
// lists: an occurrence without a partner changes neither their answer nor
// their events, since each walks both lists in order and steps past such
// an occurrence without pairing it.

// pairPositions returns the positions of sets ia and ib that count for
// the rule, where only those of a within [lo, hi] tokens before one of b
// (b - a in [lo, hi]), and those of b with such an a, are kept.
func (e *Env) pairPositions(ia, ib, lo, hi int) ([]int32, []int32) {
	a, b := e.a.union(e.rs, ia), e.a.union(e.rs, ib)
	if e.drop == 0 || len(a) == 0 || len(b) == 0 {
		return a, b
	}
	pa, pb := e.bufs.scratch[0][:0], e.bufs.scratch[1][:0]
	j := 0
	for _, p := range a {
		for j < len(b) && int(b[j]) < int(p)+lo {
			j++
		}
		if j < len(b) && int(b[j]) <= int(p)+hi && e.kept(p) {
			pa = append(pa, p)
		}
	}
	i := 0
	for _, p := range b {
		for i < len(a) && int(a[i]) < int(p)-hi {
			i++
		}
		if i < len(a) && int(a[i]) <= int(p)-lo && e.kept(p) {
			pb = append(pb, p)
		}
	}
	e.bufs.scratch[0], e.bufs.scratch[1] = pa, pb
	return pa, pb
}

// sentencePositions returns the positions of sets ia and ib that count
// for the rule, where only those in a sentence that holds an occurrence of
// the other set are kept.
func (e *Env) sentencePositions(ia, ib int) ([]int32, []int32) {
	a, b := e.a.union(e.rs, ia), e.a.union(e.rs, ib)
	if e.drop == 0 || len(a) == 0 || len(b) == 0 {
		return a, b
	}
	pa, pb := e.bufs.scratch[0][:0], e.bufs.scratch[1][:0]
	keep := func(out, x, y []int32) []int32 {
		j := 0 // y[:j] are at or before p
		for _, p := range x {
			var with bool
			if with, j = e.a.sentenceWith(p, y, j); with && e.kept(p) {
				out = append(out, p)
			}
		}
		return out
	}
	pa, pb = keep(pa, a, b), keep(pb, b, a)
	e.bufs.scratch[0], e.bufs.scratch[1] = pa, pb
	return pa, pb
}
