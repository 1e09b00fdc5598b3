package journeys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/templates"
)

// SendRequest is one send_template step of one enrollment.
type SendRequest struct {
	EnrollmentID int64
	ContactID    int64
	SenderID     int64
	TemplateID   int64
	Variables    map[string]string
	// Key makes the send exactly once: the same key returns the row the
	// first attempt stored (journey:<enrollment>:<step>:<seq>).
	Key string
	// Warmup is the numbers' warm-up schedule (config
	// sender_warmup_schedule: templates per day since warm-up began).
	Warmup []int
}

// SendResult is the stored outbound row, or why nothing was queued.
type SendResult struct {
	Conversation models.Conversation
	MessageID    int64
	Created      bool
	Events       []models.Event
	// Skipped is an exit reason (ExitOptedOut, ExitNoSender, ExitNoTemplate,
	// ExitCapped, ExitManual for a cancelled journey) when the customer
	// must not or cannot get the message.
	Skipped string
	Reason  string
	// Held: the journey is paused, or the number may not send this
	// template now (Reason: flagged, warm-up, portfolio limit); nothing was
	// queued and the step is tried again at HeldUntil (when known, else
	// after the workflow's recheck).
	Held      bool
	HeldUntil time.Time
	// WindowClosed: a free-form send found the customer's 24-hour window
	// closed and queued nothing (QueueFreeForm).
	WindowClosed bool
}

// IdempotencyScope is the scope of the journeys' send keys: no agent or API
// key shares it.
const IdempotencyScope = "journey"

// SendKey is the idempotency key of the send of step at record seq.
func SendKey(enrollmentID int64, step string, seq int) string {
	return fmt.Sprintf("journey:%d:%s:%d", enrollmentID, step, seq)
}

// sendable checks what every journey send needs, in this order: the
// journey live (paused: held when holdPaused, else it goes on; cancelled:
// the customer exits), the contact not opted out, the journey's number.
// stop says the send ends with out (held or skipped); err is a failure to
// look, which the activity retries.
func sendable(db *gorm.DB, enrollmentID, contactID, senderID int64, holdPaused bool) (j Journey, c models.Contact, sd models.Sender, out SendResult, stop bool, err error) {
	var js []Journey
	if err = db.Raw(`SELECT j.* FROM journeys j JOIN journey_enrollments e ON e.journey_id = j.id WHERE e.id = ?`, enrollmentID).Scan(&js).Error; err != nil {
		return j, c, sd, out, true, fmt.Errorf("journey of enrollment %d: %w", enrollmentID, err)
	}
	if len(js) == 0 {
		return j, c, sd, out, true, models.Errorf(models.ENotFound, "enrollment %d not found", enrollmentID)
	}
	j = js[0]
	switch {
	case j.Status == JourneyPaused && holdPaused:
		out.Held = true
		return j, c, sd, out, true, nil
	case j.Status == JourneyArchived:
		out.Skipped, out.Reason = ExitManual, "the journey was cancelled"
		return j, c, sd, out, true, nil
	}
	if err = db.Where("id = ?", contactID).Take(&c).Error; err != nil {
		return j, c, sd, out, true, fmt.Errorf("contact %d: %w", contactID, err)
	}
	if c.OptedOut {
		out.Skipped, out.Reason = ExitOptedOut, "the contact opted out of business messages"
		return j, c, sd, out, true, nil
	}
	err = db.Where("id = ?", senderID).Take(&sd).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || senderID == 0 {
		out.Skipped, out.Reason = ExitNoSender, "the journey has no sender"
		return j, c, sd, out, true, nil
	}
	if err != nil {
		return j, c, sd, out, true, err
	}
	return j, c, sd, out, false, nil
}

