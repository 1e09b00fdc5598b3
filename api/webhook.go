package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/waba"
)

// maxWebhookBody bounds a webhook delivery; Meta batches stay far below it.
const maxWebhookBody = 4 << 20

type webhookHandler struct {
	log         *slog.Logger
	secret      []byte
	verifyToken string
	store       *inbox.InboundStore // nil when no DB is configured
	events      models.EventPublisher
	convs       ConversationSignaler
	signals     inbox.WindowSignalStore
	cases       CaseWorkflows
	caseStore   cases.CaseStore
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
	h := &webhookHandler{
		log:         s.deps.Logger,
		secret:      []byte(s.deps.WABAAppSecret),
		verifyToken: s.deps.WABAVerifyToken,
		events:      s.deps.Events,
		convs:       s.deps.Conversations,
		signals:     inbox.WindowSignalStore{DB: s.deps.DB},
		cases:       s.deps.Cases,
		caseStore:   cases.CaseStore{DB: s.deps.DB},
		metrics:     newWebhookMetrics(s.deps.Registry),
	}
	if s.deps.DB != nil {
		h.store = &inbox.InboundStore{DB: s.deps.DB, Events: models.EventStore{DB: s.deps.DB}, Window: s.deps.Window}
	}
	s.handle(e, http.MethodGet, "/webhooks/whatsapp", Public, h.verify)
	s.handle(e, http.MethodPost, "/webhooks/whatsapp", Public, h.receive)
}

// verify answers the subscription handshake with the challenge.
func (h *webhookHandler) verify(c *gin.Context) {
	if h.verifyToken == "" || c.Query("hub.mode") != "subscribe" || c.Query("hub.verify_token") != h.verifyToken {
		WriteError(c, h.log, models.Errorf(models.EForbidden, "verify token does not match"))
		return
	}
	c.String(http.StatusOK, "%s", c.Query("hub.challenge"))
}

// receive checks the signature over the raw body, stores the delivery in
// one transaction, publishes its events and acknowledges.
func (h *webhookHandler) receive(c *gin.Context) {
	result := "invalid"
	defer func() { h.metrics.deliveries.WithLabelValues(result).Inc() }()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(c, h.log, models.Errorf(models.ETooLarge, "webhook body over %d bytes", maxWebhookBody))
			return
		}
		WriteError(c, h.log, models.Errorf(models.EInvalid, "cannot read body: %v", err))
		return
	}
	if !waba.VerifySignature(h.secret, body, c.GetHeader(waba.SignatureHeader)) {
		result = "bad_signature"
		WriteError(c, h.log, models.FieldError(models.EUnauthorized, waba.SignatureHeader, "missing or wrong webhook signature"))
		return
	}
	parsed, err := waba.ParseWebhook(body)
	if err != nil {
		WriteError(c, h.log, models.Errorf(models.EInvalid, "body is not a webhook envelope"))
		return
	}
	batch, warnings := BatchFromWebhook(parsed, time.Now().UTC())
	for _, w := range append(parsed.Warnings, warnings...) {
		h.log.WarnContext(c, "webhook: ignored part of delivery", "reason", w, "request_id", RequestID(c))
	}
	if len(batch.Messages)+len(batch.Statuses)+len(batch.Templates)+len(batch.Senders) == 0 {
		result = "empty"
		c.Status(http.StatusOK)
		return
	}
	result = "unavailable"
	if h.store == nil {
		WriteError(c, h.log, models.Errorf(models.EUnavailable, "webhook storage is not configured"))
		return
	}
	res, err := h.store.Ingest(c.Request.Context(), batch)
	if err != nil {
		// 503 makes Meta redeliver later: nothing is lost during an outage.
		WriteError(c, h.log, &models.Error{Code: models.EUnavailable, Message: "cannot store webhook now", Err: err})
		return
	}
	result = "stored"
	h.metrics.items.WithLabelValues("message").Add(float64(len(batch.Messages)))
	h.metrics.items.WithLabelValues("status").Add(float64(len(batch.Statuses)))
	h.metrics.items.WithLabelValues("template").Add(float64(len(batch.Templates)))
	h.metrics.items.WithLabelValues("sender").Add(float64(len(batch.Senders)))
	for _, pn := range res.UnverifiedSenders {
		h.log.WarnContext(c, "webhook: message to an unregistered number stored against an unverified sender; an admin must review it", "phone_number_id", pn)
	}
	pctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	models.PublishCommitted(pctx, h.events, h.log, "webhook", res.Events...)
	cancel()
	// Temporal hears only about windows that opened. The row in
	// window_signals is the durable copy: the worker re-signals it if this
	// attempt fails or the process dies now.
	// A debtor's first message in a window is progress on their assigned
	// cases; later messages in the same window add nothing for the case.
	if h.cases != nil {
		for _, o := range res.Opened {
			ids, err := h.caseStore.AssignedCasesOfContact(c.Request.Context(), o.ContactID)
			if err == nil && len(ids) > 0 {
				err = h.cases.CustomerReplied(c.Request.Context(), ids, o.MessageID)
			}
			if err != nil {
				h.log.WarnContext(c, "webhook: tell cases the customer replied", "err", err, "contact", o.ContactID)
			}
		}
	}
	if h.convs != nil {
		for _, o := range res.Opened {
			if err := h.convs.WindowOpened(c.Request.Context(), o); err != nil {
				h.log.WarnContext(c, "webhook: signal window opened (the worker will retry)", "err", err, "conversation", o.ConversationID)
				continue
			}
			if err := h.signals.Done(c.Request.Context(), o); err != nil {
				h.log.WarnContext(c, "webhook: clear window signal", "err", err)
			}
		}
	}
	c.Status(http.StatusOK)
}

