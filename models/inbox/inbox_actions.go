package inbox

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/csat"
	"gorm.io/gorm"
)

// ConversationChange is one agent action on a conversation.
type ConversationChange struct {
	Action  string // assign | resolve | reopen | snooze | read | labels
	AgentID *int64 // assign: the new assignee (nil with TeamID: to the team queue)
	TeamID  *int64 // assign: the new team
	Until   time.Time
	Labels  []string
}

var labelRE = regexp.MustCompile(`^[\p{L}\p{N}_ -]{1,40}$`)

// Change applies an action to a conversation p may see and returns the
// updated conversation and the event to publish.
func (ib ConversationStore) Change(ctx context.Context, p models.Principal, id int64, ch ConversationChange) (models.Conversation, []models.Event, error) {
	if _, err := ib.GetScoped(ctx, p, id); err != nil {
		return models.Conversation{}, nil, err
	}
	now := ib.now()
	set := map[string]any{"updated_at": now}
	data := map[string]any{"id": id, "change": ch.Action, "by": p.AgentID}
	switch ch.Action {
	case "assign":
		if ch.AgentID == nil && ch.TeamID == nil {
			return models.Conversation{}, nil, models.FieldError(models.EInvalid, "agentId", "give agentId and/or teamId")
		}
		// The targets through their own scope: an assignee p sees (itself or
		// a member of a team it supervises), a team it supervises; others
		// answer as missing.
		if ch.AgentID != nil {
			var ok int64
			if err := ib.DB.WithContext(ctx).Table("agents").Scopes(models.AgentScope(p)).
				Where("agents.id = ? AND agents.status = 'active'", *ch.AgentID).Count(&ok).Error; err != nil {
				return models.Conversation{}, nil, err
			}
			if ok == 0 {
				return models.Conversation{}, nil, models.FieldError(models.EUnprocessable, "agentId", "agent %d does not exist or is disabled", *ch.AgentID)
			}
		}
		if ch.TeamID != nil {
			var ok int64
			if err := ib.DB.WithContext(ctx).Raw(`SELECT count(*) FROM teams WHERE id = ?`, *ch.TeamID).Scan(&ok).Error; err != nil {
				return models.Conversation{}, nil, err
			}
			if ok == 0 || !p.SeesTeamMembers(*ch.TeamID) {
				return models.Conversation{}, nil, models.FieldError(models.EUnprocessable, "teamId", "team %d does not exist", *ch.TeamID)
			}
			set["team_id"] = *ch.TeamID
			data["teamId"] = *ch.TeamID
		}
		set["assignee_agent_id"] = ch.AgentID
		data["assigneeAgentId"] = ch.AgentID
	case "resolve":
		set["status"], set["resolved_at"] = "resolved", now
		data["status"] = "resolved"
	case "reopen":
		set["status"], set["snoozed_until"] = "open", nil
		data["status"] = "open"
	case "snooze":
		if !ch.Until.After(now) {
			return models.Conversation{}, nil, models.FieldError(models.EInvalid, "until", "must be in the future")
		}
		set["status"], set["snoozed_until"] = "snoozed", ch.Until
		data["status"], data["until"] = "snoozed", ch.Until
	case "read":
		set["unread_count"] = 0
	case "labels":
		clean := make([]string, 0, len(ch.Labels))
		for _, l := range ch.Labels {
			l = strings.TrimSpace(l)
			if !labelRE.MatchString(l) {
				return models.Conversation{}, nil, models.FieldError(models.EInvalid, "labels", "label %q must be 1-40 letters, digits, spaces, _ or -", l)
			}
			clean = append(clean, l)
		}
		if len(clean) > 20 {
			return models.Conversation{}, nil, models.FieldError(models.EInvalid, "labels", "at most 20 labels")
		}
		set["labels"] = gorm.Expr("?::text[]", "{"+quoteArray(clean)+"}")
		data["labels"] = clean
	default:
		return models.Conversation{}, nil, models.FieldError(models.EInvalid, "action", "unknown action %q", ch.Action)
	}
	var c models.Conversation
	var evs []models.Event
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, id).Scan(&before).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Conversation{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return fmt.Errorf("%s conversation %d: %w", ch.Action, id, err)
		}
		if err := tx.Where("id = ?", id).Take(&c).Error; err != nil {
			return err
		}
		// Both the old and the new assignee/team hear about a transfer.
		aud := c.Audience().Merge(before.Audience())
		ev, err := models.NewEvent(models.EventConversationUpdated, aud, data)
		if err != nil {
			return err
		}
		if err := ib.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
		if ch.Action == "resolve" {
			// The survey in the resolve's transaction: exactly one per
			// episode however often resolve is pressed (csat.Queue).
			sv, err := csat.Queue(ctx, tx, ib.Events, c, now, ib.Window)
			if err != nil {
				return err
			}
			evs = append(evs, sv...)
		}
		if ch.Action == "assign" {
			line, err := ib.recordAssignment(ctx, tx, "assign", AuditConversationAssign, p.AgentID, before, c, "")
			if err != nil {
				return err
			}
			evs = append(evs, line...)
		}
		// The customer sees "read" only when the agent who serves the
		// conversation read it: a supervisor looking in, or an agent
		// previewing the team queue, is not the business replying (taking
		// it sends the receipt, see Take).
		if ch.Action == "read" && ib.Receipts.Read && p.Can(models.PermInboxSend) && eqPtr(before.AssigneeAgentID, &p.AgentID) {
			if _, err := (ReceiptStore{DB: ib.DB, Now: ib.Now}).Request(ctx, tx, id, false); err != nil {
				return err
			}
		}
		return nil
	})
	return c, evs, err
}

