// Package daemon wires watchfloor's parts into the long-running service:
// the inbox and feed watchers hand articles to the engine, every match is
// routed to its destinations and written to the outbox in the same
// transaction that marks the article seen, and the dispatcher delivers the
// outbox to Slack, webhooks or the log. Rules reload live from the rules
// directory, on Reload (SIGHUP) and on POST /-/reload.
//
// Ordering guarantees: an article is committed (seen, with its alerts
// queued) before its inbox file is moved to processed/, so a crash at any
// point either re-reads the file (and finds the article already seen) or
// has everything on disk. Delivery is at least once.
package daemon

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/digest"
	"github.com/watchfloor/watchfloor/notifiers/registry"
	"github.com/watchfloor/watchfloor/notifiers/router"
	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/notifiers/stories"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
	"github.com/watchfloor/watchfloor/store/history"
	"github.com/watchfloor/watchfloor/watchers/feeds"
	"github.com/watchfloor/watchfloor/watchers/inbox"
	"github.com/watchfloor/watchfloor/watchers/rulesdir"
)

// Options configure a Daemon.
type Options struct {
	Config config.Config
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
	// Stdout is where the log notifier writes alerts (default os.Stdout).
	Stdout io.Writer
	// Version is reported in the User-Agent and in metrics.
	Version string
	// RulePack seeds rules_dir when it does not exist (nil: no seeding).
	RulePack fs.FS
	// ShutdownGrace bounds the delivery of due alerts at shutdown
	// (default 10s).
	ShutdownGrace time.Duration
	// HTTPClient is used by the webhook and Slack notifiers (default: a
	// client that keeps connections to a few hosts alive). Its Timeout is
	// dropped: delivery.timeout bounds each attempt. Feeds build their own
	// client, which refuses private addresses.
	HTTPClient *http.Client
	// SlackAPIURL overrides Slack's API base URL, for tests against a
	// local Slack test server.
	SlackAPIURL string
}

// Daemon is a running watchfloor service; create it with New, then Run.
type Daemon struct {
	cfg      config.Config
	log      *slog.Logger
	opts     Options
	store    *store.Store
	rules    atomic.Pointer[ruleState]
	reloadMu sync.Mutex
	// stamp is the rules directory's stamp taken before the last load
	// (guarded by reloadMu): the rules watcher, once armed, reloads when
	// the directory changed meanwhile.
	stamp  string
	notifs map[string]notifiers.Notifier
	disp   *notifiers.Dispatcher
	inbox  *inbox.Watcher
	feeds  *feeds.Watcher
	reg    *prometheus.Registry
	m      *metrics
	httpLn net.Listener
	// commits records articles in group commits; its Err makes the
	// daemon not ready while commits fail.
	commits *store.Committer
	// silences are the silences in force, refreshed from the store (where
	// the CLI adds them) and changed at once over the admin API.
	silences       *silences.Cache
	silenceMetrics *silences.Metrics
	// stories threads reports of one event: every alert carries its story.
	stories *stories.Index
	// limiter queues alerts past a destination's max_per_hour (and those
	// of rules with delivery: digest) for digests, which sends them.
	limiter *digest.Limiter
	digests *digest.Scheduler
	// cooldowns tell follow-ups in a story's thread (rules' cooldown)
	// from new alerts.
	cooldowns *router.Cooldowns
	// impact measures each reload over the last day's articles, in the
	// background; guarded by reloadMu. impactCtx is set while Run runs.
	impactCtx     context.Context
	impactCancel  context.CancelFunc
	impactWG      sync.WaitGroup
	impactMetrics *history.ImpactMetrics
}

// ruleState is one loaded rule set with its pool of scorers.
type ruleState struct {
	set    *rules.Set
	scorer sync.Pool
}

func newRuleState(set *rules.Set) *ruleState {
	st := &ruleState{set: set}
	st.scorer.New = func() any { return set.Rules.NewScorer() }
	return st
}

