package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ProbeInput names one probe run.
type ProbeInput struct {
	Key string
}

// ProbeResult says which worker recorded the probe and when.
type ProbeResult struct {
	ProbeID    int64
	Worker     string
	RecordedAt time.Time
}

// RecordProbeActivity is the registered name of the probe activity.
const RecordProbeActivity = "RecordProbe"

// ProbeWorkflow proves the chain Temporal -> worker -> activity -> PostgreSQL.
// scrm dev runs it once at start; the integration tests run it too.
func ProbeWorkflow(ctx workflow.Context, in ProbeInput) (ProbeResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond,
			MaximumAttempts: 5,
		},
	})
	var res ProbeResult
	err := workflow.ExecuteActivity(ctx, RecordProbeActivity, in).Get(ctx, &res)
	return res, err
}
