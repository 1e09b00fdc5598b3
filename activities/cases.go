package activities

import (
	"context"
	"fmt"

	"github.com/wabascrm/scrm/models/cases"
)

// Case statuses (the lifecycle the CaseWorkflow owns).
const (
	CasePooled     = cases.CasePooled
	CaseAssigned   = cases.CaseAssigned
	CaseInProgress = cases.CaseInProgress
	CaseExited     = cases.CaseExited
)

// CaseExitReasons are the exit reasons.
var CaseExitReasons = cases.CaseExitReasons

// CaseSnapshot is a case as the CaseWorkflow sees it; AssignResult the
// outcome of an automatic assignment; CaseChange one requested transition.
// They are the models types so models.CaseStore implements CaseStore.
type (
	CaseSnapshot = cases.CaseSnapshot
	AssignResult = cases.CaseAssignResult
	CaseChange   = cases.CaseChange
)

// CaseStore is the PostgreSQL side of the case activities. Every method is
// idempotent and writes the transition to the case history in the same
// transaction. Rule violations (agent disabled, over capacity, unknown team)
// come back as *models.Error with EUnprocessable/ENotFound codes.
type CaseStore interface {
	EnterPool(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	AutoAssign(ctx context.Context, caseID int64) (AssignResult, error)
	Assign(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	MarkProgress(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	Recall(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	Transfer(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	MarkOverdue(ctx context.Context, caseID int64) error
	RecordOutcome(ctx context.Context, c CaseChange) (CaseSnapshot, error)
	Exit(ctx context.Context, c CaseChange) (CaseSnapshot, error)
}

// Case holds the dependencies of the case activities.
type Case struct {
	Store CaseStore
}

func (a *Case) wrap(op string, id int64, s CaseSnapshot, err error) (CaseSnapshot, error) {
	if err != nil {
		return s, businessOrRetry(fmt.Errorf("case %d: %s: %w", id, op, err))
	}
	return s, nil
}

// EnterCasePool puts the case in its team's pool.
func (a *Case) EnterCasePool(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.EnterPool(ctx, c)
	return a.wrap("enter pool", c.CaseID, s, err)
}

// AutoAssignCase assigns by the team's strategy within capacity.
func (a *Case) AutoAssignCase(ctx context.Context, caseID int64) (AssignResult, error) {
	r, err := a.Store.AutoAssign(ctx, caseID)
	if err != nil {
		return r, businessOrRetry(fmt.Errorf("case %d: auto-assign: %w", caseID, err))
	}
	return r, nil
}

// AssignCase assigns to a named agent.
func (a *Case) AssignCase(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.Assign(ctx, c)
	return a.wrap("assign", c.CaseID, s, err)
}

// MarkCaseProgress records work on the case (customer reply, agent action).
func (a *Case) MarkCaseProgress(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.MarkProgress(ctx, c)
	return a.wrap("progress", c.CaseID, s, err)
}

// RecallCase puts an assigned case back in the pool.
func (a *Case) RecallCase(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.Recall(ctx, c)
	return a.wrap("recall", c.CaseID, s, err)
}

// TransferCase moves the case to another team's pool.
func (a *Case) TransferCase(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.Transfer(ctx, c)
	return a.wrap("transfer", c.CaseID, s, err)
}

// MarkCaseOverdue flags a missed follow-up and reminds the agent.
func (a *Case) MarkCaseOverdue(ctx context.Context, caseID int64) error {
	if err := a.Store.MarkOverdue(ctx, caseID); err != nil {
		return businessOrRetry(fmt.Errorf("case %d: overdue: %w", caseID, err))
	}
	return nil
}

// RecordCaseOutcome stores an agent's outcome (e.g. promise to pay).
func (a *Case) RecordCaseOutcome(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.RecordOutcome(ctx, c)
	return a.wrap("outcome", c.CaseID, s, err)
}

// ExitCase ends the case with a reason.
func (a *Case) ExitCase(ctx context.Context, c CaseChange) (CaseSnapshot, error) {
	s, err := a.Store.Exit(ctx, c)
	return a.wrap("exit", c.CaseID, s, err)
}

// models.CaseStore is the PostgreSQL implementation.
var _ CaseStore = cases.CaseStore{}
