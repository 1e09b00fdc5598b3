package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
)

// MediaFetchWorkflow fetches one customer file (FetchInboundMedia) with
// retries: Meta's download URLs live five minutes, so every attempt asks
// for a new one; after about an hour of failures the file is shown as
// failed with the last reason.
func MediaFetchWorkflow(ctx workflow.Context, in activities.MediaFetchInput) (activities.MediaFetchResult, error) {
	var a *activities.MediaFetch
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, // 100 MB over a slow link
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 16,
		},
	})
	var res activities.MediaFetchResult
	err := workflow.ExecuteActivity(actx, a.FetchInboundMedia, in).Get(ctx, &res)
	if err == nil {
		return res, nil
	}
	reason := "the file could not be downloaded from WhatsApp: " + err.Error()
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		reason = "the file could not be downloaded from WhatsApp: " + appErr.Message()
	}
	fctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	if ferr := workflow.ExecuteActivity(fctx, a.MarkMediaFailed, activities.MediaFailedInput{MediaID: in.MediaID, Reason: reason}).Get(ctx, nil); ferr != nil {
		return res, ferr
	}
	return activities.MediaFetchResult{Status: "failed", Error: reason}, nil
}
