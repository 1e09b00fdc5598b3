package campaigns

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/templates"
	"gorm.io/gorm"
)

// DefaultReplyWindow is how long after a template send a customer message
// still counts as a reply to it (config campaign_reply_attribution_days).
const DefaultReplyWindow = 72 * time.Hour

// AuditCampaignExport is the audit action of a recipients export (it holds
// phone numbers).
const AuditCampaignExport = "campaign.export"

// WhatsApp's length limits of a sent template, in characters.
const (
	LimitBody       = 1024
	LimitHeaderText = 60
	LimitFooter     = 60
	LimitButtonText = 25
	LimitButtonURL  = 2000
)

func (s CampaignStore) replyWindow() time.Duration {
	if s.ReplyWindow > 0 {
		return s.ReplyWindow
	}
	return DefaultReplyWindow
}

// windowArg renders the reply window as a PostgreSQL interval literal.
func (s CampaignStore) windowArg() string {
	return strconv.FormatInt(s.replyWindow().Milliseconds(), 10) + " milliseconds"
}

// replyJoinSQL joins rp.at: the first customer message of the outbound
// message m's conversation within @window after m was sent (NULL: no reply).
// Only a message that reached the customer can be replied to.
const replyJoinSQL = `
	LEFT JOIN LATERAL (SELECT min(i.created_at) AS at FROM messages i
		WHERE m.status IN ('sent','delivered','read') AND i.conversation_id = m.conversation_id AND i.direction = 'in'
			AND i.created_at > COALESCE(m.sent_at, m.created_at)
			AND i.created_at <= COALESCE(m.sent_at, m.created_at) + CAST(@window AS interval)) rp ON true`

// recipientJoinSQL joins a recipient row r to its message m and reply rp.
const recipientJoinSQL = `
	LEFT JOIN messages m ON m.id = r.message_id` + replyJoinSQL

// Recipient states a recipients listing can be filtered by.
var recipientStates = []string{RecipientQueued, models.MsgSent, models.MsgDelivered, models.MsgRead, "replied", RecipientFailed, RecipientSkipped}

// campaign loads one campaign (404 when missing).
func (s CampaignStore) campaign(ctx context.Context, id int64) (Campaign, error) {
	var c Campaign
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, models.Errorf(models.ENotFound, "campaign %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("campaign %d: %w", id, err)
	}
	return c, nil
}

// ---- Template preview ----

// Duplicate creates a draft copy of campaign id (template, variables,
// segment, senders, quiet hours, cap and its categories, skip-assigned; not
// the schedule), validated like
// Create: a template that is no longer APPROVED or a sender that became
// unusable refuses the copy.
func (s CampaignStore) Duplicate(ctx context.Context, p models.Principal, id int64) (Campaign, AudiencePreview, error) {
	c, err := s.campaign(ctx, id)
	if err != nil {
		return Campaign{}, AudiencePreview{}, err
	}
	const suffix = " (copy)"
	name := c.Name
	if len(name)+len(suffix) > 200 {
		name = strings.ToValidUTF8(name[:200-len(suffix)], "")
	}
	qh := c.QuietHours
	in := CampaignInput{Name: name + suffix, TemplateID: c.TemplateID, Variables: c.Variables,
		SenderIDs: []int64(c.SenderIDs), QuietHours: &qh, SkipAssigned: c.SkipAssigned}
	if c.SegmentID != nil {
		in.SegmentID = *c.SegmentID
	}
	if c.IntakeJobID != nil {
		in.IntakeJobID = *c.IntakeJobID
	}
	if c.CapMax > 0 {
		in.Cap = &FrequencyCap{Max: c.CapMax, Days: int(c.CapWindowS / 86400), Categories: []string(c.CapCategories)}
	}
	return s.Create(ctx, p, in)
}

// ---- Recipients ----

