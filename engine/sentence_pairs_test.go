package engine

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// sentenceTexts are random texts full of what ends sentences and what
// looks like it: terminators, abbreviations, decimals, closers, line
// breaks, and characters that normalising rewrites (so that normalised
// and original offsets differ).
func sentenceTexts(r *rand.Rand, n int) []string {
	return randomTexts(r, n, 50, "alpha ", "beta ", "Gamma ", "the ", "ﬁre ", "Ⅻ ", "café ", ". ", "! ", "? ", "… ", "...", "Dr. ",
		"U.S. ", "3.5 ", "1. ", "“", "” ", "’", "\") ", "\n", "\n\n", "\r\n", "\u2028", "\u0085", "؟ ", "۔ ", "قال ", "x.y ", "a.m. ", "; ", "—")
}

// TestOneSentence holds oneSentence, which relates most pairs of words
// without splitting the text, to the sentence ids of the split
// text, for every pair of tokens of random texts and titles.
func TestOneSentence(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	texts := sentenceTexts(r, 400)
	var ref, a analysis
	var fast [2]int // pairs told without splitting: in two sentences, in one
	for i, body := range texts {
		title := texts[(i+1)%len(texts)]
		if i%3 == 0 {
			title = ""
		}
		ref.reset(title, body, 0, true)
		want := ref.sentenceIDs()
		a.reset(title, body, 0, true)
		for p := range a.toks {
			for q := p; q < len(a.toks) && q <= p+30; q++ {
				a.sentDone, a.relateBudget = false, 1<<30
				got := a.oneSentence(int32(p), int32(q))
				if !a.sentDone {
					if got {
						fast[1]++
					} else {
						fast[0]++
					}
				}
				if got != (want[p] == want[q]) {
					t.Fatalf("title %q body %q: tokens %d and %d in one sentence: %v, split says %v", title, body, p, q, got, want[p] == want[q])
				}
				// Either order.
				a.sentDone = false
				if a.oneSentence(int32(q), int32(p)) != got {
					t.Fatalf("title %q body %q: tokens %d and %d: order matters", title, body, p, q)
				}
			}
		}
	}
	if fast[0] < 1000 || fast[1] < 1000 {
		t.Errorf("pairs told without splitting: %d in two sentences, %d in one", fast[0], fast[1])
	}
}

// TestSentencePairs compares same_sentence's and before's answers and
// events with the same functions read from the sentence ids directly, on
// random position lists of random texts.
func TestSentencePairs(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	texts := sentenceTexts(r, 300)
	e := &Env{a: &analysis{}}
	var ref analysis
	positions := func(n int) []int32 {
		var out []int32
		for p := range n {
			if r.IntN(4) == 0 {
				out = append(out, int32(p))
			}
		}
		return out
	}
	for _, body := range texts {
		ref.reset("", body, 0, true)
		sent := ref.sentenceIDs()
		for range 5 {
			x, y := positions(len(sent)), positions(len(sent))
			type run struct {
				ok     bool
				events []int32
			}
			// Answers and events of the functions as they read the ids.
			var want [2]run
			for i, p := range x {
				for _, q := range y {
					if sent[p] == sent[q] {
						want[0].ok = true
						if len(want[0].events) < maxEvents && !slices.Contains(want[0].events, x[i]) {
							want[0].events = append(want[0].events, p)
						}
					}
				}
			}
			n := 1 + r.IntN(6)
			for _, p := range x {
				for _, q := range y {
					if q > p && int(q) <= int(p)+n && sent[p] == sent[q] {
						want[1].ok = true
						want[1].events = append(want[1].events, p, q)
						break
					}
				}
				if want[1].ok && len(want[1].events) >= maxEvents {
					break
				}
			}
			for k, f := range []func() bool{
				func() bool { return e.sameSentence(x, y) },
				func() bool { return e.before(x, y, n) },
			} {
				e.a.reset("", body, 0, true)
				e.events = e.events[:0]
				got := run{f(), slices.Clone(e.events)}
				if len(got.events) == 0 {
					got.events = nil
				}
				if !reflect.DeepEqual(got, want[k]) {
					t.Fatalf("%q: %v and %v (n %d), function %d: got %+v, want %+v", body, x, y, n, k, got, want[k])
				}
				// Without events (no summary): the same answer.
				e.a.reset("", body, 0, true)
				e.noEvents = true
				ok := f()
				e.noEvents = false
				if ok != want[k].ok {
					t.Fatalf("%q: %v and %v (n %d), function %d without events: %v, want %v", body, x, y, n, k, ok, want[k].ok)
				}
			}
		}
	}
}
