package engine

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Snippets: the excerpts of Evidence. By default Score cuts them while it
// builds the evidence, once per position and term length in the article.
// With Scorer.LazySnippets it only records where they are, and they are
// cut when the result is marshalled (Result.MarshalJSON, NonNilMatches) or
// by Result.CutSnippets: a consumer that never shows them never pays for
// them, and one that does gets the same strings.

// snippetSpan is the byte range of an occurrence in the original text of
// field fi.
type snippetSpan struct {
	fi   uint8
	s, e int32
}

// articleSnippets holds what the lazy snippets of one scored article need:
// its original text and the distinct occurrences to cut around. Every
// lazy Evidence of the article refers to it, so each snippet is cut once,
// on first use, for all of them. It is safe for concurrent use.
type articleSnippets struct {
	mu     sync.Mutex
	fields [2]string
	spans  []snippetSpan
	cut    []string // cut[i] is the snippet of spans[i], "" until cut
}

// snippet returns the snippet of spans[i]; a.mu must be held.
func (a *articleSnippets) snippet(i int32) string {
	if a.cut[i] == "" {
		sp := a.spans[i]
		a.cut[i] = cutSnippet(a.fields[sp.fi], int(sp.s), int(sp.e))
	}
	return a.cut[i]
}

// lazySnippets are the snippets of one Evidence, cut on first use. The
// copies of an Evidence in the matches of a Result share it, and so share
// the slice it cuts.
type lazySnippets struct {
	art *articleSnippets
	idx [maxSnippets]int32 // indexes into art.spans
	n   int8
	out []string
}

// get returns the snippets, cutting them on first use.
func (l *lazySnippets) get() []string {
	a := l.art
	a.mu.Lock()
	defer a.mu.Unlock()
	if l.out == nil {
		l.out = make([]string, l.n)
		for i := range l.out {
			l.out[i] = a.snippet(l.idx[i])
		}
	}
	return l.out
}

// snippets returns e.Snippets, cut first when the Scorer left them for
// later.
func (e *Evidence) snippets() []string {
	if e.Snippets == nil && e.lazy != nil {
		return e.lazy.get()
	}
	return e.Snippets
}

// CutSnippets fills in the Evidence.Snippets of r that a Scorer with
// LazySnippets left for later; they are then what a Scorer without it
// would have returned. Marshalling a Result needs no call: MarshalJSON and
// NonNilMatches cut the snippets they show. CutSnippets modifies r, so it
// must not run while another goroutine reads r.
func (r *Result) CutSnippets() {
	for i := range r.Matches {
		ev := r.Matches[i].Evidence
		for j := range ev {
			ev[j].Snippets = ev[j].snippets()
		}
	}
}

// snippetsOf returns the snippets of the first maxSnippets of the
// positions of an n-word term, or, with LazySnippets, records them to be
// cut later. Snippets are shared by every Evidence of the article with an
// occurrence at the same position and of the same length.
func (s *Scorer) snippetsOf(e *Evidence, positions []int, words int) {
	a := &s.a
	k := min(len(positions), maxSnippets)
	if !s.LazySnippets {
		e.Snippets = make([]string, 0, k)
		for _, p := range positions[:k] {
			key := uint64(p)<<16 | uint64(words)
			sn, ok := s.snips[key]
			if !ok {
				sn = a.snippet(p, words)
				s.snips[key] = sn
			}
			e.Snippets = append(e.Snippets, sn)
		}
		return
	}
	if s.artSnips == nil {
		// Room for a matched article's usual snippets in one allocation
		// each, not a growth per few snippets.
		s.artSnips = &articleSnippets{fields: [2]string{a.fields[fieldTitle].orig, a.fields[fieldBody].orig},
			spans: make([]snippetSpan, 0, 32), cut: make([]string, 0, 32)}
	}
	art := s.artSnips
	l := s.lazyList()
	l.art, l.n = art, int8(k)
	for i, p := range positions[:k] {
		key := uint64(p)<<16 | uint64(words)
		at, ok := s.snipAt[key]
		if !ok {
			fi, st, en := a.snippetSpan(p, words)
			at = int32(len(art.spans))
			art.spans = append(art.spans, snippetSpan{fi: fi, s: int32(st), e: int32(en)})
			art.cut = append(art.cut, "")
			s.snipAt[key] = at
		}
		l.idx[i] = at
	}
	e.lazy = l
}

