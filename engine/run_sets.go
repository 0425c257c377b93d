package engine

import (
	"slices"
)

// Run time: the helpers' operations on the sorted occurrence lists that
// the matcher found for literal term sets.

// mentionsSet reports whether any term of set id occurred.
func (e *Env) mentionsSet(id int) bool {
	for _, t := range e.a.occurring(e.rs, id) {
		for _, p := range e.a.hits[t] {
			if e.kept(p) {
				return true
			}
		}
	}
	return false
}

func (e *Env) inTitleSet(id int) bool {
	for _, t := range e.a.occurring(e.rs, id) {
		for _, p := range e.a.hits[t] {
			if int(p) >= e.a.titleToks {
				break
			}
			if e.kept(p) {
				return true
			}
		}
	}
	return false
}

// kept reports whether the occurrence at token p counts for the rule being
// evaluated (see RuleSpec.Polarity and RuleSpec.Quotes).
func (e *Env) kept(p int32) bool {
	return e.drop == 0 || e.a.flagsOf(p)&e.drop == 0
}

// setPositions returns the sorted, distinct start positions of the terms of
// set id that count for the rule, kept for the article (run_memo.go): the
// slice must not be changed.
func (e *Env) setPositions(id int) []int32 {
	return e.setPositionsKeeping(id, 0)
}

// setPositionsKeeping is setPositions with the flags in keep not dropped
// even when the rule drops them (negated and hedged count those).
func (e *Env) setPositionsKeeping(id int, keep uint8) []int32 {
	if drop := e.drop &^ keep; drop != 0 {
		return e.a.keptPositions(e.rs, id, drop)
	}
	return e.a.union(e.rs, id)
}

// keep filters positions computed at run time (which are in a scratch
// buffer of their own) in place, as setPositions does.
func (e *Env) keep(pos []int32) []int32 { return e.keepOnly(pos, 0) }

func (e *Env) keepOnly(pos []int32, keep uint8) []int32 {
	drop := e.drop &^ keep
	if drop == 0 || len(pos) == 0 {
		return pos
	}
	out := pos[:0]
	for _, p := range pos {
		if e.a.flagsOf(p)&drop == 0 {
			out = append(out, p)
		}
	}
	return out
}

// countFlagged counts the positions whose token has flag f.
func (e *Env) countFlagged(pos []int32, f uint8) int {
	if len(pos) == 0 {
		return 0
	}
	n := 0
	for _, p := range pos {
		if e.a.flagsOf(p)&f != 0 {
			n++
		}
	}
	return n
}

// event records that a condition of the rule held at token p; the
// sentences of events lead the summary.
func (e *Env) event(p ...int32) { e.events = append(e.events, p...) }

func sortDistinct(p []int32) []int32 {
	if len(p) < 2 {
		return p
	}
	slices.Sort(p)
	return slices.Compact(p)
}

// near reports whether some position of a is within n of one of b (both
// sorted), and records every such occurrence of a as an event.
func (e *Env) near(a, b []int32, n int) bool {
	i, j, ok := nearPair(a, b, n)
	if !ok {
		return false
	}
	if e.noEvents {
		return true
	}
	e.event(b[j])
	// Record the rest too: the summary wants every sentence where the
	// condition held. b is swept once alongside a.
	lo := j
	for ; i < len(a) && len(e.events) < maxEvents; i++ {
		for lo < len(b) && int(b[lo]) < int(a[i])-n {
			lo++
		}
		if lo < len(b) && int(b[lo]) <= int(a[i])+n {
			e.event(a[i])
		}
	}
	return true
}

// maxEvents bounds the events one rule records on one article.
const maxEvents = 64

// nearPair returns indexes of a position of a and one of b at most n apart.
func nearPair(a, b []int32, n int) (int, int, bool) {
	if n < 0 {
		return 0, 0, false
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		d := int(a[i]) - int(b[j])
		if d <= n && d >= -n {
			return i, j, true
		}
		if a[i] < b[j] {
			i++
		} else {
			j++
		}
	}
	return 0, 0, false
}

func (e *Env) sameSentence(a, b []int32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	// Every occurrence of a that shares a sentence with one of b
	// (sentenceWith) is an event.
	found := false
	j := 0 // b[:j] are at or before p
	for _, p := range a {
		var with bool
		if with, j = e.a.sentenceWith(p, b, j); with {
			found = true
			if e.noEvents || len(e.events) >= maxEvents {
				break
			}
			e.event(p)
		}
	}
	return found
}