// RecipientRow is one recipient with its message's outcome.
type RecipientRow struct {
	ID           int64      `json:"id"`
	ContactID    int64      `json:"contactId"`
	ContactName  string     `json:"contactName"`
	Phone        string     `json:"phone"`
	SenderID     *int64     `json:"senderId,omitempty"`
	SenderNumber string     `json:"senderNumber"`
	Status       string     `json:"status"` // queued sent delivered read replied failed skipped
	MessageID    *int64     `json:"messageId,omitempty"`
	WAMID        string     `json:"wamid" gorm:"column:wamid"`
	ErrorCode    *int       `json:"errorCode,omitempty"`
	Reason       string     `json:"reason"` // skip reason or send error
	SentAt       *time.Time `json:"sentAt,omitempty"`
	DeliveredAt  *time.Time `json:"deliveredAt,omitempty"`
	ReadAt       *time.Time `json:"readAt,omitempty"`
	RepliedAt    *time.Time `json:"repliedAt,omitempty"`
}

// RecipientPage is a page of recipients and the cursor of the next one.
type RecipientPage struct {
	Items      []RecipientRow `json:"items"`
	NextCursor string         `json:"nextCursor,omitempty"`
}

// MaxRecipientPage bounds a recipients page.
const MaxRecipientPage = 500

// recipientBatch is how many rows EachRecipient reads per query.
const recipientBatch = 1000

// recipientRows reads the next limit recipients after the keyset cursor, in
// status (its stored state; every state when empty), that p may see. The
// page of ids is cut first, one range of (campaign_id, state, id) or
// (campaign_id, id), then joined, so each page costs the same however far
// into the campaign and however rare the state.
//
// Scope rule: a recipient row names a customer (name, phone), so it is read
// through the contact's scope (models.ContactScope): all-scope principals
// (Admin, Campaign Manager) see every recipient, a supervisor those owned by
// its teams' members, an agent its own; the campaign's totals stay visible to
// every campaigns:read holder (counts name nobody).
func (s CampaignStore) recipientRows(ctx context.Context, p models.Principal, c Campaign, status string, after int64, limit int) ([]RecipientRow, error) {
	args := map[string]any{"id": c.ID, "after": after, "limit": limit, "status": status,
		"window": strconv.FormatInt(c.ReplyWindowMS, 10) + " milliseconds"}
	scope := ""
	if status != "" {
		scope = " AND state = @status"
	}
	if cond, sargs := models.ContactScopeSQL(p, "contacts"); cond != "" {
		scope += " AND contact_id IN (SELECT contacts.id FROM contacts WHERE " + cond + ")"
		maps.Copy(args, sargs)
	}
	q := `WITH r AS MATERIALIZED (SELECT * FROM campaign_recipients WHERE campaign_id = @id AND id > @after` + scope + ` ORDER BY id LIMIT @limit)
		SELECT r.id, r.contact_id, ct.name AS contact_name, COALESCE(ct.phone_e164, ct.wa_id, '') AS phone,
			r.sender_id, COALESCE(sd.display_number, '') AS sender_number, r.state AS status,
			r.message_id, COALESCE(m.wamid, '') AS wamid, COALESCE(r.error_code, m.error_code) AS error_code,
			CASE WHEN r.reason <> '' THEN r.reason ELSE COALESCE(m.error_reason, '') END AS reason,
			m.sent_at, m.delivered_at, m.read_at, CASE WHEN r.state = 'replied' THEN rp.at END AS replied_at
		FROM r
		JOIN contacts ct ON ct.id = r.contact_id
		LEFT JOIN senders sd ON sd.id = r.sender_id` + recipientJoinSQL + `
		ORDER BY r.id`
	var rows []RecipientRow
	err := s.DB.WithContext(ctx).Raw(q, args).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("recipients of campaign %d: %w", c.ID, err)
	}
	return rows, nil
}

func checkRecipientStatus(status string) error {
	if status != "" && !slices.Contains(recipientStates, status) {
		return models.FieldError(models.EInvalid, "status", "must be one of %s", strings.Join(recipientStates, ", "))
	}
	return nil
}

