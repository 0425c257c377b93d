package notifiers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/store"
)

// Outbox is the durable queue a Dispatcher drains; *store.Store
// implements it.
type Outbox interface {
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]store.OutboxItem, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	MarkFailed(ctx context.Context, id int64, errMsg string, next time.Time) error
	MarkDead(ctx context.Context, id int64, errMsg string) error
	OutboxCounts(ctx context.Context) (pending, dead int, err error)
}

// DispatchOptions configure a Dispatcher.
type DispatchOptions struct {
	// MinBackoff is the first retry delay; it doubles per attempt, with
	// jitter, up to MaxBackoff. Defaults 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// MaxAge is how long an alert is retried before it becomes a dead
	// letter (default 72h).
	MaxAge time.Duration
	// Concurrency is how many deliveries run at once for each destination
	// (default 4), so one slow destination never holds up another.
	Concurrency int
	// AttemptTimeout bounds one attempt, from dialling to the end of the
	// response (default 15s). It is the only delivery timeout: notifiers
	// and their HTTP clients take none of their own.
	AttemptTimeout time.Duration
	Logger         *slog.Logger
	Metrics        *Metrics
	Now            func() time.Time
}

// Dispatcher delivers the outbox: the one place where delivery is retried.
type Dispatcher struct {
	ob   Outbox
	ns   map[string]Notifier
	o    DispatchOptions
	kick chan struct{}
	// released is signalled when a delivery ends.
	released chan struct{}
	mu       sync.Mutex
	busy     map[int64]bool // items being delivered
	// finished holds the items whose delivery ended since the last look
	// at the outbox began: that look may have read them before their new
	// status was committed, so they are skipped until the next one.
	finished map[int64]bool
	// slots holds a semaphore of Concurrency slots per destination.
	slots map[string]chan struct{}
	inflt sync.WaitGroup
	// gaugesAt is when the outbox gauges were last refreshed, and
	// gaugesErr the error of that refresh, if any.
	gaugesAt  time.Time
	gaugesErr string

	// Deliveries are recorded in group commits when the outbox can: the
	// goroutine that takes commitMu records every pending mark.
	markMu   sync.Mutex
	marks    []*mark
	commitMu sync.Mutex
}

// mark is a delivery waiting to be recorded.
type mark struct {
	id   int64
	done bool
	err  error
}

// manyMarker is an Outbox that records several deliveries at once.
type manyMarker interface {
	MarkDeliveredMany(ctx context.Context, ids []int64, at time.Time) error
}

// markDelivered records a delivery, together with whatever other
// deliveries are waiting to be recorded.
func (d *Dispatcher) markDelivered(ctx context.Context, id int64, at time.Time) error {
	mm, ok := d.ob.(manyMarker)
	if !ok {
		return d.ob.MarkDelivered(ctx, id, at)
	}
	m := &mark{id: id}
	d.markMu.Lock()
	d.marks = append(d.marks, m)
	d.markMu.Unlock()
	d.commitMu.Lock()
	defer d.commitMu.Unlock()
	if m.done { // a previous holder recorded it
		return m.err
	}
	d.markMu.Lock()
	batch := d.marks
	d.marks = nil
	d.markMu.Unlock()
	ids := make([]int64, len(batch))
	for i, b := range batch {
		ids[i] = b.id
	}
	err := mm.MarkDeliveredMany(ctx, ids, at)
	for _, b := range batch {
		b.done, b.err = true, err
	}
	return err
}

// NewDispatcher returns a Dispatcher over ob delivering through ns.
func NewDispatcher(ob Outbox, ns map[string]Notifier, o DispatchOptions) *Dispatcher {
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 72 * time.Hour
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	slots := make(map[string]chan struct{}, len(ns))
	for name := range ns {
		slots[name] = make(chan struct{}, o.Concurrency)
	}
	return &Dispatcher{ob: ob, ns: ns, o: o, kick: make(chan struct{}, 1), released: make(chan struct{}, 1),
		busy: map[int64]bool{}, finished: map[int64]bool{}, slots: slots}
}

// Kick tells the dispatcher that alerts were enqueued; it never blocks.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// batch is how many due items one look at the outbox takes.
const batch = 256

// Outcomes of deliveries that end while the dispatcher stops are still
// recorded, under a context of their own: recordTimeout bounds one record,
// and recordGrace how long a record may go on once the dispatcher's context
// has ended. settleLimit bounds the wait for deliveries in flight after
// that context ended; it is the most Run and Drain overrun their context.
const (
	recordTimeout = 10 * time.Second
	recordGrace   = 500 * time.Millisecond
	settleLimit   = 750 * time.Millisecond
)

