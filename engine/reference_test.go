package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// A reference implementation of DESIGN.md "Terms", written to be read
// rather than to be fast, and the differential fuzz test that holds the
// matcher (and the word index of terms computed at run time) to it, hit by
// hit. Normalisation (Normalize) and the inflections of a word written
// with ~ (wordForms) are the engine's own, tested on their own; everything
// else is done again here, from the text of DESIGN.md:
//
//   - Tokens are maximal runs of letters, marks and digits of the
//     normalised text; positions count from 0 over the title, then the body.
//   - A term is one or more words matched against consecutive tokens of one
//     field; case-insensitive comparison lower-cases each rune.
//   - A trailing * matches any token with that prefix; ~ matches the
//     word's inflections; a leading = makes the whole term case-sensitive.
//   - A first word in Arabic letters, less a leading ال (its base B),
//     matches P + B for every proclitic sequence P: an optional و or ف,
//     then an optional ب, ك or ل, then an optional ال (لل after ل); with *
//     the token need only start with P + B.

// refToken is one token of the reference tokenizer.
type refToken struct {
	field int
	raw   string // normalised, case kept
	lower string
}

func refTokens(title, body string) []refToken {
	var out []refToken
	for field, text := range []string{title, body} {
		var cur []rune
		flush := func() {
			if len(cur) > 0 {
				raw := string(cur)
				out = append(out, refToken{field: field, raw: raw, lower: strings.Map(unicode.ToLower, raw)})
				cur = cur[:0]
			}
		}
		for _, r := range Normalize(text) {
			if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) {
				cur = append(cur, r)
			} else {
				flush()
			}
		}
		flush()
	}
	return out
}

// refWord is one word of a reference term.
type refWord struct {
	text   string // lower-cased unless the term is case-sensitive
	prefix bool
	forms  []string // for ~
}

type refTerm struct {
	cs    bool
	words []refWord
}

// refParse reads a term the engine accepted. It reports false for a term
// it cannot read, which the caller treats as a disagreement.
func refParse(s string) (refTerm, bool) {
	var t refTerm
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "=") {
		t.cs, body = true, body[1:]
	}
	rs := []rune(Normalize(body))
	for i := 0; i < len(rs); {
		if !(unicode.IsLetter(rs[i]) || unicode.IsMark(rs[i]) || unicode.IsDigit(rs[i])) {
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsMark(rs[j]) || unicode.IsDigit(rs[j])) {
			j++
		}
		w := refWord{text: string(rs[i:j])}
		if !t.cs {
			w.text = strings.Map(unicode.ToLower, w.text)
		}
		if j < len(rs) && rs[j] == '*' {
			w.prefix = true
			j++
		} else if j < len(rs) && rs[j] == '~' {
			forms, err := wordForms(w.text)
			if err != nil {
				return t, false
			}
			w.forms = forms
			j++
		}
		t.words = append(t.words, w)
		i = j
	}
	return t, len(t.words) > 0
}

// refProclitics lists every proclitic sequence P, the empty one included.
func refProclitics() []string {
	var out []string
	for _, p1 := range []string{"", "و", "ف"} {
		for _, p2 := range []string{"", "ب", "ك", "ل"} {
			out = append(out, p1+p2)
			if p2 == "ل" {
				out = append(out, p1+p2+"ل")
			} else {
				out = append(out, p1+p2+"ال")
			}
		}
	}
	return out
}

func refArabic(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if r < 0x0621 || r > 0x064A {
			return false
		}
	}
	return true
}

// refWordMatches reports whether tok matches w, the k-th word of t.
func refWordMatches(t refTerm, k int, tok refToken) bool {
	w := t.words[k]
	text := tok.lower
	if t.cs {
		text = tok.raw
	}
	if k == 0 && refArabic(w.text) {
		base := w.text
		if b, ok := strings.CutPrefix(base, "ال"); ok && b != "" {
			base = b
		}
		for _, p := range refProclitics() {
			if w.prefix && strings.HasPrefix(text, p+base) || !w.prefix && text == p+base {
				return true
			}
		}
		return false
	}
	switch {
	case w.forms != nil:
		return slices.Contains(w.forms, text)
	case w.prefix:
		return strings.HasPrefix(text, w.text)
	}
	return text == w.text
}

// refHits returns every position where t starts.
func refHits(t refTerm, toks []refToken) []int32 {
	var out []int32
	for i := range toks {
		ok := i+len(t.words) <= len(toks)
		for k := 0; ok && k < len(t.words); k++ {
			ok = toks[i+k].field == toks[i].field && refWordMatches(t, k, toks[i+k])
		}
		if ok {
			out = append(out, int32(i))
		}
	}
	return out
}

