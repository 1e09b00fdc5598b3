package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/workflows"
)

// CaseWorkflows starts CaseWorkflows, sends them updates and runs bulk
// redistributions (cases.CaseWorkflows and activities.CaseUpdater).
type CaseWorkflows struct {
	Client    client.Client
	TaskQueue string
	Config    workflows.CaseConfig
}

// Start starts case:<id>. Starting again is harmless: a running workflow is
// kept, and an ended one is not started twice.
func (w CaseWorkflows) Start(ctx context.Context, caseID, teamID int64) error {
	id := workflows.CaseWorkflowID(caseID)
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             w.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.CaseWorkflowName, workflows.CaseInput{CaseID: caseID, TeamID: teamID, Config: w.Config})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return &models.Error{Code: models.EUnavailable, Message: "could not start the case workflow", Err: fmt.Errorf("start %s: %w", id, err)}
	}
	return nil
}

var caseUpdates = []string{workflows.UpdateCaseAssign, workflows.UpdateCaseRecall, workflows.UpdateCaseTransfer, workflows.UpdateCaseClose, workflows.UpdateCaseOutcome, workflows.UpdateCaseClaim}

// Update sends an update to case:<id> and waits until it completed.
// Validator rejections and rule violations come back as *models.Error.
func (w CaseWorkflows) Update(ctx context.Context, caseID int64, name string, arg any) error {
	if !slices.Contains(caseUpdates, name) {
		return fmt.Errorf("unknown case update %q", name)
	}
	h, err := w.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.CaseWorkflowID(caseID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var st workflows.CaseState
		err = h.Get(ctx, &st)
	}
	return caseUpdateError(caseID, err)
}

// caseUpdateError maps what Temporal says to the API's error codes: no
// workflow 404; a rule violation from the store keeps its code and field;
// a validator rejection is a state clash (409) or a broken rule (422).
func caseUpdateError(caseID int64, err error) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return &models.Error{Code: models.ENotFound, Message: "case " + strconv.FormatInt(caseID, 10) + " has no running workflow", Err: err}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if app.Type() == activities.BusinessErrorType {
			var code, field string
			if app.HasDetails() {
				_ = app.Details(&code, &field)
			}
			if code == "" {
				code = string(models.EUnprocessable)
			}
			return &models.Error{Code: models.ErrorCode(code), Field: field, Message: app.Message(), Err: err}
		}
		msg := app.Message()
		code := models.EUnprocessable
		if strings.Contains(msg, "has exited") || strings.Contains(msg, "not assigned") || strings.Contains(msg, "already") {
			code = models.EConflict
		}
		field := ""
		for _, f := range []string{"agentId", "teamId", "reason", "outcome", "promiseDate"} {
			if strings.HasPrefix(msg, f) {
				field = f
			}
		}
		return &models.Error{Code: code, Field: field, Message: msg, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &models.Error{Code: models.EUnavailable, Message: "the case workflow did not answer in time", Err: err}
	}
	return fmt.Errorf("update case %d: %w", caseID, err)
}

// Redistribute starts (or joins) the redistribution of a team's or an
// agent's open cases; one runs at a time per target.
func (w CaseWorkflows) Redistribute(ctx context.Context, teamID, agentID, by int64) (string, error) {
	id := workflows.RedistributeWorkflowID(teamID, agentID)
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                w.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.RedistributeWorkflowName, workflows.RedistributeInput{TeamID: teamID, AgentID: agentID, By: by})
	if err != nil {
		return "", &models.Error{Code: models.EUnavailable, Message: "could not start the redistribution", Err: err}
	}
	return id, nil
}

// RedistributeProgress queries a redistribution's progress.
func (w CaseWorkflows) RedistributeProgress(ctx context.Context, id string) (cases.RedistributeProgress, error) {
	var p cases.RedistributeProgress
	if !strings.HasPrefix(id, "redistribute:") {
		return p, models.Errorf(models.ENotFound, "redistribution %q not found", id)
	}
	v, err := w.Client.QueryWorkflow(ctx, id, "", workflows.QueryRedistributeProgress)
	if isNotFound(err) {
		return p, models.Errorf(models.ENotFound, "redistribution %q not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("query %s: %w", id, err)
	}
	return p, v.Get(&p)
}

// CustomerReplied signals each case workflow that the debtor wrote (the
// inbox calls it with models.CaseStore.AssignedCasesOfContact). A case
// whose workflow has ended is skipped.
func (w CaseWorkflows) CustomerReplied(ctx context.Context, caseIDs []int64, messageID int64) error {
	for _, id := range caseIDs {
		err := w.Client.SignalWorkflow(ctx, workflows.CaseWorkflowID(id), "", workflows.SignalCaseCustomerSaid, workflows.CustomerReplied{MessageID: messageID})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("signal case %d: %w", id, err)
		}
	}
	return nil
}
