package worker

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/workflows"
)

// IntakeStarter starts ContactIntakeWorkflows (implements contacts.IntakeStarter).
type IntakeStarter struct {
	Client    client.Client
	TaskQueue string
	ChunkSize int
}

// StartIntake starts the import of a stored job. The workflow ID is
// intake:<job>, so starting the same job twice runs it once.
func (s IntakeStarter) StartIntake(ctx context.Context, jobID int64) error {
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.IntakeWorkflowID(jobID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ContactIntakeWorkflow, workflows.IntakeInput{JobID: jobID, ChunkSize: s.ChunkSize})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		// The job already ran (or runs): a replayed request must not fail.
		return nil
	}
	if err != nil {
		return fmt.Errorf("start intake %d: %w", jobID, err)
	}
	return nil
}

// CancelIntake asks a running import to stop after its current chunk.
func (s IntakeStarter) CancelIntake(ctx context.Context, jobID int64) error {
	err := s.Client.SignalWorkflow(ctx, workflows.IntakeWorkflowID(jobID), "", workflows.SignalIntakeCancel, nil)
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		// Not started yet or already finished: the stored status decides.
		return nil
	}
	if err != nil {
		return fmt.Errorf("cancel intake %d: %w", jobID, err)
	}
	return nil
}
