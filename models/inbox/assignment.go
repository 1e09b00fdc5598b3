package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// Audit actions of assignment changes; the same kinds name the thread line.
const (
	AuditConversationAssign   = "conversation.assign"   // a supervisor (inbox:assign) assigned or moved it
	AuditConversationRoute    = "conversation.route"    // routing gave it to an agent (by = the system)
	AuditConversationTake     = "conversation.take"     // an agent took it from its team's queue
	AuditConversationTransfer = "conversation.transfer" // its assignee handed it to a teammate or back to the queue
)

// AssignmentLine is the payload of a thread line (direction note, type
// assignment): what changed and who did it. Names are kept as they were so
// the thread reads the same after a rename; the web app words the line in
// the agent's language from these fields.
type AssignmentLine struct {
	Kind       string `json:"kind"` // assign | route | take | transfer
	ByAgentID  *int64 `json:"byAgentId,omitempty"`
	ByName     string `json:"byName,omitempty"`
	FromAgent  *int64 `json:"fromAgentId,omitempty"`
	FromName   string `json:"fromName,omitempty"`
	ToAgent    *int64 `json:"toAgentId,omitempty"`
	ToName     string `json:"toName,omitempty"`
	TeamID     *int64 `json:"teamId,omitempty"`
	TeamName   string `json:"teamName,omitempty"`
	Strategy   string `json:"strategy,omitempty"`
	FromTeamID *int64 `json:"fromTeamId,omitempty"`
}

// body is the line's text where no translation is at hand (exports, API).
func (l AssignmentLine) body() string {
	to := l.ToName
	if l.ToAgent == nil {
		to = "the team queue"
		if l.TeamName != "" {
			to = "the queue of " + l.TeamName
		}
	}
	switch l.Kind {
	case "take":
		return l.ByName + " took the conversation"
	case "route":
		return "Assigned to " + to + " (" + l.Strategy + ")"
	case "transfer":
		return l.ByName + " transferred the conversation to " + to
	}
	return l.ByName + " assigned the conversation to " + to
}

