package ingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
)

// ConversationSignaler hands conversation events to Temporal (package worker
// implements it with signal-with-start).
type ConversationSignaler interface {
	Send(ctx context.Context, c models.Conversation, messageID int64) error
	WindowOpened(ctx context.Context, o OpenedWindow) error
	Changed(ctx context.Context, c models.Conversation) error
}

// Delivery results, one per webhook delivery (the metric's label values).
const (
	DeliveryStored      = "stored"
	DeliveryEmpty       = "empty"
	DeliveryInvalid     = "invalid"
	DeliveryUnavailable = "unavailable"
)

// Delivery is what one verified webhook delivery carried and became.
type Delivery struct {
	// Result is one of the Delivery* values.
	Result                                 string
	Messages, Statuses, Templates, Senders int
	// Sanitized and DeadLettered count items stored with their strings
	// cleaned and items kept in webhook_dead_letters instead (see Ingest).
	Sanitized, DeadLettered int
}

// Webhook takes a verified webhook delivery: it stores it durably in one
// transaction (the one thing that must precede Meta's acknowledgement) and
// hands its events to the publisher, which sends them on outside the
// request. Temporal is not called here at all (DESIGN.md §4, cost rule):
// the windows a delivery opened are rows of window_signals, written in the
// same transaction, which the workers' relay drains in batches (signalling
// the ConversationWorkflow and the debtor's cases). A lost publish is
// resynced by clients from the events table.
type Webhook struct {
	// Store is nil when the role runs without PostgreSQL (deliveries answer 503).
	Store     *InboundStore
	Publisher models.EventPublisher
	Log       *slog.Logger
}

// Receive handles the raw body of a delivery whose signature was checked;
// requestID tags its log lines (taken only when there is something to log:
// this is the hot path, no logger is built per delivery). The error is
// EInvalid for a body that is no webhook envelope and EUnavailable when it
// cannot be stored now (Meta redelivers later).
func (w Webhook) Receive(ctx context.Context, requestID string, body []byte, now time.Time) (Delivery, error) {
	lg := deliveryLog{w.Log, requestID}
	d := Delivery{Result: DeliveryInvalid}
	parsed, err := waba.ParseWebhook(body)
	if err != nil {
		return d, models.Errorf(models.EInvalid, "body is not a webhook envelope")
	}
	batch, warnings := BatchFromWebhook(parsed, now)
	for _, warn := range append(parsed.Warnings, warnings...) {
		lg.warn(ctx, "webhook: ignored part of delivery", "reason", warn)
	}
	d.Messages, d.Statuses, d.Templates, d.Senders = len(batch.Messages), len(batch.Statuses), len(batch.Templates), len(batch.Senders)
	if d.Messages+d.Statuses+d.Templates+d.Senders+len(batch.Preferences)+len(batch.Accounts) == 0 {
		d.Result = DeliveryEmpty
		return d, nil
	}
	d.Result = DeliveryUnavailable
	if w.Store == nil {
		return d, models.Errorf(models.EUnavailable, "webhook storage is not configured")
	}
	res, err := w.Store.Ingest(ctx, batch)
	if err != nil {
		// 503 makes Meta redeliver later: nothing is lost during an outage.
		return d, &models.Error{Code: models.EUnavailable, Message: "cannot store webhook now", Err: err}
	}
	d.Result = DeliveryStored
	d.Sanitized, d.DeadLettered = res.Sanitized, len(res.DeadLetters)
	if res.Sanitized > 0 {
		lg.warn(ctx, "webhook: stored items with strings PostgreSQL refuses cleaned (NUL, invalid UTF-8)", "items", res.Sanitized)
	}
	for _, dl := range res.DeadLetters {
		lg.warn(ctx, "webhook: item refused by the database kept in webhook_dead_letters; the rest of the delivery is stored",
			"kind", dl.Kind, "key", dl.Key, "reason", dl.Reason)
	}
	for _, pn := range res.UnverifiedSenders {
		lg.warn(ctx, "webhook: message to an unregistered number stored against an unverified sender; an admin must review it", "phone_number_id", pn)
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	models.PublishCommitted(pctx, w.Publisher, w.Log, "webhook", res.Events...)
	cancel()
	return d, nil
}

// deliveryLog adds the delivery's request id to the few lines it logs.
type deliveryLog struct {
	log       *slog.Logger
	requestID string
}

func (l deliveryLog) warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, msg, append(args, "request_id", l.requestID)...)
}

