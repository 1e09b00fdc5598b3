package worker

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/workflows"
)

// CampaignWorkflows starts and signals CampaignWorkflows (implements
// campaigns.CampaignWorkflows).
type CampaignWorkflows struct {
	Client    client.Client
	TaskQueue string
	// PageSize and PagesPerRun tune the workflow (defaults when zero).
	PageSize    int
	PagesPerRun int
}

// Start runs campaign id. The workflow ID is campaign:<id>: a repeated
// launch (double click, retried request) runs it once.
func (w CampaignWorkflows) Start(ctx context.Context, id int64) error {
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.CampaignWorkflowID(id),
		TaskQueue:                w.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.CampaignWorkflowName, workflows.CampaignInput{CampaignID: id, PageSize: w.PageSize, PagesPerRun: w.PagesPerRun})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start campaign %d: %w", id, err)
	}
	return nil
}

// Signal sends pause, resume or cancel. A campaign without a running
// workflow answers ENotFound.
func (w CampaignWorkflows) Signal(ctx context.Context, id int64, action string) error {
	err := w.Client.SignalWorkflow(ctx, workflows.CampaignWorkflowID(id), "", action, nil)
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		return models.Errorf(models.ENotFound, "campaign %d is not running", id).WithErr(err)
	}
	if err != nil {
		return fmt.Errorf("signal campaign %d %s: %w", id, action, err)
	}
	return nil
}

// Retry runs campaign id again for its requeued failed recipients. A
// workflow still running picks them up itself (it watches the queue).
func (w CampaignWorkflows) Retry(ctx context.Context, id int64) error {
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.CampaignWorkflowID(id),
		TaskQueue:                w.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.CampaignWorkflowName, workflows.CampaignInput{CampaignID: id, PageSize: w.PageSize, PagesPerRun: w.PagesPerRun, Retry: true})
	if err != nil {
		return fmt.Errorf("retry campaign %d: %w", id, err)
	}
	return nil
}