// QueueSend queues one template for the contact through the inbox's send
// path (inbox.QueueOutboundScoped: the template's status and variables are
// checked, the row stored queued with its Meta body); the caller hands the
// row to the conversation's workflow, which sends it within the number's
// per-second budget. The conversation is (sender, contact), opened when
// new. An opted-out contact, an unusable number or a template that is not
// APPROVED queue nothing: the result says why, and the journey exits.
func (s JourneyStore) QueueSend(ctx context.Context, ib inbox.ConversationStore, r SendRequest) (SendResult, error) {
	db := s.DB.WithContext(ctx)
	j, c, sd, out, stop, err := sendable(db, r.EnrollmentID, r.ContactID, r.SenderID, true)
	if stop || err != nil {
		return out, err
	}
	var t templates.Template
	if err := db.Where("id = ?", r.TemplateID).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			out.Skipped, out.Reason = ExitNoTemplate, fmt.Sprintf("template %d does not exist", r.TemplateID)
			return out, nil
		}
		return out, err
	}
	if t.Status != templates.TplApproved {
		out.Skipped, out.Reason = ExitNoTemplate, fmt.Sprintf("template %q is %s", t.Name, t.Status)
		return out, nil
	}
	var again int64
	if err := db.Table("messages").Where("idempotency_scope = ? AND idempotency_key = ?", IdempotencyScope, r.Key).Count(&again).Error; err != nil {
		return out, err
	}
	// A retry of a send already stored is not a new template: the cap
	// counted it the first time.
	if fc := j.FrequencyCap; fc.Max > 0 && again == 0 {
		capped, err := campaigns.CappedContacts(db, fc.Max, s.now().AddDate(0, 0, -fc.Days), fc.Categories, []int64{c.ID})
		if err != nil {
			return out, err
		}
		if capped[c.ID] {
			out.Skipped, out.Reason = ExitCapped, fmt.Sprintf("the contact got %d templates within %d days", fc.Max, fc.Days)
			return out, nil
		}
	}
	if again == 0 {
		// The number's budgets, as a campaign's send uses them: a number
		// flagged, restricted or RED, a spent warm-up day or portfolio
		// limit holds the step (it may recover) rather than ending the
		// customer's journey. A retry of a stored send took them already (a
		// crash between this and the row counts the template twice: early,
		// never late).
		var last []struct{ LastInboundAt *time.Time }
		if err := db.Raw(`SELECT last_inbound_at FROM conversations WHERE sender_id = ? AND contact_id = ? ORDER BY id DESC LIMIT 1`,
			sd.ID, c.ID).Scan(&last).Error; err != nil {
			return out, err
		}
		open := len(last) == 1 && models.WindowOpen(last[0].LastInboundAt, s.now(), 0)
		g, err := dispatch.DispatchStore{DB: s.DB, Now: s.Now}.ReserveOne(ctx, sd, c.ID, open, r.Warmup)
		if err != nil {
			return out, err
		}
		if g.N == 0 {
			out.Held, out.HeldUntil, out.Reason = true, g.Until, g.Reason
			return out, nil
		}
	}
	mapping, values, err := campaigns.ContactTemplateValues(ctx, s.DB, r.Variables, c)
	if err != nil {
		return out, err
	}
	rendered, err := templates.RenderTemplate(t, mapping, values)
	if err != nil {
		var me *models.Error
		if errors.As(err, &me) {
			out.Skipped, out.Reason = ExitNoTemplate, me.Message
			return out, nil
		}
		return out, err
	}
	conv, started, err := ib.EnsureConversation(ctx, db, sd.ID, c.ID, "journey send")
	if err != nil {
		return out, err
	}
	out.Conversation = conv
	q, err := ib.QueueOutboundScoped(ctx, out.Conversation.ID, 0, IdempotencyScope, r.Key,
		inbox.OutboundRequest{Type: "template", Template: t.Name, Language: t.Language, Variables: campaigns.RenderedVariables(rendered), Automated: true})
	if err != nil {
		return out, err
	}
	out.MessageID, out.Created, out.Events = q.Message.ID, q.Created, append(started, q.Events...)
	return out, nil
}

// Attributes reads the contact's attributes as text (a branch on an
// attribute).
func (s JourneyStore) Attributes(ctx context.Context, contactID int64) (map[string]string, error) {
	var c models.Contact
	if err := s.DB.WithContext(ctx).Select("id", "attributes").Where("id = ?", contactID).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("contact %d: %w", contactID, err)
	}
	return attrs(c.Attributes), nil
}

