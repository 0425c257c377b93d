package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store/history"
	"github.com/watchfloor/watchfloor/watchers/rulesdir"
)

// Reload loads the rules directory again and swaps the new set in. On any
// error the running set stays and the error is logged and returned.
func (d *Daemon) Reload(reason string) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.stamp = rulesdir.Stamp(d.cfg.RulesDir)
	set, err := rules.Load(d.cfg.RulesDir)
	if err == nil {
		err = set.CheckNotifiers(d.cfg.HasNotifier)
	}
	if err != nil {
		d.m.reloads.WithLabelValues("failure").Inc()
		d.m.reloadOK.Set(0)
		for _, line := range strings.Split(err.Error(), "\n") {
			d.log.Error("rules reload failed, keeping the running rules", "reason", reason, "err", line)
		}
		return err
	}
	old := d.rules.Swap(newRuleState(set))
	d.measureImpact(old.set.Rules, set.Rules)
	d.m.reloads.WithLabelValues("success").Inc()
	d.m.reloadOK.Set(1)
	d.m.reloadTime.SetToCurrentTime()
	d.m.rulesLoaded.Set(float64(set.Rules.Len()))
	d.log.Info("rules reloaded", "reason", reason, "rules", set.Rules.Len(), "files", len(set.Files))
	return nil
}

// reloadIfChanged reloads the rules when the directory changed since the
// last load: what the rules watcher could not see before it was armed.
func (d *Daemon) reloadIfChanged(reason string) {
	d.reloadMu.Lock()
	changed := rulesdir.Stamp(d.cfg.RulesDir) != d.stamp
	d.reloadMu.Unlock()
	if changed {
		_ = d.Reload(reason)
	}
}

// measureImpact replays the last day's articles through the old and the
// new rules in the background, then logs one line per rule whose matches
// change ("rules reloaded: attack +3 −1 over 412 articles") and exports
// the counts in /metrics. A reload that comes while one runs abandons it.
// It runs only while Run does. The caller holds reloadMu.
func (d *Daemon) measureImpact(old, new *engine.RuleSet) {
	if d.impactCtx == nil {
		return
	}
	if d.impactCancel != nil {
		d.impactCancel()
	}
	ctx, cancel := context.WithCancel(d.impactCtx)
	d.impactCancel = cancel
	d.impactWG.Add(1)
	go func() {
		defer d.impactWG.Done()
		defer cancel()
		rep, err := history.Impact(ctx, d.store, old, new, time.Now().Add(-history.ImpactWindow))
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("rules reload impact not measured", "err", err)
			}
			return
		}
		rep.Log(d.log)
		d.impactMetrics.Set(rep)
	}()
}

// startImpact lets reloads measure their impact until stopImpact, which
// abandons a measure still running and waits for it (before the store
// closes).
func (d *Daemon) startImpact(ctx context.Context) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.impactCtx = ctx
}

func (d *Daemon) stopImpact() {
	d.reloadMu.Lock()
	d.impactCtx = nil
	if d.impactCancel != nil {
		d.impactCancel()
	}
	d.reloadMu.Unlock()
	d.impactWG.Wait()
}