func eqPtr(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// recordAssignment writes, inside tx, the thread line and the audit row of
// one assignment change from before to after (nothing when neither the
// assignee nor the team moved) and appends the line's message.created event
// for both the old and the new audience. by is 0 for the system (routing).
func (ib ConversationStore) recordAssignment(ctx context.Context, tx *gorm.DB, kind, audit string, by int64, before, after models.Conversation, strategy string) ([]models.Event, error) {
	if eqPtr(before.AssigneeAgentID, after.AssigneeAgentID) && eqPtr(before.TeamID, after.TeamID) {
		return nil, nil
	}
	name := func(id *int64) (string, error) {
		if id == nil {
			return "", nil
		}
		var n string
		err := tx.Raw(`SELECT name FROM agents WHERE id = ?`, *id).Scan(&n).Error
		return n, err
	}
	l := AssignmentLine{Kind: kind, FromAgent: before.AssigneeAgentID, ToAgent: after.AssigneeAgentID, TeamID: after.TeamID, Strategy: strategy}
	if !eqPtr(before.TeamID, after.TeamID) {
		l.FromTeamID = before.TeamID
	}
	var err error
	var byPtr *int64
	if by != 0 {
		byPtr = &by
		l.ByAgentID = byPtr
		if l.ByName, err = name(byPtr); err != nil {
			return nil, err
		}
	}
	if l.FromName, err = name(before.AssigneeAgentID); err != nil {
		return nil, err
	}
	if l.ToName, err = name(after.AssigneeAgentID); err != nil {
		return nil, err
	}
	if after.TeamID != nil {
		if err := tx.Raw(`SELECT name FROM teams WHERE id = ?`, *after.TeamID).Scan(&l.TeamName).Error; err != nil {
			return nil, err
		}
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	now := ib.now()
	msg := models.Message{ConversationID: after.ID, Direction: models.DirNote, Type: "assignment", Body: l.body(),
		Payload: payload, Status: models.MsgReceived, CreatedAt: now}
	if err := tx.Raw(`INSERT INTO messages (conversation_id, direction, type, body, payload, status, author_agent_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		msg.ConversationID, msg.Direction, msg.Type, msg.Body, string(payload), msg.Status, byPtr, now).Scan(&msg.ID).Error; err != nil {
		return nil, fmt.Errorf("assignment line of conversation %d: %w", after.ID, err)
	}
	if err := identity.WriteAudit(ctx, tx, identity.Audit(by, audit, "conversation", after.ID, map[string]any{
		"fromAgentId": before.AssigneeAgentID, "toAgentId": after.AssigneeAgentID,
		"fromTeamId": before.TeamID, "toTeamId": after.TeamID, "strategy": strategy,
	})); err != nil {
		return nil, err
	}
	aud := after.Audience().Merge(before.Audience())
	ev, err := models.NewEvent(models.EventMessageCreated, aud, map[string]any{
		"id": msg.ID, "conversationId": msg.ConversationID, "direction": msg.Direction, "type": msg.Type,
		"body": msg.Body, "payload": json.RawMessage(payload), "status": msg.Status, "createdAt": now,
	})
	if err != nil {
		return nil, err
	}
	if err := ib.Events.Append(ctx, tx, &ev); err != nil {
		return nil, err
	}
	return []models.Event{ev}, nil
}

// queueTeams are the teams whose queue p works (inbox:take): its own and
// those it supervises.
func queueTeams(p models.Principal) []int64 {
	if !p.Can(models.PermInboxTake) {
		return nil
	}
	out := slices.Concat(p.TeamIDs, p.SupervisedTeamIDs)
	slices.Sort(out)
	return slices.Compact(out)
}

// underCapacity refuses a take that would put agent over its
// max_conversations, the same cap routing respects. The agent's row is
// locked so two takes of one agent (two tabs) cannot both pass at n-1.
func underCapacity(tx *gorm.DB, agent int64) error {
	var row struct{ Max, Load int64 }
	if err := tx.Raw(`SELECT a.max_conversations AS max,
			`+models.AgentConvLoadSQL("a.id")+` AS load
		FROM agents a WHERE a.id = ? FOR UPDATE OF a`, agent).Scan(&row).Error; err != nil {
		return fmt.Errorf("capacity of agent %d: %w", agent, err)
	}
	if row.Load >= row.Max {
		return models.Errorf(models.EConflict, "you are at your capacity (%d of %d open conversations): resolve or transfer one first", row.Load, row.Max)
	}
	return nil
}

// takeable is the conversation status a queue holds.
func takeable(status string) bool {
	return status == "open" || status == "pending" || status == "snoozed"
}

// Take gives an unassigned conversation of one of p's teams to p itself
// (inbox:take). Of two agents taking the same conversation the first wins;
// the second gets 409 (the row is locked, then re-read). A conversation of
// another team answers as missing.
func (ib ConversationStore) Take(ctx context.Context, p models.Principal, id int64) (models.Conversation, []models.Event, error) {
	teams := queueTeams(p)
	var c models.Conversation
	var evs []models.Event
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, id).Scan(&before).Error; err != nil {
			return err
		}
		if before.ID == 0 || before.TeamID == nil || !(p.AllScope || slices.Contains(teams, *before.TeamID)) {
			// Another team's queue (or its own assigned chats, for an agent)
			// is neither taken nor confirmed.
			if before.ID != 0 && before.AssigneeAgentID != nil && *before.AssigneeAgentID == p.AgentID {
				return models.Errorf(models.EConflict, "conversation %d is yours already", id)
			}
			return models.Errorf(models.ENotFound, "conversation %d not found", id)
		}
		if before.AssigneeAgentID != nil {
			if *before.AssigneeAgentID == p.AgentID {
				return models.Errorf(models.EConflict, "conversation %d is yours already", id)
			}
			return models.Errorf(models.EConflict, "conversation %d was taken by someone else", id)
		}
		if !takeable(before.Status) {
			return models.Errorf(models.EConflict, "conversation %d is %s", id, before.Status)
		}
		if err := underCapacity(tx, p.AgentID); err != nil {
			return err
		}
		if err := tx.Raw(`UPDATE conversations SET assignee_agent_id = ?, updated_at = ? WHERE id = ? RETURNING *`,
			p.AgentID, ib.now(), id).Scan(&c).Error; err != nil {
			return fmt.Errorf("take conversation %d: %w", id, err)
		}
		if err := ib.afterAssignment(ctx, tx, "take", AuditConversationTake, p.AgentID, before, c, &evs); err != nil {
			return err
		}
		// She took it from the open thread: now the business has read it
		// (a preview of the queue sent nothing, see Change "read").
		if ib.Receipts.Read {
			if _, err := (ReceiptStore{DB: ib.DB, Now: ib.Now}).Request(ctx, tx, id, false); err != nil {
				return err
			}
		}
		return nil
	})
	return c, evs, err
}

// Transfer hands a conversation p serves to a teammate (toAgent) or back to
// its team's queue (toAgent nil), inbox:take. Only the assignee (or a
// supervisor of the team, or an all-scope principal) transfers; the new
// assignee must be an active member of the conversation's team.
func (ib ConversationStore) Transfer(ctx context.Context, p models.Principal, id int64, toAgent *int64) (models.Conversation, []models.Event, error) {
	if _, err := ib.GetScoped(ctx, p, id); err != nil {
		return models.Conversation{}, nil, err
	}
	var c models.Conversation
	var evs []models.Event
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, id).Scan(&before).Error; err != nil {
			return err
		}
		mine := before.AssigneeAgentID != nil && *before.AssigneeAgentID == p.AgentID
		if before.TeamID == nil {
			return models.Errorf(models.EConflict, "conversation %d belongs to no team", id)
		}
		if !mine && !p.SeesTeamMembers(*before.TeamID) {
			return models.Errorf(models.EForbidden, "only the assignee transfers conversation %d", id)
		}
		if toAgent != nil {
			if eqPtr(before.AssigneeAgentID, toAgent) {
				return models.FieldError(models.EUnprocessable, "agentId", "agent %d serves the conversation already", *toAgent)
			}
			var ok int64
			if err := tx.Raw(`SELECT count(*) FROM team_members m JOIN agents a ON a.id = m.agent_id
				WHERE m.team_id = ? AND m.agent_id = ? AND a.status = 'active'`, *before.TeamID, *toAgent).Scan(&ok).Error; err != nil {
				return err
			}
			if ok == 0 {
				return models.FieldError(models.EUnprocessable, "agentId", "agent %d is no active member of the conversation's team", *toAgent)
			}
		} else if before.AssigneeAgentID == nil {
			return models.Errorf(models.EConflict, "conversation %d is in the queue already", id)
		}
		if err := tx.Raw(`UPDATE conversations SET assignee_agent_id = ?, updated_at = ? WHERE id = ? RETURNING *`,
			toAgent, ib.now(), id).Scan(&c).Error; err != nil {
			return fmt.Errorf("transfer conversation %d: %w", id, err)
		}
		return ib.afterAssignment(ctx, tx, "transfer", AuditConversationTransfer, p.AgentID, before, c, &evs)
	})
	return c, evs, err
}

// afterAssignment appends the conversation.updated event of an assignment
// change (for the old and the new audience) and its thread line and audit.
func (ib ConversationStore) afterAssignment(ctx context.Context, tx *gorm.DB, kind, audit string, by int64, before, after models.Conversation, evs *[]models.Event) error {
	aud := after.Audience().Merge(before.Audience())
	ev, err := models.NewEvent(models.EventConversationUpdated, aud, map[string]any{
		"id": after.ID, "change": kind, "by": by, "assigneeAgentId": after.AssigneeAgentID, "teamId": after.TeamID,
	})
	if err != nil {
		return err
	}
	if err := ib.Events.Append(ctx, tx, &ev); err != nil {
		return err
	}
	line, err := ib.recordAssignment(ctx, tx, kind, audit, by, before, after, "")
	if err != nil {
		return err
	}
	*evs = append(append(*evs, ev), line...)
	return nil
}

// queueScope is the part of the conversation scope that the queue adds for
// holders of inbox:take: unassigned conversations of their teams.
func queueScope(p models.Principal) (string, []any) {
	teams := queueTeams(p)
	if p.AllScope || len(teams) == 0 {
		return "", nil
	}
	return "(conversations.assignee_agent_id IS NULL AND conversations.team_id IN ?)", []any{teams}
}

// conversationScope is the scope of conversation reads: models.ScopeFilter
// (assignee, supervised teams) plus, with inbox:take, the queue of p's teams.
func conversationScope(p models.Principal) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if p.AllScope {
			return db
		}
		q, qargs := queueScope(p)
		if q == "" {
			return db.Scopes(models.ScopeFilter(p, "conversations.assignee_agent_id", "conversations.team_id"))
		}
		if len(p.SupervisedTeamIDs) > 0 {
			return db.Where("(conversations.assignee_agent_id = ? OR conversations.team_id IN ? OR "+q+")",
				append([]any{p.AgentID, p.SupervisedTeamIDs}, qargs...)...)
		}
		return db.Where("(conversations.assignee_agent_id = ? OR "+q+")", append([]any{p.AgentID}, qargs...)...)
	}
}

// Teammate is an agent a conversation may be transferred to.
type Teammate struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Presence string `json:"presence"`
}

// TransferTargets lists the active members of the team of a conversation p
// may see, other than its assignee (inbox:take: the names of its own
// teammates, which agents:read of an own-scope agent does not show).
func (ib ConversationStore) TransferTargets(ctx context.Context, p models.Principal, id int64) ([]Teammate, error) {
	c, err := ib.GetScoped(ctx, p, id)
	if err != nil {
		return nil, err
	}
	out := []Teammate{}
	if c.TeamID == nil {
		return out, nil
	}
	err = ib.DB.WithContext(ctx).Raw(`SELECT a.id, a.name, a.presence FROM team_members m JOIN agents a ON a.id = m.agent_id
		WHERE m.team_id = ? AND a.status = 'active' AND a.id IS DISTINCT FROM ? ORDER BY a.name, a.id`, *c.TeamID, c.AssigneeAgentID).Scan(&out).Error
	return out, err
}
