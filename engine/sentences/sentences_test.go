package sentences

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func texts(s string) []string {
	var out []string
	for _, sp := range Split(s) {
		out = append(out, s[sp.Start:sp.End])
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two sentences", "One here. Two there.", []string{"One here.", "Two there."}},
		{"question and exclamation", "Who? Nobody! Fine.", []string{"Who?", "Nobody!", "Fine."}},
		{"line breaks", "Title without stop\nBody sentence.\n\nNext para", []string{"Title without stop", "Body sentence.", "Next para"}},
		{"U.S.", "The U.S. Army said so. Then it left.", []string{"The U.S. Army said so.", "Then it left."}},
		{"titles", "Dr. Smith met Gen. Jones and Lt. Col. Brown. They talked.", []string{"Dr. Smith met Gen. Jones and Lt. Col. Brown.", "They talked."}},
		{"No. before number", "Resolution No. 5 passed. No. It failed.", []string{"Resolution No. 5 passed.", "No.", "It failed."}},
		{"initials", "John F. Kennedy spoke. A. B. Smith listened.", []string{"John F. Kennedy spoke.", "A. B. Smith listened."}},
		{"decimals", "It grew 3.5 percent. Then 1.2.3 shipped.", []string{"It grew 3.5 percent.", "Then 1.2.3 shipped."}},
		{"closing quote", `He said "Stop." Then he left.`, []string{`He said "Stop."`, "Then he left."}},
		{"curly closing quote", "He said “leave now.” They did.", []string{"He said “leave now.”", "They did."}},
		{"question inside quotes goes on", `"Why?" he asked. She left.`, []string{`"Why?" he asked.`, "She left."}},
		{"ellipsis then lowercase", "He paused... and went on. Done.", []string{"He paused... and went on.", "Done."}},
		{"ellipsis then capital", "He paused… Then spoke.", []string{"He paused…", "Then spoke."}},
		{"lowercase after period", "the e.g. case and etc. stuff. Next.", []string{"the e.g. case and etc. stuff.", "Next."}},
		{"url and email", "See example.org or a@b.com today. Next.", []string{"See example.org or a@b.com today.", "Next."}},
		{"a.m.", "It began at 9 a.m. Monday. Next.", []string{"It began at 9 a.m. Monday.", "Next."}},
		{"arabic", "قال المسؤول. وأضاف أن الهجوم فشل؟ نعم", []string{"قال المسؤول.", "وأضاف أن الهجوم فشل؟", "نعم"}},
		{"digit starts sentence", "They met. 160 were arrested.", []string{"They met.", "160 were arrested."}},
		{"bullet lines", "- First item.\n- Second item", []string{"- First item.", "- Second item"}},
		{"empty", "  \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := texts(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSeeds(t *testing.T) {
	data, err := os.ReadFile("../../testdata/seeds/002.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := texts(string(data))
	want := []string{
		"Sabah Al-Numan, spokesperson for the commander-in-chief of the armed forces, told the state-owned channel Al-Iraqiya that Iraq’s intelligence agencies have “a complete and detailed database on the remnants of ISIS, especially first- and second-tier leaders.”",
		"He said the database is a key element of a new strategy designed by the Joint Operations Command under Prime Minister Mohammed Shia Al-Sudani.",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
			}
		}
		if !found {
			t.Errorf("sentence not found whole: %q", w)
		}
	}
}

func checkInvariants(t *testing.T, s string) {
	spans := Split(s)
	covered := make([]bool, len(s))
	prev := 0
	for _, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) {
			t.Fatalf("bad span %+v after %d in %q", sp, prev, s)
		}
		r, _ := utf8.DecodeRuneInString(s[sp.Start:])
		l, _ := utf8.DecodeLastRuneInString(s[:sp.End])
		if unicode.IsSpace(r) || unicode.IsSpace(l) {
			t.Fatalf("span %q not trimmed", s[sp.Start:sp.End])
		}
		for i := sp.Start; i < sp.End; i++ {
			covered[i] = true
		}
		prev = sp.End
	}
	for i, r := range s {
		if !unicode.IsSpace(r) && !covered[i] {
			t.Fatalf("byte %d (%q) of %q in no sentence", i, r, s)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"A. B.", "U.S. Army. Then", "x\n\ny", "“Hi.” Yes", "a\xffb. C", "... ...", "No. 5. No.", "؟؟ ۔"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, s)
	})
}

func BenchmarkSplit(b *testing.B) {
	text := strings.Repeat("The U.S. Army said on Monday that 3.5 tons were seized. Gen. Smith told reporters “we will go on.” Then he left!\n", 45)
	b.SetBytes(int64(len(text)))
	var buf []Span
	for i := 0; i < b.N; i++ {
		buf = AppendSplit(buf[:0], text)
	}
}
