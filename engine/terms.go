package engine

import (
	"fmt"
	"slices"
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
	// forms holds the exact tokens the word matches when it was written
	// with a trailing '~': text first, then its inflections (wordforms.go).
	// Nil for a word written without '~'.
	forms []string
	// arBase is set on the first word of a term when that word is written
	// in Arabic letters: the word without a leading ال, which matches
	// tokens carrying proclitics (arabic.go).
	arBase string
}

// matches reports whether a token (lower-cased unless the term is case
// sensitive) matches w as a word after the first of its term.
func (w *termWord) matches(tok string) bool {
	switch {
	case w.forms != nil:
		return slices.Contains(w.forms, tok)
	case w.prefix:
		return strings.HasPrefix(tok, w.text)
	}
	return tok == w.text
}

// matchesFirst reports whether a token matches w as the first word of its
// term, proclitics included.
func (w *termWord) matchesFirst(tok string) bool {
	if w.arBase != "" {
		return arabicMatch(tok, w.arBase, w.prefix)
	}
	return w.matches(tok)
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
		if w.forms != nil {
			b.WriteByte('~')
		}
	}
	return b.String()
}

// CheckTerm reports whether s is a valid term, with the reason when it is not.
func CheckTerm(s string) error {
	_, err := parseTerm(s)
	return err
}

// parseTerm compiles a term as DESIGN.md "Terms" and "Rule language v2" pin
// it: a leading '=' makes it case-sensitive, a '*' (prefix) or a '~' (word
// forms) may end any word, and the words are the tokens of the normalised
// term. A first word in Arabic letters also matches with proclitics.
func parseTerm(s string) (term, error) {
	t := term{src: s}
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "=") {
		t.cs = true
		body = body[1:]
	}
	if strings.HasPrefix(body, "@") {
		return term{}, fmt.Errorf("term %q: @ includes a lexicon only inside a lexicon list; in an expression write lex.%s", s, strings.TrimPrefix(body, "@"))
	}
	norm := Normalize(body)
	i := 0
	for i < len(norm) {
		r, size := utf8.DecodeRuneInString(norm[i:])
		if !isTokenRune(r) {
			if r == '*' {
				return term{}, fmt.Errorf("term %q: '*' may only end a word", s)
			}
			if r == '~' {
				return term{}, fmt.Errorf("term %q: '~' may only end a word", s)
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
		for j < len(norm) && (norm[j] == '*' || norm[j] == '~') {
			mark := norm[j]
			if mark == '*' && w.prefix || mark == '~' && w.forms != nil {
				return term{}, fmt.Errorf("term %q: '%c' written twice on word %q", s, mark, w.text)
			}
			if mark == '*' && w.forms != nil || mark == '~' && w.prefix {
				return term{}, fmt.Errorf("term %q: '~' and '*' cannot end the same word %q", s, w.text)
			}
			if mark == '*' {
				w.prefix = true
			} else {
				forms, err := wordForms(w.text)
				if err != nil {
					return term{}, fmt.Errorf("term %q: word %q: %w", s, w.text, err)
				}
				w.forms = forms
			}
			j++
		}
		if j < len(norm) {
			if r, _ := utf8.DecodeRuneInString(norm[j:]); isTokenRune(r) && (w.prefix || w.forms != nil) {
				mark := '*'
				if w.forms != nil {
					mark = '~'
				}
				return term{}, fmt.Errorf("term %q: '%c' may only end a word", s, mark)
			}
		}
		if len(t.words) == 0 {
			w.arBase = arabicBase(w.text)
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
