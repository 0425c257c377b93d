package sentences

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// texts returns the sentences of s as strings.
func texts(s string) []string {
	var out []string
	for _, sp := range Split(s) {
		out = append(out, s[sp.Start:sp.End])
	}
	return out
}

type splitTest struct {
	name string
	in   string
	want []string
}

func runSplitTests(t *testing.T, tests []splitTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvariants(t, tt.in)
			if got := texts(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitTerminators(t *testing.T) {
	runSplitTests(t, []splitTest{
		{"full stop", "One here. Two there.", []string{"One here.", "Two there."}},
		{"question and exclamation", "Who? Nobody! Fine.", []string{"Who?", "Nobody!", "Fine."}},
		{"ellipsis character", "He paused… Then spoke.", []string{"He paused…", "Then spoke."}},
		{"three dots", "He paused... Then spoke.", []string{"He paused...", "Then spoke."}},
		{"four dots", "It ended.... Then more.", []string{"It ended....", "Then more."}},
		{"mixed run", "Really?! Yes!!! Fine…? Ok", []string{"Really?!", "Yes!!!", "Fine…?", "Ok"}},
		{"arabic question mark", "هل فشل الهجوم؟ نعم", []string{"هل فشل الهجوم؟", "نعم"}},
		{"arabic full stop", "یہ حملہ ناکام ہوا۔ پولیس نے کہا", []string{"یہ حملہ ناکام ہوا۔", "پولیس نے کہا"}},
		{"arabic after full stop", "قال المسؤول. وأضاف أن الهجوم فشل؟ نعم", []string{"قال المسؤول.", "وأضاف أن الهجوم فشل؟", "نعم"}},
		{"chinese after full stop", "He left. 他走了", []string{"He left.", "他走了"}},
		{"digit next", "They met. 160 were arrested.", []string{"They met.", "160 were arrested."}},
		{"arabic-indic digit next", "They met. ١٦٠ arrested.", []string{"They met.", "١٦٠ arrested."}},
		{"straight quote next", `They met. "We won," he said.`, []string{"They met.", `"We won," he said.`}},
		{"curly quote next", "They met. “We won,” he said.", []string{"They met.", "“We won,” he said."}},
		{"single quote next", "They met. ‘We won,’ he said.", []string{"They met.", "‘We won,’ he said."}},
		{"bracket next", "They met. (Nobody came.) It ended.", []string{"They met.", "(Nobody came.)", "It ended."}},
		{"square bracket next", "They met. [Sic] It ended.", []string{"They met.", "[Sic] It ended."}},
		{"dash next", "They met. — Later, it ended.", []string{"They met.", "— Later, it ended."}},
		{"currency next", "Prices rose. $5 buys less.", []string{"Prices rose.", "$5 buys less."}},
		{"accented capital next", "They met. Élodie came.", []string{"They met.", "Élodie came."}},
		{"greek capital next", "They met. Ο Νίκος came.", []string{"They met.", "Ο Νίκος came."}},
		{"end of text", "It ended.", []string{"It ended."}},
		{"end of text after space", "It ended.   ", []string{"It ended."}},
		{"tabs and nbsp", "One.\t\u00a0Two.", []string{"One.", "Two."}},
		{"no terminator", "just words", []string{"just words"}},
		{"only terminators", "... ?! …", []string{"... ?! …"}},
	})
}

func TestSplitClosers(t *testing.T) {
	runSplitTests(t, []splitTest{
		{"straight double quote", `He said "Stop." Then he left.`, []string{`He said "Stop."`, "Then he left."}},
		{"curly double quote", "He said “leave now.” They did.", []string{"He said “leave now.”", "They did."}},
		{"curly single quote question", "She asked ‘why?’ Nobody knew.", []string{"She asked ‘why?’", "Nobody knew."}},
		{"straight single quote", "She said 'no.' It ended.", []string{"She said 'no.'", "It ended."}},
		{"bracket", "It ended (mostly.) Then more.", []string{"It ended (mostly.)", "Then more."}},
		{"quote and bracket", `It ended ("really.") Then more.`, []string{`It ended ("really.")`, "Then more."}},
		{"guillemet", "Il a dit «non.» Puis rien.", []string{"Il a dit «non.»", "Puis rien."}},
		{"closer at end of text", "He said “go.”", []string{"He said “go.”"}},
		{"question in quotes then lowercase", `"Why?" he asked. She left.`, []string{`"Why?" he asked.`, "She left."}},
		{"exclamation in curly quotes then lowercase", "“Stop!” she shouted. He did.", []string{"“Stop!” she shouted.", "He did."}},
		{"quoted sentences back to back", `"Stop!" "Go!"`, []string{`"Stop!"`, `"Go!"`}},
		{"closer after abbreviation", "He works for (Acme Inc.) Then he left.", []string{"He works for (Acme Inc.)", "Then he left."}},
	})
}

func TestSplitLineBreaks(t *testing.T) {
	runSplitTests(t, []splitTest{
		{"heading without stop", "Title without stop\nBody sentence. Next one.", []string{"Title without stop", "Body sentence.", "Next one."}},
		{"blank lines", "One\n\n\nTwo\n \t\nThree", []string{"One", "Two", "Three"}},
		{"crlf", "Title\r\nBody. More.\r\n\r\nEnd", []string{"Title", "Body.", "More.", "End"}},
		{"lone cr", "Title\rBody", []string{"Title", "Body"}},
		{"line separator", "Title\u2028Body", []string{"Title", "Body"}},
		{"paragraph separator", "Title\u2029Body", []string{"Title", "Body"}},
		{"next line", "Title\u0085Body", []string{"Title", "Body"}},
		{"form feed and vertical tab", "One\fTwo\vThree", []string{"One", "Two", "Three"}},
		{"break before lowercase", "a caption\nand a line", []string{"a caption", "and a line"}},
		{"break after abbreviation", "Signed by Gen.\nThe end", []string{"Signed by Gen.", "The end"}},
		{"break after initial", "Plan B\nPlan C.", []string{"Plan B", "Plan C."}},
		{"bullet lines", "- First item.\n- Second item", []string{"- First item.", "- Second item"}},
		{"numbered lines", "1. First item\n2. Second item. It has two sentences.", []string{"1. First item", "2. Second item.", "It has two sentences."}},
		{"indented lines", "  One.  \n\t Two.\t", []string{"One.", "Two."}},
		{"empty", "", nil},
		{"only white space", "  \n\n \u2028\u00a0\r\n", nil},
	})
}

func TestSplitNotAnEnd(t *testing.T) {
	runSplitTests(t, []splitTest{
		{"U.S.", "The U.S. Army said so. Then it left.", []string{"The U.S. Army said so.", "Then it left."}},
		{"U.K. U.N. E.U.", "The U.K. and the U.N. Security Council met E.U. Officials. Done.", []string{"The U.K. and the U.N. Security Council met E.U. Officials.", "Done."}},
		{"U.S.-led", "A U.S.-led coalition struck. It ended.", []string{"A U.S.-led coalition struck.", "It ended."}},
		{"titles", "Dr. Smith met Gen. Jones and Lt. Col. Brown. They talked.", []string{"Dr. Smith met Gen. Jones and Lt. Col. Brown.", "They talked."}},
		{"abbreviation in brackets", "The envoy (Amb. Jones) spoke. (Dr. Li) agreed.", []string{"The envoy (Amb. Jones) spoke.", "(Dr. Li) agreed."}},
		{"hyphenated title", "The ex-Gov. Smith spoke. It ended.", []string{"The ex-Gov. Smith spoke.", "It ended."}},
		{"title before quote", `Gen. "Mad Dog" Mattis spoke. It ended.`, []string{`Gen. "Mad Dog" Mattis spoke.`, "It ended."}},
		{"case-insensitive", "DR. Smith and dr. Jones met. ST. Louis hosted.", []string{"DR. Smith and dr. Jones met.", "ST. Louis hosted."}},
		{"No. before number", "Resolution No. 5 passed. No. It failed.", []string{"Resolution No. 5 passed.", "No.", "It failed."}},
		{"Nos. before number", "Items Nos. 4 and 5 left. no. 7 stayed.", []string{"Items Nos. 4 and 5 left. no. 7 stayed."}},
		{"No. at the end", "He said No. The vote failed.", []string{"He said No.", "The vote failed."}},
		{"etc. before lowercase", "Guns, cash etc. were seized. Then they left.", []string{"Guns, cash etc. were seized.", "Then they left."}},
		{"etc. before capital", "Guns, cash, etc. Then they left.", []string{"Guns, cash, etc.", "Then they left."}},
		{"e.g. and i.e.", "Some groups, e.g. ISIS, i.e. Daesh, remain. Others left.", []string{"Some groups, e.g. ISIS, i.e. Daesh, remain.", "Others left."}},
		{"months", "On Jan. 5 and Sept. 11 and Dec. 25 it rained. Then snow.", []string{"On Jan. 5 and Sept. 11 and Dec. 25 it rained.", "Then snow."}},
		{"May is a word", "It was in May. Then June came.", []string{"It was in May.", "Then June came."}},
		{"company", "Acme Inc. Chief Jones and Foo Corp. Staff met. Done.", []string{"Acme Inc. Chief Jones and Foo Corp. Staff met.", "Done."}},
		{"vs. and approx.", "Iraq vs. Iran drew approx. 500 fans. Done.", []string{"Iraq vs. Iran drew approx. 500 fans.", "Done."}},
		{"initials", "John F. Kennedy spoke. A. B. Smith listened.", []string{"John F. Kennedy spoke.", "A. B. Smith listened."}},
		{"non-ASCII initial", "Ö. Demir spoke. It ended.", []string{"Ö. Demir spoke.", "It ended."}},
		{"lowercase letter is not an initial", "Take option b. Then wait.", []string{"Take option b.", "Then wait."}},
		{"decimals", "It grew 3.5 percent. Then 1.2.3 shipped.", []string{"It grew 3.5 percent.", "Then 1.2.3 shipped."}},
		{"version at the end", "It runs version 1.2.3. Then it stops.", []string{"It runs version 1.2.3.", "Then it stops."}},
		{"number at the end", "The toll rose to 160. Officials said so.", []string{"The toll rose to 160.", "Officials said so."}},
		{"year at the end", "It fell in 2017. ISIS remains.", []string{"It fell in 2017.", "ISIS remains."}},
		{"a.m. and p.m.", "It began at 9 a.m. Monday and ended at 5 p.m. Tuesday. Next.", []string{"It began at 9 a.m. Monday and ended at 5 p.m. Tuesday.", "Next."}},
		{"long dotted abbreviation", "The U.S.S.R. Army left. Then peace.", []string{"The U.S.S.R. Army left.", "Then peace."}},
		{"dotted word that is not an abbreviation", "See example.org. Then leave.", []string{"See example.org.", "Then leave."}},
		{"ellipsis then lowercase", "He paused... and went on. Done.", []string{"He paused... and went on.", "Done."}},
		{"ellipsis character then lowercase", "He paused… and went on. Done.", []string{"He paused… and went on.", "Done."}},
		{"spaced ellipsis", "He paused . . . and went on. Done.", []string{"He paused . . . and went on.", "Done."}},
		{"url", "See https://example.org/a.html?q=1!x or www.Example.com today. Next.", []string{"See https://example.org/a.html?q=1!x or www.Example.com today.", "Next."}},
		{"email", "Write to press.office@Example.org today. Next.", []string{"Write to press.office@Example.org today.", "Next."}},
		{"lowercase after period", "it ended. then more. Done.", []string{"it ended. then more.", "Done."}},
		{"lowercase after question", "Who? nobody knows. Done.", []string{"Who? nobody knows.", "Done."}},
		{"lowercase greek after period", "It ended. ο Νίκος left.", []string{"It ended. ο Νίκος left."}},
	})
}

func TestSplitAbbreviations(t *testing.T) {
	words := []string{
		"Dr", "Mr", "Mrs", "Ms", "Prof", "Gen", "Lt", "Col", "Maj", "Capt", "Sgt", "Cpl", "Brig", "Adm",
		"Gov", "Sen", "Rep", "Pres", "St", "Mt", "Ft", "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "vs",
		"approx", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
		"Amb", "Rev", "Hon", "Pvt", "Cmdr", "Messrs",
		"U.S", "U.K", "U.N", "E.U", "e.g", "i.e", "a.m", "p.m", "U.S.A",
	}
	var tests []splitTest
	for _, w := range words {
		for _, v := range []string{w, strings.ToUpper(w), strings.ToLower(w)} {
			one := "Before " + v + ". Smith went home."
			tests = append(tests, splitTest{name: v, in: one + " After.", want: []string{one, "After."}})
		}
	}
	runSplitTests(t, tests)
}

func TestSplitUnicode(t *testing.T) {
	runSplitTests(t, []splitTest{
		{"invalid bytes are characters", "a\xff. B\xfe.", []string{"a\xff.", "B\xfe."}},
		{"invalid byte after period", "One. \xff two", []string{"One. \xff two"}},
		{"truncated ellipsis", "One\xe2\x80 Two", []string{"One\xe2\x80 Two"}},
		{"truncated line separator", "One\xe2\x80", []string{"One\xe2\x80"}},
		{"lone continuation bytes", "\x80\xa6. \x85Two", []string{"\x80\xa6. \x85Two"}},
		{"invalid between sentences", "One. \xff\nTwo.", []string{"One. \xff", "Two."}},
		{"hebrew", "הוא הלך. היא נשארה.", []string{"הוא הלך.", "היא נשארה."}},
	})
}

func TestSplitSpans(t *testing.T) {
	text := "  Title\n\nOne here.  Two “there.” \n"
	want := []Span{{2, 7}, {9, 18}, {20, 36}}
	if got := Split(text); !slices.Equal(got, want) {
		t.Fatalf("Split(%q) = %v, want %v", text, got, want)
	}
	prefix := []Span{{100, 200}}
	got := AppendSplit(prefix, text)
	if !slices.Equal(got, append([]Span{{100, 200}}, want...)) {
		t.Fatalf("AppendSplit kept or appended wrongly: %v", got)
	}
}

func TestAppendSplitAllocates(t *testing.T) {
	text := readSeed(t, "003.txt")
	buf := Split(text)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendSplit(buf[:0], text)
	})
	if allocs != 0 {
		t.Errorf("AppendSplit into a large enough buffer allocated %v times per run", allocs)
	}
}

