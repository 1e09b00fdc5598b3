package activities

import (
	"context"
	"fmt"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
)

// CaseStarter starts a case's CaseWorkflow (idempotent).
type CaseStarter interface {
	Start(ctx context.Context, caseID, teamID int64) error
}

// IntakeCases turns intake rows with case fields into cases.
type IntakeCases struct {
	Intake  contacts.IntakeStore
	Cases   cases.CaseStore
	Starter CaseStarter
}

// IntakeCasesResult says what one page of case rows did.
type IntakeCasesResult struct {
	Rows      int // 0: no case rows left
	LastRowNo int
	Created   int
	Errors    int
}

// CreateIntakeCases creates the cases of up to limit pending rows after
// afterRowNo and starts their workflows. Idempotent: a case created by an
// earlier attempt is found by its reference and (re)started; a row that
// already has its result is not pending any more.
func (a *IntakeCases) CreateIntakeCases(ctx context.Context, jobID int64, afterRowNo, limit int) (IntakeCasesResult, error) {
	rows, err := a.Intake.CasePending(ctx, jobID, afterRowNo, limit)
	if err != nil {
		return IntakeCasesResult{}, err
	}
	by, err := a.Intake.JobCreator(ctx, jobID)
	if err != nil {
		return IntakeCasesResult{}, fmt.Errorf("intake job %d: %w", jobID, err)
	}
	res := IntakeCasesResult{Rows: len(rows)}
	type rowCase struct {
		pc     contacts.PendingCase
		c      cases.Case
		rowErr error
	}
	done := make([]rowCase, 0, len(rows))
	byTeam := map[int64][]int64{}
	for _, pc := range rows {
		res.LastRowNo = pc.RowNo
		in, rowErr := a.Intake.IntakeCaseInput(ctx, pc)
		var c cases.Case
		if rowErr == nil {
			c, rowErr = a.createOrFind(ctx, by, in)
		}
		if rowErr != nil && models.CodeOf(rowErr) == models.EInternal {
			return res, rowErr // a database error: retry the page
		}
		if rowErr == nil && c.Status == cases.CasePooled {
			assigned, err := a.assignToRowAgent(ctx, by, pc, c)
			if err != nil {
				return res, err
			}
			if !assigned {
				byTeam[c.TeamID] = append(byTeam[c.TeamID], c.ID)
			}
		}
		done = append(done, rowCase{pc, c, rowErr})
	}
	// Distribute the page's new cases by each team's strategy in one
	// transaction per team (the bulk path); their workflows adopt it.
	for team, ids := range byTeam {
		if _, err := a.Cases.AutoAssignBatch(ctx, team, ids); err != nil {
			return res, fmt.Errorf("assign imported cases of team %d: %w", team, err)
		}
	}
	for _, d := range done {
		if d.rowErr == nil {
			if err := a.Starter.Start(ctx, d.c.ID, d.c.TeamID); err != nil {
				return res, fmt.Errorf("start case %d: %w", d.c.ID, err) // retried
			}
		}
		if err := a.Intake.FinishCaseRow(ctx, d.pc, d.c.ID, d.rowErr); err != nil {
			return res, err
		}
		if d.rowErr != nil {
			res.Errors++
		} else {
			res.Created++
		}
	}
	return res, nil
}

func (a *IntakeCases) createOrFind(ctx context.Context, by int64, in cases.CaseInput) (cases.Case, error) {
	c, err := a.Cases.Create(ctx, by, in)
	if models.CodeOf(err) != models.EConflict {
		return c, err
	}
	prev, found, ferr := a.Cases.CaseByReference(ctx, in.Reference)
	if ferr != nil {
		return c, ferr
	}
	if found && prev.TeamID == in.TeamID && (in.ContactID == nil || (prev.ContactID != nil && *prev.ContactID == *in.ContactID)) {
		return prev, nil // created by an earlier attempt of this import
	}
	return c, err // the reference belongs to another case: a row error
}

// assignToRowAgent gives a new case to the agent its row names (the agent
// column of the file), before its workflow starts (the workflow adopts an
// assigned case). An agent who cannot take it now (at capacity, disabled
// since the file was checked) leaves it to the team's strategy rather than
// failing the row: the case exists either way. Only database errors fail.
func (a *IntakeCases) assignToRowAgent(ctx context.Context, by int64, pc contacts.PendingCase, c cases.Case) (bool, error) {
	agent, err := a.Intake.CaseAgent(ctx, pc)
	if err != nil && models.CodeOf(err) == models.EInternal {
		return false, err
	}
	if err != nil || agent == 0 {
		return false, nil
	}
	_, err = a.Cases.Assign(ctx, cases.CaseChange{CaseID: c.ID, AgentID: agent, By: by, Reason: "intake"})
	if err != nil && models.CodeOf(err) == models.EInternal {
		return false, fmt.Errorf("assign case %d to agent %d: %w", c.ID, agent, err)
	}
	return err == nil, nil
}
