package engine

import (
	"slices"
	"unicode"
	"unicode/utf8"

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

// normText is a normalised string with, for text that was not ASCII, a map
// from each normalised byte back to the original bytes it came from.
type normText struct {
	s string
	// start[i] and end[i] bound the original bytes that produced
	// normalised byte i. Both are nil when s is the original (ASCII) text.
	start, end []int32
	// buf, startBuf and endBuf keep their memory from one build to the
	// next: s is a copy of buf, and start and end are read only while the
	// article is scored, so a Scorer allocates them once.
	buf              []byte
	startBuf, endBuf []int32
}

// build normalises orig into n. With track, it records the offset maps.
// Each character is normalised on its own: ASCII is copied as it is, and
// only characters with a decomposition go through NFKD. This equals
// normalising the whole text because every combining mark is dropped
// anyway, so no mark needs its base.
//
// Written here rather than through a transform.Chain of x/text transformers
// because the chain cannot report where each output byte came from, and
// evidence snippets need original offsets.
func (n *normText) build(orig string, track bool) {
	if isASCII(orig) {
		n.s, n.start, n.end = orig, nil, nil
		return
	}
	out := n.buf[:0]
	if c := len(orig) + len(orig)/8; cap(out) < c {
		out = make([]byte, 0, c)
	}
	n.start, n.end = nil, nil
	var start, end []int32
	if track {
		start, end = n.startBuf[:0], n.endBuf[:0]
		if cap(start) < cap(out) {
			start, end = make([]int32, 0, cap(out)), make([]int32, 0, cap(out))
		}
	}
	for i := 0; i < len(orig); {
		from := i
		c := orig[i]
		if c < utf8.RuneSelf {
			// ASCII needs nothing: copy the whole run.
			j := i + 1
			for j < len(orig) && orig[j] < utf8.RuneSelf {
				j++
			}
			out = append(out, orig[i:j]...)
			if track {
				start, end = appendIdentity(start, end, i, j)
			}
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(orig[i:])
		i += size
		before := len(out)
		switch {
		case r < foldTableEnd:
			out = append(out, foldTable[r]...)
		case r >= punctStart && r < punctEnd:
			out = append(out, punctTable[r-punctStart]...)
		case r == utf8.RuneError && size <= 1:
			// An invalid byte: U+FFFD keeps the offsets sane.
			out = utf8.AppendRune(out, utf8.RuneError)
		default:
			out = foldChar(out, orig[from:i], r)
		}
		if track {
			for j := before; j < len(out); j++ {
				start = append(start, int32(from))
				end = append(end, int32(i))
			}
		}
	}
	n.s = string(out)
	n.buf = out
	if track {
		n.start, n.end = start, end
		n.startBuf, n.endBuf = start, end
	}
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

// appendIdentity appends to start and end the offsets of the original
// bytes [i, j) copied as they are: byte k comes from [k, k+1).
func appendIdentity(start, end []int32, i, j int) ([]int32, []int32) {
	l := len(start)
	start, end = slices.Grow(start, j-i)[:l+j-i], slices.Grow(end, j-i)[:l+j-i]
	s, e := start[l:], end[l:]
	for k := range s {
		s[k] = int32(i + k)
		e[k] = int32(i + k + 1)
	}
	return start, end
}

// origSpan maps the normalised byte range [a, b) back to the original text.
func (n *normText) origSpan(a, b int) (int, int) {
	if n.start == nil {
		return a, b
	}
	if a >= b || a >= len(n.start) {
		return int(n.endOrig()), int(n.endOrig())
	}
	return int(n.start[a]), int(n.end[b-1])
}

func (n *normText) endOrig() int32 {
	if len(n.end) == 0 {
		return 0
	}
	return n.end[len(n.end)-1]
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

func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
