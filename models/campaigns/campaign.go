package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/templates"
)

// Campaign statuses.
const (
	CampaignDraft     = "draft"
	CampaignScheduled = "scheduled"
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	CampaignCompleted = "completed"
	CampaignCancelled = "cancelled"
	CampaignFailed    = "failed"
)

// Status reasons the campaign's workflow stores (statusReason; the web app
// shows them in its language, api/web/assets/reasons.js).
const (
	ReasonPausedByUser = "paused by user"
	ReasonRetrying     = "retrying failed recipients"
)

// Campaign actions a running campaign's workflow receives (signal names).
const (
	CampaignActionPause  = "pause"
	CampaignActionResume = "resume"
	CampaignActionCancel = "cancel"
)

// Recipient statuses (sent/delivered/read/replied are read from the message).
const (
	RecipientQueued  = "queued"
	RecipientSent    = "sent"
	RecipientFailed  = "failed"
	RecipientSkipped = "skipped"
)

// Skip reasons.
const (
	SkipOptedOut      = "opted_out"
	SkipInvalidNumber = "invalid_number"
	SkipFrequencyCap  = "frequency_cap"
	SkipMissingValue  = "missing_variable"
	SkipCancelled     = "cancelled" // queued when the campaign was cancelled: never sent
	// SkipAssignedConversation: an agent is talking to the contact (SkipAssigned).
	SkipAssignedConversation = "assigned_conversation"
)

// FrequencyCap limits business-initiated templates per contact: at most Max
// within the rolling Window (all campaigns and agents). Max 0: no cap.
type FrequencyCap struct {
	Max  int `json:"max"`
	Days int `json:"days"`
	// Categories counted (MARKETING, UTILITY, AUTHENTICATION); empty: all.
	Categories []string `json:"categories,omitempty"`
}

// Normal checks a cap and returns it with its categories upper-cased: Max 0
// is no cap; else Days is 1 to 365 and every category a template category.
// The one check for campaigns and journeys alike.
func (c FrequencyCap) Normal() (FrequencyCap, error) {
	if c.Max < 0 {
		return c, models.FieldError(models.EInvalid, "frequencyCap.max", "must not be negative")
	}
	if c.Days < 0 || (c.Max > 0 && (c.Days < 1 || c.Days > 365)) {
		return c, models.FieldError(models.EInvalid, "frequencyCap.days", "must be 1 to 365 when a cap is set")
	}
	cats := make([]string, 0, len(c.Categories))
	for _, cat := range c.Categories {
		cat = strings.ToUpper(strings.TrimSpace(cat))
		if cat != "MARKETING" && cat != "UTILITY" && cat != "AUTHENTICATION" {
			return c, models.FieldError(models.EInvalid, "frequencyCap.categories", "%q is not MARKETING, UTILITY or AUTHENTICATION", cat)
		}
		cats = append(cats, cat)
	}
	c.Categories = cats
	return c, nil
}

