package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
)

// TemplateSyncWorkflowID is the single periodic template reconciler.
const (
	TemplateSyncWorkflowID   = "template-sync"
	TemplateSyncWorkflowName = "TemplateSyncWorkflow"
)

// TemplateSyncInput configures the reconcile loop.
type TemplateSyncInput struct {
	Every time.Duration // between passes (default 15m)
	// PassesPerRun bounds the history: after that many passes the workflow
	// continues as new (default 96, one day at 15m).
	PassesPerRun int
	// Passes counts passes across runs (for ops' curiosity).
	Passes int
}

// TemplateSyncWorkflow reconciles template statuses with Meta on a timer,
// behind the message_template_status_update webhooks (a missed or lost
// webhook is corrected within one period).
func TemplateSyncWorkflow(ctx workflow.Context, in TemplateSyncInput) error {
	if in.Every <= 0 {
		in.Every = 15 * time.Minute
	}
	if in.PassesPerRun <= 0 {
		in.PassesPerRun = 96
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	var a *activities.TemplateSync
	for i := 0; i < in.PassesPerRun; i++ {
		var res activities.ReconcileResult
		if err := workflow.ExecuteActivity(ctx, a.ReconcileTemplates).Get(ctx, &res); err != nil {
			// A failed pass is retried at the next period, not fatal.
			workflow.GetLogger(ctx).Warn("template reconcile failed", "err", err)
		}
		in.Passes++
		if err := workflow.Sleep(ctx, in.Every); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, TemplateSyncWorkflow, in)
}
