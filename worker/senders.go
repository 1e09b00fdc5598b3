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

// SenderWorkflows wakes (and starts on first use) the numbers'
// SenderWorkflows (implements activities.SenderWaker).
type SenderWorkflows struct {
	Client    client.Client
	TaskQueue string
	// Draining tells which numbers have a drain running (models.Dispatch):
	// those need no wake-up. Nil: every number is signalled.
	Draining interface {
		Draining(ctx context.Context, senderIDs []int64) (map[int64]bool, error)
	}
	// Input is the template every SenderWorkflow starts with (SenderID is set per number).
	Input workflows.SenderInput
}

// Wake signals each number's SenderWorkflow, starting it when it does not
// run. Without force a number whose drain is running is left alone (a
// signal costs history events and a workflow task; the mark is one query).
func (w SenderWorkflows) Wake(ctx context.Context, senderIDs []int64, force bool) error {
	busy := map[int64]bool{}
	if !force && w.Draining != nil {
		var err error
		if busy, err = w.Draining.Draining(ctx, senderIDs); err != nil {
			return err
		}
	}
	var errs []error
	for _, id := range senderIDs {
		if busy[id] {
			continue
		}
		in := w.Input
		in.SenderID = id
		_, err := w.Client.SignalWithStartWorkflow(ctx, workflows.SenderWorkflowID(id), workflows.SignalSenderWake, nil,
			client.StartWorkflowOptions{
				ID:                    workflows.SenderWorkflowID(id),
				TaskQueue:             w.TaskQueue,
				WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			}, workflows.SenderWorkflowName, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("wake sender %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// State returns a number's dispatcher state (ENotFound-free: a number that
// never sent has no workflow and reports idle).
func (w SenderWorkflows) State(ctx context.Context, id int64) (workflows.SenderState, error) {
	v, err := w.Client.QueryWorkflow(ctx, workflows.SenderWorkflowID(id), "", workflows.QuerySenderState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return workflows.SenderState{SenderID: id, Status: workflows.SenderIdle}, nil
	}
	if err != nil {
		return workflows.SenderState{}, fmt.Errorf("query sender %d: %w", id, err)
	}
	var st workflows.SenderState
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode sender %d state: %w", id, err)
	}
	return st, nil
}
