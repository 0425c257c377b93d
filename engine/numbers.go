package engine

import (
	"bytes"
	"math"
)

// number is a count written in the article and the tokens it spans.
type number struct {
	pos, end int32 // first and last token
	value    float64
}

// wordNumbers are the number words numbers_near understands, English and
// Arabic (in normalised form: no hamza on its carrier, no harakat, ة→ه,
// ى→ي). Plurals of round numbers stand for at least that many ("dozens",
// عشرات → 12; "hundreds", مئات → 100; "thousands", آلاف → 1000). Every Arabic
// word is also known with the conjunction و attached (وخمسة), see init.
var wordNumbers = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	"dozen": 12, "dozens": 12,
	"hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000,
	"million": 1e6, "millions": 1e6,

	"واحد": 1, "واحده": 1,
	"اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2,
	"ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5,
	"سته": 6, "ست": 6, "سبعه": 7, "سبع": 7, "ثمانيه": 8, "ثماني": 8, "ثمان": 8,
	"تسعه": 9, "تسع": 9, "عشره": 10, "عشر": 10,
	"عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
	"خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
	"ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
	"ميه": 100, "مايه": 100, "ميتان": 200, "ميتين": 200, "مايتان": 200, "مايتين": 200, "ميتا": 200, "مايتا": 200,
	"ثلاثميه": 300, "ثلاثمايه": 300, "اربعميه": 400, "اربعمايه": 400,
	"خمسميه": 500, "خمسمايه": 500, "ستميه": 600, "ستمايه": 600,
	"سبعميه": 700, "سبعمايه": 700, "ثمانميه": 800, "ثمانمايه": 800,
	"تسعميه": 900, "تسعمايه": 900,
	"الف": 1000, "الفان": 2000, "الفين": 2000,
	"مليون": 1e6, "مليار": 1e9,
	"عشرات": 12, "ميات": 100, "الاف": 1000, "ملايين": 1e6,
}

// teenUnits are the Arabic words that are numbers only before عشر/عشرة:
// أحد عشر 11, اثنا عشر 12 (أحد alone is "someone").
var teenUnits = map[string]float64{"احد": 1, "احدي": 1, "اثنا": 2, "اثني": 2}

// multipliers scale a number written before them: "1.5 million", "two
// hundred", ثلاثة آلاف (3,000), 20 ألفا.
var multipliers = map[string]float64{
	"hundred": 100, "thousand": 1000, "million": 1e6, "billion": 1e9,
	"ميه": 100, "مايه": 100, "الف": 1000, "الفا": 1000, "الاف": 1000, "الالاف": 1000,
	"مليون": 1e6, "ملايين": 1e6, "مليار": 1e9, "مليارات": 1e9,
}

var (
	wawPrefix = []byte("و")
	alPrefix  = []byte("ال")
	arAshar   = map[string]bool{"عشر": true, "عشره": true}
)

func init() {
	for w, v := range wordNumbers {
		if w[0] >= 0x80 {
			if _, ok := wordNumbers["و"+w]; !ok {
				wordNumbers["و"+w] = v
			}
		}
	}
	for _, m := range []map[string]float64{wordNumbers, teenUnits, multipliers} {
		for w := range m {
			numberWordFilter.add(hashWord([]byte(w)))
		}
	}
	numberTable = newWordTable(len(wordNumbers))
	for w, v := range wordNumbers {
		numberTable.add(w, v)
	}
	for w := range contextWords {
		contextFilter.add(hashWord([]byte(w)))
	}
}

// wordFilter is a one-hash Bloom filter of words by their token hash, so
// that most tokens are rejected without a map lookup. At 8,192 bits it
// passes about 3% of other words for the few hundred words of a table.
type wordFilter [128]uint64

func (f *wordFilter) add(h uint64) {
	b := mix(h) >> 51
	f[b>>6] |= 1 << (b & 63)
}

func (f *wordFilter) has(h uint64) bool {
	b := mix(h) >> 51
	return f[b>>6]&(1<<(b&63)) != 0
}

// wordTable is an open-addressing hash table of words keyed by their token
// hash, which tokens already carry, so a look-up hashes no string and
// touches one or two slots.
type wordTable struct {
	hashes []uint64
	words  []string
	vals   []float64
	mask   uint64
}

func newWordTable(n int) *wordTable {
	size := 64
	for size < 4*n {
		size *= 2
	}
	return &wordTable{hashes: make([]uint64, size), words: make([]string, size), vals: make([]float64, size), mask: uint64(size - 1)}
}

func (t *wordTable) add(w string, v float64) {
	h := hashWord([]byte(w))
	i := mix(h) >> 32 & t.mask
	for t.words[i] != "" && t.words[i] != w {
		i = (i + 1) & t.mask
	}
	t.hashes[i], t.words[i], t.vals[i] = h, w, v
}

// find returns the value of word w, whose token hash is h.
func (t *wordTable) find(w []byte, h uint64) (float64, bool) {
	for i := mix(h) >> 32 & t.mask; t.words[i] != ""; i = (i + 1) & t.mask {
		if t.hashes[i] == h && t.words[i] == string(w) {
			return t.vals[i], true
		}
	}
	return 0, false
}

