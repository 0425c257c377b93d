package engine

import (
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s normalised as rules and text are compared (case is
// kept): NFKD; every nonspacing mark (Mn) dropped; NFC; tatweel, soft
// hyphen, ZWNJ and ZWJ removed; ٱ→ا ى→ي ة→ه ی→ي ک→ك; Arabic-Indic digits to
// ASCII; curly quotes and dashes folded to ASCII.
func Normalize(s string) string {
	if isASCII(s) {
		return s
	}
	var n normText
	n.build(s, false)
	return n.s
}

// normText is a normalised string and, when it differs from the original
// text, where each of its bytes came from.
type normText struct {
	s string
	// ascii reports that s is the original text and all ASCII.
	ascii bool
	// segs maps s back to the original text, when it was built with track
	// and differs from it; nil otherwise (s is the original text, every
	// byte where it was). See normSeg.
	segs []normSeg
	// buf and segBuf keep their memory from one build to the next, so a
	// Scorer allocates them once. When the text changed, s is buf's bytes
	// (not a copy): it and every substring of it hold only until the next
	// build, which rewrites them. Nothing of s outlives the article being
	// scored: results carry the original text, and what outlives the
	// article (matched forms, snippets) is cut from the original.
	buf    []byte
	segBuf []normSeg
}

// normSeg is a run of normalised bytes from n up to the next segment's n
// (or the end of the text). A run copied from the original text (oe < 0)
// maps byte n+k to original byte o+k; the bytes of one normalised
// character (oe >= 0) all map to its original bytes [o, oe).
//
// Most text changes in few places (curly quotes, dashes, harakat), so a
// few segments map it: the dense map of two offsets per byte it replaced
// cost more to write than normalising did.
type normSeg struct {
	n, o, oe int32
}

// build normalises orig into n. With track, it records the offset map.
// Each character is normalised on its own: ASCII is copied as it is, and
// only characters with a decomposition go through NFKD. This equals
// normalising the whole text because every combining mark is dropped
// anyway, so no mark needs its base. Text that normalisation leaves as it
// is, is not copied.
//
// Written here rather than through a transform.Chain of x/text transformers
// because the chain cannot report where each output byte came from, and
// evidence snippets need original offsets.
func (n *normText) build(orig string, track bool) {
	n.s, n.segs, n.ascii = orig, nil, false
	i := asciiPrefix(orig)
	if i == len(orig) {
		n.ascii = true
		return
	}
	// out stays nil while the text is unchanged; from the first change it
	// holds the normalised text so far.
	var out []byte
	segs := n.segBuf[:0]
	// copied appends the original bytes [from, to), unchanged, to the
	// normalised text, extending the last segment when it is a copied run
	// that ends where they start.
	copied := func(from, to int) {
		if out == nil {
			return
		}
		if track {
			if k := len(segs) - 1; k < 0 || segs[k].oe >= 0 || int(segs[k].o)+len(out)-int(segs[k].n) != from {
				segs = append(segs, normSeg{n: int32(len(out)), o: int32(from), oe: -1})
			}
		}
		out = append(out, orig[from:to]...)
	}
	for i < len(orig) {
		from := i
		if orig[i] < utf8.RuneSelf {
			// ASCII needs nothing: copy the whole run.
			i += asciiPrefix(orig[i:])
			copied(from, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(orig[i:])
		i += size
		// The normalised character: a table's string, or folded here.
		var rep string
		var fold []byte
		switch {
		case r < foldTableEnd:
			rep = foldTable[r]
		case r >= punctStart && r < punctEnd:
			rep = punctTable[r-punctStart]
		case r == utf8.RuneError && size <= 1:
			// An invalid byte: U+FFFD keeps the offsets sane.
			rep = "\uFFFD"
		default:
			var tmp [32]byte
			fold = foldChar(tmp[:0], orig[from:i], r)
			if string(fold) == orig[from:i] {
				copied(from, i)
				continue
			}
		}
		if fold == nil && rep == orig[from:i] {
			copied(from, i)
			continue
		}
		if out == nil {
			// The first change: the text so far was copied as it is.
			if c := len(orig) + len(orig)/8; cap(n.buf) < c {
				n.buf = make([]byte, 0, c)
			}
			out = append(n.buf[:0], orig[:from]...)
			if track && from > 0 {
				segs = append(segs, normSeg{n: 0, o: 0, oe: -1})
			}
		}
		if len(rep)+len(fold) > 0 && track {
			segs = append(segs, normSeg{n: int32(len(out)), o: int32(from), oe: int32(i)})
		}
		out = append(out, rep...)
		out = append(out, fold...)
	}
	if out == nil {
		return
	}
	n.s = unsafe.String(unsafe.SliceData(out), len(out))
	n.buf = out
	if track {
		if len(segs) == 0 {
			// Everything was dropped: an empty text maps to offset 0.
			segs = append(segs, normSeg{})
		}
		n.segs, n.segBuf = segs, segs
	}
}

// asciiPrefix returns the length of the ASCII bytes s starts with.
func asciiPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// Eight bytes in one load: b has a known length, so they are
		// read with no bounds checks.
		b := s[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			break
		}
	}
	return i
}

// foldChar appends the normalised form of the character ch (the rune r,
// valid UTF-8): nothing for a nonspacing mark, else its NFKD with the
// marks dropped, recomposed (NFC) and folded by foldRune.
func foldChar(out []byte, ch string, r rune) []byte {
	if unicode.Is(unicode.Mn, r) {
		return out
	}
	if m, ok := foldRune(r); ok {
		if m >= 0 {
			out = utf8.AppendRune(out, m)
		}
		return out
	}
	p := norm.NFKD.PropertiesString(ch)
	if p.Decomposition() == nil {
		return append(out, ch...)
	}
	// Decompose, drop the marks, fold, and recompose what must be
	// (Hangul, spacing marks).
	var dec [32]byte
	k := norm.NFKD.AppendString(dec[:0], ch)
	kept := k[:0] // filtered in place: kept never passes j
	for j := 0; j < len(k); {
		dr, dsize := utf8.DecodeRune(k[j:])
		if !unicode.Is(unicode.Mn, dr) {
			kept = append(kept, k[j:j+dsize]...)
		}
		j += dsize
	}
	if len(kept) > 1 && !norm.NFC.IsNormal(kept) {
		kept = norm.NFC.Append(nil, kept...)
	}
	for j := 0; j < len(kept); {
		dr, dsize := utf8.DecodeRune(kept[j:])
		j += dsize
		if m, ok := foldRune(dr); ok {
			if m >= 0 {
				out = utf8.AppendRune(out, m)
			}
			continue
		}
		out = utf8.AppendRune(out, dr)
	}
	return out
}

// foldTable and punctTable hold foldChar's output for the two-byte
// characters (Latin, Greek, Cyrillic, Hebrew, Arabic, …) and for General
// Punctuation (curly quotes, dashes, ZWJ), computed once: most of the
// text that is not ASCII is one of them.
const (
	foldTableEnd = 0x800
	punctStart   = 0x2000
	punctEnd     = 0x2070
)

var foldTable, punctTable = func() (t [foldTableEnd]string, p [punctEnd - punctStart]string) {
	for r := rune(utf8.RuneSelf); r < foldTableEnd; r++ {
		t[r] = string(foldChar(nil, string(r), r))
	}
	for r := rune(punctStart); r < punctEnd; r++ {
		p[r-punctStart] = string(foldChar(nil, string(r), r))
	}
	return t, p
}()

// origSpan maps the normalised byte range [a, b), whose ends are on
// character boundaries, back to the original text. An empty or
// out-of-range span maps to the end of the last character.
func (n *normText) origSpan(a, b int) (int, int) {
	if n.segs == nil {
		return a, b
	}
	if a >= b || a >= len(n.s) {
		e := n.origEnd(len(n.s) - 1)
		return e, e
	}
	return n.origStart(a), n.origEnd(b - 1)
}

// seg returns the segment that holds normalised byte i.
func (n *normText) seg(i int) *normSeg { return &n.segs[n.segIndex(i)] }

// segIndex returns the index of the segment that holds normalised byte i:
// the last one that starts at or before it.
func (n *normText) segIndex(i int) int {
	lo, hi := 0, len(n.segs)
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if int(n.segs[m].n) <= i {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// origStarts maps normalised offsets read in ascending order to where they
// start in the original text, walking the segments once rather than
// searching them for each offset.
type origStarts struct {
	n *normText
	k int
}

func (c *origStarts) at(i int) int {
	segs := c.n.segs
	if segs == nil {
		return i
	}
	for c.k+1 < len(segs) && int(segs[c.k+1].n) <= i {
		c.k++
	}
	return segs[c.k].start(i)
}

// origStart returns where normalised byte i starts in the original text.
func (n *normText) origStart(i int) int {
	if n.segs == nil {
		return i
	}
	return n.segs[n.segIndex(i)].start(i)
}

// start returns where normalised byte i of the segment starts in the
// original text.
func (sg *normSeg) start(i int) int {
	if sg.oe < 0 {
		return int(sg.o) + i - int(sg.n)
	}
	return int(sg.o)
}

// origEnd returns where normalised byte i ends in the original text; for
// i < 0, where the text's first segment starts.
func (n *normText) origEnd(i int) int {
	if i < 0 {
		return int(n.segs[0].o)
	}
	sg := n.seg(i)
	if sg.oe < 0 {
		return int(sg.o) + i - int(sg.n) + 1
	}
	return int(sg.oe)
}

// foldRune reports the replacement of r after NFC: -1 to drop it, or the
// rune to write instead.
func foldRune(r rune) (rune, bool) {
	switch {
	case r == 0x0640, r == 0x00AD, r == 0x200C, r == 0x200D: // tatweel, soft hyphen, ZWNJ, ZWJ
		return -1, true
	case r == 0x0671: // alef wasla
		return 0x0627, true
	case r == 0x0649, r == 0x06CC: // alef maqsura, Farsi yeh
		return 0x064A, true
	case r == 0x0629: // teh marbuta
		return 0x0647, true
	case r == 0x06A9: // keheh
		return 0x0643, true
	case r >= 0x0660 && r <= 0x0669:
		return '0' + (r - 0x0660), true
	case r >= 0x06F0 && r <= 0x06F9:
		return '0' + (r - 0x06F0), true
	case r == 0x2018, r == 0x2019, r == 0x201A, r == 0x201B, r == 0x2032, r == 0x2035:
		return '\'', true
	case r == 0x201C, r == 0x201D, r == 0x201E, r == 0x201F, r == 0x2033, r == 0x00AB, r == 0x00BB:
		return '"', true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE58, r == 0xFE63, r == 0xFF0D:
		return '-', true
	}
	return 0, false
}

func isASCII(s string) bool { return asciiPrefix(s) == len(s) }
