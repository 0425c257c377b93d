package engine

import (
	"bytes"
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
)

// matcher finds every occurrence of every term of a rule set in one pass
// over the tokens of an article.
//
// Terms are indexed by their first word. Each token is hashed once (a
// rotate-xor rolling hash over its lower-cased bytes, hashStep); the
// running hash at each length where some prefix word ends is the hash of
// that prefix, so exact words and prefix words are probed in the same loop.
// A bit filter in front of the maps rejects almost every token without a
// map lookup. A word written with '~' is indexed under each of its forms,
// so it costs what exact words cost.
// Written by hand because the generic Aho–Corasick libraries match bytes,
// not whole words with prefixes, and cannot report token positions.
type matcher struct {
	terms []term

	exact, prefix     map[string][]int32 // lower-cased first word → term ids
	csExact, csPrefix map[string][]int32 // case-kept first word → term ids
	prefixLens        uint64             // bit L set: some prefix word is L bytes long (L ≤ 63)
	longPrefix        bool               // some prefix word is longer than 63 bytes
	// filter is a bit filter over the hashes of exact and prefix words,
	// and of case-sensitive exact words lower-cased.
	filter []uint64
	mask   uint64
	// csPrefixFirst[c] has bit L set when a case-sensitive prefix word of
	// length L starts with byte c (bit 63 for those of 63 bytes or more,
	// which csLong lists): a cheap test before the map lookup.
	csPrefixFirst [256]uint64
	csLong        []string
	// first[c] has bit L set when an exact first word of length L (63 for
	// longer) starts with byte c; prefixFirst[c] when a prefix word does.
	// One table load rejects most tokens before any hashing.
	first, prefixFirst [256]uint64

	// Terms whose first word is in Arabic letters are indexed by its base
	// (arabic.go), apart, so only tokens that start with an Arabic letter
	// pay for proclitic stripping.
	arExact, arPrefix map[string][]int32
	arPrefixLens      []int // byte lengths of the arPrefix keys, ascending
	// arPrefixFirst has bit L set for each length L (below 64) of an
	// arPrefix key whose first two bytes index it (arFirst); arPrefixLong
	// is set when some key is longer, and every length is tried.
	arPrefixFirst [128]uint64
	arPrefixLong  bool

	// exactTab holds exact's entries again, found by the hash the
	// tokenizer computed: no string hashing per token. csTab holds
	// csExact's terms under their first word lower-cased, found the same
	// way; the case-kept text is compared after.
	exactTab, csTab firstWordTable
	// prefixTab, arExactTab and arPrefixTab hold prefix's, arExact's and
	// arPrefix's entries the same way, found by the running hash of a
	// token's first bytes, or of what follows its proclitics.
	prefixTab, arExactTab, arPrefixTab firstWordTable
	// csFilter is a small bit filter over csTab's words: most tokens that
	// pass filter are not case-sensitive words, and need no probe.
	csFilter [16]uint64
	// next[id] tells try, from the token after the first word, whether
	// term id can match there before rest reads it (nextFilter).
	next []nextFilter
}

// nextFilter is a necessary condition on the token after the first word
// of a term of several words: its lower-cased first byte is c0 (any when
// c0 is 0) and bit min(its length, 63) of lens is set. lens is 0 for a
// term of one word.
type nextFilter struct {
	c0   byte
	lens uint64
}

// newNextFilter returns the nextFilter of t.
func newNextFilter(t *term) nextFilter {
	if len(t.words) < 2 {
		return nextFilter{}
	}
	unknown := nextFilter{lens: ^uint64(0)}
	w := &t.words[1]
	if t.cs || w.text == "" {
		return unknown
	}
	switch {
	case w.forms != nil:
		f := nextFilter{c0: w.forms[0][0]}
		for _, x := range w.forms {
			if x == "" || x[0] != f.c0 {
				return unknown
			}
			f.lens |= 1 << min(len(x), 63)
		}
		return f
	case w.prefix:
		return nextFilter{c0: w.text[0], lens: ^uint64(0) << min(len(w.text), 63)}
	}
	return nextFilter{c0: w.text[0], lens: 1 << min(len(w.text), 63)}
}

// firstWordTable maps words to term ids by their hashWord hash: open
// addressing, at most half full. A probe reads tags first, two bytes a
// slot (tagOf the hash, 0 for an empty slot), so the probes of a text stay
// in the cache; a slot, ten times larger, is read only when its tag is the
// hash's.
type firstWordTable struct {
	tags  []uint16
	slots []firstWordSlot
	mask  uint64
}

