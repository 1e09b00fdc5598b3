package models

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Event types pushed to agents over the realtime tier.
const (
	EventMessageCreated = "message.created"
	EventMessageStatus  = "message.status"
	// EventMessageMedia: a message's file was fetched and stored (or not).
	EventMessageMedia        = "message.media"
	EventConversationUpdated = "conversation.updated"
	EventCaseUpdated         = "case.updated"
	EventCampaignProgress    = "campaign.progress"
	EventAgentPresence       = "agent.presence"
	EventIntakeProgress      = "intake.progress"
	// EventContactOptOut: a customer opted out of marketing (keyword). For
	// the outbound webhooks; its audience is empty, so admins see it only.
	EventContactOptOut = "contact.opt_out"
	// EventSLAAlert: a customer's wait neared or passed its team's target
	// (models/sla); for the agent serving and the team's supervisors.
	EventSLAAlert = "sla.alert"
)

// Event is one realtime event. PostgreSQL is the truth: every event is a row
// in the events table (its ID is the stream cursor clients resync from);
// RabbitMQ only carries copies to the realtime pods.
type Event struct {
	ID       int64           `json:"id" gorm:"primaryKey"`
	Type     string          `json:"type"`
	TS       time.Time       `json:"ts" gorm:"column:ts"`
	Data     json.RawMessage `json:"data" gorm:"type:jsonb"`
	Audience Audience        `json:"audience" gorm:"serializer:json"`
}

// EventPublisher sends already-stored events to the realtime fanout.
// A failed publish loses nothing: clients resync from the events table.
type EventPublisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// EventStore appends and reads the durable event stream.
type EventStore struct{ DB *gorm.DB }

// NewEvent builds an event with data marshalled to JSON.
// An event type missing from the event -> permission map (event_access.go)
// is refused here, so a new type cannot ship without saying who may see it.
func NewEvent(typ string, aud Audience, data any) (Event, error) {
	if _, ok := EventRuleOf(typ); !ok {
		return Event{}, fmt.Errorf("event %s: no entry in the event -> permission map", typ)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("event %s: %w", typ, err)
	}
	return Event{Type: typ, TS: time.Now().UTC(), Data: raw, Audience: aud}, nil
}

// Append stores e on tx (use the caller's transaction so the event commits
// with the change it describes) and sets e.ID.
func (EventStore) Append(ctx context.Context, tx *gorm.DB, e *Event) error {
	if e.TS.IsZero() {
		e.TS = time.Now().UTC()
	}
	if err := tx.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return nil
}

// After returns up to limit events with id > after, oldest first.
func (s EventStore) After(ctx context.Context, after int64, limit int) ([]Event, error) {
	var out []Event
	err := s.DB.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("events after %d: %w", after, err)
	}
	return out, nil
}

// Latest returns the newest event id (0 when empty).
func (s EventStore) Latest(ctx context.Context) (int64, error) {
	var id int64
	err := s.DB.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM events").Scan(&id).Error
	return id, err
}

// PublishCommitted pushes events that are already committed to the events
// table. A failed publish loses nothing (clients resync from PostgreSQL),
// so it is logged, never returned. pub and log may be nil.
func PublishCommitted(ctx context.Context, pub EventPublisher, log *slog.Logger, what string, evs ...Event) {
	if pub == nil || len(evs) == 0 {
		return
	}
	if err := pub.Publish(ctx, evs...); err != nil && log != nil {
		log.WarnContext(ctx, "publish "+what+" events", "err", err, "count", len(evs))
	}
}

// AppendAll stores events in one statement (ids are filled in).
func (EventStore) AppendAll(ctx context.Context, tx *gorm.DB, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	for i := range evs {
		if evs[i].TS.IsZero() {
			evs[i].TS = time.Now().UTC()
		}
	}
	if err := tx.WithContext(ctx).Create(&evs).Error; err != nil {
		return fmt.Errorf("append %d events: %w", len(evs), err)
	}
	return nil
}
