package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/cases"
)

// Redistribution names.
const (
	RedistributeWorkflowName  = "RedistributeWorkflow"
	QueryRedistributeProgress = "progress"
)

// RedistributeWorkflowID is one per target: a second request joins the
// running one.
func RedistributeWorkflowID(teamID, agentID int64) string {
	if agentID > 0 {
		return "redistribute:agent:" + strconv.FormatInt(agentID, 10)
	}
	return "redistribute:team:" + strconv.FormatInt(teamID, 10)
}

// RedistributeInput names the team or the agent whose open cases are
// recalled and assigned again.
type RedistributeInput struct {
	TeamID, AgentID, By int64
	// PageSize cases are handled in parallel per page (default 50).
	PageSize int
	// PagesPerRun bounds the history before continue-as-new (default 20).
	PagesPerRun int
	// Carried across continue-as-new.
	Progress *cases.RedistributeProgress
}

// RedistributeWorkflow pages through the open cases of a team or an agent
// and, for each, recalls it through its CaseWorkflow and re-runs assignment.
// Progress is queryable; a failure on one case is counted, not fatal.
func RedistributeWorkflow(ctx workflow.Context, in RedistributeInput) (cases.RedistributeProgress, error) {
	if in.PageSize <= 0 {
		in.PageSize = 50
	}
	if in.PagesPerRun <= 0 {
		in.PagesPerRun = 20
	}
	p := cases.RedistributeProgress{TeamID: in.TeamID, AgentID: in.AgentID}
	if in.Progress != nil {
		p = *in.Progress
	}
	if err := workflow.SetQueryHandler(ctx, QueryRedistributeProgress, func() (cases.RedistributeProgress, error) { return p, nil }); err != nil {
		return p, err
	}
	var a *activities.CaseBulk
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        5,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType},
		},
	})
	for page := 0; page < in.PagesPerRun; page++ {
		var ids []int64
		if err := workflow.ExecuteActivity(actx, a.ListOpenCases, activities.RedistributePage{
			TeamID: in.TeamID, AgentID: in.AgentID, After: p.LastCaseID, Limit: in.PageSize,
		}).Get(ctx, &ids); err != nil {
			return p, err
		}
		if len(ids) == 0 {
			p.Done = true
			return p, nil
		}
		futs := make([]workflow.Future, len(ids))
		for i, id := range ids {
			futs[i] = workflow.ExecuteActivity(actx, a.RedistributeCase, activities.RedistributeOne{CaseID: id, By: in.By})
		}
		for i, f := range futs {
			var o activities.RedistributeOutcome
			p.Seen++
			if err := f.Get(ctx, &o); err != nil {
				p.Failed++
				p.LastError = err.Error()
			} else {
				switch {
				case o.Skipped:
					p.Skipped++
				case o.AgentID != 0:
					p.Reassigned++
				default:
					p.LeftPooled++
				}
				if o.Recalled {
					p.Recalled++
				}
			}
			p.LastCaseID = ids[i]
		}
	}
	next := in
	next.Progress = &p
	return p, workflow.NewContinueAsNewError(ctx, RedistributeWorkflow, next)
}