// numberTable holds wordNumbers; filled by init.
var numberTable *wordTable

// wordNumber returns the value of token i when it is a number word.
func (a *analysis) wordNumber(i int) (float64, bool) {
	return numberTable.find(a.lowerTok(i), a.toks[i].hash)
}

var (
	// numberWordFilter holds every number word, teen unit and multiplier.
	numberWordFilter wordFilter
	// contextFilter holds every key of contextWords.
	contextFilter wordFilter
)

// mayBeNumber reports whether token i can start a number: it starts with a
// digit, or with و and a digit (و15), or it may be a number word.
func (a *analysis) mayBeNumber(i int) bool {
	t := &a.toks[i]
	c := t.c0 // the first lower-cased byte
	return c-'0' <= 9 || numberWordFilter.has(t.hash) || c == 0xD9 && a.wawDigits(t)
}

// wawDigits reports whether token t is و and digits (و15).
func (a *analysis) wawDigits(t *token) bool {
	low := a.fields[t.field].lower
	return t.le-t.ls > 2 && low[t.ls+1] == 0x88 && low[t.ls+2]-'0' <= 9
}

// numbers returns the counts of the article in token order, read from its
// first token to its last and kept: digits with thousands separators ("1,200") and decimals
// ("2.5"), number words ("five", "twenty-five", خمسة, and English groups
// such as "one hundred and fifty", see englishGroups), "dozens" and
// "hundreds", and a multiplier after a number ("3 million"). Numbers that
// are not counts of people or things (years, dates, times, ages,
// percentages, money, durations, and numbers naming a law, a flight, a
// road…) are left out; isCount documents the rules. Helpers read numbers
// only around the positions they ask about (numbersAround), which finds
// the same ones; the tests hold it to this whole reading.
func (a *analysis) numbers() []number {
	if a.numsDone {
		return a.nums
	}
	a.numsDone = true
	a.readNumbers(0, len(a.toks), func(num number) { a.nums = append(a.nums, num) })
	return a.nums
}

// readNumbers reads the article's numbers greedily from token i, those
// that start before token stop, and calls add with each count.
func (a *analysis) readNumbers(i, stop int, add func(number)) {
	for i < len(a.toks) && i < stop {
		if !a.mayBeNumber(i) {
			i++
			continue
		}
		v, n, ok := a.numberAt(i)
		if !ok {
			i++
			continue
		}
		if a.isCount(i, i+n-1, a.digitsOf(i) != nil) {
			add(number{pos: int32(i), end: int32(i + n - 1), value: v})
		}
		i += n
	}
}

// numbersAround appends to out, in token order, the numbers of the article
// (those numbers returns) whose tokens come within n tokens of one of the
// sorted positions pos, reading only the text around them.
//
// numbers reads the article from its first token, greedily, and a number
// spans only tokens that may be numbers and the words that join them; any
// other token is a barrier (see barrier) no number starts at or crosses, so the greedy reading passes through the token after it. A
// reading started there finds the numbers the whole reading finds from
// there on. Each window around the positions is read from the first such
// token before it.
func (a *analysis) numbersAround(pos []int32, n int, out []number) []number {
	last := int32(-1) // the start of the last number appended
	for k := 0; k < len(pos); {
		// A window: the positions whose reaches overlap or touch.
		lo, hi := int(pos[k])-n, int(pos[k])+n
		for k++; k < len(pos) && int(pos[k])-n <= hi+1; k++ {
			hi = int(pos[k]) + n
		}
		lo = max(lo, 0)
		i := lo
		for i > 0 && !a.barrier(i-1) {
			i--
		}
		a.readNumbers(i, hi+1, func(num number) {
			if num.pos > last && int(num.end) >= lo {
				out = append(out, num)
				last = num.pos
			}
		})
	}
	return out
}

// barrier reports whether token i can be no part of a number: it may not
// be a number itself, and is none of the words that join numbers.
func (a *analysis) barrier(i int) bool {
	if a.mayBeNumber(i) {
		return false
	}
	switch w := a.lowerTok(i); string(w) {
	case "and", "hundred", "thousand", "million", "billion":
		return false
	default:
		return !arAshar[string(w)]
	}
}

// digitsOf returns the digits of token i, without a leading و (و15), or nil
// when the token is not made of digits.
func (a *analysis) digitsOf(i int) []byte {
	tok := a.lowerTok(i)
	if len(tok) > 2 && tok[0] == 0xD9 && tok[1] == 0x88 {
		tok = tok[2:]
	}
	if !isDigits(tok) {
		return nil
	}
	return tok
}

