package journeys

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

// Enrollment sources (journey_enrollments.source).
const (
	SourceAPI     = "api"
	SourceSegment = "segment"
	SourceList    = "list" // an uploaded list: the contacts of an intake job
)

// MaxEnrollIDs bounds one request's explicit contact ids (a bigger
// audience is a segment or an uploaded list).
const MaxEnrollIDs = 10000

// Audience is who a bulk enrollment takes: exactly one of ContactIDs (the
// business's system pushes customers in), Phones (numbers a manager pasted,
// normalised like every phone: 0812... is +62812...), SegmentID or
// IntakeJobID.
type Audience struct {
	ContactIDs  []int64  `json:"contactIds,omitempty"`
	Phones      []string `json:"phones,omitempty"`
	SegmentID   int64    `json:"segmentId,omitempty"`
	IntakeJobID int64    `json:"intakeJobId,omitempty"`
}

// EnrollResult counts what a bulk enrollment did. Enrolled rows are
// started by the workers' JourneyStarter, within seconds.
type EnrollResult struct {
	Matched        int64 `json:"matched"`        // contacts of the audience the caller may see
	Enrolled       int64 `json:"enrolled"`       // new enrollments
	AlreadyRunning int64 `json:"alreadyRunning"` // running on the journey already
	OptedOut       int64 `json:"optedOut"`       // refused: opted out of business messages
	NotFound       int64 `json:"notFound"`       // ids that are no contact the caller may see
}

// enrollPage bounds one enrollment statement (keyset pages keep each
// transaction short while 100,000 contacts go in).
const enrollPage = 5000

// EnrollAudience enrols an audience on a live journey's current version,
// in pages, through p's contact scope: an id the caller may not see counts
// as not found. Opted-out contacts are counted and skipped; a contact
// already running on the journey keeps its enrollment.
func (s JourneyStore) EnrollAudience(ctx context.Context, p models.Principal, journeyID int64, a Audience) (res EnrollResult, err error) {
	n := 0
	for _, set := range []bool{len(a.ContactIDs) > 0, len(a.Phones) > 0, a.SegmentID != 0, a.IntakeJobID != 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return res, models.FieldError(models.EInvalid, "contactIds", "give exactly one of contactIds, phones, segmentId or intakeJobId")
	}
	if len(a.ContactIDs) > MaxEnrollIDs {
		return res, models.FieldError(models.EInvalid, "contactIds", "at most %d ids per request; enrol a segment or an uploaded list for more", MaxEnrollIDs)
	}
	if len(a.Phones) > MaxEnrollIDs {
		return res, models.FieldError(models.EInvalid, "phones", "at most %d phone numbers per request; enrol a segment or an uploaded list for more", MaxEnrollIDs)
	}
	phones, err := normalPhones(a.Phones)
	if err != nil {
		return res, err
	}
	j, err := s.Get(ctx, journeyID)
	if err != nil {
		return res, err
	}
	if j.Status != JourneyLive {
		return res, models.FieldError(models.EConflict, "status", "journey %d is %s; only a live journey enrols", journeyID, j.Status)
	}
	db := s.DB.WithContext(ctx)
	source := SourceAPI
	var audience func(*gorm.DB) *gorm.DB
	switch {
	case a.SegmentID != 0:
		sg, err := contacts.SegmentStore{DB: s.DB}.Get(ctx, a.SegmentID)
		if err != nil {
			if models.CodeOf(err) == models.ENotFound {
				return res, models.FieldError(models.EUnprocessable, "segmentId", "segment %d not found", a.SegmentID)
			}
			return res, err
		}
		source, audience = SourceSegment, func(q *gorm.DB) *gorm.DB { return sg.Filter.Apply(q) }
	case a.IntakeJobID != 0:
		if _, err := (contacts.IntakeStore{DB: s.DB}).Get(ctx, p, a.IntakeJobID); err != nil {
			if models.CodeOf(err) == models.ENotFound {
				return res, models.FieldError(models.EUnprocessable, "intakeJobId", "import %d not found", a.IntakeJobID)
			}
			return res, err
		}
		source, audience = SourceList, func(q *gorm.DB) *gorm.DB {
			return q.Where("contacts.id IN (SELECT contact_id FROM intake_rows WHERE job_id = ? AND contact_id IS NOT NULL)", a.IntakeJobID)
		}
	case len(phones) > 0:
		audience = func(q *gorm.DB) *gorm.DB { return q.Where("contacts.phone_e164 IN ?", phones) }
		defer func() {
			if err == nil {
				res.NotFound = int64(len(phones)) - res.Matched
			}
		}()
	default:
		ids := dedupe(a.ContactIDs)
		audience = func(q *gorm.DB) *gorm.DB { return q.Where("contacts.id IN ?", ids) }
		defer func() {
			if err == nil {
				res.NotFound = int64(len(ids)) - res.Matched
			}
		}()
	}
	var after int64
	for {
		var page []struct {
			ID       int64
			OptedOut bool
		}
		q := audience(db.Table("contacts").Select("contacts.id, contacts.opted_out")).Scopes(models.ContactScope(p)).
			Where("contacts.id > ?", after).Order("contacts.id").Limit(enrollPage)
		if err := q.Scan(&page).Error; err != nil {
			return res, fmt.Errorf("read the audience of journey %d: %w", journeyID, err)
		}
		if len(page) == 0 {
			return res, nil
		}
		after = page[len(page)-1].ID
		var ids []int64
		for _, c := range page {
			res.Matched++
			if c.OptedOut {
				res.OptedOut++
				continue
			}
			ids = append(ids, c.ID)
		}
		created, err := s.insertEnrollments(ctx, journeyID, ids, source)
		if err != nil {
			return res, err
		}
		res.Enrolled += created
		res.AlreadyRunning += int64(len(ids)) - created
		if len(page) < enrollPage {
			return res, nil
		}
	}
}

