package cases

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// CaseWorkflows talks to the CaseWorkflows on Temporal (package worker
// implements it). Update waits until the workflow has applied the change
// and returns its rejection or rule violation as *models.Error.
type CaseWorkflows interface {
	Start(ctx context.Context, caseID, teamID int64) error
	Update(ctx context.Context, caseID int64, name string, arg any) error
	// Redistribute starts a RedistributeWorkflow over a team's or an
	// agent's open cases and returns its workflow ID.
	Redistribute(ctx context.Context, teamID, agentID, by int64) (string, error)
	// RedistributeProgress answers the progress query of that workflow.
	RedistributeProgress(ctx context.Context, id string) (RedistributeProgress, error)
	// CustomerReplied tells the cases' workflows that their debtor wrote.
	CustomerReplied(ctx context.Context, caseIDs []int64, messageID int64) error
}

// CaseDesk is what supervisors and agents do to cases, each with its data
// scope check: the stored case and its CaseWorkflow move together.
type CaseDesk struct {
	Store  CaseStore
	Agents identity.AgentStore
	// Workflows is nil when the role runs without Temporal (503).
	Workflows CaseWorkflows
	Log       *slog.Logger
}

func (d CaseDesk) workflows() (CaseWorkflows, error) {
	if d.Workflows == nil {
		return nil, models.Errorf(models.EUnavailable, "case workflows are not configured")
	}
	return d.Workflows, nil
}

// Create stores the case and starts its CaseWorkflow, which puts it in the
// pool and assigns it by the team's strategy. Only a supervisor of the team
// (or an all-scope principal) may create cases in it.
func (d CaseDesk) Create(ctx context.Context, p models.Principal, in CaseInput) (Case, error) {
	if _, _, _, err := in.Validate(); err != nil {
		return Case{}, err
	}
	if !p.SeesTeamMembers(in.TeamID) {
		return Case{}, models.FieldError(models.EForbidden, "teamId", "you may only create cases in teams you supervise")
	}
	if in.ContactID != nil {
		// Through the contact's scope: another team's customer answers as
		// a missing one (no oracle of which contact ids exist).
		ok, err := d.Store.ContactVisible(ctx, p, *in.ContactID)
		if err != nil {
			return Case{}, err
		}
		if !ok {
			return Case{}, models.FieldError(models.ENotFound, "contactId", "contact %d not found", *in.ContactID)
		}
	}
	wf, err := d.workflows()
	if err != nil {
		return Case{}, err
	}
	cs, err := d.Store.Create(ctx, p.AgentID, in)
	if models.CodeOf(err) == models.EConflict {
		// A create whose workflow start failed is resumed by sending it again.
		prev, ok, lerr := d.Store.Unstarted(ctx, in.Reference)
		if lerr != nil {
			err = lerr
		} else if ok && prev.TeamID == in.TeamID {
			cs, err = prev, nil
		}
	}
	if err != nil {
		return Case{}, err
	}
	if err := wf.Start(ctx, cs.ID, cs.TeamID); err != nil {
		return Case{}, err
	}
	return cs, nil
}

// Update sends a CaseWorkflow update (name and its argument, built by the
// *Update functions below) to a case p may see and returns the case as
// stored afterwards.
func (d CaseDesk) Update(ctx context.Context, p models.Principal, id int64, name string, arg any) (Case, error) {
	cur, err := d.Store.Visible(ctx, p, id)
	if err != nil {
		return Case{}, err
	}
	if cur.Status == CaseExited {
		// Its workflow has ended: say why instead of "no such workflow".
		reason := ""
		if cur.ExitReason != nil {
			reason = " (" + *cur.ExitReason + ")"
		}
		return Case{}, models.Errorf(models.EConflict, "case %d has exited%s", id, reason)
	}
	if err := d.checkTarget(ctx, p, arg); err != nil {
		return Case{}, err
	}
	wf, err := d.workflows()
	if err != nil {
		return Case{}, err
	}
	if err := wf.Update(ctx, id, name, arg); err != nil {
		return Case{}, err
	}
	return d.Store.Get(ctx, models.Principal{AllScope: true}, id)
}

// Claim gives a pooled case of one of p's teams to p itself (cases:claim):
// the pool of a manual team is where its agents take work from. The case
// must still be in the pool when the claim runs, so of two agents claiming
// one case the second gets 409, never the first one's case.
func (d CaseDesk) Claim(ctx context.Context, p models.Principal, id int64) (Case, error) {
	cur, err := d.Store.Visible(ctx, p, id)
	if err != nil {
		return Case{}, err
	}
	if cur.Status != CasePooled {
		return Case{}, models.Errorf(models.EConflict, "case %d is not in the pool", id)
	}
	wf, err := d.workflows()
	if err != nil {
		return Case{}, err
	}
	if err := wf.Update(ctx, id, CaseUpdateClaim, CaseClaim{AgentID: p.AgentID}); err != nil {
		return Case{}, err
	}
	return d.Store.Get(ctx, models.Principal{AllScope: true}, id)
}

// checkTarget checks the ids an update names through their own scope: an
// assignee must be an agent p sees, a transfer's team one p supervises (the
// workflow then checks membership, capacity and status). Unseen ids answer
// as missing.
func (d CaseDesk) checkTarget(ctx context.Context, p models.Principal, arg any) error {
	switch a := arg.(type) {
	case CaseAssign:
		ok, err := d.Agents.Sees(ctx, p, a.AgentID)
		if err != nil {
			return err
		}
		if !ok {
			return models.FieldError(models.ENotFound, "agentId", "agent %d not found", a.AgentID)
		}
	case CaseTransfer:
		if !p.SeesTeamMembers(a.TeamID) {
			return models.FieldError(models.ENotFound, "teamId", "team %d not found", a.TeamID)
		}
	}
	return nil
}

