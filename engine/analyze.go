package engine

import (
	"unicode"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/engine/sentences"
)

const (
	fieldTitle = 0
	fieldBody  = 1
)

// field is the title or the body of the article being scored.
type field struct {
	orig  string
	n     normText
	lower []byte // lower-cased normalised text; token ls/le index into it
	// sents are the sentence spans of orig, computed on first use.
	sents     []sentences.Span
	sentsDone bool
}

// token is one token of the title or the body.
type token struct {
	field  uint8
	c0     byte   // first byte of the lower-cased token, for the matcher's first-byte tables
	ascii  bool   // the token is ASCII (shortASCII)
	ns, ne int32  // byte range in field.n.s
	ls, le int32  // byte range in field.lower
	hash   uint64 // rotate-xor hash (hashWord) of the lower-cased token
}

// set fills t in place as a token of field fi over [start, end) of both
// the normalised and the lower-cased text. Field by field: a composite
// literal assigned to a slice element is built on the stack and copied,
// and the copy's wide loads stall on the narrow stores just made (a tenth
// of tokenizing).
func (t *token) set(fi uint8, c0 byte, ascii bool, start, end int32, h uint64) {
	t.field, t.c0, t.ascii = fi, c0, ascii
	t.ns, t.ne, t.ls, t.le = start, end, start, end
	t.hash = h
}

// analysis is the per-article state: tokens, term hits, and what the
// helpers compute lazily (sentences, numbers). A Scorer reuses one analysis
// for every article, so the buffers are allocated once per worker.
type analysis struct {
	fields    [2]field
	toks      []token
	titleToks int

	// hits[t] lists the token positions where term t starts.
	hits    [][]int32
	touched []int32 // term ids with hits, to reset cheaply

	sentOf   []int32 // sentence id per token, when sentencesDone
	sentDone bool
	// relateBudget is how many more bytes relate may read before the
	// text is split instead.
	relateBudget int
	nums         []number
	numsDone     bool
	sentCount    int

	// flags holds each token's polarity and quotation (flagNegated, …)
	// once flagKnown is set in it; the slice is cleared when flagsDone is
	// false.
	flags     []uint8
	flagsDone bool
	// cues holds each token's cue kind plus one (0: not yet known), read
	// while flags are computed and cleared with them.
	cues []uint8

	lowerStr     [2]string // the fields' lower-cased text, when lowerStrDone
	lowerStrDone bool
	// wordIdx finds the first words of terms computed at run time, when
	// wordIdxDone (wordindex.go).
	wordIdx     wordIndex
	wordIdxDone bool
	quotes      [2]quoteMarks
	// memo keeps what the helpers computed about term sets (run_memo.go).
	memo setMemo
}

// reset prepares a for a new article. nTerms is the size of the rule set's
// term table.
func (a *analysis) reset(title, body string, nTerms int, track bool) {
	for _, t := range a.touched {
		a.hits[t] = a.hits[t][:0]
	}
	a.touched = a.touched[:0]
	if len(a.hits) < nTerms {
		a.hits = append(a.hits, make([][]int32, nTerms-len(a.hits))...)
	}
	a.toks = a.toks[:0]
	a.sentOf = a.sentOf[:0]
	a.sentDone, a.numsDone, a.flagsDone, a.lowerStrDone, a.wordIdxDone = false, false, false, false, false
	a.relateBudget = (len(title) + len(body)) / 2
	a.nums = a.nums[:0]
	a.sentCount = 0
	a.memo.reset(0)
	a.fields[fieldTitle].load(title, track)
	a.tokenize(fieldTitle)
	a.titleToks = len(a.toks)
	a.fields[fieldBody].load(body, track)
	a.tokenize(fieldBody)
}

func (f *field) load(s string, track bool) {
	f.orig = s
	f.n.build(s, track)
	f.sents = f.sents[:0]
	f.sentsDone = false
	f.lower = f.lower[:0]
}

// tokenize appends the tokens of field fi to a.toks and fills its lower-cased
// text and the tokens' hashes.
func (a *analysis) tokenize(fi uint8) {
	f := &a.fields[fi]
	s := f.n.s
	if f.n.ascii {
		a.tokenizeASCII(fi, s)
		return
	}
	if !a.tokenizeSameLength(fi, s) {
		a.tokenizeGeneral(fi, s)
	}
}