// BatchFromWebhook maps a decoded delivery to what the store needs and
// reports what it had to skip. now stands in for missing timestamps.
func BatchFromWebhook(p *waba.Parsed, now time.Time) (InboundBatch, []string) {
	var b InboundBatch
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
			tc := TemplateStatusChange{
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
		case ch.TemplateCategory != nil:
			t := ch.TemplateCategory
			tc := TemplateStatusChange{
				MetaID: metaID(t.MessageTemplateID), Name: t.MessageTemplateName, Language: t.MessageTemplateLanguage,
				Category: strings.ToUpper(t.NewCategory), PreviousCategory: strings.ToUpper(t.PreviousCategory),
			}
			if t.CorrectCategory != "" {
				// Impending: the category is still new_category until then.
				tc.UpcomingCategory = strings.ToUpper(t.CorrectCategory)
				if t.CategoryUpdateTimestamp > 0 {
					at := time.Unix(t.CategoryUpdateTimestamp, 0).UTC()
					tc.UpcomingAt = &at
				}
			}
			if tc.Category == "" && tc.UpcomingCategory == "" {
				warn = append(warn, "template_category_update without a category")
				continue
			}
			b.Templates = append(b.Templates, tc)
		case ch.TemplateComponents != nil:
			t := ch.TemplateComponents
			e := &templates.Edit{Body: t.MessageTemplateElement, Header: t.MessageTemplateTitle, Footer: t.MessageTemplateFooter}
			for _, b := range t.MessageTemplateButtons {
				e.Buttons = append(e.Buttons, templates.EditButton{Type: b.Type, Text: b.Text, URL: b.URL, PhoneNumber: b.PhoneNumber})
			}
			b.Templates = append(b.Templates, TemplateStatusChange{
				MetaID: metaID(t.MessageTemplateID), Name: t.MessageTemplateName, Language: t.MessageTemplateLanguage, Edit: e,
			})
		case ch.TemplateQuality != nil:
			t := ch.TemplateQuality
			b.Templates = append(b.Templates, TemplateStatusChange{
				MetaID: metaID(t.MessageTemplateID), Name: t.MessageTemplateName, Language: t.MessageTemplateLanguage,
				Quality: strings.ToUpper(t.NewQualityScore),
			})
		case ch.PhoneQuality != nil:
			q := ch.PhoneQuality
			b.Senders = append(b.Senders, SenderQualityChange{
				DisplayNumber: q.DisplayPhoneNumber, Event: q.Event, Quality: q.QualityRating, LimitTier: q.LimitTier(),
			})
		case ch.Echoes != nil:
			v := ch.Echoes
			for _, e := range v.MessageEchoes {
				in, ok := echoFrom(ch.WABAID, v, e, now)
				if !ok {
					warn = append(warn, "echo "+strconv.Quote(e.ID)+" has no id, recipient or business number")
					continue
				}
				b.Messages = append(b.Messages, in)
			}
		case ch.History != nil:
			v := ch.History
			for _, chunk := range v.History {
				for _, e := range chunk.Errors {
					warn = append(warn, "history sync refused "+strconv.Itoa(e.Code)+": "+e.Title)
				}
				for _, th := range chunk.Threads {
					for _, hm := range th.Messages {
						in, ok := historyFrom(ch.WABAID, v, th.ID, hm, now)
						if !ok {
							warn = append(warn, "history message "+strconv.Quote(hm.ID)+" has no id, customer or business number")
							continue
						}
						b.Messages = append(b.Messages, in)
					}
				}
			}
		case ch.Preferences != nil:
			b.Preferences = append(b.Preferences, preferencesFrom(ch.Preferences)...)
		case ch.Account != nil:
			b.Accounts = append(b.Accounts, accountFrom(ch.WABAID, ch.Account))
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

func inboundFrom(wabaID string, v *waba.MessagesValue, m waba.InboundMessage, now time.Time) (InboundMessage, bool) {
	in := InboundMessage{
		PhoneNumberID: v.Metadata.PhoneNumberID,
		DisplayNumber: v.Metadata.DisplayPhoneNumber,
		WABAID:        wabaID,
		WAMID:         m.ID,
		FromWAID:      models.DigitsOnly(m.From),
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
				in.FromWAID = models.DigitsOnly(ct.WAID)
			}
			break
		}
	}
	in.normalize()
	if m.Referral != nil {
		in.Referral, _ = json.Marshal(m.Referral)
	}
	ok := in.WAMID != "" && in.PhoneNumberID != "" && (in.FromWAID != "" || in.BSUID != "")
	return in, ok
}

