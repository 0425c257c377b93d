package engine

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// Word forms: a word written with a trailing '~' matches its English
// inflections. They are computed once, when the term is compiled, so the
// matcher compares tokens with a small set of exact words and never stems
// text at scan time.
//
// The regular forms are candidates built by English suffix rules (-s, -es,
// -ies, -ed, -d, -ied, -ing, -ings, -er, -ers, with e-dropping, y→i and
// consonant doubling) from the word and from its stem, kept only when the
// Porter2 stemmer gives them the word's stem: "behead" gets beheads,
// beheaded, beheading; "kill" does not get "killer", which Porter2 keeps
// apart. Irregular verbs and plurals come from the table in irregular.go:
// catch → caught, gunman → gunmen.

var errFormsWord = errors.New("'~' needs an English word (letters a-z)")

// maxFormsWord bounds the words the suffix rules run on; longer words get
// their regular forms all the same, as long words are regular.
const maxFormsWord = 64

// wordForms returns the forms that a word written with '~' matches: the
// word itself first, then its inflections, without duplicates. w is the
// normalised word; when cs is set the forms keep the case pattern of w.
func wordForms(w string) ([]string, error) {
	low := lowerString(w)
	if low == "" || len(low) > maxFormsWord {
		return nil, errFormsWord
	}
	for i := 0; i < len(low); i++ {
		if low[i] < 'a' || low[i] > 'z' {
			return nil, errFormsWord
		}
	}
	forms := []string{low}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	stem := stemWord(low)
	bases := []string{low}
	switch {
	case derivedNoun(low):
		// An agent noun or a gerund (reporter, killing) inflects as a noun
		// only: reporter~ is not reported, killing~ is not killed. Written
		// in the plural, its singular is a base too.
		if sing, ok := strings.CutSuffix(low, "s"); ok {
			bases = append(bases, sing)
		}
	case stem != low && stem+"e" != low:
		// An inflected word (beheaded, seized): its base is the stem, or
		// the stem and an e.
		bases = append(bases, stem, stem+"e")
	}
	for _, base := range bases {
		for _, c := range suffixCandidates(base) {
			if stemWord(c) == stem {
				add(c)
			}
		}
	}
	for _, g := range irregularGroups(low) {
		for _, f := range g {
			add(f)
		}
		// The base form (first in its group) also brings its regular
		// inflections (take → takes, taking), checked against its stem.
		bs := stemWord(g[0])
		for _, c := range suffixCandidates(g[0]) {
			if stemWord(c) == bs {
				add(c)
			}
		}
	}
	for _, f := range manPlural(low) {
		add(f)
	}
	if w != low {
		for i, f := range forms {
			forms[i] = applyCase(w, f)
		}
	}
	return forms, nil
}

// derivedNoun reports whether w ends like an agent noun or a gerund, in
// the singular or the plural: -er, -or, -ing.
func derivedNoun(w string) bool {
	w = strings.TrimSuffix(w, "s")
	return len(w) > 5 && (strings.HasSuffix(w, "er") || strings.HasSuffix(w, "or") || strings.HasSuffix(w, "ing"))
}

// stemWord is the Porter2 stem of a lower-case English word, stop words
// included.
func stemWord(w string) string { return english.Stem(w, true) }

// suffixCandidates returns base and its inflection candidates by English
// spelling rules: plural or third person (-s, -es, -ies), past (-ed, -d,
// -ied), participle (-ing, -ings) and agent (-er, -ers), with e-dropping,
// y→i, and consonant doubling after a single vowel (stop → stopped). The
// stemmer then rejects the wrong ones (visit → visitted); the rest that
// are not words cost nothing, since no text holds them.
func suffixCandidates(base string) []string {
	n := len(base)
	if n < 2 {
		return []string{base}
	}
	last, prev := base[n-1], base[n-2]
	out := []string{base}
	// -s / -es / -ies
	switch {
	case last == 'y' && !isVowel(prev):
		out = append(out, base[:n-1]+"ies")
	case last == 's' || last == 'x' || last == 'z' || strings.HasSuffix(base, "ch") || strings.HasSuffix(base, "sh"):
		out = append(out, base+"es")
	case last == 'o':
		out = append(out, base+"s", base+"es")
	default:
		out = append(out, base+"s")
	}
	// Stems for -ed, -er and for -ing.
	var edStems, ingStems []string
	switch {
	case last == 'e':
		edStems = []string{base[:n-1]}
		if strings.HasSuffix(base, "ie") {
			ingStems = []string{base[:n-2] + "y"} // die → dying
		} else if prev == 'e' || prev == 'o' || prev == 'y' {
			ingStems = []string{base} // free → freeing
		} else {
			ingStems = []string{base[:n-1]} // seize → seizing
		}
	case last == 'y' && !isVowel(prev):
		edStems = []string{base[:n-1] + "i"}
		ingStems = []string{base}
	case last == 'c':
		edStems = []string{base + "k"} // panic → panicked
		ingStems = edStems
	default:
		edStems = []string{base}
		ingStems = []string{base}
		if !isVowel(last) && !strings.ContainsRune("wxy", rune(last)) && isVowel(prev) && (n == 2 || !isVowel(base[n-3])) {
			d := base + string(last)
			edStems = append(edStems, d)
			ingStems = append(ingStems, d)
		}
	}
	for _, st := range edStems {
		out = append(out, st+"ed", st+"er", st+"ers")
	}
	for _, st := range ingStems {
		out = append(out, st+"ing", st+"ings")
	}
	return out
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// manPlural gives the -men plural of a -man compound (gunman → gunmen,
// tribesman → tribesmen) and the -man singular of a -men plural, except
// for words where the ending is not "man".
func manPlural(w string) []string {
	if manExceptions[w] {
		return nil
	}
	switch {
	case len(w) > 3 && strings.HasSuffix(w, "man"):
		return []string{w[:len(w)-3] + "men"}
	case len(w) > 4 && strings.HasSuffix(w, "men"):
		return []string{w[:len(w)-3] + "man"}
	}
	return nil
}

// manExceptions end in -man or -men without being compounds of man.
var manExceptions = map[string]bool{
	"human": true, "humans": true, "german": true, "roman": true, "shaman": true, "talisman": true,
	"caiman": true, "cayman": true, "ottoman": true, "walkman": true, "dolman": true,
	"oman": true, "omen": true, "amen": true, "semen": true, "abdomen": true, "specimen": true,
	"regimen": true, "stamen": true, "hymen": true, "yemen": true, "acumen": true, "bitumen": true,
	"lumen": true, "albumen": true, "dolmen": true, "carmen": true, "ramen": true, "numen": true,
	"germen": true, "foramen": true, "rumen": true, "tegmen": true, "gravamen": true,
}

// applyCase gives f the case pattern of the written word w: all capitals
// when w is in capitals (more than one letter), otherwise the case of w
// rune by rune over their common prefix length ("Catch" → "Caught").
func applyCase(w, f string) string {
	wr := []rune(w)
	upper := len(wr) > 1
	for _, r := range wr {
		if !unicode.IsUpper(r) {
			upper = false
			break
		}
	}
	if upper {
		return strings.ToUpper(f)
	}
	fr := []rune(f)
	for i := range fr {
		if i < len(wr) && unicode.IsUpper(wr[i]) {
			fr[i] = unicode.ToUpper(fr[i])
		}
	}
	return string(fr)
}