// numberAt parses a number starting at token i and returns its value and
// the number of tokens it spans. It reads the number only; isCount decides
// whether it is a count.
func (a *analysis) numberAt(i int) (float64, int, bool) {
	var v float64
	n := 1
	if d := a.digitsOf(i); d != nil {
		v = digitValue(d)
		// Thousands groups: "1,200,000" is tokens 1 200 000 joined by ",".
		for j := i + 1; j < len(a.toks) && a.joinedBy(j-1, j, ',') && len(a.lowerTok(j)) == 3 && isDigits(a.lowerTok(j)); j++ {
			v = v*1000 + digitValue(a.lowerTok(j))
			n++
		}
		if j := i + n; j < len(a.toks) && a.joinedBy(j-1, j, '.') && isDigits(a.lowerTok(j)) {
			f := a.lowerTok(j)
			v += digitValue(f) / math.Pow10(len(f))
			n++
		}
		if math.IsInf(v, 0) {
			return 0, 0, false
		}
	} else {
		tok := a.lowerTok(i)
		w, ok := a.wordNumber(i)
		if !ok {
			// أحد عشر, اثنا عشر: numbers only before عشر.
			if tok[0] < 0x80 {
				return 0, 0, false
			}
			u, ok := teenUnits[string(tok)]
			if !ok || i+1 >= len(a.toks) || a.toks[i+1].field != a.toks[i].field || !arAshar[string(a.lowerTok(i+1))] {
				return 0, 0, false
			}
			return u + 10, 2, true
		}
		v = w
		if j := i + 1; j < len(a.toks) && a.toks[j].field == a.toks[i].field && a.mayBeNumber(j) {
			next := a.lowerTok(j)
			u, isWord := a.wordNumber(j)
			switch {
			case w >= 20 && w < 100 && isWord && u < 10:
				// "twenty-five", "twenty five"
				v += u
				n++
			case w < 10 && tok[0] >= 0x80 && arAshar[string(next)]:
				// خمسة عشر 15
				v += 10
				n++
			case w < 10 && isWord && u >= 20 && u < 100 && bytes.HasPrefix(next, wawPrefix):
				// خمسة وعشرون 25
				v += u
				n++
			}
		}
	}
	if j := i + n; j < len(a.toks) && a.toks[j].field == a.toks[i].field {
		if m, ok := a.multiplierAt(j); ok && v < m {
			v *= m
			n++
		} else if a.joinedBy(j-1, j, '-') && isDigits(a.lowerTok(j)) {
			// The first number of a range takes the range's multiplier:
			// "5-10 million".
			for j+1 < len(a.toks) && a.joinedBy(j, j+1, '-') && isDigits(a.lowerTok(j+1)) {
				j++
			}
			if j+1 < len(a.toks) && a.toks[j+1].field == a.toks[i].field {
				if m, ok := a.multiplierAt(j + 1); ok && v < m {
					v *= m
				}
			}
		}
	}
	if a.digitsOf(i) == nil && a.lowerTok(i)[0] < 0x80 {
		v, n = a.englishGroups(i, v, n)
	}
	return v, n, true
}

// Kinds of English number words, for englishGroups.
const (
	ewNone    = iota
	ewSmall   // one … ninety-nine, one word: "five", "twelve", "fifty"
	ewHundred // "hundred"
	ewScale   // "thousand", "million", "billion"
	ewAnd     // "and"
)

// englishWord returns the kind and the value of token j as an exact English
// number word. Round plurals ("hundreds") and "dozen" are no exact number
// and never join others.
func (a *analysis) englishWord(j int) (int, float64) {
	w := a.lowerTok(j)
	if len(w) == 0 || w[0] >= 0x80 {
		return ewNone, 0
	}
	switch string(w) {
	case "and":
		return ewAnd, 0
	case "hundred":
		return ewHundred, 100
	case "thousand":
		return ewScale, 1e3
	case "million":
		return ewScale, 1e6
	case "billion":
		return ewScale, 1e9
	case "dozen", "dozens":
		return ewNone, 0
	}
	if !a.mayBeNumber(j) {
		return ewNone, 0
	}
	if v, ok := a.wordNumber(j); ok && v < 100 {
		return ewSmall, v
	}
	return ewNone, 0
}

// englishSmall reads one to ninety-nine written in words at token j, which
// is an ewSmall word: "five", "fifty", "fifty-two", "fifty two".
func (a *analysis) englishSmall(i, j int) (float64, int) {
	_, v := a.englishWord(j)
	if v >= 20 && math.Mod(v, 10) == 0 && a.spacedNext(i, j+1, plain) {
		if k, u := a.englishWord(j + 1); k == ewSmall && u < 10 {
			return v + u, 2
		}
	}
	return v, 1
}

// spacedNext reports whether token j exists, is in the field of token i,
// and is separated from token j-1 by a gap that ok accepts.
func (a *analysis) spacedNext(i, j int, ok func(string) bool) bool {
	if j >= len(a.toks) || a.toks[j].field != a.toks[i].field {
		return false
	}
	g, _ := a.gap(j - 1)
	return ok(g)
}