// echoFrom maps a coexistence echo to the message it stores: outbound, to
// the customer in e.To, from the WhatsApp Business app.
func echoFrom(wabaID string, v *waba.MessagesValue, e waba.MessageEcho, now time.Time) (InboundMessage, bool) {
	in := InboundMessage{
		PhoneNumberID: v.Metadata.PhoneNumberID,
		DisplayNumber: v.Metadata.DisplayPhoneNumber,
		WABAID:        wabaID,
		WAMID:         e.ID,
		FromWAID:      models.DigitsOnly(e.To),
		Type:          e.Type,
		Body:          e.Summary(),
		Payload:       e.Raw,
		Timestamp:     waba.ParseTimestamp(e.Timestamp, now),
		Origin:        models.OriginBusinessApp,
		Outbound:      true,
	}
	in.normalize()
	return in, in.WAMID != "" && in.PhoneNumberID != "" && in.FromWAID != ""
}

func statusFrom(st waba.Status, now time.Time) (StatusUpdate, bool) {
	switch st.Status {
	case models.MsgSent, models.MsgDelivered, models.MsgRead, models.MsgFailed:
	default:
		return StatusUpdate{}, false
	}
	if st.ID == "" {
		return StatusUpdate{}, false
	}
	su := StatusUpdate{
		WAMID: st.ID, Status: st.Status, Timestamp: waba.ParseTimestamp(st.Timestamp, now),
		RecipientID: st.RecipientID, BizOpaque: st.BizOpaqueCallbackData,
	}
	if su.RecipientID == "" {
		su.RecipientID = st.RecipientUserID
	}
	if pr := st.Pricing; pr != nil && pr.Category != "" {
		su.Pricing = &Pricing{Model: pr.PricingModel, Type: pr.Type, Category: pr.Category, Billable: pr.Billable}
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

// historyFrom maps a message of a history sync: thread is the customer's
// number; the message is the business's when it is from the business
// number (its history_context status kept), else the customer's.
func historyFrom(wabaID string, v *waba.MessagesValue, thread string, m waba.InboundMessage, now time.Time) (InboundMessage, bool) {
	in := InboundMessage{
		PhoneNumberID: v.Metadata.PhoneNumberID,
		DisplayNumber: v.Metadata.DisplayPhoneNumber,
		WABAID:        wabaID,
		WAMID:         m.ID,
		FromWAID:      models.DigitsOnly(thread),
		Type:          m.Type,
		Body:          m.Summary(),
		Payload:       m.Raw,
		Timestamp:     waba.ParseTimestamp(m.Timestamp, now),
		Origin:        models.OriginHistory,
	}
	biz := models.DigitsOnly(v.Metadata.DisplayPhoneNumber)
	if from := models.DigitsOnly(m.From); from != "" && from == biz {
		in.Outbound = true
		in.HistoryStatus = models.MsgSent
		if m.HistoryContext != nil {
			switch st := strings.ToLower(m.HistoryContext.Status); st {
			case models.MsgDelivered, models.MsgRead, models.MsgFailed:
				in.HistoryStatus = st
			}
		}
	}
	in.normalize()
	return in, in.WAMID != "" && in.PhoneNumberID != "" && in.FromWAID != ""
}

// normalize files a type this package does not know as "unsupported" and
// drops a payload that is no JSON (the raw bytes of a message are kept
// only when they can be stored as such).
func (in *InboundMessage) normalize() {
	if !waba.KnownMessageType(in.Type) {
		in.Type = "unsupported"
	}
	if len(in.Payload) == 0 || !json.Valid(in.Payload) {
		in.Payload = nil
	}
}
