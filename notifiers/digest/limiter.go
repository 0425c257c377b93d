// Package digest keeps a destination's alerts within its max_per_hour and
// sends what waits as one digest message on the destination's digest
// schedule.
//
// Routing (Limiter.Apply) decides, per alert, whether it goes out now or
// is queued for the digest: queued when every rule of the alert has
// delivery: digest, or when the destination already had max_per_hour
// alerts sent at once in the last hour (a sliding window). A queued alert
// is committed to the outbox with status queued, in the transaction that
// records its article, so it is as durable as any alert and never
// dropped. On each destination's schedule the Scheduler takes its queued
// alerts, in one transaction, into one digest row of the outbox (the
// pinned digest payload, alerts grouped by story then rule) and marks them
// digested; the dispatcher delivers, retries and lists the digest like any
// alert.
//
// Where the count lives: the window of each destination is in memory,
// holding at most max_per_hour times, and is seeded at start from the
// outbox (Limiter.Seed: the alerts enqueued for immediate delivery to the
// destination in the last hour), so a restart neither resets the limit
// nor forgets it. Edge cases:
//
//   - An alert takes its slot in the window when routed, before its
//     commit. When the commit fails, or the article turns out to be a
//     duplicate (isNew false), Decision.Cancel gives the slot back. An
//     article routed meanwhile may have been queued for that slot: it
//     waits for the digest, never lost.
//   - The seed counts the outbox's creation times; an alert re-sent with
//     `outbox retry` counts from its re-send. A digest does not count.
//   - Queued alerts of a destination that is no longer configured stay
//     queued (`outbox list --status queued`) until it is configured again.
//
// Wiring, in the daemon: at start, after the store and the dispatcher,
// NewMetrics(reg), NewLimiter(limits, m) with each notifier's
// max_per_hour, Limiter.Seed(ctx, store, time.Now()), and
// NewScheduler(store, destinations, SchedulerOptions{Kick:
// dispatcher.Kick, Metrics: m}); Scheduler.Run beside the feeds. For each
// article, after routing (and silences) and before the commit:
//
//	dec := limiter.Apply(routed.Alerts, res.Matches, now)
//	isNew, err := commit(...)
//	if err != nil || !isNew { dec.Cancel() } else { dec.Committed() }
package digest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// Window is the span of max_per_hour.
const Window = time.Hour

// Limiter decides which alerts go out now and which wait for the digest.
// It is safe for concurrent use.
type Limiter struct {
	limits map[string]int // destination → max_per_hour; absent or 0: no limit
	m      *Metrics
	mu     sync.Mutex
	// sent holds, per limited destination, the times of its last (at most
	// max_per_hour) alerts sent at once, oldest first.
	sent map[string][]time.Time
}

// NewLimiter returns a Limiter for the destinations' max_per_hour (a
// destination absent or at 0 has no limit). m may be nil.
func NewLimiter(limits map[string]int, m *Metrics) *Limiter {
	l := &Limiter{limits: map[string]int{}, m: m, sent: map[string][]time.Time{}}
	for dest, n := range limits {
		if n > 0 {
			l.limits[dest] = n
		}
	}
	return l
}

// RecentSender is where a Limiter reads the alerts sent recently at
// start; *store.Store implements it.
type RecentSender interface {
	RecentSends(ctx context.Context, notifier string, since time.Time, limit int) ([]time.Time, error)
}

// Seed fills each limited destination's window with the alerts enqueued
// for it at once in the hour before now, as the outbox has them. Call it
// once, before the first Apply.
func (l *Limiter) Seed(ctx context.Context, src RecentSender, now time.Time) error {
	for dest, max := range l.limits {
		times, err := src.RecentSends(ctx, dest, now.Add(-Window), max)
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.sent[dest] = times
		l.mu.Unlock()
	}
	return nil
}

// AllDigest reports whether every match has delivery: digest, so an alert
// of them never goes out at once. No match at all is not digest-only.
func AllDigest(matches []engine.Match) bool {
	for _, m := range matches {
		if m.Delivery != engine.DeliveryDigest {
			return false
		}
	}
	return len(matches) > 0
}