// englishGroups continues the English number words on tokens [i, i+n),
// of value v, into the groups that follow a "hundred" or a scale word,
// with or without "and": "one hundred and fifty" (150), "two thousand and
// twelve" (2012), "a hundred and five" (105), "two thousand three hundred
// and forty" (2340), "one hundred and fifty thousand" (150,000), "five
// hundred thousand". Words join across spaces only. Scale words must
// decrease ("two thousand three thousand" is two numbers), and a number
// word that follows and cannot join undoes the last join ("one hundred and
// two hundred" is 100 and 200). After "between", a join by "and" stands
// only when another "and" follows the number, which is the range's own
// ("between one hundred and fifty and two hundred" gives 150 and 200;
// "between one thousand and two hundred" gives 1000 and 200). Digits never
// join words ("100 and fifty").
func (a *analysis) englishGroups(i int, v float64, n int) (float64, int) {
	const (
		afterHundred = iota // a "hundred" ends the number so far
		afterScale          // a scale word ends it
		afterTail           // one to ninety-nine completing a hundred
		afterLead           // one to ninety-nine opening a group after a scale word
	)
	if k, _ := a.englishWord(i); k == ewNone || k == ewAnd {
		return v, n
	}
	var total, cur, limit float64
	var last int
	switch k, w := a.englishWord(i + n - 1); k {
	case ewHundred:
		cur, limit, last = v, math.Inf(1), afterHundred
	case ewScale:
		total, limit, last = v, w, afterScale
	default:
		return v, n
	}
	type join struct {
		total, cur, limit float64
		n, last           int
		and               bool
	}
	var joins []join
	for {
		j := i + n
		if !a.spacedNext(i, j, spaces) {
			break
		}
		k, w := a.englishWord(j)
		and := false
		if k == ewAnd {
			// "and" joins only after "hundred" or a scale word, and only
			// one to ninety-nine.
			if last != afterHundred && last != afterScale || !a.spacedNext(i, j+1, spaces) {
				break
			}
			if k2, _ := a.englishWord(j + 1); k2 != ewSmall {
				break
			}
			and = true
			j++
			k, w = ewSmall, 0
		}
		if k == ewSmall && (last == afterHundred || last == afterScale) {
			joins = append(joins, join{total, cur, limit, n, last, and})
			s, m := a.englishSmall(i, j)
			n = j + m - i
			if last == afterHundred {
				cur, last = cur+s, afterTail
			} else {
				cur, last = s, afterLead
			}
			continue
		}
		if k == ewHundred && last == afterLead {
			cur, last, n = cur*100, afterHundred, j+1-i
			continue
		}
		if k == ewScale && w < limit && last != afterScale {
			total, cur, limit, last, n = total+cur*w, 0, w, afterScale, j+1-i
			continue
		}
		if k != ewNone && len(joins) > 0 {
			// A number word that cannot join: the last join was wrong.
			jn := joins[len(joins)-1]
			joins = joins[:len(joins)-1]
			total, cur, limit, n, last = jn.total, jn.cur, jn.limit, jn.n, jn.last
		}
		break
	}
	if p := i - 1; p >= 0 && a.toks[p].field == a.toks[i].field && string(a.lowerTok(p)) == "between" {
		if g, _ := a.gap(p); spaces(g) && !a.nextIsAnd(i, i+n) {
			for k := len(joins) - 1; k >= 0; k-- {
				if joins[k].and {
					total, cur, n = joins[k].total, joins[k].cur, joins[k].n
					break
				}
			}
		}
	}
	return total + cur, n
}

// nextIsAnd reports whether token j is "and", after spaces, in the field
// of token i.
func (a *analysis) nextIsAnd(i, j int) bool {
	return a.spacedNext(i, j, spaces) && string(a.lowerTok(j)) == "and"
}

// multiplierAt returns the factor of token j when it is a multiplier.
func (a *analysis) multiplierAt(j int) (float64, bool) {
	if !a.mayBeNumber(j) {
		return 0, false
	}
	m, ok := multipliers[string(a.lowerTok(j))]
	return m, ok
}

// digitValue returns the value of a run of ASCII digits.
func digitValue(d []byte) float64 {
	var v float64
	for _, c := range d {
		v = v*10 + float64(c-'0')
	}
	return v
}