// eachRecipient walks the campaign's recipients in status (all when empty)
// in keyset batches from after, calling fn for each until fn returns false.
func (s CampaignStore) eachRecipient(ctx context.Context, p models.Principal, c Campaign, status string, after int64, fn func(RecipientRow) (bool, error)) error {
	for {
		rows, err := s.recipientRows(ctx, p, c, status, after, recipientBatch)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if more, err := fn(r); err != nil || !more {
				return err
			}
		}
		if len(rows) < recipientBatch {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// Recipients pages the recipients of a campaign that p may see (see
// recipientRows) by id (keyset: stable while the campaign runs), optionally
// only those in one state.
func (s CampaignStore) Recipients(ctx context.Context, p models.Principal, campaignID int64, status, cursor string, limit int) (RecipientPage, error) {
	if err := checkRecipientStatus(status); err != nil {
		return RecipientPage{}, err
	}
	if limit <= 0 || limit > MaxRecipientPage {
		limit = 100
	}
	var after int64
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			after, err = strconv.ParseInt(strings.TrimPrefix(string(raw), "r"), 10, 64)
		}
		if err != nil || after < 0 || !strings.HasPrefix(string(raw), "r") {
			return RecipientPage{}, models.FieldError(models.EInvalid, "cursor", "is not a cursor from this API")
		}
	}
	c, err := s.campaign(ctx, campaignID)
	if err != nil {
		return RecipientPage{}, err
	}
	page := RecipientPage{Items: []RecipientRow{}}
	// One row more than the page says whether a next page exists.
	rows, err := s.recipientRows(ctx, p, c, status, after, limit+1)
	if err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("r" + strconv.FormatInt(rows[limit-1].ID, 10)))
	}
	page.Items = append(page.Items, rows...)
	return page, nil
}

