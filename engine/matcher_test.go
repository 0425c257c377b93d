package engine

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// hitsOf scores body against one rule per term and returns, for each term,
// the positions where it occurred.
func hitsOf(t *testing.T, terms []string, title, body string) map[string][]int {
	t.Helper()
	c, err := NewCompiler(map[string][]string{"all": terms})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(RuleSpec{Name: "all", When: "mentions(lex.all)"}); err != nil {
		t.Fatal(err)
	}
	res := c.Finish().NewScorer().Score(Article{Title: title, Body: body})
	out := map[string][]int{}
	for _, m := range res.Matches {
		for _, e := range m.Evidence {
			out[e.Term] = e.Positions
		}
	}
	return out
}

func TestCaseSensitivePrefixes(t *testing.T) {
	long := strings.Repeat("Q", 70)
	tests := []struct {
		name  string
		terms []string
		body  string
		want  map[string][]int
	}{
		{"prefix keeps case", []string{"=Abc*"}, "Abcde abcde ABCDE Abc", map[string][]int{"=Abc*": {0, 3}}},
		{"one letter", []string{"=A*"}, "Alpha beta Ab a", map[string][]int{"=A*": {0, 2}}},
		{"several lengths, one first byte", []string{"=Ab*", "=Abcd*", "=Abx*"}, "Abcdef Abc Abxy abcd",
			map[string][]int{"=Ab*": {0, 1, 2}, "=Abcd*": {0}, "=Abx*": {2}}},
		{"with exact case-sensitive word", []string{"=IS", "=IS*"}, "IS ISIS is Isis", map[string][]int{"=IS": {0}, "=IS*": {0, 1}}},
		{"with case-insensitive prefix", []string{"=Abc*", "abc*"}, "Abcd abcd", map[string][]int{"=Abc*": {0}, "abc*": {0, 1}}},
		{"non-ASCII first letter", []string{"=Émi*"}, "Emirate emir ÉMIR", map[string][]int{"=Émi*": {0}}},
		{"phrase", []string{"=Abc* Def"}, "Abcx Def abcx Def Abc def", map[string][]int{"=Abc* Def": {0}}},
		{"62 bytes", []string{"=" + long[:62] + "*"}, long + " " + long[:62] + " " + long[:61], map[string][]int{"=" + long[:62] + "*": {0, 1}}},
		{"63 bytes", []string{"=" + long[:63] + "*"}, long + " " + long[:63] + " " + long[:62], map[string][]int{"=" + long[:63] + "*": {0, 1}}},
		{"65 bytes", []string{"=" + long[:65] + "*", "=Q*"}, long + " " + long[:64], map[string][]int{"=" + long[:65] + "*": {0}, "=Q*": {0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hitsOf(t, tt.terms, "", tt.body)
			for _, term := range tt.terms {
				if !slices.Equal(got[term], tt.want[term]) {
					t.Errorf("%s at %v, want %v", term, got[term], tt.want[term])
				}
			}
		})
	}
}

// TestShortASCIIHash holds the matcher's tables to the property they
// rely on to skip comparing short words: the hash of an ASCII word of at
// most maxShortASCII bytes gives back its bytes, so two such words of one
// length with one hash are one word.
func TestShortASCIIHash(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 10000 {
		w := make([]byte, 1+r.IntN(maxShortASCII))
		for i := range w {
			w[i] = byte(r.IntN(128))
		}
		if !shortASCII(w) {
			t.Fatalf("%q is not short ASCII", w)
		}
		h := hashWord(w)
		back := make([]byte, len(w))
		for k := range back {
			back[k] = byte(h >> (7 * (len(w) - 1 - k)) & 0x7f)
		}
		if string(back) != string(w) {
			t.Fatalf("hash %x of %q gives back %q", h, w, back)
		}
	}
	for _, w := range []string{"abcdefghij", "café", "داعش", ""} {
		if shortASCII(w) != (w == "") {
			t.Errorf("shortASCII(%q) = %v", w, shortASCII(w))
		}
	}
	// A word of other bytes can share an ASCII word's hash: the table
	// compares it. "ab" and "\x60\xe2" hash alike.
	tab := newFirstWordTable(map[string][]int32{"ab": {0}}, []nextFilter{{}})
	other := []byte{0x60, 0xe2}
	if hashWord(other) != hashWord([]byte("ab")) {
		t.Fatal("the two words no longer hash alike")
	}
	if tab.get(hashWord(other), other, false) != nil {
		t.Error("a word of other bytes found as ab")
	}
	if tab.get(hashWord([]byte("ab")), []byte("ab"), true) == nil || tab.get(hashWord([]byte("ab")), []byte("ab"), false) == nil {
		t.Error("ab not found")
	}
}
