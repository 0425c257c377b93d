package stories

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func article(id, url, title, body string) engine.Article {
	return engine.Article{ID: id, URL: url, Title: title, Body: body, Source: "feed:" + id}
}

func TestAssignAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	reg := prometheus.NewRegistry()
	met := NewMetrics(reg)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ix, err := Open(ctx, st, Options{Metrics: met}, t0)
	if err != nil {
		t.Fatal(err)
	}
	paras := strings.Split(baseBody, "\n\n")
	steps := []struct {
		name     string
		a        engine.Article
		at       time.Duration
		story    string // "" for a new story, else the name of the step that opened it
		position int
		by       string
	}{
		{"first report", article("a1", "https://one.example/market-bomb", baseTitle, baseBody), 0, "", 1, ""},
		{"same URL with tracking", article("a2", "http://ONE.example/market-bomb/?utm_source=rss#top", "Other headline entirely here", "short"), time.Minute, "first report", 2, "url"},
		{"rewrite on another site", article("a3", "https://two.example/x", "Twelve dead in market blast", "Skip to main content\n"+strings.Join(paras[:4], "\n\n")), time.Hour, "first report", 3, "text"},
		{"another event", article("b1", "https://two.example/y", otherTitle, otherBody), 2 * time.Hour, "", 1, ""},
		{"same title, other site", article("b2", "https://three.example/z", otherTitle+" - Wire", "A brief."), 3 * time.Hour, "another event", 2, "title"},
	}
	opened := map[string]Story{}
	check := func(i int, restartBefore bool) {
		c := steps[i]
		t.Run(c.name, func(t *testing.T) {
			s, err := ix.Assign(ctx, c.a, "wf_"+c.a.ID, t0.Add(c.at))
			if err != nil {
				t.Fatal(err)
			}
			if c.story == "" {
				if s.Position != 1 || s.FirstAlertID != "wf_"+c.a.ID || s.FirstArticleID != c.a.ID || s.JoinedBy != "" {
					t.Errorf("new story: %+v", s)
				}
			} else if o := opened[c.story]; s.ID != o.ID || s.FirstAlertID != o.FirstAlertID || s.Position != c.position || s.JoinedBy != c.by {
				t.Errorf("got %+v, want story %s position %d by %s", s, o.ID, c.position, c.by)
			}
			opened[c.name] = s
			if c.story != "" {
				opened[c.name] = opened[c.story]
			}
		})
	}
	for i := 0; i < 3; i++ {
		check(i, false)
	}
	// Restart: the index is rebuilt from the store.
	st.Close()
	st = openStore(t, dir)
	defer st.Close()
	if ix, err = Open(ctx, st, Options{Metrics: met}, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 3 {
		t.Errorf("reopened index holds %d articles, want 3", ix.Len())
	}
	for i := 3; i < len(steps); i++ {
		check(i, true)
	}
	// Assigning an article again returns its first assignment.
	if s, err := ix.Assign(ctx, steps[2].a, "wf_other", t0.Add(4*time.Hour)); err != nil || s.Position != 3 || s.ID != opened["first report"].ID {
		t.Errorf("assign again: %+v %v", s, err)
	}
	// Past the window a rewrite opens a new story.
	late := article("a4", "https://four.example/late", "Market bomb toll", baseBody)
	if s, err := ix.Assign(ctx, late, "wf_a4", t0.Add(DefaultWindow+4*time.Hour)); err != nil || s.Position != 1 || s.ID == opened["first report"].ID {
		t.Errorf("after the window: %+v %v", s, err)
	}
	// The first story left the memory: only the late article and the
	// second story's members (seen 2-3h after t0) may be held.
	if n := ix.Len(); n > 3 {
		t.Errorf("index holds %d articles after the window", n)
	}
	if got := metric(t, reg, "watchfloor_stories_joined_total"); got != 3 {
		t.Errorf("joined_total = %v, want 3", got)
	}
	if got := metric(t, reg, "watchfloor_stories_opened_total"); got != 3 {
		t.Errorf("opened_total = %v, want 3", got)
	}
}

func TestPruneStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ix, err := Open(ctx, st, Options{Window: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Assign(ctx, article("a1", "https://one.example/a", baseTitle, baseBody), "wf_a1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Assign(ctx, article("b1", "https://one.example/b", otherTitle, otherBody), "wf_b1", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range st.StoryMembersSince(ctx, time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d members stored after twice the window, want 1", n)
	}
}

func TestAssignConcurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ix, err := Open(ctx, st, Options{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	got := make([]Story, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := article(fmt.Sprintf("c%d", i), fmt.Sprintf("https://site%d.example/a", i), baseTitle, baseBody)
			s, err := ix.Assign(ctx, a, "wf", t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, s := range got {
		if s.ID != got[0].ID || seen[s.Position] || s.Position < 1 || s.Position > n {
			t.Errorf("story %+v", s)
		}
		seen[s.Position] = true
	}
}

// A story is counted opened or joined only once the article's membership
// is committed: not at Prepare, never when the article is then forgotten
// (a duplicate, a failed commit), and once however often Committed is
// called.
func TestCountedWhenCommitted(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	reg := prometheus.NewRegistry()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ix, err := Open(ctx, st, Options{Metrics: NewMetrics(reg)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://one.example/market-bomb"
	// commit records a prepared article as the daemon does: the article,
	// its alert and its membership in one transaction.
	commit := func(a engine.Article, rec *store.StoryMember) {
		t.Helper()
		ok, err := st.CommitArticles(ctx, []store.Commit{{Article: store.ArticleRecord{ID: a.ID},
			Alerts: []store.NewAlert{{AlertID: rec.AlertID, Notifier: "ops", ArticleID: a.ID}}, Story: rec}})
		if err != nil || !ok[0] {
			t.Fatalf("commit %s: %v %v", a.ID, ok, err)
		}
		ix.Committed(a.ID)
	}
	for i, step := range []struct {
		name           string
		id             string
		commit         bool
		opened, joined float64 // the counters after the step
	}{
		{"the first report, prepared and forgotten", "a0", false, 0, 0},
		{"the first report, committed", "a1", true, 1, 0},
		{"a join prepared and forgotten", "a2", false, 1, 0},
		{"a join committed", "a3", true, 1, 1},
	} {
		a := article(step.id, url, baseTitle, baseBody)
		s, rec, err := ix.Prepare(ctx, a, "wf_"+step.id, t0.Add(time.Duration(i)*time.Minute))
		if err != nil || rec == nil {
			t.Fatalf("%s: prepare: %+v %v", step.name, rec, err)
		}
		if got, want := s.JoinedBy != "", step.id >= "a2"; got != want {
			t.Errorf("%s: joined %v, want %v", step.name, got, want)
		}
		if step.commit {
			commit(a, rec)
			ix.Committed(a.ID) // again: counted once
		} else {
			ix.Forget(a.ID)
			ix.Committed(a.ID) // after Forget: nothing to count
		}
		if got := metric(t, reg, "watchfloor_stories_opened_total"); got != step.opened {
			t.Errorf("%s: opened_total = %v, want %v", step.name, got, step.opened)
		}
		if got := metric(t, reg, "watchfloor_stories_joined_total"); got != step.joined {
			t.Errorf("%s: joined_total = %v, want %v", step.name, got, step.joined)
		}
	}
	if n := ix.Len(); n != 2 {
		t.Errorf("index holds %d articles, want the 2 committed", n)
	}
}

// metric sums the values of a counter family.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