// EachRecipient calls fn for every recipient of the campaign that p may see (in status,
// all when empty) in id order, reading in keyset batches so memory stays
// flat however large the campaign is.
func (s CampaignStore) EachRecipient(ctx context.Context, p models.Principal, campaignID int64, status string, fn func(RecipientRow) error) (int, error) {
	if err := checkRecipientStatus(status); err != nil {
		return 0, err
	}
	c, err := s.campaign(ctx, campaignID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.eachRecipient(ctx, p, c, status, 0, func(r RecipientRow) (bool, error) {
		if err := fn(r); err != nil {
			return false, err
		}
		n++
		return true, nil
	})
	return n, err
}

// StartExport checks the campaign exists and audits the export before the
// first byte is streamed.
func (s CampaignStore) StartExport(ctx context.Context, p models.Principal, campaignID int64, format, status string) (Campaign, error) {
	if err := checkRecipientStatus(status); err != nil {
		return Campaign{}, err
	}
	c, err := s.campaign(ctx, campaignID)
	if err != nil {
		return c, err
	}
	err = identity.WriteAudit(ctx, s.DB, identity.Audit(p.AgentID, AuditCampaignExport, "campaign", campaignID, map[string]any{"format": format, "status": status}))
	return c, err
}

// ---- Test send ----

// TestSendInput is a test send of a campaign to one number. Values fill (or
// override) variables by key ("body.1") when the number is not a contact
// with the fields the mapping reads.
type TestSendInput struct {
	Phone  string            `json:"phone"`
	Values map[string]string `json:"values"`
}

// TestSend is the queued test message and where it goes.
type TestSend struct {
	Conversation   models.Conversation `json:"conversation"`
	Message        models.Message      `json:"message"`
	ContactID      int64               `json:"contactId"`
	ContactCreated bool                `json:"contactCreated"`
	SenderID       int64               `json:"senderId"`
	Variables      map[string]string   `json:"variables"`
	Preview        string              `json:"preview"`
	// Created is false when the Idempotency-Key named an earlier send.
	Created bool           `json:"-"`
	Events  []models.Event `json:"-"`
}

// QueueTestSend renders campaign id's template for phone and queues ONE
// template message through the inbox send path (QueueOutbound) on the
// campaign's sender; the caller hands it to the ConversationWorkflow. A
// number that is not a contact yet becomes one (a conversation needs it).
// Refused (422) before anything is stored when the template is not
// APPROVED, a variable cannot be filled, the number is invalid or opted out,
// or no sender of the campaign is usable.
func (s CampaignStore) QueueTestSend(ctx context.Context, p models.Principal, ib inbox.ConversationStore, id int64, idemKey string, in TestSendInput) (TestSend, error) {
	var out TestSend
	c, err := s.campaign(ctx, id)
	if err != nil {
		return out, err
	}
	db := s.DB.WithContext(ctx)
	var t templates.Template
	if err := db.Where("id = ?", c.TemplateID).Take(&t).Error; err != nil {
		return out, fmt.Errorf("template of campaign %d: %w", id, err)
	}
	if t.Status != templates.TplApproved {
		return out, models.FieldError(models.EUnprocessable, "templateId", "template %q is %s; only APPROVED templates can be sent", t.Name, t.Status)
	}
	if strings.TrimSpace(in.Phone) == "" {
		return out, models.FieldError(models.EInvalid, "phone", "is required")
	}
	phone, err := contacts.PhoneForContact(in.Phone)
	if err != nil {
		return out, err
	}
	var found []models.Contact
	if err := db.Where("phone_e164 = ?", phone).Limit(1).Find(&found).Error; err != nil {
		return out, err
	}
	ct := models.Contact{PhoneE164: &phone}
	if len(found) == 1 {
		ct = found[0]
		if ct.OptedOut {
			return out, models.FieldError(models.EUnprocessable, "phone", "%s has opted out of business messages", phone)
		}
	}
	cases, err := openCaseValues(ctx, s.DB, c.Variables, []int64{ct.ID})
	if err != nil {
		return out, err
	}
	mapping, values := campaignValues(c.Variables, ct, cases[ct.ID])
	for k, v := range in.Values {
		delete(mapping, k)
		values[k] = v
	}
	r, err := templates.RenderTemplate(t, mapping, values)
	if err != nil {
		var me *models.Error
		if errors.As(err, &me) && me.Field == "variables" {
			return out, &models.Error{Code: me.Code, Field: me.Field, Details: me.Details,
				Message: me.Message + `; give them in "values" (e.g. {"body.1": "Budi"})`}
		}
		return out, err
	}
	out.Variables, out.Preview = RenderedVariables(r), r.Preview
	var senders []models.Sender
	if err := db.Where("id IN ?", []int64(c.SenderIDs)).Find(&senders).Error; err != nil {
		return out, err
	}
	usable := map[int64]bool{}
	why := "the campaign has no senders"
	for _, sd := range senders {
		ok, reason := sd.Usable()
		usable[sd.ID] = ok
		if !ok {
			why = reason
		}
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if ct.ID == 0 {
			var ids []int64
			if err := tx.Raw(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, '') ON CONFLICT (phone_e164) DO NOTHING RETURNING id`,
				phone, strings.TrimPrefix(phone, "+"), // wa_id is the digits of the number
			).Scan(&ids).Error; err != nil {
				return fmt.Errorf("test-send contact: %w", err)
			}
			if len(ids) == 1 {
				ct.ID, out.ContactCreated = ids[0], true
			} else if err := tx.Raw(`SELECT id FROM contacts WHERE phone_e164 = ?`, phone).Scan(&ct.ID).Error; err != nil {
				return err
			}
		}
		// A conversation sticks to its number: reuse one on a campaign
		// sender that is still usable, else the first usable sender.
		senderID := int64(0)
		var existing []int64
		if err := tx.Raw(`SELECT sender_id FROM conversations WHERE contact_id = ? AND sender_id IN ? ORDER BY id`,
			ct.ID, []int64(c.SenderIDs)).Scan(&existing).Error; err != nil {
			return err
		}
		for _, sid := range append(existing, c.SenderIDs...) {
			if usable[sid] {
				senderID = sid
				break
			}
		}
		if senderID == 0 {
			return models.FieldError(models.EUnprocessable, "senderIds", "no usable sender: %s", why)
		}
		conv, evs, err := ib.EnsureConversation(ctx, tx, senderID, ct.ID, "campaign test send")
		if err != nil {
			return err
		}
		out.Conversation, out.Events = conv, append(out.Events, evs...)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.ContactID, out.SenderID = ct.ID, out.Conversation.SenderID
	q, err := ib.QueueOutboundScoped(ctx, out.Conversation.ID, p.AgentID, models.IdempotencyScope(p), idemKey,
		inbox.OutboundRequest{Type: "template", Template: t.Name, Language: t.Language, Variables: out.Variables})
	if err != nil {
		return out, err
	}
	out.Message, out.Created = q.Message, q.Created
	out.Events = append(out.Events, q.Events...)
	return out, nil
}
