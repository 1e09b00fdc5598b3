package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// Send states of an outbound message row (messages.send_state). WhatsApp
// has no idempotency key, so a row is sent at most once:
//
//	pending   -> attempted (committed BEFORE the HTTP call)
//	attempted -> done      (Meta answered: wamid stored, or a permanent error)
//	attempted -> pending   (Meta answered with a retryable error: nothing was sent)
//
// An "attempted" row whose answer was lost is ambiguous: the status webhook
// reconciles it by our id in biz_opaque_callback_data (InboundStore sets the
// wamid). Only after AmbiguousAfter without any webhook is it sent again.
const (
	SendNone      = "none" // inbound rows
	SendPending   = "pending"
	SendAttempted = "attempted"
	SendDone      = "done"
)

// AmbiguousAfter is how long an attempted send without an answer waits for a
// status webhook before it is considered not sent.
const AmbiguousAfter = time.Minute

// OutboundJob is everything a send activity needs about one row.
type OutboundJob struct {
	MessageID     int64
	Conversation  models.Conversation
	PhoneNumberID string
	To            string // contact wa_id (or E.164 digits, or the BSUID): sendAddress
	Type          string
	Request       json.RawMessage // the waba.OutboundMessage body stored at creation
	ReplyToWAMID  string
	ThroughputMPS int // the sender's messages per second
	// Outcome of BeginSend:
	AlreadyDone bool   // sent or failed before: nothing to do
	Status      string // current status when AlreadyDone
	WAMID       string
	Ambiguous   bool // a previous attempt's answer was lost and no webhook told us yet
	NoAddress   bool // the contact has no WhatsApp id, phone or BSUID (BeginSendBatch)
}

// Outbox moves outbound rows through their send states.
type OutboxStore struct {
	DB     *gorm.DB
	Events models.EventStore
	Now    func() time.Time
}

func (o OutboxStore) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now().UTC()
}

type outboxRow struct {
	ID             int64
	ConversationID int64
	Type           string
	Payload        json.RawMessage
	WAMID          *string `gorm:"column:wamid"`
	Status         string
	SendState      string
	AttemptedAt    *time.Time
	ReplyToWAMID   string `gorm:"column:reply_to_wamid"`
}

// sendAddress is whom a send goes to: the WhatsApp id, else the E.164
// digits without '+', else (a customer known only by business-scoped user
// id) the BSUID, which the client sends as "recipient" instead of "to".
func sendAddress(waID string, phoneE164, bsuid *string) string {
	switch {
	case waID != "":
		return waID
	case phoneE164 != nil && len(*phoneE164) > 1:
		return (*phoneE164)[1:]
	case bsuid != nil:
		return *bsuid
	}
	return ""
}

// BeginSend claims row id for an attempt. It returns AlreadyDone for rows
// that finished, Ambiguous for rows whose last attempt may have gone out
// (the caller must not send), else marks the row attempted and returns the job.
func (o OutboxStore) BeginSend(ctx context.Context, id int64) (OutboundJob, error) {
	var job OutboundJob
	err := o.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r outboxRow
		if err := tx.Raw(`SELECT id, conversation_id, type, payload, wamid, status, send_state, attempted_at, reply_to_wamid
			FROM messages WHERE id = ? AND direction = 'out' FOR UPDATE`, id).Scan(&r).Error; err != nil {
			return fmt.Errorf("load message %d: %w", id, err)
		}
		if r.ID == 0 {
			return models.Errorf(models.ENotFound, "outbound message %d not found", id)
		}
		job = OutboundJob{MessageID: r.ID, Type: r.Type, Request: r.Payload, ReplyToWAMID: r.ReplyToWAMID, Status: r.Status}
		if r.WAMID != nil {
			job.WAMID = *r.WAMID
		}
		switch {
		case r.SendState == SendDone || r.WAMID != nil || r.Status == models.MsgFailed:
			// A webhook may have reconciled an ambiguous attempt: then it is done too.
			if r.SendState != SendDone {
				if err := tx.Exec(`UPDATE messages SET send_state = 'done' WHERE id = ?`, id).Error; err != nil {
					return err
				}
			}
			job.AlreadyDone = true
			return nil
		case r.SendState == SendAttempted && r.AttemptedAt != nil && o.now().Sub(*r.AttemptedAt) < AmbiguousAfter:
			job.Ambiguous = true
			return nil
		}
		if err := tx.Exec(`UPDATE messages SET send_state = 'attempted', send_attempts = send_attempts + 1, attempted_at = ? WHERE id = ?`,
			o.now(), id).Error; err != nil {
			return fmt.Errorf("mark attempted %d: %w", id, err)
		}
		if err := tx.Where("id = ?", r.ConversationID).Take(&job.Conversation).Error; err != nil {
			return fmt.Errorf("conversation of message %d: %w", id, err)
		}
		var target struct {
			PhoneNumberID string
			ThroughputMPS int    `gorm:"column:throughput_mps"`
			WAID          string `gorm:"column:wa_id"`
			PhoneE164     *string
			BSUID         *string `gorm:"column:bsuid"`
		}
		if err := tx.Raw(`SELECT s.phone_number_id, s.throughput_mps, c.wa_id, c.phone_e164, c.bsuid FROM senders s, contacts c WHERE s.id = ? AND c.id = ?`,
			job.Conversation.SenderID, job.Conversation.ContactID).Scan(&target).Error; err != nil {
			return fmt.Errorf("sender/contact of message %d: %w", id, err)
		}
		job.PhoneNumberID = target.PhoneNumberID
		job.ThroughputMPS = target.ThroughputMPS
		job.To = sendAddress(target.WAID, target.PhoneE164, target.BSUID)
		if job.To == "" {
			return models.Errorf(models.EUnprocessable, "contact %d has no WhatsApp id, phone or business-scoped user id", job.Conversation.ContactID)
		}
		return nil
	})
	return job, err
}

