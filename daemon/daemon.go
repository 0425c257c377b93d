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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/lognotify"
	"github.com/watchfloor/watchfloor/notifiers/slack"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
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
	notifs   map[string]notifiers.Notifier
	disp     *notifiers.Dispatcher
	inbox    *inbox.Watcher
	feeds    *feeds.Watcher
	reg      *prometheus.Registry
	m        *metrics
	httpLn   net.Listener
	commits  chan commitReq
	// commitErr is the error of the last group commit, nil once one
	// succeeds: while commits fail the daemon is not ready.
	commitErr atomic.Pointer[error]
}

// commitReq asks the committer to record one article.
type commitReq struct {
	c     store.Commit
	reply chan commitRes
}

type commitRes struct {
	isNew bool
	err   error
}

// maxBatch bounds the articles of one group commit.
const maxBatch = 128

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
	d := &Daemon{cfg: cfg, log: opts.Logger, opts: opts, reg: prometheus.NewRegistry(), commits: make(chan commitReq)}
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.m = newMetrics(d.reg, opts.Version)

	if err := d.seedRules(); err != nil {
		return nil, err
	}
	set, err := rules.Load(cfg.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if err := CheckRoutes(cfg, set); err != nil {
		return nil, err
	}
	d.rules.Store(newRuleState(set))
	d.m.rulesLoaded.Set(float64(set.Rules.Len()))

	d.notifs, err = BuildNotifiers(cfg, opts.Stdout, opts.HTTPClient, opts.Version, opts.SlackAPIURL)
	if err != nil {
		return nil, err
	}
	d.store, err = store.Open(ctx, cfg.DataDir)
	if err != nil {
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

// Run serves until ctx is done or a component fails, then shuts down in
// order: intake stops (an inbox file in flight is abandoned, to be read
// again at the next start), the committer finishes what it was given, the
// dispatcher delivers what is due until the shutdown grace ends (a
// delivery still running then is cancelled and its alert stays pending),
// and the store closes last.
//
// Every component runs on one context that the first failure cancels, so
// a failed component (an inbox directory removed, inotify exhausted) stops
// the whole daemon and Run returns its error: under systemd or a container
// runtime the process exits non-zero and is restarted, instead of running
// on with half its parts. Shutdown is bounded by the grace period plus a
// few seconds whatever a component or a destination does.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.store.Close()
	d.log.Info("watchfloor started", "pid", os.Getpid(), "rules", d.rules.Load().set.Rules.Len(), "inbox", d.cfg.Inbox.Dir,
		"feeds", len(d.cfg.Feeds), "notifiers", len(d.notifs), "http", d.Addr(), "data_dir", d.cfg.DataDir)

	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)

	commitDone := make(chan struct{})
	stopCommits := make(chan struct{})
	go func() { defer close(commitDone); d.committer(stopCommits) }()
	// The dispatcher outlives intake: it stops only once nothing more can
	// be committed, then Drain takes over for the grace period.
	dispCtx, stopDisp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDisp()
	dispDone := make(chan struct{})
	go func() {
		defer close(dispDone)
		if err := d.disp.Run(dispCtx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("dispatcher stopped", "err", err)
		}
	}()

	var wg sync.WaitGroup
	// The first failure is the cause of runCtx's end; later ones are lost
	// in the shutdown it started.
	fail := func(err error) { stop(err) }
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f(runCtx)
			if err != nil && runCtx.Err() == nil {
				fail(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	var srv *http.Server
	if d.httpLn != nil {
		srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(d.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("http server: %w", err))
			}
		}()
	}
	run("inbox", d.inbox.Run)
	run("feeds", d.feeds.Run)
	run("rules watcher", func(ctx context.Context) error {
		return rulesdir.Watch(ctx, d.cfg.RulesDir, 0, d.log.With("component", "rules"), func() { _ = d.Reload("file change") })
	})
	// The outbox can change behind the daemon's back (watchfloor outbox
	// retry), so look at it now and then even without a kick.
	run("outbox ticker", func(ctx context.Context) error {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				d.disp.Kick()
			}
		}
	})

	<-runCtx.Done()
	// The grace period starts now and bounds everything that follows.
	graceEnd := time.Now().Add(d.opts.ShutdownGrace)
	runErr := context.Cause(runCtx)
	if ctx.Err() != nil && errors.Is(runErr, context.Cause(ctx)) {
		runErr = nil // the caller stopped the daemon: no failure
	}
	if runErr != nil {
		d.log.Error("a component failed, shutting down", "err", runErr)
	}
	d.log.Info("shutting down: intake stopped", "grace", d.opts.ShutdownGrace)
	intakeDone := make(chan struct{})
	go func() { wg.Wait(); close(intakeDone) }()
	select {
	case <-intakeDone:
	case <-time.After(time.Until(graceEnd)):
		d.log.Error("intake did not stop within the shutdown grace; closing anyway")
	}
	close(stopCommits)
	<-commitDone
	stopDisp()
	<-dispDone
	graceCtx, cancel := context.WithDeadline(context.Background(), graceEnd)
	defer cancel()
	if err := d.disp.Drain(graceCtx); err != nil {
		d.log.Warn("alerts left in the outbox for the next start", "err", err)
	}
	if srv != nil {
		shCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = srv.Shutdown(shCtx)
		cancel()
	}
	if runErr != nil {
		d.log.Info("watchfloor stopped after a failure")
		return runErr
	}
	d.log.Info("watchfloor stopped")
	return nil
}

