package worker_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/workflows"
)

func TestIntakeStarter(t *testing.T) {
	t.Parallel()
	c := &mocks.Client{}
	var opts client.StartWorkflowOptions
	var input workflows.IntakeInput
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) {
			opts = args.Get(1).(client.StartWorkflowOptions)
			input = args.Get(3).(workflows.IntakeInput)
		}).Return(nil, nil).Once()
	s := worker.IntakeStarter{Client: c, TaskQueue: "q", ChunkSize: 250}
	if err := s.StartIntake(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	if opts.ID != "intake:7" || opts.TaskQueue != "q" || input.JobID != 7 || input.ChunkSize != 250 {
		t.Fatalf("start options %+v input %+v", opts, input)
	}

	// A finished job started again (a replayed Idempotency-Key) is fine.
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("done", "", "")).Once()
	if err := s.StartIntake(context.Background(), 7); err != nil {
		t.Fatalf("already started: %v", err)
	}
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("down")).Once()
	if err := s.StartIntake(context.Background(), 7); err == nil {
		t.Fatal("unavailable Temporal must be an error")
	}

	c.On("SignalWorkflow", mock.Anything, "intake:7", "", workflows.SignalIntakeCancel, nil).
		Return(serviceerror.NewNotFound("gone")).Once()
	if err := s.CancelIntake(context.Background(), 7); err != nil {
		t.Fatalf("cancel of a finished workflow: %v", err)
	}
	c.On("SignalWorkflow", mock.Anything, "intake:8", "", workflows.SignalIntakeCancel, nil).
		Return(errors.New("boom")).Once()
	if err := s.CancelIntake(context.Background(), 8); err == nil {
		t.Fatal("signal failure must be an error")
	}
	c.AssertExpectations(t)
}
