package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/csat"
	"github.com/wabascrm/scrm/models/senders"
	"gorm.io/gorm"
)

// Inbox is the conversation store the inbox API and the ConversationWorkflow
// activities use. Each change appends its realtime event in the same
// transaction and returns it for publishing after commit.
type ConversationStore struct {
	DB     *gorm.DB
	Events models.EventStore
	Now    func() time.Time
	// Window is the customer-service window (24h; tests may shorten it).
	Window time.Duration
	// Receipts: whether opening a conversation sends Meta a read receipt
	// and typing shows the customer the typing indicator (zero: neither).
	Receipts ReceiptPolicy
}

func (ib ConversationStore) now() time.Time {
	if ib.Now != nil {
		return ib.Now()
	}
	return time.Now().UTC()
}

// ConversationView is a conversation with what the workflow needs.
type ConversationView struct {
	models.Conversation
	LastActivityAt time.Time
	SnoozedUntil   *time.Time
}

// Get returns conversation id.
func (ib ConversationStore) Get(ctx context.Context, id int64) (models.Conversation, error) {
	var c models.Conversation
	err := ib.DB.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if err == gorm.ErrRecordNotFound {
		return c, models.Errorf(models.ENotFound, "conversation %d not found", id)
	}
	return c, err
}

// Snapshot reads the conversation for the workflow.
func (ib ConversationStore) Snapshot(ctx context.Context, id int64) (ConversationView, error) {
	c, err := ib.Get(ctx, id)
	if err != nil {
		return ConversationView{}, err
	}
	v := ConversationView{Conversation: c}
	if c.LastMessageAt != nil {
		v.LastActivityAt = *c.LastMessageAt
	}
	if c.Status == "snoozed" {
		if err := ib.DB.WithContext(ctx).Raw(`SELECT snoozed_until FROM conversations WHERE id = ?`, id).Scan(&v.SnoozedUntil).Error; err != nil {
			return v, fmt.Errorf("snooze of conversation %d: %w", id, err)
		}
	}
	return v, nil
}

// WakeSnoozed reopens a conversation whose snooze ended: still snoozed, and
// until no later than until (the time the workflow's timer waited for; a
// later snooze set meanwhile stays). It reports whether it woke it.
func (ib ConversationStore) WakeSnoozed(ctx context.Context, id int64, until time.Time) (bool, []models.Event, error) {
	return ib.statusIf(ctx, id, `UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = @now
		WHERE id = @id AND status = 'snoozed' AND snoozed_until <= @until RETURNING *`,
		map[string]any{"until": until}, "open", "snooze ended", nil)
}

// WindowEnd is when the conversation's window closes (zero when never opened).
func (ib ConversationStore) WindowEnd(c models.Conversation) time.Time {
	return models.WindowEnd(c.LastInboundAt, ib.Window)
}

// RouteOutcome says who got a new conversation.
type RouteOutcome struct {
	AgentID  int64
	TeamID   int64
	Strategy string
	Reason   string
	Events   []models.Event
}

