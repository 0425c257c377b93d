package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/watchers/rulesdir"
)

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
	d.startImpact(runCtx)

	commitDone := make(chan struct{})
	stopCommits := make(chan struct{})
	go func() { defer close(commitDone); d.commits.Run(stopCommits) }()
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
	run("digests", d.digests.Run)
	run("rules watcher", func(ctx context.Context) error {
		return rulesdir.Watch(ctx, d.cfg.RulesDir, 0, d.log.With("component", "rules"), func() { _ = d.Reload("file change") },
			func() { d.reloadIfChanged("changed while the watcher started") })
	})
	// Silences added with the CLI reach routing within RefreshEvery.
	run("silences", func(ctx context.Context) error {
		d.silences.Run(ctx, silences.RefreshEvery, d.log.With("component", "silences"))
		return nil
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
	d.stopImpact()
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
