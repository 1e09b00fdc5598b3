package realtime

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connections    prometheus.Gauge
	eventsIn       prometheus.Counter
	tailed         prometheus.Counter
	eventsOut      prometheus.Counter
	drops          *prometheus.CounterVec
	resyncs        *prometheus.CounterVec
	amqpReconnects prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scrm_realtime_connections", Help: "Open websocket connections on this pod."}),
		tailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scrm_realtime_events_tailed_total",
			Help: "Events this pod delivered from the events table because RabbitMQ never brought them (their producer died, or the broker lost them).",
		}),
		eventsIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scrm_realtime_events_in_total", Help: "Events received from the fanout or replayed by the pod."}),
		eventsOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scrm_realtime_events_out_total", Help: "Event frames queued to websockets."}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_realtime_drops_total", Help: "Connections dropped by the pod, by reason."}, []string{"reason"}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_realtime_resyncs_total", Help: "Resyncs from the events table, by result (ok, reload, error, pod)."}, []string{"result"}),
		amqpReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scrm_realtime_amqp_reconnects_total", Help: "Times the pod re-subscribed to RabbitMQ after a loss."}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.eventsIn, m.tailed, m.eventsOut, m.drops, m.resyncs, m.amqpReconnects)
	}
	return m
}
