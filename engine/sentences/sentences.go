// Package sentences splits news text into sentences, for the
// same_sentence rule helper and for extractive summaries.
//
// The contract, in the order the splitter applies it:
//
//   - A line break always ends a sentence: "\n", "\r", "\v", "\f", U+0085,
//     U+2028 and U+2029. Plain-text articles put the title, captions and
//     each paragraph on lines of their own, so a heading without a full
//     stop is a sentence by itself. Blank lines are no sentences.
//   - Otherwise a sentence ends after a run of terminators (".", "!", "?",
//     "…", "...", the Arabic question mark "؟" and full stop "۔"), together
//     with the closing quotes and brackets right after it (`."`, `.”`, `?’`,
//     `.)`), when that is the end of the text, or when white space follows
//     and then something that starts a sentence: an upper-case letter, a
//     digit, an opening quote or bracket, a dash or bullet, a currency sign,
//     or a letter of a script without case (Arabic, Hebrew, CJK, …).
//   - A terminator that is not followed by white space never ends a
//     sentence, which keeps decimals and versions ("3.5", "1.2.3"),
//     "U.S.-led", URLs and e-mail addresses whole; nor does one followed by
//     a lower-case word (`"Why?" he asked.`, "He paused... and went on").
//   - A single full stop does not end a sentence after an abbreviation from
//     a fixed list (titles such as Dr., Gen., Lt., Sen.; Inc., Corp., vs.,
//     approx., month names Jan. to Dec. without May, …), matched without
//     regard to case; after "No." or "Nos." followed by a digit; after an
//     initial ("John F. Kennedy"); after a dotted abbreviation of single
//     letters of any length ("U.S.", "a.m.", "e.g."); or after a number of
//     up to three digits that opens a line or sentence (a list marker,
//     "1. First").
//
// A sentence is a [Span] of byte offsets into the text, trimmed of white
// space. The splitter makes one pass over the text, uses no regular
// expressions and allocates nothing beyond the slice it returns. [Relate]
// tells whether two words lie in one sentence from the text between them
// alone, as the split would, in all but one case it reports. Any
// string is accepted: bytes that are not valid UTF-8 count as ordinary
// characters that are neither space nor letter.
//
// Written here rather than taken from a library: the Go sentence
// tokenizers available train or load models at run time, and this package
// must be allocation-free and fast on every article.
package sentences

import (
	"unicode"
	"unicode/utf8"
)

// Span is a sentence as a half-open byte range [Start, End) of the input text.
type Span struct{ Start, End int }

// Split returns the sentences of text in order; spans are non-empty, do
// not overlap, exclude leading and trailing white space, and every
// non-space byte of text lies in exactly one span.
func Split(text string) []Span { return AppendSplit(nil, text) }

// AppendSplit is Split appending to dst, so callers can reuse a buffer
// without allocating; the spans already in dst are kept.
func AppendSplit(dst []Span, text string) []Span {
	dst, _ = AppendLead(dst, text, -1)
	return dst
}

// AppendLead is AppendSplit that stops once it has appended n sentences
// (n < 0: never): the spans it appends are the first n of AppendSplit's,
// found without reading the text beyond them. complete reports whether
// they are all of the text's sentences.
func AppendLead(dst []Span, text string, n int) (out []Span, complete bool) {
	if n == 0 {
		return dst, blank(text)
	}
	limit := len(dst) + n
	if n < 0 || n > len(text) {
		limit = -1 // no text has more sentences than bytes
	}
	start := 0 // where the current sentence began, white space included
	for i := 0; i < len(text); {
		// Skip the bytes that can neither end a sentence nor begin a
		// line break or terminator: nearly all of them, and the lead
		// bytes of the other characters that share one with those (most
		// Arabic letters share 0xD8 with "؟").
		for {
			for i < len(text) && !special[text[i]] {
				i++
			}
			if i < len(text) {
				if nx := specialNext[text[i]]; nx != 0 && (i+1 >= len(text) || text[i+1] != nx) {
					i++
					continue
				}
			}
			break
		}
		if i == len(text) {
			break
		}
		if n := lineBreak(text, i); n > 0 {
			dst = appendTrimmed(dst, text, start, i)
			i += n
			start = i
			if len(dst) == limit {
				return dst, blank(text[start:])
			}
			continue
		}
		n := terminator(text, i)
		if n == 0 {
			i++ // a lead byte of some other character
			continue
		}
		run, end := runEnd(text, i+n)
		if endsSentence(text, start, i, run, end) {
			dst = appendTrimmed(dst, text, start, end)
			start = end
			if len(dst) == limit {
				return dst, blank(text[start:])
			}
		}
		i = end
	}
	return appendTrimmed(dst, text, start, len(text)), true
}

