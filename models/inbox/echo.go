package inbox

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// storeEcho stores a coexistence echo: the business answered (or wrote
// first) from the WhatsApp Business app on a number that is also on the
// Cloud API. It is the business's own message, so it is stored as an
// outbound message from the app, shown in the conversation like one of
// ours: the unread count, the customer-service window (business messages do
// not extend it) and the conversation's status stay as they are.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
func (s *InboundStore) storeEcho(ctx context.Context, tx *gorm.DB, m *InboundMessage, res *IngestResult) error {
	senderID, err := s.senderID(ctx, tx, m, res)
	if err != nil {
		return err
	}
	// The app may write to someone who never wrote to the API (a new
	// contact and conversation), so the same upserts as a customer's first
	// message; the echo carries no profile name.
	contactID, err := s.contactID(tx, m)
	if err != nil {
		return err
	}
	var conv []convRow
	if err := tx.Raw(`INSERT INTO conversations (sender_id, contact_id, status) VALUES (?, ?, 'open')
		ON CONFLICT (sender_id, contact_id) DO UPDATE SET status = conversations.status
		RETURNING id, assignee_agent_id, team_id, last_inbound_at`, senderID, contactID).Scan(&conv).Error; err != nil || len(conv) == 0 {
		return fmt.Errorf("upsert conversation of echo %s: %w", m.WAMID, err)
	}
	payload := m.Payload
	if len(payload) == 0 {
		payload = []byte(`{}`)
	}
	var ids []int64
	if err := tx.Raw(`WITH m AS (
			INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, origin, send_state, created_at, sent_at)
			VALUES (?, 'out', ?, ?, ?, ?, 'sent', ?, 'done', ?, ?)
			ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type)
		UPDATE conversations v SET
			last_message_at = GREATEST(COALESCE(v.last_message_at, m.created_at), m.created_at),
			last_preview = COALESCE(NULLIF(LEFT(m.body, 140), ''), '[' || m.type || ']'),
			updated_at = now()
		FROM m WHERE v.id = m.conversation_id RETURNING m.id`,
		conv[0].ID, m.Type, m.Body, string(payload), m.WAMID, models.OriginBusinessApp, m.Timestamp, m.Timestamp).Scan(&ids).Error; err != nil {
		return fmt.Errorf("insert echo %s: %w", m.WAMID, err)
	}
	if len(ids) == 0 {
		res.Duplicates++
		return nil
	}
	if err := openEntryPoints(tx, models.Int64List{ids[0]}, m.Timestamp); err != nil {
		return err
	}
	c := conv[0]
	ev, err := models.NewEvent(models.EventMessageCreated, models.AudienceOf(c.AssigneeAgentID, c.TeamID), map[string]any{
		"id": ids[0], "conversationId": c.ID, "contactId": contactID, "senderId": senderID,
		"direction": models.DirOut, "type": m.Type, "body": m.Body, "wamid": m.WAMID, "createdAt": m.Timestamp,
		"status": models.MsgSent, "origin": models.OriginBusinessApp,
	})
	if err != nil {
		return err
	}
	if err := s.Events.Append(ctx, tx, &ev); err != nil {
		return err
	}
	res.Events = append(res.Events, ev)
	res.MessagesStored++
	return nil
}
