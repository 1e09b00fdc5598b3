package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
)

// storeSystem handles a "system" message: the customer changed their phone
// number (user_changed_number, system.wa_id the new one) or their
// business-scoped user id (user_changed_user_id, system.user_id). It is not
// the customer writing: the same contact gets the new identity, the same
// conversation gets a system line, and neither the unread count nor the
// customer-service window moves.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system
func (s *InboundStore) storeSystem(ctx context.Context, tx *gorm.DB, m *InboundMessage, res *IngestResult) error {
	var p struct {
		System *waba.SystemMessage `json:"system"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.System == nil {
		return nil // nothing we can act on; the receiver logged the payload
	}
	senderID, err := s.senderID(ctx, tx, m, res)
	if err != nil {
		return err
	}
	var contactID int64
	if m.FromWAID != "" {
		err = tx.Raw(`SELECT id FROM contacts WHERE phone_e164 = ? OR wa_id = ? ORDER BY id LIMIT 1`, "+"+m.FromWAID, m.FromWAID).Scan(&contactID).Error
	}
	if err == nil && contactID == 0 && m.BSUID != "" {
		err = tx.Raw(`SELECT id FROM contacts WHERE bsuid = ?`, m.BSUID).Scan(&contactID).Error
	}
	if err != nil {
		return fmt.Errorf("contact of system message %s: %w", m.WAMID, err)
	}
	if contactID == 0 {
		return nil // a customer we never met: nothing to update
	}
	switch p.System.Type {
	case "user_changed_number":
		if nw := models.DigitsOnly(p.System.WAID); nw != "" {
			// Another contact may already hold the new number (they wrote
			// from it before): then the identities are not merged here.
			if err := tx.Exec(`UPDATE contacts SET phone_e164 = ?, wa_id = ?, updated_at = now()
				WHERE id = ? AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.phone_e164 = ? AND o.id <> ?)`,
				"+"+nw, nw, contactID, "+"+nw, contactID).Error; err != nil {
				return fmt.Errorf("record new number of contact %d: %w", contactID, err)
			}
		}
	case "user_changed_user_id":
		if p.System.UserID != "" {
			if err := tx.Exec(`UPDATE contacts SET bsuid = ?, updated_at = now()
				WHERE id = ? AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.bsuid = ? AND o.id <> ?)`,
				p.System.UserID, contactID, p.System.UserID, contactID).Error; err != nil {
				return fmt.Errorf("record new user id of contact %d: %w", contactID, err)
			}
		}
	}
	var conv convRow
	if err := tx.Raw(`SELECT id, assignee_agent_id, team_id FROM conversations WHERE sender_id = ? AND contact_id = ?`, senderID, contactID).Scan(&conv).Error; err != nil {
		return fmt.Errorf("conversation of system message %s: %w", m.WAMID, err)
	}
	if conv.ID == 0 {
		return nil
	}
	body := p.System.Body
	if body == "" {
		body = p.System.Type
	}
	var ids []int64
	if err := tx.Raw(`INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, created_at)
		VALUES (?, 'in', 'system', ?, ?, ?, 'received', ?) ON CONFLICT (wamid) DO NOTHING RETURNING id`,
		conv.ID, body, string(m.Payload), m.WAMID, m.Timestamp).Scan(&ids).Error; err != nil {
		return fmt.Errorf("insert system message %s: %w", m.WAMID, err)
	}
	if len(ids) == 0 {
		res.Duplicates++
		return nil
	}
	ev, err := models.NewEvent(models.EventMessageCreated, models.AudienceOf(conv.AssigneeAgentID, conv.TeamID), map[string]any{
		"id": ids[0], "conversationId": conv.ID, "contactId": contactID, "senderId": senderID,
		"direction": models.DirIn, "type": "system", "body": body, "wamid": m.WAMID, "createdAt": m.Timestamp,
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
