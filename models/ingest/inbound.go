package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"gorm.io/gorm"
)

// InboundMessage is a customer message as the webhook receiver hands it to
// the store (already decoded from Meta's shape).
type InboundMessage struct {
	PhoneNumberID string // business number it was sent to
	DisplayNumber string
	WABAID        string
	WAMID         string
	FromWAID      string // digits; may be empty when only a BSUID is known
	BSUID         string
	ProfileName   string
	Type          string
	Body          string
	Payload       json.RawMessage
	Timestamp     time.Time
	// Origin is models.OriginBusinessApp for a coexistence echo (the
	// business wrote to FromWAID from the WhatsApp Business app) and
	// models.OriginHistory for a past message of a history sync; Outbound
	// says the business sent it (always for an echo), HistoryStatus its
	// status then (sent, delivered, read).
	Origin        string
	Outbound      bool
	HistoryStatus string
	// Referral is the click-to-WhatsApp ad the customer came from (the
	// message's referral object), nil when none.
	Referral json.RawMessage
}

// StatusUpdate is a delivery status of a message we sent.
type StatusUpdate struct {
	WAMID       string
	Status      string
	Timestamp   time.Time
	RecipientID string
	BizOpaque   string
	ErrorCode   *int
	ErrorReason string
	Payload     json.RawMessage
	// Pricing is Meta's pricing object of the status (nil: none). The
	// first status that carries one stores it on the message, and the
	// reports' trigger prices it with the rate card.
	Pricing *Pricing
}

// Pricing is what Meta bills for a message: pricing model (PMP), type
// (regular, free_customer_service, free_entry_point), category (marketing,
// utility, authentication, service, ...) and whether it is billable.
type Pricing struct {
	Model    string
	Type     string
	Category string
	Billable bool
}

// TemplateStatusChange is a review result or pause/disable of a template.
type TemplateStatusChange struct {
	MetaID   string
	Name     string
	Language string
	Status   string // PENDING APPROVED REJECTED PAUSED DISABLED
	Reason   string
	Quality  string // set by quality updates
	// Category and PreviousCategory are set by template_category_update;
	// UpcomingCategory (and UpcomingAt) when Meta announces a change.
	Category, PreviousCategory, UpcomingCategory string
	UpcomingAt                                   *time.Time
	// Edit is set by message_template_components_update.
	Edit *templates.Edit
}

// SenderQualityChange is a phone_number_quality_update.
type SenderQualityChange struct {
	DisplayNumber string
	Event         string
	Quality       string // may be empty
	LimitTier     string // may be empty
}

// InboundBatch is everything one webhook delivery carries.
type InboundBatch struct {
	Messages    []InboundMessage
	Statuses    []StatusUpdate
	Templates   []TemplateStatusChange
	Senders     []SenderQualityChange
	Preferences []PreferenceChange
	Accounts    []senders.AccountChange
}

// IngestResult says what a delivery changed.
type IngestResult struct {
	Events            []models.Event
	MessagesStored    int
	Duplicates        int
	StatusesApplied   int
	UnverifiedSenders []string
	// Opened lists conversations whose customer-service window this delivery
	// opened (no earlier inbound, or the last one older than the window):
	// only these are signalled to Temporal, ordinary messages are not.
	Opened []OpenedWindow
	// Sanitized counts items whose strings had to be made storable (NUL,
	// invalid UTF-8, JSON escapes PostgreSQL refuses); DeadLetters lists
	// the items PostgreSQL still refused, kept in webhook_dead_letters.
	Sanitized   int
	DeadLetters []DeadLetter
	// CampaignsHeld lists campaigns a template status paused or resumed.
	CampaignsHeld []int64
}

// OpenedWindow is a conversation whose window an inbound message opened.
type OpenedWindow struct {
	ConversationID, SenderID, ContactID, MessageID int64
}

// InboundStore writes webhook deliveries. Everything of one delivery
// commits in one transaction together with its events.
type InboundStore struct {
	DB     *gorm.DB
	Events models.EventStore
	// Window is the customer-service window (24h when zero).
	Window time.Duration
	// OptOutKeywords / OptInKeywords change a contact's marketing
	// preference (preferences.go); nil means the defaults.
	OptOutKeywords, OptInKeywords []string
	// senderIDs caches phone_number_id -> senders.id (a row is never deleted
	// while conversations reference it, so a cached id stays valid).
	senderIDs sync.Map
}

