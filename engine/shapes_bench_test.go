package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Rule shapes that once left the one-pass path, each benchmarked next to
// the same rules written the fast way, in the same run:
//
//	go test ./engine -run '^$' -bench 'Score/shape=' -cpu 1
//
// Each pair names its slow form and its reference (literal) form.

// shape is a generated rule set of one form.
type shape struct {
	name  string
	rules int
	gen   func(r *rand.Rand, i int) RuleSpec
	lex   func() map[string][]string
	// arts, when set, rewrites the articles the shape is scored on.
	arts func([]Article) []Article
}

// capitalised returns w with its first letter upper-cased.
func capitalised(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

var shapes = []shape{
	// Case-sensitive prefixes (=Abc*) and the same prefixes without =, on
	// articles whose topic words are capitalised, so that both forms find
	// the same occurrences.
	{name: "prefix-cs", rules: 500, arts: capitaliseTopics, gen: func(r *rand.Rand, _ int) RuleSpec {
		w := func() string { return capitalised(topicWord(r.IntN(topicVocab))[:5]) }
		return RuleSpec{When: fmt.Sprintf(`mentions("=%s*", "=%s*") || near("=%s*", "=%s*", 5)`, w(), w(), w(), w())}
	}},
	{name: "prefix-ci", rules: 500, arts: capitaliseTopics, gen: func(r *rand.Rand, _ int) RuleSpec {
		w := func() string { return capitalised(topicWord(r.IntN(topicVocab))[:5]) }
		return RuleSpec{When: fmt.Sprintf(`mentions("%s*", "%s*") || near("%s*", "%s*", 5)`, w(), w(), w(), w())}
	}},
	// Terms computed in the expression, and the same rules with literal
	// terms: computed from literals alone (resolved when the rule set is
	// compiled); chosen among literals by the article's source (gated by
	// all the choices); and computed from the article's title, which
	// stays on the slower path that check warns about.
	{name: "computed-const", rules: 200, gen: computedRule("const")},
	{name: "computed-choice", rules: 200, gen: computedRule("choice")},
	{name: "computed-title", rules: 200, gen: computedRule("title")},
	{name: "computed-literal", rules: 200, gen: computedRule("literal")},
	// Ten lexicons of 50 terms shared by 1,000 rules, and the same rules
	// with each lexicon written out in the rule as a literal list.
	{name: "lexicon-shared", rules: 1000, gen: lexiconRule(false), lex: benchLexicons},
	{name: "lexicon-literal", rules: 1000, gen: lexiconRule(true), lex: benchLexicons},
}

// benchLexicons returns ten lexicons of 50 topic words each, some with
// inflections or prefixes.
func benchLexicons() map[string][]string {
	r := rand.New(rand.NewPCG(1, 2))
	lex := map[string][]string{}
	for l := 0; l < 10; l++ {
		var terms []string
		for k := 0; k < 50; k++ {
			w := topicWord(r.IntN(topicVocab))
			switch k % 5 {
			case 0:
				w += "~"
			case 1:
				w = w[:4] + "*"
			}
			terms = append(terms, w)
		}
		lex[fmt.Sprintf("l%d", l)] = terms
	}
	return lex
}

// lexiconRule returns a generator of rules over benchLexicons, naming the
// lexicons or writing out their terms.
func lexiconRule(inline bool) func(r *rand.Rand, i int) RuleSpec {
	lex := benchLexicons()
	ref := func(name string) string {
		if !inline {
			return "lex." + name
		}
		quoted := make([]string, len(lex[name]))
		for i, t := range lex[name] {
			quoted[i] = fmt.Sprintf("%q", t)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	return func(r *rand.Rand, _ int) RuleSpec {
		l1, l2 := fmt.Sprintf("l%d", r.IntN(10)), fmt.Sprintf("l%d", r.IntN(10))
		w := func() string { return topicWord(r.IntN(topicVocab)) }
		return RuleSpec{When: fmt.Sprintf(`mentions(%s) && near(%s, [%q, %q], 10)`, ref(l1), ref(l2), w(), w())}
	}
}

// computedRule returns a generator of rules whose terms are written in
// the given form: "literal", "const" (built with let, lower and trim from
// literals), "choice" (chosen by the article's source) or "title" (one
// argument also holds the article's title).
func computedRule(form string) func(r *rand.Rand, i int) RuleSpec {
	return func(r *rand.Rand, _ int) RuleSpec {
		w := func() string { return topicWord(r.IntN(topicVocab)) }
		a, b, c, d := w(), w(), w(), w()
		switch form {
		case "const":
			return RuleSpec{When: fmt.Sprintf(`let t = [lower(%q), trim(%q)]; mentions(t) || near(lower(%q), [%q], 8)`,
				strings.ToUpper(a), " "+b+" ", strings.ToUpper(c)+"~", d)}
		case "title":
			return RuleSpec{When: fmt.Sprintf(`mentions([%q, %q]) || near(%q, [%q, title], 8)`, a, b, c+"~", d)}
		case "choice":
			return RuleSpec{When: fmt.Sprintf(`mentions(source == "feed:ar" ? "داعش" : [%q, %q]) || near(%q, source == "feed:ar" ? ["داعش"] : [%q], 8)`,
				a, b, c+"~", d)}
		}
		return RuleSpec{When: fmt.Sprintf(`mentions([%q, %q]) || near(%q, [%q], 8)`, a, b, c+"~", d)}
	}
}

// capitaliseTopics returns copies of arts with every word that is not a
// common word capitalised, as names are.
func capitaliseTopics(arts []Article) []Article {
	common := map[string]bool{}
	for _, w := range commonWords {
		common[w] = true
	}
	out := make([]Article, len(arts))
	for i, a := range arts {
		words := strings.Split(a.Body, " ")
		for j, w := range words {
			if w != "" && !common[strings.ToLower(strings.Trim(w, ".\n"))] && w[0] >= 'a' && w[0] <= 'z' {
				words[j] = capitalised(w)
			}
		}
		a.Body = strings.Join(words, " ")
		out[i] = a
	}
	return out
}

func (sh shape) build(b *testing.B) *RuleSet {
	r := rand.New(rand.NewPCG(uint64(sh.rules), 11))
	var lex map[string][]string
	if sh.lex != nil {
		lex = sh.lex()
	}
	c, err := NewCompiler(lex)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < sh.rules; i++ {
		spec := sh.gen(r, i)
		spec.Name = fmt.Sprintf("rule-%d", i)
		if err := c.Add(spec); err != nil {
			b.Fatal(err)
		}
	}
	return c.Finish()
}

// benchScore scores arts with rs and reports articles per second of wall
// clock and of process CPU time (the steadier figure on a busy machine: run
// with -cpu 1 so that only one goroutine scores), and matches per article.
func benchScore(b *testing.B, rs *RuleSet, arts []Article) {
	s := rs.NewScorer()
	matched := 0
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		matched += len(s.Score(arts[i%len(arts)]).Matches)
	}
	if cpu := processCPU() - cpu; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "articles/cpu-s")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(matched)/float64(b.N), "matches/article")
}