func readSeed(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestSeeds checks a few real sentences of the seed articles come out
// whole, then the whole split of every seed against its reviewed golden
// file (one sentence a line; go test -update rewrites them).
func TestSeeds(t *testing.T) {
	whole := []struct {
		name string
		seed string
		want []string
	}{
		{"curly quote closes the sentence", "002.txt", []string{
			"Sabah Al-Numan, spokesperson for the commander-in-chief of the armed forces, told the state-owned channel Al-Iraqiya that Iraq’s intelligence agencies have “a complete and detailed database on the remnants of ISIS, especially first- and second-tier leaders.”",
			"He said the database is a key element of a new strategy designed by the Joint Operations Command under Prime Minister Mohammed Shia Al-Sudani.",
		}},
		{"curly quote opens the sentence", "002.txt", []string{
			"“There are ongoing attempts by ISIS to reorganize outside Iraq, particularly in Africa’s Sahel region, as the group has lost its operational capabilities inside Iraq,” Al-Numan said.",
		}},
		{"heading lines", "003.txt", []string{"Proactive process", "Lone wolves", "Positive development"}},
		{"straight quotes", "003.txt", []string{
			`Security expert Mukhled Hazem al-Darb described the capture of the foreign battalion commander as "a successful and qualitative pre-emptive operation that adds to the work of the security services another success".`,
			`"Lone wolves" is a term that has emerged with the expansion of terrorist operations in the world, and it means that a person carries out a terrorist act in his personal capacity, influenced by the ideology and ideas of a terrorist organization, but without necessarily being a member of it or receiving direct support from it.`,
		}},
		{"bullet without full stop", "003.txt", []string{
			`- On Monday, the Security Media Cell announced in a statement the arrest of the so-called commander of the foreign battalion of the terrorist ISIS in Kirkuk (north), called "Abu Bukhari"`,
		}},
		{"quote then lowercase, no-break space kept", "004.txt", []string{
			`"The aim of those attacks by ISIS was to show everybody that they are still` + "\u00a0" + `alive and exist," al-Basri told the newspaper.`,
		}},
	}
	for _, tt := range whole {
		t.Run(tt.name, func(t *testing.T) {
			got := texts(readSeed(t, tt.seed))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s: sentence not found whole: %q", tt.seed, w)
				}
			}
		})
	}

	seeds, err := filepath.Glob(filepath.Join("..", "..", "testdata", "seeds", "*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, path := range seeds {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			text := readSeed(t, name)
			checkInvariants(t, text)
			got := strings.Join(texts(text), "\n") + "\n"
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".txt")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for k := range min(len(gl), len(wl)) {
					if gl[k] != wl[k] {
						t.Fatalf("sentence %d differs from %s\n got %q\nwant %q", k, golden, gl[k], wl[k])
					}
				}
				t.Fatalf("%d sentences, %s has %d", len(gl)-1, golden, len(wl)-1)
			}
		})
	}
}

