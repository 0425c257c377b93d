package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
	"github.com/watchfloor/watchfloor/watchers/feeds/schedule"
)

// DefaultSchedule is the digest schedule of a destination that gives
// none: at the top of every hour (config.DefaultDigest).
const DefaultSchedule = "0 * * * *"

// MaxAlerts bounds the alerts of one digest, so that one message stays of
// a size every destination takes; a tick with more queued sends several
// digests.
const MaxAlerts = 500

// ID is the stable id of the digest of a destination that carries, first,
// the alert firstAlertID: a queued alert goes into one digest only, so it
// is unique, and the same across a failed and a repeated try.
func ID(dest, firstAlertID string) string {
	h := sha256.Sum256([]byte("digest\x00" + dest + "\x00" + firstAlertID))
	return "wf_" + hex.EncodeToString(h[:16])
}

// Build makes the digest outbox row of a destination's queued alerts,
// given oldest first: the pinned digest payload, with the alerts as they
// were queued, grouped by story then rule (notifiers.GroupDigest), and the
// rules of all of them. It is a store.DigestBuilder once dest and now are
// given.
func Build(dest string, queued []store.OutboxItem, now time.Time) (store.NewAlert, error) {
	if len(queued) == 0 {
		return store.NewAlert{}, fmt.Errorf("digest: %s: no alerts", dest)
	}
	raws := make([]json.RawMessage, len(queued))
	var rules []string
	for i, it := range queued {
		raws[i] = it.Payload
		for _, r := range it.Rules {
			if !slices.Contains(rules, r) {
				rules = append(rules, r)
			}
		}
	}
	entries, err := notifiers.DigestEntries(raws)
	if err != nil {
		return store.NewAlert{}, fmt.Errorf("digest: %s: %w", dest, err)
	}
	d := notifiers.Digest{ID: ID(dest, queued[0].AlertID), CreatedAt: now.UTC(), Alerts: make([]json.RawMessage, 0, len(entries))}
	for _, g := range notifiers.GroupDigest(entries) {
		for _, e := range g.Entries {
			d.Alerts = append(d.Alerts, e.Raw)
		}
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return store.NewAlert{}, fmt.Errorf("digest: %s: encode: %w", dest, err)
	}
	return store.NewAlert{AlertID: d.ID, Notifier: dest, Rules: rules, Payload: payload}, nil
}

// Outbox is where a Scheduler takes queued alerts into digests;
// *store.Store implements it.
type Outbox interface {
	CommitDigest(ctx context.Context, notifier string, limit int, build store.DigestBuilder) (int, error)
}

// Destination is one notifier and its digest schedule.
type Destination struct {
	Name string
	// Schedule is a cron spec (schedule.Parse); "" is DefaultSchedule.
	Schedule string
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Kick is called after a digest is enqueued (the Dispatcher's Kick),
	// so that it goes out at once; nil for none.
	Kick func()
	// Logger receives a line per digest and per failure; nil discards.
	Logger  *slog.Logger
	Metrics *Metrics
	// Now is the clock of digests' created_at (default time.Now).
	Now func() time.Time
	// MaxAlerts bounds the alerts of one digest (default MaxAlerts).
	MaxAlerts int
}

// Scheduler sends each destination's queued alerts as digests on the
// destination's schedule. Create it with NewScheduler, then Run.
type Scheduler struct {
	ob    Outbox
	dests []Destination
	specs []cron.Schedule
	o     SchedulerOptions
}

// NewScheduler returns a Scheduler over ob for dests; a schedule that does
// not parse is an error naming the destination (the config has checked
// them already).
func NewScheduler(ob Outbox, dests []Destination, o SchedulerOptions) (*Scheduler, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAlerts <= 0 {
		o.MaxAlerts = MaxAlerts
	}
	s := &Scheduler{ob: ob, o: o}
	for _, d := range dests {
		if d.Schedule == "" {
			d.Schedule = DefaultSchedule
		}
		sc, err := schedule.Parse(d.Schedule)
		if err != nil {
			return nil, fmt.Errorf("digest: notifier %q: invalid digest schedule %q: %w", d.Name, d.Schedule, err)
		}
		s.dests = append(s.dests, d)
		s.specs = append(s.specs, sc)
	}
	return s, nil
}

// missedTicks is what an Outbox that can tell when its oldest queued
// alert was queued offers: Run then makes up ticks missed while the
// daemon was down.
type missedTicks interface {
	OldestQueued(ctx context.Context, notifier string) (time.Time, bool, error)
}

// Run sends digests on schedule until ctx ends, then waits for a digest
// being built and returns nil. A digest that fails to be built or
// committed is logged, and its alerts stay queued for the next tick. A
// tick missed while the daemon was down (a destination's oldest queued
// alert is older than a tick of its schedule) is made up at once when Run
// starts, when the Outbox can say how old its queue is (*store.Store can).
func (s *Scheduler) Run(ctx context.Context) error {
	s.MakeUp(ctx)
	c := cron.New()
	for i, d := range s.dests {
		name := d.Name
		c.Schedule(s.specs[i], cron.NewChain(cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() {
			if _, err := s.Digest(ctx, name); err != nil && ctx.Err() == nil {
				s.o.Logger.Error("digest failed; its alerts stay queued for the next one", "notifier", name, "err", err)
			}
		})))
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// MakeUp sends now the digests of the destinations whose oldest queued
// alert is older than a tick of their schedule: ticks missed while the
// daemon was down. Run calls it first. It does nothing when the Outbox
// cannot say how old its queue is (*store.Store can).
func (s *Scheduler) MakeUp(ctx context.Context) {
	mt, ok := s.ob.(missedTicks)
	if !ok {
		return
	}
	now := s.o.Now()
	for i, d := range s.dests {
		oldest, ok, err := mt.OldestQueued(ctx, d.Name)
		if err != nil {
			s.o.Logger.Error("cannot tell whether a digest was missed", "notifier", d.Name, "err", err)
			continue
		}
		if !ok || s.specs[i].Next(oldest).After(now) {
			continue
		}
		s.o.Logger.Info("sending the digest missed while the daemon was down", "notifier", d.Name, "queued_since", oldest)
		if _, err := s.Digest(ctx, d.Name); err != nil && ctx.Err() == nil {
			s.o.Logger.Error("digest failed; its alerts stay queued for the next one", "notifier", d.Name, "err", err)
		}
	}
}

// Digest takes dest's queued alerts into digests now, at most MaxAlerts
// each, and says how many alerts they carry: what each tick of dest's
// schedule does.
func (s *Scheduler) Digest(ctx context.Context, dest string) (int, error) {
	total := 0
	for {
		now := s.o.Now()
		var id string
		n, err := s.ob.CommitDigest(ctx, dest, s.o.MaxAlerts, func(q []store.OutboxItem) (store.NewAlert, error) {
			al, err := Build(dest, q, now)
			id = al.AlertID
			return al, err
		})
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		total += n
		s.o.Metrics.digest(dest, n)
		s.o.Logger.Info("digest enqueued", "notifier", dest, "digest", id, "alerts", n)
		if s.o.Kick != nil {
			s.o.Kick()
		}
		if n < s.o.MaxAlerts {
			return total, nil
		}
	}
}
