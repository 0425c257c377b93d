package engine

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

// countsIn returns the values numbers() finds in body.
func countsIn(body string) []float64 {
	var a analysis
	a.reset("", body, 0, true)
	out := []float64{}
	for _, n := range a.numbers() {
		out = append(out, n.value)
	}
	return out
}

func TestNumbersTyped(t *testing.T) {
	none := []float64{}
	tests := []struct {
		name string
		body string
		want []float64
	}{
		// Pinned values.
		{"digits", "police arrested 160 suspects", []float64{160}},
		{"thousands separator", "they arrested 1,200 people", []float64{1200}},
		{"millions separator", "1,200,000 displaced", []float64{1200000}},
		{"decimal", "2.5 tons of explosives", []float64{2.5}},
		{"word", "five individuals were held", []float64{5}},
		{"hyphenated word", "twenty-five held", []float64{25}},
		{"dozens", "dozens arrested", []float64{12}},
		{"hundreds", "hundreds were arrested", []float64{100}},
		{"digit multiplier", "3 million displaced", []float64{3e6}},
		{"word multiplier", "two hundred fighters", []float64{200}},
		{"billion multiplier", "1.5 billion barrels", []float64{1.5e9}},
		{"range", "10-15 people were detained", []float64{10, 15}},
		{"range with multiplier", "5-10 million displaced", []float64{5e6, 10e6}},
		{"several", "7 killed and 12 wounded", []float64{7, 12}},
		{"approximate count", "about 300 prisoners", []float64{300}},
		{"number above year range", "5000 troops", []float64{5000}},
		{"A before a count", "A 160 strong force", []float64{160}},
		{"quote before a count", "'160 arrested'", []float64{160}},

		// Years.
		{"year after since", "detainees since 2003", none},
		{"year after in", "in 2014 the group", none},
		{"year as adjective", "the 2011 uprising", none},
		{"decade", "in the 1990s", none},
		{"year range", "between 2014-2017 fighting", none},
		{"year range short", "the 2014-15 season", none},
		{"month year", "in March 2015", none},
		{"year at the end", "they arrested 2003", none},
		{"year before plural after the", "the 2011 protests", none},
		{"year before event noun", "2015 elections were held", none},
		{"year before proper noun", "2015 Paris attacks", none},
		{"year before this", "1999 this happened", none},
		{"year before number word", "2015 saw thousands flee", []float64{1000}},
		{"count with separator", "arrested 1,200", []float64{1200}},
		{"four digits before plural", "1200 fighters", []float64{1200}},
		{"four digits before irregular plural", "police held 1500 people", []float64{1500}},
		{"four digits before adjective and plural", "1200 foreign fighters", []float64{1200}},
		{"four digits before nationality and plural", "1200 Syrian refugees", []float64{1200}},
		{"count looking like a year", "killing 2,003 people", []float64{2003}},
		{"year-like range of counts", "1000-2000 fighters", []float64{1000, 2000}},
		{"year after of", "the summer of 2014", none},
		{"year after a", "a 1989 arms shipment", none},

		// Dates.
		{"day month", "on 3 January", none},
		{"month day", "on January 3", none},
		{"month day year", "on January 3, 2015", none},
		{"abbreviated month", "30 DEC 89", none},
		{"abbreviated month 2", "3 JAN 90", none},
		{"month abbreviation with dot", "Jan. 3", none},
		{"slashed date", "on 12/05/2014", none},
		{"iso date", "on 2014-05-12", none},
		{"dotted date", "on 12.05.2014", none},
		{"day ordinal", "on the 3rd of May", none},
		{"may the verb", "officials said 3 may have died", []float64{3}},
		{"arabic date", "في 3 يناير", none},
		{"arabic month year", "آذار 2015", none},
		{"two-digit year", "in '89", none},

		// Times.
		{"clock", "at 10:30", none},
		{"military time", "at 0830 GMT", none},
		{"four digit time", "at 1430 GMT", none},
		{"pm", "at 5 pm", none},
		{"24-hour time", "the attack began at 2200 on 18 March", none},
		{"24-hour-like count", "2200 fighters", []float64{2200}},
		{"not a time", "2400 on the list", []float64{2400}},
		{"am with dots", "at 5 a.m. today", none},
		{"o'clock", "at 5 o'clock", none},
		{"arabic hour", "الساعة 10 صباحاً", none},

		// Ages.
		{"aged", "a man aged 25", none},
		{"year-old", "a 25-year-old man", none},
		{"years old", "he is 25 years old", none},
		{"age", "at age 40", none},
		{"age in brackets", "Ahmed (25) was held", none},
		{"age between commas", "Ahmed, 25, was held", none},
		{"age range", "men aged 18-25", none},
		{"arabic age", "عمره 25 عاما", none},

		// Percentages.
		{"percent sign", "25% of voters", none},
		{"percent word", "25 percent", none},
		{"per cent", "25 per cent", none},
		{"percent spaced", "25 % of voters", none},
		{"arabic percent", "25 بالمئة", none},
		{"arabic percent two words", "25 في المائة", none},
		{"arabic percent sign", "25٪", none},

		// Money.
		{"dollar sign millions", "$5 million", none},
		{"dollars after multiplier", "5 million dollars", none},
		{"currency code before", "USD 10", none},
		{"dinars", "10,000 dinars", none},
		{"euros", "a fine of 300 euros", none},
		{"euro sign", "€300", none},
		{"pounds", "50 pounds", none},
		{"riyals", "500 riyals", none},
		{"pesos", "20 MILLION PESOS", none},
		{"lira", "1,000 lira", none},
		{"thousands of dollars", "thousands of dollars", none},
		{"arabic dollars", "5 ملايين دولار", none},
		{"arabic dollars with article", "عشرات الدولارات", none},

		// Ordinals.
		{"ordinal suffixes", "the 1st, 2nd, 3rd and 21st", none},
		{"ordinal words", "the third and fifth raids", none},

		// Names.
		{"law", "under Law 10", none},
		{"resolution", "Resolution 2254", none},
		{"resolution small", "Resolution 242 said", none},
		{"resolutions", "Resolutions 2254 and 2118", none},
		{"article", "Article 140", none},
		{"decree", "Decree 13", none},
		{"flight", "Flight 17 crashed", none},
		{"flight code", "MH17 crashed", none},
		{"flight code spaced", "MH 17 crashed", none},
		{"designator", "an F-16 jet", none},
		{"route", "on Route 1", none},
		{"highway", "Highway 7", none},
		{"road", "Road 4", none},
		{"channel", "INRAVISION TELEVISION CADENA 1 TEXT", none},
		{"aircraft model", "a Boeing 727 crashed", none},
		{"brigade", "Brigade 17 fighters", none},
		{"plural brigades count", "17 brigades", []float64{17}},
		{"number abbreviation", "No. 5", none},
		{"no one", "no one was hurt", none},
		{"road then new sentence", "they closed the road. 5 people died", []float64{5}},
		{"hash", "case #5", none},
		{"phone", "call 0770 123 4567", none},
		{"phone international", "+964 770 123 4567", none},
		{"phone dashes", "1-800-555", none},
		{"roman chapter", "Chapter VII", none},
		{"arabic resolution", "القرار 2254", none},
		{"arabic number sign", "القانون رقم 10", none},

		// Durations.
		{"years", "for 3 years", none},
		{"days", "10 days later", none},
		{"adjective then unit", "after four more days", none},
		{"long years", "nearly four long years", none},
		{"times", "shot five times", none},
		{"hours", "held for 48 hours", none},
		{"word duration", "five years in prison", none},
		{"dozens of years", "dozens of years", none},
		{"arabic duration", "10 ايام", none},

		// Arabic number words (written unnormalised: normalisation folds them).
		{"arabic five", "اعتقال خمسة أشخاص", []float64{5}},
		{"arabic five short", "خمس نساء", []float64{5}},
		{"arabic three", "ثلاثة مسلحين", []float64{3}},
		{"arabic ten", "عشرة معتقلين", []float64{10}},
		{"arabic waw", "وخمسة آخرين", []float64{5}},
		{"arabic dozens", "عشرات المعتقلين", []float64{12}},
		{"arabic hundreds", "مئات المسلحين", []float64{100}},
		{"arabic thousands", "آلاف النازحين", []float64{1000}},
		{"arabic thousand", "ألف شخص", []float64{1000}},
		{"arabic hundred", "مئة شخص", []float64{100}},
		{"arabic hundred alt", "مائة شخص", []float64{100}},
		{"arabic hundreds compound", "خمسمائة مقاتل", []float64{500}},
		{"arabic multiplier", "ثلاثة آلاف شخص", []float64{3000}},
		{"arabic digit multiplier", "20 ألف نازح", []float64{20000}},
		{"arabic teen", "خمسة عشر شخصا", []float64{15}},
		{"arabic eleven", "أحد عشر مسلحا", []float64{11}},
		{"arabic ahad alone", "قال أحد المسؤولين", none},
		{"arabic tens compound", "خمسة وعشرون قتيلا", []float64{25}},
		{"arabic-indic digits", "اعتقال ١٦٠ شخصا", []float64{160}},
		{"arabic waw digits", "و15 جريحا", []float64{15}},
		{"arabic four digits count", "اعتقال 1200 شخص", []float64{1200}},
		{"arabic year", "في عام 2014 قتل", none},
		{"arabic two hundred", "مئتا شخص ومئتان آخرون", []float64{200, 200}},
		{"arabic two thousand", "ألفان", []float64{2000}},
		{"arabic millions", "5 ملايين نازح", []float64{5e6}},
		{"arabic twelve", "اثنا عشر جنديا", []float64{12}},
		{"title case plural read as year", "1200 Fighters", none},
		{"upper case text short word", "THEY KILLED ALL 12 PEOPLE", []float64{12}},
		{"upper case text plural", "POLICE ARRESTED 1200 GUERRILLAS", []float64{1200}},
		{"upper case text year", "IN 1989 THE ARMY", none},
		{"upper case text date", "SAN SALVADOR, 30 DEC 89 (RADIO) -- 12 SOLDIERS DIED", []float64{12}},
		{"year then verb then plural", "2015 saw refugees arrive", none},
		{"arabic year marker", "سنه 1990 م", none},
		{"arabic year since", "منذ 2011 اعتقل", none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countsIn(tt.body); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("numbers in %q = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

// TestNumberTablesNormalised checks that the Arabic tables are written in
// the form tokens take after normalisation, or they would never match.
func TestNumberTablesNormalised(t *testing.T) {
	tables := []struct {
		name string
		keys []string
	}{
		{"wordNumbers", keysOf(wordNumbers)},
		{"teenUnits", keysOf(teenUnits)},
		{"multipliers", keysOf(multipliers)},
	}
	ctx := make([]string, 0, len(contextWords))
	for w := range contextWords {
		ctx = append(ctx, w)
	}
	tables = append(tables, struct {
		name string
		keys []string
	}{"contextWords", ctx})
	for _, tb := range tables {
		t.Run(tb.name, func(t *testing.T) {
			for _, w := range tb.keys {
				if n := lowerString(Normalize(w)); n != w {
					t.Errorf("%s key %q normalises to %q", tb.name, w, n)
				}
			}
		})
	}
}

// TestNumberWordTables checks that every word of the tables is found in
// its hash table with its value.
func TestNumberWordTables(t *testing.T) {
	for w, v := range wordNumbers {
		if got, ok := numberTable.find([]byte(w), hashWord([]byte(w))); !ok || got != v {
			t.Errorf("number word %q = %v, %v; want %v", w, got, ok, v)
		}
	}
	for w, r := range contextWords {
		if got, ok := roleOf([]byte(w), hashWord([]byte(w))); !ok || got != r {
			t.Errorf("context word %q = %v, %v; want %v", w, got, ok, r)
		}
	}
	if _, ok := numberTable.find([]byte("fivefold"), hashWord([]byte("fivefold"))); ok {
		t.Error("fivefold found as a number word")
	}
}

func keysOf(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestNumbersNearTyped goes through a rule, as analysts write them.
func TestNumbersNearTyped(t *testing.T) {
	const when = `any(numbers_near("arrest*", 4), # >= 50)`
	tests := []struct {
		name, body string
		want       bool
	}{
		{"count", "Police arrested 160 suspects on Monday.", true},
		{"count with separator", "Police arrested 1,200 suspects.", true},
		{"four digit count", "Police arrested 1200 fighters.", true},
		{"word count", "Police arrested hundreds of suspects.", true},
		{"year", "Police have arrested suspects since 2003.", false},
		{"date", "Police arrested him on 30 DEC 89.", false},
		{"time", "Police arrested him at 0830 GMT.", false},
		{"age", "Police arrested a 55-year-old man.", false},
		{"money", "Police arrested him with $500 million.", false},
		{"percentage", "Arrests rose 75 percent.", false},
		{"duration", "He was arrested and jailed for 60 days.", false},
		{"law", "Arrested under Law 100 of the code.", false},
		{"resolution", "Arrests breach Resolution 2254.", false},
		{"flight", "Passengers of Flight 370 arrested.", false},
	}
	rs := compile(t, nil, when)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, rs, "", tt.body); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", when, tt.body, got, tt.want)
			}
		})
	}
	const formsWhen = `any(numbers_near("arrest~", 4), # >= 50)`
	forms := compile(t, nil, formsWhen)
	for _, tt := range []struct {
		name, body string
		want       bool
	}{
		{"word forms count", "Police arrested 1200 fighters.", true},
		{"word forms year", "He has been under arrest since 2003.", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, forms, "", tt.body); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", formsWhen, tt.body, got, tt.want)
			}
		})
	}
	const arWhen = `100 in numbers_near("اعتقال", 3)`
	ar := compile(t, nil, arWhen)
	for _, tt := range []struct {
		name, body string
		want       bool
	}{
		{"arabic hundreds", "اعتقال مئات المشتبه بهم", true},
		{"arabic percentage", "ارتفاع الاعتقال 100 بالمئة", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, ar, "", tt.body); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", arWhen, tt.body, got, tt.want)
			}
		})
	}
}

