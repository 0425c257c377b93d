// Package sentences splits news text into sentences, for the
// same_sentence rule helper and for extractive summaries.
//
// A sentence ends at a line break, or at ".", "!", "?", "…", "...", "؟" or
// "۔" (with any closing quotes and brackets after it) when what follows,
// after white space, starts a new sentence: an upper-case letter, a digit,
// an opening quote or bracket, or a letter of a script without case. It
// does not end after common abbreviations (U.S., Dr., Gen., Lt., No. 5),
// initials (John F. Kennedy), inside numbers (3.5), URLs and e-mail
// addresses, or before a lower-case word.
//
// Written here rather than taken from a library: the Go sentence
// tokenizers available train or load models at run time, and this package
// must be allocation-free and fast on every article.
package sentences

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a sentence as a half-open byte range [Start, End) of the input text.
type Span struct{ Start, End int }

// Split returns the sentences of text in order; spans are non-empty, do
// not overlap, exclude leading and trailing white space, and every
// non-space byte of text lies in exactly one span.
func Split(text string) []Span { return AppendSplit(nil, text) }

// AppendSplit is Split appending to dst, so callers can reuse a buffer.
func AppendSplit(dst []Span, text string) []Span {
	start := 0
	emit := func(end int) {
		a, b := trim(text, start, end)
		if a < b {
			dst = append(dst, Span{a, b})
		}
		start = end
	}
	for i := 0; i < len(text); {
		// Skip the bytes that cannot end a sentence, the common case.
		for i < len(text) && !special[text[i]] {
			i++
		}
		if i == len(text) {
			break
		}
		c := text[i]
		switch {
		case c == '\n':
			emit(i)
			i++
			continue
		case c == '.' || c == '!' || c == '?':
			end := i + 1
			for end < len(text) && text[end] == '.' { // "..."
				end++
			}
			if end = closers(text, end); endsSentence(text, start, i, end) {
				emit(end)
			}
			i = end
			continue
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(text[i:])
			if r == '…' || r == '؟' || r == '۔' {
				end := closers(text, i+size)
				if endsSentence(text, start, i, end) {
					emit(end)
				}
				i = end
				continue
			}
			i += size
			continue
		}
		i++
	}
	emit(len(text))
	return dst
}

// special marks the bytes the splitter stops at: line breaks, ASCII
// terminators and the lead bytes of multi-byte characters.
var special = func() (t [256]bool) {
	for _, c := range "\n.!?" {
		t[c] = true
	}
	for c := 0xC0; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// closers skips closing quotes and brackets after a terminator.
func closers(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '"', '\'', ')', ']', '”', '’', '»', '›':
			i += size
			continue
		}
		return i
	}
	return i
}

// endsSentence decides whether the terminator at i, with closers up to
// end, ends the sentence that began at start.
func endsSentence(text string, start, i, end int) bool {
	if end >= len(text) {
		return true
	}
	// The terminator must be followed by white space: "3.5", "U.S.-led",
	// "example.org", "a@b.com" go on.
	r, size := utf8.DecodeRuneInString(text[end:])
	if !unicode.IsSpace(r) {
		return false
	}
	if r == '\n' {
		return true // the line break ends it anyway
	}
	j := end + size
	for j < len(text) {
		r, size = utf8.DecodeRuneInString(text[j:])
		if r == '\n' {
			return true
		}
		if !unicode.IsSpace(r) {
			break
		}
		j += size
	}
	if j >= len(text) {
		return true
	}
	if !startsSentence(r) {
		return false
	}
	if text[i] == '.' && end == i+1 {
		return !abbreviation(text, start, i, text[j:])
	}
	return true
}

// startsSentence reports whether r can begin a new sentence.
func startsSentence(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '“', '‘', '«', '‹', '-', '—', '–', '•':
		return true
	}
	if unicode.IsDigit(r) || unicode.IsUpper(r) || unicode.IsTitle(r) {
		return true
	}
	// Scripts without case (Arabic, Hebrew, CJK, …).
	return unicode.IsLetter(r) && !unicode.IsLower(r)
}

// abbreviations end with a period that does not end a sentence when a
// capitalised word follows (titles before names, and the like).
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "gen": true, "lt": true, "col": true,
	"maj": true, "capt": true, "cpt": true, "sgt": true, "cpl": true, "pvt": true, "brig": true, "adm": true,
	"cmdr": true, "gov": true, "sen": true, "rep": true, "pres": true, "st": true, "mt": true, "ft": true,
	"jr": true, "sr": true, "rev": true, "hon": true, "amb": true, "sec": true, "gen'l": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "v": true, "etc": true, "e.g": true,
	"i.e": true, "approx": true, "est": true, "dept": true, "univ": true, "fig": true, "vol": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true, "sep": true,
	"sept": true, "oct": true, "nov": true, "dec": true, "al": true, "op": true, "art": true,
}

// abbreviation reports whether the period at i closes an abbreviation
// rather than the sentence; next is the text of the following word.
func abbreviation(text string, start, i int, next string) bool {
	// The word before the period.
	w := i
	for w > start {
		r, size := utf8.DecodeLastRuneInString(text[:w])
		if unicode.IsSpace(r) || r == '(' || r == '"' || r == '“' {
			break
		}
		w -= size
	}
	word := text[w:i]
	if word == "" {
		return false
	}
	var buf [16]byte
	lw := lowerASCII(buf[:0], word)
	if lw == "no" || lw == "nos" {
		r, _ := utf8.DecodeRuneInString(next)
		return unicode.IsDigit(r)
	}
	if abbreviations[lw] {
		return true
	}
	// Initials and dotted abbreviations: "F.", "U.S.", "a.m." — a
	// single letter before the period, or letters separated by periods.
	if r, size := utf8.DecodeRuneInString(word); size == len(word) && unicode.IsUpper(r) {
		return true
	}
	if strings.IndexByte(word, '.') >= 0 {
		for part := range strings.SplitSeq(word, ".") {
			if utf8.RuneCountInString(part) > 1 {
				return false
			}
		}
		// "U.S. officials said" goes on; "in the U.S. The next" is
		// ambiguous, and going on loses less than a false split.
		return true
	}
	return false
}

// lowerASCII lower-cases a short ASCII word into buf without allocating;
// other words come back as "", which no abbreviation matches.
func lowerASCII(buf []byte, w string) string {
	if len(w) > cap(buf) {
		return ""
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return ""
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return string(buf) // the map lookup and comparisons below do not keep it
}

// trim narrows [a, b) to exclude white space at both ends.
func trim(text string, a, b int) (int, int) {
	for a < b {
		r, size := utf8.DecodeRuneInString(text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		a += size
	}
	for b > a {
		r, size := utf8.DecodeLastRuneInString(text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= size
	}
	return a, b
}
