package engine

import (
	"strings"
	"testing"
)

// BenchmarkTokenize loads and tokenizes article bodies: ASCII text, and
// the same text with curly quotes and an Arabic sentence, as most news is
// (the text then takes the way of text that is not ASCII).
func BenchmarkTokenize(b *testing.B) {
	arts := genArticles(8)
	mixed := make([]Article, len(arts))
	for i, a := range arts {
		body := strings.Replace(a.Body, " the ", " ‘the’ ", 3)
		mixed[i].Body = body[:len(body)/2] + " قتل ثلاثة مدنيين بانفجار عبوة ناسفة في قضاء الطارمية. " + body[len(body)/2:]
	}
	for _, tt := range []struct {
		name string
		arts []Article
	}{{"ascii", arts}, {"mixed", mixed}} {
		b.Run(tt.name, func(b *testing.B) {
			var a analysis
			b.SetBytes(int64(len(tt.arts[0].Body)))
			for i := 0; i < b.N; i++ {
				art := tt.arts[i%len(tt.arts)]
				a.toks = a.toks[:0]
				a.fields[1].load(art.Body, true)
				a.tokenize(1)
			}
			b.ReportMetric(float64(len(a.toks)), "tokens")
		})
	}
}
