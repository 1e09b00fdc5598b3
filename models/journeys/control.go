package journeys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/templates"
)

// Journey actions (POST /journeys/{id}/{action}).
const (
	ActionLaunch = "launch"
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionCancel = "cancel"
)

// PlanAction is the status an action moves a journey from status to, or
// why it may not: launch a draft, pause a live journey, resume a paused
// one, cancel anything not archived already. Pure: the one rule.
func PlanAction(status, action string) (string, error) {
	allowed := map[string]struct{ from []string }{
		ActionLaunch: {[]string{JourneyDraft}},
		ActionPause:  {[]string{JourneyLive}},
		ActionResume: {[]string{JourneyPaused}},
		ActionCancel: {[]string{JourneyDraft, JourneyLive, JourneyPaused}},
	}
	to := map[string]string{ActionLaunch: JourneyLive, ActionPause: JourneyPaused, ActionResume: JourneyLive, ActionCancel: JourneyArchived}
	a, ok := allowed[action]
	if !ok {
		return "", models.FieldError(models.EInvalid, "action", "%q is not a journey action (launch, pause, resume, cancel)", action)
	}
	for _, f := range a.from {
		if f == status {
			return to[action], nil
		}
	}
	return "", models.FieldError(models.EConflict, "status", "a %s journey cannot %s (only %s)", status, action, strings.Join(a.from, ", "))
}

// Act applies an action to a journey. A cancel ends its enrollments
// (Cancel); the others change its status, which the enrollments read: a
// paused journey's sends wait, and nobody new starts or enrols.
func (s JourneyStore) Act(ctx context.Context, id int64, action string) (Journey, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return j, err
	}
	to, err := PlanAction(j.Status, action)
	if err != nil {
		return j, err
	}
	if action == ActionLaunch {
		if j.SenderID == nil {
			return j, models.FieldError(models.EUnprocessable, "senderId", "choose the number the journey sends from before launching it")
		}
		v, err := s.Version(ctx, id, j.CurrentVersion)
		if err != nil {
			return j, err
		}
		if err := s.checkTemplates(ctx, v.Definition); err != nil {
			return j, err
		}
	}
	if to == JourneyArchived {
		j, _, err = s.Cancel(ctx, id)
		return j, err
	}
	// Compare-and-set: two managers acting at once do not both win.
	res := s.DB.WithContext(ctx).Exec(`UPDATE journeys SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, s.now(), id, j.Status)
	if res.Error != nil {
		return j, res.Error
	}
	if res.RowsAffected == 0 {
		return j, models.Errorf(models.EConflict, "journey %d changed meanwhile; reload it", id)
	}
	return s.Get(ctx, id)
}

// checkTemplates refuses a launch whose send steps name a template that is
// not APPROVED (every customer would exit at that step).
func (s JourneyStore) checkTemplates(ctx context.Context, d Definition) error {
	for i, st := range d.Steps {
		if st.Kind != KindSendTemplate {
			continue
		}
		var rows []struct{ Name, Status string }
		if err := s.DB.WithContext(ctx).Raw(`SELECT name, status FROM templates WHERE id = ?`, st.TemplateID).Scan(&rows).Error; err != nil {
			return err
		}
		f := fmt.Sprintf("steps[%d].templateId", i)
		if len(rows) == 0 {
			return models.FieldError(models.EUnprocessable, f, "template %d does not exist", st.TemplateID)
		}
		if rows[0].Status != templates.TplApproved {
			return models.FieldError(models.EUnprocessable, f, "template %q is %s; a journey sends only approved templates", rows[0].Name, rows[0].Status)
		}
	}
	return nil
}

// Settings are the editable parts of a journey besides its steps.
type Settings struct {
	Name         *string                 `json:"name,omitempty"`
	SenderID     *int64                  `json:"senderId,omitempty"`
	QuietHours   *models.QuietHours      `json:"quietHours,omitempty"`
	FrequencyCap *campaigns.FrequencyCap `json:"frequencyCap,omitempty"`
	// Definition, when given, is stored as the next version (running
	// enrollments finish on theirs).
	Definition *Definition `json:"definition,omitempty"`
}

// Update changes a journey's settings and, with a definition, stores its
// next version. An archived journey is read-only.
func (s JourneyStore) Update(ctx context.Context, id int64, in Settings, by int64) (Journey, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return j, err
	}
	if j.Status == JourneyArchived {
		return j, models.FieldError(models.EConflict, "status", "journey %d is archived", id)
	}
	upd := map[string]any{"updated_at": s.now()}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return j, models.FieldError(models.EInvalid, "name", "is required")
		}
		upd["name"] = strings.TrimSpace(*in.Name)
	}
	if in.SenderID != nil {
		var n int64
		if err := s.DB.WithContext(ctx).Table("senders").Where("id = ?", *in.SenderID).Count(&n).Error; err != nil {
			return j, err
		}
		if n == 0 {
			return j, models.FieldError(models.EUnprocessable, "senderId", "number %d not found", *in.SenderID)
		}
		upd["sender_id"] = *in.SenderID
	}
	if in.QuietHours != nil {
		if err := in.QuietHours.Validate(); err != nil {
			return j, err
		}
		upd["quiet_hours"] = models.JSONValue(*in.QuietHours)
	}
	if in.FrequencyCap != nil {
		fc, err := in.FrequencyCap.Normal()
		if err != nil {
			return j, err
		}
		upd["frequency_cap"] = models.JSONValue(fc)
	}
	if in.Definition != nil {
		if err := in.Definition.Validate(); err != nil {
			return j, err
		}
	}
	if err := s.DB.WithContext(ctx).Table("journeys").Where("id = ?", id).Updates(upd).Error; err != nil {
		return j, fmt.Errorf("update journey %d: %w", id, err)
	}
	if in.Definition != nil {
		if _, err := s.NewVersion(ctx, id, *in.Definition, by); err != nil {
			return j, err
		}
	}
	return s.Get(ctx, id)
}

// ListItem is a journey of the list with its enrollments by status.
type ListItem struct {
	Journey
	Enrollments map[string]int64 `json:"enrollments"`
}

// List pages the journeys, newest first (archived ones last), each with its
// enrollments by status, counted for the page's ids in one grouped query.
func (s JourneyStore) List(ctx context.Context, pg models.Page) ([]ListItem, int64, error) {
	var js []Journey
	var total int64
	db := s.DB.WithContext(ctx).Model(&Journey{})
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if err := db.Order("status = 'archived', id DESC").Limit(pg.Limit).Offset(pg.Offset).Find(&js).Error; err != nil {
		return nil, 0, err
	}
	out := make([]ListItem, len(js))
	ids := make([]int64, len(js))
	at := make(map[int64]int, len(js))
	for i, j := range js {
		out[i] = ListItem{Journey: j, Enrollments: map[string]int64{}}
		ids[i], at[j.ID] = j.ID, i
	}
	if len(ids) == 0 {
		return out, total, nil
	}
	var rows []struct {
		JourneyID int64
		Status    string
		N         int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT journey_id, status, count(*) AS n FROM journey_enrollments
		WHERE journey_id = ANY(CAST(? AS BIGINT[])) GROUP BY journey_id, status`, models.Int64List(ids)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("count the enrollments of %d journeys: %w", len(ids), err)
	}
	for _, r := range rows {
		out[at[r.JourneyID]].Enrollments[r.Status] = r.N
	}
	return out, total, nil
}

