// Package worker builds and runs the Temporal worker: every workflow and
// activity of the product is registered here and nowhere else.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/workflows"
	wfjourneys "github.com/wabascrm/scrm/workflows/journeys"
)

// Activities bundles the activity structs the worker registers.
type Activities struct {
	Probe        *activities.Probe
	Conversation *activities.Conversation
	Case         *activities.Case
	// CaseBulk serves RedistributeWorkflow (needs Case too).
	CaseBulk *activities.CaseBulk
	Intake   *activities.Intake
	// IntakeCases creates the cases of imported rows (needs Intake).
	IntakeCases *activities.IntakeCases
	// TemplateSync reconciles template statuses with Meta periodically.
	TemplateSync *activities.TemplateSync
	// Retention prunes old rows (RetentionWorkflow).
	Retention *activities.Retention
	Campaign  *activities.Campaign
	// Sender serves SenderWorkflow (per-number campaign dispatch).
	Sender *activities.SenderDispatch
	// Media serves MediaFetchWorkflow (customers' files).
	Media *activities.MediaFetch
	// Journey serves JourneyEnrollmentWorkflow (nil until cmd/scrm wires it).
	Journey *activities.Journey
}

// Register puts every workflow and activity on r. Tests call it with the
// same arguments as production so nothing is registered twice by hand.
func Register(r sdkworker.Registry, a Activities) {
	r.RegisterWorkflowWithOptions(workflows.ProbeWorkflow, workflow.RegisterOptions{Name: workflows.ProbeWorkflowName})
	if a.Probe != nil {
		r.RegisterActivity(a.Probe)
	}
	if a.Conversation != nil {
		r.RegisterWorkflowWithOptions(workflows.ConversationWorkflow, workflow.RegisterOptions{Name: workflows.ConversationWorkflowName})
		r.RegisterActivity(a.Conversation)
	}
	if a.Case != nil {
		r.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: workflows.CaseWorkflowName})
		r.RegisterActivity(a.Case)
	}
	if a.CaseBulk != nil {
		r.RegisterWorkflowWithOptions(workflows.RedistributeWorkflow, workflow.RegisterOptions{Name: workflows.RedistributeWorkflowName})
		r.RegisterActivity(a.CaseBulk)
	}
	if a.IntakeCases != nil {
		r.RegisterActivity(a.IntakeCases)
	}
	if a.Retention != nil {
		r.RegisterWorkflowWithOptions(workflows.RetentionWorkflow, workflow.RegisterOptions{Name: workflows.RetentionWorkflowName})
		r.RegisterActivity(a.Retention)
	}
	if a.TemplateSync != nil {
		r.RegisterWorkflowWithOptions(workflows.TemplateSyncWorkflow, workflow.RegisterOptions{Name: workflows.TemplateSyncWorkflowName})
		r.RegisterActivity(a.TemplateSync)
	}
	if a.Intake != nil {
		r.RegisterWorkflowWithOptions(workflows.ContactIntakeWorkflow, workflow.RegisterOptions{Name: workflows.IntakeWorkflowName})
		r.RegisterActivity(a.Intake)
	}
	if a.Campaign != nil {
		r.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
		r.RegisterActivity(a.Campaign)
	}
	if a.Sender != nil {
		r.RegisterWorkflowWithOptions(workflows.SenderWorkflow, workflow.RegisterOptions{Name: workflows.SenderWorkflowName})
		r.RegisterActivity(a.Sender)
	}
	if a.Media != nil {
		r.RegisterWorkflowWithOptions(workflows.MediaFetchWorkflow, workflow.RegisterOptions{Name: workflows.MediaFetchWorkflowName})
		r.RegisterActivity(a.Media)
	}
	if a.Journey != nil {
		r.RegisterWorkflowWithOptions(wfjourneys.JourneyEnrollmentWorkflow, workflow.RegisterOptions{Name: workflows.JourneyEnrollmentWorkflowName})
		r.RegisterActivity(a.Journey)
	}
}

// Worker runs one Temporal worker on one task queue.
type Worker struct {
	Client     client.Client
	TaskQueue  string
	Activities Activities
	Logger     *slog.Logger
	// Background loops that live as long as the worker (e.g. the window
	// signal drainer).
	Background []func(context.Context) error
}

// Run serves the task queue until ctx is done, then stops the worker: the
// SDK lets in-flight activities finish within WorkerStopTimeout.
func (w *Worker) Run(ctx context.Context) error {
	wk := sdkworker.New(w.Client, w.TaskQueue, sdkworker.Options{
		WorkerStopTimeout: 15 * time.Second,
	})
	Register(wk, w.Activities)
	if err := wk.Start(); err != nil {
		return fmt.Errorf("start temporal worker on %q: %w", w.TaskQueue, err)
	}
	w.Logger.Info("temporal worker started", "task_queue", w.TaskQueue)
	var wg sync.WaitGroup
	for _, run := range w.Background {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				w.Logger.Error("worker background loop stopped", "err", err)
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	wk.Stop()
	w.Logger.Info("temporal worker stopped", "task_queue", w.TaskQueue)
	return nil
}