// New opens the store, loads the rules and builds every part. Anything
// the configuration gets wrong is an error here, before Run.
func New(ctx context.Context, opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	if opts.HTTPClient == nil {
		// Deliveries run in parallel, mostly to a few hosts: keep enough
		// idle connections per host (the default keeps 2) that they are
		// reused instead of dialled for every alert.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	cfg := opts.Config
	d := &Daemon{cfg: cfg, log: opts.Logger, opts: opts, reg: prometheus.NewRegistry()}
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.m = newMetrics(d.reg, opts.Version)

	if opts.RulePack != nil {
		seeded, err := rules.Seed(cfg.RulesDir, opts.RulePack)
		if err != nil {
			return nil, err
		}
		if seeded {
			d.log.Info("rules directory created from the shipped rule pack", "rules_dir", cfg.RulesDir)
		}
	}
	d.stamp = rulesdir.Stamp(cfg.RulesDir)
	set, err := rules.Load(cfg.RulesDir)
	if err != nil {
		return nil, err
	}
	if err := set.CheckNotifiers(cfg.HasNotifier); err != nil {
		return nil, err
	}
	d.rules.Store(newRuleState(set))
	d.m.rulesLoaded.Set(float64(set.Rules.Len()))

	d.notifs, err = registry.Build(cfg.Notifiers, registry.Options{
		Stdout: opts.Stdout, Client: opts.HTTPClient, Version: opts.Version, SlackAPIURL: opts.SlackAPIURL})
	if err != nil {
		return nil, err
	}
	d.store, err = store.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	d.commits = store.NewCommitter(d.store, d.log.With("component", "store"))
	d.silences = silences.NewCache(d.store)
	if err := d.silences.Refresh(ctx); err != nil {
		d.store.Close()
		return nil, err
	}
	d.silenceMetrics = silences.NewMetrics(d.reg)
	d.stories, err = stories.Open(ctx, d.store, stories.Options{Window: time.Duration(cfg.Stories.Window),
		Metrics: stories.NewMetrics(d.reg), Logger: d.log.With("component", "stories")}, time.Now())
	if err != nil {
		d.store.Close()
		return nil, err
	}
	d.disp = notifiers.NewDispatcher(d.store, d.notifs, notifiers.DispatchOptions{
		MinBackoff: time.Duration(cfg.Delivery.MinBackoff),
		MaxBackoff: time.Duration(cfg.Delivery.MaxBackoff),
		MaxAge:     time.Duration(cfg.Delivery.MaxAge),
		// The one delivery timeout: notifiers and their client have none.
		AttemptTimeout: time.Duration(cfg.Delivery.Timeout),
		Concurrency:    cfg.Delivery.Concurrency,
		Logger:         d.log.With("component", "dispatcher"),
		Metrics:        notifiers.NewMetrics(d.reg),
	})
	if d.impactMetrics, err = history.NewImpactMetrics(d.reg); err != nil {
		d.store.Close()
		return nil, err
	}
	dm := digest.NewMetrics(d.reg)
	limits := map[string]int{}
	var dests []digest.Destination
	for _, n := range cfg.Notifiers {
		limits[n.Name] = n.MaxPerHour
		dests = append(dests, digest.Destination{Name: n.Name, Schedule: n.Digest})
	}
	d.limiter = digest.NewLimiter(limits, dm)
	d.cooldowns = router.NewCooldowns(time.Duration(cfg.Stories.Window))
	if err := d.limiter.Seed(ctx, d.store, time.Now()); err != nil {
		d.store.Close()
		return nil, err
	}
	if err := d.cooldowns.Seed(ctx, d.store, time.Now()); err != nil {
		d.store.Close()
		return nil, err
	}
	d.digests, err = digest.NewScheduler(d.store, dests, digest.SchedulerOptions{
		Kick: d.disp.Kick, Logger: d.log.With("component", "digest"), Metrics: dm})
	if err != nil {
		d.store.Close()
		return nil, err
	}
	d.inbox, err = inbox.New(inbox.Options{
		Dir:        cfg.Inbox.Dir,
		Settle:     time.Duration(cfg.Inbox.Settle),
		Rescan:     time.Duration(cfg.Inbox.Rescan),
		Logger:     d.log.With("component", "inbox"),
		Registerer: d.reg,
	}, d.handleFile)
	if err != nil {
		d.store.Close()
		return nil, err
	}
	var fcs []feeds.Config
	for _, f := range cfg.Feeds {
		fcs = append(fcs, feeds.Config{Name: f.Name, URL: f.URL, Schedule: f.Schedule, FullText: f.FullText, MaxItemAge: time.Duration(f.MaxItemAge)})
	}
	// Feeds build their own HTTP clients: they refuse private addresses
	// (feed_fetch.allow_private), so they do not share opts.HTTPClient.
	d.feeds, err = feeds.New(fcs, d.store, d.handleFeedItem, feeds.Options{
		UserAgent:    "watchfloor/" + opts.Version + " (+feed reader)",
		Timeout:      time.Duration(cfg.FeedFetch.Timeout),
		Concurrency:  cfg.FeedFetch.Concurrency,
		StartJitter:  time.Duration(cfg.FeedFetch.StartJitter),
		AllowPrivate: cfg.FeedFetch.AllowPrivate,
		Logger:       d.log.With("component", "feeds"),
		Registerer:   d.reg,
	})
	if err != nil {
		d.store.Close()
		return nil, err
	}
	if l := cfg.HTTP.Listen; l != "" && l != "off" {
		d.httpLn, err = net.Listen("tcp", l)
		if err != nil {
			d.store.Close()
			return nil, fmt.Errorf("http: %w", err)
		}
		if !IsLoopbackListen(l) {
			d.log.Warn("the admin HTTP server listens beyond loopback; keep it off untrusted networks",
				"listen", l, "token_required", true, "token_set", cfg.HTTP.Token != "")
		}
	}
	return d, nil
}

// Addr returns the address of the admin HTTP server, or "" when it is off.
func (d *Daemon) Addr() string {
	if d.httpLn == nil {
		return ""
	}
	return d.httpLn.Addr().String()
}