// Ingest stores a delivery idempotently: messages by wamid, statuses by
// (wamid, status), moving message statuses only forward. Items are
// sanitised first; when PostgreSQL still refuses one item's data, the
// delivery is stored again item by item (a savepoint each) and the refused
// items are dead-lettered, so one poison item never blocks the others.
// The common case pays no savepoints.
func (s *InboundStore) Ingest(ctx context.Context, b InboundBatch) (IngestResult, error) {
	sanitized := sanitizeBatch(&b)
	res, err := s.ingest(ctx, b, false)
	if err != nil && itemRefused(err) {
		res, err = s.ingest(ctx, b, true)
	}
	res.Sanitized = sanitized
	return res, err
}

func (s *InboundStore) ingest(ctx context.Context, b InboundBatch, isolated bool) (IngestResult, error) {
	var res IngestResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = IngestResult{}
		item := func(kind, key string, v any, store func() error) error {
			if !isolated {
				return store()
			}
			raw, _ := json.Marshal(v)
			return isolate(tx, &res, kind, key, raw, store)
		}
		for i := range b.Messages {
			m := &b.Messages[i]
			if err := item("message", m.WAMID, m, func() error { return s.storeMessage(ctx, tx, m, &res) }); err != nil {
				return err
			}
		}
		for i := range b.Statuses {
			st := &b.Statuses[i]
			if err := item("status", st.WAMID, st, func() error { return s.applyStatus(ctx, tx, st, &res) }); err != nil {
				return err
			}
		}
		for i := range b.Templates {
			t := &b.Templates[i]
			if err := item("template", t.Name, t, func() error { return s.applyTemplate(ctx, tx, t, &res) }); err != nil {
				return err
			}
		}
		for i := range b.Senders {
			q := &b.Senders[i]
			if err := item("sender", q.DisplayNumber, q, func() error { return s.applySenderQuality(ctx, tx, q, &res) }); err != nil {
				return err
			}
		}
		for i := range b.Preferences {
			if err := s.applyPreference(ctx, tx, &b.Preferences[i]); err != nil {
				return err
			}
		}
		for i := range b.Accounts {
			if err := s.applyAccount(ctx, tx, b.Accounts[i], &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// A failed transaction may have created a sender row that rolled back.
		s.senderIDs.Clear()
		return IngestResult{}, err
	}
	return res, nil
}

func (s *InboundStore) senderID(ctx context.Context, tx *gorm.DB, m *InboundMessage, res *IngestResult) (int64, error) {
	if v, ok := s.senderIDs.Load(m.PhoneNumberID); ok {
		return v.(int64), nil
	}
	var ids []int64
	if err := tx.Raw(`SELECT id FROM senders WHERE phone_number_id = ?`, m.PhoneNumberID).Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("look up sender %s: %w", m.PhoneNumberID, err)
	}
	if len(ids) == 0 {
		// Never drop a customer message: keep it against an unverified
		// sender that admins must review.
		err := tx.Raw(`INSERT INTO senders (phone_number_id, waba_id, display_number, status, status_reason)
			VALUES (?, ?, ?, 'unverified', 'received a message but is not registered')
			ON CONFLICT (phone_number_id) DO UPDATE SET updated_at = senders.updated_at RETURNING id`,
			m.PhoneNumberID, m.WABAID, m.DisplayNumber).Scan(&ids).Error
		if err != nil || len(ids) == 0 {
			return 0, fmt.Errorf("create unverified sender %s: %w", m.PhoneNumberID, err)
		}
		ev, err := models.NewEvent(models.EventSenderUnverified, models.Audience{}, map[string]any{
			"senderId": ids[0], "phoneNumberId": m.PhoneNumberID, "displayNumber": m.DisplayNumber, "wabaId": m.WABAID,
		})
		if err != nil {
			return 0, err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return 0, err
		}
		res.Events = append(res.Events, ev)
		res.UnverifiedSenders = append(res.UnverifiedSenders, m.PhoneNumberID)
		return ids[0], nil // not cached: the transaction may still roll back
	}
	s.senderIDs.Store(m.PhoneNumberID, ids[0])
	return ids[0], nil
}