// Detail is a journey with its current steps and its enrollments by status.
type Detail struct {
	Journey
	Definition  Definition       `json:"definition"`
	Enrollments map[string]int64 `json:"enrollments"`
}

// Detail loads a journey's Detail.
func (s JourneyStore) Detail(ctx context.Context, id int64) (Detail, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	v, err := s.Version(ctx, id, j.CurrentVersion)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Journey: j, Definition: v.Definition, Enrollments: map[string]int64{}}
	var rows []struct {
		Status string
		N      int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT status, count(*) AS n FROM journey_enrollments WHERE journey_id = ? GROUP BY status`, id).Scan(&rows).Error; err != nil {
		return d, err
	}
	for _, r := range rows {
		d.Enrollments[r.Status] = r.N
	}
	return d, nil
}

// Enrollments pages a journey's enrollments (of one status when given),
// newest first. An enrollment names a customer, so the list is read through
// the contact's scope (models.ContactScopeSQL), as a campaign's recipients
// are: an agent sees the enrollments of its own customers; the journey's
// counts (Detail, Funnel) name nobody and stay visible to every reader.
func (s JourneyStore) Enrollments(ctx context.Context, p models.Principal, journeyID int64, status string, pg models.Page) ([]Enrollment, int64, error) {
	if _, err := s.Get(ctx, journeyID); err != nil {
		return nil, 0, err
	}
	db := s.DB.WithContext(ctx).Model(&Enrollment{}).Where("journey_id = ?", journeyID)
	if status != "" {
		db = db.Where("status = ?", status)
	}
	if cond, args := models.ContactScopeSQL(p, "contacts"); cond != "" {
		db = db.Where("contact_id IN (SELECT contacts.id FROM contacts WHERE "+cond+")", args)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []Enrollment
	err := db.Order("id DESC").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error
	return out, total, err
}

// CancelEnrollment ends one enrollment by hand: at once when its workflow
// has not started, else through a manual exit signal. An enrollment whose
// customer p may not see is not found (its id says nothing more).
func (s JourneyStore) CancelEnrollment(ctx context.Context, p models.Principal, journeyID, enrollmentID int64) (Enrollment, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&Enrollment{}).Where("id = ? AND journey_id = ?", enrollmentID, journeyID)
		if cond, args := models.ContactScopeSQL(p, "contacts"); cond != "" {
			q = q.Where("contact_id IN (SELECT contacts.id FROM contacts WHERE "+cond+")", args)
		}
		var e Enrollment
		err := q.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&e).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.Errorf(models.ENotFound, "enrollment %d of journey %d not found", enrollmentID, journeyID)
		}
		if err != nil {
			return err
		}
		if e.Status != EnrollmentRunning {
			return models.FieldError(models.EConflict, "status", "enrollment %d is %s already", enrollmentID, e.Status)
		}
		if !e.WorkflowStarted {
			now := s.now()
			return tx.Exec(`UPDATE journey_enrollments SET status = ?, exit_reason = ?, ended_at = ?, updated_at = ? WHERE id = ?`,
				EnrollmentCancelled, ExitManual, now, now, enrollmentID).Error
		}
		return tx.Exec(`INSERT INTO journey_signals (enrollment_id, journey_id, kind, reason) VALUES (?, ?, 'exit', ?)`,
			enrollmentID, journeyID, ExitManual).Error
	})
	if err != nil {
		return Enrollment{}, err
	}
	return s.Enrollment(ctx, enrollmentID)
}
