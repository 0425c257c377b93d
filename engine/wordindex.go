package engine

import (
	"bytes"
	"slices"
)

// wordIndex lets terms computed at run time find their first word without
// reading every token: it chains the tokens of the article by the hash of
// their lower-cased text, and by the hash of its first bytes for prefix
// words. It is built, once per article, the first time such a term is not
// one the matcher already found; building it costs about what one scan of
// the tokens costs, and every lookup after that reads only the tokens that
// may match.
type wordIndex struct {
	shift uint
	// head[b] is 1 + the first token of bucket b, 0 when empty; next[i]
	// is 1 + the next token of token i's bucket. Chains are in token
	// order. word chains by the whole token, pre by its first preBytes.
	wordHead, preHead []int32
	wordNext, preNext []int32
}

// preBytes is how many leading bytes of a token the prefix chains hash.
// Shorter prefix words read every token.
const preBytes = 3

func (x *wordIndex) bucket(h uint64) uint64 { return mix(h) >> x.shift }

// build indexes the tokens of a.
func (x *wordIndex) build(a *analysis) {
	n := len(a.toks)
	size, bits := 16, uint(4)
	for size < 2*n {
		size <<= 1
		bits++
	}
	x.shift = 64 - bits
	x.wordHead = resize(x.wordHead, size)
	x.preHead = resize(x.preHead, size)
	x.wordNext = resize(x.wordNext, n)
	x.preNext = resize(x.preNext, n)
	for i := n - 1; i >= 0; i-- {
		b := x.bucket(a.toks[i].hash)
		x.wordNext[i], x.wordHead[b] = x.wordHead[b], int32(i+1)
		tok := a.lowerTok(i)
		b = x.bucket(hashWord(tok[:min(len(tok), preBytes)]))
		x.preNext[i], x.preHead[b] = x.preHead[b], int32(i+1)
	}
}

// resize returns s with length n, zeroed.
func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// appendWord appends the tokens whose lower-cased text is w.
func (x *wordIndex) appendWord(out []int32, a *analysis, w string) []int32 {
	for i := x.wordHead[x.bucket(hashWord([]byte(w)))]; i != 0; i = x.wordNext[i-1] {
		if string(a.lowerTok(int(i-1))) == w {
			out = append(out, i-1)
		}
	}
	return out
}

// appendPrefix appends the tokens whose lower-cased text starts with w.
func (x *wordIndex) appendPrefix(out []int32, a *analysis, w string) []int32 {
	if len(w) < preBytes {
		for i := range a.toks {
			if bytes.HasPrefix(a.lowerTok(i), []byte(w)) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for i := x.preHead[x.bucket(hashWord([]byte(w[:preBytes])))]; i != 0; i = x.preNext[i-1] {
		if bytes.HasPrefix(a.lowerTok(int(i-1)), []byte(w)) {
			out = append(out, i-1)
		}
	}
	return out
}

// arabicProclitics are the proclitic sequences P of DESIGN.md "Terms": an
// optional و or ف, an optional ب, ك or ل, an optional ال (ل after ل).
var arabicProclitics = func() []string {
	var out []string
	for _, p1 := range []string{"", "و", "ف"} {
		for _, p2 := range []string{"", "ب", "ك", "ل"} {
			art := arAl
			if p2 == arLam {
				art = arLam
			}
			out = append(out, p1+p2, p1+p2+art)
		}
	}
	return out
}()

// candidates appends the tokens that may match w as the first word of a
// term, a superset of those that do (tokenMatches decides), in order.
func (x *wordIndex) candidates(out []int32, a *analysis, w *termWord) []int32 {
	start := len(out)
	switch {
	case w.arBase != "":
		for _, p := range arabicProclitics {
			if w.prefix {
				out = x.appendPrefix(out, a, p+w.arBase)
			} else {
				out = x.appendWord(out, a, p+w.arBase)
			}
		}
	case w.forms != nil:
		for _, f := range w.forms {
			out = x.appendWord(out, a, lowerString(f))
		}
	case w.prefix:
		out = x.appendPrefix(out, a, lowerString(w.text))
	default:
		out = x.appendWord(out, a, lowerString(w.text))
	}
	if len(out)-start > 1 {
		slices.Sort(out[start:])
		out = out[:start+len(slices.Compact(out[start:]))]
	}
	return out
}

// dynScan returns the start positions of t in the article, for a term the
// matcher was not built with.
func (a *analysis) dynScan(t *term) []int32 {
	if !a.wordIdxDone {
		a.wordIdx.build(a)
		a.wordIdxDone = true
	}
	w := &t.words[0]
	cand := a.wordIdx.candidates(nil, a, w)
	one := matcher{terms: []term{*t}}
	pos := cand[:0]
	for _, i := range cand {
		if a.tokenMatches(int(i), w, t.cs) && (len(t.words) == 1 || one.rest(a, int(i), t)) {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return nil
	}
	return pos
}
