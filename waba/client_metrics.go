package waba

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Send results as the metrics label them.
const (
	SendResultSent      = "sent"      // Meta accepted the message (a wamid came back)
	SendResultFailed    = "failed"    // a permanent error: the message will not go out as is
	SendResultRetryable = "retryable" // throughput, pair rate, transient codes, 5xx: retried later
	SendResultNoAnswer  = "no_answer" // timeout or network error before an answer: ambiguous, reconciled by webhook
)

// SendMetrics counts Cloud API sends by sender, result and Meta error code.
type SendMetrics struct {
	sends   *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewSendMetrics registers scrm_waba_sends_total and
// scrm_waba_send_duration_seconds on reg.
func NewSendMetrics(reg prometheus.Registerer) *SendMetrics {
	m := &SendMetrics{
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_waba_sends_total",
			Help: "Cloud API send calls by sender (phone_number_id), result (sent, failed, retryable, no_answer) and Meta error code (0: none).",
		}, []string{"phone_number_id", "result", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scrm_waba_send_duration_seconds",
			Help:    "Cloud API send call latency by result.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"result"}),
	}
	reg.MustRegister(m.sends, m.latency)
	return m
}

// SendClassify maps a send's error to its result label and Meta code.
func SendClassify(err error) (result string, code int) {
	if err == nil {
		return SendResultSent, 0
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Retryable() {
			return SendResultRetryable, ae.Code
		}
		return SendResultFailed, ae.Code
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &ne) {
		return SendResultNoAnswer, 0
	}
	return SendResultFailed, 0
}

// Sender is what MeteredSender wraps (the Client's Send).
type Sender interface {
	Send(ctx context.Context, phoneNumberID string, m OutboundMessage, o SendOptions) (SendResult, error)
}

// MeteredSender counts every Send of Next in Metrics.
type MeteredSender struct {
	Next    Sender
	Metrics *SendMetrics
}

// Send calls Next.Send and records its result.
func (s MeteredSender) Send(ctx context.Context, phoneNumberID string, m OutboundMessage, o SendOptions) (SendResult, error) {
	start := time.Now()
	res, err := s.Next.Send(ctx, phoneNumberID, m, o)
	result, code := SendClassify(err)
	s.Metrics.sends.WithLabelValues(phoneNumberID, result, strconv.Itoa(code)).Inc()
	s.Metrics.latency.WithLabelValues(result).Observe(time.Since(start).Seconds())
	return res, err
}