// lazyList returns a lazySnippets carved from a block allocated for the
// article (never reused: results outlive the article).
func (s *Scorer) lazyList() *lazySnippets {
	if len(s.lazyBlock) == cap(s.lazyBlock) {
		s.lazyBlock = make([]lazySnippets, 0, 128)
	}
	s.lazyBlock = s.lazyBlock[:len(s.lazyBlock)+1]
	return &s.lazyBlock[len(s.lazyBlock)-1]
}

// snippet returns about snippetChars characters of original text around
// the occurrence of an n-word term at token pos, cut at word boundaries,
// with the occurrence marked **like this**.
func (a *analysis) snippet(pos, n int) string {
	fi, s, e := a.snippetSpan(pos, n)
	return cutSnippet(a.fields[fi].orig, s, e)
}

// snippetSpan returns the field and original byte range of the occurrence
// of an n-word term at token pos.
func (a *analysis) snippetSpan(pos, n int) (fi uint8, s, e int) {
	end := min(pos+n-1, len(a.toks)-1)
	return a.origSpan(pos, end)
}

// cutSnippet returns about snippetChars characters of text around the
// occurrence at text[s:e], cut at word boundaries, with the occurrence
// marked **like this**.
func cutSnippet(text string, s, e int) string {
	budget := max(snippetChars-utf8.RuneCountInString(text[s:e]), 20) / 2
	left := s
	for i := 0; i < budget && left > 0; i++ {
		if text[left-1] < utf8.RuneSelf {
			left--
			continue
		}
		_, size := utf8.DecodeLastRuneInString(text[:left])
		left -= size
	}
	right := e
	for i := 0; i < budget && right < len(text); i++ {
		if text[right] < utf8.RuneSelf {
			right++
			continue
		}
		_, size := utf8.DecodeRuneInString(text[right:])
		right += size
	}
	// Cut at word boundaries: drop the partial word at each end.
	if left > 0 {
		if k := strings.IndexFunc(text[left:s], unicode.IsSpace); k >= 0 {
			left += k
		}
	}
	if right < len(text) {
		if k := strings.LastIndexFunc(text[e:right], unicode.IsSpace); k >= 0 {
			right = e + k
		}
	}
	var b strings.Builder
	b.Grow(right - left + 16)
	if left > 0 {
		b.WriteString("…")
	}
	appendCollapsed(&b, text[left:s])
	if left < s && isSpaceBefore(text, s) {
		b.WriteByte(' ')
	}
	b.WriteString("**")
	b.WriteString(text[s:e])
	b.WriteString("**")
	if e < right && isSpaceAt(text, e) {
		b.WriteByte(' ')
	}
	appendCollapsed(&b, text[e:right])
	if right < len(text) {
		b.WriteString("…")
	}
	return strings.TrimSpace(b.String())
}

// appendCollapsed writes t with leading and trailing white space dropped
// and inner runs of it turned into one space.
func appendCollapsed(b *strings.Builder, t string) {
	if singleSpaced(t) {
		b.WriteString(t)
		return
	}
	appendCollapsedRuns(b, t)
}

// appendCollapsedRuns is appendCollapsed for text that is not
// singleSpaced: it writes t run by run.
func appendCollapsedRuns(b *strings.Builder, t string) {
	space := false
	run := -1
	wrote := false
	for i := 0; i < len(t); {
		r, size := rune(t[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(t[i:])
		}
		if isSpaceRune(r) {
			if run >= 0 {
				b.WriteString(t[run:i])
				run = -1
			}
			space = wrote
		} else if run < 0 {
			if space {
				b.WriteByte(' ')
				space = false
			}
			run, wrote = i, true
		}
		i += size
	}
	if run >= 0 {
		b.WriteString(t[run:])
	}
}

// singleSpaced reports whether appendCollapsed would write t unchanged:
// its only white space is single ASCII spaces between other characters.
// Most running text is, and is then written in one piece.
func singleSpaced(t string) bool {
	space := true // a leading space is not kept
	for i := 0; i < len(t); {
		c := t[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(t[i:])
			if isSpaceRune(r) {
				return false
			}
			space = false
			i += size
			continue
		}
		switch {
		case c == ' ':
			if space {
				return false
			}
			space = true
		case c >= '\t' && c <= '\r':
			return false
		default:
			space = false
		}
		i++
	}
	return !space || len(t) == 0
}

func isSpaceBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r)
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}