// insertEnrollments writes one page while the journey is live (the row
// lock orders it with a pause or a cancel: none lands after them).
func (s JourneyStore) insertEnrollments(ctx context.Context, journeyID int64, ids []int64, source string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var created int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var js []Journey
		if err := tx.Raw(`SELECT id, status, current_version FROM journeys WHERE id = ? FOR SHARE`, journeyID).Scan(&js).Error; err != nil {
			return err
		}
		if len(js) == 0 || js[0].Status != JourneyLive {
			return models.FieldError(models.EConflict, "status", "journey %d is no longer live", journeyID)
		}
		now := s.now()
		r := tx.Exec(`INSERT INTO journey_enrollments (journey_id, version, contact_id, source, enrolled_at, updated_at)
			SELECT ?, ?, c.id, ?, ?, ? FROM contacts c WHERE c.id = ANY(CAST(? AS BIGINT[])) AND NOT c.opted_out ORDER BY c.id
			ON CONFLICT (journey_id, contact_id) WHERE status = 'running' DO NOTHING`,
			journeyID, js[0].CurrentVersion, source, now, now, models.Int64List(ids))
		created = r.RowsAffected
		return r.Error
	})
	if err != nil {
		return 0, fmt.Errorf("enroll on journey %d: %w", journeyID, err)
	}
	return created, nil
}