// compareWithReference scores one article against terms as literal terms
// (the matcher) and as terms computed at run time (the word index), and
// reports every position where either disagrees with the reference.
func compareWithReference(t *testing.T, terms []string, title, body string) {
	t.Helper()
	var valid []string
	for _, s := range terms {
		if CheckTerm(s) == nil {
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 {
		return
	}
	c, err := NewCompiler(map[string][]string{"all": valid})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(RuleSpec{Name: "all", When: "mentions(lex.all)"}); err != nil {
		t.Fatal(err)
	}
	rs := c.Finish()
	s := rs.NewScorer()
	s.Score(Article{Title: title, Body: body})
	toks := refTokens(title, body)
	if len(toks) != len(s.a.toks) {
		t.Fatalf("%d tokens, reference %d: %q | %q", len(s.a.toks), len(toks), title, body)
	}
	for i, tok := range toks {
		if got := s.a.rawTok(i); got != tok.raw {
			t.Fatalf("token %d is %q, reference %q", i, got, tok.raw)
		}
	}
	for _, term := range valid {
		ref, ok := refParse(term)
		if !ok {
			t.Fatalf("the engine accepts %q, the reference cannot read it", term)
		}
		want := refHits(ref, toks)
		et, _ := parseTerm(term)
		lit := s.a.hits[rs.termIDs[et.key()]]
		if !slices.Equal(lit, want) {
			t.Errorf("term %q: matcher hits %v, reference %v\ntitle %q\nbody %q", term, lit, want, clip(title), clip(body))
		}
		if dyn := s.a.dynScan(&et); !slices.Equal(dyn, want) {
			t.Errorf("term %q: computed-term hits %v, reference %v\ntitle %q\nbody %q", term, dyn, want, clip(title), clip(body))
		}
	}
}

// clip shortens a text for a failure message.
func clip(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// seedTexts returns the article texts under ../testdata/seeds, title
// first, and the Arabic titles and bodies of the shipped rule pack's tests
// (the seeds are English), paired in order.
func seedTexts(tb testing.TB) [][2]string {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "seeds", "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed articles: %v", err)
	}
	var out [][2]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		title, body, _ := strings.Cut(string(b), "\n")
		out = append(out, [2]string{title, body})
	}
	pack, err := os.ReadFile(filepath.Join("..", "rules.d", "pack_test.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var arabic []string
	for _, line := range strings.Split(string(pack), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if ok && (key == "title" || key == "body") && strings.ContainsFunc(value, func(r rune) bool { return r >= 0x0621 && r <= 0x064A }) {
			arabic = append(arabic, strings.Trim(value, `"'`))
		}
	}
	if len(arabic) < 20 {
		tb.Fatalf("%d Arabic texts in the rule pack's tests, want 20 or more", len(arabic))
	}
	for i := 0; i+1 < len(arabic); i += 2 {
		out = append(out, [2]string{arabic[i], arabic[i+1]})
	}
	return out
}

// termsFrom draws terms from the tokens of a text, in every form the
// language has: words, phrases, prefixes, case-sensitive, inflections, and
// Arabic words with proclitics.
func termsFrom(r *rand.Rand, toks []refToken, n int) []string {
	var out []string
	for len(out) < n && len(toks) > 0 {
		i := r.IntN(len(toks))
		words := 1 + r.IntN(3)
		var parts []string
		for k := 0; k < words && i+k < len(toks); k++ {
			w := toks[i+k].raw
			switch r.IntN(6) {
			case 0:
				if n := utf8.RuneCountInString(w); n > 2 {
					w = string([]rune(w)[:1+r.IntN(n-1)]) + "*"
				}
			case 1:
				w += "~"
			}
			parts = append(parts, w)
		}
		term := strings.Join(parts, " ")
		switch r.IntN(4) {
		case 0:
			term = "=" + term
		case 1:
			term = strings.ToUpper(term)
		}
		if r.IntN(8) == 0 && refArabic(toks[i].lower) {
			term = []string{"و", "ال", "بال"}[r.IntN(3)] + term
		}
		out = append(out, term)
	}
	return out
}

// TestMatcherAgainstReference compares the matcher with the reference on
// the seed articles, with terms drawn from their own text.
func TestMatcherAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for i, art := range seedTexts(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			toks := refTokens(art[0], art[1])
			compareWithReference(t, termsFrom(r, toks, min(300, len(toks))), art[0], art[1])
		})
	}
	compareWithReference(t, []string{"cross-border", "=IS", "smuggl*", "islamic stat*", "=Café", "car bomb~",
		"behead~", "gunman~", "catch~", "داعش", "الموصل", "داعش*", "=داعش", "الدولة الإسلامية"},
		"IS and the Islamic State: Cross-Border smugglers", "Café owners said a car bombing, then gunmen beheaded two and caught three. "+
			"وداعش لداعش بداعش فبداعش الداعش موصل بالموصل والموصل للموصل الدولة الاسلامية داعشي")
}

// FuzzMatcherAgainstReference is the differential fuzz test: three terms
// and an article, every hit of the matcher and of the computed-term path
// against the reference. The seeds are the articles of testdata with terms
// from their text.
//
//	go test ./engine -run '^$' -fuzz FuzzMatcherAgainstReference -fuzztime 60s
func FuzzMatcherAgainstReference(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, art := range seedTexts(f) {
		toks := refTokens(art[0], art[1])
		for k := 0; k < 8; k++ {
			ts := termsFrom(r, toks, 3)
			body := art[1]
			if cut := r.IntN(len(body)); cut+400 < len(body) {
				body = body[cut : cut+400]
			}
			f.Add(ts[0], ts[1], ts[2], art[0], body)
		}
	}
	f.Add("=IS", "smuggl*", "car bomb~", "IS claimed", "ISIS is smuggling; car bombings")
	f.Add("داعش", "الموصل*", "=Café", "وداعش", "بالموصلية للموصل Cafe café")
	f.Fuzz(func(t *testing.T, t1, t2, t3, title, body string) {
		compareWithReference(t, []string{t1, t2, t3}, title, body)
	})
}