// joinedBy reports whether tokens i and j are in the same field and
// separated by exactly the byte sep.
func (a *analysis) joinedBy(i, j int, sep byte) bool {
	ti, tj := &a.toks[i], &a.toks[j]
	if ti.field != tj.field || tj.ns != ti.ne+1 {
		return false
	}
	return a.fields[ti.field].n.s[ti.ne] == sep
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Roles of the words around a number, for isCount.
const (
	ctxName      = 1 << iota // before: "Law 10", "Flight 17", "Route 1", قرار
	ctxAge                   // before: "aged 25", "age 40", عمره
	ctxMoney                 // before or after: "USD 10", "10 dinars"
	ctxTimeWord              // before: الساعة 10; after: "5 pm", "0830 GMT"
	ctxYearWord              // before a year: "in", "since", "the", عام, منذ
	ctxMonth                 // before or after a date: "3 January", "March 2015"
	ctxDuration              // after: "3 years", "10 days", "25-year-old"
	ctxPercent               // after: "25 percent"
	ctxPlural                // a plural noun not ending in s: "people", "men"
	ctxNotPlural             // ends in s but is no plural noun: "was", "this"
	ctxEvent                 // a noun a year qualifies: "the 2011 protests"
	ctxCalendar              // after a year: "AD", "BC", هـ, م
	ctxAdjective             // may stand between a count and its noun: "1200 foreign fighters"
)

// contextWords gives the roles of the words that decide whether a number
// next to them is a count. Arabic words are normalised; a leading ال or و
// is also tried without it (القانون → قانون).
var contextWords = func() map[string]uint16 {
	m := map[string]uint16{}
	add := func(role uint16, words string) {
		for _, w := range bytes.Fields([]byte(words)) {
			m[string(w)] |= role
		}
	}
	add(ctxName, `law resolution article decree flight route highway road motorway brigade
		division battalion regiment squadron unit chapter section paragraph clause item page
		number no nr tel phone telephone fax hotline gate terminal platform camp block sector
		zone district ward cell room building line bus resolutions articles decrees laws
		chapters sections paragraphs routes highways roads flights channel cadena canal boeing
		airbus model
		قانون رقم قرار ماده مرسوم رحله طريق فرقه لواء كتيبه فصل بند`)
	add(ctxAge, `aged age ages عمر عمره عمرها بعمر`)
	add(ctxMoney, `usd eur gbp iqd syp sar aed egp lbp jod ils irr qar kwd
		dollar dollars euro euros pound pounds riyal riyals rial rials lira liras lire
		dinar dinars dirham dirhams shekel shekels yuan rupee rupees ruble rubles rouble
		roubles franc francs cent cents sterling bucks peso pesos austral australes inti intis
		sucre sucres colon colones quetzal quetzales cordoba cordobas lempira lempiras bolivar
		bolivares
		دولار دولارا دولارات يورو جنيه جنيها جنيهات ليره ليرات ريال ريالا ريالات دينار
		دينارا دنانير درهم درهما دراهم شيكل تومان`)
	add(ctxTimeWord, `am pm gmt utc hrs ساعه`)
	add(ctxYearWord, `in since until till from during before after by throughout the this
		that its their his her our a an mid early late end summer spring autumn fall winter
		year fiscal circa
		عام لعام سنه لسنه منذ في حتي خلال مطلع اواخر اوايل بدايه نهايه صيف شتاء ربيع خريف قبل بعد`)
	add(ctxMonth, `january february march april may june july august september october
		november december jan feb mar apr jun jul aug sep sept oct nov dec
		يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر
		كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين`)
	add(ctxDuration, `second seconds minute minutes hour hours day days week weeks month
		months year years decade decades century centuries hrs mins yrs yr time times
		ساعه ساعات يوم يوما ايام اسبوع اسبوعا اسابيع شهر شهرا اشهر شهور سنه سنوات سنين
		عام عاما اعوام دقيقه دقايق مره مرات`)
	add(ctxPercent, `percent percentage pct بالميه بالمايه`)
	add(ctxPlural, `people men women children police personnel staff militia cattle sheep
		youth clergy`)
	add(ctxNotPlural, `was has its his hers yes whereas perhaps towards always sometimes
		besides afterwards across unless regardless nevertheless as`)
	add(ctxEvent, `elections attacks protests riots uprisings bombings games olympics polls
		floods talks accords agreements negotiations events hostilities revolutions wars
		midterms demonstrations sanctions reforms amendments figures statistics levels rates
		prices estimates results`)
	add(ctxCalendar, `ad bc ce bce م ه ميلادي ميلاديه هجري هجريه`)
	add(ctxAdjective, `more other armed foreign suspected alleged civilian local new
		additional extra young innocent unarmed long full consecutive straight further
		whole past last`)
	return m
}()

// ctxOf returns the roles of token j.
func (a *analysis) ctxOf(j int) uint16 {
	b := a.lowerTok(j)
	if f, ok := roleOf(b, a.toks[j].hash); ok {
		return f
	}
	if len(b) > 2 && b[0] >= 0x80 {
		if bytes.HasPrefix(b, alPrefix) {
			f, _ := roleOf(b[len(alPrefix):], hashWord(b[len(alPrefix):]))
			return f
		}
		if bytes.HasPrefix(b, wawPrefix) {
			b = b[len(wawPrefix):]
			if f, ok := roleOf(b, hashWord(b)); ok {
				return f
			}
			if bytes.HasPrefix(b, alPrefix) {
				f, _ := roleOf(b[len(alPrefix):], hashWord(b[len(alPrefix):]))
				return f
			}
		}
	}
	return 0
}

// roleOf looks word w, of token hash h, up in contextWords.
func roleOf(w []byte, h uint64) (uint16, bool) {
	if !contextFilter.has(h) {
		return 0, false
	}
	r, ok := roleTable.find(w, h)
	return uint16(r), ok
}

// roleTable holds contextWords.
var roleTable = func() *wordTable {
	t := newWordTable(len(contextWords))
	for w, r := range contextWords {
		t.add(w, float64(r))
	}
	return t
}()

// gap returns the normalised text between tokens i and i+1, and false when
// they are in different fields.
func (a *analysis) gap(i int) (string, bool) {
	if i < 0 || i+1 >= len(a.toks) || a.toks[i].field != a.toks[i+1].field {
		return "", false
	}
	return a.fields[a.toks[i].field].n.s[a.toks[i].ne:a.toks[i+1].ns], true
}

// gapBefore returns the text between token i and the token before it in its
// field, or the start of the field.
func (a *analysis) gapBefore(i int) string {
	if s, ok := a.gap(i - 1); ok {
		return s
	}
	t := &a.toks[i]
	return a.fields[t.field].n.s[:t.ns]
}

// gapAfter returns the text between token i and the token after it in its
// field, or the end of the field.
func (a *analysis) gapAfter(i int) string {
	if s, ok := a.gap(i); ok {
		return s
	}
	t := &a.toks[i]
	return a.fields[t.field].n.s[t.ne:]
}

// plain reports whether a gap between words is only spaces, or hyphens
// ("25-year-old"), so the words read as one phrase.
func plain(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '-' {
			return false
		}
	}
	return true
}

