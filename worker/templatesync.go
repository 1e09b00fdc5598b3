package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/workflows"
)

// EnsureTemplateSync starts the single template-sync workflow unless it is
// already running (every worker replica calls it at start; one wins).
func EnsureTemplateSync(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.TemplateSyncWorkflowID,
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.TemplateSyncWorkflow, workflows.TemplateSyncInput{Every: every})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s: %w", workflows.TemplateSyncWorkflowID, err)
	}
	return nil
}

// EnsureRetention starts the single retention workflow unless it is
// already running (every worker replica calls it at start; one wins).
func EnsureRetention(ctx context.Context, c client.Client, taskQueue string, in workflows.RetentionInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.RetentionWorkflowID,
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.RetentionWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s: %w", workflows.RetentionWorkflowID, err)
	}
	return nil
}
