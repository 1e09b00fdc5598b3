package sla

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Wait is a conversation's current wait, as its workflow arms it.
type Wait struct {
	Since    time.Time // zero: nobody waits
	Kind     string
	NearAt   time.Time // zero: no target for this kind
	DueAt    time.Time
	NearSent bool
	Breached bool
}

// Next is the next moment the workflow must look at the wait (zero: none).
func (w Wait) Next() time.Time {
	switch {
	case w.Since.IsZero() || w.DueAt.IsZero() || w.Breached:
		return time.Time{}
	case !w.NearSent && w.NearAt.Before(w.DueAt):
		return w.NearAt
	default:
		return w.DueAt
	}
}

// Due reports the level that is due at now (empty: none yet).
func (w Wait) Due(now time.Time) string {
	switch {
	case w.Since.IsZero() || w.DueAt.IsZero() || w.Breached:
		return ""
	case !now.Before(w.DueAt):
		return LevelBreach
	case !w.NearSent && !now.Before(w.NearAt):
		return LevelNear
	}
	return ""
}

// WaitStore arms and records the waits of conversations.
type WaitStore struct {
	DB       *gorm.DB
	Events   models.EventStore
	Policies PolicyStore
}

// Arm reads the conversation's wait, computes its moments from its team's
// policy (the rule of Policy.Moments) and stores them on the row for the
// floor when they changed (a new wait, another team, an edited policy,
// another agent when the policy counts in the agent's zone).
func (s WaitStore) Arm(ctx context.Context, convID int64) (Wait, error) {
	var row struct {
		Status        string
		TeamID        *int64
		SLAWaitSince  *time.Time `gorm:"column:sla_wait_since"`
		SLAKind       *string    `gorm:"column:sla_kind"`
		SLANearAt     *time.Time `gorm:"column:sla_near_at"`
		SLADueAt      *time.Time `gorm:"column:sla_due_at"`
		SLANearSent   bool       `gorm:"column:sla_near_sent"`
		SLABreachedAt *time.Time `gorm:"column:sla_breached_at"`
		AgentZone     string
	}
	db := s.DB.WithContext(ctx)
	if err := db.Raw(`SELECT c.status, c.team_id, c.sla_wait_since, c.sla_kind, c.sla_near_at, c.sla_due_at, c.sla_near_sent, c.sla_breached_at,
			COALESCE(a.zone, '') AS agent_zone
		FROM conversations c LEFT JOIN agents a ON a.id = c.assignee_agent_id WHERE c.id = ?`, convID).Scan(&row).Error; err != nil {
		return Wait{}, fmt.Errorf("sla wait of conversation %d: %w", convID, err)
	}
	var w Wait
	if row.SLAWaitSince != nil && (row.Status == "open" || row.Status == "pending") {
		w.Since, w.NearSent, w.Breached = *row.SLAWaitSince, row.SLANearSent, row.SLABreachedAt != nil
		if row.SLAKind != nil {
			w.Kind = *row.SLAKind
		}
		if row.TeamID != nil {
			p, ok, err := s.Policies.ForTeam(ctx, db, *row.TeamID)
			if err != nil {
				return Wait{}, err
			}
			if ok {
				w.NearAt, w.DueAt = p.For(row.AgentZone).Moments(w.Kind, w.Since)
			}
		}
	}
	if row.SLAWaitSince != nil && (!sameTime(row.SLADueAt, w.DueAt) || !sameTime(row.SLANearAt, w.NearAt)) {
		if err := db.Exec(`UPDATE conversations SET sla_near_at = ?, sla_due_at = ? WHERE id = ? AND sla_wait_since = ?`,
			nullTime(w.NearAt), nullTime(w.DueAt), convID, row.SLAWaitSince).Error; err != nil {
			return Wait{}, fmt.Errorf("arm sla of conversation %d: %w", convID, err)
		}
	}
	return w, nil
}

func sameTime(stored *time.Time, t time.Time) bool {
	if stored == nil {
		return t.IsZero()
	}
	return stored.Equal(t)
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Record marks level (near or breach) of the wait that began at since, at
// the workflow's time at, once: a retried activity, a replayed timer or a
// wait answered meanwhile records nothing. It returns the event for the
// team's supervisors and the agent serving (already stored).
func (s WaitStore) Record(ctx context.Context, convID int64, since time.Time, level string, at time.Time) (bool, []models.Event, error) {
	if level != LevelNear && level != LevelBreach {
		return false, nil, fmt.Errorf("sla level %q", level)
	}
	var evs []models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		set := `sla_near_sent = true`
		cond := `NOT sla_near_sent AND sla_breached_at IS NULL`
		if level == LevelBreach {
			set, cond = `sla_breached_at = @at, sla_near_sent = true`, `sla_breached_at IS NULL`
		}
		var rows []struct {
			ID              int64
			TeamID          *int64
			AssigneeAgentID *int64
			SLAKind         string     `gorm:"column:sla_kind"`
			SLADueAt        *time.Time `gorm:"column:sla_due_at"`
			Customer        string
		}
		if err := tx.Raw(`UPDATE conversations c SET `+set+`
			WHERE c.id = @id AND c.sla_wait_since = @since AND c.status IN ('open','pending') AND `+cond+`
			RETURNING c.id, c.team_id, c.assignee_agent_id, c.sla_kind, c.sla_due_at,
				(SELECT COALESCE(NULLIF(k.name, ''), k.phone_e164, k.wa_id, '') FROM contacts k WHERE k.id = c.contact_id) AS customer`,
			map[string]any{"id": convID, "since": since, "at": at}).Scan(&rows).Error; err != nil {
			return fmt.Errorf("record sla %s of conversation %d: %w", level, convID, err)
		}
		if len(rows) == 0 {
			return nil
		}
		r := rows[0]
		due := at
		if r.SLADueAt != nil {
			due = *r.SLADueAt
		}
		if err := tx.Exec(`INSERT INTO sla_events (conversation_id, team_id, agent_id, kind, level, wait_since, due_at, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, convID, r.TeamID, r.AssigneeAgentID, r.SLAKind, level, since, due, at).Error; err != nil {
			return fmt.Errorf("store sla %s of conversation %d: %w", level, convID, err)
		}
		aud := models.Audience{}
		if r.AssigneeAgentID != nil {
			aud.AgentIDs = []int64{*r.AssigneeAgentID}
		}
		if r.TeamID != nil {
			aud.TeamIDs = []int64{*r.TeamID} // its leads (supervisors)
		}
		ev, err := models.NewEvent(models.EventSLAAlert, aud, map[string]any{
			"conversationId": convID, "teamId": r.TeamID, "assigneeAgentId": r.AssigneeAgentID, "level": level,
			"kind": r.SLAKind, "waitSince": since, "dueAt": due, "at": at, "customer": r.Customer,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
		return nil
	})
	return len(evs) > 0, evs, err
}