// Campaign is a template sent to a segment over a pool of senders.
type Campaign struct {
	ID         int64             `json:"id" gorm:"primaryKey"`
	Name       string            `json:"name"`
	TemplateID int64             `json:"templateId"`
	Variables  map[string]string `json:"variables" gorm:"serializer:json;type:jsonb"`
	SegmentID  *int64            `json:"segmentId,omitempty"`
	// AudienceFilter is the segment's filter frozen at launch: the campaign
	// pages from it, never from the segment as edited later (nil for a draft).
	AudienceFilter *contacts.SegmentFilter `json:"audienceFilter,omitempty" gorm:"serializer:json;type:jsonb"`
	// IntakeJobID names an uploaded list: the contacts that import created or updated.
	IntakeJobID   *int64            `json:"intakeJobId,omitempty"`
	SenderIDs     models.Int64List  `json:"senderIds" gorm:"type:bigint[]"`
	StartAt       *time.Time        `json:"startAt,omitempty"`
	EndAt         *time.Time        `json:"endAt,omitempty"`
	QuietHours    models.QuietHours `json:"quietHours" gorm:"serializer:json;type:jsonb"`
	CapMax        int               `json:"capMax"`
	CapWindowS    int64             `json:"capWindowSeconds" gorm:"column:cap_window_s"`
	CapCategories models.StringList `json:"capCategories" gorm:"type:text[]"`
	// SkipAssigned leaves out contacts whose conversation is open and owned by an agent.
	SkipAssigned bool `json:"skipAssigned"`
	// ReplyWindowMS: a customer message this long after a send counts as a
	// reply (the store's ReplyWindow when the campaign was created; the
	// recipient state triggers of migration 00210 read it).
	ReplyWindowMS int64  `json:"replyWindowMs" gorm:"column:reply_window_ms;default:259200000"`
	Status        string `json:"status"`
	StatusReason  string `json:"statusReason,omitempty"`
	// TemplateHoldFrom is set while WhatsApp's pause of the template holds
	// the campaign: the status it returns to when the template is approved.
	TemplateHoldFrom *string    `json:"templateHoldFrom,omitempty"`
	CreatedBy        *int64     `json:"createdBy,omitempty"`
	LaunchedAt       *time.Time `json:"launchedAt,omitempty"`
	FinishedAt       *time.Time `json:"finishedAt,omitempty"`
	CreatedAt        time.Time  `json:"createdAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
}

// CampaignInput creates a campaign. Variables map a template variable key
// ("body.1", "header.name", "button.0.1") to a contact field
// ("contact.name", "contact.<attribute>") or, otherwise, a literal value.
type CampaignInput struct {
	Name       string            `json:"name"`
	TemplateID int64             `json:"templateId"`
	Variables  map[string]string `json:"variables"`
	SegmentID  int64             `json:"segmentId"`
	// IntakeJobID adds an uploaded list (the contacts of that import) to
	// the audience; a segment, a list or both.
	IntakeJobID int64              `json:"intakeJobId"`
	SenderIDs   []int64            `json:"senderIds"`
	StartAt     *time.Time         `json:"startAt"`
	EndAt       *time.Time         `json:"endAt"`
	QuietHours  *models.QuietHours `json:"quietHours"`
	Cap         *FrequencyCap      `json:"frequencyCap"`
	// SkipAssigned leaves out contacts an agent is talking to (open, assigned).
	SkipAssigned bool `json:"skipAssigned"`
}

// AudiencePreview is what create reports about the segment.
type AudiencePreview struct {
	Size          int64             `json:"size"`
	OptedOut      int64             `json:"optedOut"`
	InvalidNumber int64             `json:"invalidNumber"`
	Sample        map[string]string `json:"sample,omitempty"` // rendered variables for the first contact
	SamplePreview string            `json:"samplePreview,omitempty"`
}

// Funnel counts recipients by their current state.
type Funnel struct {
	Recipients int64            `json:"recipients"`
	Queued     int64            `json:"queued"`
	Sent       int64            `json:"sent"` // reached at least "sent"
	Delivered  int64            `json:"delivered"`
	Read       int64            `json:"read"`
	Replied    int64            `json:"replied"`
	Failed     int64            `json:"failed"`
	Skipped    int64            `json:"skipped"`
	SkipReason map[string]int64 `json:"skipReasons"`
}

// CampaignView is a campaign with its funnel.
type CampaignView struct {
	Campaign
	Funnel Funnel `json:"funnel"`
}

// CampaignStore keeps campaigns and claims their recipients.
type CampaignStore struct {
	DB  *gorm.DB
	Now func() time.Time
	// Holidays (YYYY-MM-DD, from config) join every new campaign's quiet hours.
	Holidays []string
	// ReplyWindow: a customer message this long after a send counts as a
	// reply to it (DefaultReplyWindow when zero).
	ReplyWindow time.Duration
}

func (s CampaignStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

// Create validates and stores a draft campaign: the template must be
// APPROVED, the senders usable, and every variable resolvable for a sample
// contact of the segment.
func (s CampaignStore) Create(ctx context.Context, p models.Principal, in CampaignInput) (Campaign, AudiencePreview, error) {
	var pv AudiencePreview
	c := Campaign{Name: strings.TrimSpace(in.Name), TemplateID: in.TemplateID, Variables: in.Variables,
		SenderIDs: models.Int64List(in.SenderIDs), StartAt: in.StartAt, EndAt: in.EndAt, Status: CampaignDraft, SkipAssigned: in.SkipAssigned,
		ReplyWindowMS: s.replyWindow().Milliseconds()}
	if c.Variables == nil {
		c.Variables = map[string]string{}
	}
	if c.Name == "" || len(c.Name) > 200 {
		return c, pv, models.FieldError(models.EInvalid, "name", "name must be 1-200 characters")
	}
	if in.QuietHours != nil {
		if err := in.QuietHours.Validate(); err != nil {
			return c, pv, err
		}
		c.QuietHours = *in.QuietHours
	}
	for _, h := range s.Holidays {
		if !slices.Contains(c.QuietHours.Holidays, h) {
			c.QuietHours.Holidays = append(c.QuietHours.Holidays, h)
		}
	}
	if in.Cap != nil {
		fc, err := in.Cap.Normal()
		if err != nil {
			return c, pv, err
		}
		c.CapMax, c.CapWindowS, c.CapCategories = fc.Max, int64(fc.Days)*86400, fc.Categories
	}
	if c.StartAt != nil && c.EndAt != nil && !c.StartAt.Before(*c.EndAt) {
		return c, pv, models.FieldError(models.EInvalid, "endAt", "must be after startAt")
	}
	if len(c.SenderIDs) == 0 {
		return c, pv, models.FieldError(models.EInvalid, "senderIds", "at least one sender is required")
	}
	db := s.DB.WithContext(ctx)
	var t templates.Template
	if err := db.Where("id = ?", in.TemplateID).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return c, pv, models.FieldError(models.EUnprocessable, "templateId", "template %d not found", in.TemplateID)
		}
		return c, pv, err
	}
	if t.Status != templates.TplApproved {
		return c, pv, models.FieldError(models.EUnprocessable, "templateId", "template %q is %s; only APPROVED templates can be sent", t.Name, t.Status)
	}
	var senders []models.Sender
	if err := db.Where("id IN ?", []int64(c.SenderIDs)).Find(&senders).Error; err != nil {
		return c, pv, err
	}
	if len(senders) != len(uniqueIDs(c.SenderIDs)) {
		return c, pv, models.FieldError(models.EUnprocessable, "senderIds", "unknown sender in %v", []int64(c.SenderIDs))
	}
	for _, sd := range senders {
		if ok, why := sd.Usable(); !ok {
			return c, pv, models.FieldError(models.EUnprocessable, "senderIds", "%s", why)
		}
	}
	if in.SegmentID == 0 && in.IntakeJobID == 0 {
		return c, pv, models.FieldError(models.EInvalid, "segmentId", "choose a segment, an uploaded list (intakeJobId) or both")
	}
	name := ""
	if in.SegmentID != 0 {
		sg, err := contacts.SegmentStore{DB: s.DB}.Get(ctx, in.SegmentID)
		if err != nil {
			var me *models.Error
			if errors.As(err, &me) && me.Code == models.ENotFound {
				return c, pv, models.FieldError(models.EUnprocessable, "segmentId", "segment %d not found", in.SegmentID)
			}
			return c, pv, err
		}
		c.SegmentID, name = &sg.ID, "segment "+strconv.Quote(sg.Name)
	}
	if in.IntakeJobID != 0 {
		// Through the import's own scope (its creator, or scope all): an
		// uploaded list of someone else answers like a missing one.
		if _, err := (contacts.IntakeStore{DB: s.DB}).Get(ctx, p, in.IntakeJobID); err != nil {
			if models.CodeOf(err) == models.ENotFound {
				return c, pv, models.FieldError(models.EUnprocessable, "intakeJobId", "import %d not found", in.IntakeJobID)
			}
			return c, pv, err
		}
		c.IntakeJobID = &in.IntakeJobID
		name = strings.TrimPrefix(name+" and the uploaded list", " and ")
	}
	scope, err := s.audience(ctx, c)
	if err != nil {
		return c, pv, err
	}
	q := func() *gorm.DB { return scope(db) }
	if err := q().Count(&pv.Size).Error; err != nil {
		return c, pv, err
	}
	if err := q().Where("contacts.opted_out").Count(&pv.OptedOut).Error; err != nil {
		return c, pv, err
	}
	if err := q().Where("contacts.phone_e164 IS NULL AND COALESCE(contacts.wa_id, '') = ''").Count(&pv.InvalidNumber).Error; err != nil {
		return c, pv, err
	}
	if pv.Size == 0 {
		return c, pv, models.FieldError(models.EUnprocessable, "segmentId", "%s has no contacts", name)
	}
	var sample models.Contact
	if err := q().Where("NOT contacts.opted_out").Order("contacts.id").Limit(1).Find(&sample).Error; err != nil {
		return c, pv, err
	}
	if sample.ID != 0 {
		cases, err := openCaseValues(ctx, db, c.Variables, []int64{sample.ID})
		if err != nil {
			return c, pv, err
		}
		mapping, values := campaignValues(c.Variables, sample, cases[sample.ID])
		r, err := templates.RenderTemplate(t, mapping, values)
		if err != nil {
			return c, pv, err
		}
		pv.SamplePreview = r.Preview
		pv.Sample = map[string]string{}
		for _, rc := range r.Components {
			for i, n := range rc.Names {
				key := rc.Type + "." + n
				if rc.Type == "button" {
					key = "button." + strconv.Itoa(rc.Index) + "." + n
				}
				pv.Sample[key] = rc.Values[i]
			}
		}
	}
	if p.AgentID != 0 {
		c.CreatedBy = &p.AgentID
	}
	if err := db.Create(&c).Error; err != nil {
		return c, pv, fmt.Errorf("create campaign: %w", err)
	}
	return c, pv, nil
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Get returns a campaign with its funnel.
func (s CampaignStore) Get(ctx context.Context, id int64) (CampaignView, error) {
	var v CampaignView
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&v.Campaign).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, models.Errorf(models.ENotFound, "campaign %d not found", id)
	}
	if err != nil {
		return v, err
	}
	v.Funnel, err = s.Funnel(ctx, id)
	return v, err
}

// List pages campaigns, newest first.
func (s CampaignStore) List(ctx context.Context, pg models.Page) ([]Campaign, int64, error) {
	pg = pg.Normal()
	var out []Campaign
	var total int64
	db := s.DB.WithContext(ctx).Model(&Campaign{})
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	err := db.Order("id DESC").Offset(pg.Offset).Limit(pg.Limit).Find(&out).Error
	return out, total, err
}

// Funnel counts recipients by their stored state (campaign_recipients.state,
// kept by the triggers of migration 00210: sent/delivered/read follow the
// message row's status, replied means the contact wrote in that conversation
// within the campaign's reply window after the send). It reads the folded
// counters and the deltas not folded yet: O(states) rows, however large the
// campaign.
func (s CampaignStore) Funnel(ctx context.Context, id int64) (Funnel, error) {
	f := Funnel{SkipReason: map[string]int64{}}
	if err := s.foldFunnel(ctx, id); err != nil {
		return f, err
	}
	var rows []struct {
		State  string
		Reason string
		N      int64
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT state, reason, sum(n)::bigint AS n FROM (
			SELECT state, reason, n FROM campaign_funnel WHERE campaign_id = @id
			UNION ALL SELECT state, reason, n FROM campaign_funnel_delta WHERE campaign_id = @id) x
		GROUP BY 1, 2 HAVING sum(n) <> 0`, map[string]any{"id": id}).Scan(&rows).Error
	if err != nil {
		return f, fmt.Errorf("funnel of campaign %d: %w", id, err)
	}
	for _, r := range rows {
		f.Recipients += r.N
		switch r.State {
		case "skipped":
			f.Skipped += r.N
			f.SkipReason[r.Reason] += r.N
		case "failed":
			f.Failed += r.N
		case "queued":
			f.Queued += r.N
		case "replied":
			f.Replied += r.N
			f.Read += r.N // a reply implies it was read
			f.Delivered += r.N
			f.Sent += r.N
		case models.MsgRead:
			f.Read += r.N
			f.Delivered += r.N
			f.Sent += r.N
		case models.MsgDelivered:
			f.Delivered += r.N
			f.Sent += r.N
		case models.MsgSent:
			f.Sent += r.N
		}
	}
	return f, nil
}