// checkInvariants checks the contract of Split on s: spans in order,
// non-empty, in bounds, not overlapping, trimmed, and covering every byte
// of every non-space character; AppendSplit agrees with Split.
func checkInvariants(t *testing.T, s string) {
	t.Helper()
	spans := Split(s)
	covered := make([]bool, len(s))
	prev := 0
	for _, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) {
			t.Fatalf("bad span %+v after %d in %q", sp, prev, s)
		}
		first, _ := utf8.DecodeRuneInString(s[sp.Start:sp.End])
		last, _ := utf8.DecodeLastRuneInString(s[sp.Start:sp.End])
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Fatalf("span %q of %q not trimmed", s[sp.Start:sp.End], s)
		}
		for i := sp.Start; i < sp.End; i++ {
			covered[i] = true
		}
		prev = sp.End
	}
	for i, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		for k := i; k < i+size; k++ {
			if !covered[k] {
				t.Fatalf("byte %d (%q) of %q in no sentence", k, r, s)
			}
		}
	}
	// Relate: two letters, marks or digits are in one sentence when it
	// says Same, in two when it says Different.
	sentOf := make([]int, len(s))
	for k, sp := range spans {
		for i := sp.Start; i < sp.End; i++ {
			sentOf[i] = k + 1
		}
	}
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) }
	for x, r := range s {
		if !word(r) {
			continue
		}
		for y, r2 := range s[x:min(len(s), x+80)] {
			if y += x; !word(r2) || r2 == utf8.RuneError {
				continue
			}
			rel, stop := Relate(s, x, y)
			switch {
			case rel == Same && sentOf[x] != sentOf[y], rel == Different && sentOf[x] == sentOf[y]:
				t.Fatalf("Relate(%q, %d, %d) = %d, but the split puts them in sentences %d and %d of %q", s, x, y, rel, sentOf[x], sentOf[y], s)
			case stop < x || stop > y || rel != Different && stop != y:
				t.Fatalf("Relate(%q, %d, %d) = %d stopped at %d", s, x, y, rel, stop)
			case rel == Different && stop < y:
				// What it read up to where it stopped already tells.
				if r, _ := Relate(s, x, stop+1); r != Different {
					t.Fatalf("Relate(%q, %d, %d) stopped at %d, where it does not tell", s, x, y, stop)
				}
			}
		}
	}
	prefix := []Span{{-1, -1}}
	if got := AppendSplit(prefix, s); !slices.Equal(got[1:], spans) || got[0] != prefix[0] {
		t.Fatalf("AppendSplit(%q) = %v, Split = %v", s, got, spans)
	}
	// AppendLead gives the first n sentences, and says whether that is all.
	for n := 0; n <= len(spans)+1; n++ {
		got, all := AppendLead(prefix, s, n)
		want := spans[:min(n, len(spans))]
		if !slices.Equal(got[1:], want) || got[0] != prefix[0] || all != (len(spans) <= n) {
			t.Fatalf("AppendLead(%q, %d) = %v, %v; Split = %v", s, n, got, all, spans)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"A. B.", "U.S. Army. Then", "x\n\ny", "“Hi.” Yes", "a\xffb. C", "... ...", "No. 5. No.", "؟؟ ۔",
		"1. One\r\n2. Two", "Dr.\u2028Who", "e.g. a.m. U.S.-led 3.5", "\xe2\x80\xa6\xe2\x80", "\u0085\xc2",
		`"Why?" he asked. ‘Fine.’ (Ok.) »Ja.«`, "We saw 12. The end", "x\n3. Y. Z", "A. 2. B", "Intro. 3. Three",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, s)
	})
}

// BenchmarkSplit splits a real 4.5 KB English article, a dense synthetic
// text of short sentences with abbreviations and quotes, and Arabic text
// (whose letters mostly share their lead byte with "؟").
func BenchmarkSplit(b *testing.B) {
	texts := []struct {
		name string
		text string
	}{
		{"article", readSeed(b, "003.txt")},
		{"dense", strings.Repeat("The U.S. Army said on Monday that 3.5 tons were seized. Gen. Smith told reporters “we will go on.” Then he left!\n", 45)},
		{"arabic", strings.Repeat("أعلنت قيادة العمليات المشتركة اعتقال عشرة من عناصر داعش في محافظة الأنبار. هل انتهى الهجوم؟ قال مسؤول إن القوات تقدمت.\n", 30)},
	}
	for _, tt := range texts {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.text)))
			var buf []Span
			for b.Loop() {
				buf = AppendSplit(buf[:0], tt.text)
			}
			b.ReportMetric(float64(len(buf)), "sentences/op")
		})
	}
}
