package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// term is a compiled rule term: one or more words matched against
// consecutive tokens.
type term struct {
	src   string     // as written in the rule or lexicon
	words []termWord // normalised; lower-cased unless cs
	cs    bool       // case-sensitive ("=IS")
}

type termWord struct {
	text   string
	prefix bool // written with a trailing '*'
}

// key identifies terms that match exactly the same token sequences.
func (t *term) key() string {
	var b strings.Builder
	if t.cs {
		b.WriteByte('=')
	}
	for i, w := range t.words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.text)
		if w.prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// CheckTerm reports whether s is a valid term, with the reason when it is not.
func CheckTerm(s string) error {
	_, err := parseTerm(s)
	return err
}

// parseTerm compiles a term as DESIGN.md "Terms" pins it: a leading '=' makes
// it case-sensitive, a '*' may end any word, and the words are the tokens of
// the normalised term.
func parseTerm(s string) (term, error) {
	t := term{src: s}
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "=") {
		t.cs = true
		body = body[1:]
	}
	norm := Normalize(body)
	i := 0
	for i < len(norm) {
		r, size := utf8.DecodeRuneInString(norm[i:])
		if !isTokenRune(r) {
			if r == '*' {
				return term{}, fmt.Errorf("term %q: '*' may only end a word", s)
			}
			i += size
			continue
		}
		j := i
		for j < len(norm) {
			r, size := utf8.DecodeRuneInString(norm[j:])
			if !isTokenRune(r) {
				break
			}
			j += size
		}
		w := termWord{text: norm[i:j]}
		if !t.cs {
			w.text = lowerString(w.text)
		}
		if j < len(norm) && norm[j] == '*' {
			w.prefix = true
			j++
			if j < len(norm) {
				if r, _ := utf8.DecodeRuneInString(norm[j:]); isTokenRune(r) || r == '*' {
					return term{}, fmt.Errorf("term %q: '*' may only end a word", s)
				}
			}
		}
		t.words = append(t.words, w)
		i = j
	}
	if len(t.words) == 0 {
		return term{}, fmt.Errorf("term %q has no words", s)
	}
	return t, nil
}

// isTokenRune reports whether r belongs inside a token: letters, marks and
// decimal digits; everything else separates tokens.
func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiClass[r]&classToken != 0
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

const (
	classToken = 1 << iota
	classUpper
)

var asciiClass = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = classToken
		case c >= 'A' && c <= 'Z':
			t[c] = classToken | classUpper
		}
	}
	return t
}()

// lowerString lower-cases each rune with unicode.ToLower (no multi-rune
// folding), returning s itself when nothing changes.
func lowerString(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || asciiClass[c]&classUpper != 0 {
			return strings.Map(unicode.ToLower, s)
		}
	}
	return s
}