// SetAttribute sets one contact attribute (a set_attribute step).
func (s JourneyStore) SetAttribute(ctx context.Context, contactID int64, name, value string) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE contacts SET attributes = jsonb_set(attributes, ARRAY[?]::text[], to_jsonb(?::text)), updated_at = ? WHERE id = ?`,
		name, value, s.now(), contactID).Error
}

// AddTag adds a tag to the contact once (a tag step).
func (s JourneyStore) AddTag(ctx context.Context, contactID int64, tag string) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE contacts SET tags = array_append(tags, ?::text), updated_at = ? WHERE id = ? AND NOT (? = ANY(tags))`,
		tag, s.now(), contactID, tag).Error
}

// FieldDate is the date a field wait reads: "case.due_date" and
// "case.promise_date" of the contact's newest case that has not exited, or
// a "contact.<attribute>" holding YYYY-MM-DD (or RFC 3339). Zero when empty
// or unreadable: the wait then ends at once (WaitUntil).
func (s JourneyStore) FieldDate(ctx context.Context, contactID int64, field string) (time.Time, error) {
	db := s.DB.WithContext(ctx)
	if name, ok := strings.CutPrefix(field, "contact."); ok {
		a, err := s.Attributes(ctx, contactID)
		if err != nil {
			return time.Time{}, err
		}
		for _, layout := range []string{time.DateOnly, time.RFC3339} {
			if t, err := time.Parse(layout, a[name]); err == nil {
				return t, nil
			}
		}
		return time.Time{}, nil
	}
	col := map[string]string{"case.due_date": "due_date", "case.promise_date": "promise_date"}[field]
	if col == "" {
		return time.Time{}, fmt.Errorf("unknown date field %q", field)
	}
	var ds []*time.Time
	if err := db.Raw(`SELECT `+col+` FROM cases WHERE contact_id = ? AND status <> 'exited' ORDER BY created_at DESC, id DESC LIMIT 1`,
		contactID).Scan(&ds).Error; err != nil {
		return time.Time{}, fmt.Errorf("%s of contact %d: %w", field, contactID, err)
	}
	if len(ds) == 0 || ds[0] == nil {
		return time.Time{}, nil
	}
	return *ds[0], nil
}

// OpenCase is the id of the contact's newest case that has not exited (0:
// none), the case an update_case step records on.
func (s JourneyStore) OpenCase(ctx context.Context, contactID int64) (int64, error) {
	var ids []int64
	err := s.DB.WithContext(ctx).Raw(`SELECT id FROM cases WHERE contact_id = ? AND status <> 'exited' ORDER BY created_at DESC, id DESC LIMIT 1`,
		contactID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// Assign hands the contact's conversation on the journey's number to an
// agent (when active) or to a team, whose strategy then picks the agent
// (inbox.ConversationStore.Route, the routing of new conversations). The
// events are the routing's, for the caller to publish after the commit.
func (s JourneyStore) Assign(ctx context.Context, ib inbox.ConversationStore, contactID, senderID, agentID, teamID int64) (models.Conversation, []models.Event, error) {
	var c models.Conversation
	var started []models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if c, started, err = ib.EnsureConversation(ctx, tx, senderID, contactID, "journey hand-over"); err != nil {
			return err
		}
		if agentID > 0 {
			return tx.Exec(`UPDATE conversations SET assignee_agent_id = a.id, status = CASE WHEN conversations.status = 'resolved' THEN 'open' ELSE conversations.status END, updated_at = ?
				FROM agents a WHERE conversations.id = ? AND a.id = ? AND a.status = 'active'`, s.now(), c.ID, agentID).Error
		}
		return tx.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = NULL, status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END, updated_at = ?
			WHERE id = ?`, teamID, s.now(), c.ID).Error
	})
	if err != nil {
		return c, nil, err
	}
	evs := started
	if teamID > 0 {
		r, err := ib.Route(ctx, c.ID)
		if err != nil {
			return c, nil, err
		}
		evs = append(evs, r.Events...)
	}
	c, err = ib.Get(ctx, c.ID)
	return c, evs, err
}
