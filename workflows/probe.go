package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
)

// ProbeWorkflowName is the registered name of ProbeWorkflow.
const ProbeWorkflowName = "ProbeWorkflow"

// ProbeWorkflow proves the chain Temporal -> worker -> activity -> PostgreSQL.
// scrm dev runs it once at start; the integration tests run it too.
func ProbeWorkflow(ctx workflow.Context, in activities.ProbeInput) (activities.ProbeResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond,
			MaximumAttempts: 5,
		},
	})
	var a *activities.Probe
	var res activities.ProbeResult
	err := workflow.ExecuteActivity(ctx, a.RecordProbe, in).Get(ctx, &res)
	return res, err
}