func FuzzNumbers(f *testing.F) {
	for _, s := range []string{
		"arrested 1,200 people", "in 2014-2017", "12/05/2014 10:30", "$5 million",
		"خمسة عشر", "و15", "+964 770 123 4567", "Ahmed (25)", "5-10 million", "1,", "9999999999999999999999999999,999",
		"twenty-five", "أحد", "0", "F-16", "25 %", "'8", "(1", "1 -", "وخمسة وعشرون ألف",
		"one hundred and fifty thousand", "between one thousand and two hundred and", "hundred and",
	} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		var a analysis
		a.reset(title, body, 0, true)
		prev := int32(-1)
		for _, n := range a.numbers() {
			if n.pos < 0 || n.end < n.pos || int(n.end) >= len(a.toks) {
				t.Fatalf("number tokens [%d, %d] out of %d tokens", n.pos, n.end, len(a.toks))
			}
			if n.pos <= prev {
				t.Fatalf("numbers overlap or out of order at token %d", n.pos)
			}
			if a.toks[n.pos].field != a.toks[n.end].field {
				t.Fatalf("number spans title and body")
			}
			if math.IsNaN(n.value) || math.IsInf(n.value, 0) || n.value < 0 {
				t.Fatalf("number value %v", n.value)
			}
			prev = n.end
		}
		if utf8.ValidString(body) && a.numbers() == nil && len(a.nums) != 0 {
			t.Fatal("numbers() not stable")
		}
		checkAround(t, title, body, rand.New(rand.NewPCG(uint64(len(title)), uint64(len(body)))))
	})
}

