package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/outbox"
	"github.com/wabascrm/scrm/models/sla"
	"github.com/wabascrm/scrm/waba"
)

// publishAfterCommit pushes committed events to the realtime tier (see
// models.PublishCommitted: a failed push is logged, not retried).
func publishAfterCommit(ctx context.Context, pub models.EventPublisher, log *slog.Logger, evs ...models.Event) {
	models.PublishCommitted(ctx, pub, log, "activity", evs...)
}

// InboxStore implements ConversationStore on PostgreSQL (models.Inbox).
type InboxStore struct {
	Inbox  inbox.ConversationStore
	Events models.EventPublisher
	Log    *slog.Logger
	// Surveys hands queued CSAT surveys to their workflows (nil: they stay
	// queued; the worker sets it).
	Surveys SurveySender
}

// SurveySender queues an outbound row on its conversation's workflow
// (worker.ConversationSignaler).
type SurveySender interface {
	Send(ctx context.Context, c models.Conversation, messageID int64) error
}

// Snapshot reads the conversation.
func (s InboxStore) Snapshot(ctx context.Context, id int64) (ConversationSnapshot, error) {
	v, err := s.Inbox.Snapshot(ctx, id)
	if err != nil {
		return ConversationSnapshot{}, businessOrRetry(err)
	}
	out := ConversationSnapshot{ID: v.ID, SenderID: v.SenderID, ContactID: v.ContactID, Status: v.Status, LastActivityAt: v.LastActivityAt}
	if v.AssigneeAgentID != nil {
		out.AssigneeID = *v.AssigneeAgentID
	}
	if v.TeamID != nil {
		out.TeamID = *v.TeamID
	}
	if v.LastInboundAt != nil {
		out.LastInboundAt = *v.LastInboundAt
	}
	if v.SnoozedUntil != nil && v.Status == "snoozed" {
		out.SnoozedUntil = *v.SnoozedUntil
	}
	return out, nil
}

// WakeSnoozed reopens a snoozed conversation and publishes the change.
func (s InboxStore) WakeSnoozed(ctx context.Context, id int64, until time.Time) (bool, error) {
	ok, evs, err := s.Inbox.WakeSnoozed(ctx, id, until)
	if err != nil {
		return false, businessOrRetry(err)
	}
	publishAfterCommit(ctx, s.Events, s.Log, evs...)
	return ok, nil
}

// Route assigns the conversation and publishes the change.
func (s InboxStore) Route(ctx context.Context, id int64) (RouteResult, error) {
	r, err := s.Inbox.Route(ctx, id)
	if err != nil {
		return RouteResult{}, businessOrRetry(err)
	}
	publishAfterCommit(ctx, s.Events, s.Log, r.Events...)
	return RouteResult{AgentID: r.AgentID, TeamID: r.TeamID, Strategy: r.Strategy, Reason: r.Reason}, nil
}

// ResolveIfIdle resolves an idle conversation and hands the CSAT survey
// the resolve queued (if any) to the conversation's workflow. The hand-off
// looks for queued surveys even when this attempt resolved nothing: a
// retry after a lost signal finds the survey the first attempt stored.
func (s InboxStore) ResolveIfIdle(ctx context.Context, id int64, idle time.Duration) (bool, error) {
	ok, evs, err := s.Inbox.ResolveIfIdle(ctx, id, idle)
	if err != nil {
		return false, businessOrRetry(err)
	}
	publishAfterCommit(ctx, s.Events, s.Log, evs...)
	if s.Surveys == nil {
		return ok, nil
	}
	msgs, err := s.Inbox.QueuedSurveys(ctx, id)
	if err != nil || len(msgs) == 0 {
		return ok, err
	}
	c, err := s.Inbox.Get(ctx, id)
	if err != nil {
		return ok, businessOrRetry(err)
	}
	for _, m := range msgs {
		if err := s.Surveys.Send(ctx, c, m.ID); err != nil {
			return ok, fmt.Errorf("hand csat survey %d to the workflow: %w", m.ID, err)
		}
	}
	return ok, nil
}

// PublishWindow stores and pushes a window event.
func (s InboxStore) PublishWindow(ctx context.Context, ev WindowEvent) error {
	e, err := s.Inbox.WindowEvent(ctx, ev.ConversationID, ev.Kind, ev.ClosesAt)
	if err != nil {
		return businessOrRetry(err)
	}
	publishAfterCommit(ctx, s.Events, s.Log, e)
	return nil
}

// MessageAPI is the part of the Cloud API client the sender needs.
type MessageAPI interface {
	Send(ctx context.Context, phoneNumberID string, m waba.OutboundMessage, o waba.SendOptions) (waba.SendResult, error)
}

