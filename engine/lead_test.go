package engine

import "testing"

// TestInLeadSplitsOnlyTheLead checks in_lead, which splits no more of the
// body than the sentences it asks about, against the sentence ids of the
// whole split, for every body token of the seeds and several lead sizes:
// asked first, after a smaller lead, and after the whole split is known.
func TestInLeadSplitsOnlyTheLead(t *testing.T) {
	texts := append(seedTexts(t),
		[2]string{"One. Two.", "Only one sentence here"},
		[2]string{"", "First. Second. Third."},
		[2]string{"T", "First.\n\nSecond.  \n\n "},
	)
	for _, tt := range []struct {
		name  string
		prime func(a *analysis) // what was split before in_lead asks
	}{
		{"nothing split", func(*analysis) {}},
		{"a shorter lead split", func(a *analysis) { a.leadSentences(fieldBody, 1) }},
		{"a longer lead split", func(a *analysis) { a.leadSentences(fieldBody, 4) }},
		{"the whole body split", func(a *analysis) { a.sentenceIDs() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want, got analysis
			for _, text := range texts {
				want.reset(text[0], text[1], 0, true)
				got.reset(text[0], text[1], 0, true)
				sent := want.sentenceIDs()
				base := int32(max(len(want.sentences(fieldTitle)), 1))
				for k := 1; k <= 4; k++ {
					for p := got.titleToks; p < len(got.toks); p++ {
						got.reset(text[0], text[1], 0, true)
						tt.prime(&got)
						e := &Env{a: &got}
						w := int(sent[p]-base) < k
						if g := e.inLead([]int32{int32(p)}, k); g != w {
							t.Fatalf("%q: in_lead(token %d %q, %d) = %v, want %v", text[0], p, got.rawTok(p), k, g, w)
						}
					}
				}
			}
		})
	}
}