// checkAround checks that numbersAround, reading only around positions,
// finds the numbers near them that numbers() finds reading everything,
// for a few random position sets and reaches.
func checkAround(t *testing.T, title, body string, r *rand.Rand) {
	t.Helper()
	var whole analysis
	whole.reset(title, body, 0, true)
	all := whole.numbers()
	if len(whole.toks) == 0 {
		return
	}
	for range 8 {
		var pos []int32
		for range 1 + r.IntN(4) {
			pos = append(pos, int32(r.IntN(len(whole.toks))))
		}
		slices.Sort(pos)
		pos = slices.Compact(pos)
		n := r.IntN(8)
		var want []number
		for _, num := range all {
			if num.near(pos, n) {
				want = append(want, num)
			}
		}
		var part analysis
		part.reset(title, body, 0, true)
		got := part.numbersAround(pos, n, nil)
		if part.numsDone {
			t.Fatal("numbersAround read the whole article")
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q %q: numbers within %d of %v: read around %+v, read whole %+v", title, body, n, pos, got, want)
		}
	}
}

// TestNumbersAround runs checkAround on random texts of number words,
// digits and the words that join or stop them.
func TestNumbersAround(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	texts := randomTexts(r, 400, 40, "one ", "hundred ", "and ", "fifty ", "thousand ", "million ", "twenty-five ", "1,200 ", "2.5 ",
		"5-10 ", "2014 ", "between ", "killed ", "people ", "aged ", "the ", ". ", ", ", "خمسة ", "عشر ", "وعشرون ", "ألف ", "و15 ",
		"dozens ", "$", "% ", "No. ", "\n", "arrested ", "a ", "hundreds ")
	for _, body := range texts {
		checkAround(t, "", body, r)
	}
	checkAround(t, "Five hundred and twelve", "arrested one hundred and fifty thousand", r)
}