// tagOf returns the tag of hash h: never 0.
func tagOf(h uint64) uint16 { return uint16(h>>48) | 1 }

type firstWordSlot struct {
	hash uint64
	word string
	// short is set when word is shortASCII: a token of its length that
	// is ASCII too is the word when their hashes are equal.
	short bool
	// cands are the word's terms: first those that need nothing of the
	// next token's first byte (one-word terms, and those whose second
	// word may start with anything), direct of them; then the others,
	// by that byte.
	cands  []termCand
	direct int
}

// termCand is a term whose first word a token matched, with the filter on
// the token after it, side by side so that a common first word's many
// terms ("was killed", "was arrested", …) are read in one sweep.
type termCand struct {
	id int32
	nf nextFilter
}

func newFirstWordTable(words map[string][]int32, next []nextFilter) firstWordTable {
	size := 16
	for size < 2*len(words) {
		size <<= 1
	}
	t := firstWordTable{tags: make([]uint16, size), slots: make([]firstWordSlot, size), mask: uint64(size - 1)}
	for w, ids := range words {
		h := hashWord([]byte(w))
		i := mix(h) >> 32 & t.mask
		for t.tags[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.tags[i] = tagOf(h)
		cands := make([]termCand, len(ids))
		for k, id := range ids {
			cands[k] = termCand{id: id, nf: next[id]}
		}
		// Stable: terms of one next byte keep their order.
		slices.SortStableFunc(cands, func(x, y termCand) int { return cmp.Compare(x.nf.c0, y.nf.c0) })
		direct := 0
		for direct < len(cands) && cands[direct].nf.c0 == 0 {
			direct++
		}
		t.slots[i] = firstWordSlot{hash: h, word: w, short: shortASCII(w), cands: cands, direct: direct}
	}
	return t
}

// get returns the slot of word w, whose hashWord is h, or nil; ascii
// tells that w is ASCII, which spares comparing short words (shortASCII).
func (t *firstWordTable) get(h uint64, w []byte, ascii bool) *firstWordSlot {
	tag := tagOf(h)
	for i := mix(h) >> 32 & t.mask; ; i = (i + 1) & t.mask {
		switch t.tags[i] {
		case 0:
			return nil
		case tag:
			if sl := &t.slots[i]; sl.hash == h && len(sl.word) == len(w) && (ascii && sl.short || sl.word == string(w)) {
				return sl
			}
		}
	}
}

// shortASCII reports whether w is ASCII and of maxShortASCII bytes at
// most. hashWord is one-to-one on such words of one length: each step
// rotates the hash by 7 bits and XORs in a byte below 128, so the bytes
// lie in disjoint 7-bit fields of the 63 low bits. Two such words of one
// length are equal when their hashes are, which the matcher's tables use
// to skip comparing them.
func shortASCII[T ~string | ~[]byte](w T) bool {
	if len(w) > maxShortASCII {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxShortASCII is the longest word whose 7-bit fields fit in 63 bits.
const maxShortASCII = 9

// tryWord tries at token i the terms of the first word whose slot is sl:
// those that need nothing of the next token, then those whose next word
// starts with the next token's first byte.
func (m *matcher) tryWord(a *analysis, i int, sl *firstWordSlot) {
	for _, c := range sl.cands[:sl.direct] {
		m.tryOne(a, i, c.id, c.nf)
	}
	rest := sl.cands[sl.direct:]
	if len(rest) == 0 || i+1 >= len(a.toks) {
		return
	}
	c0 := a.toks[i+1].c0
	// The first term whose next byte is c0 or after: most words have few
	// such terms, read in order; a common word's many are searched.
	k := 0
	if len(rest) > 8 {
		k, _ = slices.BinarySearchFunc(rest, c0, func(c termCand, c0 byte) int { return cmp.Compare(c.nf.c0, c0) })
	} else {
		for k < len(rest) && rest[k].nf.c0 < c0 {
			k++
		}
	}
	for ; k < len(rest) && rest[k].nf.c0 == c0; k++ {
		m.tryOne(a, i, rest[k].id, rest[k].nf)
	}
}

// Words are hashed with a cheap rolling step (rotate and xor, one cycle of
// latency per byte, so the tokenizer can hash every byte it reads) and
// mixed with one multiplication before they index the filter.

func hashStep(h uint64, c byte) uint64 { return bits.RotateLeft64(h, 7) ^ uint64(c) }

func hashWord(b []byte) uint64 {
	var h uint64
	for _, c := range b {
		h = hashStep(h, c)
	}
	return h
}

func mix(h uint64) uint64 { return (h + 0x632BE59BD9B4E019) * 0x9E3779B97F4A7C15 }

func newMatcher(terms []term) *matcher {
	m := &matcher{
		terms:    terms,
		exact:    map[string][]int32{},
		prefix:   map[string][]int32{},
		csExact:  map[string][]int32{},
		csPrefix: map[string][]int32{},
		arExact:  map[string][]int32{},
		arPrefix: map[string][]int32{},
	}
	words := 0
	for id, t := range terms {
		w := t.words[0]
		if w.arBase != "" {
			tbl := m.arExact
			if w.prefix {
				tbl = m.arPrefix
				if len(tbl[w.arBase]) == 0 && !slices.Contains(m.arPrefixLens, len(w.arBase)) {
					m.arPrefixLens = append(m.arPrefixLens, len(w.arBase))
				}
			}
			if tbl[w.arBase] == nil {
				words++
			}
			tbl[w.arBase] = append(tbl[w.arBase], int32(id))
			continue
		}
		if w.forms != nil {
			tbl := m.exact
			if t.cs {
				tbl = m.csExact
			}
			for _, f := range w.forms {
				if tbl[f] == nil {
					words++
				}
				tbl[f] = append(tbl[f], int32(id))
			}
			continue
		}
		var tbl map[string][]int32
		switch {
		case t.cs && w.prefix:
			tbl = m.csPrefix
		case t.cs:
			tbl = m.csExact
		case w.prefix:
			tbl = m.prefix
			if len(w.text) < 64 {
				m.prefixLens |= 1 << len(w.text)
			} else {
				m.longPrefix = true
			}
		default:
			tbl = m.exact
		}
		if tbl[w.text] == nil {
			words++
		}
		tbl[w.text] = append(tbl[w.text], int32(id))
	}
	slices.Sort(m.arPrefixLens)
	for w := range m.arPrefix {
		if len(w) < 2 || len(w) >= 64 {
			m.arPrefixLong = true
			continue
		}
		m.arPrefixFirst[arFirst(w[0], w[1])] |= 1 << len(w)
	}
	m.next = make([]nextFilter, len(terms))
	for id := range terms {
		m.next[id] = newNextFilter(&terms[id])
	}
	m.exactTab = newFirstWordTable(m.exact, m.next)
	csLower := map[string][]int32{}
	for w, ids := range m.csExact {
		k := lowerString(w)
		for _, id := range ids {
			if !slices.Contains(csLower[k], id) {
				csLower[k] = append(csLower[k], id)
			}
		}
	}
	m.csTab = newFirstWordTable(csLower, m.next)
	for w := range csLower {
		b := mix(hashWord([]byte(w))) >> 54
		m.csFilter[b>>6] |= 1 << (b & 63)
	}
	m.prefixTab = newFirstWordTable(m.prefix, m.next)
	m.arExactTab = newFirstWordTable(m.arExact, m.next)
	m.arPrefixTab = newFirstWordTable(m.arPrefix, m.next)
	// About 32 filter bits per word keeps false positives near 3%.
	size := 1024
	for size < words*32 {
		size <<= 1
	}
	m.filter = make([]uint64, size/64)
	m.mask = uint64(size - 1)
	for w := range m.exact {
		m.setBit(hashWord([]byte(w)))
	}
	for w := range m.csExact {
		// A token can be w only if its lower-cased text is w's: the
		// filter rejects the others by the hash the tokenizer computed.
		m.setBit(hashWord([]byte(lowerString(w))))
	}
	for w := range m.csPrefix {
		m.csPrefixFirst[w[0]] |= 1 << min(len(w), 63)
		if len(w) >= 63 {
			m.csLong = append(m.csLong, w)
		} else {
			m.setBit(hashWord([]byte(w)))
		}
	}
	slices.Sort(m.csLong)
	for w := range m.exact {
		m.first[w[0]] |= 1 << min(len(w), 63)
	}
	for w := range m.prefix {
		m.prefixFirst[w[0]] |= 1 << min(len(w), 63)
	}
	for w := range m.prefix {
		m.setBit(hashWord([]byte(w)))
	}
	// Arabic words too: scanArabic hashes every rest of a token at each
	// prefix length, and most of those hashes are of no word.
	for w := range m.arExact {
		m.setBit(hashWord([]byte(w)))
	}
	for w := range m.arPrefix {
		m.setBit(hashWord([]byte(w)))
	}
	return m
}

func (m *matcher) setBit(h uint64) {
	h = mix(h) >> 20 & m.mask
	m.filter[h>>6] |= 1 << (h & 63)
}

// csMaybe reports whether h may be the hash of a case-sensitive exact word
// lower-cased.
func (m *matcher) csMaybe(h uint64) bool {
	b := mix(h) >> 54
	return m.csFilter[b>>6]&(1<<(b&63)) != 0
}

func (m *matcher) maybe(h uint64) bool {
	h = mix(h) >> 20 & m.mask
	return m.filter[h>>6]&(1<<(h&63)) != 0
}

// scan records in a.hits the start position of every term occurrence.
func (m *matcher) scan(a *analysis) {
	hasCSExact, hasCSPrefix := len(m.csExact) > 0, len(m.csPrefix) > 0
	hasAr := len(m.arExact)+len(m.arPrefix) > 0
	lens := m.prefixLens
	minLen := bits.TrailingZeros64(lens)
	maxLen := 63 - bits.LeadingZeros64(lens)
	// Matching adds hits, never tokens: the token list and the fields'
	// lower-cased text are read from locals, not reloaded after each call.
	toks := a.toks
	// (A field is 0 or 1: field&1 indexes lower with no bounds check.)
	lower := [2][]byte{a.fields[0].lower, a.fields[1].lower}
	for i := range toks {
		tk := &toks[i]
		c0 := tk.c0
		n := int(tk.le - tk.ls)
		inFilter := m.maybe(tk.hash)
		if inFilter && m.first[c0]&(1<<min(n, 63)) != 0 {
			if sl := m.exactTab.get(tk.hash, lower[tk.field&1][tk.ls:tk.le], tk.ascii); sl != nil {
				m.tryWord(a, i, sl)
			}
		}
		if n >= minLen {
			// The lengths of the prefix words that start with the token's
			// first byte and fit in it (below 64: longer ones are below).
			if pl := m.prefixFirst[c0] & lens & (1<<(min(n, maxLen)+1) - 1); pl != 0 {
				// The running hash at each length is the hash of that
				// prefix.
				key := a.lowerTok(i)
				var h uint64
				k := 0
				for ; pl != 0; pl &= pl - 1 {
					l := bits.TrailingZeros64(pl)
					for ; k < l; k++ {
						h = hashStep(h, key[k])
					}
					if m.maybe(h) {
						if sl := m.prefixTab.get(h, key[:l], tk.ascii); sl != nil {
							m.tryWord(a, i, sl)
						}
					}
				}
			}
		}
		if m.longPrefix && tk.le-tk.ls >= 64 {
			key := a.lowerTok(i)
			for w, ids := range m.prefix {
				if len(w) >= 64 && bytes.HasPrefix(key, []byte(w)) {
					m.try(a, i, ids)
				}
			}
		}
		if hasAr && c0 >= 0xD8 && c0 <= 0xD9 {
			m.scanArabic(a, i)
		}
		if hasCSExact && inFilter && m.csMaybe(tk.hash) {
			if sl := m.csTab.get(tk.hash, a.lowerTok(i), tk.ascii); sl != nil {
				raw := a.rawTok(i)
				for _, c := range sl.cands {
					if m.terms[c.id].words[0].matches(raw) {
						m.tryOne(a, i, c.id, c.nf)
					}
				}
			}
		}
		if hasCSPrefix {
			raw := a.rawTok(i)
			if lens := m.csPrefixFirst[raw[0]] & (1<<(min(len(raw), 63)+1) - 1); lens != 0 {
				m.scanCSPrefix(a, i, raw, lens)
			}
		}
	}
}

// scanCSPrefix matches token i, whose normalised text is raw, against the
// case-sensitive prefix words: lens has bit L set for each length L of a
// prefix word that starts with raw's first byte and fits in raw. The
// running hash at each such length goes through the bit filter before the
// map is read, as for the other prefixes.
func (m *matcher) scanCSPrefix(a *analysis, i int, raw string, lens uint64) {
	var h uint64
	top := min(len(raw), 62, 63-bits.LeadingZeros64(lens))
	for j := 0; j < top; j++ {
		h = hashStep(h, raw[j])
		if lens&(1<<(j+1)) != 0 && m.maybe(h) {
			if ids, ok := m.csPrefix[raw[:j+1]]; ok {
				m.try(a, i, ids)
			}
		}
	}
	if lens&(1<<63) != 0 {
		for _, w := range m.csLong {
			if strings.HasPrefix(raw, w) {
				m.try(a, i, m.csPrefix[w])
			}
		}
	}
}

// scanArabic matches token i against the Arabic first words, with every
// proclitic sequence the token starts with.
func (m *matcher) scanArabic(a *analysis, i int) {
	key := a.lowerTok(i)
	if !startsArabic(key) {
		return
	}
	for mask := arabicRests(key); mask != 0; mask &= mask - 1 {
		rest := key[bits.TrailingZeros16(mask):]
		// The running hash of rest at each length is the hash of that
		// prefix of it.
		var h uint64
		k := 0
		if m.arPrefixLong {
			for _, n := range m.arPrefixLens {
				if n > len(rest) {
					break
				}
				h, k = m.tryArPrefix(a, i, rest, n, h, k)
			}
		} else if len(rest) >= 2 {
			// Only the lengths of the keys that start with rest's first
			// letter and fit in it.
			for pl := m.arPrefixFirst[arFirst(rest[0], rest[1])] & (1<<(min(len(rest), 63)+1) - 1); pl != 0; pl &= pl - 1 {
				h, k = m.tryArPrefix(a, i, rest, bits.TrailingZeros64(pl), h, k)
			}
		}
		for ; k < len(rest); k++ {
			h = hashStep(h, rest[k])
		}
		if !m.maybe(h) {
			continue
		}
		if sl := m.arExactTab.get(h, rest, false); sl != nil {
			m.tryWord(a, i, sl)
		}
	}
}

// tryArPrefix carries h, the running hash of rest[:k], on to rest[:n]
// (n >= k) and tries rest[:n] as an Arabic prefix word at token i; it
// returns the hash and n.
func (m *matcher) tryArPrefix(a *analysis, i int, rest []byte, n int, h uint64, k int) (uint64, int) {
	for ; k < n; k++ {
		h = hashStep(h, rest[k])
	}
	if m.maybe(h) {
		if sl := m.arPrefixTab.get(h, rest[:n], false); sl != nil {
			m.tryWord(a, i, sl)
		}
	}
	return h, k
}

// arFirst indexes arPrefixFirst by the first two bytes of a word: an
// Arabic letter's lead byte (0xD8 or 0xD9, told by its low bit) and the
// low six bits of its second byte. Other letters share indexes with
// these, which only costs a lookup.
func arFirst(b0, b1 byte) int { return int(b0&1)<<6 | int(b1&0x3F) }

// try checks whether the terms ids, whose first word matched token i, match
// in full there, and records the hits.
func (m *matcher) try(a *analysis, i int, ids []int32) {
	for _, id := range ids {
		m.tryOne(a, i, id, m.next[id])
	}
}

// tryOne checks whether term id, whose first word matched token i and
// whose next-word filter is nf, matches in full there, and records the hit.
func (m *matcher) tryOne(a *analysis, i int, id int32, nf nextFilter) {
	if nf.lens != 0 {
		j := i + 1
		if j >= len(a.toks) {
			return
		}
		if nf.c0 != 0 {
			tj := &a.toks[j]
			if tj.c0 != nf.c0 || nf.lens&(1<<min(tj.le-tj.ls, 63)) == 0 {
				return
			}
		}
		if !m.rest(a, i, &m.terms[id]) {
			return
		}
	}
	h := a.hits[id]
	if len(h) == 0 {
		a.touched = append(a.touched, id)
	} else if h[len(h)-1] == int32(i) {
		return
	}
	a.hits[id] = append(h, int32(i))
}

// rest matches the words after the first of t against the tokens after i,
// within the same field.
func (m *matcher) rest(a *analysis, i int, t *term) bool {
	if i+len(t.words) > len(a.toks) {
		return false
	}
	fi := a.toks[i].field
	for k := 1; k < len(t.words); k++ {
		j := i + k
		if a.toks[j].field != fi {
			return false
		}
		w := &t.words[k]
		if t.cs {
			if !w.matches(a.rawTok(j)) {
				return false
			}
			continue
		}
		tok := a.lowerTok(j)
		if w.forms != nil {
			if !containsBytes(w.forms, tok) {
				return false
			}
			continue
		}
		if w.prefix && !bytes.HasPrefix(tok, []byte(w.text)) || !w.prefix && string(tok) != w.text {
			return false
		}
	}
	return true
}

// containsBytes reports whether tok is one of forms, without allocating.
func containsBytes(forms []string, tok []byte) bool {
	for _, f := range forms {
		if string(tok) == f {
			return true
		}
	}
	return false
}
