package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
)

// CaseUpdater sends an update to a CaseWorkflow and waits for its answer
// (worker.CaseWorkflows).
type CaseUpdater interface {
	Update(ctx context.Context, caseID int64, name string, arg any) error
}

// OpenCases pages through open cases and assigns from the pool
// (models.CaseStore).
type OpenCases interface {
	OpenCaseIDs(ctx context.Context, teamID, agentID, after int64, limit int) ([]cases.Case, error)
	AutoAssignAway(ctx context.Context, caseID int64) (cases.CaseAssignResult, error)
}

// CaseBulk holds the dependencies of bulk case operations.
type CaseBulk struct {
	Store OpenCases
	Cases CaseUpdater
}

// RedistributePage asks for the next page of open cases.
type RedistributePage struct {
	TeamID, AgentID, After int64
	Limit                  int
}

// ListOpenCases returns the IDs of the next page (ascending).
func (a *CaseBulk) ListOpenCases(ctx context.Context, in RedistributePage) ([]int64, error) {
	cs, err := a.Store.OpenCaseIDs(ctx, in.TeamID, in.AgentID, in.After, in.Limit)
	if err != nil {
		return nil, fmt.Errorf("open cases after %d: %w", in.After, err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids, nil
}

// RedistributeOne is one case to redistribute.
type RedistributeOne struct{ CaseID, By int64 }

// RedistributeOutcome says what happened to one case.
type RedistributeOutcome struct {
	Recalled bool
	AgentID  int64 // new agent; 0 when it stays pooled
	Skipped  bool  // exited meanwhile
}

// RedistributeCase recalls the case through its workflow (so the workflow
// and PostgreSQL agree), assigns it again by the team's strategy (to anyone
// but the agent it was taken from) and tells
// the workflow who got it. Every step is idempotent, so a retry is safe.
func (a *CaseBulk) RedistributeCase(ctx context.Context, in RedistributeOne) (RedistributeOutcome, error) {
	var out RedistributeOutcome
	err := a.Cases.Update(ctx, in.CaseID, cases.CaseUpdateRecall, cases.CaseRecall{Reason: "redistributed", By: in.By})
	switch {
	case err == nil:
		out.Recalled = true
	case models.CodeOf(err) == models.EConflict && strings.Contains(err.Error(), "has exited"), models.CodeOf(err) == models.ENotFound:
		out.Skipped = true
		return out, nil
	case models.CodeOf(err) == models.EConflict:
		// Already pooled: only the assignment is re-run.
	default:
		return out, businessOrRetry(fmt.Errorf("recall case %d: %w", in.CaseID, err))
	}
	// Never straight back to the agent it was taken from.
	r, err := a.Store.AutoAssignAway(ctx, in.CaseID)
	if err != nil {
		return out, businessOrRetry(fmt.Errorf("assign case %d: %w", in.CaseID, err))
	}
	if r.AgentID == 0 {
		return out, nil
	}
	if err := a.Cases.Update(ctx, in.CaseID, cases.CaseUpdateAssign, cases.CaseAssign{AgentID: r.AgentID, By: in.By}); err != nil {
		return out, businessOrRetry(fmt.Errorf("tell case %d its agent: %w", in.CaseID, err))
	}
	out.AgentID = r.AgentID
	return out, nil
}
