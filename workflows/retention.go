package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
)

// RetentionWorkflowID is the single retention loop (issue #21).
const (
	RetentionWorkflowID   = "retention"
	RetentionWorkflowName = "RetentionWorkflow"
)

// RetentionInput configures the prune loop. Keep maps a table of
// models.RetentionTables() to its period; a missing or zero period keeps the
// table for ever.
type RetentionInput struct {
	Keep      map[string]time.Duration
	Every     time.Duration // between rounds (default 1h)
	BatchSize int           // rows per statement (default 5000)
	// MaxBatches bounds one activity call (default 200): a table with more
	// is called again in the same round.
	MaxBatches int
	// RoundsPerRun bounds the history before continue-as-new (default 24).
	RoundsPerRun int
	// Rounds and Pruned count across runs (progress, for ops).
	Rounds int
	Pruned map[string]int64
}

// RetentionWorkflow prunes every configured table in bounded batches each
// round, sleeps, and continues as new after RoundsPerRun rounds. A failed
// table (after the activity's retries) is left for the next round.
func RetentionWorkflow(ctx workflow.Context, in RetentionInput) error {
	if in.Every <= 0 {
		in.Every = time.Hour
	}
	if in.BatchSize <= 0 {
		in.BatchSize = 5000
	}
	if in.MaxBatches <= 0 {
		in.MaxBatches = 200
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 24
	}
	if in.Pruned == nil {
		in.Pruned = map[string]int64{}
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	var a *activities.Retention
	for i := 0; i < in.RoundsPerRun; i++ {
		for _, table := range models.RetentionTableNames() {
			keep := in.Keep[table]
			if keep <= 0 {
				continue
			}
			for {
				var res activities.PruneResult
				err := workflow.ExecuteActivity(ctx, a.PruneTable, activities.PruneInput{
					Table: table, Keep: keep, BatchSize: in.BatchSize, MaxBatches: in.MaxBatches}).Get(ctx, &res)
				if err != nil {
					workflow.GetLogger(ctx).Warn("retention prune failed", "table", table, "err", err)
					break
				}
				in.Pruned[table] += res.Pruned
				if !res.More {
					break
				}
			}
		}
		in.Rounds++
		if err := workflow.Sleep(ctx, in.Every); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, RetentionWorkflow, in)
}