// BatchFromWebhook maps a decoded delivery to what the store needs and
// reports what it had to skip. now stands in for missing timestamps.
func BatchFromWebhook(p *waba.Parsed, now time.Time) (inbox.InboundBatch, []string) {
	var b inbox.InboundBatch
	var warn []string
	for _, ch := range p.Changes {
		switch {
		case ch.Messages != nil:
			v := ch.Messages
			for _, m := range v.Messages {
				in, ok := inboundFrom(ch.WABAID, v, m, now)
				if !ok {
					warn = append(warn, "message "+strconv.Quote(m.ID)+" has no id, sender or business number")
					continue
				}
				b.Messages = append(b.Messages, in)
			}
			for _, st := range v.Statuses {
				su, ok := statusFrom(st, now)
				if !ok {
					warn = append(warn, "status "+strconv.Quote(st.Status)+" of "+strconv.Quote(st.ID)+" not understood")
					continue
				}
				b.Statuses = append(b.Statuses, su)
			}
			for _, e := range v.Errors {
				warn = append(warn, "webhook error "+strconv.Itoa(e.Code)+": "+e.Title)
			}
		case ch.TemplateStatus != nil:
			t := ch.TemplateStatus
			tc := inbox.TemplateStatusChange{
				MetaID: metaID(t.MessageTemplateID), Name: t.MessageTemplateName, Language: t.MessageTemplateLanguage,
				Reason: t.Reason,
			}
			if t.OtherInfo != nil && t.OtherInfo.Description != "" {
				tc.Reason = strings.TrimSpace(t.Reason + " " + t.OtherInfo.Description)
			}
			if tc.Reason == "NONE" {
				tc.Reason = ""
			}
			switch ev := strings.ToUpper(t.Event); ev {
			case "APPROVED", "REJECTED", "PENDING", "PAUSED", "DISABLED":
				tc.Status = ev
			case "REINSTATED":
				tc.Status = "APPROVED"
			case "FLAGGED":
				tc.Quality = "FLAGGED"
			default:
				warn = append(warn, "template event "+strconv.Quote(t.Event)+" not handled")
				continue
			}
			b.Templates = append(b.Templates, tc)
		case ch.TemplateQuality != nil:
			t := ch.TemplateQuality
			b.Templates = append(b.Templates, inbox.TemplateStatusChange{
				MetaID: metaID(t.MessageTemplateID), Name: t.MessageTemplateName, Language: t.MessageTemplateLanguage,
				Quality: strings.ToUpper(t.NewQualityScore),
			})
		case ch.PhoneQuality != nil:
			q := ch.PhoneQuality
			b.Senders = append(b.Senders, inbox.SenderQualityChange{
				DisplayNumber: q.DisplayPhoneNumber, Event: q.Event, Quality: q.QualityRating, LimitTier: q.CurrentLimit,
			})
		case ch.Account != nil:
			warn = append(warn, "account_update "+strconv.Quote(ch.Account.Event)+" for "+ch.WABAID+" noted, not stored")
		}
	}
	return b, warn
}

func metaID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func inboundFrom(wabaID string, v *waba.MessagesValue, m waba.InboundMessage, now time.Time) (inbox.InboundMessage, bool) {
	in := inbox.InboundMessage{
		PhoneNumberID: v.Metadata.PhoneNumberID,
		DisplayNumber: v.Metadata.DisplayPhoneNumber,
		WABAID:        wabaID,
		WAMID:         m.ID,
		FromWAID:      digits(m.From),
		BSUID:         m.FromUserID,
		Type:          m.Type,
		Body:          m.Summary(),
		Payload:       m.Raw,
		Timestamp:     waba.ParseTimestamp(m.Timestamp, now),
	}
	for _, ct := range v.Contacts {
		if (ct.WAID != "" && ct.WAID == m.From) || (ct.UserID != "" && ct.UserID == m.FromUserID) || len(v.Contacts) == 1 {
			in.ProfileName = ct.Profile.Name
			if in.BSUID == "" {
				in.BSUID = ct.UserID
			}
			if in.FromWAID == "" {
				in.FromWAID = digits(ct.WAID)
			}
			break
		}
	}
	if !waba.KnownMessageType(in.Type) {
		in.Type = "unsupported"
	}
	if len(in.Payload) == 0 || !json.Valid(in.Payload) {
		in.Payload = nil
	}
	ok := in.WAMID != "" && in.PhoneNumberID != "" && (in.FromWAID != "" || in.BSUID != "")
	return in, ok
}

func statusFrom(st waba.Status, now time.Time) (inbox.StatusUpdate, bool) {
	switch st.Status {
	case models.MsgSent, models.MsgDelivered, models.MsgRead, models.MsgFailed:
	default:
		return inbox.StatusUpdate{}, false
	}
	if st.ID == "" {
		return inbox.StatusUpdate{}, false
	}
	su := inbox.StatusUpdate{
		WAMID: st.ID, Status: st.Status, Timestamp: waba.ParseTimestamp(st.Timestamp, now),
		RecipientID: st.RecipientID, BizOpaque: st.BizOpaqueCallbackData,
	}
	if su.RecipientID == "" {
		su.RecipientID = st.RecipientUserID
	}
	if len(st.Errors) > 0 {
		e := st.Errors[0]
		code := e.Code
		su.ErrorCode = &code
		su.ErrorReason = strings.TrimSpace(e.Title)
		if d := e.ErrorData.Details; d != "" {
			su.ErrorReason += ": " + d
		} else if e.Message != "" && e.Message != e.Title {
			su.ErrorReason += ": " + e.Message
		}
	}
	if raw, err := json.Marshal(st); err == nil {
		su.Payload = raw
	}
	return su, true
}

// digits keeps only ASCII digits (wa_id is digits; tolerate "+" or spaces).
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
