package engine

import (
	"unicode/utf8"
)

// Polarity and quotation of occurrences.
//
// Every token gets flags, computed once per article and only when a rule
// needs them: negated or hedged when a cue before it in its clause says the
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
	"قد": cueHedge, "ربما": cueHedge, "اذا": cueHedge, "لو": cueHedge, "يعتزم": cueHedge, "تعتزم": cueHedge,
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

// tokenFlags returns the polarity and quotation flags of every token,
// computed on first use.
func (a *analysis) tokenFlags() []uint8 {
	if a.flagsDone {
		return a.flags
	}
	a.flagsDone = true
	n := len(a.toks)
	if cap(a.flags) < n {
		a.flags = make([]uint8, n)
	}
	a.flags = a.flags[:n]
	clear(a.flags)
	inQuote := false
	scope, kind := 0, uint8(0) // tokens of scope left, and its flag
	for i := 0; i < n; i++ {
		t := &a.toks[i]
		// What separates token i from the one before: clause ends and
		// quotation marks.
		f := &a.fields[t.field]
		from := 0
		if i > 0 && a.toks[i-1].field == t.field {
			from = int(a.toks[i-1].ne)
		} else {
			inQuote, scope = false, 0
		}
		for _, c := range []byte(f.n.s[from:t.ns]) {
			switch c {
			case '"':
				inQuote = !inQuote
			case ',', ';', ':', '(', ')', '.', '!', '?', '[', ']':
				scope = 0
			case '\n':
				scope = 0
				if paragraphBreak(f.n.s[from:t.ns]) {
					inQuote = false
				}
			case 0xD8: // Arabic comma U+060C, semicolon U+061B, question mark U+061F
				scope = 0
			}
		}
		if inQuote {
			a.flags[i] |= flagQuoted
		}
		if scope > 0 {
			a.flags[i] |= kind
			scope--
		}
		c := a.cueAt(i)
		switch c {
		case cueNone:
		case cueStop:
			scope = 0
		case cueNeg:
			scope, kind = polarityScope, flagNegated
		case cueHedge:
			scope, kind = polarityScope, flagHedged
		}
	}
	return a.flags
}

// paragraphBreak reports whether sep holds an empty line.
func paragraphBreak(sep string) bool {
	nl := 0
	for i := 0; i < len(sep); i++ {
		switch sep[i] {
		case '\n':
			nl++
			if nl == 2 {
				return true
			}
		case ' ', '\t', '\r':
		default:
			nl = 0
		}
	}
	return false
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
	}
	return c
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