func (s *InboundStore) contactID(tx *gorm.DB, m *InboundMessage) (int64, error) {
	var phone, bsuid *string
	if m.FromWAID != "" {
		p := "+" + strings.TrimPrefix(m.FromWAID, "+")
		phone = &p
	}
	if m.BSUID != "" {
		bsuid = &m.BSUID
	}
	var ids []int64
	switch {
	case bsuid != nil:
		// A known BSUID wins; fill its phone when it arrives later (and is free).
		// A name already set (by an agent or an import) is never overwritten
		// by the WhatsApp profile name.
		err := tx.Raw(`UPDATE contacts SET
				name = CASE WHEN name = '' THEN ? ELSE name END,
				wa_id = COALESCE(NULLIF(?, ''), wa_id),
				phone_e164 = COALESCE(phone_e164, (SELECT CAST(? AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE phone_e164 = ?))),
				updated_at = now()
			WHERE bsuid = ? RETURNING id`,
			m.ProfileName, m.FromWAID, phone, phone, *bsuid).Scan(&ids).Error
		if err != nil {
			return 0, fmt.Errorf("update contact by bsuid: %w", err)
		}
		if len(ids) > 0 {
			return ids[0], nil
		}
		if phone == nil {
			err := tx.Raw(`INSERT INTO contacts (bsuid, name) VALUES (?, ?)
				ON CONFLICT (bsuid) DO UPDATE SET name = CASE WHEN contacts.name = '' THEN EXCLUDED.name ELSE contacts.name END
				RETURNING id`, *bsuid, m.ProfileName).Scan(&ids).Error
			if err != nil || len(ids) == 0 {
				return 0, fmt.Errorf("upsert contact by bsuid: %w", err)
			}
			return ids[0], nil
		}
		fallthrough
	default:
		if phone == nil {
			return 0, models.Errorf(models.EInvalid, "message %s has neither a phone nor a user id", m.WAMID)
		}
		err := tx.Raw(`INSERT INTO contacts (phone_e164, wa_id, bsuid, name)
			VALUES (?, ?, (SELECT CAST(? AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE bsuid = ?)), ?)
			ON CONFLICT (phone_e164) DO UPDATE SET
				name = CASE WHEN contacts.name = '' THEN EXCLUDED.name ELSE contacts.name END,
				wa_id = EXCLUDED.wa_id,
				bsuid = COALESCE(contacts.bsuid, EXCLUDED.bsuid),
				updated_at = now()
			RETURNING id`, *phone, m.FromWAID, bsuid, bsuid, m.ProfileName).Scan(&ids).Error
		if err != nil || len(ids) == 0 {
			return 0, fmt.Errorf("upsert contact by phone: %w", err)
		}
		return ids[0], nil
	}
}

type convRow struct {
	ID              int64
	AssigneeAgentID *int64
	TeamID          *int64
	// LastInboundAt is the value BEFORE this message (did it open the window?).
	LastInboundAt *time.Time
}

type storedRow struct {
	ID            int64
	LastMessageAt time.Time
}

func (s *InboundStore) storeMessage(ctx context.Context, tx *gorm.DB, m *InboundMessage, res *IngestResult) error {
	if m.FromWAID == "" && m.BSUID == "" {
		return nil // unattributable; the receiver logs it
	}
	if m.Type == "system" {
		return s.storeSystem(ctx, tx, m, res)
	}
	if m.Origin != "" {
		return s.storeForeign(ctx, tx, m, res) // echo.go: app echoes, history
	}
	if stop, ok := s.keywordPreference(m); ok {
		if err := setOptOut(ctx, tx, m.FromWAID, m.BSUID, stop, "keyword"); err != nil {
			return err
		}
	}
	senderID, err := s.senderID(ctx, tx, m, res)
	if err != nil {
		return err
	}
	if done, err := s.storeSurveyAnswer(ctx, tx, m, senderID, res); done || err != nil { // csat.go
		return err
	}
	var contactID int64
	var conv []convRow
	if m.BSUID == "" {
		// Hot path: contact and conversation upserts in one round trip.
		var rows []struct {
			ID              int64
			AssigneeAgentID *int64
			TeamID          *int64
			ContactID       int64
			LastInboundAt   *time.Time
		}
		phone := "+" + strings.TrimPrefix(m.FromWAID, "+")
		// Returning customers (the common case): find the conversation,
		// insert the message and touch the conversation in one statement,
		// with no upsert rewriting the contact and conversation rows.
		known, err := s.insertKnown(tx, m, senderID, phone)
		if err != nil {
			return err
		}
		if known != nil {
			if known.MessageID == nil {
				res.Duplicates++
				return nil
			}
			return s.appendCreated(ctx, tx, m, senderID, known.ContactID, convRow{ID: known.ID, AssigneeAgentID: known.AssigneeAgentID, TeamID: known.TeamID, LastInboundAt: known.PrevInbound}, *known.MessageID, res)
		}
		err = tx.Raw(`WITH c AS (
				INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, ?)
				ON CONFLICT (phone_e164) DO UPDATE SET
					name = CASE WHEN contacts.name = '' THEN EXCLUDED.name ELSE contacts.name END,
					wa_id = EXCLUDED.wa_id
				RETURNING id)
			INSERT INTO conversations (sender_id, contact_id, status) SELECT ?, c.id, 'open' FROM c
			ON CONFLICT (sender_id, contact_id) DO UPDATE SET status = conversations.status
			RETURNING id, assignee_agent_id, team_id, contact_id, last_inbound_at`,
			phone, m.FromWAID, m.ProfileName, senderID).Scan(&rows).Error
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("upsert contact and conversation: %w", err)
		}
		r := rows[0]
		contactID, conv = r.ContactID, []convRow{{ID: r.ID, AssigneeAgentID: r.AssigneeAgentID, TeamID: r.TeamID, LastInboundAt: r.LastInboundAt}}
	} else {
		var c convRow
		if contactID, c, err = s.contactAndConversation(tx, m, senderID); err != nil {
			return err
		}
		conv = []convRow{c}
	}
	return s.insertMessage(ctx, tx, m, senderID, contactID, conv[0], res)
}

