package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/wabascrm/scrm/worker"
)

// Inside an activity every *Context record carries the workflow and run
// ids; outside one nothing is added.
func TestActivityLogHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(worker.ActivityLogHandler{Handler: slog.NewJSONHandler(&buf, nil)}).With("role", "worker")
	logInActivity := func(ctx context.Context) error {
		log.WarnContext(ctx, "publish activity events", "err", "broker gone")
		return nil
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(logInActivity)
	if _, err := env.ExecuteActivity(logInActivity); err != nil {
		t.Fatal(err)
	}
	log.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(lines[1]), &out)
	if in["workflow_id"] == nil || in["workflow_id"] == "" || in["run_id"] == nil || in["activity_type"] == "" || in["role"] != "worker" {
		t.Errorf("activity record lacks its identity: %v", in)
	}
	if _, ok := out["workflow_id"]; ok {
		t.Errorf("record outside an activity got a workflow id: %v", out)
	}
}
