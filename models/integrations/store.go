package integrations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// Audit actions of webhooks.
const (
	AuditWebhookCreate = "webhook.create"
	AuditWebhookUpdate = "webhook.update"
	AuditWebhookDelete = "webhook.delete"
	AuditWebhookReplay = "webhook.replay"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Subscription sends the chosen event types to a URL, signed with Secret.
type Subscription struct {
	ID          int64     `json:"id" gorm:"primaryKey"`
	URL         string    `json:"url" gorm:"column:url"`
	Description string    `json:"description"`
	EventTypes  []string  `json:"eventTypes" gorm:"serializer:json"`
	Secret      string    `json:"-"`
	Active      bool      `json:"active"`
	FromEventID int64     `json:"-"`
	CreatedBy   *int64    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// TableName implements gorm's Tabler.
func (Subscription) TableName() string { return "webhook_subscriptions" }

// SubscriptionInput creates or edits a subscription (nil fields unchanged on edit).
type SubscriptionInput struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"eventTypes"`
	Active      *bool     `json:"active"`
}

// CreatedSubscription carries the secret, shown once at creation.
type CreatedSubscription struct {
	Subscription
	Secret string `json:"secret"`
}

// Delivery is one webhook call to make (or made) for a subscription.
type Delivery struct {
	ID             int64           `json:"id" gorm:"primaryKey"`
	SubscriptionID int64           `json:"subscriptionId"`
	SourceEventID  int64           `json:"sourceEventId"`
	EventID        string          `json:"eventId"`
	EventType      string          `json:"eventType"`
	ObjectKey      string          `json:"objectKey"`
	Payload        json.RawMessage `json:"payload" gorm:"type:jsonb"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  time.Time       `json:"nextAttemptAt"`
	LeasedUntil    *time.Time      `json:"-"`
	LastStatus     *int            `json:"lastStatus"`
	LastError      string          `json:"lastError"`
	CreatedAt      time.Time       `json:"createdAt"`
	DeliveredAt    *time.Time      `json:"deliveredAt"`
	// URL and Secret of the subscription, filled when claimed for sending.
	URL    string `json:"-" gorm:"->;-:migration;column:url"`
	Secret string `json:"-" gorm:"->;-:migration;column:secret"`
}

// TableName implements gorm's Tabler.
func (Delivery) TableName() string { return "webhook_deliveries" }

// Store keeps subscriptions and deliveries.
type Store struct {
	DB *gorm.DB
	// AllowHTTP accepts http:// URLs (dev and tests; production wants https).
	AllowHTTP bool
	// AllowPrivate accepts URLs on private, loopback and link-local
	// addresses (config integrations_allow_private_targets: tests and scrm dev).
	AllowPrivate bool
}

// checkTarget is CheckTarget unless private targets are allowed.
func (s Store) checkTarget(ctx context.Context, rawURL string) error {
	if s.AllowPrivate {
		return nil
	}
	return CheckTarget(ctx, rawURL, nil)
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// Create adds a subscription; it receives events from now on.
func (s Store) Create(ctx context.Context, p models.Principal, in SubscriptionInput) (CreatedSubscription, error) {
	var url, desc string
	var types []string
	if in.URL != nil {
		url = *in.URL
	}
	if in.Description != nil {
		desc = *in.Description
	}
	if in.EventTypes != nil {
		types = *in.EventTypes
	}
	if err := ValidateSubscription(url, types, s.AllowHTTP); err != nil {
		return CreatedSubscription{}, err
	}
	if err := s.checkTarget(ctx, url); err != nil {
		return CreatedSubscription{}, err
	}
	sub := Subscription{URL: url, Description: desc, EventTypes: types, Secret: newSecret(), Active: in.Active == nil || *in.Active}
	if p.AgentID != 0 {
		by := p.AgentID
		sub.CreatedBy = &by
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&sub.FromEventID).Error; err != nil {
			return err
		}
		sub.CreatedAt = time.Now().UTC()
		sub.UpdatedAt = sub.CreatedAt
		if err := tx.Create(&sub).Error; err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditWebhookCreate, "webhook", sub.ID, map[string]any{
			"url": url, "eventTypes": types, "apiKeyId": p.APIKeyID}))
	})
	return CreatedSubscription{Subscription: sub, Secret: sub.Secret}, err
}

// List returns every subscription.
func (s Store) List(ctx context.Context) ([]Subscription, error) {
	out := []Subscription{}
	err := s.DB.WithContext(ctx).Order("id").Find(&out).Error
	return out, err
}

