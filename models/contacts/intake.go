package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Intake job statuses.
const (
	IntakePending   = "pending"
	IntakeRunning   = "running"
	IntakeCompleted = "completed"
	IntakeCancelled = "cancelled"
	IntakeFailed    = "failed"
)

// Per-row intake results.
const (
	RowCreated     = "created"
	RowUpdated     = "updated"
	RowDuplicate   = "duplicate"
	RowError       = "error"
	RowCasePending = "case_pending" // contact upserted; the case part waits for the cases area
	RowEmpty       = "empty"
)

// IntakeJob is one upload or API batch.
type IntakeJob struct {
	ID             int64   `json:"id" gorm:"primaryKey"`
	Source         string  `json:"source"`
	FileName       string  `json:"fileName"`
	IdempotencyKey *string `json:"idempotencyKey,omitempty"`
	// RequestFingerprint is the digest of the request that first used the
	// key: the same key with other rows or another file is refused (422).
	RequestFingerprint *string         `json:"-"`
	Mapping            json.RawMessage `json:"mapping" gorm:"type:jsonb"`
	Status             string          `json:"status"`
	TotalRows          int             `json:"totalRows"`
	CreatedBy          int64           `json:"createdBy"`
	Error              string          `json:"error,omitempty"`
	CreatedAt          time.Time       `json:"createdAt"`
	UpdatedAt          time.Time       `json:"updatedAt"`
	FinishedAt         *time.Time      `json:"finishedAt,omitempty"`
}

// IntakeRow is one stored input row and, once processed, its result.
type IntakeRow struct {
	JobID     int64           `json:"jobId" gorm:"primaryKey"`
	RowNo     int             `json:"rowNo" gorm:"primaryKey"`
	Raw       json.RawMessage `json:"raw" gorm:"type:jsonb"`
	Result    *string         `json:"result"`
	Reason    string          `json:"reason"`
	PhoneE164 *string         `json:"phoneE164,omitempty" gorm:"column:phone_e164"`
	ContactID *int64          `json:"contactId,omitempty"`
	// ContactResult is what the row did to its contact (created/updated).
	ContactResult *string `json:"contactResult,omitempty"`
}

// IntakeProgress counts a job's rows by result.
type IntakeProgress struct {
	JobID       int64  `json:"jobId"`
	Status      string `json:"status"`
	Total       int    `json:"total"`
	Processed   int    `json:"processed"`
	Created     int    `json:"created"`
	Updated     int    `json:"updated"`
	Duplicate   int    `json:"duplicate"`
	Errors      int    `json:"errors"`
	CasePending int    `json:"casePending"`
	// CasesCreated counts case rows turned into cases (second phase).
	CasesCreated int `json:"casesCreated"`
	// Created and Updated count contacts: every row that saved a contact,
	// case rows included, counts in one of them (its ContactResult); the
	// other counters count rows by their final result.
	Empty int `json:"empty"`
}

// IntakeStore keeps intake jobs and runs their chunks.
type IntakeStore struct {
	DB     *gorm.DB
	Events models.EventStore
}

// NewIntakeJob describes a job to create.
type NewIntakeJob struct {
	Source         string
	FileName       string
	IdempotencyKey string
	Mapping        any
	RowNos         []int // one per record; nil numbers rows 1..n
	Records        []IntakeRecord
}

// CreateJob stores the job and its raw rows in one transaction. With an
// idempotency key already used by the same creator it returns the existing
// job and created=false.
func (s IntakeStore) CreateJob(ctx context.Context, p models.Principal, in NewIntakeJob) (IntakeJob, bool, error) {
	mapping, err := json.Marshal(in.Mapping)
	if err != nil {
		return IntakeJob{}, false, fmt.Errorf("intake mapping: %w", err)
	}
	job := IntakeJob{Source: in.Source, FileName: in.FileName, Mapping: mapping, Status: IntakePending,
		TotalRows: len(in.Records), CreatedBy: p.AgentID}
	fp, err := models.RequestFingerprint(struct {
		Source, FileName string
		Mapping          json.RawMessage
		RowNos           []int
		Records          []IntakeRecord
	}{in.Source, in.FileName, mapping, in.RowNos, in.Records})
	if err != nil {
		return IntakeJob{}, false, fmt.Errorf("intake fingerprint: %w", err)
	}
	if in.IdempotencyKey != "" {
		job.IdempotencyKey, job.RequestFingerprint = &in.IdempotencyKey, &fp
	}
	created := false
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&job)
		if res.Error != nil {
			return fmt.Errorf("create intake job: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			if err := tx.Where("created_by = ? AND idempotency_key = ?", p.AgentID, in.IdempotencyKey).Take(&job).Error; err != nil {
				return err
			}
			if !models.SameRequest(job.RequestFingerprint, fp) {
				return models.ErrIdempotencyMismatch()
			}
			return nil
		}
		created = true
		rows := make([]IntakeRow, len(in.Records))
		for i, r := range in.Records {
			raw, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("intake row %d: %w", i, err)
			}
			n := i + 1
			if in.RowNos != nil {
				n = in.RowNos[i]
			}
			rows[i] = IntakeRow{JobID: job.ID, RowNo: n, Raw: raw}
		}
		if err := tx.CreateInBatches(rows, 1000).Error; err != nil {
			return fmt.Errorf("store intake rows: %w", err)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditIntakeCreate, "intake_job", job.ID, map[string]any{
			"source": in.Source, "rows": len(in.Records), "file": in.FileName}))
	})
	return job, created, err
}

