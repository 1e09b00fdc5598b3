package contacts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"gorm.io/gorm"
)

// RowCaseCreated is the result of an intake row whose case was created (or
// found already created by an earlier attempt of the same import).
const RowCaseCreated = "case_created"

// IntakeCaseInput turns a pending intake row into a CaseInput: the team by
// id or name, the amount in whole rupiah ("1.500.000", "1500000", "Rp 1,5 jt"
// is not accepted: digits with . or , thousands separators only), the due
// date as YYYY-MM-DD or DD/MM/YYYY.
func (s IntakeStore) IntakeCaseInput(ctx context.Context, pc PendingCase) (cases.CaseInput, error) {
	r := pc.Record
	in := cases.CaseInput{Reference: strings.TrimSpace(r.CaseRef)}
	if pc.ContactID != 0 {
		id := pc.ContactID
		in.ContactID = &id
	}
	team := strings.TrimSpace(r.Team)
	if team == "" {
		return in, models.FieldError(models.EInvalid, "team", "a case row needs a team (id or name)")
	}
	var teamID int64
	if id, err := strconv.ParseInt(team, 10, 64); err == nil {
		if err := s.DB.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) FROM teams WHERE id = ?`, id).Scan(&teamID).Error; err != nil {
			return in, err
		}
	} else if err := s.DB.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) FROM teams WHERE lower(name) = lower(?)`, team).Scan(&teamID).Error; err != nil {
		return in, err
	}
	if teamID == 0 {
		return in, models.FieldError(models.EUnprocessable, "team", "no team %q", team)
	}
	in.TeamID = teamID
	if a := strings.TrimSpace(r.Amount); a != "" {
		digits := strings.NewReplacer(".", "", ",", "", " ", "").Replace(strings.TrimPrefix(strings.TrimPrefix(a, "Rp"), "IDR"))
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n < 0 {
			return in, models.FieldError(models.EInvalid, "amount", "amount %q is not a whole number of rupiah", a)
		}
		in.Amount = n
	}
	if d := strings.TrimSpace(r.DueDate); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			if t, err = time.Parse("02/01/2006", d); err != nil {
				return in, models.FieldError(models.EInvalid, "dueDate", "due date %q is not YYYY-MM-DD or DD/MM/YYYY", d)
			}
		}
		in.DueDate = t.Format(time.DateOnly)
	}
	if _, _, _, err := in.Validate(); err != nil {
		return in, err
	}
	return in, nil
}

// FinishCaseRow records a pending row's case outcome once (idempotent).
func (s IntakeStore) FinishCaseRow(ctx context.Context, pc PendingCase, caseID int64, rowErr error) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		result, reason := RowCaseCreated, fmt.Sprintf("case %d", caseID)
		if rowErr != nil {
			result, reason = RowError, "case: "+errMessage(rowErr)
		}
		res := tx.Exec(`UPDATE intake_rows SET result = ?, reason = ? WHERE job_id = ? AND row_no = ? AND result = ?`,
			result, reason, pc.JobID, pc.RowNo, RowCasePending)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		created, errs := 1, 0
		if rowErr != nil {
			created, errs = 0, 1
		}
		return tx.Exec(`UPDATE intake_jobs SET case_pending = case_pending - 1, cases_created = cases_created + ?, errors = errors + ?,
			updated_at = now() WHERE id = ?`, created, errs, pc.JobID).Error
	})
}

// JobCreator returns who created an intake job (cases are created on their behalf).
func (s IntakeStore) JobCreator(ctx context.Context, jobID int64) (int64, error) {
	var by int64
	err := s.DB.WithContext(ctx).Raw(`SELECT created_by FROM intake_jobs WHERE id = ?`, jobID).Scan(&by).Error
	return by, err
}

func errMessage(err error) string {
	var de *models.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