// BenchmarkNumbers measures numbers() alone on the generated articles, whose
// words carry a number one time in twelve.
func BenchmarkNumbers(b *testing.B) {
	arts := genArticles(8)
	as := make([]analysis, len(arts))
	for i, art := range arts {
		as[i].reset(art.Title, art.Body, 0, false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; i < b.N; i++ {
		a := &as[i%len(as)]
		a.numsDone, a.nums = false, a.nums[:0]
		found = len(a.numbers())
	}
	b.ReportMetric(float64(found), "numbers")
}

// TestNumberWordsWithAnd covers English number words written with "and"
// (British usage) and in several groups, and the cases that must stay
// apart.
func TestNumberWordsWithAnd(t *testing.T) {
	none := []float64{}
	tests := []struct {
		name string
		body string
		want []float64
	}{
		{"hundred and tens", "one hundred and fifty people were killed", []float64{150}},
		{"thousand and teens", "two thousand and twelve people fled", []float64{2012}},
		{"a hundred and units", "a hundred and five prisoners", []float64{105}},
		{"hundred and hyphenated tens", "one hundred and fifty-two fighters", []float64{152}},
		{"hundred and spaced tens", "one hundred and fifty two fighters", []float64{152}},
		{"capitalised", "One Hundred And Fifty fighters", []float64{150}},
		{"hundred and one", "one hundred and one hostages", []float64{101}},
		{"bare hundred and tens", "hundred and ten detainees", []float64{110}},
		{"a thousand and units", "a thousand and nine fighters", []float64{1009}},
		{"and inside a thousand group", "one hundred and fifty thousand people", []float64{150000}},
		{"groups and and", "two thousand three hundred and forty people", []float64{2340}},
		{"thousand and hundreds", "seven thousand and five hundred refugees", []float64{7500}},
		{"hundred thousand", "five hundred thousand displaced", []float64{500000}},
		{"million and thousands", "one million and two hundred thousand displaced", []float64{1200000}},
		{"hundreds of millions", "two hundred and fifty million barrels", []float64{250e6}},
		{"without and", "one hundred fifty fighters", []float64{150}},
		{"still a duration", "one hundred and fifty years", none},

		// Must not join.
		{"digits and digits", "100 and 50 people", []float64{100, 50}},
		{"words and digits", "one hundred and 50 people", []float64{100, 50}},
		{"digits and words", "100 and fifty people", []float64{100, 50}},
		{"plural round numbers", "hundreds and thousands of people", []float64{100, 1000}},
		{"hundred and plural", "one hundred and hundreds more", []float64{100, 100}},
		{"small and small", "three and four suspects", []float64{3, 4}},
		{"between two hundreds", "between one hundred and two hundred fighters", []float64{100, 200}},
		{"between thousand and hundreds", "between one thousand and two hundred fighters", []float64{1000, 200}},
		{"between with and on the left", "between one hundred and fifty and two hundred fighters", []float64{150, 200}},
		{"two thousands", "two thousand three thousand", []float64{2000, 3000}},
		{"sentence break", "one hundred. And fifty more", []float64{100, 50}},
		{"comma", "one hundred, and fifty more", []float64{100, 50}},
		{"and then no number", "one hundred and the others", []float64{100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countsIn(tt.body); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("numbers in %q = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
	// Title and body are never one number.
	var a analysis
	a.reset("one hundred", "and fifty people", 0, true)
	var got []float64
	for _, n := range a.numbers() {
		got = append(got, n.value)
	}
	if want := []float64{100, 50}; !reflect.DeepEqual(got, want) {
		t.Errorf("numbers across title and body = %v, want %v", got, want)
	}
}

// TestNumberWordsWithAndInFields reads the joined numbers through
// numbers_near in an event field, as a rule does.
func TestNumberWordsWithAndInFields(t *testing.T) {
	tests := []struct {
		name, body string
		want       []float64
	}{
		{"hundred and fifty", "Gunmen killed one hundred and fifty villagers.", []float64{150}},
		{"two thousand and twelve", "The raids killed two thousand and twelve fighters.", []float64{2012}},
		{"a hundred and five", "Militants killed a hundred and five soldiers.", []float64{105}},
		{"one hundred and fifty-two", "The blast killed one hundred and fifty-two people.", []float64{152}},
		{"digits stay apart", "The blasts killed 100 and 50 people.", []float64{100, 50}},
		{"between", "The strikes killed between one hundred and two hundred fighters.", []float64{100, 200}},
	}
	spec := RuleSpec{When: `mentions("kill*")`, Fields: []FieldSpec{{Name: "killed", Expr: `numbers_near("kill*", 8)`}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scoreOne(t, spec, nil, "", tt.body)
			if len(res.Matches) != 1 {
				t.Fatalf("matches %+v", res.Matches)
			}
			if got := res.Matches[0].Fields["killed"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("killed on %q = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

// near reports whether a position of pos (sorted) is within n tokens of
// the number.
func (num number) near(pos []int32, n int) bool {
	j, _ := slices.BinarySearch(pos, num.pos-int32(n))
	return j < len(pos) && int(pos[j]) <= int(num.end)+n
}
