package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the daemon's own Prometheus metrics; notifiers, feeds and the
// inbox register theirs on the same registry.
type metrics struct {
	articles    *prometheus.CounterVec
	duplicates  *prometheus.CounterVec
	readErrors  *prometheus.CounterVec
	matches     *prometheus.CounterVec
	ruleErrors  *prometheus.CounterVec
	scoring     prometheus.Histogram
	rulesLoaded prometheus.Gauge
	reloads     *prometheus.CounterVec
	reloadOK    prometheus.Gauge
	reloadTime  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, version string) *metrics {
	m := &metrics{
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_articles_read_total", Help: "Articles read and scored, by source (inbox, feed).",
		}, []string{"source"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_articles_duplicate_total", Help: "Articles skipped because their id was already seen, by source.",
		}, []string{"source"}),
		readErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_read_errors_total", Help: "Inputs that could not be read, by source.",
		}, []string{"source"}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_matches_total", Help: "Rule matches, by rule.",
		}, []string{"rule"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_rule_errors_total", Help: "Run-time failures of rule expressions, by rule.",
		}, []string{"rule"}),
		scoring: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "watchfloor_scoring_duration_seconds", Help: "Time to score one article against every rule.",
			Buckets: prometheus.ExponentialBuckets(10e-6, 2.5, 12),
		}),
		rulesLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "watchfloor_rules_loaded", Help: "Number of rules in the running rule set.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_rule_reloads_total", Help: "Rule reloads, by result (success, failure).",
		}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "watchfloor_rules_last_reload_successful", Help: "1 if the last rule reload succeeded, 0 if it failed.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "watchfloor_rules_last_reload_success_timestamp_seconds", Help: "Time of the last successful rule load.",
		}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "watchfloor_build_info", Help: "Always 1; the version label says which build runs.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	reg.MustRegister(m.articles, m.duplicates, m.readErrors, m.matches, m.ruleErrors, m.scoring,
		m.rulesLoaded, m.reloads, m.reloadOK, m.reloadTime, info)
	m.reloadOK.Set(1)
	m.reloadTime.SetToCurrentTime()
	return m
}
