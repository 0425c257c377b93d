package engine

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// tokensOf tokenizes text as the title field of a fresh analysis, through
// tokenize's choice of way (general: the general way forced), and returns
// each token's normalised and lower-cased text and its hash.
func tokensOf(text string, general bool) (toks []string, hashes []uint64) {
	var a analysis
	a.fields[fieldTitle].load(text, true)
	if general {
		a.tokenizeGeneral(fieldTitle, a.fields[fieldTitle].n.s)
	} else {
		a.tokenize(fieldTitle)
	}
	for i, t := range a.toks {
		toks = append(toks, a.rawTok(i)+"|"+string(a.lowerTok(i)))
		hashes = append(hashes, t.hash)
		if t.c0 != a.lowerTok(i)[0] || t.hash != hashWord(a.lowerTok(i)) {
			toks = append(toks, "bad c0 or hash")
		}
		if ascii := !slices.ContainsFunc(a.lowerTok(i), func(c byte) bool { return c >= 0x80 }); t.ascii != ascii {
			toks = append(toks, "bad ascii flag")
		}
	}
	return toks, hashes
}

// TestTokenizeWays checks that the fast ways of tokenizing (ASCII, and
// text whose runes keep their length when lower-cased) give the tokens,
// lower-cased text and hashes of the general way, on text of every kind.
func TestTokenizeWays(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	texts := append([]string{"", " ", "plain words", "İ", "Ⱥbc", "داعش في الموصل", "Ελλάδα МОСКВА"},
		randomTexts(r, 500, 10, "Mosul", "BAGHDAD", " ", "-", "’s", ", ", "داعش", "بالموصل", "٢٠٢٤", "Ελλάδα", "МОСКВА",
			"Zürich", "ŁÓDŹ", "ß", "İstanbul", "Ⱥ", "北京", "e\u0301", "42", "\n", "—", "ǅ", "ﬁ", "\u212a")...)
	for _, text := range texts {
		got, gh := tokensOf(text, false)
		want, wh := tokensOf(text, true)
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(gh) != len(wh) {
			t.Fatalf("%q:\n got %q\nwant %q", text, got, want)
		}
		for i := range gh {
			if gh[i] != wh[i] {
				t.Fatalf("%q: token %d hash %x, want %x", text, i, gh[i], wh[i])
			}
		}
	}
	// The text must reach both ways.
	var a analysis
	a.fields[fieldTitle].load("Ελλάδα داعش", true)
	if !a.tokenizeSameLength(fieldTitle, a.fields[fieldTitle].n.s) {
		t.Error("Greek and Arabic text took the general way")
	}
	a = analysis{}
	a.fields[fieldTitle].load("Ⱥbc", true)
	if a.tokenizeSameLength(fieldTitle, a.fields[fieldTitle].n.s) || len(a.toks) != 0 {
		t.Errorf("Ⱥ (lower case of another length) took the fast way, %d tokens left", len(a.toks))
	}
}

// randomTexts returns n texts of fewer than maxParts parts each, drawn
// from parts.
func randomTexts(r *rand.Rand, n, maxParts int, parts ...string) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range r.IntN(maxParts) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		out[i] = b.String()
	}
	return out
}