// Run delivers due alerts until ctx is done, sleeping until the next one
// is due or a Kick. When ctx ends, the deliveries in flight are cancelled
// and Run returns once they have (at most settleLimit later); a delivery
// cut short that way leaves its alert pending, as it was, so the caller may
// close the outbox after Run returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	defer d.settle()
	for {
		read, started, err := d.dispatch(ctx, nil)
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Error("reading the outbox", "err", err)
		}
		wait := time.Hour
		if err != nil {
			wait = time.Second
		} else if read == batch && started > 0 {
			wait = 0 // more may be due
		} else if next, ok, err := d.ob.NextDue(ctx); err == nil && ok {
			wait = max(next.Sub(d.o.Now()), 0)
			if wait == 0 {
				// Due but in flight, or waiting for a slot of its
				// destination: the end of a delivery kicks.
				wait = time.Hour
			}
		}
		d.updateGauges(ctx)
		// Wake now and then even when idle, to keep the gauges fresh.
		wait = min(wait, 5*time.Second)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-d.kick:
			case <-t.C:
			}
			t.Stop()
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Drain makes one attempt at every alert due now and waits for the
// attempts; the daemon uses it at shutdown, within a grace period. When
// ctx ends first, the attempts in flight are cancelled, their alerts stay
// pending as they were (nothing marked that was not delivered), and Drain
// returns ctx's error once they have returned, at most settleLimit after
// ctx ended, so the caller may close the outbox then. It also returns an
// error when the outbox cannot be read.
func (d *Dispatcher) Drain(ctx context.Context) error {
	tried := map[int64]bool{}
	for {
		_, started, err := d.dispatch(ctx, tried)
		if err != nil {
			d.settle()
			return err
		}
		if started == 0 && d.inFlight() == 0 {
			break
		}
		// A delivery that ends may uncover items the look did not reach.
		select {
		case <-d.released:
		case <-ctx.Done():
			d.settle()
			return ctx.Err()
		}
	}
	d.gaugesAt = time.Time{}
	d.updateGauges(ctx)
	return nil
}

// inFlight is the number of deliveries running.
func (d *Dispatcher) inFlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.busy)
}

// settle waits for the deliveries in flight, whose context has ended, to
// return. A notifier that does not return promptly on cancellation is
// given up on after settleLimit, so shutdown stays bounded; its outcome may
// then fail to be recorded, which leaves its alert pending.
func (d *Dispatcher) settle() {
	done := make(chan struct{})
	go func() { d.inflt.Wait(); close(done) }()
	t := time.NewTimer(settleLimit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		d.o.Logger.Error("deliveries still running after cancellation; their alerts may be sent again after a restart", "waited", settleLimit)
	}
}

// dispatch starts the delivery of the due items whose destination has a
// free slot (Concurrency per destination), under ctx: when ctx ends, they
// are cancelled. An item whose destination is full waits for a later look,
// so one slow destination never holds up another. With tried (Drain), it
// skips the items in it and adds those it starts. It returns how many due
// items it read and how many deliveries it started.
func (d *Dispatcher) dispatch(ctx context.Context, tried map[int64]bool) (read, started int, err error) {
	d.mu.Lock()
	d.finished = map[int64]bool{}
	d.mu.Unlock()
	items, err := d.ob.DueAlerts(ctx, d.o.Now(), batch)
	if err != nil {
		return 0, 0, err
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return len(items), started, err
		}
		if tried[it.ID] {
			continue
		}
		// No slot for an unknown destination: it becomes a dead letter
		// at once.
		slot := d.slots[it.Notifier]
		d.mu.Lock()
		if d.busy[it.ID] || d.finished[it.ID] {
			d.mu.Unlock()
			continue
		}
		if slot != nil {
			select {
			case slot <- struct{}{}:
			default: // the destination is full
				d.mu.Unlock()
				continue
			}
		}
		d.busy[it.ID] = true
		d.mu.Unlock()
		if tried != nil {
			tried[it.ID] = true
		}
		started++
		d.inflt.Add(1)
		go func(it store.OutboxItem) {
			defer d.release(it.ID, slot)
			d.deliver(ctx, it)
		}(it)
	}
	return len(items), started, nil
}

// release ends the delivery of an item: it frees the destination's slot
// and wakes Run and Drain, which may now start what waited for it.
func (d *Dispatcher) release(id int64, slot chan struct{}) {
	d.mu.Lock()
	if slot != nil {
		<-slot
	}
	delete(d.busy, id)
	d.finished[id] = true
	d.mu.Unlock()
	d.Kick()
	select {
	case d.released <- struct{}{}:
	default:
	}
	d.inflt.Done()
}

