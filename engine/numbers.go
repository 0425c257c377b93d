package engine

import (
	"strconv"
)

// number is a quantity written in the article and the token where it starts.
type number struct {
	pos, end int32 // first and last token
	value    float64
}

// wordNumbers are the number words numbers_near understands. Plurals of
// round numbers stand for at least that many ("dozens" → 12).
var wordNumbers = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	"dozen": 12, "dozens": 12,
	"hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000,
	"million": 1e6, "millions": 1e6,
}

// numberWordFilter has bit h%1024 set for the FNV hash h of every number
// word, so most tokens are rejected without a map lookup.
var numberWordFilter = func() (f [16]uint64) {
	for w := range wordNumbers {
		h := mix(hashWord([]byte(w))) >> 20 & 1023
		f[h>>6] |= 1 << (h & 63)
	}
	return f
}()

// mayBeNumber reports whether token i can start a number.
func (a *analysis) mayBeNumber(i int) bool {
	t := &a.toks[i]
	if c := a.fields[t.field].lower[t.ls]; c >= '0' && c <= '9' {
		return true
	}
	h := mix(t.hash) >> 20 & 1023
	return numberWordFilter[h>>6]&(1<<(h&63)) != 0
}

// multipliers scale a number written before them: "1.5 million", "two hundred".
var multipliers = map[string]float64{"hundred": 100, "thousand": 1000, "million": 1e6, "billion": 1e9}

// numbers returns the quantities of the article in token order, computed on
// first use: digits with thousands separators ("1,200") and decimals
// ("2.5"), number words ("five", "twenty-five"), "dozens" and "hundreds",
// and a multiplier after a number ("3 million").
func (a *analysis) numbers() []number {
	if a.numsDone {
		return a.nums
	}
	a.numsDone = true
	for i := 0; i < len(a.toks); {
		if !a.mayBeNumber(i) {
			i++
			continue
		}
		v, n, ok := a.numberAt(i)
		if !ok {
			i++
			continue
		}
		a.nums = append(a.nums, number{pos: int32(i), end: int32(i + n - 1), value: v})
		i += n
	}
	return a.nums
}

// numberAt parses a number starting at token i and returns its value and
// the number of tokens it spans.
func (a *analysis) numberAt(i int) (float64, int, bool) {
	tok := a.lowerTok(i)
	var v float64
	n := 1
	if isDigits(tok) {
		digits := string(tok)
		// Thousands groups: "1,200,000" is tokens 1 200 000 joined by ",".
		for j := i + 1; j < len(a.toks) && a.joinedBy(j-1, j, ',') && len(a.lowerTok(j)) == 3 && isDigits(a.lowerTok(j)); j++ {
			digits += string(a.lowerTok(j))
			n++
		}
		if j := i + n; j < len(a.toks) && a.joinedBy(j-1, j, '.') && isDigits(a.lowerTok(j)) {
			digits += "." + string(a.lowerTok(j))
			n++
		}
		f, err := strconv.ParseFloat(digits, 64)
		if err != nil {
			return 0, 0, false
		}
		v = f
	} else {
		w, ok := wordNumbers[string(tok)]
		if !ok {
			return 0, 0, false
		}
		v = w
		// "twenty-five", "twenty five"
		if w >= 20 && w < 100 && i+1 < len(a.toks) && a.toks[i+1].field == a.toks[i].field && a.mayBeNumber(i+1) {
			if u, ok := wordNumbers[string(a.lowerTok(i+1))]; ok && u < 10 {
				v += u
				n++
			}
		}
	}
	if j := i + n; j < len(a.toks) && a.toks[j].field == a.toks[i].field && a.mayBeNumber(j) {
		if m, ok := multipliers[string(a.lowerTok(j))]; ok && v < m {
			v *= m
			n++
		}
	}
	return v, n, true
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
