package worker

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/activity"
)

// ActivityLogHandler adds the Temporal identity of the running activity
// (workflow_id, run_id, activity_type, attempt) to every record logged with
// a *Context method inside an activity, so one grep of a workflow id finds
// its activity logs too. Elsewhere it passes records through unchanged.
type ActivityLogHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ActivityLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil && activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		r = r.Clone()
		r.AddAttrs(
			slog.String("workflow_id", info.WorkflowExecution.ID),
			slog.String("run_id", info.WorkflowExecution.RunID),
			slog.String("activity_type", info.ActivityType.Name),
			slog.Int("attempt", int(info.Attempt)),
		)
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ActivityLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ActivityLogHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h ActivityLogHandler) WithGroup(name string) slog.Handler {
	return ActivityLogHandler{h.Handler.WithGroup(name)}
}
