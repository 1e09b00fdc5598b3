package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
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

// Campaign is a template sent to a segment over a pool of senders.
type Campaign struct {
	ID         int64             `json:"id" gorm:"primaryKey"`
	Name       string            `json:"name"`
	TemplateID int64             `json:"templateId"`
	Variables  map[string]string `json:"variables" gorm:"serializer:json;type:jsonb"`
	SegmentID  *int64            `json:"segmentId,omitempty"`
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
	SkipAssigned bool       `json:"skipAssigned"`
	Status       string     `json:"status"`
	StatusReason string     `json:"statusReason,omitempty"`
	CreatedBy    *int64     `json:"createdBy,omitempty"`
	LaunchedAt   *time.Time `json:"launchedAt,omitempty"`
	FinishedAt   *time.Time `json:"finishedAt,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
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

// campaignValues maps the campaign's variables onto a contact: keys whose
// source is a contact or case field ("contact.name", "contact.<attribute>",
// "case.reference", "case.amount", "case.<custom field>") read it, with an
// optional default after a bar ("contact.name|Bapak/Ibu") for an empty
// field; other sources are literals. extra holds the contact's case values.
func campaignValues(vars map[string]string, c models.Contact, extra ...map[string]string) (mapping, values map[string]string) {
	values = map[string]string{"contact.name": c.Name}
	if c.PhoneE164 != nil {
		values["contact.phone"] = *c.PhoneE164
	}
	var attrs map[string]any
	if len(c.Attributes) > 0 && json.Unmarshal(c.Attributes, &attrs) == nil {
		for k, a := range attrs {
			values["contact."+k] = fmt.Sprint(a)
		}
	}
	for _, e := range extra {
		for k, v := range e {
			values[k] = v
		}
	}
	mapping = map[string]string{}
	for k, src := range vars {
		field, def, hasDefault := strings.Cut(src, "|")
		if !strings.HasPrefix(field, "contact.") && !strings.HasPrefix(field, "case.") {
			values[k] = src
			continue
		}
		if hasDefault {
			if v := strings.TrimSpace(values[field]); v == "" {
				values[src] = def
			} else {
				values[src] = values[field]
			}
		}
		mapping[k] = src
	}
	return mapping, values
}

// openCaseValues loads the "case.*" values of each contact's newest case
// that has not exited (collections templates name the debt), only when a
// variable of vars reads a case field: a claim pays nothing otherwise.
func openCaseValues(ctx context.Context, db *gorm.DB, vars map[string]string, contactIDs []int64) (map[int64]map[string]string, error) {
	out := map[int64]map[string]string{}
	readsCase := false
	for _, src := range vars {
		readsCase = readsCase || strings.HasPrefix(src, "case.")
	}
	if !readsCase || len(contactIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ContactID    int64
		Reference    string
		Amount       int64
		Outstanding  int64
		DueDate      *time.Time
		Product      string
		CustomFields json.RawMessage
	}
	if err := db.WithContext(ctx).Raw(`SELECT DISTINCT ON (contact_id) contact_id, reference, amount, outstanding, due_date, product, custom_fields
		FROM cases WHERE contact_id IN ? AND status <> 'exited' ORDER BY contact_id, created_at DESC, id DESC`, contactIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("cases of %d contacts: %w", len(contactIDs), err)
	}
	for _, r := range rows {
		v := map[string]string{"case.reference": r.Reference, "case.amount": strconv.FormatInt(r.Amount, 10),
			"case.outstanding": strconv.FormatInt(r.Outstanding, 10), "case.product": r.Product}
		if r.DueDate != nil {
			v["case.due_date"] = r.DueDate.Format("02-01-2006")
		}
		var custom map[string]any
		if json.Unmarshal(r.CustomFields, &custom) == nil {
			for k, c := range custom {
				if _, taken := v["case."+k]; !taken {
					v["case."+k] = fmt.Sprint(c)
				}
			}
		}
		out[r.ContactID] = v
	}
	return out, nil
}

// Create validates and stores a draft campaign: the template must be
// APPROVED, the senders usable, and every variable resolvable for a sample
// contact of the segment.
func (s CampaignStore) Create(ctx context.Context, p models.Principal, in CampaignInput) (Campaign, AudiencePreview, error) {
	var pv AudiencePreview
	c := Campaign{Name: strings.TrimSpace(in.Name), TemplateID: in.TemplateID, Variables: in.Variables,
		SenderIDs: models.Int64List(in.SenderIDs), StartAt: in.StartAt, EndAt: in.EndAt, Status: CampaignDraft, SkipAssigned: in.SkipAssigned}
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
		if in.Cap.Max < 0 || in.Cap.Days < 0 || (in.Cap.Max > 0 && in.Cap.Days == 0) {
			return c, pv, models.FieldError(models.EInvalid, "frequencyCap", "max and days must be positive (e.g. 2 per 7 days)")
		}
		c.CapMax, c.CapWindowS = in.Cap.Max, int64(in.Cap.Days)*86400
		for _, cat := range in.Cap.Categories {
			cat = strings.ToUpper(strings.TrimSpace(cat))
			if cat != "MARKETING" && cat != "UTILITY" && cat != "AUTHENTICATION" {
				return c, pv, models.FieldError(models.EInvalid, "frequencyCap.categories", "%q is not MARKETING, UTILITY or AUTHENTICATION", cat)
			}
			c.CapCategories = append(c.CapCategories, cat)
		}
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
		var n int64
		if err := db.Raw(`SELECT count(*) FROM intake_jobs WHERE id = ?`, in.IntakeJobID).Scan(&n).Error; err != nil {
			return c, pv, err
		}
		if n == 0 {
			return c, pv, models.FieldError(models.EUnprocessable, "intakeJobId", "import %d not found", in.IntakeJobID)
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

// Funnel counts recipients: sent/delivered/read follow the message row's
// status (webhooks move it); replied means the contact wrote in that
// conversation within the reply window after the send (a later message is
// not attributed to the campaign).
func (s CampaignStore) Funnel(ctx context.Context, id int64) (Funnel, error) {
	f := Funnel{SkipReason: map[string]int64{}}
	var rows []struct {
		State  string
		Reason string
		N      int64
	}
	err := s.DB.WithContext(ctx).Raw(`
		SELECT `+recipientStateSQL+` AS state,
			CASE WHEN r.status = 'skipped' THEN r.reason ELSE '' END AS reason, count(*) AS n
		FROM campaign_recipients r`+recipientJoinSQL+`
		WHERE r.campaign_id = @id GROUP BY 1, 2`, map[string]any{"id": id, "window": s.windowArg()}).Scan(&rows).Error
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
			return &models.Error{Code: models.EConflict, Field: "status", Message: fmt.Sprintf("campaign is %s: cannot become %s", c.Status, status)}
		}
		now := s.now()
		upd := map[string]any{"status": status, "status_reason": reason, "updated_at": now}
		if (status == CampaignRunning || status == CampaignScheduled) && c.LaunchedAt == nil {
			upd["launched_at"] = now
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
	var filter *contacts.SegmentFilter
	if c.SegmentID != nil {
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
		if t.Status != templates.TplApproved {
			return &models.Error{Code: models.EUnprocessable, Field: "templateId", Message: fmt.Sprintf("template %q is %s", t.Name, t.Status)}
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
		capped := map[int64]bool{}
		if c.CapMax > 0 {
			var rows []struct {
				ContactID int64
				N         int
			}
			since := s.now().Add(-time.Duration(c.CapWindowS) * time.Second)
			// Only the configured categories count (a template row is
			// known by the name its payload carries).
			q := tx.Table("messages m").Select("cv.contact_id, count(*) AS n").
				Joins("JOIN conversations cv ON cv.id = m.conversation_id").
				Where("cv.contact_id IN ? AND m.direction = 'out' AND m.type = 'template' AND m.status <> 'failed' AND m.created_at > ?", contactIDs, since)
			if len(c.CapCategories) > 0 {
				q = q.Where("m.payload->'template'->>'name' IN (SELECT name FROM templates WHERE category IN ?)", []string(c.CapCategories))
			}
			if err := q.Group("cv.contact_id").Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				if r.N >= c.CapMax {
					capped[r.ContactID] = true
				}
			}
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
			skip := ""
			var msg waba.OutboundMessage
			preview := ""
			switch {
			case ct.OptedOut:
				skip = SkipOptedOut
			case (ct.PhoneE164 == nil || !validE164(*ct.PhoneE164)) && ct.WAID == "":
				skip = SkipInvalidNumber
			case capped[ct.ID]:
				skip = SkipFrequencyCap
			case busy[ct.ID]:
				skip = SkipAssignedConversation
			default:
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

func validE164(e164 string) bool {
	_, err := models.NormalizePhone(e164)
	return err == nil
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
	// One statement for the whole round (code 0 is stored as NULL).
	err := s.DB.WithContext(ctx).Exec(`UPDATE campaign_recipients r SET status = u.status, error_code = NULLIF(u.code, 0), reason = u.reason, updated_at = ?
		FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[]) AS u(message_id, status, code, reason)
		WHERE r.campaign_id = ? AND r.message_id = u.message_id AND r.status = 'queued'`,
		s.now(), ids, statuses, codes, reasons, campaignID).Error
	if err != nil {
		return fmt.Errorf("record %d outcomes of campaign %d: %w", len(outs), campaignID, err)
	}
	return nil
}
