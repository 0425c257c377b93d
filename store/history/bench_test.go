package history

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/store"
)

// benchArticles is the size of the history the benchmarks replay.
const benchArticles = 20000

// BenchmarkReplay replays a store of 20,000 generated articles (1-5 KB,
// seeds' sentences mixed with generated news text) in a real SQLite file
// with the shipped pack, on every core. Each run replays the whole store;
// it reports articles per second of wall-clock time and per CPU-second
// (user and system time of the process, steadier on a shared machine).
// The parts say where the time goes:
//
//	read       store.Articles alone: the SQLite rows, one goroutine
//	score      the articles in memory, scored on every core, no store
//	backtest   Replay with one rule set as backtest's text report scores:
//	           no summaries, no evidence
//	classify   Replay as backtest --format json scores: every article summarised
//	diff       Replay with two rule sets (diff, Impact)
//
// gogc=400 runs with the garbage collector set as the backtest and diff
// commands set it (the daemon's Impact runs with the process's setting).
//
// Run with:
//
//	go test ./history -run '^$' -bench Replay -benchtime 3x
func BenchmarkReplay(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	arts := genArticles(b, benchArticles, 1)
	commit(b, st, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), arts)
	rs := shippedPack(b)
	b.Logf("%d rules, %d articles, GOMAXPROCS %d", rs.Len(), benchArticles, runtime.GOMAXPROCS(0))

	report := func(b *testing.B, n int, cpu0 time.Duration) {
		cpu := cputime.Process() - cpu0
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
		if cpu > 0 {
			b.ReportMetric(float64(n)/cpu.Seconds(), "articles/cpu-s")
		}
		b.ReportMetric(0, "ns/op")
	}
	b.Run("read", func(b *testing.B) {
		n, cpu0 := 0, cputime.Process()
		for b.Loop() {
			for _, err := range st.Articles(ctx, time.Time{}, time.Time{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		report(b, n, cpu0)
	})
	b.Run("score", func(b *testing.B) {
		n, cpu0 := 0, cputime.Process()
		for b.Loop() {
			n += scoreParallel(rs, arts)
		}
		report(b, n, cpu0)
	})
	for _, tt := range []struct {
		name string
		sets []*engine.RuleSet
		opt  Options
		gc   int // GOGC while replaying; 0 leaves it
	}{
		{"backtest", []*engine.RuleSet{rs}, Options{NoEvidence: true}, 0},
		{"backtest/gogc=400", []*engine.RuleSet{rs}, Options{NoEvidence: true}, 400},
		{"classify/gogc=400", []*engine.RuleSet{rs}, Options{Summaries: true}, 400},
		{"diff", []*engine.RuleSet{rs, rs}, Options{}, 0},
		{"diff/gogc=400", []*engine.RuleSet{rs, rs}, Options{}, 400},
	} {
		b.Run(tt.name, func(b *testing.B) {
			if tt.gc > 0 {
				defer debug.SetGCPercent(debug.SetGCPercent(tt.gc))
			}
			n, matches, cpu0 := 0, 0, cputime.Process()
			for b.Loop() {
				k, err := Replay(ctx, st, tt.sets, tt.opt, func(_ store.StoredArticle, res []engine.Result) error {
					matches += len(res[0].Matches)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				n += k
			}
			report(b, n, cpu0)
			b.ReportMetric(float64(matches)/float64(n), "matches/article")
		})
	}
}

// scoreParallel scores arts on every core, each worker with its own
// Scorer, and returns how many it scored.
func scoreParallel(rs *engine.RuleSet, arts []engine.Article) int {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			sc := rs.NewScorer()
			sc.SummarySentences = -1
			for i := w; i < len(arts); i += workers {
				sc.Score(arts[i])
			}
		})
	}
	wg.Wait()
	return len(arts)
}

// TestBenchArticlesMatch keeps the benchmark honest: the generated
// history matches the shipped pack's rules now and then, as news does,
// neither never nor always.
func TestBenchArticlesMatch(t *testing.T) {
	arts := genArticles(t, 2000, 1)
	sc := shippedPack(t).NewScorer()
	matched, rulesSeen := 0, map[string]bool{}
	for _, a := range arts {
		res := sc.Score(a)
		if len(res.Matches) > 0 {
			matched++
		}
		for _, m := range res.Matches {
			rulesSeen[m.Rule] = true
		}
	}
	t.Logf("%d of %d articles matched; rules matched: %v", matched, len(arts), rulesSeen)
	if matched < len(arts)/50 || matched > len(arts)/2 || len(rulesSeen) < 3 {
		t.Errorf("%d of %d generated articles matched, %d rules: not news-like", matched, len(arts), len(rulesSeen))
	}
}

// BenchmarkReplayCorpus replays a store of the development corpus (2,168
// real wire and web reports, 1-2 KB on average: MUC-4, re3d and CENTCOM),
// which sits beside the repository, with the shipped pack as backtest's
// text report replays it (gogc=400, no summaries, no evidence). It
// complements BenchmarkReplay's
// generated history, whose articles are longer (3 KB on average) and
// denser in the pack's words. WATCHFLOOR_DEV_CORPUS names another copy.
func BenchmarkReplayCorpus(b *testing.B) {
	dir := os.Getenv("WATCHFLOOR_DEV_CORPUS")
	if dir == "" {
		dir = "../../../shared/corpus/dev"
	}
	var arts []engine.Article
	for _, name := range []string{"muc4", "re3d", "centcom"} {
		got, err := ingest.ReadFile(filepath.Join(dir, name, "articles.jsonl"))
		if err != nil {
			b.Skipf("development corpus not readable at %s (it is not part of the repository): %v", dir, err)
		}
		arts = append(arts, got...)
	}
	bytes := 0
	for _, a := range arts {
		bytes += len(a.Title) + len(a.Body)
	}
	ctx := context.Background()
	st := openStore(b)
	commit(b, st, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), arts)
	rs := shippedPack(b)
	b.Logf("%d articles, %d bytes on average", len(arts), bytes/len(arts))
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	n, matches, cpu0 := 0, 0, cputime.Process()
	for b.Loop() {
		k, err := Replay(ctx, st, []*engine.RuleSet{rs}, Options{NoEvidence: true}, func(_ store.StoredArticle, res []engine.Result) error {
			matches += len(res[0].Matches)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	cpu := cputime.Process() - cpu0
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "articles/cpu-s")
	b.ReportMetric(float64(matches)/float64(n), "matches/article")
	b.ReportMetric(0, "ns/op")
}