// Get returns one subscription.
func (s Store) Get(ctx context.Context, id int64) (Subscription, error) {
	var sub Subscription
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sub, models.Errorf(models.ENotFound, "webhook %d not found", id)
	}
	return sub, err
}

// Update edits a subscription.
func (s Store) Update(ctx context.Context, p models.Principal, id int64, in SubscriptionInput) (Subscription, error) {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return sub, err
	}
	before := sub
	if in.URL != nil {
		sub.URL = *in.URL
	}
	if in.Description != nil {
		sub.Description = *in.Description
	}
	if in.EventTypes != nil {
		sub.EventTypes = *in.EventTypes
	}
	if in.Active != nil {
		sub.Active = *in.Active
	}
	if err := ValidateSubscription(sub.URL, sub.EventTypes, s.AllowHTTP); err != nil {
		return sub, err
	}
	if err := s.checkTarget(ctx, sub.URL); err != nil {
		return sub, err
	}
	sub.UpdatedAt = time.Now().UTC()
	types, err := json.Marshal(sub.EventTypes)
	if err != nil {
		return sub, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Subscription{}).Where("id = ?", id).Updates(map[string]any{"url": sub.URL, "description": sub.Description,
			"event_types": gorm.Expr("?::jsonb", string(types)), "active": sub.Active, "updated_at": sub.UpdatedAt}).Error; err != nil {
			return fmt.Errorf("update webhook %d: %w", id, err)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditWebhookUpdate, "webhook", id, map[string]any{
			"before": map[string]any{"url": before.URL, "eventTypes": before.EventTypes, "active": before.Active},
			"after":  map[string]any{"url": sub.URL, "eventTypes": sub.EventTypes, "active": sub.Active}, "apiKeyId": p.APIKeyID}))
	})
	return sub, err
}

// Delete removes a subscription and its deliveries.
func (s Store) Delete(ctx context.Context, p models.Principal, id int64) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&Subscription{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENotFound, "webhook %d not found", id)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditWebhookDelete, "webhook", id, map[string]any{"apiKeyId": p.APIKeyID}))
	})
}

// DeliveryFilter selects the delivery log.
type DeliveryFilter struct {
	SubscriptionID int64
	Status         string
	EventType      string
	Page           models.Page
}

// Deliveries returns the log, newest first, and the total.
func (s Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int64, error) {
	q := s.DB.WithContext(ctx).Model(&Delivery{})
	if f.SubscriptionID != 0 {
		q = q.Where("subscription_id = ?", f.SubscriptionID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.EventType != "" {
		q = q.Where("event_type = ?", f.EventType)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count deliveries: %w", err)
	}
	out := []Delivery{}
	pg := f.Page.Normal()
	if err := q.Order("id DESC").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	return out, total, nil
}

// Replay sends a delivery again (at once, whatever its status), with the
// same event id so the receiver can dedupe.
func (s Store) Replay(ctx context.Context, p models.Principal, id int64) (Delivery, error) {
	var d Delivery
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
			leased_until = NULL, last_error = '' WHERE id = ?`, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENotFound, "delivery %d not found", id)
		}
		if err := tx.Where("id = ?", id).Take(&d).Error; err != nil {
			return err
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditWebhookReplay, "webhook_delivery", id, map[string]any{
			"subscriptionId": d.SubscriptionID, "eventId": d.EventID, "apiKeyId": p.APIKeyID}))
	})
	return d, err
}

// GapWait is how long the relay waits for a missing event id (a
// transaction that took its id but has not committed) before passing it by
// as rolled back.
const GapWait = 10 * time.Second

// Gaps remembers when the relay first saw each missing event id; the relay
// owns one (the caller's state, not the package's).
type Gaps map[int64]time.Time

// Fanout turns the events after the relay's cursor into deliveries for
// every matching subscription, in event order, and advances the cursor, in
// one transaction. Only one relay fans out at a time (the cursor row is
// locked; the others skip). It stops at a gap in the ids younger than
// wait: ids are taken at insert but visible at commit, so a later id can
// commit first and the earlier one must not be skipped. It returns the
// number of events read.
func (s Store) Fanout(ctx context.Context, gaps Gaps, wait time.Duration, limit int) (int, error) {
	n := 0
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cursor []int64
		if err := tx.Raw(`SELECT event_id FROM webhook_relay_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(&cursor).Error; err != nil {
			return fmt.Errorf("webhook cursor: %w", err)
		}
		if len(cursor) == 0 {
			return nil // another relay holds it
		}
		at := cursor[0]
		var evs []models.Event
		if err := tx.Where("id > ?", at).Order("id").Limit(limit).Find(&evs).Error; err != nil {
			return fmt.Errorf("events after %d: %w", at, err)
		}
		n = len(evs)
		if n == 0 {
			return nil
		}
		var subs []Subscription
		if err := tx.Where("active").Order("id").Find(&subs).Error; err != nil {
			return fmt.Errorf("webhook subscriptions: %w", err)
		}
		now := time.Now()
		var rows []Delivery
		for _, e := range evs {
			if e.ID != at+1 {
				first, seen := gaps[at+1]
				if !seen {
					gaps[at+1] = now
					break
				}
				if now.Sub(first) < wait {
					break
				}
				delete(gaps, at+1)
			}
			delete(gaps, e.ID) // a gap that filled in
			at = e.ID
			rows = append(rows, deliveriesOf(e, subs)...)
		}
		if len(rows) > 0 {
			if err := tx.Omit("URL", "Secret").Create(&rows).Error; err != nil {
				return fmt.Errorf("insert deliveries: %w", err)
			}
		}
		return tx.Exec(`UPDATE webhook_relay_cursor SET event_id = ? WHERE id = 1`, at).Error
	})
	return n, err
}

