package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/models/reports"
)

// ReportFolder folds the report deltas the triggers append into the
// rollups (reports.ReportStore.Fold), every Every (5 s when zero) and at
// once again after a full batch, so the deltas table stays small and a
// report's own fold has little left to do. Any number of workers may run
// it: one fold runs at a time, the others skip.
type ReportFolder struct {
	Store  reports.ReportStore
	Every  time.Duration
	Logger *slog.Logger
}

// Run folds until ctx ends.
func (f ReportFolder) Run(ctx context.Context) error {
	every := f.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	for {
		n, err := f.Store.Fold(ctx)
		if err != nil && ctx.Err() == nil {
			f.Logger.Warn("report fold", "err", err)
		}
		if n == reports.FoldBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}