// Decide says whether an alert of matches to dest is queued for the
// digest (true) or sent now. One sent now takes a slot of dest's window
// at now; the rate-limited metric counts one queued for the limit. Apply
// is the same for the alerts of one article, with a way back.
func (l *Limiter) Decide(dest string, matches []engine.Match, now time.Time) (queued bool) {
	queued, limited := l.decide(dest, matches, now)
	if limited {
		l.m.rateLimited(dest)
	}
	return queued
}

// decide reports whether the alert is queued, and whether for the limit.
func (l *Limiter) decide(dest string, matches []engine.Match, now time.Time) (queued, limited bool) {
	if AllDigest(matches) {
		return true, false
	}
	max := l.limits[dest]
	if max == 0 {
		return false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.sent[dest]
	// Drop what left the window: what is left is within the last hour.
	from := now.Add(-Window)
	i := 0
	for i < len(w) && !w[i].After(from) {
		i++
	}
	w = w[i:]
	if len(w) >= max {
		l.sent[dest] = w
		return true, true
	}
	// Keep the window sorted: a caller's clock may be a little behind
	// another's.
	j := len(w)
	for j > 0 && w[j-1].After(now) {
		j--
	}
	l.sent[dest] = slices.Insert(w, j, now)
	return false, false
}

// cancel gives back a slot taken at at.
func (l *Limiter) cancel(dest string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.sent[dest]
	for i := len(w) - 1; i >= 0; i-- {
		if w[i].Equal(at) {
			l.sent[dest] = slices.Delete(w, i, i+1)
			return
		}
	}
}

// Decision is what Apply decided for the alerts of one article.
type Decision struct {
	l       *Limiter
	at      time.Time
	sent    []string // destinations given a slot
	limited []string // destinations whose alert was queued for the limit
}

// Apply decides for each pending alert of one article (Status ""; a
// silenced one is left alone) whether it goes out now or waits for its
// destination's digest, and sets Status to store.StatusQueued for those
// that wait. matches are the article's matches (engine.Result.Matches);
// an alert's are those named in its Rules. Call it after routing and
// before the commit; then call Cancel when the commit fails or the
// article was a duplicate, else Committed.
//
// The alerts whose ids are in followUps (a rule's cooldown: follow-ups in
// a story's thread, see router.Cooldowns) are not new alerts: they take
// no slot and are never queued for the limit, only for a digest-only rule.
func (l *Limiter) Apply(alerts []store.NewAlert, matches []engine.Match, now time.Time, followUps ...string) Decision {
	d := Decision{l: l, at: now}
	var ms []engine.Match
	for i := range alerts {
		al := &alerts[i]
		if al.Status != "" && al.Status != store.StatusPending {
			continue
		}
		ms = ms[:0]
		for _, m := range matches {
			if slices.Contains(al.Rules, m.Rule) {
				ms = append(ms, m)
			}
		}
		var queued, limited bool
		if slices.Contains(followUps, al.AlertID) {
			queued = AllDigest(ms)
		} else {
			queued, limited = l.decide(al.Notifier, ms, now)
		}
		switch {
		case limited:
			d.limited = append(d.limited, al.Notifier)
		case !queued && l.limits[al.Notifier] > 0:
			d.sent = append(d.sent, al.Notifier)
		}
		if queued {
			al.Status = store.StatusQueued
		}
	}
	return d
}

// Cancel gives back the window slots the decision took: its alerts were
// not committed (the commit failed, or the article was a duplicate).
func (d Decision) Cancel() {
	for _, dest := range d.sent {
		d.l.cancel(dest, d.at)
	}
}

// Committed counts the alerts queued for the limit in
// watchfloor_alerts_rate_limited_total, once the article is committed as
// new.
func (d Decision) Committed() {
	for _, dest := range d.limited {
		d.l.m.rateLimited(dest)
	}
}
