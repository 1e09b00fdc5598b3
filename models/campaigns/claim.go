package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
	"gorm.io/gorm"
)

// SenderPlan is what the workflow needs about one sender of the pool.
type SenderPlan struct {
	ID            int64
	ThroughputMPS int
	Usable        bool
	Reason        string
}

// CampaignPlan is what the workflow needs to run a campaign.
type CampaignPlan struct {
	Status     string
	StartAt    *time.Time
	EndAt      *time.Time
	QuietHours models.QuietHours
	Senders    []SenderPlan
}

// Plan loads the campaign and its senders' current pacing and health.
func (s CampaignStore) Plan(ctx context.Context, id int64) (CampaignPlan, error) {
	var c Campaign
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CampaignPlan{}, models.Errorf(models.ENotFound, "campaign %d not found", id)
	}
	if err != nil {
		return CampaignPlan{}, err
	}
	var senders []models.Sender
	if err := s.DB.WithContext(ctx).Where("id IN ?", []int64(c.SenderIDs)).Order("id").Find(&senders).Error; err != nil {
		return CampaignPlan{}, err
	}
	p := CampaignPlan{Status: c.Status, StartAt: c.StartAt, EndAt: c.EndAt, QuietHours: c.QuietHours}
	for _, sd := range senders {
		ok, why := sd.Usable()
		mps := sd.ThroughputMPS
		if mps <= 0 {
			mps = 80
		}
		p.Senders = append(p.Senders, SenderPlan{ID: sd.ID, ThroughputMPS: mps, Usable: ok, Reason: why})
	}
	return p, nil
}

// audience returns the contacts query of a campaign's audience: its
// segment's filter, its uploaded list's contacts, or either of them.
func (s CampaignStore) audience(ctx context.Context, c Campaign) (func(db *gorm.DB) *gorm.DB, error) {
	filter := c.AudienceFilter // frozen at launch
	if filter == nil && c.SegmentID != nil {
		// Not launched yet (an audience preview): the segment as it is now.
		sg, err := contacts.SegmentStore{DB: s.DB}.Get(ctx, *c.SegmentID)
		if err != nil {
			return nil, err
		}
		filter = &sg.Filter
	}
	const list = "contacts.id IN (SELECT contact_id FROM intake_rows WHERE job_id = ? AND contact_id IS NOT NULL)"
	return func(db *gorm.DB) *gorm.DB {
		tbl := db.Table("contacts")
		switch {
		case filter != nil && c.IntakeJobID != nil:
			seg := filter.Apply(db.Session(&gorm.Session{NewDB: true}).Table("contacts").Select("contacts.id"))
			return tbl.Where("(contacts.id IN (?) OR "+list+")", seg, *c.IntakeJobID)
		case filter != nil:
			return filter.Apply(tbl)
		default:
			return tbl.Where(list, *c.IntakeJobID)
		}
	}, nil
}

// NextContacts returns up to limit contact ids of the campaign's audience
// after the keyset cursor (never the whole audience).
func (s CampaignStore) NextContacts(ctx context.Context, campaignID, after int64, limit int) ([]int64, error) {
	var c Campaign
	if err := s.DB.WithContext(ctx).Where("id = ?", campaignID).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("campaign %d: %w", campaignID, err)
	}
	scope, err := s.audience(ctx, c)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > contacts.MaxSegmentPage {
		limit = contacts.MaxSegmentPage
	}
	var ids []int64
	err = scope(s.DB.WithContext(ctx)).Where("contacts.id > ?", after).
		Order("contacts.id").Limit(limit).Pluck("contacts.id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("page campaign %d audience: %w", campaignID, err)
	}
	return ids, nil
}

// ClaimedSend is one recipient whose message row waits to be sent.
type ClaimedSend struct {
	ContactID int64
	MessageID int64
	SenderID  int64
	Zone      string // IANA zone of the recipient (quiet hours)
}

// ClaimResult is the outcome of claiming a page.
type ClaimResult struct {
	Sends   []ClaimedSend
	Skipped map[string]int
}

// Claim creates, in ONE transaction, the recipient rows of contactIDs
// (ON CONFLICT DO NOTHING on (campaign, contact)) and, for each new
// sendable one, its conversation (upserted) and queued message row. It
// returns every queued recipient of the page, new or claimed by an earlier
// attempt, so a retried claim neither duplicates nor loses a send.
// ErrTemplateHeld is Claim's answer while WhatsApp has paused, disabled or
// paced the campaign's template (templates.Held): nothing is claimed and the campaign waits (it is
// held, templates.HoldCampaigns), unlike a template that was never usable.
var ErrTemplateHeld = errors.New("the campaign's template is paused or disabled by WhatsApp")

