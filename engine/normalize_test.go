package engine

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii unchanged", "Cross-Border smuggling", "Cross-Border smuggling"},
		{"accents dropped", "Café Zürich", "Cafe Zurich"},
		{"curly apostrophe", "Daesh’s", "Daesh's"},
		{"curly quotes", "“Wali”", `"Wali"`},
		{"dashes", "BAGHDAD — Iraq–Syria", "BAGHDAD - Iraq-Syria"},
		{"harakat dropped", "دَاعِش", "داعش"},
		{"tatweel removed", "داعـــش", "داعش"},
		{"hamza below", "الإسلامية", "الاسلاميه"},
		{"hamza above and madda", "أمن آمن", "امن امن"},
		{"waw and yeh hamza", "مؤتمر رئيس", "موتمر رييس"},
		{"alef wasla", "ٱلله", "الله"},
		{"alef maqsura and farsi yeh", "مصطفى ی", "مصطفي ي"},
		{"keheh", "کرد", "كرد"},
		{"arabic-indic digits", "٢٠٢٤ ۱۶۰", "2024 160"},
		{"soft hyphen and zero widths", "ex\u00adam\u200cple\u200d", "example"},
		{"compatibility forms", "ﬁnal ½", "final 1⁄2"},
		{"invalid utf-8 kept as replacement", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormTextOffsets(t *testing.T) {
	orig := "Le café — déjà vu"
	var n normText
	n.build(orig, true)
	if n.s != "Le cafe - deja vu" {
		t.Fatalf("normalised %q", n.s)
	}
	for _, w := range []string{"cafe", "deja"} {
		i := indexOf(n.s, w)
		a, b := n.origSpan(i, i+len(w))
		want := map[string]string{"cafe": "café", "deja": "déjà"}[w]
		if orig[a:b] != want {
			t.Errorf("origSpan(%q) = %q, want %q", w, orig[a:b], want)
		}
	}
}

// denseOffsets normalises orig character by character, as build does, and
// returns for each normalised byte the original bytes it came from: the
// plain map the segments of normText stand for.
func denseOffsets(orig string) (s string, start, end []int) {
	var out []byte
	for i := 0; i < len(orig); {
		r, size := utf8.DecodeRuneInString(orig[i:])
		var c []byte
		switch {
		case r < utf8.RuneSelf:
			c = []byte{orig[i]}
		case r == utf8.RuneError && size <= 1:
			c = []byte("\uFFFD")
		default:
			c = foldChar(nil, orig[i:i+size], r)
		}
		for range c {
			start = append(start, i)
			end = append(end, i+size)
		}
		out = append(out, c...)
		i += size
	}
	return string(out), start, end
}

// TestNormTextSegments checks origSpan on every span (between character
// boundaries) of texts that change in few places, in many places, not at
// all, and entirely, against the plain per-byte map.
func TestNormTextSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	texts := append([]string{"", "plain ascii", "داعش في الموصل", "\u00ad\u200c", "’", "\u00adx", "x\u00ad"},
		randomTexts(r, 300, 12, "Mosul", " ", "’", "“", "—", "café", "دَاعِش", "داعش", "ـ", "\u00ad", "\xff", "ﬁ", "½", "ٱ", "٢٠", "a", "\n")...)
	var n normText // reused, as a Scorer reuses it
	for _, orig := range texts {
		s, start, end := denseOffsets(orig)
		n.build(orig, true)
		if n.s != s {
			t.Fatalf("build(%q) = %q, want %q", orig, n.s, s)
		}
		if (n.segs == nil) != (s == orig) {
			t.Errorf("build(%q): segments %v for a text that changed: %v", orig, n.segs, s != orig)
		}
		// Read in ascending order, as sentenceIDs reads tokens.
		starts := origStarts{n: &n}
		for a := 0; a < len(s); a++ {
			if utf8.RuneStart(s[a]) && r.IntN(2) == 0 {
				if got := starts.at(a); got != start[a] {
					t.Fatalf("%q: origStarts.at(%d) = %d, want %d", orig, a, got, start[a])
				}
			}
		}
		// Spans begin and end on character boundaries, as tokens do.
		for a := 0; a < len(s); a++ {
			if !utf8.RuneStart(s[a]) {
				continue
			}
			for b := a + 1; b <= len(s); b++ {
				if b < len(s) && !utf8.RuneStart(s[b]) {
					continue
				}
				ga, gb := n.origSpan(a, b)
				if ga != start[a] || gb != end[b-1] {
					t.Fatalf("%q: origSpan(%d, %d) = %d, %d, want %d, %d (segments %v)", orig, a, b, ga, gb, start[a], end[b-1], n.segs)
				}
			}
		}
		// An empty span maps to the end of the last character.
		wantEnd := 0
		if len(end) > 0 {
			wantEnd = end[len(end)-1]
		}
		if a, b := n.origSpan(len(s), len(s)); a != wantEnd || b != wantEnd {
			t.Errorf("%q: empty span at the end = %d, %d, want %d", orig, a, b, wantEnd)
		}
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestArticleID(t *testing.T) {
	a := ArticleID("HTTPS://Example.ORG/news/1?utm_source=x&id=7#top", "", "")
	if a != "https://example.org/news/1?id=7" {
		t.Errorf("canonical id = %q", a)
	}
	h1 := ArticleID("", "Title", "Body  text\n")
	h2 := ArticleID("", "Title", "Body text")
	if h1 != h2 || len(h1) != len("sha256:")+64 {
		t.Errorf("hash ids differ or malformed: %q %q", h1, h2)
	}
	if ArticleID("", "Title", "Other") == h1 {
		t.Error("different bodies gave the same id")
	}
	if got := CanonicalURL("mailto:x@example.org"); got != "" {
		t.Errorf("non-http url canonicalised to %q", got)
	}
}
