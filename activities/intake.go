package activities

import (
	"context"
	"log/slog"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

// IntakeChunkResult is what one chunk activity reports to the workflow.
type IntakeChunkResult struct {
	LastRowNo int
	Rows      int // 0: no rows after the cursor, the job is done
	Progress  contacts.IntakeProgress
}

// IntakeStore is the PostgreSQL side of the intake activities
// (models.IntakeStore). ProcessChunk must be idempotent.
type IntakeStore interface {
	ProcessChunk(ctx context.Context, jobID int64, afterRowNo, limit int) (contacts.ChunkOutcome, error)
	SetStatus(ctx context.Context, jobID int64, status, reason string) error
	Progress(ctx context.Context, jobID int64) (contacts.IntakeProgress, error)
}

// Intake holds the ContactIntakeWorkflow's activities.
type Intake struct {
	Store  IntakeStore
	Events models.EventPublisher
	Log    *slog.Logger
}

// ProcessIntakeChunk imports up to limit rows after afterRowNo. Rows already
// done are skipped, so a retry after a crash neither duplicates nor loses rows.
func (a *Intake) ProcessIntakeChunk(ctx context.Context, jobID int64, afterRowNo, limit int) (IntakeChunkResult, error) {
	out, err := a.Store.ProcessChunk(ctx, jobID, afterRowNo, limit)
	if err != nil {
		return IntakeChunkResult{}, businessOrRetry(err)
	}
	if out.Event != nil {
		publishAfterCommit(ctx, a.Events, a.Log, *out.Event)
	}
	return IntakeChunkResult{LastRowNo: out.LastRowNo, Rows: out.Rows, Progress: out.Progress}, nil
}

// FinishIntake records the job's final status and returns its counts.
func (a *Intake) FinishIntake(ctx context.Context, jobID int64, status, reason string) (contacts.IntakeProgress, error) {
	if err := a.Store.SetStatus(ctx, jobID, status, reason); err != nil {
		return contacts.IntakeProgress{}, businessOrRetry(err)
	}
	p, err := a.Store.Progress(ctx, jobID)
	if err != nil {
		return p, businessOrRetry(err)
	}
	return p, nil
}
