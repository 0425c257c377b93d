package daemon

import (
	"strings"

	"github.com/watchfloor/watchfloor/rules"
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
	d.rules.Store(newRuleState(set))
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