// spaces reports whether s is one to three spaces.
func spaces(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return false
		}
	}
	return true
}

// currencySigns are the symbols that, written just before a number, make
// it money.
var currencySigns = []string{"$", "£", "€", "¥", "₺", "₪", "₹"}

// isCount reports whether the number on tokens [first, last] counts people
// or things. It looks only at the neighbouring tokens and the bytes between
// them; no rule needs more than two words of context.
//
// Shapes (digits only):
//   - a token mixing digits and letters is never a number: "1st", "21st",
//     "1990s", "5pm", "MH17" (numberAt already refuses them);
//   - a leading zero ("0830", "05", "0770…") is a time, a date or a phone;
//   - digits joined by ':' (10:30), '/' (12/05/2014) or a second '.'
//     (12.05.2014) to other digits are times, dates or references;
//   - digits after '+' (phones), '#', an apostrophe before two digits
//     ('89), or after a
//     currency sign ($5, €10), are not counts;
//   - three or more numbers in a row separated by single spaces or '-'
//     (0770 123 4567, 1-800-555) are a phone number;
//   - a range "a-b" whose part has a leading zero or that has three parts
//     (2014-05-12) is a date; otherwise its parts share the words around
//     the range ("aged 18-25", "10-15 people"), and when one part is
//     year-shaped the year rule below judges the whole range (2014-15);
//   - letters joined to the digits by '-' (F-16, COVID-19, Su-24) or an
//     all-capital code of one to three letters before them (MH 17, AK 47;
//     not "A" or "I", nor in text written in upper case) name a thing;
//   - a month next to the digits (3 January, January 3, 30 DEC 89,
//     Jan. 3) makes them a date; English months count only capitalised
//     (so "may" the verb is not a month);
//   - "(25)" after a capitalised word, or ", 25," after one, is an age.
//
// Words around any number (digits or words); a number word followed by
// "of" is judged by the word after it ("dozens of years"):
//   - after the number: '%' or ٪, "percent", "per cent", بالمئة, في المئة
//     (percentages); a currency or currency code (money); a unit of time
//     (durations and ages: "3 years", "10 days", "25-year-old", "25 years
//     old"); "am", "pm", "a.m.", "o'clock", "GMT" (times);
//   - before the number: a word naming a law, resolution, article, decree,
//     flight, road, unit (brigade, division…), chapter, page, phone, or
//     "no" ("No 10", "no one"), also "No." and "Nr."; "aged", "age", عمره
//     (ages); a currency code ("USD 10");
//     الساعة (times).
//
// Years (digits only): a bare four-digit number from 1000 to 2099, with
// no thousands separator, decimals or multiplier, is a year unless it is
// directly followed by a counted noun and the word before it is not one
// that introduces years ("in", "since", "the", عام, منذ…). A counted noun
// is a lower-case plural ("fighters", not "Paris" or "this"; in text written
// in upper case, "FIGHTERS" too), an irregular
// plural ("people", "men"), or either of those after one capitalised or
// common adjective ("1200 Syrian refugees", "1200 foreign fighters"), and
// not a noun that years qualify ("the 2011 protests", "2015 elections").
// In Arabic, where a counted noun is singular, any Arabic word that is not
// a calendar mark (م, هـ) counts. So "1200 fighters" is a count and "the
// 2011 uprising", "in 2014", "since 2003" are years; "1,200" and "5000"
// are always counts. A bare 2100 to 2359 with minutes below 60 is read as
// a 24-hour time by the same rule ("at 2200 on 18 March").
//
// Durations are left out on purpose: a desk asks how many were arrested or
// killed, and "sentenced to 10 years", "held for 48 hours" sit next to the
// same verbs. Measures other than time ("2.5 tons", "20 km") are kept.
// Ordinal words (third, fifth, ثالث) and Roman numerals (Chapter VII) are
// not number words at all.
func (a *analysis) isCount(first, last int, digits bool) bool {
	start, end := first, last
	if digits {
		var ok bool
		if start, end, ok = a.digitShape(first, last); !ok {
			return false
		}
	}

	// Before the number.
	before := a.gapBefore(start)
	if p := start - 1; p >= 0 && a.toks[p].field == a.toks[start].field {
		role := a.ctxOf(p)
		switch {
		case spaces(before):
			if role&(ctxName|ctxAge|ctxMoney) != 0 || role&ctxTimeWord != 0 && a.lowerTok(p)[0] >= 0x80 {
				return false
			}
			if digits && role&ctxMonth != 0 && a.monthAt(p) {
				return false
			}
			if digits && a.capitalised(p) && a.upperCode(p) && !a.shouting(p-1) && !a.shouting(end+1) {
				return false
			}
		case before == "." || before == ". ":
			// "No. 5", "Jan. 3"; not "…closed the road. 5 people died".
			if w := a.lowerTok(p); string(w) == "no" || string(w) == "nr" || string(w) == "nos" || string(w) == "art" ||
				digits && len(w) <= 4 && role&ctxMonth != 0 && a.monthAt(p) {
				return false
			}
		case before == "-":
			// "F-16", "COVID-19", "3-Jan-90"
			if digits && !isDigits(a.lowerTok(p)) {
				return false
			}
		case digits && (before == " (" || before == ", "):
			// "Ahmed (25)", "Ahmed, 25,": an age.
			if after := a.gapAfter(end); len(after) > 0 && (after[0] == ')' && before == " (" || after[0] == ',' && before == ", ") && a.capitalised(p) && first == last && len(a.lowerTok(first)) <= 3 {
				return false
			}
		}
	}
	if digits {
		if t := trimRight(before); len(t) > 0 && (t[len(t)-1] == '$' || t[len(t)-1] >= 0x80) {
			for _, c := range currencySigns {
				if len(t) >= len(c) && t[len(t)-len(c):] == c {
					return false
				}
			}
		}
		if len(before) > 0 {
			if c := before[len(before)-1]; c == '+' || c == '#' || c == '\'' && len(a.lowerTok(first)) == 2 {
				return false
			}
		}
	}

	// After the number.
	after := a.gapAfter(end)
	if t := trimLeft(after); len(t) > 0 && (t[0] == '%' || len(t) >= 2 && t[0] == 0xD9 && t[1] == 0xAA) {
		return false
	}
	q := end + 1
	if q < len(a.toks) && a.toks[q].field == a.toks[end].field && plain(after) {
		if !digits && string(a.lowerTok(q)) == "of" {
			if g, ok := a.gap(q); ok && spaces(g) {
				q++
			}
		}
		role := a.ctxOf(q)
		if a.unitAt(q, role, digits) {
			return false
		}
		// "four more days", "three long years"
		if role&ctxAdjective != 0 && a.sepByte(q) == ' ' && a.unitAt(q+1, a.ctxOf(q+1), digits) {
			return false
		}
	}

	if digits && a.hasYear(first, last, start, end) && !a.countedAfter(start, end) {
		return false
	}
	return true
}