// Relation is what Relate tells of two places of a text.
type Relation int8

// Relations.
const (
	// Undecided: only splitting the text tells.
	Undecided Relation = iota
	// Same: no sentence ends between them.
	Same
	// Different: a sentence ends between them.
	Different
)

// Relate tells, without splitting text, whether the character at byte
// from, a letter, mark or digit, and the one at byte to (from <= to) lie
// in one sentence of text. It reads text[from:to] and what decides each
// terminator there (the word before it, the characters after it), so a
// caller can relate two words a few words apart at the cost of the bytes
// between them. It is Undecided only when a number of up to three digits
// ends with a full stop between them: that is a list marker, which ends
// no sentence, when it opens its sentence, which depends on where that
// sentence began. It stops at the first sentence that ends, and returns
// the byte where it stopped reading text[from:to] (to when it read it all).
func Relate(text string, from, to int) (rel Relation, stop int) {
	rel = Same
	for i := from; i < to; {
		for i < to && !special[text[i]] {
			i++
		}
		if i >= to {
			break
		}
		if lineBreak(text, i) > 0 {
			return Different, i
		}
		n := terminator(text, i)
		if n == 0 {
			i++ // a lead byte of some other character
			continue
		}
		// The run and its closers, as AppendLead reads them: a run that
		// starts here started after from, which is not a terminator.
		run, end := runEnd(text, i+n)
		switch ends, sure := endsSentenceFrom(text, -1, i, run, end); {
		case !sure:
			rel = Undecided
		case ends:
			return Different, i
		}
		i = end
	}
	return rel, to
}

// special marks the bytes that may begin a line break or a terminator.
// Of the multi-byte ones, only these lead bytes matter: 0xC2 (U+0085),
// 0xD8 ("؟"), 0xDB ("۔") and 0xE2 ("…", U+2028, U+2029); continuation
// bytes never start one, so a scan cannot stop inside a character.
var special = func() (t [256]bool) {
	for _, c := range []byte("\n\r\v\f.!?\xC2\xD8\xDB\xE2") {
		t[c] = true
	}
	return t
}()

// specialNext holds, for the special lead bytes, the byte that must follow
// for a line break or terminator to begin there.
var specialNext = [256]byte{0xC2: 0x85, 0xD8: 0x9F, 0xDB: 0x94, 0xE2: 0x80}

