package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// negatives are articles written for these tests that the shipped pack
// must not match.
var negatives = []engine.Article{
	{Title: "Council approves new bridge budget", Body: "The city council approved the budget for the new bridge on Tuesday. Work starts in spring.", Source: "feed:local"},
	{Title: "Farmers expect a good harvest", Body: "Rain in April helped the wheat, farmers in the north said. Prices may fall.", Source: "feed:agri", URL: "https://example.org/harvest?utm_source=x"},
	{Title: "Film review: the long night", Body: "The thriller follows a detective through Baghdad at night. It is slow but beautiful.", Source: "feed:culture", Lang: "en",
		Published: time.Date(2025, 5, 30, 8, 0, 0, 0, time.UTC)},
}

// history stores the seeds and the negatives, one second apart.
func history(t *testing.T) (*store.Store, []engine.Article) {
	t.Helper()
	arts := append(seedArticles(t), negatives...)
	st := openStore(t)
	commit(t, st, t0, arts)
	for i := range arts {
		arts[i].EnsureID()
	}
	return st, arts
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBacktestAgreesWithScoring: a backtest of the shipped pack over the
// seeds and the negatives gives, article by article and in the order they
// were seen, the very result scoring the articles directly gives (as
// classify does: every article summarised), on one worker or several.
func TestBacktestAgreesWithScoring(t *testing.T) {
	st, arts := history(t)
	rs := shippedPack(t)
	sc := rs.NewScorer()
	sc.SummarizeAll = true
	var want []string
	wantRules := map[string][]string{}
	for _, a := range arts {
		res := sc.Score(a)
		want = append(want, toJSON(t, res))
		for _, m := range res.Matches {
			wantRules[m.Rule] = append(wantRules[m.Rule], a.ID)
		}
	}
	if len(wantRules) == 0 {
		t.Fatal("no seed matches: the test tests nothing")
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			var got []string
			rep, err := Backtest(context.Background(), st, rs, Options{Workers: workers, Summaries: true}, func(r engine.Result) error {
				got = append(got, toJSON(t, r))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("backtest results differ from scoring:\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if rep.Articles != len(arts) {
				t.Errorf("%d articles replayed, want %d", rep.Articles, len(arts))
			}
			if len(rep.Rules) != rs.Len() {
				t.Errorf("%d rules in the report, want every rule (%d)", len(rep.Rules), rs.Len())
			}
			matched := map[string]bool{}
			for _, rm := range rep.Rules {
				var ids []string
				for _, a := range rm.Articles {
					ids = append(ids, a.ID)
					matched[a.ID] = true
					if a.Score <= 0 || a.Title == "" {
						t.Errorf("%s: %+v", rm.Rule, a)
					}
				}
				if !slices.Equal(ids, wantRules[rm.Rule]) {
					t.Errorf("rule %s matched %v, want %v", rm.Rule, ids, wantRules[rm.Rule])
				}
			}
			if rep.Matched != len(matched) {
				t.Errorf("Matched %d, want %d", rep.Matched, len(matched))
			}
		})
	}
}

// Rules for the diff tests: the edit narrows "iraq-city" from Mosul or
// Kirkuk to Kirkuk or Anbar, drops "bridge", renames "harvest" and leaves
// "weather" alone.
const (
	baseRules = `rules:
  - name: iraq-city
    when: mentions("Mosul", "Kirkuk")
  - name: bridge
    when: mentions("bridge")
  - name: harvest
    when: mentions("harvest")
  - name: weather
    when: mentions("rain")
`
	newRules = `rules:
  - name: iraq-city
    when: mentions("Kirkuk", "Anbar")
    score: 2
  - name: crops
    when: mentions("harvest")
  - name: weather
    when: mentions("rain")
`
)

// diffArticles are written for the diff tests; what each mentions decides
// how the edit changes it.
var diffArticles = []engine.Article{
	{ID: "mosul", Title: "Mosul market reopens", Body: "Traders returned to the old market.", Source: "feed:a"},
	{ID: "kirkuk", Title: "Kirkuk council meets", Body: "Members discussed roads.", Source: "feed:b"},
	{ID: "anbar", Title: "Anbar road repaired", Body: "The road to Rutba is open again.", Source: "feed:c"},
	{ID: "mosul-anbar", Title: "From Mosul to Anbar", Body: "A convoy crossed the desert.", Source: "feed:a"},
	{ID: "bridge", Title: "New bridge in Basra", Body: "The bridge opens next week after rain delays.", Source: "feed:d"},
	{ID: "harvest", Title: "Harvest begins", Body: "Farmers began the harvest.", Source: "feed:e"},
	{ID: "none", Title: "Nothing here", Body: "A quiet day.", Source: "feed:f"},
}

type change struct{ rule, kind, id string }

// TestDiffRuleEdit: the articles an edit newly matches and stops
// matching, per rule, with the match under the rules that matched.
func TestDiffRuleEdit(t *testing.T) {
	st := openStore(t)
	commit(t, st, t0, diffArticles)
	base := loadRules(t, map[string]string{"r.yaml": baseRules})
	next := loadRules(t, map[string]string{"r.yaml": newRules})
	rep, err := Diff(context.Background(), st, base, next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []change
	for _, c := range rep.Changes() {
		got = append(got, change{c.Rule, string(c.Kind), c.Article.ID})
		wantScore := 1.0
		if c.Kind == Added && c.Rule == "iraq-city" {
			wantScore = 2
		}
		if c.Match.Rule != c.Rule || c.Match.Score != wantScore || len(c.Match.Evidence) == 0 || c.Article.Title == "" || c.Article.Source == "" {
			t.Errorf("change %+v", c)
		}
	}
	want := []change{
		{"bridge", "removed", "bridge"},
		{"crops", "added", "harvest"},
		{"harvest", "removed", "harvest"},
		{"iraq-city", "added", "anbar"},
		{"iraq-city", "removed", "mosul"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes %v\nwant %v", got, want)
	}
	if !rep.Changed() || rep.Articles != len(diffArticles) {
		t.Errorf("Changed %v, Articles %d", rep.Changed(), rep.Articles)
	}
	// Against itself nothing changes.
	same, err := Diff(context.Background(), st, base, base, Options{})
	if err != nil || same.Changed() || same.Articles != len(diffArticles) {
		t.Errorf("diff with itself: %+v %v", same, err)
	}
}

// TestImpact: the counts of a reload's impact, its log lines exactly as
// the daemon writes them, and its metrics.
func TestImpact(t *testing.T) {
	st := openStore(t)
	// Two articles seen before the window: they do not count.
	commit(t, st, t0.Add(-48*time.Hour), []engine.Article{
		{ID: "old-anbar", Title: "Anbar", Body: "Old news.", Source: "feed:x"},
		{ID: "old-anbar-2", Title: "Anbar again", Body: "Old news.", Source: "feed:x"},
	})
	commit(t, st, t0, diffArticles)
	base := loadRules(t, map[string]string{"r.yaml": baseRules})
	next := loadRules(t, map[string]string{"r.yaml": newRules})
	rep, err := Impact(context.Background(), st, base, next, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		"rules reloaded: bridge +0 −1 over 7 articles",
		"rules reloaded: crops +1 −0 over 7 articles",
		"rules reloaded: harvest +0 −1 over 7 articles",
		"rules reloaded: iraq-city +1 −1 over 7 articles",
	}
	if got := rep.Lines(); !slices.Equal(got, wantLines) {
		t.Errorf("lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	if len(rep.Rules) != 5 {
		t.Errorf("rules %+v, want the five of either set", rep.Rules)
	}

	var buf bytes.Buffer
	rep.Log(slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), `msg="rules reloaded: iraq-city +1 −1 over 7 articles" rule=iraq-city added=1 removed=1 articles=7`) ||
		strings.Count(buf.String(), "\n") != 4 {
		t.Errorf("log:\n%s", buf.String())
	}
	buf.Reset()
	unchanged, err := Impact(context.Background(), st, base, base, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	unchanged.Log(slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), "rules reloaded: no rule's matches change over 7 articles") {
		t.Errorf("log of no change:\n%s", buf.String())
	}

	reg := prometheus.NewRegistry()
	m, err := NewImpactMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Set(rep)
	want := map[string]float64{
		"watchfloor_reload_impact_articles{change=added,rule=bridge}":      0,
		"watchfloor_reload_impact_articles{change=added,rule=crops}":       1,
		"watchfloor_reload_impact_articles{change=added,rule=harvest}":     0,
		"watchfloor_reload_impact_articles{change=added,rule=iraq-city}":   1,
		"watchfloor_reload_impact_articles{change=added,rule=weather}":     0,
		"watchfloor_reload_impact_articles{change=removed,rule=bridge}":    1,
		"watchfloor_reload_impact_articles{change=removed,rule=crops}":     0,
		"watchfloor_reload_impact_articles{change=removed,rule=harvest}":   1,
		"watchfloor_reload_impact_articles{change=removed,rule=iraq-city}": 1,
		"watchfloor_reload_impact_articles{change=removed,rule=weather}":   0,
		"watchfloor_reload_impact_replayed_articles":                       7,
	}
	got := gauges(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if got["watchfloor_reload_impact_timestamp_seconds"] == 0 {
		t.Error("no timestamp")
	}
	// The next report replaces the values: a rule in neither of its
	// sets leaves.
	m.Set(unchanged)
	n := 0
	for k, v := range gauges(t, reg) {
		if strings.HasPrefix(k, "watchfloor_reload_impact_articles{") {
			n++
			if v != 0 || strings.Contains(k, "crops") {
				t.Errorf("after a reload that changes nothing: %s = %v", k, v)
			}
		}
	}
	if n != 2*4 {
		t.Errorf("%d series after a reload of four rules, want 8", n)
	}
	if _, err := NewImpactMetrics(reg); err == nil {
		t.Error("registering the metrics twice is no error")
	}
}

// TestReplayOrderAndStops: results come back in the order the articles
// were seen, on several workers, over many batches; an error of fn stops
// the replay and is returned; a cancelled context stops it with its
// error; an empty store replays nothing.
func TestReplayOrderAndStops(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	arts := genArticles(t, 10*batchSize+5, 3)
	commit(t, st, t0, arts)
	rs := loadRules(t, map[string]string{"r.yaml": baseRules})
	i := 0
	n, err := Replay(ctx, st, []*engine.RuleSet{rs, rs}, Options{Workers: 4}, func(a store.StoredArticle, res []engine.Result) error {
		if a.ID != arts[i].ID || res[0].Article.ID != a.ID || res[1].Article.ID != a.ID || !a.SeenAt.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("article %d: %s, want %s", i, a.ID, arts[i].ID)
		}
		i++
		return nil
	})
	if err != nil || n != len(arts) || i != len(arts) {
		t.Fatalf("replayed %d (%d calls), want %d: %v", n, i, len(arts), err)
	}

	stop := errors.New("enough")
	calls := 0
	n, err = Replay(ctx, st, []*engine.RuleSet{rs}, Options{}, func(store.StoredArticle, []engine.Result) error {
		if calls++; calls == 40 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 39 || calls != 40 {
		t.Errorf("fn's error: n %d, calls %d, %v", n, calls, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	calls = 0
	_, err = Replay(cctx, st, []*engine.RuleSet{rs}, Options{}, func(store.StoredArticle, []engine.Result) error {
		if calls++; calls == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	n, err = Replay(ctx, openStore(t), []*engine.RuleSet{rs}, Options{}, func(store.StoredArticle, []engine.Result) error {
		t.Error("an article in an empty store")
		return nil
	})
	if n != 0 || err != nil {
		t.Errorf("empty store: %d %v", n, err)
	}
	n, err = Replay(ctx, st, []*engine.RuleSet{rs}, Options{Since: t0.Add(time.Duration(len(arts)-3) * time.Second)}, func(store.StoredArticle, []engine.Result) error { return nil })
	if n != 3 || err != nil {
		t.Errorf("since the last three: %d %v", n, err)
	}
}

// gauges gathers reg's gauges as "name{label=value,…}" → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := mf.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}
