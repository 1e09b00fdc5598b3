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

// Each round prunes every configured table (a table with more rows is
// called again in the round), a failed attempt is retried, tables kept for
// ever are never touched, rounds wait for the timer, and the run continues
// as new carrying its progress.
func TestRetentionRoundsRetryAndContinueAsNew(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	a := &activities.Retention{}
	env.RegisterActivity(a)
	type call struct {
		at    time.Time
		table string
	}
	var calls []call
	env.OnActivity(a.PruneTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PruneInput) (activities.PruneResult, error) {
		calls = append(calls, call{env.Now(), in.Table})
		if in.BatchSize != 100 || in.Keep <= 0 {
			t.Errorf("input %+v", in)
		}
		switch {
		case in.Table == "events" && len(calls) == 1:
			return activities.PruneResult{Pruned: 500, Batches: 5, More: true}, nil
		case in.Table == "sessions" && len(calls) == 3:
			return activities.PruneResult{}, errors.New("database restarting")
		}
		return activities.PruneResult{Pruned: 7, Batches: 1}, nil
	})
	start := env.Now()
	env.ExecuteWorkflow(workflows.RetentionWorkflow, workflows.RetentionInput{
		Keep:  map[string]time.Duration{"events": 720 * time.Hour, "sessions": 24 * time.Hour, "audit_log": 0},
		Every: time.Hour, BatchSize: 100, RoundsPerRun: 2})
	var can *workflow.ContinueAsNewError
	if !errors.As(env.GetWorkflowError(), &can) {
		t.Fatalf("want continue-as-new, got %v", env.GetWorkflowError())
	}
	// Round 1: events (more), events, sessions (fails), sessions retried;
	// round 2 an hour later: events, sessions. audit_log never.
	want := []string{"events", "events", "sessions", "sessions", "events", "sessions"}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i, c := range calls {
		if c.table != want[i] {
			t.Fatalf("call %d: %s, want %s (%+v)", i, c.table, want[i], calls)
		}
	}
	if d := calls[3].at.Sub(calls[2].at); d != 5*time.Second {
		t.Fatalf("retry after %s", d)
	}
	if d := calls[4].at.Sub(start); d < time.Hour {
		t.Fatalf("second round after %s, want >= 1h", d)
	}
}