// lineBreak returns the length of the line break at text[i:], or 0.
func lineBreak(text string, i int) int {
	switch text[i] {
	case '\n', '\r', '\v', '\f':
		return 1
	case 0xC2: // U+0085 NEXT LINE
		if i+1 < len(text) && text[i+1] == 0x85 {
			return 2
		}
	case 0xE2: // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
		if i+2 < len(text) && text[i+1] == 0x80 && (text[i+2] == 0xA8 || text[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// terminator returns the length of the sentence terminator at text[i:],
// or 0; it is 0 at the end of the text.
func terminator(text string, i int) int {
	if i >= len(text) {
		return 0
	}
	switch text[i] {
	case '.', '!', '?':
		return 1
	case 0xD8: // U+061F ARABIC QUESTION MARK
		if i+1 < len(text) && text[i+1] == 0x9F {
			return 2
		}
	case 0xDB: // U+06D4 ARABIC FULL STOP
		if i+1 < len(text) && text[i+1] == 0x94 {
			return 2
		}
	case 0xE2: // U+2026 HORIZONTAL ELLIPSIS
		if i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0xA6 {
			return 3
		}
	}
	return 0
}

// runEnd returns, for a terminator that ends at text[i], where the whole
// run of terminators it begins ends ("...", "?!", "…?"), and where the
// closing quotes and brackets after it that belong to the sentence end.
func runEnd(text string, i int) (run, end int) {
	run = i
	for {
		m := terminator(text, run)
		if m == 0 {
			break
		}
		run += m
	}
	return run, closers(text, run)
}

// closers skips the closing quotes and brackets at text[i:].
func closers(text string, i int) int {
	for i < len(text) {
		r, size := decode(text, i)
		switch r {
		case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '」', '』':
			i += size
			continue
		}
		return i
	}
	return i
}

// endsSentence decides whether the terminators text[i:run], with the
// closers up to end, end the sentence that began at start.
func endsSentence(text string, start, i, run, end int) bool {
	ends, _ := endsSentenceFrom(text, start, i, run, end)
	return ends
}

// endsSentenceFrom is endsSentence for a sentence that began at start, or
// at a place not known when start is negative: sure reports whether the
// answer holds wherever the sentence began. Only the list-marker rule of
// abbreviation looks at where it began.
func endsSentenceFrom(text string, start, i, run, end int) (ends, sure bool) {
	if end >= len(text) {
		return true, true
	}
	// White space must follow: "3.5", "U.S.-led", "example.org" go on.
	r, _ := decode(text, end)
	if !unicode.IsSpace(r) {
		return false, true
	}
	// The first character after the white space decides.
	j := end
	for j < len(text) {
		if lineBreak(text, j) > 0 {
			return true, true // the line break would end it anyway
		}
		var size int
		r, size = decode(text, j)
		if !unicode.IsSpace(r) {
			break
		}
		j += size
	}
	if j >= len(text) {
		return true, true
	}
	if !startsSentence(r) {
		return false, true
	}
	if run == i+1 && end == run && text[i] == '.' {
		abbr, sure := abbreviation(text, start, i, r)
		return !abbr, sure
	}
	return true, true
}

// decode is utf8.DecodeRuneInString(text[i:]) with an ASCII fast path.
func decode(text string, i int) (rune, int) {
	if c := text[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(text[i:])
}

// decodeLast is utf8.DecodeLastRuneInString(s) with an ASCII fast path.
func decodeLast(s string) (rune, int) {
	if c := s[len(s)-1]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeLastRuneInString(s)
}

// startsSentence reports whether r can begin a new sentence.
func startsSentence(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return true
		}
		switch r {
		case '"', '\'', '(', '[', '{', '-', '$':
			return true
		}
		return false
	}
	switch r {
	case '“', '‘', '„', '‚', '«', '‹', '「', '『', '—', '–', '•', '¿', '¡':
		return true
	}
	if unicode.IsUpper(r) || unicode.IsTitle(r) || unicode.IsDigit(r) || unicode.Is(unicode.Sc, r) {
		return true
	}
	// Letters of scripts without case (Arabic, Hebrew, CJK, …).
	return unicode.IsLetter(r) && !unicode.IsLower(r)
}

// abbreviations hold, in lower case and without the period, the words
// whose period does not end a sentence even before a capitalised word:
// titles before names, company suffixes, "vs.", "approx." and months.
// "No." is handled apart: it abbreviates only before a number.
var abbreviations = map[string]bool{
	// Titles and ranks.
	"mr": true, "mrs": true, "ms": true, "messrs": true, "dr": true, "prof": true, "rev": true, "hon": true, "amb": true,
	"gen": true, "lt": true, "col": true, "maj": true, "capt": true, "sgt": true, "cpl": true, "pvt": true,
	"brig": true, "adm": true, "cmdr": true, "gov": true, "sen": true, "rep": true, "pres": true,
	"jr": true, "sr": true,
	// Places.
	"st": true, "mt": true, "ft": true,
	// Companies and the like.
	"inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "v": true, "approx": true,
	// Months; "May" is a whole word.
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// maxAbbrev is the length of the longest word in abbreviations.
const maxAbbrev = 6

// maxWord bounds the backward scan for the word before a period: longer
// words are not abbreviations, and the bound keeps the splitter linear.
const maxWord = 64

// abbreviation reports whether the period at text[i] closes an
// abbreviation rather than the sentence that began at start; next is
// the first character after the white space that follows.
func abbreviation(text string, start, i int, next rune) (abbr, sure bool) {
	// The word before the period, back to white space, an opening
	// quote or bracket, a dash or a slash ("ex-Gov.", "(Dr.").
	// Where the sentence began bounds the word; when that is not known
	// (start < 0), white space does: a sentence that began elsewhere than
	// the text's start follows white space or a line break.
	from := max(start, 0)
	w := i
	for w > from && i-w <= maxWord {
		r, size := decodeLast(text[from:w])
		if unicode.IsSpace(r) || wordBoundary(r) {
			break
		}
		w -= size
	}
	if w == i || i-w > maxWord {
		return false, true
	}
	word := text[w:i]
	if len(word) <= maxAbbrev {
		var buf [maxAbbrev]byte
		n := 0
		for ; n < len(word); n++ {
			c := word[n]
			if c >= utf8.RuneSelf {
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
		}
		if n == len(word) {
			if string(buf[:n]) == "no" || string(buf[:n]) == "nos" {
				return unicode.IsDigit(next), true
			}
			if abbreviations[string(buf[:n])] {
				return true, true
			}
		}
	}
	// An initial: one upper-case letter.
	if r, size := utf8.DecodeRuneInString(word); size == len(word) && unicode.IsUpper(r) {
		return true, true
	}
	// A list marker: a short number opening the line or sentence.
	if len(word) <= 3 && allDigits(word) {
		if start < 0 {
			return false, false // it is one if it opens its sentence
		}
		if blank(text[start:w]) {
			return true, true
		}
	}
	// A dotted abbreviation: single letters separated by periods,
	// "U.S.", "a.m.", "e.g.". "In the U.S. The next" is ambiguous, and
	// going on loses less than a false split.
	return dotted(word), true
}

// wordBoundary reports whether r separates the word before a period
// from what precedes it (besides white space).
func wordBoundary(r rune) bool {
	switch r {
	case '(', '[', '{', '"', '\'', '“', '‘', '„', '«', '‹', '-', '–', '—', '/':
		return true
	}
	return false
}

// dotted reports whether word is two or more single letters separated by
// periods ("U.S", "a.m", "U.S.A").
func dotted(word string) bool {
	letters := 0
	for k := 0; k < len(word); {
		r, size := utf8.DecodeRuneInString(word[k:])
		if !unicode.IsLetter(r) {
			return false
		}
		letters++
		k += size
		if k == len(word) {
			break
		}
		if word[k] != '.' || k+1 == len(word) {
			return false
		}
		k++
	}
	return letters >= 2
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return s != ""
}

// blank reports whether s is only white space.
func blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// appendTrimmed appends text[a:b] without its surrounding white space,
// unless nothing is left.
func appendTrimmed(dst []Span, text string, a, b int) []Span {
	for a < b {
		r, size := decode(text[:b], a)
		if !unicode.IsSpace(r) {
			break
		}
		a += size
	}
	for b > a {
		r, size := decodeLast(text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= size
	}
	if a < b {
		dst = append(dst, Span{a, b})
	}
	return dst
}
