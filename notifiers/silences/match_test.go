package silences

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

func TestMatches(t *testing.T) {
	span := func(s Silence) Silence {
		s.StartsAt, s.EndsAt = t0, t0.Add(time.Hour)
		return s
	}
	sahel := map[string]string{"region": "sahel", "desk": "africa"}
	tests := []struct {
		name   string
		s      Silence
		rule   string
		labels map[string]string
		source string
		at     time.Time
		want   bool
	}{
		{name: "rule listed", s: span(Silence{Rules: []string{"strike", "attack"}}), rule: "attack", want: true},
		{name: "rule not listed", s: span(Silence{Rules: []string{"strike"}}), rule: "attack"},
		{name: "rule names are exact", s: span(Silence{Rules: []string{"attack"}}), rule: "attack-2"},
		{name: "one label equal", s: span(Silence{Labels: map[string]string{"region": "sahel"}}), rule: "x", labels: sahel, want: true},
		{name: "every label equal", s: span(Silence{Labels: map[string]string{"region": "sahel", "desk": "africa"}}), labels: sahel, want: true},
		{name: "one label differs", s: span(Silence{Labels: map[string]string{"region": "sahel", "desk": "europe"}}), labels: sahel},
		{name: "label absent from the rule", s: span(Silence{Labels: map[string]string{"lang": "fr"}}), labels: sahel},
		{name: "label on a rule without labels", s: span(Silence{Labels: map[string]string{"region": "sahel"}})},
		{name: "source glob", s: span(Silence{Source: "feed:reuters-*"}), source: "feed:reuters-africa", want: true},
		{name: "source glob misses", s: span(Silence{Source: "feed:reuters-*"}), source: "feed:afp"},
		{name: "star does not cross a slash", s: span(Silence{Source: "file:*"}), source: "file:inbox/a.txt"},
		{name: "inbox directory glob", s: span(Silence{Source: "file:inbox/*"}), source: "file:inbox/a.txt", want: true},
		{name: "jsonl line glob", s: span(Silence{Source: "file:inbox/feed.jsonl#*"}), source: "file:inbox/feed.jsonl#12", want: true},
		{name: "all matchers match", s: span(Silence{Rules: []string{"attack"}, Labels: map[string]string{"region": "sahel"}, Source: "feed:*"}),
			rule: "attack", labels: sahel, source: "feed:afp", want: true},
		{name: "rule and label match, source does not", s: span(Silence{Rules: []string{"attack"}, Labels: map[string]string{"region": "sahel"}, Source: "feed:*"}),
			rule: "attack", labels: sahel, source: "file:inbox/a.txt"},
		{name: "source and label match, rule does not", s: span(Silence{Rules: []string{"strike"}, Labels: map[string]string{"region": "sahel"}, Source: "feed:*"}),
			rule: "attack", labels: sahel, source: "feed:afp"},
		{name: "no matcher matches nothing", s: span(Silence{}), rule: "attack", source: "feed:afp"},
		{name: "bad glob matches nothing", s: span(Silence{Source: "[", Rules: []string{"attack"}}), rule: "attack", source: "["},
		{name: "before it starts", s: span(Silence{Rules: []string{"attack"}}), rule: "attack", at: t0.Add(-time.Nanosecond)},
		{name: "when it ends", s: span(Silence{Rules: []string{"attack"}}), rule: "attack", at: t0.Add(time.Hour)},
		{name: "after it was expired", s: span(Silence{Rules: []string{"attack"}, ExpiredAt: t0.Add(time.Minute)}), rule: "attack", at: t0.Add(time.Minute)},
		{name: "before it was expired", s: span(Silence{Rules: []string{"attack"}, ExpiredAt: t0.Add(time.Minute)}), rule: "attack", at: t0.Add(time.Second), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = t0.Add(30 * time.Minute)
			}
			if got := Matches(tt.s, tt.rule, tt.labels, tt.source, at); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
			tt.s.ID = "s1"
			other := Silence{ID: "s0", Rules: []string{"none-such"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
			id, ok := Match([]Silence{other, tt.s}, tt.rule, tt.labels, tt.source, at)
			if ok != tt.want || (ok && id != "s1") || (!ok && id != "") {
				t.Errorf("Match = %q %v, want s1 %v", id, ok, tt.want)
			}
		})
	}
}

