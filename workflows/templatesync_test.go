package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/workflows"
)

// The loop runs its passes on the timer and continues as new; a failing
// pass does not end it.
func TestTemplateSyncRunsPeriodicallyAndContinuesAsNew(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var passes []time.Time
	a := &activities.TemplateSync{}
	env.RegisterActivity(a)
	env.OnActivity(a.ReconcileTemplates, mock.Anything).Return(func(context.Context) (activities.ReconcileResult, error) {
		passes = append(passes, env.Now())
		if len(passes) == 2 {
			return activities.ReconcileResult{}, errors.New("meta down")
		}
		return activities.ReconcileResult{WABAs: 1, Seen: 3}, nil
	})
	start := env.Now()
	env.ExecuteWorkflow(workflows.TemplateSyncWorkflow, workflows.TemplateSyncInput{Every: 10 * time.Minute, PassesPerRun: 3})
	var can *workflow.ContinueAsNewError
	if !errors.As(env.GetWorkflowError(), &can) {
		t.Fatalf("want continue-as-new, got %v", env.GetWorkflowError())
	}
	// 3 passes plus one retry of the failed second pass (5 s later).
	if len(passes) != 4 {
		t.Fatalf("passes %v", passes)
	}
	if d := passes[2].Sub(passes[1]); d != 5*time.Second {
		t.Fatalf("retry after %s", d)
	}
	if got := passes[3].Sub(start); got < 20*time.Minute {
		t.Fatalf("third pass after %s, want >= 20m", got)
	}
}
