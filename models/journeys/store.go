package journeys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// Journey statuses: a draft enrols nobody; live enrols; paused enrols
// nobody new (running enrollments go on); archived is gone from the list.
const (
	JourneyDraft    = "draft"
	JourneyLive     = "live"
	JourneyPaused   = "paused"
	JourneyArchived = "archived"
)

// Enrollment statuses.
const (
	EnrollmentRunning   = "running"
	EnrollmentCompleted = "completed" // ran to a stop or the last step
	EnrollmentExited    = "exited"    // left early: opt-out, case closed, reply rule, ...
	EnrollmentCancelled = "cancelled" // ended by a user
)

// Funnel counters of a step.
const (
	CountEntered  = "entered"
	CountSent     = "sent"
	CountReplied  = "replied"
	CountBranched = "branched"
	CountExited   = "exited"
)

// Exit reasons the engine records itself.
const (
	ExitOptedOut   = "opted_out"
	ExitCaseClosed = "case_closed"
	ExitManual     = "manual"
	ExitNoSender   = "no_sender"
	ExitNoTemplate = "template_unusable"
	ExitNoTime     = "no_allowed_time" // the quiet hours allow no moment within a year
	ExitCapped     = "frequency_cap"   // the contact got the journey's cap of templates
	ExitSendFailed = "send_failed"     // Meta refused the message for good
)

// Journey is a journey's row.
type Journey struct {
	ID         int64             `json:"id" gorm:"primaryKey"`
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	SenderID   *int64            `json:"senderId,omitempty"`
	QuietHours models.QuietHours `json:"quietHours" gorm:"serializer:json"`
	// FrequencyCap: a send to a contact over the cap exits the enrollment
	// (frequency_cap), as a campaign skips them.
	FrequencyCap   campaigns.FrequencyCap `json:"frequencyCap" gorm:"serializer:json"`
	CurrentVersion int                    `json:"currentVersion"`
	CreatedBy      *int64                 `json:"createdBy,omitempty"`
	CreatedAt      time.Time              `json:"createdAt"`
	UpdatedAt      time.Time              `json:"updatedAt"`
}

// Version is one immutable definition of a journey.
type Version struct {
	JourneyID  int64      `json:"journeyId" gorm:"primaryKey"`
	Version    int        `json:"version" gorm:"primaryKey"`
	Definition Definition `json:"definition" gorm:"serializer:json"`
	CreatedBy  *int64     `json:"createdBy,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
}

// TableName is journey_versions.
func (Version) TableName() string { return "journey_versions" }

// Enrollment is one contact's run through one version of a journey.
type Enrollment struct {
	ID          int64      `json:"id" gorm:"primaryKey"`
	JourneyID   int64      `json:"journeyId"`
	Version     int        `json:"version"`
	ContactID   int64      `json:"contactId"`
	Status      string     `json:"status"`
	CurrentStep string     `json:"currentStep"`
	ExitReason  string     `json:"exitReason,omitempty"`
	Seq         int        `json:"seq"`
	Source      string     `json:"source,omitempty"`
	EnrolledAt  time.Time  `json:"enrolledAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	EndedAt     *time.Time `json:"endedAt,omitempty"`
	// WorkflowStarted: the enrollment's workflow was started (a cancel of
	// one not started ends it in the database alone).
	WorkflowStarted bool `json:"workflowStarted"`
}

// TableName is journey_enrollments.
func (Enrollment) TableName() string { return "journey_enrollments" }

// JourneyStore keeps journeys, versions, enrollments and funnels.
type JourneyStore struct {
	DB  *gorm.DB
	Now func() time.Time
}

