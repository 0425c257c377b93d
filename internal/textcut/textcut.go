// Package textcut shortens text to a number of characters for display: a
// summary sentence, a Slack field, a line of a table.
//
// Lengths are counted in characters (runes), never bytes, and a cut never
// falls inside a rune, nor between a character and the combining marks
// that follow it (Arabic harakat, a combining accent): they go together.
// When a text is cut, an ellipsis "…" (U+2026, one character) is appended
// at the end, and it counts towards the limit: the result is never longer
// than n characters. A text that fits is returned unchanged.
package textcut

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis is what a cut text ends with.
const Ellipsis = "…"

// Runes returns s cut to at most n characters, the last of them the
// ellipsis when it cut: the first n-1 characters of s, moved back to the
// start of a character that combining marks follow, then "…". For n < 1
// it returns "".
func Runes(s string, n int) string {
	if n < 1 {
		return ""
	}
	i, ok := cutAt(s, n)
	if ok {
		return s
	}
	return s[:i] + Ellipsis
}

// Words returns s cut to at most n characters at a word boundary, the
// last of them the ellipsis when it cut: the first n-1 characters of s,
// back to the last white space among them (when there is one after the
// first character; otherwise the word itself is cut), with trailing white
// space and punctuation dropped (except a closing parenthesis or a double
// quote, which end a phrase), then "…". For n < 1 it returns "".
func Words(s string, n int) string {
	if n < 1 {
		return ""
	}
	i, ok := cutAt(s, n)
	if ok {
		return s
	}
	t := s[:i]
	if k := strings.LastIndexFunc(t, unicode.IsSpace); k > 0 {
		t = t[:k]
	}
	return strings.TrimRightFunc(t, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"'
	}) + Ellipsis
}

// cutAt returns the byte offset at which to cut s so that the kept text
// and the ellipsis make at most n characters (n >= 1), or ok when s has at
// most n characters and needs no cut.
func cutAt(s string, n int) (i int, ok bool) {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return 0, true
	}
	k := 0
	for j := range s {
		if k == n-1 {
			i = j
			break
		}
		k++
	}
	// Keep a character with the combining marks after it.
	for i > 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if !unicode.Is(unicode.M, r) {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i, false
}
