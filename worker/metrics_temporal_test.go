package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/worker"
)

func greet(ctx context.Context, name string) (string, error) { return "halo " + name, nil }

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	err := workflow.ExecuteLocalActivity(ctx, greet, name).Get(ctx, &out)
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"operation": "greet", "customer": "dropped"}).Counter("scrm_test_greetings").Inc(2)
	return out, err
}

// The SDK's metrics land in the Prometheus registry with one fixed label
// set: in the SDK's test environment a workflow's local activity is
// counted and timed by the SDK, and a counter the workflow emits through
// workflow.GetMetricsHandler keeps its known tags and drops the others.
func TestTemporalMetricsHandler(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(worker.NewTemporalMetricsHandler(reg))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(greetWorkflow)
	env.ExecuteWorkflow(greetWorkflow, "budi")
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, err %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather (label sets must be consistent): %v", err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	custom := byName["scrm_test_greetings_total"]
	if custom == nil || len(custom.GetMetric()) != 1 {
		t.Fatalf("scrm_test_greetings_total: %v (families: %d)", custom, len(fams))
	}
	m := custom.GetMetric()[0]
	if m.GetCounter().GetValue() != 2 {
		t.Errorf("counter = %v, want 2", m.GetCounter().GetValue())
	}
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	if len(got) != 9 || got["operation"] != "greet" {
		t.Errorf("labels %v: want the 9 fixed labels with our operation", got)
	}
	if _, ok := got["customer"]; ok {
		t.Error("a tag outside the fixed set became a label")
	}
	if la := byName["temporal_local_activity_total_total"]; la != nil {
		t.Error("counter name got _total twice")
	}
	if la := byName["temporal_local_activity_total"]; la == nil || la.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("temporal_local_activity_total: %v, want 1", la)
	}
	lat := byName["temporal_local_activity_execution_latency_seconds"]
	if lat == nil || lat.GetType() != dto.MetricType_HISTOGRAM || lat.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("local activity latency not observed once as a histogram: %v", lat)
	}
}
