package autoreply

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
)

// OriginAuto marks the replies (models.OriginAuto): the thread shows them
// as automated.
const OriginAuto = models.OriginAuto

// IdempotencyScope is the scope of the replies' idempotency keys; the key
// is "auto:<inbound message id>", so one inbound message has one reply at
// most, however often its job is relayed.
const IdempotencyScope = "autoreply"

// ReplyKey is the idempotency key of the reply to inbound message id.
func ReplyKey(inboundID int64) string { return "auto:" + strconv.FormatInt(inboundID, 10) }

// Job is one auto_reply_jobs row: an inbound message waiting for its
// decision (or, with ReplyID, for its reply's hand-off).
type Job struct {
	ID             int64
	MessageID      int64
	ConversationID int64
	ReplyID        *int64
	Decided        bool
}

// Outcome is what one job's transaction did. The caller publishes Events,
// hands Reply to the ConversationWorkflow (when non-nil and still queued)
// and, with Route, routes the conversation and tells its workflow.
type Outcome struct {
	Decision     Decision
	Conversation models.Conversation
	Reply        *models.Message
	Created      bool // Reply was written by this call (false: an earlier relay's)
	Route        bool // the team changed or a human was asked for
	Events       []models.Event
}

// JobStore drains auto_reply_jobs.
type JobStore struct {
	DB     *gorm.DB
	Events models.EventStore
	// Window is the customer-service window (models.WindowLength's default when zero):
	// a free-form reply is only sent inside it.
	Window time.Duration
}

// Claim leases up to limit jobs for lease.
func (s JobStore) Claim(ctx context.Context, limit int, lease time.Duration) ([]Job, error) {
	var out []Job
	err := s.DB.WithContext(ctx).Raw(`UPDATE auto_reply_jobs j SET claimed_until = now() + make_interval(secs => ?)
		FROM (SELECT id FROM auto_reply_jobs WHERE claimed_until IS NULL OR claimed_until < now()
			ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) c
		WHERE j.id = c.id
		RETURNING j.id, j.message_id, j.conversation_id, j.reply_id, j.decided`, lease.Seconds(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim auto-reply jobs: %w", err)
	}
	return out, nil
}

// Done deletes finished jobs.
func (s JobStore) Done(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.DB.WithContext(ctx).Exec(`DELETE FROM auto_reply_jobs WHERE id = ANY(CAST(? AS BIGINT[]))`, models.Int64List(ids)).Error; err != nil {
		return fmt.Errorf("delete auto-reply jobs: %w", err)
	}
	return nil
}

// Decide makes job j's decision at now and stores its effects in one
// transaction with the conversation locked: the reply row (origin auto,
// keyed by the inbound message), the rule's cool-down, the route, the
// hand-over's stop, and the job marked decided. A job decided before (a
// relay that died before the hand-off) only returns its reply again.
func (s JobStore) Decide(ctx context.Context, j Job, now time.Time) (Outcome, error) {
	var out Outcome
	window := models.WindowLength(s.Window)
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, j.ConversationID).Scan(&c).Error; err != nil {
			return err
		}
		out.Conversation = c
		var dec []Job
		if err := tx.Raw(`SELECT id, message_id, conversation_id, reply_id, decided FROM auto_reply_jobs WHERE id = ?`, j.ID).Scan(&dec).Error; err != nil {
			return err
		}
		if c.ID == 0 || len(dec) == 0 {
			return nil // gone with its conversation or done by another relay
		}
		if dec[0].Decided {
			if dec[0].ReplyID != nil {
				var m models.Message
				if err := tx.Where("id = ?", *dec[0].ReplyID).Take(&m).Error; err != nil {
					return err
				}
				out.Reply = &m
			}
			// A route that a dead relay did not finish: routing again keeps
			// an assignee, so it is safe to repeat.
			out.Route = c.TeamID != nil && c.AssigneeAgentID == nil
			return nil
		}
		sit, rules, err := s.situation(tx, c, j.MessageID, now, window)
		if err != nil {
			return err
		}
		if sit == nil { // window closed (a backlog older than the window): nothing may be sent freely
			out.Decision = Decision{Reason: "window closed"}
			return markDecided(tx, j.ID, nil)
		}
		d := Decide(rules, *sit)
		out.Decision = d
		if d.Reply != "" {
			m, created, ev, err := s.writeReply(ctx, tx, c, j.MessageID, d, now)
			if err != nil {
				return err
			}
			out.Reply, out.Created = &m, created
			if ev != nil {
				out.Events = append(out.Events, *ev)
			}
			if d.RuleID != 0 && d.Kind != KindMenuChoice { // a choice is no new answer of its rule
				if err := tx.Exec(`INSERT INTO auto_reply_sent (conversation_id, rule_id, sent_at) VALUES (?, ?, ?)
					ON CONFLICT (conversation_id, rule_id) DO UPDATE SET sent_at = EXCLUDED.sent_at`, c.ID, d.RuleID, now).Error; err != nil {
					return err
				}
			}
		}
		evs, err := s.applyRoute(ctx, tx, &out.Conversation, j.MessageID, d, now)
		if err != nil {
			return err
		}
		out.Events = append(out.Events, evs...)
		out.Route = len(evs) > 0
		var replyID *int64
		if out.Reply != nil {
			replyID = &out.Reply.ID
		}
		return markDecided(tx, j.ID, replyID)
	})
	return out, err
}