// Reload loads the rules directory again and swaps the new set in. On any
// error the running set stays and the error is logged and returned.
func (d *Daemon) Reload(reason string) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	set, err := rules.Load(d.cfg.RulesDir)
	if err == nil {
		err = CheckRoutes(d.cfg, set)
	}
	if err != nil {
		d.m.reloads.WithLabelValues("failure").Inc()
		d.m.reloadOK.Set(0)
		for _, line := range strings.Split(err.Error(), "\n") {
			d.log.Error("rules reload failed, keeping the running rules", "reason", reason, "err", line)
		}
		return err
	}
	d.rules.Store(newRuleState(set))
	d.m.reloads.WithLabelValues("success").Inc()
	d.m.reloadOK.Set(1)
	d.m.reloadTime.SetToCurrentTime()
	d.m.rulesLoaded.Set(float64(set.Rules.Len()))
	d.log.Info("rules reloaded", "reason", reason, "rules", set.Rules.Len(), "files", len(set.Files))
	return nil
}

// handleFile reads one inbox file and processes its articles as they are
// read (a JSON Lines file line by line). A file that cannot be read or
// parsed goes to failed/, after its valid articles; a store failure leaves
// the file in place to be tried again. When ctx is cancelled (shutdown),
// it stops before the next article and returns ctx's error: the file stays
// in the inbox and is read again at the next start, where the articles
// already committed are found seen.
func (d *Daemon) handleFile(ctx context.Context, path string) error {
	var procErr error
	readErr := ingest.Each(path, func(a engine.Article) error {
		if procErr = ctx.Err(); procErr == nil {
			procErr = d.process(ctx, a, nil, "inbox")
		}
		return procErr
	})
	if procErr != nil {
		return procErr
	}
	if readErr != nil {
		d.m.readErrors.WithLabelValues("inbox").Inc()
		return inbox.Unreadable(readErr)
	}
	return nil
}

func (d *Daemon) handleFeedItem(ctx context.Context, a engine.Article, keys []string) error {
	return d.process(ctx, a, keys, "feed")
}

