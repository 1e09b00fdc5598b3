package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// BeginSendBatch is BeginSend for a dispatch round: the same rules per row
// (done rows come back AlreadyDone, rows in doubt Ambiguous, the rest are
// marked attempted before any request leaves) in one transaction instead
// of one per row.
func (o OutboxStore) BeginSendBatch(ctx context.Context, ids []int64) (map[int64]OutboundJob, error) {
	jobs := make(map[int64]OutboundJob, len(ids))
	if len(ids) == 0 {
		return jobs, nil
	}
	err := o.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			ID             int64
			ConversationID int64
			Type           string
			Payload        []byte
			WAMID          *string `gorm:"column:wamid"`
			Status         string
			SendState      string
			AttemptedAt    *time.Time
			ReplyToWAMID   string `gorm:"column:reply_to_wamid"`
			PhoneNumberID  string
			ThroughputMPS  int    `gorm:"column:throughput_mps"`
			WAID           string `gorm:"column:wa_id"`
			PhoneE164      *string
			BSUID          *string `gorm:"column:bsuid"`
			ContactID      int64
		}
		if err := tx.Raw(`SELECT m.id, m.conversation_id, m.type, m.payload, m.wamid, m.status, m.send_state, m.attempted_at, m.reply_to_wamid,
				s.phone_number_id, s.throughput_mps, ct.wa_id, ct.phone_e164, ct.bsuid, ct.id AS contact_id
			FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN senders s ON s.id = c.sender_id JOIN contacts ct ON ct.id = c.contact_id
			WHERE m.id IN ? AND m.direction = 'out' ORDER BY m.id FOR UPDATE OF m`, ids).Scan(&rows).Error; err != nil {
			return fmt.Errorf("load %d outbound rows: %w", len(ids), err)
		}
		var convIDs, attempt, finished []int64
		now := o.now()
		for _, r := range rows {
			job := OutboundJob{MessageID: r.ID, Type: r.Type, Request: r.Payload, ReplyToWAMID: r.ReplyToWAMID, Status: r.Status,
				PhoneNumberID: r.PhoneNumberID, ThroughputMPS: r.ThroughputMPS}
			if r.WAMID != nil {
				job.WAMID = *r.WAMID
			}
			switch {
			case r.SendState == SendDone || r.WAMID != nil || r.Status == models.MsgFailed:
				if r.SendState != SendDone {
					finished = append(finished, r.ID)
				}
				job.AlreadyDone = true
			case r.SendState == SendAttempted && r.AttemptedAt != nil && now.Sub(*r.AttemptedAt) < AmbiguousAfter:
				job.Ambiguous = true
			default:
				job.To = sendAddress(r.WAID, r.PhoneE164, r.BSUID)
				if job.To == "" {
					job.NoAddress = true // the caller records the failure
					break
				}
				attempt = append(attempt, r.ID)
				convIDs = append(convIDs, r.ConversationID)
			}
			job.Conversation.ID = r.ConversationID
			jobs[r.ID] = job
		}
		if len(finished) > 0 {
			if err := tx.Exec(`UPDATE messages SET send_state = 'done' WHERE id IN ?`, finished).Error; err != nil {
				return err
			}
		}
		if len(attempt) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE messages SET send_state = 'attempted', send_attempts = send_attempts + 1, attempted_at = ? WHERE id IN ?`,
			now, attempt).Error; err != nil {
			return fmt.Errorf("mark %d attempted: %w", len(attempt), err)
		}
		var convs []models.Conversation
		if err := tx.Where("id IN ?", convIDs).Find(&convs).Error; err != nil {
			return err
		}
		byID := make(map[int64]models.Conversation, len(convs))
		for _, c := range convs {
			byID[c.ID] = c
		}
		for _, id := range attempt {
			j := jobs[id]
			j.Conversation = byID[j.Conversation.ID]
			jobs[id] = j
		}
		return nil
	})
	return jobs, err
}

// ReleaseSends puts attempted rows that were not sent (Meta refused with a
// retryable error, or the round's time ran out) back to pending.
func (o OutboxStore) ReleaseSends(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return o.DB.WithContext(ctx).Exec(`UPDATE messages SET send_state = 'pending' WHERE id IN ? AND send_state = 'attempted' AND wamid IS NULL`, ids).Error
}

// Sent is one row Meta accepted.
type Sent struct {
	MessageID int64
	WAMID     string
	// Held: Meta holds it for its template's quality assessment (pacing.go).
	Held bool
}

// CompleteSends is CompleteSend for a round: wamids stored and one
// message.status event per row, in one transaction.
func (o OutboxStore) CompleteSends(ctx context.Context, sent []Sent) ([]models.Event, error) {
	if len(sent) == 0 {
		return nil, nil
	}
	var ids, held models.Int64List
	var wamids models.StringList
	for _, s := range sent {
		ids, wamids = append(ids, s.MessageID), append(wamids, s.WAMID)
		if s.Held {
			held = append(held, s.MessageID)
		}
	}
	var evs []models.Event
	now := o.now()
	err := o.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			ID              int64
			ConversationID  int64
			WAMID           string `gorm:"column:wamid"`
			AssigneeAgentID *int64
			TeamID          *int64
		}
		if err := tx.Raw(`UPDATE messages m SET wamid = COALESCE(m.wamid, u.wamid), send_state = 'done',
				status = CASE WHEN m.status = 'queued' THEN 'sent' ELSE m.status END, sent_at = COALESCE(m.sent_at, ?)
			FROM unnest(?::bigint[], ?::text[]) AS u(id, wamid), conversations c
			WHERE m.id = u.id AND c.id = m.conversation_id
			RETURNING m.id, m.conversation_id, m.wamid, c.assignee_agent_id, c.team_id`, now, ids, wamids).Scan(&rows).Error; err != nil {
			return fmt.Errorf("complete %d sends: %w", len(sent), err)
		}
		opened, err := OpenEntryPoints(tx, ids, now)
		if err != nil {
			return err
		}
		pacedEvs, err := MarkHeld(ctx, tx, o.Events, held, now)
		if err != nil {
			return err
		}
		isHeld := map[int64]bool{}
		for _, id := range held {
			isHeld[id] = true
		}
		evs = make([]models.Event, 0, len(rows)+len(pacedEvs))
		for _, r := range rows {
			data := map[string]any{"status": models.MsgSent, "wamid": r.WAMID, "id": r.ID, "conversationId": r.ConversationID}
			if isHeld[r.ID] {
				data["held"] = true
			}
			if until, ok := opened[r.ID]; ok {
				data["entryPointUntil"] = until
			}
			ev, err := models.NewEvent(models.EventMessageStatus, models.AudienceOf(r.AssigneeAgentID, r.TeamID), data)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		if err := o.Events.AppendAll(ctx, tx, evs); err != nil {
			return err
		}
		evs = append(evs, pacedEvs...) // stored by MarkHeld
		return nil
	})
	return evs, err
}
