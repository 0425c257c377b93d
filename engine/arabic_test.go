package engine

import (
	"reflect"
	"strconv"
	"testing"
)

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

// TestMatchedWithoutProclitics checks the forms matched() gives for Arabic
// words that carry proclitics: the particles the matcher stripped (و ف, then
// ب ك ل) are left out, an article is kept as the text writes it (and
// written ال again after a stripped ل, for لل), and the rest keeps the
// text's own letters. English forms are unaffected.
func TestMatchedWithoutProclitics(t *testing.T) {
	tests := []struct {
		name, term, body string
		want             []string
	}{
		{"bare", "داعش", "بيان داعش", []string{"داعش"}},
		{"waw", "داعش", "بيان وداعش", []string{"داعش"}},
		{"fa", "داعش", "بيان فداعش", []string{"داعش"}},
		{"ba", "داعش", "بيان بداعش", []string{"داعش"}},
		{"kaf", "داعش", "بيان كداعش", []string{"داعش"}},
		{"lam", "داعش", "بيان لداعش", []string{"داعش"}},
		{"fa then ba", "داعش", "فبداعش", []string{"داعش"}},
		{"waw then lam", "داعش", "ولداعش", []string{"داعش"}},
		{"article as written", "داعش", "الداعش", []string{"الداعش"}},
		{"ba and article", "داعش", "بالداعش", []string{"الداعش"}},
		{"waw ba article", "داعش", "وبالداعش", []string{"الداعش"}},
		{"lam lam is lam and the article", "داعش", "للداعش", []string{"الداعش"}},
		{"waw lam lam", "داعش", "وللداعش", []string{"الداعش"}},
		{"one form for all proclitics", "داعش", "داعش وداعش لداعش بداعش", []string{"داعش"}},
		{"first form in document order", "داعش", "لداعش ثم داعش", []string{"داعش"}},
		{"diacritics of the word kept", "داعش", "وَدَاعِش", []string{"دَاعِش"}},
		{"tatweel after the particle", "داعش", "بـداعش", []string{"داعش"}},
		{"article term bare token", "الموصل", "في موصل", []string{"موصل"}},
		{"article term as written", "الموصل", "في الموصل", []string{"الموصل"}},
		{"article term ba", "الموصل", "انفجار بالموصل", []string{"الموصل"}},
		{"article term waw", "الموصل", "والموصل", []string{"الموصل"}},
		{"article term lam", "الموصل", "للموصل", []string{"الموصل"}},
		{"article term fa ba", "الموصل", "فبالموصل", []string{"الموصل"}},
		{"article term lam with diacritics", "الموصل", "لِلْمَوْصِل", []string{"الْمَوْصِل"}},
		{"article term forms merge", "الموصل", "انفجار بالموصل وعاد للموصل ثم الموصل", []string{"الموصل"}},
		{"base starting with lam", "لبنان", "للبنان", []string{"لبنان"}},
		{"base starting with lam waw", "لبنان", "ولبنان", []string{"لبنان"}},
		{"base starting with lam bare", "لبنان", "لبنان", []string{"لبنان"}},
		{"prefix", "موصل*", "بالموصلي", []string{"الموصلي"}},
		{"prefix bare", "موصل*", "موصلية", []string{"موصلية"}},
		{"phrase keeps its later words", "الدولة الإسلامية", "بيان والدولة الإسلامية", []string{"الدولة الإسلامية"}},
		{"case-sensitive Arabic", "=داعش", "وداعش", []string{"داعش"}},
		{"hamza kept in the text", "أحمد", "وأحمد", []string{"أحمد"}},
		{"english as written", "Mosul", "Forces entered MOSUL.", []string{"MOSUL"}},
		{"english starting with w", "wardak", "In Wardak province.", []string{"Wardak"}},
		{"english word forms", "behead~", "They beheaded him.", []string{"beheaded"}},
		{"english phrase", "Tal Afar", "Near tal-afar today.", []string{"tal-afar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := strconv.Quote(tt.term)
			for _, expr := range []string{"matched(" + q + ")", "matched(url + " + q + ")"} {
				spec := RuleSpec{When: "true", Fields: []FieldSpec{{Name: "f", Expr: expr}}}
				res := scoreOne(t, spec, nil, "", tt.body)
				if len(res.Matches) != 1 {
					t.Fatalf("%s: matches %+v", expr, res.Matches)
				}
				if got := res.Matches[0].Fields["f"]; !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s on %q = %q, want %q", expr, tt.body, got, tt.want)
				}
			}
		})
	}
}