// contactAndConversation upserts the contact of m (by BSUID or phone) and
// its conversation on senderID: the slow path of a first or changed
// customer, and of messages from a coexistence number's app.
func (s *InboundStore) contactAndConversation(tx *gorm.DB, m *InboundMessage, senderID int64) (int64, convRow, error) {
	contactID, err := s.contactID(tx, m)
	if err != nil {
		return 0, convRow{}, err
	}
	var conv []convRow
	err = tx.Raw(`INSERT INTO conversations (sender_id, contact_id, status) VALUES (?, ?, 'open')
		ON CONFLICT (sender_id, contact_id) DO UPDATE SET status = conversations.status
		RETURNING id, assignee_agent_id, team_id, last_inbound_at`, senderID, contactID).Scan(&conv).Error
	if err != nil || len(conv) == 0 {
		return 0, convRow{}, fmt.Errorf("upsert conversation of %s: %w", m.WAMID, err)
	}
	return contactID, conv[0], nil
}

func (s *InboundStore) insertMessage(ctx context.Context, tx *gorm.DB, m *InboundMessage, senderID, contactID int64, conv convRow, res *IngestResult) error {
	payload := m.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	// Insert the message (a duplicate wamid inserts nothing) and, only when
	// it is new, restart the window and count it unread; a resolved
	// conversation reopens.
	var stored []storedRow
	err := tx.Raw(`WITH m AS (
			INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, created_at)
			VALUES (?, 'in', ?, ?, ?, ?, 'received', ?)
			ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type)
		UPDATE conversations v SET
			last_inbound_at = GREATEST(COALESCE(v.last_inbound_at, m.created_at), m.created_at),
			last_message_at = GREATEST(COALESCE(v.last_message_at, m.created_at), m.created_at),
			unread_count = v.unread_count + 1,
			last_preview = COALESCE(NULLIF(LEFT(m.body, 140), ''), '[' || m.type || ']'),
			status = CASE WHEN v.status IN ('resolved', 'snoozed') THEN 'open' ELSE v.status END, -- a customer message wakes a snoozed conversation
			snoozed_until = CASE WHEN v.status = 'snoozed' THEN NULL ELSE v.snoozed_until END,
			updated_at = now()
		FROM m WHERE v.id = m.conversation_id
		RETURNING m.id, v.last_message_at`,
		conv.ID, m.Type, m.Body, string(payload), m.WAMID, m.Timestamp).Scan(&stored).Error
	if err != nil {
		return fmt.Errorf("insert message %s: %w", m.WAMID, err)
	}
	if len(stored) == 0 {
		res.Duplicates++
		return nil
	}
	return s.appendCreated(ctx, tx, m, senderID, contactID, conv, stored[0].ID, res)
}

type knownRow struct {
	ID              int64
	AssigneeAgentID *int64
	TeamID          *int64
	ContactID       int64
	Name            string
	WAID            string
	MessageID       *int64
	PrevInbound     *time.Time
}