// normalPhones normalises pasted numbers (E.164, each once); a number that
// is none is named by its place ("phones[3]").
func normalPhones(raw []string) ([]string, error) {
	seen := make(map[string]bool, len(raw))
	out := make([]string, 0, len(raw))
	for i, r := range raw {
		p, err := models.NormalizePhone(r)
		if err != nil {
			return nil, models.FieldError(models.EInvalid, fmt.Sprintf("phones[%d]", i), "%q is not a valid phone number", r)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Cancel archives a journey and ends its running enrollments: those whose
// workflow has not started end at once (cancelled), the others hear a
// manual exit through the journey_signals outbox. It reports how many.
func (s JourneyStore) Cancel(ctx context.Context, journeyID int64) (Journey, int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		r := tx.Exec(`UPDATE journeys SET status = ?, updated_at = ? WHERE id = ?`, JourneyArchived, now, journeyID)
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected == 0 {
			return models.Errorf(models.ENotFound, "journey %d not found", journeyID)
		}
		r = tx.Exec(`UPDATE journey_enrollments SET status = ?, exit_reason = ?, ended_at = ?, updated_at = ?
			WHERE journey_id = ? AND status = 'running' AND NOT workflow_started`, EnrollmentCancelled, ExitManual, now, now, journeyID)
		if r.Error != nil {
			return r.Error
		}
		n = r.RowsAffected
		r = tx.Exec(`INSERT INTO journey_signals (enrollment_id, journey_id, kind, reason)
			SELECT id, journey_id, 'exit', ? FROM journey_enrollments WHERE journey_id = ? AND status = 'running' AND workflow_started ORDER BY id`,
			ExitManual, journeyID)
		n += r.RowsAffected
		return r.Error
	})
	if err != nil {
		return Journey{}, 0, fmt.Errorf("cancel journey %d: %w", journeyID, err)
	}
	j, err := s.Get(ctx, journeyID)
	return j, n, err
}

// Unstarted is an enrollment whose workflow the starter must start.
type Unstarted struct {
	ID        int64
	JourneyID int64
}

// ClaimUnstarted returns up to limit running enrollments of live journeys
// whose workflow was not started, oldest first. The caller starts them and
// calls MarkStarted; two starters that read the same row both start it,
// and Temporal refuses the second as a duplicate workflow id.
func (s JourneyStore) ClaimUnstarted(ctx context.Context, limit int) ([]Unstarted, error) {
	var out []Unstarted
	err := s.DB.WithContext(ctx).Raw(`SELECT e.id, e.journey_id FROM journey_enrollments e JOIN journeys j ON j.id = e.journey_id
		WHERE e.status = 'running' AND NOT e.workflow_started AND j.status = 'live'
		ORDER BY e.id LIMIT ?`, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim unstarted enrollments: %w", err)
	}
	return out, nil
}

// MarkStarted records that the enrollments' workflows run.
func (s JourneyStore) MarkStarted(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.DB.WithContext(ctx).Exec(`UPDATE journey_enrollments SET workflow_started = true WHERE id = ANY(CAST(? AS BIGINT[]))`,
		models.Int64List(ids)).Error
	if err != nil {
		return fmt.Errorf("mark enrollments started: %w", err)
	}
	return nil
}

// Signal is one row of the journey_signals outbox: a reply (Payload, Body)
// or an exit (Reason) for an enrollment's workflow.
type Signal struct {
	ID           int64
	EnrollmentID int64
	JourneyID    int64
	Kind         string // reply, exit
	MessageID    int64
	Payload      string
	Body         string
	Reason       string
}

// Signal kinds.
const (
	SignalReply = "reply"
	SignalExit  = "exit"
)

// ClaimSignals leases up to limit signals (oldest first) for lease; rows
// another relay holds are skipped. Signals of an enrollment whose workflow
// has not started yet wait for it (the reply reaches the run).
func (s JourneyStore) ClaimSignals(ctx context.Context, limit int, lease time.Duration) ([]Signal, error) {
	var out []Signal
	err := s.DB.WithContext(ctx).Raw(`UPDATE journey_signals g SET claimed_until = now() + make_interval(secs => ?)
		FROM (SELECT g2.id FROM journey_signals g2 JOIN journey_enrollments e ON e.id = g2.enrollment_id
			WHERE (g2.claimed_until IS NULL OR g2.claimed_until < now()) AND (e.workflow_started OR e.status <> 'running')
			ORDER BY g2.id LIMIT ? FOR UPDATE OF g2 SKIP LOCKED) c
		WHERE g.id = c.id
		RETURNING g.id, g.enrollment_id, g.journey_id, g.kind, COALESCE(g.message_id, 0) AS message_id, g.payload, g.body, g.reason`,
		lease.Seconds(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim journey signals: %w", err)
	}
	return out, nil
}

// SignalsDone deletes delivered (or moot) signals.
func (s JourneyStore) SignalsDone(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.DB.WithContext(ctx).Exec(`DELETE FROM journey_signals WHERE id = ANY(CAST(? AS BIGINT[]))`, models.Int64List(ids)).Error; err != nil {
		return fmt.Errorf("delete delivered journey signals: %w", err)
	}
	return nil
}