func markDecided(tx *gorm.DB, jobID int64, replyID *int64) error {
	return tx.Exec(`UPDATE auto_reply_jobs SET decided = true, reply_id = ? WHERE id = ?`, replyID, jobID).Error
}

// situation reads what Decide needs (nil when the window is closed).
func (s JobStore) situation(tx *gorm.DB, c models.Conversation, msgID int64, now time.Time, window time.Duration) (*Situation, []Rule, error) {
	if !models.WindowOpen(c.LastInboundAt, now, window) {
		return nil, nil, nil
	}
	var row struct {
		Body       string
		Origin     string
		CreatedAt  time.Time
		Title      string
		Tap        string
		PrevAt     *time.Time
		ResolvedAt *time.Time
		StoppedAt  *time.Time
		OptedOut   bool
		Human      bool
	}
	err := tx.Raw(`SELECT m.body, m.origin, m.created_at,
			COALESCE(m.payload->'interactive'->'button_reply'->>'title', m.payload->'interactive'->'list_reply'->>'title', m.payload->'button'->>'text', '') AS title,
			COALESCE(m.payload->'interactive'->'button_reply'->>'id', m.payload->'interactive'->'list_reply'->>'id', m.payload->'button'->>'payload', '') AS tap,
			(SELECT max(p.created_at) FROM messages p WHERE p.conversation_id = m.conversation_id AND p.direction = 'in'
				AND p.origin = '' AND p.id < m.id) AS prev_at,
			v.resolved_at, st.stopped_at, ct.opted_out,
			EXISTS (SELECT 1 FROM messages a WHERE a.conversation_id = m.conversation_id AND a.direction = 'out'
				AND a.author_agent_id IS NOT NULL AND a.created_at > @since
				AND (v.resolved_at IS NULL OR a.created_at > v.resolved_at)) AS human
		FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts ct ON ct.id = v.contact_id
		LEFT JOIN auto_reply_stops st ON st.conversation_id = v.id
		WHERE m.id = @msg`, map[string]any{"msg": msgID, "since": now.Add(-window)}).Scan(&row).Error
	if err != nil {
		return nil, nil, fmt.Errorf("auto-reply situation of message %d: %w", msgID, err)
	}
	text := row.Body
	if row.Title != "" && row.Title != text {
		text += " " + row.Title
	}
	sit := Situation{Now: now, Text: text, Tap: row.Tap, Origin: row.Origin, TeamID: c.TeamID, OptedOut: row.OptedOut, HumanEngaged: row.Human,
		Stopped: row.StoppedAt != nil && (row.ResolvedAt == nil || row.ResolvedAt.Before(*row.StoppedAt)),
		NewConversation: row.PrevAt == nil || row.CreatedAt.Sub(*row.PrevAt) >= window ||
			(row.ResolvedAt != nil && row.ResolvedAt.After(*row.PrevAt)),
		LastSent: map[int64]time.Time{}}
	var sent []struct {
		RuleID int64
		SentAt time.Time
	}
	if err := tx.Raw(`SELECT rule_id, sent_at FROM auto_reply_sent WHERE conversation_id = ?`, c.ID).Scan(&sent).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range sent {
		sit.LastSent[r.RuleID] = r.SentAt
	}
	var rules []Rule
	if err := tx.Where("sender_id = ? AND enabled", c.SenderID).Order("id").Find(&rules).Error; err != nil {
		return nil, nil, fmt.Errorf("auto-reply rules of sender %d: %w", c.SenderID, err)
	}
	return &sit, rules, nil
}