// before reports whether an occurrence in a is followed, in the same
// sentence, by one in b starting 1..n tokens later (both sorted).
func (e *Env) before(a, b []int32, n int) bool {
	if n < 1 || len(a) == 0 || len(b) == 0 {
		return false
	}
	found := false
	j := 0
	for _, pa := range a {
		for j < len(b) && b[j] <= pa {
			j++
		}
		for k := j; k < len(b) && int(b[k]) <= int(pa)+n; k++ {
			if e.a.oneSentence(pa, b[k]) {
				// Go on through a: the summary wants every sentence
				// where the order held.
				found = true
				e.event(pa, b[k])
				break
			}
		}
		if found && (e.noEvents || len(e.events) >= maxEvents) {
			break
		}
	}
	return found
}

// inLead reports whether one of the sorted positions that counts for the
// rule (kept) lies in the first k sentences of the body.
func (e *Env) inLead(pos []int32, k int) bool {
	if k < 1 {
		return false
	}
	for _, p := range pos {
		if int(p) < e.a.titleToks {
			continue
		}
		// Only the first body occurrence that counts decides: the
		// others' polarity is not read.
		if !e.kept(p) {
			continue
		}
		// The body's sentence of token p is the first one ending after
		// p starts, or its last sentence; only the first k are needed.
		sp, all := e.a.leadSentences(fieldBody, k)
		if len(sp) < k || all && len(sp) == k {
			return true
		}
		t := &e.a.toks[p]
		s, _ := e.a.fields[fieldBody].n.origSpan(int(t.ns), int(t.ne))
		return s < sp[k-1].End
	}
	return false
}

// termHit is the occurrences of one term that count for the rule.
type termHit struct {
	words int       // words of the term
	first *termWord // the term's first word
	pos   []int32
}

// termHits returns, for each of the terms (of a set, those that occurred:
// analysis.occurring), its occurrences that count.
func (e *Env) termHits(set []int32) []termHit {
	out := e.bufs.hitBuf[:0]
	// The kept occurrences are carved from one buffer: the hits are read
	// by the caller before the next call.
	keptBuf := e.bufs.hitPosBuf[:0]
	for _, t := range set {
		h := e.a.hits[t]
		if len(h) == 0 {
			continue
		}
		if e.drop != 0 {
			from := len(keptBuf)
			for _, p := range h {
				if e.kept(p) {
					keptBuf = append(keptBuf, p)
				}
			}
			h = keptBuf[from:len(keptBuf):len(keptBuf)]
		}
		tm := &e.rs.terms[t]
		out = append(out, termHit{words: len(tm.words), first: &tm.words[0], pos: h})
	}
	e.bufs.hitBuf, e.bufs.hitPosBuf = out, keptBuf
	return out
}

// distinct counts the terms that occurred.
func (e *Env) distinct(hits []termHit) int {
	n := 0
	for _, h := range hits {
		if len(h.pos) > 0 {
			n++
		}
	}
	return n
}

// matched returns the distinct surface forms of the occurrences, as
// written in the article, in document order. Where terms overlap, the
// longest occurrence at a position wins and occurrences inside it are
// skipped; forms differing only in case or normalisation are one. An
// Arabic first word loses the particles the matcher stripped (see
// arabicForm), so لداعش gives داعش.
func (e *Env) matched(hits []termHit) []string {
	out := []string{}
	if len(hits) == 0 {
		return out
	}
	occs := e.bufs.occBuf[:0]
	for _, h := range hits {
		for _, p := range h.pos {
			occs = append(occs, occ{p, p + int32(h.words) - 1, h.first})
		}
	}
	e.bufs.occBuf = occs
	slices.SortFunc(occs, func(x, y occ) int {
		if x.pos != y.pos {
			return int(x.pos - y.pos)
		}
		return int(y.end - x.end)
	})
	out = make([]string, 0, min(len(occs), 8))
	seen := formSet{list: e.bufs.formBuf[:0]}
	defer func() { e.bufs.formBuf = seen.list[:0] }()
	last := int32(-1)
	for _, o := range occs {
		if o.pos <= last {
			continue
		}
		last = o.end
		if o.pos == o.end && (o.first == nil || o.first.arBase == "") {
			// One token: its lower-cased text is the key the general way
			// computes (normalised, lower-cased, no space inside), read
			// without building it, and before the form is looked for.
			lt := e.a.lowerTok(int(o.pos))
			if seen.has(lt) {
				continue
			}
			fi, s, en := e.a.origSpan(int(o.pos), int(o.pos))
			if orig := e.a.fields[fi].orig[s:en]; orig != "" {
				seen.add(string(lt))
				out = append(out, orig)
			}
			continue
		}
		fi, s, en := e.a.origSpan(int(o.pos), int(min(o.end, int32(len(e.a.toks)-1))))
		orig := e.a.fields[fi].orig[s:en]
		if o.first != nil && o.first.arBase != "" {
			orig = e.a.arabicForm(int(o.pos), o.first, s, orig)
		}
		form := collapseSpace(orig)
		key := lowerString(Normalize(form))
		if form == "" || seen.has([]byte(key)) {
			continue
		}
		seen.add(key)
		out = append(out, form)
	}
	return out
}

