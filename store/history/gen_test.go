package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
)

// shippedPack loads the rule pack the binary embeds.
func shippedPack(t testing.TB) *engine.RuleSet {
	t.Helper()
	set, err := rules.LoadFS(watchfloor.RulePack(), "embedded:rules.d")
	if err != nil {
		t.Fatal(err)
	}
	return set.Rules
}

// loadRules compiles a rules directory written from files (name →
// content).
func loadRules(t testing.TB, files map[string]string) *engine.RuleSet {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set.Rules
}

// openStore opens a fresh store in a temporary directory.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// commit stores the articles as seen one second apart from base, in
// order, in batches of one transaction each.
func commit(t testing.TB, st *store.Store, base time.Time, arts []engine.Article) {
	t.Helper()
	const batch = 500
	for i := 0; i < len(arts); i += batch {
		var cs []store.Commit
		for j, a := range arts[i:min(i+batch, len(arts))] {
			a.EnsureID()
			cs = append(cs, store.Commit{Article: store.ArticleRecord{
				ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Lang: a.Lang, Body: a.Body,
				Published: a.Published, SeenAt: base.Add(time.Duration(i+j) * time.Second),
			}})
		}
		ok, err := st.CommitArticles(context.Background(), cs)
		if err != nil {
			t.Fatal(err)
		}
		for j, o := range ok {
			if !o {
				t.Fatalf("article %s stored twice", cs[j].Article.ID)
			}
		}
	}
}

// seedArticles reads testdata/seeds.
func seedArticles(t testing.TB) []engine.Article {
	t.Helper()
	paths, err := filepath.Glob("../../testdata/seeds/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("seeds: %v %v", paths, err)
	}
	var out []engine.Article
	for _, p := range paths {
		arts, err := ingest.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, arts...)
	}
	return out
}

var sentenceEnd = regexp.MustCompile(`[.!?]["”’]?\s+`)

// seedSentences splits the seeds' bodies into sentences.
func seedSentences(t testing.TB) []string {
	var out []string
	for _, a := range seedArticles(t) {
		for _, line := range strings.Split(a.Body, "\n") {
			for _, s := range sentenceEnd.Split(line, -1) {
				if s = strings.TrimSpace(s); len(strings.Fields(s)) >= 5 {
					out = append(out, strings.TrimRight(s, ".")+".")
				}
			}
		}
	}
	return out
}

// Words for generated news text: common words, and words the shipped
// pack's lexicons know, so that generated sentences wake rules up without
// necessarily matching them.
var (
	commonWords = strings.Fields(`the of and to in a is that for it as was with be by on not he this are or his
from at which but have an they were there been one all their has would when if will who more no out so said what
up its about into than them can only other new some could time these two may then first any now such over even
most made after also did many before must through back years where much well down should because each just those
how too little state good very make world still own see men work long get here between both life being under
never day same another know while last might great old year off come since against go came right used take three
officials security forces report city government police minister week region told province operation attack
local group statement members area army sources market bridge council election budget water power prices farmers`)
	newsWords = strings.Fields(`Baghdad Mosul Kirkuk Anbar Erbil Basra Diyala Fallujah Ramadi Tikrit Syria Damascus
killed wounded arrested detained captured bomb blast explosion gunmen militants suicide car roadside ambush
ISIS Daesh Islamic insurgents fighters commander leader emir network cell smuggling border crossing funds
raid troops soldiers civilians villagers Peshmerga Kurdistan federal coordination cooperation intelligence
foiled thwarted plot weapons explosives dozens hundreds five twelve 160 40 seven`)
	// Arabic sentences written for these tests.
	arabicSentences = []string{
		"أعلنت قيادة العمليات المشتركة اعتقال عشرة من عناصر داعش في محافظة الأنبار.",
		"قتل ثلاثة مدنيين وأصيب خمسة آخرون بانفجار عبوة ناسفة في قضاء الطارمية.",
		"وقالت خلية الإعلام الأمني إن القوات الأمنية نفذت عملية تفتيش في صحراء الموصل.",
		"وناقش المجلس خطط الري وأسعار الكهرباء في الصيف المقبل.",
	}
)

// genArticles makes n varied articles of one to five kilobytes: sentences
// of the seeds mixed with generated sentences of news words, some in
// Arabic, some with a URL and a publication time; about one in five
// carries enough of the seeds to match a rule of the shipped pack.
func genArticles(t testing.TB, n int, seed uint64) []engine.Article {
	t.Helper()
	seedS := seedSentences(t)
	r := rand.New(rand.NewPCG(seed, 99))
	gen := func(topical bool) string {
		var b strings.Builder
		k := 8 + r.IntN(18)
		for i := range k {
			w := commonWords[r.IntN(len(commonWords))]
			if topical && r.IntN(5) == 0 || r.IntN(25) == 0 {
				w = newsWords[r.IntN(len(newsWords))]
			}
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteByte('.')
		return b.String()
	}
	arts := make([]engine.Article, n)
	for i := range arts {
		topical := r.IntN(5) == 0
		size := 1000 + r.IntN(4000)
		var body strings.Builder
		for body.Len() < size {
			switch {
			case topical && r.IntN(3) == 0:
				body.WriteString(seedS[r.IntN(len(seedS))])
			case r.IntN(30) == 0:
				body.WriteString(arabicSentences[r.IntN(len(arabicSentences))])
			default:
				body.WriteString(gen(topical))
			}
			if r.IntN(4) == 0 {
				body.WriteString("\n")
			} else {
				body.WriteString(" ")
			}
		}
		a := engine.Article{
			Title:  strings.TrimSuffix(gen(topical), "."),
			Body:   body.String(),
			Source: fmt.Sprintf("feed:gen-%d", r.IntN(40)),
		}
		if r.IntN(2) == 0 {
			a.URL = fmt.Sprintf("https://news%d.example.org/2025/%d/story-%d", r.IntN(9), r.IntN(12)+1, i)
		}
		if r.IntN(3) > 0 {
			a.Published = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(86400*30)) * time.Second)
		}
		if r.IntN(10) == 0 {
			a.Lang = "en"
		}
		a.ID = fmt.Sprintf("gen:%d:%d", seed, i)
		arts[i] = a
	}
	return arts
}
