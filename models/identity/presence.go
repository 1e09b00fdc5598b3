package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

func validPresence(field, v string) error {
	switch v {
	case models.PresenceOnline, models.PresenceAway, models.PresenceOffline:
		return nil
	}
	return models.FieldError(models.EUnprocessable, field, "presence must be online, away or offline")
}

// SetPresence sets the caller's own presence and announces it.
func (s AgentStore) SetPresence(ctx context.Context, p models.Principal, presence string) (Agent, error) {
	if err := validPresence("presence", presence); err != nil {
		return Agent{}, err
	}
	var a Agent
	var ev models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		res := tx.Model(&Agent{}).Where("id = ? AND status = ?", p.AgentID, models.AgentActive).
			Updates(map[string]any{"presence": presence, "last_seen_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("set presence: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.EUnauthorized, "account is disabled")
		}
		var err error
		if a, err = (AgentStore{}).get(ctx, tx, p.AgentID); err != nil {
			return err
		}
		if ev, err = models.NewEvent(models.EventAgentPresence, a.Audience(), map[string]any{"agentId": a.ID, "presence": presence}); err != nil {
			return err
		}
		return (models.EventStore{}).Append(ctx, tx, &ev)
	})
	if err != nil {
		return Agent{}, err
	}
	s.publish(ctx, ev)
	return a, nil
}

// PresenceFromConnections stores presence as the realtime tier derives it
// from websocket connections: the first connection brings an offline agent
// online (an agent who chose "away" stays away), and the grace period after
// the last connection sets offline. The realtime tier emits the event.
type PresenceFromConnections struct{ DB *gorm.DB }

// SetPresence implements realtime.PresenceSink.
func (p PresenceFromConnections) SetPresence(ctx context.Context, agentID int64, presence string) error {
	now := time.Now().UTC()
	q := p.DB.WithContext(ctx).Model(&Agent{}).Where("id = ?", agentID)
	if presence == models.PresenceOnline {
		q = q.Where("presence = ?", models.PresenceOffline)
	}
	if err := q.Updates(map[string]any{"presence": presence, "last_seen_at": now, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("presence of agent %d: %w", agentID, err)
	}
	return nil
}