// tokenizeGeneral is tokenize for any text. Lower-casing may change a
// rune's byte length, so tokens carry their own range in the lower-cased
// text. Most of such text is still ASCII, which goes through asciiLower as
// in tokenizeASCII; the hash is kept running over the lower-cased bytes.
func (a *analysis) tokenizeGeneral(fi uint8, s string) {
	f := &a.fields[fi]
	lower := f.lower[:0]
	if c := len(s) + len(s)/8; cap(lower) < c {
		lower = make([]byte, 0, c)
	}
	in, ascii := false, false
	var start, lstart int
	var h uint64
	toks := a.toks
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if l := asciiLower[c]; l != 0 {
				if !in {
					in, start, lstart, h, ascii = true, i, len(lower), 0, true
				}
				lower = append(lower, l)
				h = hashStep(h, l)
			} else {
				if in {
					in = false
					toks = append(toks, token{field: fi, c0: lower[lstart], ascii: ascii, ns: int32(start), ne: int32(i), ls: int32(lstart), le: int32(len(lower)), hash: h})
				}
				lower = append(lower, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isTokenRune(r) {
			if !in {
				in, start, lstart, h, ascii = true, i, len(lower), 0, true
			}
			k := len(lower)
			l := unicode.ToLower(r)
			ascii = ascii && l < utf8.RuneSelf
			lower = utf8.AppendRune(lower, l)
			for _, c := range lower[k:] {
				h = hashStep(h, c)
			}
		} else {
			if in {
				in = false
				toks = append(toks, token{field: fi, c0: lower[lstart], ascii: ascii, ns: int32(start), ne: int32(i), ls: int32(lstart), le: int32(len(lower)), hash: h})
			}
			lower = utf8.AppendRune(lower, r)
		}
		i += size
	}
	if in {
		toks = append(toks, token{field: fi, c0: lower[lstart], ascii: ascii, ns: int32(start), ne: int32(len(s)), ls: int32(lstart), le: int32(len(lower)), hash: h})
	}
	a.toks = toks
	f.lower = lower
}

// tokenizeASCII is tokenize for ASCII text, where lower-casing keeps every
// offset, so one pass lower-cases, splits and hashes.
func (a *analysis) tokenizeASCII(fi uint8, s string) {
	f := &a.fields[fi]
	n := len(s)
	if cap(f.lower) < n {
		f.lower = make([]byte, n)
	}
	// Separator bytes of lower are never read and are left as they are.
	lower := f.lower[:n]
	f.lower = lower
	// Tokens are written into the spare capacity, which is grown for the
	// worst case first: cheaper than append's check per token.
	toks := a.toks
	if need := len(toks) + n/2 + 1; cap(toks) < need {
		toks = append(make([]token, 0, need+need/4), toks...)
	}
	k := len(toks)
	toks = toks[:cap(toks)]
	for i := 0; i < n; {
		if i = asciiGap(s, i, n); i == n {
			break
		}
		start := i
		c0 := asciiLower[s[i]]
		var h uint64
		i, h = asciiWord(s, lower, i, n, h)
		toks[k].set(fi, c0, true, int32(start), int32(i), h)
		k++
	}
	a.toks = toks[:k]
}

// tokenizeSameLength is tokenize for text whose token runes all keep
// their byte length when lower-cased, as Arabic, accented Latin, Greek and
// Cyrillic do: the lower-cased text keeps every offset, so one pass
// lower-cases, splits and hashes, as in tokenizeASCII. It reports false,
// having added no token, when some rune changes length (Turkish İ, a few
// rare letters); tokenize then takes the general way.
func (a *analysis) tokenizeSameLength(fi uint8, s string) bool {
	f := &a.fields[fi]
	n := len(s)
	if cap(f.lower) < n {
		f.lower = make([]byte, n)
	}
	lower := f.lower[:n]
	toks := a.toks
	if need := len(toks) + n/2 + 1; cap(toks) < need {
		toks = append(make([]token, 0, need+need/4), toks...)
	}
	k0 := len(toks)
	k := k0
	toks = toks[:cap(toks)]
	// The text is read in runs of ASCII, tokenized as tokenizeASCII does,
	// with a token left open at the end of a run; each other character
	// between runs continues, opens or closes one.
	in := false // a token is open, from start, hash h so far, all ASCII so far when ascii
	var start int
	var h uint64
	ascii := true
	for i := 0; i < n; {
		end := i + asciiPrefix(s[i:])
		for i < end {
			if !in {
				if i = asciiGap(s, i, end); i == end {
					break
				}
				in, start, h, ascii = true, i, 0, true
			}
			i, h = asciiWord(s, lower, i, end, h)
			if i < end {
				toks[k].set(fi, lower[start], ascii, int32(start), int32(i), h)
				k++
				in = false
			}
		}
		if i == n {
			break
		}
		tok, l, size := tokenRune(s[i:])
		if !tok {
			if in {
				toks[k].set(fi, lower[start], ascii, int32(start), int32(i), h)
				k++
				in = false
			}
			i += size
			continue
		}
		if utf8.RuneLen(l) != size {
			a.toks = toks[:k0]
			return false
		}
		if !in {
			in, start, h = true, i, 0
		}
		ascii = false
		utf8.EncodeRune(lower[i:i+size], l)
		for _, c := range lower[i : i+size] {
			h = hashStep(h, c)
		}
		i += size
	}
	if in {
		toks[k].set(fi, lower[start], ascii, int32(start), int32(n), h)
		k++
	}
	f.lower = lower
	a.toks = toks[:k]
	return true
}

// tokenRune reports whether the rune s starts with (not ASCII) belongs in
// tokens, its lower case and its length.
func tokenRune(s string) (tok bool, lower rune, size int) {
	r, size := utf8.DecodeRuneInString(s)
	if r < runeTableEnd {
		e := &runeTable[r]
		return e.token, e.lower, size
	}
	if isTokenRune(r) {
		return true, unicode.ToLower(r), size
	}
	return false, 0, size
}

// runeTable holds, for the runes of two bytes or fewer, whether they
// belong in tokens and their lower case: most text that is not ASCII is
// written in them, and the unicode tables cost a search per rune.
const runeTableEnd = 0x800

var runeTable = func() (t [runeTableEnd]struct {
	lower rune
	token bool
}) {
	for r := range rune(runeTableEnd) {
		t[r].lower, t[r].token = unicode.ToLower(r), isTokenRune(r)
	}
	return t
}()

// asciiWord lower-cases into lower the ASCII token bytes of s from i, up
// to end at most, continuing the running hash h; it returns where they
// stop and the hash.
func asciiWord(s string, lower []byte, i, end int, h uint64) (int, uint64) {
	// Both cut to end, the loop's bound, and read from an unsigned
	// index: no bounds checks inside.
	s, lower = s[:end], lower[:end]
	j := uint(i)
	for j < uint(len(s)) {
		c := asciiLower[s[j]]
		if c == 0 {
			break
		}
		lower[j] = c
		h = hashStep(h, c)
		j++
	}
	return int(j), h
}

// asciiGap returns where the first token byte of s from i, up to end,
// is, or end.
func asciiGap(s string, i, end int) int {
	s = s[:end]
	j := uint(i)
	for j < uint(len(s)) && asciiLower[s[j]] == 0 {
		j++
	}
	return int(j)
}

// asciiLower maps the ASCII bytes that belong in tokens to their lower
// case, and every other byte to 0.
var asciiLower = func() (t [256]byte) {
	for c := 0; c < 128; c++ {
		if asciiClass[c]&classToken != 0 {
			t[c] = byte(unicode.ToLower(rune(c)))
		}
	}
	return t
}()

// lowerTok returns the lower-cased text of token i.
func (a *analysis) lowerTok(i int) []byte {
	t := &a.toks[i]
	return a.fields[t.field].lower[t.ls:t.le]
}

// lowerTokString is lowerTok as a string, without an allocation per
// token: the lower-cased text of each field is copied into a string once
// per article, on first use.
func (a *analysis) lowerTokString(i int) string {
	t := &a.toks[i]
	if !a.lowerStrDone {
		a.lowerStrDone = true
		for fi := range a.fields {
			a.lowerStr[fi] = string(a.fields[fi].lower)
		}
	}
	return a.lowerStr[t.field][t.ls:t.le]
}

// rawTok returns the normalised, case-kept text of token i.
func (a *analysis) rawTok(i int) string {
	t := &a.toks[i]
	return a.fields[t.field].n.s[t.ns:t.ne]
}

// origSpan returns the original byte range of tokens [from, to] (inclusive)
// within their field, which must be the same.
func (a *analysis) origSpan(from, to int) (fi uint8, start, end int) {
	t0, t1 := &a.toks[from], &a.toks[to]
	f := &a.fields[t0.field]
	s, _ := f.n.origSpan(int(t0.ns), int(t0.ne))
	_, e := f.n.origSpan(int(t1.ns), int(t1.ne))
	return t0.field, s, e
}

// sentences returns the sentence spans of field fi.
func (a *analysis) sentences(fi uint8) []sentences.Span {
	f := &a.fields[fi]
	if !f.sentsDone {
		f.sents = sentences.AppendSplit(f.sents[:0], f.orig)
		f.sentsDone = true
	}
	return f.sents
}

// leadSentences returns the first k (k > 0) sentences of field fi, or all
// of them when it has fewer, splitting the text no further than that
// unless the whole split is known already; all reports whether the spans
// are every sentence of the field.
func (a *analysis) leadSentences(fi uint8, k int) (sp []sentences.Span, all bool) {
	f := &a.fields[fi]
	// Until sentsDone, f.sents holds the longest lead asked for.
	if !f.sentsDone && len(f.sents) < k {
		f.sents, f.sentsDone = sentences.AppendLead(f.sents[:0], f.orig, k)
	}
	return f.sents[:min(k, len(f.sents))], f.sentsDone && len(f.sents) <= k
}

// oneSentence reports whether tokens p and q lie in one sentence, as
// sentenceIDs would tell. Words a few tokens apart are mostly related
// without splitting the text (relate); else it is split.
func (a *analysis) oneSentence(p, q int32) bool {
	switch a.relate(p, q) {
	case sentences.Same:
		return true
	case sentences.Different:
		return false
	}
	sent := a.sentenceIDs()
	return sent[p] == sent[q]
}

// sentenceWith reports whether token p shares a sentence with one of the
// sorted positions y, j of which are known to lie before p (a cursor
// callers carry along while p increases); it returns the cursor moved
// past those at or before p. Sentences are runs of positions, so p shares
// one with y when it shares one with the nearest of y before it or after
// it.
func (a *analysis) sentenceWith(p int32, y []int32, j int) (bool, int) {
	for j < len(y) && y[j] <= p {
		j++
	}
	return j > 0 && a.oneSentence(y[j-1], p) || j < len(y) && a.oneSentence(p, y[j]), j
}

// relate tells whether tokens p and q lie in one sentence: once the text
// is split, from the sentence ids; before, from the text between them
// (sentences.Relate), when they are in one field. It gives up (Undecided)
// once such reading has cost half the article, where splitting it costs
// less.
func (a *analysis) relate(p, q int32) sentences.Relation {
	if a.sentDone {
		if a.sentOf[p] == a.sentOf[q] {
			return sentences.Same
		}
		return sentences.Different
	}
	if p > q {
		p, q = q, p
	}
	tp, tq := &a.toks[p], &a.toks[q]
	if tp.field != tq.field {
		return sentences.Different
	}
	f := &a.fields[tp.field]
	from, to := f.n.origStart(int(tp.ns)), f.n.origStart(int(tq.ns))
	// Reading stops at the first sentence that ends, mostly within one
	// sentence of from, however far to is; it stops at the budget too.
	rel, stop := sentences.Relate(f.orig, from, min(to, from+a.relateBudget))
	a.relateBudget -= stop - from
	if rel == sentences.Same && stop < to {
		return sentences.Undecided // the budget ran out first
	}
	return rel
}

// sentenceIDs fills a.sentOf: the title is sentence 0, or its sentences
// come first; body sentences follow.
func (a *analysis) sentenceIDs() []int32 {
	if a.sentDone {
		return a.sentOf
	}
	if cap(a.sentOf) < len(a.toks) {
		a.sentOf = make([]int32, 0, len(a.toks)+len(a.toks)/4)
	}
	a.sentOf = a.sentOf[:len(a.toks)]
	base := 0
	// The title's tokens come first, then the body's.
	for fi, toks := range [2][]token{a.toks[:a.titleToks], a.toks[a.titleToks:]} {
		sp := a.sentences(uint8(fi))
		sent := a.sentOf[:a.titleToks]
		if fi == fieldBody {
			sent = a.sentOf[a.titleToks:]
		}
		k := 0
		starts := origStarts{n: &a.fields[fi].n}
		for i := range toks {
			s := starts.at(int(toks[i].ns))
			for k < len(sp)-1 && s >= sp[k].End {
				k++
			}
			sent[i] = int32(base + k)
		}
		base += max(len(sp), 1)
	}
	a.sentCount = base
	a.sentDone = true
	return a.sentOf
}
