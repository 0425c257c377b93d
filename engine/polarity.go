package engine

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Polarity and quotation of occurrences.
//
// A token's flags are computed when a rule asks about an occurrence there,
// and remembered for the article: negated or hedged when a cue before it in its clause says the
// event did not happen or may not have (scope: from the cue forward, at most
// polarityScope tokens, ending at clause punctuation , ; : ( ) . ! ? and
// their Arabic forms, at a line break, or at a contrasting conjunction such
// as "but"); quoted when it lies inside quoted speech ("…", “…”, «…»), which
// ends at the closing mark or at the end of the paragraph.
//
// The cue lists are small and explicit on purpose: a desk must be able to
// predict what a rule will do. They are documented in docs/rules.md.

const (
	flagNegated = 1 << iota
	flagHedged
	flagQuoted
)

// polarityScope is how many tokens after a cue it reaches at most.
const polarityScope = 8

// cue kinds.
const (
	cueNone = iota
	cueNeg
	cueHedge
	cueNegIfTo    // a negation when "to" follows: failed to, fail to
	cueHedgeIfTo  // a hedge when "to" follows: plans to, aims to, threatens to …
	cueHedgeLower // a hedge only when written in lower case: may
	cueHelp       // a hedge when a verb of prevention follows: help foil
	cueQad        // Arabic قد: a hedge before an imperfect verb, an assertion before a past one
	cueStop       // ends a scope: but, while, although …
)

// cues maps lower-cased, normalised tokens to their kind. Arabic cues are
// written normalised (hamza dropped, ى→ي), and also match with a leading
// و or ف (ولم، فلا).
var cues = map[string]uint8{
	// negation
	"not": cueNeg, "no": cueNeg, "never": cueNeg, "without": cueNeg, "nor": cueNeg,
	"neither": cueNeg, "cannot": cueNeg, "nobody": cueNeg, "denied": cueNeg,
	"denies": cueNeg, "deny": cueNeg, "denying": cueNeg,
	"failed": cueNegIfTo, "fail": cueNegIfTo, "fails": cueNegIfTo, "failing": cueNegIfTo,
	"لا": cueNeg, "لم": cueNeg, "لن": cueNeg, "ليس": cueNeg, "ليست": cueNeg, "غير": cueNeg, "عدم": cueNeg,
	"نفي": cueNeg, "نفت": cueNeg, "ينفي": cueNeg, "تنفي": cueNeg,
	// hedges
	"could": cueHedge, "would": cueHedge, "might": cueHedge, "if": cueHedge, "whether": cueHedge,
	"allegedly": cueHedge, "possibly": cueHedge, "perhaps": cueHedge, "unconfirmed": cueHedge,
	"may":   cueHedgeLower,
	"plans": cueHedgeIfTo, "plan": cueHedgeIfTo, "planned": cueHedgeIfTo, "planning": cueHedgeIfTo,
	"aims": cueHedgeIfTo, "aim": cueHedgeIfTo, "aimed": cueHedgeIfTo, "aiming": cueHedgeIfTo,
	"threatens": cueHedgeIfTo, "threaten": cueHedgeIfTo, "threatened": cueHedgeIfTo, "threatening": cueHedgeIfTo,
	"seeks": cueHedgeIfTo, "seek": cueHedgeIfTo, "sought": cueHedgeIfTo, "seeking": cueHedgeIfTo,
	"intends": cueHedgeIfTo, "intend": cueHedgeIfTo, "intended": cueHedgeIfTo, "intending": cueHedgeIfTo,
	"wants": cueHedgeIfTo, "want": cueHedgeIfTo, "wanted": cueHedgeIfTo,
	"vowed": cueHedgeIfTo, "vows": cueHedgeIfTo, "vow": cueHedgeIfTo,
	"help": cueHelp, "helps": cueHelp, "helped": cueHelp, "helping": cueHelp,
	"قد": cueQad, "ربما": cueHedge, "اذا": cueHedge, "لو": cueHedge, "يعتزم": cueHedge, "تعتزم": cueHedge,
	"يخطط": cueHedge, "تخطط": cueHedge, "يهدد": cueHedge, "تهدد": cueHedge, "هدد": cueHedge, "يحتمل": cueHedge,
	"محتمل": cueHedge, "مزعوم": cueHedge,
	// scope ends
	"but": cueStop, "while": cueStop, "although": cueStop, "though": cueStop, "whereas": cueStop,
	"however": cueStop, "yet": cueStop, "لكن": cueStop, "بينما": cueStop,
}