// Route assigns a new conversation: to the contact's owner when active;
// else within the conversation's team (or the team the sender is allocated
// to) by the team's strategy among active, online agents under capacity;
// manual teams keep it unassigned in the team queue.
func (ib ConversationStore) Route(ctx context.Context, id int64) (RouteOutcome, error) {
	var out RouteOutcome
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, id).Scan(&c).Error; err != nil {
			return err
		}
		if c.ID == 0 {
			return models.Errorf(models.ENotFound, "conversation %d not found", id)
		}
		if c.AssigneeAgentID != nil {
			out = RouteOutcome{AgentID: *c.AssigneeAgentID, Reason: "already assigned"}
			if c.TeamID != nil {
				out.TeamID = *c.TeamID
			}
			return nil
		}
		// 1. The contact's owner, when active.
		var owner int64
		if err := tx.Raw(`SELECT a.id FROM contacts ct JOIN agents a ON a.id = ct.owner_agent_id
			WHERE ct.id = ? AND a.status = 'active'`, c.ContactID).Scan(&owner).Error; err != nil {
			return fmt.Errorf("contact owner: %w", err)
		}
		teamID := int64(0)
		if c.TeamID != nil {
			teamID = *c.TeamID
		} else if err := tx.Raw(`SELECT COALESCE(MIN(team_id), 0) FROM sender_allocations WHERE sender_id = ? AND team_id IS NOT NULL`,
			c.SenderID).Scan(&teamID).Error; err != nil {
			return fmt.Errorf("sender team: %w", err)
		}
		agent, strategy, reason := owner, "owner", "contact owner"
		if agent == 0 && teamID != 0 {
			var err error
			agent, strategy, reason, err = models.PickFromTeam(tx, teamID, "conv_rr_cursor", models.ConvLoadSQL, "max_conversations")
			if err != nil {
				return err
			}
		}
		if agent == 0 && teamID == 0 {
			// A number allocated to one agent as its primary: that agent.
			if err := tx.Raw(`SELECT COALESCE(MIN(sa.agent_id), 0) FROM sender_allocations sa JOIN agents a ON a.id = sa.agent_id
				WHERE sa.sender_id = ? AND sa.role = 'primary' AND a.status = 'active'`, c.SenderID).Scan(&agent).Error; err != nil {
				return fmt.Errorf("sender agent: %w", err)
			}
			strategy, reason = "sender", "primary agent of the number"
			if agent == 0 {
				reason = "no team or agent allocated to the number: left unassigned"
			}
		}
		var agentPtr, teamPtr *int64
		if agent != 0 {
			agentPtr = &agent
		}
		if teamID != 0 {
			teamPtr = &teamID
		}
		if err := tx.Exec(`UPDATE conversations SET assignee_agent_id = ?, team_id = ?, updated_at = ? WHERE id = ?`,
			agentPtr, teamPtr, ib.now(), id).Error; err != nil {
			return fmt.Errorf("assign conversation: %w", err)
		}
		orig := c
		c.AssigneeAgentID, c.TeamID = agentPtr, teamPtr
		ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{
			"id": c.ID, "change": "assigned", "assigneeAgentId": agentPtr, "teamId": teamPtr, "strategy": strategy, "reason": reason,
		})
		if err != nil {
			return err
		}
		if err := ib.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		out = RouteOutcome{AgentID: agent, TeamID: teamID, Strategy: strategy, Reason: reason, Events: []models.Event{ev}}
		line, err := ib.recordAssignment(ctx, tx, "route", AuditConversationRoute, 0, orig, c, strategy)
		if err != nil {
			return err
		}
		out.Events = append(out.Events, line...)
		return nil
	})
	return out, err
}

// ResolveIfIdle resolves the conversation when nothing happened for idle,
// and queues its CSAT survey in the same transaction (csat.Queue; the
// caller hands it to the workflow, see csat.Queued).
func (ib ConversationStore) ResolveIfIdle(ctx context.Context, id int64, idle time.Duration) (bool, []models.Event, error) {
	return ib.statusIf(ctx, id, `UPDATE conversations SET status = 'resolved', resolved_at = @now, updated_at = @now
		WHERE id = @id AND status IN ('open','pending') AND COALESCE(last_message_at, created_at) <= @idleSince RETURNING *`,
		map[string]any{"idleSince": ib.now().Add(-idle)}, "resolved", "auto-resolved after idle",
		func(tx *gorm.DB, c models.Conversation) ([]models.Event, error) {
			return csat.Queue(ctx, tx, ib.Events, c, ib.now(), ib.Window)
		})
}

// QueuedSurveys are the CSAT survey messages of a conversation not sent yet.
func (ib ConversationStore) QueuedSurveys(ctx context.Context, id int64) ([]models.Message, error) {
	return csat.Queued(ctx, ib.DB, id)
}

// statusIf runs a timer's conditional status change (update: @id, @now and
// args) and, when it changed the row, records the conversation.updated
// event in the same transaction, then runs after (nil: nothing) on the
// changed row. It reports whether it changed anything.
func (ib ConversationStore) statusIf(ctx context.Context, id int64, update string, args map[string]any, status, reason string,
	after func(*gorm.DB, models.Conversation) ([]models.Event, error)) (bool, []models.Event, error) {
	args["id"], args["now"] = id, ib.now()
	var evs []models.Event
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c models.Conversation
		if err := tx.Raw(update, args).Scan(&c).Error; err != nil {
			return fmt.Errorf("conversation %d to %s: %w", id, status, err)
		}
		if c.ID == 0 {
			return nil
		}
		ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{"id": id, "change": "status", "status": status, "reason": reason})
		if err != nil {
			return err
		}
		if err := ib.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
		if after != nil {
			more, err := after(tx, c)
			evs = append(evs, more...)
			return err
		}
		return nil
	})
	return len(evs) > 0, evs, err
}