// Get returns a job its creator (or an AllScope principal) may see.
func (s IntakeStore) Get(ctx context.Context, p models.Principal, id int64) (IntakeJob, error) {
	var j IntakeJob
	q := s.DB.WithContext(ctx).Where("id = ?", id)
	if !p.AllScope {
		q = q.Where("created_by = ?", p.AgentID)
	}
	err := q.Take(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return j, models.FieldError(models.ENotFound, "id", "intake job %d not found", id)
	}
	if err != nil {
		return j, fmt.Errorf("get intake job %d: %w", id, err)
	}
	return j, nil
}

// List returns the jobs p may see (its own; all for AllScope), newest first.
func (s IntakeStore) List(ctx context.Context, p models.Principal, pg models.Page) ([]IntakeJob, int64, error) {
	pg = pg.Normal()
	q := s.DB.WithContext(ctx).Model(&IntakeJob{})
	if !p.AllScope {
		q = q.Where("created_by = ?", p.AgentID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count intake jobs: %w", err)
	}
	var out []IntakeJob
	if err := q.Order("id DESC").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list intake jobs: %w", err)
	}
	return out, total, nil
}

// SetStatus moves a job to status (terminal states record finished_at and
// are final: a cancelled job never turns completed).
func (s IntakeStore) SetStatus(ctx context.Context, jobID int64, status, reason string) error {
	upd := map[string]any{"status": status, "updated_at": time.Now().UTC(), "error": reason}
	if status != IntakeRunning && status != IntakePending {
		upd["finished_at"] = time.Now().UTC()
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&IntakeJob{}).
			Where("id = ? AND status NOT IN ?", jobID, []string{IntakeCompleted, IntakeCancelled, IntakeFailed}).
			Updates(upd)
		if res.Error != nil || res.RowsAffected == 0 || status == IntakeRunning || status == IntakePending {
			return res.Error
		}
		// The end of a job is a durable event (outbound webhooks relay it).
		p, err := s.progress(ctx, tx, jobID)
		if err != nil {
			return err
		}
		var createdBy int64
		if err := tx.Raw(`SELECT created_by FROM intake_jobs WHERE id = ?`, jobID).Scan(&createdBy).Error; err != nil {
			return err
		}
		ev, err := models.NewEvent(models.EventIntakeProgress, models.Audience{AgentIDs: []int64{createdBy}}, p)
		if err != nil {
			return err
		}
		return s.Events.Append(ctx, tx, &ev)
	})
	if err != nil {
		return fmt.Errorf("intake job %d status %s: %w", jobID, status, err)
	}
	return nil
}

// Progress counts the job's rows by result.
func (s IntakeStore) Progress(ctx context.Context, jobID int64) (IntakeProgress, error) {
	return s.progress(ctx, s.DB, jobID)
}

func (s IntakeStore) progress(ctx context.Context, db *gorm.DB, jobID int64) (IntakeProgress, error) {
	var p IntakeProgress
	err := db.WithContext(ctx).Raw(`SELECT id AS job_id, status, total_rows AS total, processed, created, updated,
		duplicate, errors, case_pending, cases_created, empty FROM intake_jobs WHERE id = ?`, jobID).Scan(&p).Error
	if err != nil {
		return p, fmt.Errorf("intake progress %d: %w", jobID, err)
	}
	if p.JobID == 0 {
		return p, models.FieldError(models.ENotFound, "id", "intake job %d not found", jobID)
	}
	return p, nil
}

// count advances the job's counters by the newly stored results.
func (s IntakeStore) count(ctx context.Context, db *gorm.DB, jobID int64, results []RowResult) error {
	d := tally(results)
	err := db.WithContext(ctx).Exec(`UPDATE intake_jobs SET processed = processed + ?, created = created + ?,
		updated = updated + ?, duplicate = duplicate + ?, errors = errors + ?, case_pending = case_pending + ?,
		empty = empty + ?, updated_at = now() WHERE id = ?`,
		d.Processed, d.Created, d.Updated, d.Duplicate, d.Errors, d.CasePending, d.Empty, jobID).Error
	if err != nil {
		return fmt.Errorf("intake counters %d: %w", jobID, err)
	}
	return nil
}

// ReportRows calls fn for each row of the job in row order, by keyset.
func (s IntakeStore) ReportRows(ctx context.Context, jobID int64, fn func(IntakeRow) error) error {
	after := -1
	for {
		var batch []IntakeRow
		if err := s.DB.WithContext(ctx).Where("job_id = ? AND row_no > ?", jobID, after).Order("row_no").Limit(2000).Find(&batch).Error; err != nil {
			return fmt.Errorf("intake report %d: %w", jobID, err)
		}
		for _, r := range batch {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(batch) < 2000 {
			return nil
		}
		after = batch[len(batch)-1].RowNo
	}
}

// PendingCase is an imported row that also describes a case: its contact is
// saved, the case part waits for the cases area.
type PendingCase struct {
	JobID     int64
	RowNo     int
	ContactID int64
	Record    IntakeRecord
}

// CasePending pages a job's case_pending rows by row number (keyset), for
// the cases area to create or update the cases.
func (s IntakeStore) CasePending(ctx context.Context, jobID int64, afterRowNo, limit int) ([]PendingCase, error) {
	var rows []IntakeRow
	err := s.DB.WithContext(ctx).Where("job_id = ? AND row_no > ? AND result = ?", jobID, afterRowNo, RowCasePending).
		Order("row_no").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("intake case rows %d: %w", jobID, err)
	}
	out := make([]PendingCase, 0, len(rows))
	for _, r := range rows {
		pc := PendingCase{JobID: r.JobID, RowNo: r.RowNo}
		if r.ContactID != nil {
			pc.ContactID = *r.ContactID
		}
		if err := json.Unmarshal(r.Raw, &pc.Record); err != nil {
			return nil, fmt.Errorf("intake case row %d/%d: %w", jobID, r.RowNo, err)
		}
		out = append(out, pc)
	}
	return out, nil
}