// process scores one article, routes its matches and commits the article
// and its alerts in one transaction.
func (d *Daemon) process(ctx context.Context, a engine.Article, keys []string, source string) error {
	a.EnsureID()
	seen, err := d.store.Seen(ctx, append([]string{a.ID}, keys...)...)
	if err != nil {
		return err
	}
	if seen {
		d.m.duplicates.WithLabelValues(source).Inc()
		d.log.Debug("duplicate: article seen before, not scored again", "article", a.ID, "title", a.Title, "source", a.Source)
		return nil
	}
	st := d.rules.Load()
	sc := st.scorer.Get().(*engine.Scorer)
	start := time.Now()
	res := sc.Score(a)
	st.scorer.Put(sc)
	d.m.scoring.Observe(time.Since(start).Seconds())
	for _, e := range res.Errors {
		d.m.ruleErrors.WithLabelValues(e.Rule).Inc()
		d.log.Warn("rule failed at run time", "rule", e.Rule, "article", a.ID, "err", e.Err)
	}
	alerts, err := d.route(res, time.Now())
	if err != nil {
		return err
	}
	names := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		names[i] = m.Rule
	}
	rec := store.ArticleRecord{
		ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Lang: a.Lang, Body: a.Body,
		Published: a.Published, SeenAt: time.Now(), Matches: names, Result: store.NewResult(res),
	}
	reply := make(chan commitRes, 1)
	select {
	case d.commits <- commitReq{c: store.Commit{Article: rec, Keys: keys, Alerts: alerts}, reply: reply}:
	case <-ctx.Done():
		return ctx.Err()
	}
	res2 := <-reply
	if res2.err != nil {
		return res2.err
	}
	isNew := res2.isNew
	d.m.articles.WithLabelValues(source).Inc()
	if !isNew {
		d.m.duplicates.WithLabelValues(source).Inc()
		d.log.Debug("duplicate: article seen before, not scored again", "article", a.ID, "title", a.Title, "source", a.Source)
		return nil
	}
	for _, m := range res.Matches {
		d.m.matches.WithLabelValues(m.Rule).Inc()
	}
	if len(res.Matches) == 0 {
		d.log.Debug("no match", "article", a.ID, "title", a.Title, "source", a.Source)
	}
	if len(alerts) > 0 {
		d.disp.Kick()
		d.log.Info("article matched", "article", a.ID, "title", a.Title, "rules", strings.Join(names, ","), "alerts", len(alerts))
	}
	return nil
}

// committer records articles in group commits: whatever arrives while a
// transaction runs goes into the next one, so under load one transaction
// carries many articles and the single SQLite writer keeps up.
func (d *Daemon) committer(stop <-chan struct{}) {
	for {
		var first commitReq
		select {
		case first = <-d.commits:
		case <-stop:
			return
		}
		batch := []commitReq{first}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-d.commits:
				batch = append(batch, r)
			default:
				break more
			}
		}
		cs := make([]store.Commit, len(batch))
		for i, r := range batch {
			cs[i] = r.c
		}
		ok, err := d.store.CommitArticles(context.Background(), cs)
		if err != nil {
			if d.commitErr.Swap(&err) == nil {
				d.log.Error("commits are failing; not ready until one succeeds", "err", err)
			}
		} else if d.commitErr.Swap(nil) != nil {
			d.log.Info("commits succeed again; ready")
		}
		for i, r := range batch {
			if err != nil {
				r.reply <- commitRes{err: err}
				continue
			}
			r.reply <- commitRes{isNew: ok[i]}
		}
	}
}

// route groups the matches of res by destination: a rule's notify list,
// else default_notify. One alert per destination lists every match routed
// there.
func (d *Daemon) route(res engine.Result, now time.Time) ([]store.NewAlert, error) {
	var order []string
	by := map[string][]engine.Match{}
	for _, m := range res.Matches {
		dests := m.Notify
		if len(dests) == 0 {
			dests = d.cfg.DefaultNotify
		}
		for _, dest := range dests {
			if _, ok := by[dest]; !ok {
				order = append(order, dest)
			}
			by[dest] = append(by[dest], m)
		}
	}
	var out []store.NewAlert
	for _, dest := range order {
		ms := by[dest]
		al := notifiers.Alert{ID: AlertID(res.Article.ID, dest), CreatedAt: now.UTC(), Article: res.Article, Matches: ms, Summary: res.Summary}
		payload, err := json.Marshal(al)
		if err != nil {
			return nil, fmt.Errorf("daemon: encode alert: %w", err)
		}
		rules := make([]string, len(ms))
		for i, m := range ms {
			rules[i] = m.Rule
		}
		out = append(out, store.NewAlert{AlertID: al.ID, Notifier: dest, ArticleID: res.Article.ID, Rules: rules, Payload: payload})
	}
	return out, nil
}

