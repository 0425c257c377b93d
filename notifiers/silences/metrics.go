package silences

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what silences do.
type Metrics struct {
	silenced *prometheus.CounterVec
}

// NewMetrics registers watchfloor_alerts_silenced_total{rule} on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		silenced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_alerts_silenced_total",
			Help: "Rules taken out of an alert by a silence, by rule: one per alert (article and destination) and rule.",
		}, []string{"rule"}),
	}
	reg.MustRegister(m.silenced)
	return m
}

// Observe counts the removals of f. Call it once the alert is committed
// (for an article that was new), so a duplicate is not counted. A nil
// *Metrics counts nothing.
func (m *Metrics) Observe(f Filtered) {
	if m == nil {
		return
	}
	for _, r := range f.Removed {
		m.silenced.WithLabelValues(r.Rule).Inc()
	}
}