func (s JourneyStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewJourney is what Create needs.
type NewJourney struct {
	Name       string
	SenderID   int64
	QuietHours models.QuietHours
	// FrequencyCap of the journey's sends (zero: none).
	FrequencyCap campaigns.FrequencyCap
	Definition   Definition
	By           int64
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Create stores a draft journey and its version 1.
func (s JourneyStore) Create(ctx context.Context, in NewJourney) (Journey, Version, error) {
	if strings.TrimSpace(in.Name) == "" {
		return Journey{}, Version{}, models.FieldError(models.EInvalid, "name", "is required")
	}
	if err := in.QuietHours.Validate(); err != nil {
		return Journey{}, Version{}, err
	}
	fc, err := in.FrequencyCap.Normal()
	if err != nil {
		return Journey{}, Version{}, err
	}
	if err := in.Definition.Validate(); err != nil {
		return Journey{}, Version{}, err
	}
	now := s.now()
	j := Journey{Name: strings.TrimSpace(in.Name), Status: JourneyDraft, SenderID: nullID(in.SenderID), QuietHours: in.QuietHours,
		FrequencyCap: fc, CurrentVersion: 1, CreatedBy: nullID(in.By), CreatedAt: now, UpdatedAt: now}
	v := Version{Version: 1, Definition: in.Definition, CreatedBy: nullID(in.By), CreatedAt: now}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&j).Error; err != nil {
			return fmt.Errorf("create journey: %w", err)
		}
		v.JourneyID = j.ID
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("create journey version: %w", err)
		}
		return nil
	})
	return j, v, err
}

// Get loads a journey.
func (s JourneyStore) Get(ctx context.Context, id int64) (Journey, error) {
	var j Journey
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return j, models.Errorf(models.ENotFound, "journey %d not found", id)
	}
	return j, err
}

// NewVersion stores def as the journey's next version and makes it current:
// new enrollments run it, running ones finish on theirs (the versions are
// immutable, a trigger refuses an update).
func (s JourneyStore) NewVersion(ctx context.Context, journeyID int64, def Definition, by int64) (Version, error) {
	if err := def.Validate(); err != nil {
		return Version{}, err
	}
	v := Version{JourneyID: journeyID, Definition: def, CreatedBy: nullID(by), CreatedAt: s.now()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur []int
		// The row lock orders two editors: each gets its own number.
		if err := tx.Raw(`SELECT current_version FROM journeys WHERE id = ? FOR UPDATE`, journeyID).Scan(&cur).Error; err != nil {
			return err
		}
		if len(cur) == 0 {
			return models.Errorf(models.ENotFound, "journey %d not found", journeyID)
		}
		v.Version = cur[0] + 1
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("create journey version: %w", err)
		}
		return tx.Exec(`UPDATE journeys SET current_version = ?, updated_at = ? WHERE id = ?`, v.Version, v.CreatedAt, journeyID).Error
	})
	return v, err
}

// Version loads one version of a journey.
func (s JourneyStore) Version(ctx context.Context, journeyID int64, version int) (Version, error) {
	var v Version
	err := s.DB.WithContext(ctx).Where("journey_id = ? AND version = ?", journeyID, version).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, models.Errorf(models.ENotFound, "journey %d has no version %d", journeyID, version)
	}
	return v, err
}