// funnelLockClass is the first key of the fold's advisory lock (the second
// is the campaign id).
const funnelLockClass = 21021

// foldFunnel adds the campaign's deltas to its counter rows and deletes them,
// in one transaction, so a read sees each delta in exactly one of the two.
// One fold per campaign at a time (a transaction advisory lock): a poll that
// finds another fold running skips its own and reads the deltas as they are.
func (s CampaignStore) foldFunnel(ctx context.Context, id int64) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var got bool
		// int32: the lock's second key (campaigns past 2^31 ids may share a
		// lock with another, which only makes one of them skip a fold).
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?, ?)`, funnelLockClass, int32(id)).Scan(&got).Error; err != nil || !got {
			return err
		}
		err := tx.Exec(`WITH d AS (DELETE FROM campaign_funnel_delta WHERE campaign_id = @id RETURNING state, reason, n)
			INSERT INTO campaign_funnel AS f (campaign_id, state, reason, n)
			SELECT @id, state, reason, sum(n) FROM d GROUP BY state, reason ORDER BY state, reason
			ON CONFLICT (campaign_id, state, reason) DO UPDATE SET n = f.n + EXCLUDED.n`, map[string]any{"id": id}).Error
		if err != nil {
			return fmt.Errorf("fold funnel of campaign %d: %w", id, err)
		}
		return nil
	})
}

// campaignTransitions lists who may move to what (a function, not a
// package map, so nothing can change the rule at run time).
func campaignTransitions(from string) []string {
	switch from {
	case CampaignDraft:
		return []string{CampaignScheduled, CampaignRunning, CampaignCancelled}
	case CampaignScheduled:
		return []string{CampaignRunning, CampaignPaused, CampaignCancelled, CampaignFailed}
	case CampaignRunning:
		return []string{CampaignPaused, CampaignCompleted, CampaignCancelled, CampaignFailed}
	case CampaignPaused:
		return []string{CampaignRunning, CampaignCancelled, CampaignFailed}
	case CampaignCompleted, CampaignFailed:
		// "Retry failed" runs a finished campaign again for its requeued recipients.
		return []string{CampaignRunning}
	}
	return nil
}

// CampaignCanMove reports whether from -> to is allowed.
func CampaignCanMove(from, to string) bool {
	return from == to || slices.Contains(campaignTransitions(from), to)
}

// SetStatus moves the campaign to status (409 when not allowed).
func (s CampaignStore) SetStatus(ctx context.Context, id int64, status, reason string) (Campaign, error) {
	var c Campaign
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT * FROM campaigns WHERE id = ? FOR UPDATE`, id).Scan(&c).Error; err != nil {
			return err
		}
		if c.ID == 0 {
			return models.Errorf(models.ENotFound, "campaign %d not found", id)
		}
		if !CampaignCanMove(c.Status, status) {
			return models.FieldError(models.EConflict, "status", "campaign is %s: cannot become %s", c.Status, status)
		}
		now := s.now()
		upd := map[string]any{"status": status, "status_reason": reason, "updated_at": now, "template_hold_from": nil}
		// A campaign cannot run on a template WhatsApp paused or disabled:
		// it stays paused with the hold's reason and resumes with the
		// template (templates.HoldCampaigns). Any other move is a person's
		// or the workflow's and clears the hold.
		if status == CampaignRunning || status == CampaignScheduled {
			var tpl templates.Template
			if err := tx.Where("id = ?", c.TemplateID).Take(&tpl).Error; err != nil {
				return fmt.Errorf("template of campaign %d: %w", id, err)
			}
			if st, why, hold := templates.HoldFor(status, tpl); hold {
				upd["status"], upd["status_reason"], upd["template_hold_from"] = st, why, status
			}
		}
		if (status == CampaignRunning || status == CampaignScheduled) && c.LaunchedAt == nil {
			upd["launched_at"] = now
			// Freeze the audience: from here the campaign pages from this
			// copy of the segment's filter (the segment row is locked for
			// share, so an edit racing the launch lands before or after).
			if c.SegmentID != nil {
				var f []byte
				if err := tx.Raw(`SELECT filter FROM segments WHERE id = ? FOR SHARE`, *c.SegmentID).Row().Scan(&f); err != nil {
					return fmt.Errorf("freeze audience of campaign %d: %w", id, err)
				}
				upd["audience_filter"] = gorm.Expr("?::jsonb", string(f))
			}
		}
		if status == CampaignCompleted || status == CampaignCancelled || status == CampaignFailed {
			upd["finished_at"] = now
		} else if c.FinishedAt != nil {
			upd["finished_at"] = nil // running again (retry failed)
		}
		if err := tx.Table("campaigns").Where("id = ?", id).Updates(upd).Error; err != nil {
			return err
		}
		if status == CampaignCancelled && c.Status != CampaignCancelled {
			// Recipients not yet attempted will never be sent: say so on the
			// recipient and on its queued message (a row in flight keeps
			// its state; its webhook decides).
			if err := tx.Exec(`UPDATE messages m SET status = 'failed', send_state = 'done', error_reason = 'campaign cancelled', failed_at = ?
				FROM campaign_recipients r WHERE r.message_id = m.id AND r.campaign_id = ? AND r.status = 'queued'
				AND m.send_state = 'pending' AND m.wamid IS NULL`, now, id).Error; err != nil {
				return fmt.Errorf("cancel queued messages of campaign %d: %w", id, err)
			}
			if err := tx.Exec(`UPDATE campaign_recipients r SET status = 'skipped', reason = ?, updated_at = ?
				FROM messages m WHERE m.id = r.message_id AND r.campaign_id = ? AND r.status = 'queued'
				AND m.status = 'failed' AND m.error_reason = 'campaign cancelled'`, SkipCancelled, now, id).Error; err != nil {
				return fmt.Errorf("cancel queued recipients of campaign %d: %w", id, err)
			}
		}
		return tx.Where("id = ?", id).Take(&c).Error
	})
	return c, err
}
