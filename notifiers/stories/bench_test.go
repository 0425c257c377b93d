package stories

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
)

// synthetic returns n articles of about 250 words drawn from a vocabulary
// of 20,000 words, each with its own URL and title.
func synthetic(n int, seed int64) []member {
	r := rand.New(rand.NewSource(seed))
	vocab := make([]string, 20000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%x", r.Int63()&0xffffff)
	}
	out := make([]member, n)
	var b strings.Builder
	for i := range out {
		b.Reset()
		for j := 0; j < 250; j++ {
			b.WriteString(vocab[r.Intn(len(vocab))])
			b.WriteByte(' ')
		}
		title := fmt.Sprintf("Report %d on %s %s %s", i, vocab[r.Intn(len(vocab))], vocab[r.Intn(len(vocab))], vocab[r.Intn(len(vocab))])
		out[i] = member{articleID: fmt.Sprintf("https://news%d.example/%d", seed, i), urlKey: URLKey(fmt.Sprintf("https://news%d.example/story/%d", seed, i)), titleKey: TitleKey(title)}
		sig, _ := Sign(title, b.String())
		out[i].sig = &sig
	}
	return out
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkIndexMemory reports the memory the index holds for 10,000
// recent articles (members, their signatures, keys and map entries).
func BenchmarkIndexMemory(b *testing.B) {
	const n = 10000
	src := synthetic(n, 1)
	b.ResetTimer()
	var per float64
	for i := 0; i < b.N; i++ {
		before := heap()
		ix := &Index{o: Options{Window: DefaultWindow, Threshold: DefaultThreshold}, byArticle: map[string]*member{}, byURL: map[string]*member{},
			byTitle: map[string]*member{}, byBand: map[uint64][]*member{}}
		now := time.Now()
		for j := range src {
			m := src[j] // copied: the index owns its members
			m.articleID = strings.Clone(m.articleID)
			m.urlKey, m.titleKey = strings.Clone(m.urlKey), strings.Clone(m.titleKey)
			sig := *m.sig
			m.sig = &sig
			m.st = &storyState{id: "st_0123456789abcdef01234567", firstAlertID: "wf_0123456789abcdef0123456789abcdef", firstArticleID: m.articleID}
			m.seen = now
			ix.add(&m)
		}
		after := heap()
		per = float64(after-before) / n
		runtime.KeepAlive(ix)
	}
	b.ReportMetric(per, "bytes/article")
	b.ReportMetric(per*10000/(1<<20), "MiB/10k-articles")
}

// BenchmarkLookup measures finding the story of an article in an index of
// 10,000 recent articles (the article already signed): what grows with
// the window's content, and nothing else.
func BenchmarkLookup(b *testing.B) {
	ix := &Index{o: Options{Window: DefaultWindow, Threshold: DefaultThreshold}, byArticle: map[string]*member{}, byURL: map[string]*member{},
		byTitle: map[string]*member{}, byBand: map[uint64][]*member{}}
	src := synthetic(10000, 1)
	for i := range src {
		src[i].st = &storyState{id: fmt.Sprint(i)}
		ix.add(&src[i])
	}
	probe := synthetic(1000, 2)
	runtime.GC()
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		ix.lookup(&probe[i%len(probe)])
	}
	reportCPU(b, cpu, "lookups/cpu-s")
}

// BenchmarkSign measures signing an article of 250 words.
func BenchmarkSign(b *testing.B) {
	body := strings.Repeat(baseBody+" ", 2)
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		Sign(baseTitle, body)
	}
	reportCPU(b, cpu, "articles/cpu-s")
}

// BenchmarkAssign measures Assign with its store write (a real SQLite
// file, synchronous=FULL) on an index holding 10,000 recent articles.
func BenchmarkAssign(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st := openStore(&testing.T{}, dir)
	defer st.Close()
	now := time.Now()
	ix, err := Open(ctx, st, Options{}, now)
	if err != nil {
		b.Fatal(err)
	}
	src := synthetic(10000, 1)
	for i := range src {
		src[i].st = &storyState{id: fmt.Sprint(i)}
		src[i].seen = now
		ix.add(&src[i])
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		a := article(fmt.Sprintf("p%d", i), fmt.Sprintf("https://probe.example/%d", i), fmt.Sprintf("Probe number %d of the index", i), baseBody)
		if _, err := ix.Assign(ctx, a, "wf", now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "assigns/s")
}

// reportCPU reports b.N per CPU second of the process since cpu.
func reportCPU(b *testing.B, cpu time.Duration, unit string) {
	if used := cputime.Process() - cpu; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), unit)
	}
}