func TestMatchFirstSilenceWins(t *testing.T) {
	a := Silence{ID: "a", Rules: []string{"attack"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	b := Silence{ID: "b", Source: "feed:*", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	if id, _ := Match([]Silence{b, a}, "attack", nil, "feed:x", t0); id != "b" {
		t.Errorf("got %s, want the first listed, b", id)
	}
	if id, ok := Match(nil, "attack", nil, "feed:x", t0); ok || id != "" {
		t.Errorf("no silences matched: %q", id)
	}
}

func rulesOf(ms []engine.Match) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func TestFilter(t *testing.T) {
	active := []Silence{
		{ID: "quiet-attack", Rules: []string{"attack"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)},
		{ID: "quiet-sahel", Labels: map[string]string{"region": "sahel"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)},
		{ID: "quiet-afp", Source: "feed:afp", StartsAt: t0, EndsAt: t0.Add(time.Hour)},
		{ID: "ended", Rules: []string{"flood"}, StartsAt: t0.Add(-2 * time.Hour), EndsAt: t0.Add(-time.Hour)},
	}
	ms := []engine.Match{
		{Rule: "attack", Score: 6},
		{Rule: "coup", Labels: map[string]string{"region": "sahel"}},
		{Rule: "flood"},
		{Rule: "strike", Labels: map[string]string{"region": "gulf"}},
	}
	tests := []struct {
		name     string
		active   []Silence
		matches  []engine.Match
		source   string
		kept     []string
		removed  []Removed
		ids      []string
		silenced bool
		status   string
	}{
		{name: "no silences", matches: ms, source: "feed:x", kept: []string{"attack", "coup", "flood", "strike"}},
		{name: "some rules leave the alert", active: active, matches: ms, source: "feed:x", kept: []string{"flood", "strike"},
			removed: []Removed{{"attack", "quiet-attack"}, {"coup", "quiet-sahel"}}, ids: []string{"quiet-attack", "quiet-sahel"}},
		{name: "a source silence takes every rule", active: active, matches: ms, source: "feed:afp", kept: []string{},
			removed: []Removed{{"attack", "quiet-attack"}, {"coup", "quiet-sahel"}, {"flood", "quiet-afp"}, {"strike", "quiet-afp"}},
			ids:     []string{"quiet-attack", "quiet-sahel", "quiet-afp"}, silenced: true, status: store.StatusSilenced},
		{name: "the first match kept, a later removed", active: active, matches: []engine.Match{ms[2], ms[0]}, source: "feed:x", kept: []string{"flood"},
			removed: []Removed{{"attack", "quiet-attack"}}, ids: []string{"quiet-attack"}},
		{name: "one match, silenced", active: active, matches: ms[:1], source: "feed:x", kept: []string{},
			removed: []Removed{{"attack", "quiet-attack"}}, ids: []string{"quiet-attack"}, silenced: true, status: store.StatusSilenced},
		{name: "no matches", active: active, source: "feed:afp", kept: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rulesOf(tt.matches)
			f := Filter(tt.active, tt.matches, tt.source, t0.Add(time.Minute))
			if got := rulesOf(f.Kept); !reflect.DeepEqual(got, tt.kept) {
				t.Errorf("kept %v, want %v", got, tt.kept)
			}
			if !reflect.DeepEqual(f.Removed, tt.removed) {
				t.Errorf("removed %v, want %v", f.Removed, tt.removed)
			}
			if !reflect.DeepEqual(f.SilenceIDs(), tt.ids) {
				t.Errorf("ids %v, want %v", f.SilenceIDs(), tt.ids)
			}
			if f.Silenced() != tt.silenced || f.Status() != tt.status {
				t.Errorf("silenced %v status %q, want %v %q", f.Silenced(), f.Status(), tt.silenced, tt.status)
			}
			if !reflect.DeepEqual(rulesOf(tt.matches), before) {
				t.Error("Filter changed its input")
			}
		})
	}
}

// TestCacheSeesStoreChanges: a silence added to the store by another
// process (here: another handle on the same file, as the command line
// opens it) is in the cache after the next Refresh, and gone from Active
// once expired.
func TestCacheSeesStoreChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	daemonStore, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer daemonStore.Close()
	cli, err := store.OpenShared(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	c := NewCache(daemonStore)
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if a := c.Active(time.Now()); len(a) != 0 {
		t.Fatalf("active before any silence: %v", a)
	}
	sil, err := Add(ctx, cli, Spec{Rules: []string{"attack"}, Duration: "1h", Reason: "r", Author: "a"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Active(time.Now()); len(a) != 0 {
		t.Fatal("the cache changed without a refresh")
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	a := c.Active(time.Now())
	if len(a) != 1 || a[0].ID != sil.ID {
		t.Fatalf("active after refresh: %+v", a)
	}
	if a := c.Active(sil.EndsAt); len(a) != 0 {
		t.Errorf("active when it ends: %+v", a)
	}
	if _, err := Expire(ctx, cli, sil.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if a := c.Active(time.Now()); len(a) != 0 {
		t.Errorf("active after expiry: %+v", a)
	}
	if c.Refreshed().IsZero() {
		t.Error("Refreshed is zero after refreshes")
	}
}

// TestCacheRun: Run picks up a silence added behind the cache's back
// within a few ticks.
func TestCacheRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	c := NewCache(st)
	done := make(chan struct{})
	go func() {
		c.Run(ctx, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		close(done)
	}()
	if _, err := Add(ctx, st, Spec{Source: "feed:*", Duration: "1h", Reason: "r", Author: "a"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Active(time.Now())) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestCacheConcurrent routes while refreshing and adding, for the race
// detector.
func TestCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := NewCache(st)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				f := Filter(c.Active(time.Now()), []engine.Match{{Rule: "attack"}}, "feed:x", time.Now())
				_ = f.SilenceIDs()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sil, err := Add(ctx, st, Spec{Rules: []string{"attack"}, Duration: "1h", Reason: "r", Author: "a"}, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			c.put(sil)
			if err := c.Refresh(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(c.Active(time.Now())); n != 5 {
		t.Errorf("%d active, want 5", n)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Observe(Filtered{Removed: []Removed{{"attack", "a"}, {"coup", "a"}}})
	m.Observe(Filtered{Removed: []Removed{{"attack", "b"}}})
	m.Observe(Filtered{Kept: []engine.Match{{Rule: "flood"}}})
	var nilM *Metrics
	nilM.Observe(Filtered{Removed: []Removed{{"attack", "a"}}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "watchfloor_alerts_silenced_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "rule" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	if want := map[string]float64{"attack": 2, "coup": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("watchfloor_alerts_silenced_total %v, want %v", got, want)
	}
}

// TestFilterIntoOutbox routes one article's matches to two destinations
// the way the daemon does (Filter per destination, the alert enqueued
// from it) on a real store: the destination left with no rule gets a
// silenced alert, never due, also after the silence is expired and the
// store reopened; the other gets a pending alert without the silenced
// rule.
func TestFilterIntoOutbox(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sil, err := Add(ctx, st, Spec{Rules: []string{"attack"}, Duration: "1h", Reason: "r", Author: "a"}, now)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewCache(st)
	if err := cache.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	routes := map[string][]engine.Match{
		"ops":  {{Rule: "attack"}},
		"siem": {{Rule: "attack"}, {Rule: "coup"}},
	}
	var alerts []store.NewAlert
	for _, dest := range []string{"ops", "siem"} {
		f := Filter(cache.Active(now), routes[dest], "feed:afp", now)
		ms := f.Kept
		if f.Silenced() {
			ms = routes[dest] // kept as it would have been sent
		}
		alerts = append(alerts, store.NewAlert{AlertID: "al-" + dest, Notifier: dest, ArticleID: "a1", Rules: rulesOf(ms),
			Payload: []byte("{}"), Status: f.Status(), SilencedBy: f.SilenceIDs()})
	}
	if _, err := st.CommitArticle(ctx, store.ArticleRecord{ID: "a1", Source: "feed:afp"}, nil, alerts); err != nil {
		t.Fatal(err)
	}
	if _, err := Expire(ctx, st, sil.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = store.Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	due, err := st.DueAlerts(ctx, now.Add(24*time.Hour), 0)
	if err != nil || len(due) != 1 || due[0].Notifier != "siem" || !reflect.DeepEqual(due[0].Rules, []string{"coup"}) ||
		!reflect.DeepEqual(due[0].SilencedBy, []string{sil.ID}) {
		t.Fatalf("due: %+v %v; want only siem with coup", due, err)
	}
	quiet, err := st.ListAlerts(ctx, store.StatusSilenced, 0)
	if err != nil || len(quiet) != 1 || quiet[0].Notifier != "ops" || !reflect.DeepEqual(quiet[0].Rules, []string{"attack"}) ||
		!reflect.DeepEqual(quiet[0].SilencedBy, []string{sil.ID}) {
		t.Fatalf("silenced: %+v %v", quiet, err)
	}
}