// writeReply stores the reply as a queued text message that no agent
// wrote (author NULL: not a first response), origin auto, keyed by the
// inbound message: a row that exists already is returned as it is.
func (s JobStore) writeReply(ctx context.Context, tx *gorm.DB, c models.Conversation, inboundID int64, d Decision, now time.Time) (models.Message, bool, *models.Event, error) {
	key := ReplyKey(inboundID)
	var prev []models.Message
	if err := tx.Raw(`SELECT * FROM messages WHERE idempotency_scope = ? AND idempotency_key = ?`, IdempotencyScope, key).Scan(&prev).Error; err != nil {
		return models.Message{}, false, nil, err
	}
	if len(prev) > 0 {
		return prev[0], false, nil, nil
	}
	msg := waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: d.Reply}}
	if d.Menu != nil {
		msg = MenuMessage(d.RuleID, d.Reply, *d.Menu)
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return models.Message{}, false, nil, err
	}
	row := models.Message{ConversationID: c.ID, Direction: models.DirOut, Type: msg.Type, Body: d.Reply, Payload: raw,
		Status: models.MsgQueued, CreatedAt: now, Origin: OriginAuto, IdempotencyKey: &key, IdempotencyScope: IdempotencyScope}
	if err := tx.Create(&row).Error; err != nil {
		return models.Message{}, false, nil, fmt.Errorf("store auto-reply: %w", err)
	}
	row.BizOpaque = strconv.FormatInt(row.ID, 10)
	if err := tx.Exec(`UPDATE messages SET send_state = 'pending', biz_opaque = ? WHERE id = ?`, row.BizOpaque, row.ID).Error; err != nil {
		return models.Message{}, false, nil, err
	}
	if err := tx.Exec(`UPDATE conversations SET last_message_at = ?, last_preview = ?, updated_at = ? WHERE id = ?`,
		now, models.Ellipsize(d.Reply, 140), now, c.ID).Error; err != nil {
		return models.Message{}, false, nil, err
	}
	ev, err := models.NewEvent(models.EventMessageCreated, c.Audience(), map[string]any{"message": row, "conversationId": c.ID,
		"automated": true, "rule": d.Kind})
	if err != nil {
		return models.Message{}, false, nil, err
	}
	if err := s.Events.Append(ctx, tx, &ev); err != nil {
		return models.Message{}, false, nil, err
	}
	return row, true, &ev, nil
}

// applyRoute moves the conversation to the rule's team (unassigned: the
// team's routing picks the agent after commit) and records a hand-over,
// which stops automation until the conversation is resolved.
func (s JobStore) applyRoute(ctx context.Context, tx *gorm.DB, c *models.Conversation, inboundID int64, d Decision, now time.Time) ([]models.Event, error) {
	moves := d.RouteTeamID != nil && (c.TeamID == nil || *c.TeamID != *d.RouteTeamID)
	if !moves && !d.Handover {
		return nil, nil // already in that team: nothing changes
	}
	before := *c
	data := map[string]any{"id": c.ID, "change": "auto_route", "automated": true}
	if moves {
		if err := tx.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = NULL, updated_at = ? WHERE id = ?`,
			*d.RouteTeamID, now, c.ID).Error; err != nil {
			return nil, fmt.Errorf("route conversation %d: %w", c.ID, err)
		}
		team := *d.RouteTeamID
		c.TeamID, c.AssigneeAgentID = &team, nil
		data["teamId"], data["assigneeAgentId"] = team, nil
	}
	if d.Handover {
		if err := tx.Exec(`INSERT INTO auto_reply_stops (conversation_id, message_id, stopped_at) VALUES (?, ?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET message_id = EXCLUDED.message_id, stopped_at = EXCLUDED.stopped_at`,
			c.ID, inboundID, now).Error; err != nil {
			return nil, err
		}
		data["change"], data["handover"] = "handover", true
	}
	ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience().Merge(before.Audience()), data)
	if err != nil {
		return nil, err
	}
	if err := s.Events.Append(ctx, tx, &ev); err != nil {
		return nil, err
	}
	return []models.Event{ev}, nil
}