// insertKnown stores m when its contact and conversation exist and are
// unchanged. It returns nil when the slow path (upserts) is needed, and a
// row with a nil MessageID when m is a duplicate.
func (s *InboundStore) insertKnown(tx *gorm.DB, m *InboundMessage, senderID int64, phone string) (*knownRow, error) {
	payload := m.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	var rows []knownRow
	err := tx.Raw(`WITH k AS (
			SELECT v.id, v.assignee_agent_id, v.team_id, c.id AS contact_id, c.name, c.wa_id, v.last_inbound_at AS prev_inbound
			FROM contacts c JOIN conversations v ON v.contact_id = c.id AND v.sender_id = @sender
			WHERE c.phone_e164 = @phone),
		m AS (
			INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, created_at)
			SELECT k.id, 'in', CAST(@type AS TEXT), CAST(@body AS TEXT), CAST(@payload AS JSONB), CAST(@wamid AS TEXT), 'received', CAST(@ts AS TIMESTAMPTZ)
			FROM k WHERE (CAST(@name AS TEXT) = '' OR k.name <> '') AND k.wa_id = @waid
			ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type),
		u AS (
			UPDATE conversations v SET
				last_inbound_at = GREATEST(COALESCE(v.last_inbound_at, m.created_at), m.created_at),
				last_message_at = GREATEST(COALESCE(v.last_message_at, m.created_at), m.created_at),
				unread_count = v.unread_count + 1,
				last_preview = COALESCE(NULLIF(LEFT(m.body, 140), ''), '[' || m.type || ']'),
				status = CASE WHEN v.status IN ('resolved', 'snoozed') THEN 'open' ELSE v.status END, -- a customer message wakes a snoozed conversation
			snoozed_until = CASE WHEN v.status = 'snoozed' THEN NULL ELSE v.snoozed_until END,
				updated_at = now()
			FROM m WHERE v.id = m.conversation_id RETURNING v.id)
		SELECT k.*, (SELECT id FROM m) AS message_id FROM k`,
		sql.Named("sender", senderID), sql.Named("phone", phone), sql.Named("type", m.Type), sql.Named("body", m.Body),
		sql.Named("payload", string(payload)), sql.Named("wamid", m.WAMID), sql.Named("ts", m.Timestamp),
		sql.Named("name", m.ProfileName), sql.Named("waid", m.FromWAID)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("insert message %s: %w", m.WAMID, err)
	}
	if len(rows) != 1 {
		return nil, nil
	}
	k := rows[0]
	if k.MessageID == nil && !((m.ProfileName == "" || k.Name != "") && k.WAID == m.FromWAID) {
		return nil, nil // the contact changed: take the upsert path
	}
	return &k, nil
}

func (s *InboundStore) appendCreated(ctx context.Context, tx *gorm.DB, m *InboundMessage, senderID, contactID int64, conv convRow, msgID int64, res *IngestResult) error {
	ev, err := models.NewEvent(models.EventMessageCreated, models.AudienceOf(conv.AssigneeAgentID, conv.TeamID), map[string]any{
		"id": msgID, "conversationId": conv.ID, "contactId": contactID, "senderId": senderID,
		"direction": models.DirIn, "type": m.Type, "body": m.Body, "wamid": m.WAMID, "createdAt": m.Timestamp,
		"contactName": m.ProfileName, "assigneeAgentId": conv.AssigneeAgentID, // the agent's alerts (alerts.js)
	})
	if err != nil {
		return err
	}
	if err := s.Events.Append(ctx, tx, &ev); err != nil {
		return err
	}
	res.Events = append(res.Events, ev)
	res.MessagesStored++
	if err := recordInboundMedia(tx, conv.ID, msgID, m); err != nil { // media.go
		return err
	}
	if len(m.Referral) > 0 {
		// The ad the customer came from; the business's first reply within
		// 24 h opens the free entry point (OutboxStore.CompleteSend).
		if err := tx.Exec(`UPDATE conversations SET referral = ?, referral_at = ? WHERE id = ? AND (referral_at IS NULL OR referral_at <= ?)`,
			string(m.Referral), m.Timestamp, conv.ID, m.Timestamp).Error; err != nil {
			return fmt.Errorf("record referral of %s: %w", m.WAMID, err)
		}
	}
	// A customer message opens a window (and tells Temporal) only when none
	// was open at its own timestamp; inside one it merely restarts it.
	if !models.WindowOpen(conv.LastInboundAt, m.Timestamp, s.Window) {
		o := OpenedWindow{ConversationID: conv.ID, SenderID: senderID, ContactID: contactID, MessageID: msgID}
		res.Opened = append(res.Opened, o)
		if err := tx.Exec(`INSERT INTO window_signals (conversation_id, sender_id, contact_id, message_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET message_id = EXCLUDED.message_id, claimed_until = NULL`, conv.ID, senderID, contactID, msgID).Error; err != nil {
			return fmt.Errorf("record window signal: %w", err)
		}
	}
	return nil
}