// deliver makes one attempt and records its outcome. An attempt cut
// short because ctx ended (the dispatcher is stopping) is not an outcome:
// nothing is recorded and the alert stays pending as it was.
func (d *Dispatcher) deliver(ctx context.Context, it store.OutboxItem) {
	log := d.o.Logger.With("alert", it.AlertID, "notifier", it.Notifier, "attempt", it.Attempts+1)
	rctx, rcancel := recordContext(ctx)
	defer rcancel()
	n, ok := d.ns[it.Notifier]
	if !ok {
		d.dead(rctx, it, log, fmt.Sprintf("no notifier named %q in the config", it.Notifier))
		return
	}
	actx, cancel := context.WithTimeout(ctx, d.o.AttemptTimeout)
	start := time.Now()
	var retry bool
	var err error
	if IsDigest(it.Payload) {
		retry, err = notifyDigest(actx, n, it.AlertID, it.Payload)
	} else if pn, ok := n.(PayloadNotifier); ok && json.Valid(it.Payload) {
		retry, err = pn.NotifyPayload(actx, it.AlertID, it.Payload)
	} else {
		var al Alert
		if jerr := json.Unmarshal(it.Payload, &al); jerr != nil {
			cancel()
			d.dead(rctx, it, log, "undecodable alert payload: "+jerr.Error())
			return
		}
		if tn, ok := n.(ThreadNotifier); ok && al.Story != nil {
			var waited bool
			if retry, waited, err = d.notifyThread(actx, rctx, it, tn, al, log); waited {
				cancel()
				return
			}
		} else {
			retry, err = n.Notify(actx, al)
		}
	}
	cancel()
	if err != nil && ctx.Err() != nil {
		log.Info("delivery interrupted by shutdown, the alert stays in the outbox")
		return
	}
	d.o.Metrics.observe(it.Notifier, time.Since(start), err, retry)
	now := d.o.Now()
	if err == nil {
		if e := d.markDelivered(rctx, it.ID, now); e != nil {
			log.Error("recording a delivery", "err", e)
		}
		log.Debug("alert delivered")
		return
	}
	// What is recorded and logged is the error with the URL of any HTTP
	// request in it redacted, whatever the notifier did.
	shown := httpx.RedactError(err)
	if !retry {
		d.dead(rctx, it, log, shown.Error())
		return
	}
	deadline := it.CreatedAt.Add(d.o.MaxAge)
	if !now.Before(deadline) {
		d.dead(rctx, it, log, fmt.Sprintf("%v (retried for %v, the max_age)", shown, d.o.MaxAge))
		return
	}
	// The destination's Retry-After is honoured up to max_backoff, and no
	// attempt is put off past max_age: the last one is at the deadline,
	// and when it fails the alert becomes a dead letter.
	wait := httpx.Backoff(d.o.MinBackoff, d.o.MaxBackoff, it.Attempts)
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > wait {
		wait = min(ra.After, d.o.MaxBackoff)
	}
	next := now.Add(wait)
	if next.After(deadline) {
		next, wait = deadline, deadline.Sub(now)
	}
	if e := d.ob.MarkFailed(rctx, it.ID, shown.Error(), next); e != nil {
		log.Error("recording a failed delivery", "err", e)
	}
	log.Warn("alert delivery failed, will retry", "err", shown, "retry_in", wait.Round(time.Millisecond))
}

// recordContext is the context in which the outcome of a delivery made
// under ctx is recorded: not cancelled when ctx ends, so that an alert
// delivered just before shutdown is still marked delivered, but bounded by
// recordTimeout, and by recordGrace once ctx has ended.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(recordGrace, cancel) })
	return rctx, func() { stop(); cancel() }
}

func (d *Dispatcher) dead(ctx context.Context, it store.OutboxItem, log *slog.Logger, reason string) {
	if err := d.ob.MarkDead(ctx, it.ID, reason); err != nil {
		log.Error("recording a dead letter", "err", err)
	}
	log.Error("alert is a dead letter", "reason", reason)
}

func (d *Dispatcher) updateGauges(ctx context.Context) {
	if d.o.Metrics == nil || time.Since(d.gaugesAt) < time.Second {
		return
	}
	d.gaugesAt = time.Now()
	pending, dead, err := d.ob.OutboxCounts(ctx)
	if err != nil {
		if ctx.Err() == nil && err.Error() != d.gaugesErr {
			// Logged when the error changes, not at every refresh.
			d.gaugesErr = err.Error()
			d.o.Logger.Error("reading the outbox counts, the outbox metrics are stale", "err", err)
		}
		return
	}
	if d.gaugesErr != "" {
		d.gaugesErr = ""
		d.o.Logger.Info("outbox counts readable again")
	}
	d.o.Metrics.depth.Set(float64(pending))
	d.o.Metrics.dead.Set(float64(dead))
}

// Metrics are the delivery metrics.
type Metrics struct {
	sent     *prometheus.CounterVec
	failed   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	depth    prometheus.Gauge
	dead     prometheus.Gauge
}

// NewMetrics registers the delivery metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_notifications_sent_total", Help: "Alerts delivered, by notifier.",
		}, []string{"notifier"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_notifications_failed_total", Help: "Failed delivery attempts, by notifier and whether they will be retried.",
		}, []string{"notifier", "retry"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "watchfloor_notification_duration_seconds", Help: "Time of one delivery attempt.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 10),
		}, []string{"notifier"}),
		depth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchfloor_outbox_depth", Help: "Alerts waiting in the outbox."}),
		dead:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchfloor_dead_letters", Help: "Alerts that could not be delivered (see watchfloor outbox list)."}),
	}
	reg.MustRegister(m.sent, m.failed, m.duration, m.depth, m.dead)
	return m
}

func (m *Metrics) observe(notifier string, d time.Duration, err error, retry bool) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(notifier).Observe(d.Seconds())
	if err == nil {
		m.sent.WithLabelValues(notifier).Inc()
		return
	}
	r := "false"
	if retry {
		r = "true"
	}
	m.failed.WithLabelValues(notifier, r).Inc()
}