// Typing queues the typing indicator (with a read receipt, as Meta sends
// both in one call) for a conversation p may see; at most one per 20 s per
// conversation. It reports whether one was queued (false too when the
// setting is off or the customer wrote nothing in the last 30 days).
func (ib ConversationStore) Typing(ctx context.Context, p models.Principal, id int64) (bool, error) {
	if _, err := ib.GetScoped(ctx, p, id); err != nil {
		return false, err
	}
	if !ib.Receipts.Typing {
		return false, nil
	}
	return ReceiptStore{DB: ib.DB, Now: ib.Now}.Request(ctx, nil, id, true)
}

func quoteArray(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`
	}
	return strings.Join(q, ",")
}

// Note is a private note on a conversation (never sent to the customer).
type Note struct {
	ID             int64     `json:"id" gorm:"primaryKey"`
	ConversationID int64     `json:"conversationId"`
	AgentID        int64     `json:"agentId"`
	Body           string    `json:"body"`
	CreatedAt      time.Time `json:"createdAt"`
	// Mentioned are the agents an @mention in the body notified (mention.go).
	Mentioned []int64 `json:"mentioned,omitempty" gorm:"-"`
}

// TableName maps Note to conversation_notes.
func (Note) TableName() string { return "conversation_notes" }

// AddNote stores a private note.
func (ib ConversationStore) AddNote(ctx context.Context, p models.Principal, convID int64, body string) (Note, []models.Event, error) {
	c, err := ib.GetScoped(ctx, p, convID)
	if err != nil {
		return Note{}, nil, err
	}
	body = strings.TrimSpace(body)
	if body == "" || len(body) > 4000 {
		return Note{}, nil, models.FieldError(models.EInvalid, "body", "must be 1-4000 characters")
	}
	n := Note{ConversationID: convID, AgentID: p.AgentID, Body: body, CreatedAt: ib.now()}
	var evs []models.Event
	err = ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&n).Error; err != nil {
			return err
		}
		ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{"id": convID, "change": "note", "note": n})
		if err != nil {
			return err
		}
		evs = append(evs, ev)
		if err := ib.Events.Append(ctx, tx, &evs[0]); err != nil {
			return err
		}
		mentions, err := ib.mention(ctx, tx, p, c.Conversation, n) // mention.go
		n.Mentioned = mentions.agents
		evs = append(evs, mentions.events...)
		return err
	})
	return n, evs, err
}

// Notes lists a conversation's notes, oldest first.
func (ib ConversationStore) Notes(ctx context.Context, p models.Principal, convID int64) ([]Note, error) {
	if _, err := ib.GetScoped(ctx, p, convID); err != nil {
		return nil, err
	}
	var ns []Note
	err := ib.DB.WithContext(ctx).Where("conversation_id = ?", convID).Order("id").Find(&ns).Error
	return ns, err
}
