package engine

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// Arabic proclitics (DESIGN.md "Terms"): a first word of a term written in
// Arabic letters, less any leading ال (its base B), matches a token P + B,
// where P is an optional و or ف, then an optional ب, ك or ل, then an
// optional ال, written ل after ل (لل). With '*' the token need only start
// with P + B. Only the first word of a term takes proclitics.

const (
	arAl  = "ال"
	arLam = "ل"
)

// isArabicLetter reports whether r is in the Arabic letter range the rule
// language pins, U+0621–U+064A.
func isArabicLetter(r rune) bool { return r >= 0x0621 && r <= 0x064A }

// isArabicWord reports whether w is non-empty and written in Arabic letters
// only.
func isArabicWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !isArabicLetter(r) {
			return false
		}
	}
	return true
}

// arabicBase returns the base B of a word written in Arabic letters (the
// word without a leading ال, or the word itself when nothing would be left),
// or "" when w is not an Arabic word.
func arabicBase(w string) string {
	if !isArabicWord(w) {
		return ""
	}
	if b, ok := strings.CutPrefix(w, arAl); ok && b != "" {
		return b
	}
	return w
}

// startsArabic reports whether tok starts with an Arabic letter; only such
// tokens try proclitic stripping.
func startsArabic(tok []byte) bool {
	// U+0621–U+064A encode as D8 A1 … D9 8A.
	if len(tok) < 2 || tok[0] != 0xD8 && tok[0] != 0xD9 {
		return false
	}
	r, _ := utf8.DecodeRune(tok)
	return isArabicLetter(r)
}

// procliticSeq is one proclitic sequence a token starts with: particles
// bytes of particles (an optional و or ف, then an optional ب, ك or ل),
// then art bytes of article (0, or ال, written ل after a ل particle, in
// which case lamArticle is set).
type procliticSeq struct {
	particles, art int
	lamArticle     bool
}

// len is the byte length of the whole sequence.
func (p procliticSeq) len() int { return p.particles + p.art }

// arabicSeqs writes into out the proclitic sequences tok starts with, the
// empty one included, and returns how many: the one grammar of Arabic
// proclitics that matching (arabicRests) and matched forms
// (arabicParticles) share. For each choice of particles, the sequence
// without the article comes before the one with it.
func arabicSeqs[T ~string | ~[]byte](tok T, out *[8]procliticSeq) int {
	k := 0
	// Step 1: optional و or ف.
	for _, n1 := range [2]int{0, 2} {
		if n1 > 0 && !hasRune2(tok, 0xD9, 0x88) && !hasRune2(tok, 0xD9, 0x81) { // و ف
			continue
		}
		t1 := tok[n1:]
		// Step 2: optional ب, ك or ل.
		for _, n2 := range [2]int{0, 2} {
			lam := false
			if n2 > 0 {
				switch {
				case hasRune2(t1, 0xD8, 0xA8), hasRune2(t1, 0xD9, 0x83): // ب ك
				case hasRune2(t1, 0xD9, 0x84): // ل
					lam = true
				default:
					continue
				}
			}
			out[k] = procliticSeq{particles: n1 + n2}
			k++
			// Step 3: optional ال, written ل after ل.
			art := arAl
			if lam {
				art = arLam
			}
			if t2 := t1[n2:]; len(t2) > len(art) && string(t2[:len(art)]) == art {
				out[k] = procliticSeq{particles: n1 + n2, art: len(art), lamArticle: lam}
				k++
			}
		}
	}
	return k
}

// arabicRests returns a mask with bit k set when tok starts with a
// proclitic sequence P of k bytes, P empty included (bit 0). Two sequences
// of one length that tok starts with are the same bytes, so each rest
// tok[k:] is tried once; k is 0, 2, 4, 6 or 8.
func arabicRests[T ~string | ~[]byte](tok T) uint16 {
	var seqs [8]procliticSeq
	var mask uint16
	for _, p := range seqs[:arabicSeqs(tok, &seqs)] {
		mask |= 1 << p.len()
	}
	return mask
}

// hasRune2 reports whether b starts with the two-byte sequence c0 c1.
func hasRune2[T ~string | ~[]byte](b T, c0, c1 byte) bool {
	return len(b) >= 2 && b[0] == c0 && b[1] == c1
}

// arabicMatch reports whether tok is P + base (or starts with it, when
// prefix is set) for some proclitic sequence P.
func arabicMatch(tok, base string, prefix bool) bool {
	for mask := arabicRests(tok); mask != 0; mask &= mask - 1 {
		rest := tok[bits.TrailingZeros16(mask):]
		if prefix && strings.HasPrefix(rest, base) || !prefix && rest == base {
			return true
		}
	}
	return false
}

// arabicParticles splits the proclitics of a token that matches base (as
// arabicMatch does): n is the byte length of its particles, the و or ف and
// the ب, ك or ل in front of any article, and lamArticle reports that the
// article after them is written ل after a ل particle (لل), so that the word
// without its particles is ا + tok[n:]. Where several proclitic sequences
// fit (only with prefix), the shortest is taken. ok is false when tok does
// not match base.
func arabicParticles(tok, base string, prefix bool) (n int, lamArticle, ok bool) {
	var seqs [8]procliticSeq
	best := -1 // length of the whole proclitic sequence taken
	for _, p := range seqs[:arabicSeqs(tok, &seqs)] {
		rest := tok[p.len():]
		if (best < 0 || p.len() < best) && (prefix && strings.HasPrefix(rest, base) || !prefix && rest == base) {
			best, n, lamArticle = p.len(), p.particles, p.lamArticle
		}
	}
	return n, lamArticle, best >= 0
}
