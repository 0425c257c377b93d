package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The benchmarks score generated ~5 KB English articles against generated
// rule sets of 100, 1,000 and 10,000 rules, next to a naive baseline that
// evaluates every rule and rescans the text with strings functions for
// every helper call. Run with:
//
//	go test ./engine -run '^$' -bench Score -cpu 1
//
// Articles are mostly common English words with a sprinkling of topic
// words; rules use topic words (drawn from a vocabulary of 20,000), as an
// analyst's rules name places, groups and actions rather than "the".

var commonWords = strings.Fields(`the of and to in a is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their has would when if will who more no
out so said what up its about into than them can only other new some could time these two may then do first any
my now such like our over man me even most made after also did many before must through back years where much
your way well down should because each just those people how too little state good very make world still own
see men work long get here between both life being under never day same another know while last might us great
old year off come since against go came right used take three officials security forces report city government
police minister week region told province operation attack local group statement members area army sources`)

// topicWord returns the i-th word of a deterministic vocabulary of
// pronounceable made-up words ("balek", "dorim", …).
func topicWord(i int) string {
	cons := "bdfgklmnprstvz"
	vows := "aeiou"
	var b strings.Builder
	for n := i + 1000; n > 0; n /= 70 {
		d := n % 70
		b.WriteByte(cons[d%14])
		b.WriteByte(vows[d/14])
	}
	b.WriteByte(cons[i%14])
	return b.String()
}

const topicVocab = 20000

// genArticle builds an article of about 5 KB: sentences of common words
// with one topic word in ten.
func genArticle(r *rand.Rand) Article {
	var b strings.Builder
	words := 0
	for b.Len() < 5000 {
		n := 8 + r.IntN(16)
		for i := 0; i < n; i++ {
			w := commonWords[r.IntN(len(commonWords))]
			if r.IntN(10) == 0 {
				w = topicWord(r.IntN(topicVocab))
			}
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			if r.IntN(12) == 0 {
				fmt.Fprintf(&b, "%d ", r.IntN(500))
			}
			b.WriteString(w)
			words++
		}
		b.WriteString(". ")
		if r.IntN(5) == 0 {
			b.WriteString("\n")
		}
	}
	title := "Report on " + topicWord(r.IntN(topicVocab)) + " and " + topicWord(r.IntN(topicVocab))
	a := Article{Title: title, Body: b.String(), Source: "bench"}
	a.ID = fmt.Sprintf("bench:%d", r.Uint64())
	return a
}

// genRule builds one rule of the shapes analysts write: its when
// expression, and for some rules polarity: asserted and event fields.
func genRule(r *rand.Rand) RuleSpec {
	w := func() string { return topicWord(r.IntN(topicVocab)) }
	var spec RuleSpec
	switch r.IntN(6) {
	case 0:
		spec.When = fmt.Sprintf(`mentions(%q, %q)`, w(), w())
	case 1:
		spec.When = fmt.Sprintf(`mentions(%q) && near(%q, [%q, %q], 10)`, w()+"~", w()[:4]+"*", w(), w()+" "+w())
	case 2:
		spec.When = fmt.Sprintf(`count(%q, %q) >= 2 || in_title(%q)`, w(), w(), w())
	case 3:
		spec.When = fmt.Sprintf(`same_sentence(%q, [%q, %q])`, w(), w(), w())
	case 4:
		spec.When = fmt.Sprintf(`before(%q, [%q, %q], 8) && mentions(%q)`, w()+"~", w(), w(), w())
		spec.Polarity = "asserted"
	default:
		spec.When = fmt.Sprintf(`any(numbers_near(%q, 4), # >= 50) && mentions(%q)`, w(), w())
	}
	if r.IntN(4) == 0 {
		spec.Polarity = "asserted"
	}
	if r.IntN(3) == 0 {
		spec.Fields = []FieldSpec{{Name: "what", Expr: fmt.Sprintf(`matched(%q, %q)`, w(), w())}}
	}
	return spec
}

func genRuleSet(b *testing.B, n int) ([]string, *RuleSet) {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	c, err := NewCompiler(nil)
	if err != nil {
		b.Fatal(err)
	}
	whens := make([]string, n)
	for i := range whens {
		spec := genRule(r)
		spec.Name = fmt.Sprintf("rule-%d", i)
		whens[i] = spec.When
		if err := c.Add(spec); err != nil {
			b.Fatal(err)
		}
	}
	return whens, c.Finish()
}

func genArticles(n int) []Article {
	r := rand.New(rand.NewPCG(42, 42))
	arts := make([]Article, n)
	for i := range arts {
		arts[i] = genArticle(r)
	}
	return arts
}

func BenchmarkScore(b *testing.B) {
	arts := genArticles(64)
	for _, n := range []int{100, 1000, 10000} {
		whens, rs := genRuleSet(b, n)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			s := rs.NewScorer()
			matched := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				matched += len(s.Score(arts[i%len(arts)]).Matches)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
			b.ReportMetric(float64(matched)/float64(b.N), "matches/article")
		})
		if n > 1000 {
			continue // the baseline takes minutes at 10,000 rules
		}
		b.Run(fmt.Sprintf("naive/rules=%d", n), func(b *testing.B) {
			nv := newNaive(b, whens)
			matched := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				matched += nv.score(arts[i%len(arts)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
			b.ReportMetric(float64(matched)/float64(b.N), "matches/article")
		})
	}
	for _, sh := range shapes {
		rs := sh.build(b)
		sarts := arts
		if sh.arts != nil {
			sarts = sh.arts(arts)
		}
		b.Run(fmt.Sprintf("shape=%s/rules=%d", sh.name, sh.rules), func(b *testing.B) { benchScore(b, rs, sarts, sh.setup, sh.render) })
	}
}