// Pacer takes sends from a number's per-second budget, shared by campaign
// dispatch and inbox sends across every worker (models.Dispatch).
type Pacer interface {
	TakeSlot(ctx context.Context, senderID, second int64, perSecond int) (bool, error)
	// RecordTemplate counts an inbox template against the number's warm-up
	// day and (outside the window) the portfolio's messaging limit.
	RecordTemplate(ctx context.Context, senderID, contactID int64, windowOpen bool) error
}

// WABASender sends queued rows through the Cloud API exactly once each
// (see models.Outbox for the state machine).
type WABASender struct {
	Outbox outbox.OutboxStore
	API    MessageAPI
	Events models.EventPublisher
	Log    *slog.Logger
	// Pacer, when set, makes every send wait for a slot of its number's
	// throughput (inbox sends share the budget SenderWorkflows dispatch from).
	Pacer Pacer
}

// errAwaitingWebhook is retried: the answer of a previous attempt was lost
// and the status webhook that would tell us the wamid has not come yet.
var errAwaitingWebhook = errors.New("previous attempt may have been sent: waiting for its status webhook before deciding")

// SendQueued sends one row, paced by the number's throughput budget.
// Permanent Meta errors become a failed result; retryable ones an activity
// error carrying Meta's back-off.
func (s WABASender) SendQueued(ctx context.Context, id int64) (SendResult, error) {
	r, err := s.attempt(ctx, id, false)
	var ae *waba.APIError
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, errAwaitingWebhook):
		return SendResult{}, temporal.NewApplicationErrorWithOptions(errAwaitingWebhook.Error(), "AmbiguousSend",
			temporal.ApplicationErrorOptions{NextRetryDelay: 15 * time.Second})
	case errors.As(err, &ae):
		return SendResult{}, temporal.NewApplicationErrorWithOptions(ae.Error(), "WABARetryable",
			temporal.ApplicationErrorOptions{NextRetryDelay: ae.RetryAfter()})
	}
	return SendResult{}, err
}

// attempt sends one row at most once. Errors: errAwaitingWebhook (an
// earlier answer was lost), a retryable *waba.APIError (nothing was sent,
// the row is pending again), or a transport error (the row stays attempted
// and is reconciled by its status webhook). paced means the caller already
// holds a throughput slot for it.
func (s WABASender) attempt(ctx context.Context, id int64, paced bool) (SendResult, error) {
	job, err := s.Outbox.BeginSend(ctx, id)
	if err != nil {
		return SendResult{}, businessOrRetry(err)
	}
	switch {
	case job.AlreadyDone:
		st := SendResult{MessageID: id, Wamid: job.WAMID, Status: sendStatusOf(job.Status)}
		return st, nil
	case job.Ambiguous:
		return SendResult{}, errAwaitingWebhook
	}
	r, _, err := s.deliver(ctx, job, paced, true)
	return r, err
}