func deliveriesOf(e models.Event, subs []Subscription) []Delivery {
	hooks := Map(e)
	if len(hooks) == 0 {
		return nil
	}
	var out []Delivery
	for i, h := range hooks {
		id := EventID(e.ID, i)
		body, err := json.Marshal(Payload{ID: id, Type: h.Type, CreatedAt: e.TS.UTC(), Object: PayloadObject{Type: h.ObjectType, ID: h.ObjectID}, Data: h.Data})
		if err != nil {
			continue // data came from JSON; cannot fail
		}
		for _, sub := range subs {
			if e.ID <= sub.FromEventID || !contains(sub.EventTypes, h.Type) {
				continue
			}
			out = append(out, Delivery{SubscriptionID: sub.ID, SourceEventID: e.ID, EventID: id, EventType: h.Type,
				ObjectKey: h.ObjectKey(), Payload: body, Status: DeliveryPending, NextAttemptAt: e.TS.UTC(), CreatedAt: time.Now().UTC()})
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Claim leases up to limit due deliveries, each the oldest pending one of
// its (subscription, object): a later event of an object waits until the
// earlier one is delivered (or failed for good), so receivers see each
// object's events in order.
func (s Store) Claim(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	var out []Delivery
	err := s.DB.WithContext(ctx).Raw(`WITH c AS (
		SELECT d.id FROM webhook_deliveries d
		WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.leased_until IS NULL OR d.leased_until < now())
		  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id
		                  AND e.object_key = d.object_key AND e.status = 'pending' AND e.id < d.id)
		ORDER BY d.id LIMIT ? FOR UPDATE OF d SKIP LOCKED)
	UPDATE webhook_deliveries d SET leased_until = now() + ? * interval '1 millisecond', attempts = d.attempts + 1
	FROM c, webhook_subscriptions s WHERE d.id = c.id AND s.id = d.subscription_id
	RETURNING d.*, s.url, s.secret`, limit, lease.Milliseconds()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// Result records one attempt: delivered, or retried after Backoff (failed
// for good after MaxAttempts).
func (s Store) Result(ctx context.Context, d Delivery, status int, callErr error) error {
	if callErr == nil && status >= 200 && status < 300 {
		return s.DB.WithContext(ctx).Exec(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(),
			last_status = ?, last_error = '', leased_until = NULL WHERE id = ?`, status, d.ID).Error
	}
	msg := fmt.Sprintf("HTTP %d", status)
	if callErr != nil {
		msg = callErr.Error()
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	var st *int
	if status != 0 {
		st = &status
	}
	next := DeliveryPending
	if d.Attempts >= MaxAttempts {
		next = DeliveryFailed
	}
	return s.DB.WithContext(ctx).Exec(`UPDATE webhook_deliveries SET status = ?, last_status = ?, last_error = ?,
		next_attempt_at = now() + ? * interval '1 millisecond', leased_until = NULL WHERE id = ?`,
		next, st, msg, Backoff(d.Attempts).Milliseconds(), d.ID).Error
}

// Prune deletes delivered rows older than keep (the log keeps failures and
// pending ones until they are replayed or their subscription is deleted).
func (s Store) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	res := s.DB.WithContext(ctx).Exec(`DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < now() - ? * interval '1 second'`,
		int64(keep.Seconds()))
	return res.RowsAffected, res.Error
}