// SetStatus moves a journey to draft, live, paused or archived.
func (s JourneyStore) SetStatus(ctx context.Context, id int64, status string) (Journey, error) {
	if !slices.Contains([]string{JourneyDraft, JourneyLive, JourneyPaused, JourneyArchived}, status) {
		return Journey{}, models.FieldError(models.EInvalid, "status", "%q is not a journey status (draft, live, paused, archived)", status)
	}
	res := s.DB.WithContext(ctx).Exec(`UPDATE journeys SET status = ?, updated_at = ? WHERE id = ?`, status, s.now(), id)
	if res.Error != nil {
		return Journey{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Journey{}, models.Errorf(models.ENotFound, "journey %d not found", id)
	}
	return s.Get(ctx, id)
}

// Enroll starts contactID on the journey's current version; a contact
// already running on the journey gets its running enrollment (created
// false). Only a live journey enrols, and an opted-out contact is refused.
func (s JourneyStore) Enroll(ctx context.Context, journeyID, contactID int64, source string) (Enrollment, bool, error) {
	var e Enrollment
	created := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var js []Journey
		if err := tx.Raw(`SELECT * FROM journeys WHERE id = ? FOR SHARE`, journeyID).Scan(&js).Error; err != nil {
			return err
		}
		if len(js) == 0 {
			return models.Errorf(models.ENotFound, "journey %d not found", journeyID)
		}
		if js[0].Status != JourneyLive {
			return models.FieldError(models.EConflict, "status", "journey %d is %s; only a live journey enrols", journeyID, js[0].Status)
		}
		var cs []models.Contact
		if err := tx.Raw(`SELECT id, opted_out FROM contacts WHERE id = ?`, contactID).Scan(&cs).Error; err != nil {
			return err
		}
		if len(cs) == 0 {
			return models.Errorf(models.ENotFound, "contact %d not found", contactID)
		}
		if cs[0].OptedOut {
			return models.FieldError(models.EUnprocessable, "contactId", "contact %d has opted out of business messages", contactID)
		}
		now := s.now()
		var rows []Enrollment
		if err := tx.Raw(`INSERT INTO journey_enrollments (journey_id, version, contact_id, source, enrolled_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (journey_id, contact_id) WHERE status = 'running' DO NOTHING RETURNING *`,
			journeyID, js[0].CurrentVersion, contactID, source, now, now).Scan(&rows).Error; err != nil {
			return fmt.Errorf("enroll contact %d: %w", contactID, err)
		}
		if len(rows) == 1 {
			e, created = rows[0], true
			return nil
		}
		return tx.Raw(`SELECT * FROM journey_enrollments WHERE journey_id = ? AND contact_id = ? AND status = 'running'`,
			journeyID, contactID).Scan(&e).Error
	})
	return e, created, err
}

// Enrollment loads one enrollment.
func (s JourneyStore) Enrollment(ctx context.Context, id int64) (Enrollment, error) {
	var e Enrollment
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return e, models.Errorf(models.ENotFound, "enrollment %d not found", id)
	}
	return e, err
}

// Running lists the contact's running enrollments (an opt-out or a closed
// case ends them: the caller signals each one's workflow).
func (s JourneyStore) Running(ctx context.Context, contactID int64) ([]Enrollment, error) {
	var out []Enrollment
	err := s.DB.WithContext(ctx).Where("contact_id = ? AND status = 'running'", contactID).Order("id").Find(&out).Error
	return out, err
}

// Count is one funnel counter of one step moving by one.
type Count struct {
	Step    string `json:"step"`
	Counter string `json:"counter"`
	Detail  string `json:"detail,omitempty"`
}

// StepRecord is what the workflow reports after a step: where the
// enrollment is now, the counters that moved, and its end when it ended.
// Seq numbers the records of one enrollment (1, 2, ...): Record applies a
// record only after the ones before it, once.
type StepRecord struct {
	EnrollmentID int64
	Seq          int
	Step         string
	Counts       []Count
	Status       string // "" or running: still running; else its end
	ExitReason   string
}

// Record applies a step record in one transaction: the enrollment's step
// (and end) and the funnel deltas. A record already applied (an activity's
// retry) or one for an enrollment that ended changes nothing and reports
// false.
func (s JourneyStore) Record(ctx context.Context, r StepRecord) (bool, error) {
	status := r.Status
	if status == "" {
		status = EnrollmentRunning
	}
	if !slices.Contains([]string{EnrollmentRunning, EnrollmentCompleted, EnrollmentExited, EnrollmentCancelled}, status) {
		return false, fmt.Errorf("record enrollment %d: unknown status %q", r.EnrollmentID, status)
	}
	applied := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		var ended *time.Time
		if status != EnrollmentRunning {
			ended = &now
		}
		var rows []Enrollment
		if err := tx.Raw(`UPDATE journey_enrollments SET seq = ?, current_step = ?, status = ?, exit_reason = ?, ended_at = ?, updated_at = ?
			WHERE id = ? AND seq < ? AND status = 'running' RETURNING journey_id, version`,
			r.Seq, r.Step, status, r.ExitReason, ended, now, r.EnrollmentID, r.Seq).Scan(&rows).Error; err != nil {
			return fmt.Errorf("record enrollment %d: %w", r.EnrollmentID, err)
		}
		if len(rows) == 0 {
			return nil
		}
		applied = true
		if len(r.Counts) == 0 {
			return nil
		}
		deltas := make([]map[string]any, 0, len(r.Counts))
		for _, c := range r.Counts {
			deltas = append(deltas, map[string]any{"journey_id": rows[0].JourneyID, "version": rows[0].Version,
				"step_id": c.Step, "counter": c.Counter, "detail": c.Detail, "n": 1})
		}
		return tx.Table("journey_funnel_delta").Create(deltas).Error
	})
	return applied, err
}