func (s CampaignStore) Claim(ctx context.Context, campaignID int64, contactIDs []int64) (ClaimResult, error) {
	res := ClaimResult{Skipped: map[string]int{}}
	if len(contactIDs) == 0 {
		return res, nil
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Campaign
		if err := tx.Where("id = ?", campaignID).Take(&c).Error; err != nil {
			return fmt.Errorf("campaign %d: %w", campaignID, err)
		}
		if len(c.SenderIDs) == 0 {
			return models.Errorf(models.EUnprocessable, "campaign %d has no senders", campaignID)
		}
		var t templates.Template
		if err := tx.Where("id = ?", c.TemplateID).Take(&t).Error; err != nil {
			return fmt.Errorf("template of campaign %d: %w", campaignID, err)
		}
		if templates.Held(t) {
			return ErrTemplateHeld
		}
		if t.Status != templates.TplApproved {
			return models.FieldError(models.EUnprocessable, "templateId", "template %q is %s", t.Name, t.Status)
		}
		var existing []int64
		if err := tx.Raw(`SELECT contact_id FROM campaign_recipients WHERE campaign_id = ? AND contact_id IN ?`, campaignID, contactIDs).
			Scan(&existing).Error; err != nil {
			return err
		}
		done := map[int64]bool{}
		for _, id := range existing {
			done[id] = true
		}
		var contacts []models.Contact
		if err := tx.Where("id IN ?", contactIDs).Order("id").Find(&contacts).Error; err != nil {
			return err
		}
		capped, err := CappedContacts(tx, c.CapMax, s.now().Add(-time.Duration(c.CapWindowS)*time.Second), c.CapCategories, contactIDs)
		if err != nil {
			return err
		}
		busy := map[int64]bool{}
		if c.SkipAssigned {
			var ids []int64
			if err := tx.Raw(`SELECT DISTINCT contact_id FROM conversations WHERE contact_id IN ? AND status IN ('open','pending')
				AND assignee_agent_id IS NOT NULL`, contactIDs).Scan(&ids).Error; err != nil {
				return err
			}
			for _, id := range ids {
				busy[id] = true
			}
		}
		cases, err := openCaseValues(ctx, tx, c.Variables, contactIDs)
		if err != nil {
			return err
		}
		now := s.now()
		// The page is written in a handful of set-based statements, not
		// per contact: claims must keep ahead of 20 numbers at 80/s.
		type pending struct {
			contact, sender int64
			zone, preview   string // preview: the message body
			last            string // the conversation list's preview
			notBefore       time.Time
			payload         string
			skip            string // reason, when not sent
		}
		var sends []pending // in contact order, skipped ones included
		for _, ct := range contacts {
			if done[ct.ID] {
				continue
			}
			// The pool is spread by contact id: stable across retries.
			senderID := c.SenderIDs[int(ct.ID%int64(len(c.SenderIDs)))]
			var msg waba.OutboundMessage
			preview := ""
			skip := Eligibility{OptedOut: ct.OptedOut, Reachable: reachable(ct),
				Capped: capped[ct.ID], Busy: busy[ct.ID]}.SkipReason()
			if skip == "" {
				mapping, values := campaignValues(c.Variables, ct, cases[ct.ID])
				r, err := templates.RenderTemplate(t, mapping, values)
				if err != nil {
					skip = SkipMissingValue
				} else {
					wt := r.WABA()
					msg = waba.OutboundMessage{Type: "template", Template: &wt}
					preview = r.Preview
				}
			}
			if skip != "" {
				sends = append(sends, pending{contact: ct.ID, skip: skip})
				res.Skipped[skip]++
				continue
			}
			raw, err := json.Marshal(msg)
			if err != nil {
				return err
			}
			// The recipient's zone and first allowed moment (quiet hours)
			// order the sender's queue; dispatch re-checks them at send time.
			zone := contactZone(ct)
			notBefore := models.NextAllowed(now, models.LoadZone(zone), c.QuietHours)
			if notBefore.IsZero() {
				notBefore = now
			}
			sends = append(sends, pending{contact: ct.ID, sender: senderID, zone: zone, preview: preview, last: models.Ellipsize(preview, 140),
				notBefore: notBefore, payload: string(raw)})
		}
		if len(sends) > 0 {
			// One insert for the page, in contact order, so recipient ids
			// (and listings, exports) follow the audience's order.
			var contactsIn, sendersIn models.Int64List
			var statuses, reasons, zones, previews, lasts, notBefores, payloads models.StringList
			byContact := map[int64]pending{}
			for _, p := range sends {
				contactsIn, sendersIn = append(contactsIn, p.contact), append(sendersIn, p.sender)
				status := RecipientQueued
				if p.skip != "" {
					status, p.notBefore = RecipientSkipped, now
				}
				statuses, reasons = append(statuses, status), append(reasons, p.skip)
				zones, notBefores = append(zones, p.zone), append(notBefores, p.notBefore.Format(time.RFC3339Nano))
				byContact[p.contact] = p
			}
			var inserted []struct {
				ID        int64
				ContactID int64
				SenderID  *int64
				Status    string
			}
			if err := tx.Raw(`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, status, reason, zone, not_before, created_at, updated_at)
				SELECT ?, u.contact_id, NULLIF(u.sender_id, 0), u.status, u.reason, u.zone, u.not_before, ?, ?
				FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::timestamptz[]) WITH ORDINALITY
					AS u(contact_id, sender_id, status, reason, zone, not_before, n)
				ORDER BY u.n
				ON CONFLICT (campaign_id, contact_id) DO NOTHING RETURNING id, contact_id, sender_id, status`,
				campaignID, now, now, contactsIn, sendersIn, statuses, reasons, zones, notBefores).Scan(&inserted).Error; err != nil {
				return fmt.Errorf("recipients of the page: %w", err)
			}
			var fresh []struct {
				ID        int64
				ContactID int64
				SenderID  int64
			}
			for _, r := range inserted {
				if r.Status == RecipientQueued && r.SenderID != nil {
					fresh = append(fresh, struct {
						ID        int64
						ContactID int64
						SenderID  int64
					}{r.ID, r.ContactID, *r.SenderID})
				}
			}
			// Rows claimed concurrently by another attempt are returned below.
			if len(fresh) > 0 {
				var recIDs, convSenders, convContacts models.Int64List
				for _, f := range fresh {
					recIDs, convSenders, convContacts = append(recIDs, f.ID), append(convSenders, f.SenderID), append(convContacts, f.ContactID)
					previews = append(previews, byContact[f.ContactID].preview)
					lasts = append(lasts, byContact[f.ContactID].last)
					payloads = append(payloads, byContact[f.ContactID].payload)
				}
				var convs []struct {
					ID        int64
					ContactID int64
				}
				if err := tx.Raw(`INSERT INTO conversations (sender_id, contact_id, created_at, updated_at, last_message_at, last_preview)
					SELECT u.sender_id, u.contact_id, ?, ?, ?, u.preview FROM unnest(?::bigint[], ?::bigint[], ?::text[]) AS u(sender_id, contact_id, preview)
					ON CONFLICT (sender_id, contact_id) DO UPDATE SET last_message_at = EXCLUDED.last_message_at,
						last_preview = EXCLUDED.last_preview, updated_at = EXCLUDED.updated_at
					RETURNING id, contact_id`, now, now, now, convSenders, convContacts, lasts).Scan(&convs).Error; err != nil {
					return fmt.Errorf("conversations of the page: %w", err)
				}
				convOf := map[int64]int64{}
				for _, cv := range convs {
					convOf[cv.ContactID] = cv.ID
				}
				var allocated []int64
				if err := tx.Raw(`SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, ?)`, len(fresh)).
					Scan(&allocated).Error; err != nil {
					return err
				}
				if len(allocated) != len(fresh) {
					return fmt.Errorf("allocated %d message ids for %d recipients", len(allocated), len(fresh))
				}
				msgIDs := models.Int64List(allocated)
				var convIDs models.Int64List
				var bizs models.StringList
				for i, f := range fresh {
					convIDs = append(convIDs, convOf[f.ContactID])
					bizs = append(bizs, strconv.FormatInt(msgIDs[i], 10))
				}
				if err := tx.Exec(`INSERT INTO messages (id, conversation_id, direction, type, body, payload, status, send_state, biz_opaque, created_at)
					SELECT u.id, u.conversation_id, 'out', 'template', u.body, u.payload::jsonb, 'queued', 'pending', u.biz, ?
					FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[]) AS u(id, conversation_id, body, payload, biz)`,
					now, msgIDs, convIDs, previews, payloads, bizs).Error; err != nil {
					return fmt.Errorf("messages of the page: %w", err)
				}
				if err := tx.Exec(`UPDATE campaign_recipients r SET message_id = u.message_id
					FROM unnest(?::bigint[], ?::bigint[]) AS u(id, message_id) WHERE r.id = u.id`, recIDs, msgIDs).Error; err != nil {
					return fmt.Errorf("link messages of the page: %w", err)
				}
			}
		}
		var rows []struct {
			ContactID  int64
			MessageID  int64
			SenderID   int64
			PhoneE164  *string
			Attributes json.RawMessage
		}
		if err := tx.Raw(`SELECT r.contact_id, r.message_id, r.sender_id, ct.phone_e164, ct.attributes
			FROM campaign_recipients r JOIN contacts ct ON ct.id = r.contact_id
			WHERE r.campaign_id = ? AND r.contact_id IN ? AND r.status = 'queued' AND r.message_id IS NOT NULL
			ORDER BY r.contact_id`, campaignID, contactIDs).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			res.Sends = append(res.Sends, ClaimedSend{ContactID: r.ContactID, MessageID: r.MessageID, SenderID: r.SenderID,
				Zone: contactZone(models.Contact{PhoneE164: r.PhoneE164, Attributes: r.Attributes})})
		}
		return nil
	})
	return res, err
}

