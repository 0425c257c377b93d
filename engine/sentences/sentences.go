// Package sentences splits news text into sentences.
package sentences

import "strings"

// Span is a sentence as a half-open byte range [Start, End) of the input text.
type Span struct{ Start, End int }

// Split returns the sentences of text in order.
func Split(text string) []Span { return AppendSplit(nil, text) }

// AppendSplit is Split appending to dst.
// Provisional: splits at line breaks and ". " only; the full splitter replaces it.
func AppendSplit(dst []Span, text string) []Span {
	start := 0
	emit := func(a, b int) {
		for a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r') {
			a++
		}
		for b > a && (text[b-1] == ' ' || text[b-1] == '\t' || text[b-1] == '\r') {
			b--
		}
		if a < b {
			dst = append(dst, Span{a, b})
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			emit(start, i)
			start = i + 1
		} else if text[i] == '.' && i+1 < len(text) && text[i+1] == ' ' && !strings.HasSuffix(text[:i], "U.S") {
			emit(start, i+1)
			start = i + 1
		}
	}
	emit(start, len(text))
	return dst
}