// digitShape applies the shape rules of isCount to the digits on tokens
// [first, last] and returns the range they belong to ("10-15"), which
// shares the words around it.
func (a *analysis) digitShape(first, last int) (start, end int, ok bool) {
	if d := a.lowerTok(first); len(d) > 1 && d[0] == '0' {
		return 0, 0, false
	}
	before, after := a.sepByte(first-1), a.sepByte(last)
	if (before == ':' || before == '/' || before == '.') && isDigits(a.lowerTok(first-1)) ||
		(after == ':' || after == '/' || after == '.') && isDigits(a.lowerTok(last+1)) {
		return 0, 0, false
	}
	start, end = first, last
	if before == '-' || after == '-' {
		// A range joined by '-'.
		for a.sepByte(start-1) == '-' && isDigits(a.lowerTok(start-1)) {
			start--
			for a.sepByte(start-1) == ',' && isDigits(a.lowerTok(start-1)) {
				start--
			}
		}
		for a.sepByte(end) == '-' && isDigits(a.lowerTok(end+1)) {
			end++
			for a.sepByte(end) == ',' && len(a.lowerTok(end+1)) == 3 && isDigits(a.lowerTok(end+1)) {
				end++
			}
		}
		parts := 1
		for j := start + 1; j <= end; j++ {
			if a.sepByte(j-1) == '-' {
				parts++
				if d := a.lowerTok(j); len(d) > 1 && d[0] == '0' {
					return 0, 0, false
				}
			}
		}
		if parts > 2 {
			return 0, 0, false
		}
	}
	// Phone numbers: three numbers or more separated by single spaces.
	run := 0
	for j := start; run < 2 && a.sepByte(j-1) == ' ' && isDigits(a.lowerTok(j-1)); j-- {
		run++
	}
	for j := end; run < 2 && a.sepByte(j) == ' ' && isDigits(a.lowerTok(j+1)); j++ {
		run++
	}
	if run >= 2 {
		return 0, 0, false
	}
	return start, end, true
}

// sepByte returns the one byte between token i and token i+1, or 0 when
// either is missing, they are in different fields, or the gap is not one
// byte long.
func (a *analysis) sepByte(i int) byte {
	if i < 0 || i+1 >= len(a.toks) {
		return 0
	}
	ti, tj := &a.toks[i], &a.toks[i+1]
	if ti.field != tj.field || tj.ns != ti.ne+1 {
		return 0
	}
	return a.fields[ti.field].n.s[ti.ne]
}

