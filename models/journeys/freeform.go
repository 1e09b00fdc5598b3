package journeys

import (
	"context"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// FreeFormRequest is a journey's send that is not a template (the list of
// an ask_promise_date step, its confirmation): Meta takes it only inside
// the customer's 24-hour window.
type FreeFormRequest struct {
	EnrollmentID int64
	ContactID    int64
	SenderID     int64
	// Key makes the send exactly once (SendKey).
	Key     string
	Request inbox.OutboundRequest
	// Answer: the send answers the customer's message (a confirmation),
	// so a paused journey does not hold it.
	Answer bool
}

// QueueFreeForm queues r through the inbox's send path, origin automated.
// A paused journey holds it (unless it answers), a cancelled one, an
// opted-out contact or a missing number skip it, as for QueueSend; a
// closed window (or no conversation yet) queues nothing and says so
// (SendResult.WindowClosed): the step takes its other way. No template
// budget is used: a message inside the window is not a template.
func (s JourneyStore) QueueFreeForm(ctx context.Context, ib inbox.ConversationStore, r FreeFormRequest) (SendResult, error) {
	db := s.DB.WithContext(ctx)
	_, c, sd, out, stop, err := sendable(db, r.EnrollmentID, r.ContactID, r.SenderID, !r.Answer)
	if stop || err != nil {
		return out, err
	}
	var last []struct {
		ID            int64
		LastInboundAt *time.Time
	}
	if err := db.Raw(`SELECT id, last_inbound_at FROM conversations WHERE sender_id = ? AND contact_id = ? ORDER BY id DESC LIMIT 1`,
		sd.ID, c.ID).Scan(&last).Error; err != nil {
		return out, err
	}
	var again int64
	if err := db.Table("messages").Where("idempotency_scope = ? AND idempotency_key = ?", IdempotencyScope, r.Key).Count(&again).Error; err != nil {
		return out, err
	}
	// A retry of a stored send finds its row whatever the clock says now.
	if again == 0 && (len(last) == 0 || !models.WindowOpen(last[0].LastInboundAt, s.now(), 0)) {
		out.WindowClosed, out.Reason = true, "the customer's 24-hour window is closed"
		return out, nil
	}
	conv, err := ib.Get(ctx, last[0].ID)
	if err != nil {
		return out, err
	}
	out.Conversation = conv
	req := r.Request
	req.Automated = true
	q, err := ib.QueueOutboundScoped(ctx, conv.ID, 0, IdempotencyScope, r.Key, req)
	if models.CodeOf(err) == models.EWindowClosed {
		out.WindowClosed, out.Reason = true, "the customer's 24-hour window is closed"
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.MessageID, out.Created, out.Events = q.Message.ID, q.Created, q.Events
	return out, nil
}

// PromiseList is the interactive list an ask_promise_date step sends: one
// row a date, id "ptp:YYYY-MM-DD", title "Kam, 10 Des", under the step's
// button label (DefaultPromiseButton when empty).
func PromiseList(s Step, dates []time.Time) inbox.OutboundRequest {
	in := &models.InteractiveRequest{Kind: models.InteractiveList, Body: s.Body, Button: cmpOr(strings.TrimSpace(s.Button), DefaultPromiseButton)}
	for _, d := range dates {
		in.Choices = append(in.Choices, models.InteractiveChoice{ID: PromiseRowID(d), Title: PromiseRowTitle(d)})
	}
	return inbox.OutboundRequest{Type: "interactive", Interactive: in, Automated: true}
}