// contactZone is the IANA zone quiet hours use for a contact: its
// "timezone" attribute, else the one its number's area implies.
func contactZone(c models.Contact) string {
	phone := ""
	if c.PhoneE164 != nil {
		phone = *c.PhoneE164
	}
	var attrs struct {
		Timezone string `json:"timezone"`
	}
	_ = json.Unmarshal(c.Attributes, &attrs) // a malformed attribute just means no zone override
	return models.RecipientZone(phone, attrs.Timezone)
}

// SendOutcome is the result of one send, recorded on its recipient.
type SendOutcome struct {
	MessageID int64
	Status    string // sent | failed
	ErrorCode int
	Reason    string
}

// RecordOutcomes copies send results onto the recipient rows.
func (s CampaignStore) RecordOutcomes(ctx context.Context, campaignID int64, outs []SendOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].MessageID < outs[j].MessageID })
	var ids, codes models.Int64List
	var statuses, reasons models.StringList
	for _, o := range outs {
		ids, codes = append(ids, o.MessageID), append(codes, int64(o.ErrorCode))
		statuses, reasons = append(statuses, o.Status), append(reasons, o.Reason)
	}
	// One statement for the round's rows nobody holds (code 0 is stored as
	// NULL). SKIP LOCKED: a status webhook locks a message and then its
	// recipient (the state trigger of migration 00210), several per
	// transaction in the payload's order; a statement that waited for one
	// recipient while holding others could close a cycle with it. A row held
	// that way is written alone afterwards, waiting for that row only.
	const set = `UPDATE campaign_recipients r SET status = u.status, error_code = NULLIF(u.code, 0), reason = u.reason, updated_at = ?
		FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[]) AS u(message_id, status, code, reason)
		WHERE r.message_id = u.message_id AND r.status = 'queued' AND r.id IN `
	var done []int64
	err := s.DB.WithContext(ctx).Raw(set+`(SELECT id FROM campaign_recipients WHERE campaign_id = ? AND message_id = ANY(?::bigint[])
			AND status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING r.message_id`,
		s.now(), ids, statuses, codes, reasons, campaignID, ids).Scan(&done).Error
	if err != nil {
		return fmt.Errorf("record %d outcomes of campaign %d: %w", len(outs), campaignID, err)
	}
	for i, id := range ids {
		if slices.Contains(done, id) {
			continue
		}
		if err := s.DB.WithContext(ctx).Exec(set+`(SELECT id FROM campaign_recipients WHERE campaign_id = ? AND message_id = ?)`,
			s.now(), ids[i:i+1], statuses[i:i+1], codes[i:i+1], reasons[i:i+1], campaignID, id).Error; err != nil {
			return fmt.Errorf("record outcome of message %d (campaign %d): %w", id, campaignID, err)
		}
	}
	return nil
}

// CappedContacts returns the contacts of ids that got max or more
// business-initiated templates since then (of the categories, all when
// empty): the one frequency-cap rule, for campaigns and journeys. Max 0
// caps nobody.
func CappedContacts(tx *gorm.DB, max int, since time.Time, categories []string, ids []int64) (map[int64]bool, error) {
	capped := map[int64]bool{}
	if max <= 0 || len(ids) == 0 {
		return capped, nil
	}
	var rows []struct {
		ContactID int64
		N         int
	}
	// Only the configured categories count (a template row is known by
	// the name its payload carries).
	q := tx.Table("messages m").Select("cv.contact_id, count(*) AS n").
		Joins("JOIN conversations cv ON cv.id = m.conversation_id").
		Where("cv.contact_id IN ? AND m.direction = 'out' AND m.type = 'template' AND m.status <> 'failed' AND m.created_at > ?", ids, since)
	if len(categories) > 0 {
		q = q.Where("m.payload->'template'->>'name' IN (SELECT name FROM templates WHERE category IN ?)", categories)
	}
	if err := q.Group("cv.contact_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count templates for the frequency cap: %w", err)
	}
	for _, r := range rows {
		if r.N >= max {
			capped[r.ContactID] = true
		}
	}
	return capped, nil
}