// preventionVerbs follow "help" in a hedge: "ID cards could help foil a plot".
var preventionVerbs = map[string]bool{
	"foil": true, "prevent": true, "thwart": true, "stop": true, "avert": true, "disrupt": true,
	"combat": true, "counter": true, "fight": true, "curb": true, "deter": true,
}

// pseudoNegations are cue pairs that negate nothing: "not only", "no doubt".
var pseudoNegations = map[string]bool{
	"not only": true, "not just": true, "no doubt": true, "not least": true, "no sooner": true,
	"if not": true, "without doubt": true,
}

// cueFilter has bit h%1024 set for the hash h of every cue, so most tokens
// are rejected without a map lookup.
var cueFilter = func() (f [16]uint64) {
	for w := range cues {
		h := mix(hashWord([]byte(w))) >> 20 & 1023
		f[h>>6] |= 1 << (h & 63)
	}
	return f
}()

// flagKnown marks a flags entry as computed.
const flagKnown = 1 << 7

// flagsOf returns the polarity and quotation flags of token p, computed on
// first use and remembered for the article. Only the occurrences a rule
// asks about are looked at: a cue is searched for backwards from p, at most
// polarityScope tokens and not across a clause end; quotation is the parity
// of the quotation marks between the start of p's paragraph and p.
func (a *analysis) flagsOf(p int32) uint8 {
	if !a.flagsDone {
		a.flagsDone = true
		if cap(a.flags) < len(a.toks) {
			a.flags = make([]uint8, len(a.toks))
		}
		a.flags = a.flags[:len(a.toks)]
		clear(a.flags)
		if cap(a.cues) < len(a.toks) {
			a.cues = make([]uint8, len(a.toks))
		}
		a.cues = a.cues[:len(a.toks)]
		clear(a.cues)
		a.quotes[0].done, a.quotes[1].done = false, false
	}
	if f := a.flags[p]; f&flagKnown != 0 {
		return f &^ flagKnown
	}
	f := a.polarityOf(int(p))
	if a.quoted(int(p)) {
		f |= flagQuoted
	}
	a.flags[p] = f | flagKnown
	return f
}

// polarityOf finds the cue whose scope covers token p: the nearest one
// before it in its clause, at most polarityScope tokens back.
func (a *analysis) polarityOf(p int) uint8 {
	t := &a.toks[p]
	f := &a.fields[t.field]
	for j := p - 1; j >= 0 && j >= p-polarityScope; j-- {
		tj := &a.toks[j]
		if tj.field != t.field || clauseEnd(f.n.s[tj.ne:a.toks[j+1].ns]) {
			return 0
		}
		switch a.cueOf(j) {
		case cueNeg:
			return flagNegated
		case cueHedge:
			return flagHedged
		case cueStop:
			return 0
		}
	}
	return 0
}

// clauseEnd reports whether the separator between two tokens ends a
// clause: , ; : ( ) [ ] . ! ?, a line break, or the Arabic comma,
// semicolon and question mark.
func clauseEnd(sep string) bool {
	for i := 0; i < len(sep); i++ {
		switch sep[i] {
		case ',', ';', ':', '(', ')', '.', '!', '?', '[', ']', '\n':
			return true
		case 0xD8: // lead byte of U+060C, U+061B, U+061F; letters never separate tokens
			return true
		}
	}
	return false
}

// quoteMarks lists, for one field, the offsets of quotation marks and of
// paragraph breaks in the normalised text, where every quotation mark has
// become '"'.
type quoteMarks struct {
	done   bool
	quotes []int32
	paras  []int32 // offset of the end of each empty line
}

