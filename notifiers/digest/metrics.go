package digest

import "github.com/prometheus/client_golang/prometheus"

// Metrics count the alerts that waited for a digest. A nil *Metrics
// counts nothing.
type Metrics struct {
	limited  *prometheus.CounterVec
	digested *prometheus.CounterVec
	digests  *prometheus.CounterVec
}

// NewMetrics registers the digest metrics on reg:
// watchfloor_alerts_rate_limited_total{notifier},
// watchfloor_alerts_digested_total{notifier} and
// watchfloor_digests_total{notifier}.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_alerts_rate_limited_total",
			Help: "Alerts queued for the next digest because their destination reached its max_per_hour, by notifier.",
		}, []string{"notifier"}),
		digested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_alerts_digested_total",
			Help: "Queued alerts taken into a digest, by notifier.",
		}, []string{"notifier"}),
		digests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_digests_total",
			Help: "Digests enqueued for delivery, by notifier.",
		}, []string{"notifier"}),
	}
	reg.MustRegister(m.limited, m.digested, m.digests)
	return m
}

func (m *Metrics) rateLimited(dest string) {
	if m != nil {
		m.limited.WithLabelValues(dest).Inc()
	}
}

func (m *Metrics) digest(dest string, alerts int) {
	if m != nil {
		m.digested.WithLabelValues(dest).Add(float64(alerts))
		m.digests.WithLabelValues(dest).Inc()
	}
}