// arabicForm returns orig, the original text of an occurrence starting at
// token i (at byte start of its field) whose first word w is Arabic,
// without the particles the matcher stripped from token i: و or ف, then
// ب, ك or ل. An article stays as the text writes it, and one written ل
// after a ل particle (للموصل) is written ال again (الموصل). The rest keeps
// the text's own letters and marks; marks on a particle go with it.
func (a *analysis) arabicForm(i int, w *termWord, start int, orig string) string {
	n, lamArticle, ok := arabicParticles(a.rawTok(i), w.arBase, w.prefix)
	if !ok || n == 0 {
		return orig
	}
	t := &a.toks[i]
	cut, _ := a.fields[t.field].n.origSpan(int(t.ns)+n, int(t.ne))
	if cut <= start || cut-start > len(orig) {
		return orig
	}
	if lamArticle {
		return "ا" + orig[cut-start:]
	}
	return orig[cut-start:]
}

// numbersNear returns the numbers that lie within n tokens of one of the
// sorted positions (a number of several tokens, "1,200", counts from its
// nearest token).
func (e *Env) numbersNear(pos []int32, n int) []float64 {
	out := []float64{}
	if n < 0 || len(pos) == 0 {
		return out
	}
	e.bufs.numBuf = e.a.numbersAround(pos, n, e.bufs.numBuf[:0])
	j := 0
	for _, num := range e.bufs.numBuf {
		for j < len(pos) && int(pos[j]) < int(num.pos)-n {
			j++
		}
		if j < len(pos) && int(pos[j]) <= int(num.end)+n {
			out = append(out, num.value)
			if len(e.events) < maxEvents {
				e.event(pos[j], num.pos)
			}
		}
	}
	return out
}

// occ is an occurrence for matched: its first and last token, and the
// term's first word.
type occ struct {
	pos, end int32
	first    *termWord
}

// formSet is the set of the keys of the forms matched has given: a list,
// since an article's forms of one set are few, and a map from sixteen on.
type formSet struct {
	list []string
	m    map[string]bool
}

func (f *formSet) has(k []byte) bool {
	if f.m != nil {
		return f.m[string(k)]
	}
	for _, s := range f.list {
		if s == string(k) {
			return true
		}
	}
	return false
}

func (f *formSet) add(k string) {
	if f.m == nil && len(f.list) < 16 {
		f.list = append(f.list, k)
		return
	}
	if f.m == nil {
		f.m = make(map[string]bool, 32)
		for _, s := range f.list {
			f.m[s] = true
		}
	}
	f.m[k] = true
}

// The helpers on literal term sets, as both their Function options and
// the typed fields of the run-time environment call them.

func (e *Env) nearSets(a, b, n int) bool {
	pa, pb := e.pairPositions(a, b, -n, n)
	return e.near(pa, pb, n)
}

func (e *Env) beforeSets(a, b, n int) bool {
	pa, pb := e.pairPositions(a, b, 1, n)
	return e.before(pa, pb, n)
}

func (e *Env) sameSentenceSets(a, b int) bool {
	if e.noEvents && e.drop != 0 {
		// Only whether an occurrence of each that counts shares a
		// sentence: the kept lists (memoized for the article) and the
		// nearest pairs of them, rather than each occurrence's partners.
		return e.sameSentence(e.a.keptPositions(e.rs, a, e.drop), e.a.keptPositions(e.rs, b, e.drop))
	}
	return e.sameSentence(e.sentencePositions(a, b))
}

// matchedSet is matched of a literal set, computed once per article and
// flags dropped; each caller gets its own copy.
func (e *Env) matchedSet(id int) []string {
	m := &e.a.memo
	if m.matchedStamp[id] != m.stamp || m.matchedDrop[id] != e.drop {
		m.matched[id] = e.matched(e.termHits(e.a.occurring(e.rs, id)))
		m.matchedStamp[id], m.matchedDrop[id] = m.stamp, e.drop
	}
	return slices.Clone(m.matched[id])
}

func (e *Env) numbersNearSet(id, n int) []float64 { return e.numbersNear(e.setPositions(id), n) }