// Redistribute recalls every open case of a team or an agent (exactly one,
// within p's scope) and re-runs assignment, as a workflow whose progress can
// be polled; it returns the workflow's id.
func (d CaseDesk) Redistribute(ctx context.Context, p models.Principal, teamID, agentID int64) (string, error) {
	if err := RedistributeTarget(teamID, agentID); err != nil {
		return "", err
	}
	if teamID > 0 && !p.SeesTeamMembers(teamID) {
		return "", models.FieldError(models.ENotFound, "teamId", "team %d not found", teamID)
	}
	if agentID > 0 {
		ok, err := d.Agents.Sees(ctx, p, agentID)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", models.FieldError(models.ENotFound, "agentId", "agent %d not found", agentID)
		}
	}
	wf, err := d.workflows()
	if err != nil {
		return "", err
	}
	return wf.Redistribute(ctx, teamID, agentID, p.AgentID)
}

// RedistributeProgress reports a redistribution started by Redistribute,
// through its target's scope: the ids are guessable, so a redistribution of
// a team p does not supervise (or of an agent p does not see) answers as
// missing.
func (d CaseDesk) RedistributeProgress(ctx context.Context, p models.Principal, workflowID string) (RedistributeProgress, error) {
	wf, err := d.workflows()
	if err != nil {
		return RedistributeProgress{}, err
	}
	pr, err := wf.RedistributeProgress(ctx, workflowID)
	if err != nil {
		return RedistributeProgress{}, err
	}
	seen := pr.TeamID > 0 && p.SeesTeamMembers(pr.TeamID)
	if pr.AgentID > 0 {
		if seen, err = d.Agents.Sees(ctx, p, pr.AgentID); err != nil {
			return RedistributeProgress{}, err
		}
	}
	if !seen {
		return RedistributeProgress{}, models.Errorf(models.ENotFound, "redistribution %q not found", workflowID)
	}
	return pr, nil
}

// SetAgentStatus enables or disables an agent; a disabled agent's open
// cases go back to the pool and to others (best effort: a failure is logged
// and a supervisor can redistribute by hand).
func (d CaseDesk) SetAgentStatus(ctx context.Context, p models.Principal, id int64, status string) (identity.Agent, error) {
	a, err := d.Agents.SetStatus(ctx, p, id, status)
	if err != nil {
		return a, err
	}
	if status == models.AgentDisabled && d.Workflows != nil {
		if _, err := d.Workflows.Redistribute(ctx, 0, id, p.AgentID); err != nil {
			d.Log.ErrorContext(ctx, "redistribute cases of disabled agent", "agent", id, "err", err)
		}
	}
	return a, nil
}

// RedistributeTarget is the rule that a redistribution names exactly one
// of a team or an agent.
func RedistributeTarget(teamID, agentID int64) error {
	if (teamID > 0) == (agentID > 0) || teamID < 0 || agentID < 0 {
		return models.FieldError(models.EInvalid, "teamId", "give exactly one of teamId or agentId")
	}
	return nil
}

// AssignUpdate is the assign update by agent by.
func AssignUpdate(agentID, by int64) (CaseAssign, error) {
	if agentID <= 0 {
		return CaseAssign{}, models.FieldError(models.EInvalid, "agentId", "agentId is required")
	}
	return CaseAssign{AgentID: agentID, By: by}, nil
}

// RecallUpdate is the recall update (the reason is optional).
func RecallUpdate(reason string, by int64) (CaseRecall, error) {
	if len(reason) > 200 {
		return CaseRecall{}, models.FieldError(models.EInvalid, "reason", "reason is at most 200 characters")
	}
	return CaseRecall{Reason: reason, By: by}, nil
}

// TransferUpdate is the transfer update to another team.
func TransferUpdate(teamID, by int64) (CaseTransfer, error) {
	if teamID <= 0 {
		return CaseTransfer{}, models.FieldError(models.EInvalid, "teamId", "teamId is required")
	}
	return CaseTransfer{TeamID: teamID, By: by}, nil
}

// CloseUpdate is the close update with an exit reason.
func CloseUpdate(reason string, by int64) (CaseClose, error) {
	if !ValidExitReason(reason) {
		return CaseClose{}, models.FieldError(models.EInvalid, "reason", "reason must be one of %v", CaseExitReasons)
	}
	return CaseClose{Reason: reason, By: by}, nil
}

// OutcomeUpdate is the outcome update; promiseDate (YYYY-MM-DD) is required
// for promise_to_pay.
func OutcomeUpdate(outcome, promiseDate, note string, by int64) (CaseOutcome, error) {
	if !ValidOutcome(outcome) {
		return CaseOutcome{}, models.FieldError(models.EInvalid, "outcome", "outcome must be one of %v", CaseOutcomes)
	}
	if len(note) > 2000 {
		return CaseOutcome{}, models.FieldError(models.EInvalid, "note", "note is at most 2000 characters")
	}
	var pd time.Time
	if promiseDate != "" {
		var err error
		if pd, err = time.Parse(time.DateOnly, promiseDate); err != nil {
			return CaseOutcome{}, models.FieldError(models.EInvalid, "promiseDate", "promiseDate must be a date like 2026-01-31")
		}
	}
	if outcome == "promise_to_pay" && pd.IsZero() {
		return CaseOutcome{}, models.FieldError(models.EInvalid, "promiseDate", "promiseDate is required for promise_to_pay")
	}
	return CaseOutcome{Outcome: outcome, PromiseDate: pd, Note: note, By: by}, nil
}
