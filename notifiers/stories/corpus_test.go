package stories

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The development corpus (real news texts with answer keys) is not part of
// the repository; TestCorpusThreshold measures the near-duplicate test on
// it where CI puts it, beside the repository (WATCHFLOOR_DEV_CORPUS names
// another copy), and is skipped when there is none. It reports, at the chosen threshold:
//   - rewrites: each text against a copy edited as republishers do (new
//     headline, a boilerplate line, the last paragraph dropped, one word in
//     twenty changed): they should join;
//   - distinct events: pairs of MUC-4 reports dated within two days of each
//     other that share no answer-key incident, consecutive daily CENTCOM
//     strike reports (one template, different strikes), and all pairs of
//     re3d documents: they should not join;
//   - MUC-4 pairs that share an answer-key incident (same type, date and
//     place): different reports of one event, which text similarity joins
//     only when one copies the other.

type corpusDoc struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Published string `json:"published"`
}

type corpusLabel struct {
	ID        string `json:"id"`
	Incidents []struct {
		Type     string `json:"type"`
		Date     string `json:"date"`
		Location string `json:"location"`
		Optional bool   `json:"optional"`
	} `json:"incidents"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// joins reports whether the index would join b to a by text: a band in
// common and an estimated similarity at the threshold.
func joins(a, b *Signature, threshold float64) bool {
	for i := 0; i < bands; i++ {
		if a.bandKey(i) == b.bandKey(i) {
			return Similarity(a, b) >= threshold
		}
	}
	return false
}

type pairStats struct {
	name   string
	sims   []float64
	joined int
	banded int // pairs with a band in common
	ids    []string
}

func (p *pairStats) add(a, b *Signature, ids ...string) {
	p.sims = append(p.sims, Similarity(a, b))
	if joins(a, b, 0) {
		p.banded++
	}
	if joins(a, b, DefaultThreshold) {
		p.joined++
		p.ids = append(p.ids, strings.Join(ids, "~"))
	}
}

func (p *pairStats) String() string {
	sort.Float64s(p.sims)
	q := func(f float64) float64 {
		if len(p.sims) == 0 {
			return 0
		}
		return p.sims[min(int(f*float64(len(p.sims))), len(p.sims)-1)]
	}
	return fmt.Sprintf("%-34s pairs %7d  joined %6d (%.4f)  similarity p50 %.2f p90 %.2f p99 %.2f max %.2f",
		p.name, len(p.sims), p.joined, float64(p.joined)/float64(max(len(p.sims), 1)), q(.5), q(.9), q(.99), q(1))
}

// rewrite edits a text as a republisher does.
func rewrite(r *rand.Rand, title, body string) (string, string) {
	paras := strings.Split(body, "\n\n")
	if len(paras) == 1 {
		paras = strings.Split(body, "\n")
	}
	if len(paras) > 3 {
		paras = paras[:len(paras)-1]
	}
	body = "Skip to main content\n" + strings.Join(paras, "\n\n") + "\nRead more from our correspondents."
	w := strings.Fields(body)
	for i := range w {
		if r.Intn(20) == 0 {
			w[i] = "edited"
		}
	}
	return "Update: " + title + " - Wire", strings.Join(w, " ")
}

func TestCorpusThreshold(t *testing.T) {
	// The development corpus sits beside the repository (CI has it
	// there); WATCHFLOOR_DEV_CORPUS names another copy.
	dir := os.Getenv("WATCHFLOOR_DEV_CORPUS")
	if dir == "" {
		dir = "../../../shared/corpus/dev"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("development corpus not found at %s (it is not part of the repository): %v", dir, err)
	}
	r := rand.New(rand.NewSource(1))
	rewrites := &pairStats{name: "rewrites (should join)"}
	sign := func(d corpusDoc) (*Signature, bool) {
		s, ok := Sign(d.Title, d.Body)
		return &s, ok
	}
	load := func(name string) ([]corpusDoc, []*Signature) {
		docs := readJSONL[corpusDoc](t, filepath.Join(dir, name, "articles.jsonl"))
		sigs := make([]*Signature, len(docs))
		for i, d := range docs {
			if s, ok := sign(d); ok {
				sigs[i] = s
				t2, b2 := rewrite(r, d.Title, d.Body)
				if s2, ok := Sign(t2, b2); ok {
					rewrites.add(s, &s2)
				}
			}
		}
		return docs, sigs
	}
	muc, mucSig := load("muc4")
	cc, ccSig := load("centcom")
	re, reSig := load("re3d")
	labels := readJSONL[corpusLabel](t, filepath.Join(dir, "muc4", "labels.jsonl"))

	incidents := make([]map[string]bool, len(muc))
	for i, l := range labels {
		incidents[i] = map[string]bool{}
		for _, in := range l.Incidents {
			if !in.Optional && in.Date != "" && in.Location != "" {
				incidents[i][in.Type+"|"+strings.TrimPrefix(in.Date, "- ")+"|"+in.Location] = true
			}
		}
	}
	dates := make([]time.Time, len(muc))
	for i, d := range muc {
		dates[i], _ = time.Parse("2006-01-02", d.Published)
	}
	same := &pairStats{name: "MUC-4 same incident"}
	distinct := &pairStats{name: "MUC-4 within 2 days, no shared"}
	for i := range muc {
		for j := i + 1; j < len(muc); j++ {
			if mucSig[i] == nil || mucSig[j] == nil {
				continue
			}
			shared := false
			for k := range incidents[i] {
				if incidents[j][k] {
					shared = true
				}
			}
			switch {
			case shared:
				same.add(mucSig[i], mucSig[j], muc[i].ID, muc[j].ID)
			case !dates[i].IsZero() && !dates[j].IsZero() && dates[i].Sub(dates[j]).Abs() <= 48*time.Hour:
				distinct.add(mucSig[i], mucSig[j], muc[i].ID, muc[j].ID)
			}
		}
	}
	daily := &pairStats{name: "CENTCOM consecutive days"}
	for i := 0; i+1 < len(cc); i++ {
		if ccSig[i] != nil && ccSig[i+1] != nil {
			daily.add(ccSig[i], ccSig[i+1], cc[i].ID, cc[i+1].ID)
		}
	}
	reAll := &pairStats{name: "re3d all pairs"}
	for i := range re {
		for j := i + 1; j < len(re); j++ {
			if reSig[i] != nil && reSig[j] != nil {
				reAll.add(reSig[i], reSig[j], re[i].ID, re[j].ID)
			}
		}
	}
	t.Logf("threshold %.2f, %d-word shingles, %d minima in %d bands of %d", DefaultThreshold, shingleWords, sigSize, bands, bandRows)
	for _, p := range []*pairStats{rewrites, same, distinct, daily, reAll} {
		t.Log(p)
	}
	// What the threshold was chosen for: republished copies join, and
	// reports of different events (or of one event told independently)
	// stay apart. A change of threshold, shingles or bands that breaks
	// either fails here.
	rate := func(p *pairStats) float64 { return float64(p.joined) / float64(max(1, len(p.sims))) }
	if r := rate(rewrites); r < 0.90 {
		t.Errorf("%s: %.3f joined, want at least 0.90", rewrites.name, r)
	}
	for _, p := range []*pairStats{distinct, daily, reAll} {
		if r := rate(p); r > 0.01 {
			t.Errorf("%s: %.4f joined, want at most 0.01", p.name, r)
		}
	}
	if os.Getenv("WATCHFLOOR_DEV_CORPUS_SHOW") != "" {
		for _, p := range []*pairStats{rewrites, same, distinct, daily, reAll} {
			t.Logf("%s: %d pairs share a band; joined: %v", p.name, p.banded, p.ids)
			for _, th := range []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7} {
				n := 0
				for _, s := range p.sims {
					if s >= th {
						n++
					}
				}
				t.Logf("%-34s similarity >= %.1f: %d", p.name, th, n)
			}
		}
	}
}