// naive is the baseline: every rule is evaluated for every article, and
// each helper call lower-cases and rescans the text with strings functions.
type naive struct {
	progs []*vm.Program
	env   *naiveEnv
}

type naiveEnv struct {
	Title, Body string
}

func newNaive(b testing.TB, whens []string) *naive {
	env := &naiveEnv{}
	terms := func(args []any) []string {
		var out []string
		for _, a := range args {
			switch x := a.(type) {
			case string:
				out = append(out, x)
			case []any:
				for _, e := range x {
					out = append(out, e.(string))
				}
			}
		}
		return out
	}
	positions := func(ts []string) []int {
		text := strings.ToLower(env.Title + "\n" + env.Body)
		var pos []int
		for _, t := range ts {
			t = strings.ToLower(strings.TrimRight(t, "*~"))
			for off := 0; ; {
				i := strings.Index(text[off:], t)
				if i < 0 {
					break
				}
				// Token position: words before the match.
				pos = append(pos, len(strings.Fields(text[:off+i])))
				off += i + len(t)
			}
		}
		return pos
	}
	opts := []expr.Option{expr.Env(env), expr.AsBool(),
		expr.Function("mentions", func(p ...any) (any, error) { return len(positions(terms(p))) > 0, nil }),
		expr.Function("count", func(p ...any) (any, error) { return len(positions(terms(p))), nil }),
		expr.Function("in_title", func(p ...any) (any, error) {
			for _, t := range terms(p) {
				if strings.Contains(strings.ToLower(env.Title), strings.ToLower(strings.TrimRight(t, "*~"))) {
					return true, nil
				}
			}
			return false, nil
		}),
		expr.Function("near", func(p ...any) (any, error) {
			a, bb := positions(terms(p[:1])), positions(terms(p[1:2]))
			for _, x := range a {
				for _, y := range bb {
					if x-y <= p[2].(int) && y-x <= p[2].(int) {
						return true, nil
					}
				}
			}
			return false, nil
		}),
		expr.Function("before", func(p ...any) (any, error) {
			a, bb := positions(terms(p[:1])), positions(terms(p[1:2]))
			for _, x := range a {
				for _, y := range bb {
					if y > x && y-x <= p[2].(int) {
						return true, nil
					}
				}
			}
			return false, nil
		}),
		expr.Function("same_sentence", func(p ...any) (any, error) {
			for _, s := range strings.Split(strings.ToLower(env.Body), ". ") {
				if containsAny(s, terms(p[:1])) && containsAny(s, terms(p[1:2])) {
					return true, nil
				}
			}
			return false, nil
		}),
		expr.Function("numbers_near", func(p ...any) (any, error) {
			words := strings.Fields(strings.ToLower(env.Body))
			out := []float64{}
			for _, at := range positions(terms(p[:1])) {
				for k := max(at-p[1].(int), 0); k <= at+p[1].(int) && k < len(words); k++ {
					var f float64
					if _, err := fmt.Sscanf(words[k], "%g", &f); err == nil {
						out = append(out, f)
					}
				}
			}
			return out, nil
		}),
	}
	nv := &naive{env: env}
	for _, w := range whens {
		p, err := expr.Compile(w, opts...)
		if err != nil {
			b.Fatal(err)
		}
		nv.progs = append(nv.progs, p)
	}
	return nv
}

func containsAny(s string, ts []string) bool {
	for _, t := range ts {
		if strings.Contains(s, strings.ToLower(strings.TrimRight(t, "*~"))) {
			return true
		}
	}
	return false
}

func (nv *naive) score(a Article) int {
	nv.env.Title, nv.env.Body = a.Title, a.Body
	n := 0
	var m vm.VM
	for _, p := range nv.progs {
		out, err := m.Run(p, nv.env)
		if err == nil && out == true {
			n++
		}
	}
	return n
}

// TestGeneratedRulesAgreeWithNaive checks that the fast matcher finds the
// generated rules' matches on generated articles where the naive baseline,
// which ignores word boundaries, also finds them: the baseline can only
// over-match.
func TestGeneratedRulesAgreeWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	c, _ := NewCompiler(nil)
	var whens []string
	for i := 0; i < 300; i++ {
		spec := genRule(r)
		spec.Name = fmt.Sprintf("g%d", i)
		whens = append(whens, spec.When)
		if err := c.Add(spec); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Finish()
	nv := newNaive(t, whens)
	s := rs.NewScorer()
	total := 0
	for _, a := range genArticles(20) {
		fast := len(s.Score(a).Matches)
		slow := nv.score(a)
		total += fast
		if fast > slow {
			t.Errorf("fast matcher found %d matches, naive scan only %d", fast, slow)
		}
	}
	if total == 0 {
		t.Error("generated rules never matched generated articles; the benchmark would measure nothing")
	}
}
