package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/router"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
)

const secret = "whsec_c2VjcmV0dmFsdWU="

// receiver is a webhook endpoint that checks every signature and keeps
// every body.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	bodies [][]byte
	ids    []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := webhook.Verify(secret, req.Header, body, time.Minute, time.Now()); err != nil {
		r.t.Errorf("signature: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.ids = append(r.ids, req.Header.Get("webhook-id"))
	r.mu.Unlock()
}

func (r *receiver) got() ([][]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), append([]string(nil), r.ids...)
}

// loadRules compiles rule files given as name → content.
func loadRules(t *testing.T, files map[string]string) *engine.RuleSet {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	set, err := rules.LoadFS(fsys, "rules")
	if err != nil {
		t.Fatal(err)
	}
	return set.Rules
}

// env is a destination "siem" behind a webhook receiver, over a real
// store, with the pieces the daemon wires in routing.
type env struct {
	st    *store.Store
	recv  *receiver
	disp  *notifiers.Dispatcher
	lim   *Limiter
	m     *Metrics
	reg   *prometheus.Registry
	sched *Scheduler
	sc    *engine.Scorer
}

func newEnv(t *testing.T, dir string, maxPerHour int, ruleFiles map[string]string, now func() time.Time) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, recv: &receiver{t: t}, reg: prometheus.NewRegistry()}
	srv := httptest.NewServer(e.recv)
	t.Cleanup(srv.Close)
	wh, err := webhook.New(webhook.Config{Name: "siem", URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	e.disp = notifiers.NewDispatcher(st, map[string]notifiers.Notifier{"siem": wh}, notifiers.DispatchOptions{MinBackoff: 10 * time.Millisecond})
	e.m = NewMetrics(e.reg)
	e.lim = NewLimiter(map[string]int{"siem": maxPerHour}, e.m)
	if err := e.lim.Seed(ctx, st, now()); err != nil {
		t.Fatal(err)
	}
	e.sched, err = NewScheduler(st, []Destination{{Name: "siem"}}, SchedulerOptions{Kick: e.disp.Kick, Metrics: e.m, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e.sc = loadRules(t, ruleFiles).NewScorer()
	return e
}

// process does what the daemon does with one article: score, route,
// decide, commit.
func (e *env) process(t *testing.T, a engine.Article, now time.Time) {
	t.Helper()
	res := e.sc.Score(a)
	routed, err := router.Route(res, router.Params{DefaultNotify: []string{"siem"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	dec := e.lim.Apply(routed.Alerts, res.Matches, now)
	isNew, err := e.st.CommitArticle(context.Background(), store.ArticleRecord{ID: a.ID, Source: a.Source, Title: a.Title, SeenAt: now}, nil, routed.Alerts)
	if err != nil || !isNew {
		dec.Cancel()
		t.Fatalf("commit %s: %v %v", a.ID, isNew, err)
	}
	dec.Committed()
}

func article(i int) engine.Article {
	return engine.Article{ID: fmt.Sprintf("art-%02d", i), Title: fmt.Sprintf("Attack number %d on the border post", i),
		URL: fmt.Sprintf("https://example.org/news/%d", i), Source: "feed:wire", Body: "Gunmen attacked a border post overnight."}
}

const attackRule = "rules:\n  - name: attack\n    when: mentions(\"attack*\")\n    severity: high\n"

// TestSixtyInAMinute: 60 matches of one rule in a minute to a webhook with
// max_per_hour 20 make 20 alerts at once and, at the digest's tick, one
// signed digest holding the other 40; none lost, none twice.
func TestSixtyInAMinute(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := base
	e := newEnv(t, t.TempDir(), 20, map[string]string{"a.yaml": attackRule}, func() time.Time { return clock })
	for i := range 60 {
		clock = base.Add(time.Duration(i) * time.Second)
		e.process(t, article(i), clock)
	}
	if err := e.disp.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	bodies, _ := e.recv.got()
	if len(bodies) != 20 {
		t.Fatalf("%d alerts delivered at once, want 20", len(bodies))
	}
	seen := map[string]int{}
	for i, b := range bodies {
		var a notifiers.Alert
		if notifiers.IsDigest(b) || json.Unmarshal(b, &a) != nil {
			t.Fatalf("body %d is not one alert: %s", i, b)
		}
		seen[a.Article.ID]++
	}
	if n, _ := e.st.QueuedCount(ctx, "siem"); n != 40 {
		t.Fatalf("%d queued, want 40", n)
	}
	if got := testutil.ToFloat64(e.m.limited.WithLabelValues("siem")); got != 40 {
		t.Errorf("rate limited counter %v, want 40", got)
	}

	// The digest's tick, at the top of the next hour.
	clock = base.Add(time.Hour)
	n, err := e.sched.Digest(ctx, "siem")
	if err != nil || n != 40 {
		t.Fatalf("digest took %d (%v), want 40", n, err)
	}
	if err := e.disp.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	bodies, ids := e.recv.got()
	if len(bodies) != 21 {
		t.Fatalf("%d bodies after the digest, want 21", len(bodies))
	}
	last := bodies[20]
	if !notifiers.IsDigest(last) {
		t.Fatalf("the last body is not a digest: %.200s", last)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(last, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "id", "created_at", "digest", "alerts"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("digest lacks %q", k)
		}
	}
	if len(raw) != 5 {
		t.Errorf("digest has keys %v, want exactly the pinned five", raw)
	}
	var d notifiers.Digest
	if err := json.Unmarshal(last, &d); err != nil {
		t.Fatal(err)
	}
	if d.ID != ids[20] || !d.CreatedAt.Equal(clock) {
		t.Errorf("digest id %q (webhook-id %q), created %v, want the webhook-id and %v", d.ID, ids[20], d.CreatedAt, clock)
	}
	entries, err := notifiers.DecodeDigest(d)
	if err != nil || len(entries) != 40 {
		t.Fatalf("digest holds %d alerts (%v), want 40", len(entries), err)
	}
	for _, en := range entries {
		if en.Alert.Matches[0].Rule != "attack" || en.Alert.Article.Title == "" {
			t.Errorf("digest alert %+v", en.Alert)
		}
		seen[en.Alert.Article.ID]++
	}
	for i := range 60 {
		if id := article(i).ID; seen[id] != 1 {
			t.Errorf("article %s arrived %d times, want once", id, seen[id])
		}
	}
	if got := testutil.ToFloat64(e.m.digested.WithLabelValues("siem")); got != 40 {
		t.Errorf("digested counter %v, want 40", got)
	}
	// The digest is an outbox row like any alert: delivered, listed; its
	// alerts are digested and name it.
	items, err := e.st.ListAlerts(ctx, "delivered", 1)
	if err != nil || len(items) != 1 || items[0].AlertID != d.ID || items[0].ArticleID != "" {
		t.Errorf("latest delivered %+v (%v), want the digest", items, err)
	}
	carried, err := e.st.DigestedBy(ctx, d.ID)
	if err != nil || len(carried) != 40 {
		t.Errorf("digested by %s: %d (%v)", d.ID, len(carried), err)
	}
	// Nothing left: the next tick sends nothing.
	if n, err := e.sched.Digest(ctx, "siem"); n != 0 || err != nil {
		t.Errorf("second digest took %d (%v)", n, err)
	}
}

// TestLimiterSeedsFromOutbox: a restart keeps the hour's count.
func TestLimiterSeedsFromOutbox(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now()
	e := newEnv(t, dir, 3, map[string]string{"a.yaml": attackRule}, func() time.Time { return now })
	for i := range 3 {
		e.process(t, article(i), now)
	}
	// As after a restart: a new limiter over the same outbox.
	lim := NewLimiter(map[string]int{"siem": 3}, nil)
	if err := lim.Seed(ctx, e.st, now); err != nil {
		t.Fatal(err)
	}
	if !lim.Decide("siem", []engine.Match{{Rule: "attack", Delivery: engine.DeliveryImmediate}}, now) {
		t.Error("a fourth alert in the hour went out at once after a restart")
	}
	// An hour later the window is free again.
	if lim.Decide("siem", []engine.Match{{Rule: "attack", Delivery: engine.DeliveryImmediate}}, now.Add(Window+time.Second)) {
		t.Error("the window did not slide")
	}
}

func TestDecide(t *testing.T) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	imm := []engine.Match{{Rule: "a", Delivery: engine.DeliveryImmediate}}
	dig := []engine.Match{{Rule: "d", Delivery: engine.DeliveryDigest}}
	mixed := append(append([]engine.Match{}, dig...), imm...)
	type step struct {
		dest    string
		matches []engine.Match
		at      time.Duration
		queued  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "no limit", steps: []step{{"free", imm, 0, false}, {"free", imm, 0, false}, {"free", imm, 0, false}}},
		{name: "digest rule waits even under the limit", steps: []step{{"free", dig, 0, true}, {"two", dig, 0, true}}},
		{name: "one immediate rule sends", steps: []step{{"free", mixed, 0, false}}},
		{name: "the limit", steps: []step{{"two", imm, 0, false}, {"two", imm, time.Minute, false}, {"two", imm, 2 * time.Minute, true}}},
		{name: "digest alerts take no slot", steps: []step{{"two", dig, 0, true}, {"two", imm, 0, false}, {"two", imm, 0, false}, {"two", imm, 0, true}}},
		{name: "sliding hour", steps: []step{
			{"two", imm, 0, false}, {"two", imm, 30 * time.Minute, false}, {"two", imm, 59 * time.Minute, true},
			{"two", imm, 61 * time.Minute, false}, {"two", imm, 62 * time.Minute, true}, {"two", imm, 91 * time.Minute, false},
		}},
		{name: "no matches sends", steps: []step{{"two", nil, 0, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(map[string]int{"two": 2, "free": 0}, nil)
			for i, s := range tt.steps {
				if got := l.Decide(s.dest, s.matches, base.Add(s.at)); got != s.queued {
					t.Errorf("step %d (%s at %v): queued %v, want %v", i, s.dest, s.at, got, s.queued)
				}
			}
		})
	}
}

func TestApplyCancel(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(map[string]int{"siem": 1}, nil)
	ms := []engine.Match{{Rule: "a", Delivery: engine.DeliveryImmediate}, {Rule: "d", Delivery: engine.DeliveryDigest}}
	alerts := []store.NewAlert{
		{AlertID: "1", Notifier: "siem", Rules: []string{"a", "d"}},
		{AlertID: "2", Notifier: "ops", Rules: []string{"d"}},
		{AlertID: "3", Notifier: "log", Rules: []string{"d"}, Status: store.StatusSilenced},
	}
	dec := l.Apply(alerts, ms, now)
	if alerts[0].Status != "" || alerts[1].Status != store.StatusQueued || alerts[2].Status != store.StatusSilenced {
		t.Fatalf("statuses %q %q %q, want sent, queued (digest only), silenced untouched", alerts[0].Status, alerts[1].Status, alerts[2].Status)
	}
	// The article was a duplicate: the slot comes back.
	dec.Cancel()
	again := []store.NewAlert{{AlertID: "4", Notifier: "siem", Rules: []string{"a"}}}
	l.Apply(again, ms, now).Committed()
	if again[0].Status != "" {
		t.Errorf("after Cancel the slot was not given back: %q", again[0].Status)
	}
	third := []store.NewAlert{{AlertID: "5", Notifier: "siem", Rules: []string{"a"}}}
	l.Apply(third, ms, now)
	if third[0].Status != store.StatusQueued {
		t.Errorf("over the limit: %q, want queued", third[0].Status)
	}
}

// Follow-ups in a story's thread (a rule's cooldown) are not new alerts:
// they go out past the limit and take no slot; a digest-only rule's
// follow-up still waits for the digest.
func TestApplyFollowUps(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(map[string]int{"siem": 1}, nil)
	ms := []engine.Match{{Rule: "a", Delivery: engine.DeliveryImmediate}, {Rule: "d", Delivery: engine.DeliveryDigest}}
	first := []store.NewAlert{{AlertID: "1", Notifier: "siem", Rules: []string{"a"}}}
	l.Apply(first, ms, now).Committed()
	follow := []store.NewAlert{{AlertID: "2", Notifier: "siem", Rules: []string{"a"}}, {AlertID: "3", Notifier: "ops", Rules: []string{"d"}}}
	l.Apply(follow, ms, now, "2", "3").Committed()
	if follow[0].Status != "" || follow[1].Status != store.StatusQueued {
		t.Errorf("follow-ups: %q %q, want sent past the limit, and queued for the digest-only rule", follow[0].Status, follow[1].Status)
	}
	next := []store.NewAlert{{AlertID: "4", Notifier: "siem", Rules: []string{"a"}}}
	l.Apply(next, ms, now)
	if next[0].Status != store.StatusQueued {
		t.Errorf("a new alert after the follow-up: %q, want queued (the follow-up took no slot, the first did)", next[0].Status)
	}
}

// A tick missed while the daemon was down is made up when Run starts; a
// tick still to come is waited for.
func TestRunMakesUpAMissedTick(t *testing.T) {
	for _, tc := range []struct {
		name   string
		later  time.Duration // how far the scheduler's clock is past the queueing
		queued int
	}{
		{"the yearly tick still to come", 0, 2},
		{"the yearly tick missed", 2 * 366 * 24 * time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now()
			e := newEnv(t, t.TempDir(), 1, map[string]string{"a.yaml": attackRule}, time.Now)
			for i := range 3 {
				e.process(t, article(i), now)
			}
			if n, _ := e.st.QueuedCount(context.Background(), "siem"); n != 2 {
				t.Fatalf("%d queued before Run, want 2", n)
			}
			s, err := NewScheduler(e.st, []Destination{{Name: "siem", Schedule: "0 0 1 1 *"}},
				SchedulerOptions{Now: func() time.Time { return time.Now().Add(tc.later) }})
			if err != nil {
				t.Fatal(err)
			}
			s.MakeUp(context.Background()) // what Run does first
			if n, _ := e.st.QueuedCount(context.Background(), "siem"); n != tc.queued {
				t.Errorf("%d still queued, want %d", n, tc.queued)
			}
		})
	}
}

// TestRunSendsOnSchedule: Run makes the digest at the schedule's tick and
// kicks the dispatcher.
func TestRunSendsOnSchedule(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	e := newEnv(t, t.TempDir(), 1, map[string]string{"a.yaml": attackRule}, time.Now)
	for i := range 3 {
		e.process(t, article(i), now)
	}
	kicked := make(chan struct{}, 10)
	s, err := NewScheduler(e.st, []Destination{{Name: "siem", Schedule: "* * * * * *"}}, SchedulerOptions{Kick: func() { kicked <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-kicked:
	case <-time.After(10 * time.Second):
		t.Fatal("no digest within 10s on a schedule of every second")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n, _ := e.st.QueuedCount(context.Background(), "siem"); n != 0 {
		t.Errorf("%d still queued", n)
	}
	if _, err := NewScheduler(e.st, []Destination{{Name: "x", Schedule: "61 * * * *"}}, SchedulerOptions{}); err == nil {
		t.Error("a bad schedule was accepted")
	}
}