// unitAt reports whether token q, of roles role, read right after a
// number, makes the number something other than a count: a percentage, money, a duration, a
// time, or (for digits) a date.
func (a *analysis) unitAt(q int, role uint16, digits bool) bool {
	if role&(ctxMoney|ctxDuration|ctxPercent) != 0 || role&ctxTimeWord != 0 && a.lowerTok(q)[0] < 0x80 {
		return true
	}
	if digits && role&ctxMonth != 0 && a.monthAt(q) {
		return true
	}
	w := a.lowerTok(q)
	if len(w) > 4 || q+1 >= len(a.toks) || a.toks[q+1].field != a.toks[q].field {
		return false
	}
	next := a.lowerTok(q + 1)
	switch string(w) {
	case "per": // "per cent"
		return string(next) == "cent" && a.sepByte(q) == ' '
	case "a", "p": // "a.m.", "p.m."
		return string(next) == "m" && a.sepByte(q) == '.'
	case "o": // "o'clock"
		return string(next) == "clock" && a.sepByte(q) == '\''
	case "في": // في المئة
		return (string(next) == "الميه" || string(next) == "المايه") && a.sepByte(q) == ' '
	}
	return false
}

// monthAt reports whether token j is a month name: Arabic month names, and
// English ones when capitalised ("May", "DEC", not "may").
func (a *analysis) monthAt(j int) bool {
	if a.lowerTok(j)[0] >= 0x80 {
		return true
	}
	return a.capitalised(j)
}

// capitalised reports whether token j starts with an ASCII capital.
func (a *analysis) capitalised(j int) bool {
	c := a.rawTok(j)[0]
	return c >= 'A' && c <= 'Z'
}

// upperCode reports whether token j is a code of one to three capital
// letters ("MH" in "MH 17", "AK" in "AK 47").
func (a *analysis) upperCode(j int) bool {
	r := a.rawTok(j)
	if len(r) > 3 || r == "A" || r == "I" {
		return false
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 'A' || r[i] > 'Z' {
			return false
		}
	}
	return true
}

// shouting reports whether token j exists in the field and is a word of
// two or more capitals: text written in upper case ("KILLED ALL 12
// PEOPLE"), where a short capitalised word is no code.
func (a *analysis) shouting(j int) bool {
	if j < 0 || j >= len(a.toks) {
		return false
	}
	r := a.rawTok(j)
	if len(r) < 2 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 'A' || r[i] > 'Z' {
			return false
		}
	}
	return true
}

// yearShaped reports whether the number on [first, last] is a bare four-digit
// number from 1000 to 2099, or a 24-hour time from 2100 to 2359.
func (a *analysis) yearShaped(first, last int) bool {
	if first != last {
		return false
	}
	d := a.lowerTok(first)
	if len(d) == 6 {
		d = a.digitsOf(first) // و2014
	}
	if len(d) != 4 {
		return false
	}
	// 1000-2099, or a 24-hour time 2100-2359 ("at 2200 on 18 March").
	return d[0] == '1' || d[0] == '2' && (d[1] == '0' || d[1] <= '3' && d[2] <= '5')
}

// hasYear reports whether the number on [first, last] is year-shaped, or
// is part of a range [start, end] with a year-shaped part ("2014-15").
func (a *analysis) hasYear(first, last, start, end int) bool {
	if a.yearShaped(first, last) {
		return true
	}
	if start == first && end == last {
		return false
	}
	for j := start; j <= end; j++ {
		if (j == start || a.joinedBy(j-1, j, '-')) && (j == end || a.joinedBy(j, j+1, '-')) && a.yearShaped(j, j) {
			return true
		}
	}
	return false
}

// countedAfter reports whether the year-shaped number, in the range
// [start, end], is a count: a counted noun follows it and the word before
// it does not introduce a year.
func (a *analysis) countedAfter(start, end int) bool {
	if p := start - 1; p >= 0 && a.toks[p].field == a.toks[start].field {
		if g, _ := a.gap(p); spaces(g) && a.ctxOf(p)&(ctxYearWord|ctxMonth) != 0 {
			return false
		}
	}
	q := end + 1
	if g, ok := a.gap(end); !ok || !spaces(g) {
		return false
	}
	if a.lowerTok(q)[0] >= 0x80 {
		// Arabic counts take a singular noun: any word but a calendar mark.
		return a.ctxOf(q)&(ctxCalendar|ctxEvent) == 0 && a.digitsOf(q) == nil
	}
	if a.countedNoun(q) {
		return true
	}
	if g, ok := a.gap(q); ok && spaces(g) && (a.capitalised(q) || a.ctxOf(q)&ctxAdjective != 0) && a.ctxOf(q)&ctxEvent == 0 {
		return a.countedNoun(q + 1)
	}
	return false
}

// countedNoun reports whether token q is a plural noun that can be counted:
// lower-case, ending in s (not ss, us or is), or an irregular plural.
func (a *analysis) countedNoun(q int) bool {
	role := a.ctxOf(q)
	if role&ctxPlural != 0 {
		return true
	}
	if role&(ctxNotPlural|ctxEvent|ctxCalendar) != 0 || a.capitalised(q) && !a.shouting(q) {
		return false
	}
	w := a.lowerTok(q)
	if len(w) < 3 || w[len(w)-1] != 's' {
		return false
	}
	for _, c := range w {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	switch w[len(w)-2] {
	case 's', 'u', 'i':
		return false
	}
	if _, ok := wordNumbers[string(w)]; ok {
		return false
	}
	return true
}

func trimLeft(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

func trimRight(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