// deliver sends a job BeginSend(Batch) marked attempted. complete false
// leaves storing the wamid to the caller (a round completes in one
// transaction) and returns it; a retryable refusal is then not released
// either (the caller releases the round's in one statement).
func (s WABASender) deliver(ctx context.Context, job outbox.OutboundJob, paced, complete bool) (SendResult, string, error) {
	id := job.MessageID
	var m waba.OutboundMessage
	if err := json.Unmarshal(job.Request, &m); err != nil {
		ev, ferr := s.Outbox.FailSend(ctx, id, 0, "stored request is unreadable: "+err.Error())
		if ferr == nil {
			publishAfterCommit(ctx, s.Events, s.Log, ev)
		}
		return SendResult{MessageID: id, Status: "failed", ErrorReason: "stored request is unreadable"}, "", nil
	}
	if !paced && s.Pacer != nil {
		if err := s.waitSlot(ctx, job); err != nil {
			if rerr := s.Outbox.ReleaseSend(ctx, id); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return SendResult{}, "", err
		}
	}
	m.To = job.To
	res, err := s.API.Send(ctx, job.PhoneNumberID, m, waba.SendOptions{BizOpaque: strconv.FormatInt(id, 10), ReplyTo: job.ReplyToWAMID})
	if err != nil {
		var ae *waba.APIError
		if errors.As(err, &ae) {
			if ae.Retryable() {
				// Meta answered and refused: nothing was sent, so the next attempt may send.
				if complete {
					if rerr := s.Outbox.ReleaseSend(ctx, id); rerr != nil {
						return SendResult{}, "", fmt.Errorf("release %d: %w", id, rerr)
					}
				}
				return SendResult{}, "", ae
			}
			if ae.Holds() {
				// About the number or the template, not this recipient:
				// pause the number / hold the template's campaigns now,
				// before the webhook that may say so later.
				eff, rerr := s.Outbox.ApplyRefusal(ctx, job, ae)
				if rerr != nil {
					s.log().Warn("refusal not applied to number or template", "message_id", id, "code", ae.Code, "err", rerr)
				}
				publishAfterCommit(ctx, s.Events, s.Log, eff.Events...)
				if !complete {
					// A campaign row: the caller releases it to wait.
					return SendResult{}, "", ae
				}
			}
			reason := ae.Message
			if d := ae.Details(); d != "" {
				reason += ": " + d
			}
			ev, ferr := s.Outbox.FailSend(ctx, id, ae.Code, reason)
			if ferr != nil && !outbox.IsNothingChanged(ferr) {
				return SendResult{}, "", fmt.Errorf("record failure of %d: %w", id, ferr)
			}
			if ferr == nil {
				publishAfterCommit(ctx, s.Events, s.Log, ev)
			}
			return SendResult{MessageID: id, Status: "failed", ErrorCode: ae.Code, ErrorReason: reason}, "", nil
		}
		// No answer (timeout, connection reset): the request may have gone
		// out. The row stays "attempted"; the retry waits for the webhook.
		return SendResult{}, "", fmt.Errorf("send %d: %w", id, err)
	}
	if !complete {
		return SendResult{MessageID: id, Wamid: res.WAMID(), Status: "sent", Held: res.Held()}, res.WAMID(), nil
	}
	ev, err := s.Outbox.CompleteSend(ctx, id, res.WAMID(), res.Held())
	if err != nil && !outbox.IsNothingChanged(err) {
		return SendResult{}, "", fmt.Errorf("record send of %d: %w", id, err)
	}
	if !paced && s.Pacer != nil && job.Type == "template" {
		c := job.Conversation
		open := models.WindowOpen(c.LastInboundAt, time.Now(), 0)
		if rerr := s.Pacer.RecordTemplate(ctx, c.SenderID, c.ContactID, open); rerr != nil {
			// Sent already: an accounting miss must not resend it.
			s.log().Warn("inbox template not counted against the number's budgets", "message_id", id, "err", rerr)
		}
	}
	if err == nil {
		publishAfterCommit(ctx, s.Events, s.Log, ev)
	}
	return SendResult{MessageID: id, Wamid: res.WAMID(), Status: "sent", Held: res.Held()}, res.WAMID(), nil
}

func (s WABASender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// waitSlot waits (second by second) for a slot of the job's number.
func (s WABASender) waitSlot(ctx context.Context, job outbox.OutboundJob) error {
	mps := job.ThroughputMPS
	if mps <= 0 {
		mps = 80
	}
	for {
		now := time.Now()
		ok, err := s.Pacer.TakeSlot(ctx, job.Conversation.SenderID, now.Unix(), mps)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Unix(now.Unix()+1, 0).Sub(now)):
		}
	}
}

// MarkFailed records a row that could not be sent after all retries.
func (s WABASender) MarkFailed(ctx context.Context, id int64, reason string) error {
	ev, err := s.Outbox.FailSend(ctx, id, 0, reason)
	if err != nil {
		if outbox.IsNothingChanged(err) {
			return nil
		}
		return err
	}
	publishAfterCommit(ctx, s.Events, s.Log, ev)
	return nil
}

// sendStatusOf maps a stored message status to a SendResult status.
func sendStatusOf(status string) string {
	if status == models.MsgFailed {
		return "failed"
	}
	return "sent"
}

// SLAWaits implements SLAStore on PostgreSQL and pushes each alert.
type SLAWaits struct {
	Waits  sla.WaitStore
	Events models.EventPublisher
	Log    *slog.Logger
}

// Arm reads and arms the conversation's wait.
func (s SLAWaits) Arm(ctx context.Context, id int64) (sla.Wait, error) {
	w, err := s.Waits.Arm(ctx, id)
	if err != nil {
		return w, businessOrRetry(err)
	}
	return w, nil
}

// Record stores one alert and publishes it.
func (s SLAWaits) Record(ctx context.Context, id int64, since time.Time, level string, at time.Time) (bool, error) {
	ok, evs, err := s.Waits.Record(ctx, id, since, level, at)
	if err != nil {
		return false, businessOrRetry(err)
	}
	publishAfterCommit(ctx, s.Events, s.Log, evs...)
	return ok, nil
}
