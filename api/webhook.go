package api

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/waba"
)

// Webhook body bounds: Meta's deliveries are at most a few MB (batches
// stay far below 4 MiB) and arrive in well under a second, so a body that
// takes longer than webhookReadDeadline is an attacker's slow drip, and at
// most webhookBodies are read at once (a full gate answers 503, which Meta
// redelivers). Worst case in memory: webhookBodies x maxWebhookBody.
const (
	maxWebhookBody      = 4 << 20
	webhookReadDeadline = 10 * time.Second
	webhookBodies       = 16
)

type webhookHandler struct {
	log         *slog.Logger
	secret      []byte
	verifyToken string
	intake      ingest.Webhook
	admit       *webhookAdmission
	metrics     webhookMetrics
}

// webhookMetrics count deliveries by outcome and what they carried; the
// request rate, latency and status are in scrm_http_request_duration_seconds.
type webhookMetrics struct {
	deliveries *prometheus.CounterVec
	items      *prometheus.CounterVec
}

func newWebhookMetrics(reg prometheus.Registerer) webhookMetrics {
	m := webhookMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_webhook_deliveries_total",
			Help: "WhatsApp webhook deliveries by result: stored, empty, bad_signature, invalid, unavailable (answered 503: Meta redelivers).",
		}, []string{"result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_webhook_items_total",
			Help: "Items of stored webhook deliveries by kind: message, status, template, sender.",
		}, []string{"kind"}),
	}
	for _, r := range []string{"stored", "empty", "bad_signature", "invalid", "unavailable"} {
		m.deliveries.WithLabelValues(r) // every result exported from the start, at 0
	}
	reg.MustRegister(m.deliveries, m.items)
	return m
}

// mountWebhook registers Meta's webhook endpoints (public: Meta
// authenticates with the verify token and the body signature).
func (s *Server) mountWebhook(e *gin.Engine) {
	st := s.stores()
	h := &webhookHandler{
		log:         s.deps.Logger,
		secret:      []byte(s.deps.WABAAppSecret),
		verifyToken: s.deps.WABAVerifyToken,
		intake:      ingest.Webhook{Store: st.Inbound, Publisher: s.deps.Events, Log: s.deps.Logger},
		metrics:     newWebhookMetrics(s.deps.Registry),
		admit:       newWebhookAdmission(s.deps.Registry, s.deps.WebhookMaxInflight, s.deps.WebhookAdmitWait),
	}
	s.handle(e, http.MethodGet, "/webhooks/whatsapp", Public, h.verify)
	gate := httpx.NewBodyGate(s.deps.Logger, maxWebhookBody, webhookReadDeadline, webhookBodies)
	s.handle(e, http.MethodPost, "/webhooks/whatsapp", Public, h.checkHeader, gate.Handler(), h.receive)
}

// verify answers the subscription handshake with the challenge (plain
// text, not JSON: Meta compares the body to the challenge it sent).
func (h *webhookHandler) verify(c *gin.Context) {
	if h.verifyToken == "" || c.Query("hub.mode") != "subscribe" || c.Query("hub.verify_token") != h.verifyToken {
		httpx.WriteError(c, h.log, models.Errorf(models.EForbidden, "verify token does not match"))
		return
	}
	c.String(http.StatusOK, "%s", c.Query("hub.challenge"))
}

// checkHeader refuses a delivery without a well-formed signature header
// before its body takes a slot of the gate or a byte of memory.
func (h *webhookHandler) checkHeader(c *gin.Context) {
	if _, ok := waba.NewSignatureVerifier(h.secret, c.GetHeader(waba.SignatureHeader)); !ok {
		h.metrics.deliveries.WithLabelValues("bad_signature").Inc()
		httpx.WriteError(c, h.log, models.FieldError(models.EUnauthorized, waba.SignatureHeader, "missing or wrong webhook signature"))
		return
	}
	c.Next()
}

// receive reads the raw body (through the gate: bounded size, read time and
// concurrency), computing its signature as it arrives, and hands the
// delivery to ingest.Webhook, which stores, publishes and signals; the
// answer is 200 once the delivery is durable (or carried nothing to store).
func (h *webhookHandler) receive(c *gin.Context) {
	result := ingest.DeliveryInvalid
	defer func() { h.metrics.deliveries.WithLabelValues(result).Inc() }()
	v, _ := waba.NewSignatureVerifier(h.secret, c.GetHeader(waba.SignatureHeader)) // well-formed: checkHeader
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 && n <= maxWebhookBody {
		buf.Grow(int(n)) // one exact allocation instead of ReadAll's doublings
	}
	if _, err := buf.ReadFrom(io.TeeReader(c.Request.Body, v)); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			httpx.WriteError(c, h.log, models.Errorf(models.ETooLarge, "webhook body over %d bytes", maxWebhookBody))
		case errors.Is(err, os.ErrDeadlineExceeded):
			httpx.WriteError(c, h.log, models.Errorf(models.EInvalid, "webhook body not received within %s", webhookReadDeadline))
		default:
			httpx.WriteError(c, h.log, models.Errorf(models.EInvalid, "cannot read body: %v", err))
		}
		return
	}
	body := buf.Bytes()
	if !v.Valid() {
		result = "bad_signature"
		httpx.WriteError(c, h.log, models.FieldError(models.EUnauthorized, waba.SignatureHeader, "missing or wrong webhook signature"))
		return
	}
	release, err := h.admit.acquire(c.Request.Context())
	if err != nil {
		result = ingest.DeliveryUnavailable
		c.Header("Retry-After", "1")
		httpx.WriteError(c, h.log, err)
		return
	}
	d, err := h.intake.Receive(c.Request.Context(), RequestID(c), body, time.Now().UTC())
	release()
	result = d.Result
	if err != nil {
		httpx.WriteError(c, h.log, err)
		return
	}
	if d.Result == ingest.DeliveryStored {
		h.metrics.items.WithLabelValues("message").Add(float64(d.Messages))
		h.metrics.items.WithLabelValues("status").Add(float64(d.Statuses))
		h.metrics.items.WithLabelValues("template").Add(float64(d.Templates))
		h.metrics.items.WithLabelValues("sender").Add(float64(d.Senders))
	}
	c.Status(http.StatusOK)
}