// WindowEvent stores a window opened/closing/closed event.
func (ib ConversationStore) WindowEvent(ctx context.Context, id int64, kind string, closesAt time.Time) (models.Event, error) {
	c, err := ib.Get(ctx, id)
	if err != nil {
		return models.Event{}, err
	}
	ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{"id": id, "change": "window", "window": kind, "closesAt": closesAt})
	if err != nil {
		return models.Event{}, err
	}
	if err := ib.Events.Append(ctx, ib.DB, &ev); err != nil {
		return models.Event{}, err
	}
	return ev, nil
}

// PhoneNumberID returns the Meta phone_number_id of a sender.
func (ib ConversationStore) PhoneNumberID(ctx context.Context, senderID int64) (string, error) {
	var pnid string
	if err := ib.DB.WithContext(ctx).Raw(`SELECT phone_number_id FROM senders WHERE id = ?`, senderID).Scan(&pnid).Error; err != nil {
		return "", err
	}
	if pnid == "" {
		return "", models.Errorf(models.ENotFound, "sender %d not found", senderID)
	}
	return pnid, nil
}

// StartConversation opens (or returns) the conversation between the
// sender chosen for the agent and a contact it may see, so the agent can
// reach the customer first (with a template: the window is closed).
func (ib ConversationStore) StartConversation(ctx context.Context, p models.Principal, contactID int64, senders senders.SenderStore) (models.Conversation, bool, []models.Event, error) {
	if _, err := (contacts.ContactStore{DB: ib.DB}).Get(ctx, p, contactID); err != nil {
		return models.Conversation{}, false, nil, err
	}
	choice, err := senders.SenderFor(ctx, p.AgentID, 0)
	if err != nil {
		return models.Conversation{}, false, nil, err
	}
	var c models.Conversation
	var created bool
	var evs []models.Event
	err = ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			models.Conversation
			Inserted bool
		}
		if err := tx.Raw(`INSERT INTO conversations (sender_id, contact_id, status, assignee_agent_id) VALUES (?, ?, 'open', ?)
			ON CONFLICT (sender_id, contact_id) DO UPDATE SET assignee_agent_id = COALESCE(conversations.assignee_agent_id, EXCLUDED.assignee_agent_id)
			RETURNING *, (xmax = 0) AS inserted`, choice.Sender.ID, contactID, p.AgentID).Scan(&rows).Error; err != nil {
			return fmt.Errorf("start conversation: %w", err)
		}
		c, created = rows[0].Conversation, rows[0].Inserted
		ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{"id": c.ID, "change": "started", "senderId": c.SenderID,
			"contactId": contactID, "senderReason": choice.Reason})
		if err != nil {
			return err
		}
		if err := ib.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
		return nil
	})
	return c, created, evs, err
}

// EnsureConversation returns the conversation of a contact on a number,
// creating it (open, unassigned) when there is none; a new one appends the
// "started" event (why: reason) in tx for the caller to publish after the
// commit. Sends that begin a thread (a campaign's test send, a journey's
// send or hand-over) all take this path.
func (ib ConversationStore) EnsureConversation(ctx context.Context, tx *gorm.DB, senderID, contactID int64, reason string) (models.Conversation, []models.Event, error) {
	var rows []struct {
		models.Conversation
		Inserted bool
	}
	if err := tx.WithContext(ctx).Raw(`INSERT INTO conversations (sender_id, contact_id, status) VALUES (?, ?, 'open')
		ON CONFLICT (sender_id, contact_id) DO UPDATE SET updated_at = conversations.updated_at
		RETURNING *, (xmax = 0) AS inserted`, senderID, contactID).Scan(&rows).Error; err != nil {
		return models.Conversation{}, nil, fmt.Errorf("conversation of contact %d on sender %d: %w", contactID, senderID, err)
	}
	c := rows[0].Conversation
	if !rows[0].Inserted {
		return c, nil, nil
	}
	ev, err := models.NewEvent(models.EventConversationUpdated, c.Audience(), map[string]any{"id": c.ID,
		"change": "started", "senderId": senderID, "contactId": contactID, "senderReason": reason})
	if err != nil {
		return c, nil, err
	}
	if err := ib.Events.Append(ctx, tx, &ev); err != nil {
		return c, nil, err
	}
	return c, []models.Event{ev}, nil
}