// quoted reports whether token p lies inside quoted speech: an odd number
// of quotation marks between the last paragraph break before it and it.
func (a *analysis) quoted(p int) bool {
	t := &a.toks[p]
	q := &a.quotes[t.field]
	if !q.done {
		q.done = true
		s := a.fields[t.field].n.s
		q.quotes, q.paras = q.quotes[:0], q.paras[:0]
		for i := 0; ; {
			k := strings.IndexByte(s[i:], '"')
			if k < 0 {
				break
			}
			q.quotes = append(q.quotes, int32(i+k))
			i += k + 1
		}
		if len(q.quotes) > 0 {
			for i := 0; ; {
				k := strings.IndexByte(s[i:], '\n')
				if k < 0 {
					break
				}
				i += k + 1
				// An empty line: only blanks up to the next line break.
				j := i
				for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
					j++
				}
				if j < len(s) && s[j] == '\n' {
					q.paras = append(q.paras, int32(j))
				}
			}
		}
	}
	if len(q.quotes) == 0 {
		return false
	}
	at := t.ns
	from := int32(-1)
	if k, _ := slices.BinarySearch(q.paras, at); k > 0 {
		from = q.paras[k-1]
	}
	lo, _ := slices.BinarySearch(q.quotes, from+1)
	hi, _ := slices.BinarySearch(q.quotes, at)
	return (hi-lo)%2 == 1
}

// cueOf is cueAt, computed once per token: the scopes of nearby
// occurrences cover the same tokens.
func (a *analysis) cueOf(i int) uint8 {
	if c := a.cues[i]; c != 0 {
		return c - 1
	}
	c := a.cueAt(i)
	a.cues[i] = c + 1
	return c
}

// cueAt returns the cue kind that token i opens (cueNeg, cueHedge,
// cueStop or cueNone), resolving the cues that depend on their neighbours.
func (a *analysis) cueAt(i int) uint8 {
	tok := a.lowerTok(i)
	if len(tok) > 12 || len(tok) == 0 {
		return cueNone
	}
	if tok[0] < utf8.RuneSelf && len(tok) > 1 {
		// Latin cues carry no proclitics: the filter decides most tokens.
		h := mix(a.toks[i].hash) >> 20 & 1023
		if cueFilter[h>>6]&(1<<(h&63)) == 0 {
			return cueNone
		}
	}
	c, ok := cues[string(tok)]
	if !ok {
		if len(tok) == 1 && tok[0] == 't' && a.isNT(i) {
			return cueNeg
		}
		// Arabic: a cue with a leading و or ف.
		if r, size := utf8.DecodeRune(tok); (r == 'و' || r == 'ف') && len(tok) > size {
			if c, ok := cues[string(tok[size:])]; ok && c != cueStop {
				if c == cueQad && !imperfectVerb(a.nextLower(i)) {
					return cueNone
				}
				return c
			}
		}
		return cueNone
	}
	next := func() string {
		if i+1 < len(a.toks) && a.toks[i+1].field == a.toks[i].field {
			return string(a.lowerTok(i + 1))
		}
		return ""
	}
	switch c {
	case cueNeg:
		if pseudoNegations[string(tok)+" "+next()] {
			return cueNone
		}
	case cueHedge:
		if pseudoNegations[string(tok)+" "+next()] {
			return cueNone
		}
	case cueNegIfTo:
		if next() == "to" {
			return cueNeg
		}
		return cueNone
	case cueHedgeIfTo:
		if next() == "to" {
			return cueHedge
		}
		return cueNone
	case cueHedgeLower:
		// "may" is a hedge; "May" is usually the month.
		if a.rawTok(i) == "may" {
			return cueHedge
		}
		return cueNone
	case cueHelp:
		if preventionVerbs[next()] {
			return cueHedge
		}
		return cueNone
	case cueQad:
		if imperfectVerb(next()) {
			return cueHedge
		}
		return cueNone
	}
	return c
}

// imperfectVerb reports whether an Arabic word has the look of an
// imperfect (present or future) verb: a prefix ي or ن, or ت other than in
// the past-tense تم and تمكن. قد before such a verb means "may"; before a
// past verb (قد أسفر، قد تم) it asserts.
func imperfectVerb(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	if size == len(w) {
		return false
	}
	switch r {
	case 'ي', 'ن':
		return true
	case 'ت':
		return !strings.HasPrefix(w, "تم")
	}
	return false
}

// nextLower returns the lower-cased token after i in the same field, or "".
func (a *analysis) nextLower(i int) string {
	if i+1 < len(a.toks) && a.toks[i+1].field == a.toks[i].field {
		return string(a.lowerTok(i + 1))
	}
	return ""
}

// isNT reports whether token i is the "t" of a contraction such as
// "didn't" or "won't": joined by an apostrophe to a token ending in n.
func (a *analysis) isNT(i int) bool {
	if i == 0 || !a.joinedBy(i-1, i, '\'') {
		return false
	}
	p := a.lowerTok(i - 1)
	return len(p) > 0 && p[len(p)-1] == 'n'
}
