package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/wabascrm/scrm/models"
)

// Retention holds the store of the retention prune activity (issue #21).
type Retention struct {
	Store models.RetentionStore
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// PruneInput names one table, how long its rows are kept, and the batch
// bound; MaxBatches bounds one activity run (the workflow calls again).
type PruneInput struct {
	Table      string
	Keep       time.Duration
	BatchSize  int
	MaxBatches int
}

// PruneResult says how many rows went and whether the table has more.
type PruneResult struct {
	Pruned  int64
	Batches int
	More    bool
}

// PruneTable deletes the table's rows older than Keep in batches of
// BatchSize, heartbeating the running total after each batch (a retried
// attempt simply starts over: every batch is its own statement).
func (a *Retention) PruneTable(ctx context.Context, in PruneInput) (PruneResult, error) {
	var out PruneResult
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	before := now().Add(-in.Keep)
	for out.Batches < in.MaxBatches {
		n, err := a.Store.PruneBatch(ctx, in.Table, before, in.BatchSize)
		if err != nil {
			return out, err
		}
		out.Batches++
		out.Pruned += n
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, out)
		}
		if n < int64(in.BatchSize) {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	out.More = true
	return out, nil
}
