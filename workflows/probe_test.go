package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/workflows"
)

// flakyStore fails the first n calls, like a database blip.
type flakyStore struct {
	failures int
	calls    int
}

func (f *flakyStore) Record(_ context.Context, key, worker string) (models.Probe, error) {
	f.calls++
	if f.calls <= f.failures {
		return models.Probe{}, errors.New("connection reset")
	}
	return models.Probe{ID: 42, ProbeKey: key, Worker: worker, RecordedAt: time.Unix(100, 0)}, nil
}

func TestProbeWorkflowHappyPath(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &flakyStore{}
	env.RegisterActivity(&activities.Probe{Store: store, Identity: "w1"})
	env.ExecuteWorkflow(workflows.ProbeWorkflow, activities.ProbeInput{Key: "k"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: %v", env.GetWorkflowError())
	}
	var res activities.ProbeResult
	if err := env.GetWorkflowResult(&res); err != nil || res.ProbeID != 42 || res.Worker != "w1" {
		t.Fatalf("result %+v %v", res, err)
	}
}

func TestProbeWorkflowRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &flakyStore{failures: 2}
	env.RegisterActivity(&activities.Probe{Store: store, Identity: "w1"})
	env.ExecuteWorkflow(workflows.ProbeWorkflow, activities.ProbeInput{Key: "k"})
	if env.GetWorkflowError() != nil || store.calls != 3 {
		t.Fatalf("err=%v calls=%d", env.GetWorkflowError(), store.calls)
	}
}

func TestProbeWorkflowGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &flakyStore{failures: 100}
	env.RegisterActivity(&activities.Probe{Store: store, Identity: "w1"})
	env.ExecuteWorkflow(workflows.ProbeWorkflow, activities.ProbeInput{Key: "k"})
	if env.GetWorkflowError() == nil || store.calls != 5 {
		t.Fatalf("want failure after 5 attempts: err=%v calls=%d", env.GetWorkflowError(), store.calls)
	}
}

func TestProbeWorkflowRejectsEmptyKey(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Probe{Store: &flakyStore{}, Identity: "w1"})
	env.ExecuteWorkflow(workflows.ProbeWorkflow, activities.ProbeInput{})
	if env.GetWorkflowError() == nil {
		t.Fatal("empty key must fail")
	}
}
