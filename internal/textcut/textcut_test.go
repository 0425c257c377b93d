package textcut

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestRunes(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fits", "short", 10, "short"},
		{"exactly n", "12345", 5, "12345"},
		{"cut keeps n-1 and the ellipsis", "123456", 5, "1234…"},
		{"cut mid-word", "hello world", 8, "hello w…"},
		{"n of one", "abc", 1, "…"},
		{"n of zero", "abc", 0, ""},
		{"negative n", "abc", -3, ""},
		{"empty", "", 0, ""},
		{"two-byte letters", "café crème brûlée", 8, "café cr…"},
		{"counts characters, not bytes", "ééééé", 5, "ééééé"},
		{"CJK", "东京都の天気予報", 5, "东京都の…"},
		{"emoji", "🙂🙂🙂🙂", 3, "🙂🙂…"},
		{"arabic", "قال مسؤول عسكري إن القوات", 10, "قال مسؤول…"},
		// بِسْمِ: ب, kasra, س, sukun, م, kasra. Cutting after the second
		// letter would leave its sukun behind.
		{"arabic harakat stay with their letter", "بِسْمِ الله", 4, "بِ…"},
		{"combining accent stays with its letter", "cafe\u0301 noir", 5, "caf…"},
		{"invalid utf-8 counts byte by byte", "ab\xffcd", 4, "ab\xff…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Runes(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Runes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			checkCut(t, tt.s, tt.n, got)
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fits", "a short sentence.", 40, "a short sentence."},
		{"cut at the last space", "the army said that the road was open", 16, "the army said…"},
		{"trailing punctuation dropped", "first, second, third", 16, "first, second…"},
		{"closing parenthesis kept", "the group (ISIS) claimed it", 20, "the group (ISIS)…"},
		{"closing quote kept", `he said "no" and left`, 16, `he said "no"…`},
		{"no space: the word is cut", "Supercalifragilistic", 8, "Superca…"},
		{"space only at the start", " Supercalifragilistic", 8, " Superc…"},
		{"n of zero", "some words", 0, ""},
		{"arabic", "قال مسؤول عسكري إن القوات دخلت المدينة", 20, "قال مسؤول عسكري إن…"},
		{"arabic comma dropped", "قال مسؤول، عسكري إن القوات", 14, "قال مسؤول…"},
		{"multi-byte words", "Über die Straße nach Köln", 18, "Über die Straße…"},
		{"repeated words", strings.Repeat("word ", 200), 400, strings.Repeat("word ", 78) + "word…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Words(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Words(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			checkCut(t, tt.s, tt.n, got)
		})
	}
}

// checkCut checks what every cut promises: at most n characters, a prefix
// of s then the ellipsis when it cut, s itself when it fits, and never a
// broken rune or a combining mark torn from its letter.
func checkCut(t *testing.T, s string, n int, got string) {
	t.Helper()
	if n < 1 {
		if got != "" {
			t.Errorf("n=%d: got %q, want empty", n, got)
		}
		return
	}
	if utf8.RuneCountInString(s) <= n {
		if got != s {
			t.Errorf("%q fits in %d but became %q", s, n, got)
		}
		return
	}
	if c := utf8.RuneCountInString(got); c > n {
		t.Errorf("%q has %d characters, more than %d", got, c, n)
	}
	kept, ok := strings.CutSuffix(got, Ellipsis)
	if !ok || !strings.HasPrefix(s, kept) {
		t.Errorf("%q is not a prefix of %q followed by %q", got, s, Ellipsis)
	}
	if utf8.ValidString(s) && !utf8.ValidString(got) {
		t.Errorf("%q: a rune was cut", got)
	}
	if r, _ := utf8.DecodeRuneInString(s[len(kept):]); kept != "" && len(kept) < len(s) && unicode.Is(unicode.M, r) {
		t.Errorf("%q: the cut tore a combining mark from its letter", got)
	}
}

func FuzzCut(f *testing.F) {
	f.Add("بِسْمِ الله الرَّحْمٰنِ الرَّحِيمِ", 5)
	f.Add("cafe\u0301 noir, s'il vous plaît", 7)
	f.Add("🙂 smile (wide) \"quoted\" end.", 9)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 64
		checkCut(t, s, n, Runes(s, n))
		checkCut(t, s, n, Words(s, n))
	})
}
