package engine

import "testing"

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
	if len(n.start) != len(n.s) || len(n.end) != len(n.s) {
		t.Fatalf("offset maps have %d/%d entries for %d bytes", len(n.start), len(n.end), len(n.s))
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