// AlertID is the stable id of the alert for one article and destination:
// the same across retries and restarts (it is the webhook-id).
func AlertID(articleID, dest string) string {
	h := sha256.Sum256([]byte(articleID + "\x00" + dest))
	return "wf_" + hex.EncodeToString(h[:16])
}

// CheckRoutes reports rules whose notify names a destination the config
// lacks (at the entry's FILE:LINE:COL), and a default_notify that names
// one.
func CheckRoutes(cfg config.Config, set *rules.Set) error {
	known := map[string]bool{}
	for _, n := range cfg.Notifiers {
		known[n.Name] = true
	}
	errs := []error{set.CheckNotifiers(func(name string) bool { return known[name] })}
	for _, n := range cfg.DefaultNotify {
		if !known[n] {
			errs = append(errs, fmt.Errorf("default_notify: no notifier named %q", n))
		}
	}
	return errors.Join(errs...)
}

// Check builds, from a valid config and a loaded rule set, everything that
// New builds short of opening the store, binding the admin listener and
// sending: the routes of the rules and every notifier (so a webhook
// secret whose base64 is broken fails here as it would at start). It is
// what `watchfloor check` runs.
func Check(cfg config.Config, set *rules.Set) error {
	errs := []error{CheckRoutes(cfg, set)}
	if _, err := BuildNotifiers(cfg, io.Discard, &http.Client{}, "check", ""); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// BuildNotifiers makes the notifiers of the config. They send through a
// copy of client without its Timeout: an attempt is bounded by the
// dispatcher's delivery.timeout alone, never cut short by a client timeout
// meant for feeds.
func BuildNotifiers(cfg config.Config, stdout io.Writer, client *http.Client, version, slackAPIURL string) (map[string]notifiers.Notifier, error) {
	if client == nil {
		client = &http.Client{}
	} else {
		c := *client
		c.Timeout = 0
		client = &c
	}
	out := map[string]notifiers.Notifier{}
	for _, n := range cfg.Notifiers {
		var nt notifiers.Notifier
		var err error
		switch n.Type {
		case "log":
			nt = lognotify.New(n.Name, stdout)
		case "slack":
			api := n.APIURL
			if slackAPIURL != "" {
				api = slackAPIURL
			}
			nt, err = slack.New(slack.Config{Name: n.Name, Token: n.Token, Channel: n.Channel, WebhookURL: n.WebhookURL, APIURL: api, Client: client})
		case "webhook":
			nt, err = webhook.New(webhook.Config{Name: n.Name, URL: n.URL, Secret: n.Secret, Client: client, UserAgent: "watchfloor/" + version})
		default:
			err = fmt.Errorf("unknown type %q", n.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("notifier %s: %w", n.Name, err)
		}
		out[n.Name] = nt
	}
	return out, nil
}

// seedRules copies the embedded rule pack into rules_dir when that
// directory does not exist or is empty, so a fresh machine or an empty
// volume starts with rules the analyst can edit. Unit tests of the pack
// are not copied: they refer to fixtures of the repository.
func (d *Daemon) seedRules() error {
	if d.opts.RulePack == nil {
		return nil
	}
	dir := d.cfg.RulesDir
	if des, err := os.ReadDir(dir); err == nil && len(des) > 0 || err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	err := fs.WalkDir(d.opts.RulePack, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !rules.IsRuleFile(p) {
			return err
		}
		data, err := fs.ReadFile(d.opts.RulePack, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("daemon: seed %s with the shipped rules: %w", dir, err)
	}
	d.log.Info("rules directory created from the shipped rule pack", "rules_dir", dir)
	return nil
}
