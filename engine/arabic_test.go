package engine

import "testing"

func TestArabicProclitics(t *testing.T) {
	tests := []struct {
		name, term, text string
		want             int // occurrences
	}{
		{"bare", "داعش", "مقاتلو داعش", 1},
		{"waw", "داعش", "وداعش", 1},
		{"fa", "داعش", "فداعش", 1},
		{"lam", "داعش", "لداعش", 1},
		{"ba", "داعش", "بداعش", 1},
		{"kaf", "داعش", "كداعش", 1},
		{"fa then ba", "داعش", "فبداعش", 1},
		{"waw then lam", "داعش", "ولداعش", 1},
		{"article", "داعش", "الداعش", 1},
		{"ba and article", "داعش", "بالداعش", 1},
		{"waw ba article", "داعش", "وبالداعش", 1},
		{"lam and article as lam lam", "داعش", "للداعش", 1},
		{"diacritics in text", "داعش", "وَدَاعِش", 1},
		{"not a suffix of another word", "داعش", "مداعش", 0},
		{"not with a suffix", "داعش", "داعشي", 0},
		{"not two waws", "داعش", "ووداعش", 0},
		{"not ba before waw", "داعش", "بوداعش", 0},
		{"not article before ba", "داعش", "البداعش", 0},
		{"not lam then full article", "داعش", "لالداعش", 0},
		{"article term bare token", "الموصل", "في موصل", 1},
		{"article term as written", "الموصل", "في الموصل", 1},
		{"article term ba", "الموصل", "بالموصل", 1},
		{"article term waw", "الموصل", "والموصل", 1},
		{"article term lam", "الموصل", "للموصل", 1},
		{"article term fa ba", "الموصل", "فبالموصل", 1},
		{"article term not with suffix", "الموصل", "الموصلي", 0},
		{"article term not inside", "الموصل", "جالموصل", 0},
		{"base starting with lam", "لبنان", "للبنان", 1},
		{"base starting with lam waw", "لبنان", "ولبنان", 1},
		{"base starting with lam bare", "لبنان", "لبنان", 1},
		{"prefix", "موصل*", "بالموصلي", 1},
		{"prefix bare", "موصل*", "موصلية", 1},
		{"prefix not inside", "موصل*", "جموصلي", 0},
		{"phrase first word takes proclitics", "الدولة الإسلامية", "والدولة الاسلامية", 1},
		{"phrase later word as written", "الدولة الإسلامية", "الدولة والاسلامية", 0},
		{"every occurrence counts", "داعش", "داعش وداعش لداعش بالداعش", 4},
		{"case-sensitive Arabic", "=داعش", "وداعش", 1},
		{"latin first word untouched", "isis", "wisis", 0},
		{"latin after arabic", "داعش isis", "وداعش ISIS", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lit, dyn := bothPaths(t, tt.term, tt.text)
			if lit != tt.want {
				t.Errorf("count(%q) in %q = %d, want %d", tt.term, tt.text, lit, tt.want)
			}
			if dyn != tt.want {
				t.Errorf("computed count(%q) in %q = %d, want %d", tt.term, tt.text, dyn, tt.want)
			}
		})
	}
}

func TestArabicBase(t *testing.T) {
	tests := []struct{ name, word, want string }{
		{"no article", "داعش", "داعش"},
		{"article dropped", "الموصل", "موصل"},
		{"article alone kept", "ال", "ال"},
		{"latin word", "isis", ""},
		{"mixed word", "داعشx", ""},
		{"persian letter outside the range", "پل", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := arabicBase(tt.word); got != tt.want {
				t.Errorf("arabicBase(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}
