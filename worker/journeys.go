package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
	wfjourneys "github.com/wabascrm/scrm/workflows/journeys"
)

// JourneyWorkflows starts and signals the enrollments' workflows.
type JourneyWorkflows struct {
	Client    client.Client
	TaskQueue string
	// PauseRecheck and StepsPerRun go into every enrollment's input (zero:
	// the workflow's defaults); only tests shorten them.
	PauseRecheck time.Duration
	StepsPerRun  int
}

// Start starts an enrollment's workflow with its run (nil: the workflow
// loads it); one that runs or ran is kept.
func (w JourneyWorkflows) Start(ctx context.Context, journeyID, enrollmentID int64, run *activities.JourneyRun) error {
	id := workflows.JourneyEnrollmentWorkflowID(journeyID, enrollmentID)
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: w.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.JourneyEnrollmentWorkflowName, wfjourneys.JourneyInput{EnrollmentID: enrollmentID, JourneyID: journeyID,
		PauseRecheck: w.PauseRecheck, StepsPerRun: w.StepsPerRun, Run: run})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s: %w", id, err)
	}
	return nil
}

// Signal hands one outbox row to its workflow. An enrollment whose
// workflow ended has nothing to hear: the row is moot, not an error.
func (w JourneyWorkflows) Signal(ctx context.Context, s journeys.Signal) error {
	id := workflows.JourneyEnrollmentWorkflowID(s.JourneyID, s.EnrollmentID)
	var err error
	switch s.Kind {
	case journeys.SignalReply:
		err = w.Client.SignalWorkflow(ctx, id, "", workflows.SignalJourneyReply, wfjourneys.JourneyReply{Payload: s.Payload, Text: s.Body})
	case journeys.SignalExit:
		err = w.Client.SignalWorkflow(ctx, id, "", workflows.SignalJourneyExit, wfjourneys.JourneyExit{Reason: s.Reason})
	default:
		return nil
	}
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("signal %s to %s: %w", s.Kind, id, err)
	}
	return nil
}

// JourneyStarter starts the workflows of new enrollments (the API, a
// segment or an uploaded list wrote them in bulk) and marks them started,
// in batches: a crash between the two starts them again, which Temporal
// refuses as a duplicate id.
type JourneyStarter struct {
	Store     journeys.JourneyStore
	Workflows JourneyWorkflows
	// Runs loads what each workflow works from, so that it starts with it
	// instead of loading it in an activity of its own (nil: they load it).
	Runs interface {
		JourneyLoad(ctx context.Context, enrollmentID int64) (activities.JourneyRun, error)
	}
	// Every is the poll period when nothing waits (500 ms when zero).
	Every  time.Duration
	Logger *slog.Logger
}

// Relay batch sizes and concurrency of the journey starter and relay: a
// start is one round trip to Temporal, 16 in flight keep a 100,000
// enrollment launch at hundreds per second without starving the worker.
const (
	journeyBatch    = 500
	journeyParallel = 16
	journeyLease    = 30 * time.Second
)

// Run starts until ctx is done.
func (s JourneyStarter) Run(ctx context.Context) error {
	return pollLoop(ctx, s.Every, journeyBatch, s.Logger, "journey starter", func(ctx context.Context) (int, error) {
		rows, err := s.Store.ClaimUnstarted(ctx, journeyBatch)
		if err != nil || len(rows) == 0 {
			return 0, err
		}
		done, err := parallel(ctx, journeyParallel, rows, func(ctx context.Context, u journeys.Unstarted) error {
			var run *activities.JourneyRun
			if s.Runs != nil {
				// A run that cannot be read here is read by the workflow,
				// which then fails where ops see it.
				if r, err := s.Runs.JourneyLoad(ctx, u.ID); err == nil {
					run = &r
				}
			}
			return s.Workflows.Start(ctx, u.JourneyID, u.ID, run)
		})
		ids := make([]int64, len(done))
		for i, u := range done {
			ids[i] = u.ID
		}
		if merr := s.Store.MarkStarted(ctx, ids); merr != nil {
			return len(rows), merr
		}
		return len(rows), err
	})
}

// JourneySignalRelay delivers the journey_signals outbox (replies, exits
// written by triggers with the message, the opt-out or the closed case)
// to the enrollments' workflows, and deletes what it delivered.
type JourneySignalRelay struct {
	Store     journeys.JourneyStore
	Workflows JourneyWorkflows
	Every     time.Duration // poll period when empty (200 ms when zero)
	Logger    *slog.Logger
}

// Run relays until ctx is done.
func (r JourneySignalRelay) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	return pollLoop(ctx, every, journeyBatch, r.Logger, "journey signal relay", func(ctx context.Context) (int, error) {
		rows, err := r.Store.ClaimSignals(ctx, journeyBatch, journeyLease)
		if err != nil || len(rows) == 0 {
			return 0, err
		}
		// One enrollment's signals keep their order: they go in one task.
		groups := groupInOrder(rows, func(s journeys.Signal) int64 { return s.EnrollmentID })
		done, err := parallel(ctx, journeyParallel, groups, func(ctx context.Context, g []journeys.Signal) error {
			for _, s := range g {
				if err := r.Workflows.Signal(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		var ids []int64
		for _, g := range done {
			for _, s := range g {
				ids = append(ids, s.ID)
			}
		}
		if derr := r.Store.SignalsDone(ctx, ids); derr != nil {
			return len(rows), derr
		}
		return len(rows), err
	})
}

// pollLoop runs once until ctx is done: again at once after a full batch
// (once returned batch), else after every (500 ms when zero).
func pollLoop(ctx context.Context, every time.Duration, batch int, log *slog.Logger, name string, once func(context.Context) (int, error)) error {
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	for {
		n, err := once(ctx)
		if err != nil && ctx.Err() == nil && log != nil {
			log.Warn(name, "err", err)
		}
		if n == batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// parallel runs fn over items, width at a time, and returns the items it
// succeeded for and the first error.
// groupInOrder splits items by key, each group in the items' order and the
// groups in the order their keys first appear: the relays' unit of work,
// whose items must go one after the other.
func groupInOrder[T any, K comparable](items []T, key func(T) K) [][]T {
	at := map[K]int{}
	var groups [][]T
	for _, it := range items {
		k := key(it)
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], it)
	}
	return groups
}

func parallel[T any](ctx context.Context, width int, items []T, fn func(context.Context, T) error) ([]T, error) {
	var (
		mu    sync.Mutex
		done  []T
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, width)
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := fn(ctx, it)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			done = append(done, it)
		})
	}
	wg.Wait()
	return done, first
}