// ReleaseSend puts an attempted row back to pending: Meta answered with a
// retryable error, so nothing was sent.
func (o OutboxStore) ReleaseSend(ctx context.Context, id int64) error {
	return o.DB.WithContext(ctx).Exec(`UPDATE messages SET send_state = 'pending' WHERE id = ? AND send_state = 'attempted' AND wamid IS NULL`, id).Error
}

// CompleteSend stores the wamid of a sent row and emits message.status;
// held says Meta holds it for its template's quality assessment (pacing.go).
func (o OutboxStore) CompleteSend(ctx context.Context, id int64, wamid string, held bool) (models.Event, error) {
	data := map[string]any{"status": models.MsgSent, "wamid": wamid}
	if held {
		data["held"] = true
	}
	return o.finish(ctx, id, func(tx *gorm.DB) (int64, error) {
		now := o.now()
		r := tx.Exec(`UPDATE messages SET wamid = COALESCE(wamid, ?), send_state = 'done',
			status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END,
			sent_at = COALESCE(sent_at, ?) WHERE id = ?`, wamid, now, id)
		if r.Error == nil && r.RowsAffected > 0 {
			opened, err := OpenEntryPoints(tx, models.Int64List{id}, now)
			if err != nil {
				return 0, err
			}
			if until, ok := opened[id]; ok {
				// The thread header shows the free entry point at once.
				data["entryPointUntil"] = until
			}
			if held {
				if _, err := MarkHeld(ctx, tx, o.Events, models.Int64List{id}, now); err != nil {
					return 0, err
				}
			}
		}
		return r.RowsAffected, r.Error
	}, data)
}

// OpenEntryPoints is the SQL form of models.EntryPointFrom for messages
// sent at sentAt: a conversation whose customer came from an ad less than
// EntryPointReplyWithin before, and whose free entry point that referral
// has not opened yet, gets one ending EntryPointLength after sentAt; the
// messages that opened one are returned with its end. (An
// entry point opened for this referral ends at or after referral_at +
// EntryPointLength; one opened for an earlier referral ends before it.)
func OpenEntryPoints(tx *gorm.DB, ids models.Int64List, sentAt time.Time) (map[int64]time.Time, error) {
	var rows []struct {
		ID    int64
		Until time.Time
	}
	err := tx.Raw(`UPDATE conversations c SET entry_point_until = ?
		FROM messages m WHERE m.id = ANY(?::bigint[]) AND c.id = m.conversation_id
			AND c.referral_at IS NOT NULL AND c.referral_at <= ? AND c.referral_at > ?
			AND (c.entry_point_until IS NULL OR c.entry_point_until < c.referral_at + make_interval(secs => ?))
		RETURNING m.id, c.entry_point_until AS until`,
		sentAt.Add(models.EntryPointLength), ids, sentAt, sentAt.Add(-models.EntryPointReplyWithin),
		models.EntryPointLength.Seconds()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open free entry points: %w", err)
	}
	opened := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		opened[r.ID] = r.Until
	}
	return opened, nil
}

// FailSend records a permanent failure with Meta's code and reason.
func (o OutboxStore) FailSend(ctx context.Context, id int64, code int, reason string) (models.Event, error) {
	var codePtr *int
	if code != 0 {
		codePtr = &code
	}
	return o.finish(ctx, id, func(tx *gorm.DB) (int64, error) {
		r := tx.Exec(`UPDATE messages SET send_state = 'done', status = 'failed', error_code = ?, error_reason = ?, failed_at = ?
			WHERE id = ? AND status IN ('queued','sent')`, codePtr, reason, o.now(), id)
		return r.RowsAffected, r.Error
	}, map[string]any{"status": models.MsgFailed, "errorCode": codePtr, "errorReason": reason})
}

func (o OutboxStore) finish(ctx context.Context, id int64, update func(tx *gorm.DB) (int64, error), data map[string]any) (models.Event, error) {
	var ev models.Event
	err := o.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := update(tx)
		if err != nil {
			return fmt.Errorf("finish send %d: %w", id, err)
		}
		if n == 0 {
			return nil
		}
		var c models.Conversation
		if err := tx.Raw(`SELECT c.* FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE m.id = ?`, id).Scan(&c).Error; err != nil {
			return err
		}
		data["id"], data["conversationId"] = id, c.ID
		ev, err = models.NewEvent(models.EventMessageStatus, c.Audience(), data)
		if err != nil {
			return err
		}
		return o.Events.Append(ctx, tx, &ev)
	})
	if err == nil && ev.ID == 0 {
		return models.Event{}, errNothingChanged
	}
	return ev, err
}

var errNothingChanged = errors.New("nothing changed")

// IsNothingChanged reports that a finish call found the row already final.
func IsNothingChanged(err error) bool { return errors.Is(err, errNothingChanged) }
