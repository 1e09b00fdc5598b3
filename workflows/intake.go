package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/contacts"
)

// IntakeInput starts (or continues) an import. Only the job id travels:
// the rows are in PostgreSQL.
type IntakeInput struct {
	JobID     int64
	ChunkSize int // rows per activity, 500 when zero
	// Carried across continue-as-new.
	AfterRowNo int
	Chunks     int
	// CasePhase: contacts are done; rows with case fields become cases.
	CasePhase    bool
	CaseAfterRow int
}

// intakeChunksPerRun bounds one run's history; past it the workflow
// continues as new with its cursor.
const intakeChunksPerRun = 400

// ContactIntakeWorkflow imports a job chunk by chunk. Each chunk activity is
// idempotent, so a retried or replayed chunk neither duplicates nor loses
// rows. A cancel signal stops it between chunks; the job is marked
// cancelled and the rows done so far stay.
func ContactIntakeWorkflow(ctx workflow.Context, in IntakeInput) (contacts.IntakeProgress, error) {
	if in.ChunkSize <= 0 {
		in.ChunkSize = 500
	}
	var a *activities.Intake
	progress := contacts.IntakeProgress{JobID: in.JobID, Status: contacts.IntakeRunning}
	if err := workflow.SetQueryHandler(ctx, QueryIntakeProgress, func() (contacts.IntakeProgress, error) { return progress, nil }); err != nil {
		return progress, err
	}
	cancelled, runChunks := false, 0
	cancelCh := workflow.GetSignalChannel(ctx, SignalIntakeCancel)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType},
		},
	})
	finish := func(status, reason string) (contacts.IntakeProgress, error) {
		var p contacts.IntakeProgress
		// A disconnected context so the final status is written even when
		// the workflow itself is being cancelled.
		dctx, _ := workflow.NewDisconnectedContext(actx)
		if err := workflow.ExecuteActivity(dctx, a.FinishIntake, in.JobID, status, reason).Get(dctx, &p); err != nil {
			return progress, err
		}
		progress = p
		return p, nil
	}
	for {
		for cancelCh.ReceiveAsync(nil) {
			cancelled = true
		}
		if cancelled {
			return finish(contacts.IntakeCancelled, "cancelled")
		}
		if runChunks >= intakeChunksPerRun {
			return progress, workflow.NewContinueAsNewError(ctx, ContactIntakeWorkflow, in)
		}
		if in.CasePhase {
			var c *activities.IntakeCases
			var r activities.IntakeCasesResult
			if err := workflow.ExecuteActivity(actx, c.CreateIntakeCases, in.JobID, in.CaseAfterRow, 200).Get(ctx, &r); err != nil {
				if temporal.IsCanceledError(err) {
					return finish(contacts.IntakeCancelled, "cancelled")
				}
				if _, ferr := finish(contacts.IntakeFailed, err.Error()); ferr != nil {
					return progress, ferr
				}
				return progress, err
			}
			if r.Rows == 0 {
				return finish(contacts.IntakeCompleted, "")
			}
			progress.CasesCreated += r.Created
			progress.CasePending -= r.Created + r.Errors
			progress.Errors += r.Errors
			in.CaseAfterRow = r.LastRowNo
			runChunks++
			continue
		}
		var r activities.IntakeChunkResult
		err := workflow.ExecuteActivity(actx, a.ProcessIntakeChunk, in.JobID, in.AfterRowNo, in.ChunkSize).Get(ctx, &r)
		if err != nil {
			if temporal.IsCanceledError(err) {
				return finish(contacts.IntakeCancelled, "cancelled")
			}
			if _, ferr := finish(contacts.IntakeFailed, err.Error()); ferr != nil {
				return progress, ferr
			}
			return progress, err
		}
		progress = r.Progress
		if r.Rows == 0 {
			if progress.CasePending > 0 {
				in.CasePhase = true
				continue
			}
			return finish(contacts.IntakeCompleted, "")
		}
		in.AfterRowNo = r.LastRowNo
		in.Chunks++
		runChunks++
	}
}
