package rules

import (
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
)

// BenchmarkShippedPack scores the five seeds against the shipped rule pack.
func BenchmarkShippedPack(b *testing.B) {
	set, err := Load("../rules.d")
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob("../testdata/seeds/*.txt")
	var arts []engine.Article
	for _, f := range files {
		a, err := ingest.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		arts = append(arts, a...)
	}
	s := set.Rules.NewScorer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Score(arts[i%len(arts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
