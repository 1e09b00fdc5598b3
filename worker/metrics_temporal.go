package worker

import (
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// The Temporal SDK's metrics on prometheus/client_golang. The SDK's own
// contrib handlers (tally, OpenTelemetry) are separate modules with their
// own reporters; this adapter is the small client.MetricsHandler over the
// registry the roles already serve.
//
// Prometheus needs a fixed label set per metric name while the SDK tags
// freely, so every SDK metric carries the same labels below ("" when the
// SDK did not set one; other tags are dropped). Counters end in _total, timers become histograms in seconds (<name>_seconds).
var temporalLabels = []string{"namespace", "task_queue", "workflow_type", "activity_type", "operation",
	"worker_type", "poller_type", "failure_reason", "cause"}

// TemporalMetrics holds the vectors created for SDK metrics on reg.
type TemporalMetrics struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
}

// NewTemporalMetricsHandler returns the handler to put in
// client.Options.MetricsHandler; its metrics are registered on reg.
func NewTemporalMetricsHandler(reg prometheus.Registerer) client.MetricsHandler {
	m := &TemporalMetrics{reg: reg, counters: map[string]*prometheus.CounterVec{},
		gauges: map[string]*prometheus.GaugeVec{}, timers: map[string]*prometheus.HistogramVec{}}
	return temporalHandler{m: m}
}

type temporalHandler struct {
	m    *TemporalMetrics
	tags map[string]string
}

func (h temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	maps.Copy(merged, h.tags)
	maps.Copy(merged, tags)
	return temporalHandler{m: h.m, tags: merged}
}

func (h temporalHandler) values() []string {
	out := make([]string, len(temporalLabels))
	for i, l := range temporalLabels {
		out[i] = h.tags[l]
	}
	return out
}

func promName(name string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(name)
}

// register registers c, or returns the collector already registered under
// the same name (two workers in one process share the registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		// A name clash with a non-SDK metric: count into an unregistered
		// vector rather than crash the worker.
	}
	return c
}

func (h temporalHandler) Counter(name string) client.MetricsCounter {
	h.m.mu.Lock()
	v, ok := h.m.counters[name]
	if !ok {
		v = register(h.m.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: strings.TrimSuffix(promName(name), "_total") + "_total", Help: "Temporal SDK counter " + name + ".",
		}, temporalLabels))
		h.m.counters[name] = v
	}
	h.m.mu.Unlock()
	c := v.WithLabelValues(h.values()...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h temporalHandler) Gauge(name string) client.MetricsGauge {
	h.m.mu.Lock()
	v, ok := h.m.gauges[name]
	if !ok {
		v = register(h.m.reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: promName(name), Help: "Temporal SDK gauge " + name + ".",
		}, temporalLabels))
		h.m.gauges[name] = v
	}
	h.m.mu.Unlock()
	g := v.WithLabelValues(h.values()...)
	return gaugeFunc(g.Set)
}

func (h temporalHandler) Timer(name string) client.MetricsTimer {
	h.m.mu.Lock()
	v, ok := h.m.timers[name]
	if !ok {
		v = register(h.m.reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: promName(name) + "_seconds", Help: "Temporal SDK timer " + name + ".",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, temporalLabels))
		h.m.timers[name] = v
	}
	h.m.mu.Unlock()
	o := v.WithLabelValues(h.values()...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
