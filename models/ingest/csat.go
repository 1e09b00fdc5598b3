package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models/csat"
)

// surveyReply is the part of an inbound message a CSAT answer is read from:
// the list_reply of an interactive message.
type surveyReply struct {
	Interactive *struct {
		Type      string `json:"type"`
		ListReply *struct {
			ID string `json:"id"`
		} `json:"list_reply"`
	} `json:"interactive"`
}

// storeSurveyAnswer handles a customer's tap on a CSAT survey (csat.Judge):
// the first answer in time to the conversation's current survey is its
// rating. An answer to a resolved conversation is stored without reopening
// it or starting a wait for an agent's first response (a repeated tap too):
// the customer answered a question, it asked nothing. handled is false
// when m is no such answer, or one to an old or expired survey: the caller
// stores it as an ordinary message (which reopens a resolved conversation).
func (s *InboundStore) storeSurveyAnswer(ctx context.Context, tx *gorm.DB, m *InboundMessage, senderID int64, res *IngestResult) (bool, error) {
	if m.Type != "interactive" || len(m.Payload) == 0 {
		return false, nil
	}
	var r surveyReply
	if json.Unmarshal(m.Payload, &r) != nil || r.Interactive == nil || r.Interactive.ListReply == nil {
		return false, nil
	}
	surveyID, rating, ok := csat.ParseRowID(r.Interactive.ListReply.ID)
	if !ok {
		return false, nil
	}
	a, found, err := csat.FindAnswered(ctx, tx, surveyID, senderID, m.FromWAID, m.BSUID)
	if err != nil || !found {
		return false, err
	}
	verdict := csat.Judge(a.Survey, m.Timestamp)
	if verdict == csat.Ignore {
		return false, nil
	}
	if verdict == csat.Record {
		if err := csat.RecordRating(ctx, tx, a.ID, rating, m.Timestamp, m.WAMID); err != nil {
			return false, err
		}
	}
	if a.Status != "resolved" {
		return false, nil // reopened meanwhile by another message: stored as usual, the rating kept
	}
	var rows []struct {
		ID              int64
		ContactID       int64
		AssigneeAgentID *int64
		TeamID          *int64
		PrevInbound     *time.Time
	}
	// The message and the window, as insertMessage, but not the status nor
	// the unread count: the conversation stays resolved.
	err = tx.Raw(`WITH p AS (SELECT id, contact_id, assignee_agent_id, team_id, last_inbound_at FROM conversations WHERE id = @conv),
		m AS (
			INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, created_at)
			VALUES (@conv, 'in', @type, @body, CAST(@payload AS JSONB), @wamid, 'received', @ts)
			ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type),
		u AS (
			UPDATE conversations v SET
				last_inbound_at = GREATEST(COALESCE(v.last_inbound_at, m.created_at), m.created_at),
				last_message_at = GREATEST(COALESCE(v.last_message_at, m.created_at), m.created_at),
				last_preview = COALESCE(NULLIF(LEFT(m.body, 140), ''), '[' || m.type || ']'),
				updated_at = now()
			FROM m WHERE v.id = m.conversation_id RETURNING v.id)
		SELECT m.id, p.contact_id, p.assignee_agent_id, p.team_id, p.last_inbound_at AS prev_inbound FROM m, p`,
		map[string]any{"conv": a.ConversationID, "type": m.Type, "body": m.Body, "payload": string(m.Payload), "wamid": m.WAMID, "ts": m.Timestamp}).
		Scan(&rows).Error
	if err != nil {
		return false, fmt.Errorf("insert csat answer %s: %w", m.WAMID, err)
	}
	if len(rows) == 0 {
		res.Duplicates++
		return true, nil
	}
	row := rows[0]
	conv := convRow{ID: a.ConversationID, AssigneeAgentID: row.AssigneeAgentID, TeamID: row.TeamID, LastInboundAt: row.PrevInbound}
	return true, s.appendCreated(ctx, tx, m, senderID, row.ContactID, conv, row.ID, res)
}
