package contacts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"gorm.io/gorm"
)

// RowCaseCreated is the result of an intake row whose case was created (or
// found already created by an earlier attempt of the same import).
const RowCaseCreated = "case_created"

// IntakeCaseInput turns a pending intake row into a CaseInput: the team by
// id or name, the amount and due date as caseFields reads them. The import's
// planning (plan, caseCheck) made the same checks before the row's contact
// was saved; they run again because a team may be gone since.
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
	teamID, err := resolveTeam(ctx, s.DB, team)
	if err != nil {
		return in, err
	}
	if teamID == 0 {
		return in, models.FieldError(models.EUnprocessable, "team", "no team %q", team)
	}
	in.TeamID = teamID
	if in.Amount, in.DueDate, err = caseFields(r); err != nil {
		return in, err
	}
	if _, _, _, err := in.Validate(); err != nil {
		return in, err
	}
	return in, nil
}

// CaseAgent resolves a case row's agent column (id or email; 0 when empty).
// The case goes to that agent instead of the team's strategy.
func (s IntakeStore) CaseAgent(ctx context.Context, pc PendingCase) (int64, error) {
	ref := strings.TrimSpace(pc.Record.Agent)
	if ref == "" {
		return 0, nil
	}
	agents := map[string]*int64{ref: nil}
	if err := s.resolveAgents(ctx, s.DB, agents); err != nil {
		return 0, err
	}
	if agents[ref] == nil {
		return 0, models.FieldError(models.EUnprocessable, "agent", "agent %q not found", ref)
	}
	return *agents[ref], nil
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
