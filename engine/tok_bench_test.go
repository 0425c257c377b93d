package engine

import "testing"

func BenchmarkTokenize(b *testing.B) {
	arts := genArticles(8)
	var a analysis
	b.SetBytes(int64(len(arts[0].Body)))
	for i := 0; i < b.N; i++ {
		art := arts[i%len(arts)]
		a.toks = a.toks[:0]
		a.fields[1].load(art.Body, true)
		a.tokenize(1)
	}
	b.ReportMetric(float64(len(a.toks)), "tokens")
}
