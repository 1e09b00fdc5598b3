package ingest

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/outbox"
)

// storeForeign stores a message of this number that did not go through
// this product, from a coexistence number (WhatsApp Business app and Cloud
// API on one number):
//   - an echo (smb_message_echoes, origin business_app): the business wrote
//     from the app, an outbound message shown like one of ours;
//   - a history message (history, origin history): a past message of the
//     app's chats, either direction, synced once after onboarding.
//
// Neither is the customer writing now: the unread count, the
// customer-service window and the conversation's status stay as they are.
// The app may have chatted with someone who never wrote to the API, so the
// contact and conversation are upserted as for a first message.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/history
func (s *InboundStore) storeForeign(ctx context.Context, tx *gorm.DB, m *InboundMessage, res *IngestResult) error {
	senderID, err := s.senderID(ctx, tx, m, res)
	if err != nil {
		return err
	}
	contactID, c, err := s.contactAndConversation(tx, m, senderID)
	if err != nil {
		return err
	}
	payload := m.Payload
	if len(payload) == 0 {
		payload = []byte(`{}`)
	}
	dir, status, sendState := models.DirOut, m.HistoryStatus, "done"
	if status == "" {
		status = models.MsgSent
	}
	if !m.Outbound {
		dir, status, sendState = models.DirIn, models.MsgReceived, "none"
	}
	var ids []int64
	if err := tx.Raw(`WITH m AS (
			INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, origin, send_state, created_at, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 'out' THEN CAST(? AS TIMESTAMPTZ) END)
			ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type)
		UPDATE conversations v SET
			last_preview = CASE WHEN m.created_at >= COALESCE(v.last_message_at, m.created_at)
				THEN COALESCE(NULLIF(LEFT(m.body, 140), ''), '[' || m.type || ']') ELSE v.last_preview END,
			last_message_at = GREATEST(COALESCE(v.last_message_at, m.created_at), m.created_at),
			updated_at = now()
		FROM m WHERE v.id = m.conversation_id RETURNING m.id`,
		c.ID, dir, m.Type, m.Body, string(payload), m.WAMID, status, m.Origin, sendState, m.Timestamp, dir, m.Timestamp).Scan(&ids).Error; err != nil {
		return fmt.Errorf("insert %s message %s: %w", m.Origin, m.WAMID, err)
	}
	if len(ids) == 0 {
		res.Duplicates++
		return nil
	}
	res.MessagesStored++
	if m.Origin == models.OriginHistory {
		// Thousands of past messages per delivery: no live event each; the
		// conversation shows them when opened.
		return nil
	}
	// A reply from the app opens a click-to-WhatsApp entry point like ours.
	opened, err := outbox.OpenEntryPoints(tx, models.Int64List{ids[0]}, m.Timestamp)
	if err != nil {
		return err
	}
	data := map[string]any{
		"id": ids[0], "conversationId": c.ID, "contactId": contactID, "senderId": senderID,
		"direction": dir, "type": m.Type, "body": m.Body, "wamid": m.WAMID, "createdAt": m.Timestamp,
		"status": status, "origin": m.Origin,
	}
	if until, ok := opened[ids[0]]; ok {
		data["entryPointUntil"] = until // the thread header shows it at once
	}
	ev, err := models.NewEvent(models.EventMessageCreated, models.AudienceOf(c.AssigneeAgentID, c.TeamID), data)
	if err != nil {
		return err
	}
	if err := s.Events.Append(ctx, tx, &ev); err != nil {
		return err
	}
	res.Events = append(res.Events, ev)
	return nil
}