// FunnelRow is one counter of one step of one version.
type FunnelRow struct {
	Version int    `json:"version"`
	StepID  string `json:"stepId"`
	Counter string `json:"counter"`
	Detail  string `json:"detail,omitempty"`
	N       int64  `json:"n"`
}

// funnelLockClass is the first key of the fold's advisory lock (the second
// is the journey id); 21021 is the campaigns'.
const funnelLockClass = 21019

// Funnel folds the journey's deltas and returns its counters by version
// and step (entered, sent, replied, branched by target, exited by reason).
func (s JourneyStore) Funnel(ctx context.Context, journeyID int64) ([]FunnelRow, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var got bool
		// One fold per journey at a time; a reader that finds one running
		// reads the deltas as they are.
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?, ?)`, funnelLockClass, int32(journeyID)).Scan(&got).Error; err != nil || !got {
			return err
		}
		return tx.Exec(`WITH d AS (DELETE FROM journey_funnel_delta WHERE journey_id = @id RETURNING version, step_id, counter, detail, n)
			INSERT INTO journey_funnel AS f (journey_id, version, step_id, counter, detail, n)
			SELECT CAST(@id AS bigint), version, step_id, counter, detail, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 2, 3, 4, 5
			ON CONFLICT (journey_id, version, step_id, counter, detail) DO UPDATE SET n = f.n + EXCLUDED.n`,
			map[string]any{"id": journeyID}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("fold funnel of journey %d: %w", journeyID, err)
	}
	var rows []FunnelRow
	err = s.DB.WithContext(ctx).Raw(`SELECT version, step_id, counter, detail, sum(n)::bigint AS n FROM (
			SELECT version, step_id, counter, detail, n FROM journey_funnel WHERE journey_id = @id
			UNION ALL SELECT version, step_id, counter, detail, n FROM journey_funnel_delta WHERE journey_id = @id) x
		GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4`, map[string]any{"id": journeyID}).Scan(&rows).Error
	return rows, err
}

// RunContext is what an enrollment's workflow needs of the database at
// the start of a run: its version's steps, where it stands, the journey's
// sender and quiet hours and the customer's zone.
type RunContext struct {
	Enrollment Enrollment
	Definition Definition
	SenderID   int64
	QuietHours models.QuietHours
	Zone       string // IANA zone of the customer (models.RecipientZone)
}

// Run loads an enrollment's RunContext.
func (s JourneyStore) Run(ctx context.Context, enrollmentID int64) (RunContext, error) {
	var rc RunContext
	e, err := s.Enrollment(ctx, enrollmentID)
	if err != nil {
		return rc, err
	}
	v, err := s.Version(ctx, e.JourneyID, e.Version)
	if err != nil {
		return rc, err
	}
	j, err := s.Get(ctx, e.JourneyID)
	if err != nil {
		return rc, err
	}
	var c models.Contact
	if err := s.DB.WithContext(ctx).Where("id = ?", e.ContactID).Take(&c).Error; err != nil {
		return rc, fmt.Errorf("contact %d of enrollment %d: %w", e.ContactID, e.ID, err)
	}
	rc = RunContext{Enrollment: e, Definition: v.Definition, QuietHours: j.QuietHours, Zone: models.RecipientZone(deref(c.PhoneE164), attr(c.Attributes, "timezone"))}
	if j.SenderID != nil {
		rc.SenderID = *j.SenderID
	}
	return rc, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// attr reads one contact attribute as text.
func attr(raw json.RawMessage, name string) string {
	return attrs(raw)[name]
}

func attrs(raw json.RawMessage) map[string]string {
	out := map[string]string{}
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return out
	}
	for k, v := range m {
		if v != nil {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}
