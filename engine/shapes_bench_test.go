package engine

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/cputime"
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
	// setup, when set, adjusts the Scorer (to time an older way).
	setup func(*Scorer)
	// render also marshals each result to JSON, as classify --format json
	// and the daemon's alerts do, so that work left for later is counted.
	render bool
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
	// Many rules matching each article: 1,000 rules whose terms are words
	// found in 3–25% of the paragraphs of the real articles under
	// testdata/seeds, scored on those articles: with snippets cut while
	// scoring (the default), with LazySnippets, and each also marshalled
	// to JSON; and with evidence built per rule, as before it was shared.
	{name: "common-words", rules: 1000, gen: commonWordRule, arts: realArticles},
	{name: "common-words-lazy", rules: 1000, gen: commonWordRule, arts: realArticles, setup: lazyScorer},
	{name: "common-words-json", rules: 1000, gen: commonWordRule, arts: realArticles, render: true},
	{name: "common-words-lazy-json", rules: 1000, gen: commonWordRule, arts: realArticles, setup: lazyScorer, render: true},
	{name: "common-words-before", rules: 1000, gen: commonWordRule, arts: realArticles, setup: before},
}

// lazyScorer makes a Scorer leave snippets to be cut when the result is
// marshalled.
func lazyScorer(s *Scorer) { s.LazySnippets = true }

// before makes a Scorer build its matches as it did before evidence was
// shared between rules, for comparison in the same run.
func before(s *Scorer) {
	s.evidenceHook = evidenceUnshared
}

// realArticles returns the articles under testdata/seeds, in place of the
// generated ones.
func realArticles([]Article) []Article {
	var out []Article
	for i, t := range englishSeeds() {
		out = append(out, Article{ID: fmt.Sprintf("seed:%d", i), Title: t[0], Body: t[1], Source: "bench"})
	}
	return out
}

// englishSeeds returns the title and body of each article under
// testdata/seeds.
func englishSeeds() [][2]string {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "seeds", "*.txt"))
	var out [][2]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		title, body, _ := strings.Cut(string(b), "\n")
		out = append(out, [2]string{title, body})
	}
	return out
}

// commonVocab returns the words whose document frequency over the
// paragraphs of the seed articles is between 3% and 25%, in a stable order.
var commonVocab = sync.OnceValue(func() []string {
	df := map[string]int{}
	docs := 0
	for _, t := range englishSeeds() {
		for _, para := range strings.Split(t[0]+"\n"+t[1], "\n") {
			if strings.TrimSpace(para) == "" {
				continue
			}
			docs++
			seen := map[string]bool{}
			for _, tok := range refTokens("", para) {
				if !seen[tok.lower] && utf8.RuneCountInString(tok.lower) > 1 {
					seen[tok.lower] = true
					df[tok.lower]++
				}
			}
		}
	}
	var out []string
	for w, n := range df {
		if f := float64(n) / float64(docs); f >= 0.03 && f <= 0.25 {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
})

// commonWordRule is genRule's shapes over commonVocab.
func commonWordRule(r *rand.Rand, _ int) RuleSpec {
	vocab := commonVocab()
	w := func() string { return vocab[r.IntN(len(vocab))] }
	var spec RuleSpec
	switch r.IntN(6) {
	case 0:
		spec.When = fmt.Sprintf(`mentions(%q, %q)`, w(), w())
	case 1:
		spec.When = fmt.Sprintf(`mentions(%q) && near(%q, [%q, %q], 10)`, w()+"~", w(), w(), w()+" "+w())
	case 2:
		spec.When = fmt.Sprintf(`count(%q, %q) >= 2 || in_title(%q)`, w(), w(), w())
	case 3:
		spec.When = fmt.Sprintf(`same_sentence(%q, [%q, %q])`, w(), w(), w())
	case 4:
		spec.When = fmt.Sprintf(`before(%q, [%q, %q], 8) || mentions(%q)`, w(), w(), w(), w())
	default:
		spec.When = fmt.Sprintf(`any(numbers_near(%q, 4), # >= 2) || mentions(%q)`, w(), w())
	}
	if r.IntN(4) == 0 {
		spec.Polarity = "asserted"
	}
	if r.IntN(3) == 0 {
		spec.Fields = []FieldSpec{{Name: "what", Expr: fmt.Sprintf(`matched(%q, %q)`, w(), w())}}
	}
	return spec
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
func benchScore(b *testing.B, rs *RuleSet, arts []Article, setup func(*Scorer), render bool) {
	s := rs.NewScorer()
	if setup != nil {
		setup(s)
	}
	matched := 0
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		res := s.Score(arts[i%len(arts)])
		matched += len(res.Matches)
		if render {
			if _, err := json.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	}
	if cpu := cputime.Process() - cpu; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "articles/cpu-s")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(matched)/float64(b.N), "matches/article")
}
