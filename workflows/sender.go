package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/dispatch"
)

// Sender pause policies (SenderInput.OnPause): when a number turns RED or is
// flagged, its queued campaign recipients wait for it, or move to the other
// usable numbers of their campaigns.
const (
	OnPauseWait = "wait"
	OnPauseMove = "move"
)

// SenderInput starts (or continues) one number's dispatcher.
type SenderInput struct {
	SenderID int64
	// DrainFor bounds one drain activity (30 s when zero): longer drains
	// mean fewer history events per message.
	DrainFor time.Duration
	// Recheck is how long an idle or paused number waits without being
	// woken before it looks again (1 min when zero): a lost wake-up costs at
	// most this much.
	Recheck time.Duration
	// OnPause is OnPauseWait (default) or OnPauseMove.
	OnPause string
	// LoopsPerRun bounds a run before continue-as-new (300 when zero).
	LoopsPerRun int
	// State is carried across continue-as-new.
	State SenderState
}

// SenderState is what the state query returns.
type SenderState struct {
	SenderID int64
	Status   string // SenderSending, SenderIdle, SenderWaiting, SenderPaused, SenderHeld
	Block    string // models.Block* when paused or held
	Reason   string
	Until    time.Time // when a hold lifts or the next queued moment
	Sent     int64
	Failed   int64
	Deferred int64
	Moved    int64
	Drains   int64
	Runs     int
}

// SenderWorkflow is the single place that paces what one number sends to
// campaign recipients: it runs one drain activity at a time (each sends for
// up to DrainFor, second by second, within the number's throughput share,
// warm-up cap and portfolio limit), then waits for what the drain reported:
// more work (drain again), nothing due (idle until woken or the next queued
// moment), a hold (until it lifts) or a pause on RED/flag (until the number
// recovers; queued recipients move to other numbers when OnPause is "move").
// Inbox sends take slots of the same per-second budget (models.Dispatch).
func SenderWorkflow(ctx workflow.Context, in SenderInput) (SenderState, error) {
	if in.DrainFor <= 0 {
		in.DrainFor = 30 * time.Second
	}
	if in.Recheck <= 0 {
		in.Recheck = time.Minute
	}
	if in.LoopsPerRun <= 0 {
		in.LoopsPerRun = 300
	}
	st := in.State
	st.SenderID = in.SenderID
	st.Runs++
	if err := workflow.SetQueryHandler(ctx, QuerySenderState, func() (SenderState, error) { return st, nil }); err != nil {
		return st, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(SASenderID).ValueSet(strconv.FormatInt(in.SenderID, 10))); err != nil {
		return st, err
	}
	wake := workflow.GetSignalChannel(ctx, SignalSenderWake)
	var acts *activities.SenderDispatch
	drainCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: in.DrainFor + time.Minute,
		// A drain heartbeats every second: a lost worker is noticed fast
		// and the drain resumes elsewhere from the database.
		HeartbeatTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
	})
	shortCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
	})

	// waitFor sleeps until d passes or a wake-up arrives.
	waitFor := func(d time.Duration) error {
		if d <= 0 {
			return nil
		}
		tctx, stop := workflow.WithCancel(ctx)
		defer stop()
		timer := workflow.NewTimer(tctx, d)
		sel := workflow.NewSelector(ctx)
		var terr error
		sel.AddFuture(timer, func(f workflow.Future) { terr = f.Get(ctx, nil) })
		sel.AddReceive(wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		if err := ctx.Err(); err != nil {
			return err // the workflow itself is cancelled (ops)
		}
		if terr != nil && !temporal.IsCanceledError(terr) {
			return terr
		}
		return nil
	}

	for loop := 0; loop < in.LoopsPerRun && !workflow.GetInfo(ctx).GetContinueAsNewSuggested(); loop++ {
		for wake.ReceiveAsync(nil) {
			// Wake-ups that arrived while draining are covered by this drain.
		}
		st.Status, st.Block, st.Reason, st.Until = SenderSending, "", "", time.Time{}
		var r activities.DrainResult
		err := workflow.ExecuteActivity(drainCtx, acts.SenderDrain, activities.DrainInput{SenderID: in.SenderID, MaxDuration: in.DrainFor}).Get(ctx, &r)
		if err != nil {
			// Only a business error gets here (the sender was deleted).
			return st, err
		}
		st.Drains++
		st.Sent += int64(r.Sent)
		st.Failed += int64(r.Failed)
		st.Deferred += int64(r.Deferred)
		now := workflow.Now(ctx)
		switch {
		case r.Block == dispatch.BlockQuality || r.Block == dispatch.BlockStatus:
			st.Status, st.Block, st.Reason = SenderPaused, r.Block, r.Reason
			if in.OnPause == OnPauseMove {
				var moved int
				if err := workflow.ExecuteActivity(shortCtx, acts.SenderMoveQueued, in.SenderID).Get(ctx, &moved); err != nil {
					return st, err
				}
				st.Moved += int64(moved)
			}
			if err := waitFor(in.Recheck); err != nil {
				return st, err
			}
		case r.Block != dispatch.BlockNone:
			st.Status, st.Block, st.Reason, st.Until = SenderHeld, r.Block, r.Reason, r.Until
			d := r.Until.Sub(now)
			if d <= 0 || d > in.Recheck*15 {
				d = max(min(d, in.Recheck*15), time.Second)
			}
			if err := waitFor(d); err != nil {
				return st, err
			}
		case r.Idle && !r.NextDue.IsZero() && r.NextDue.After(now):
			st.Status, st.Until = SenderWaiting, r.NextDue
			if err := waitFor(min(r.NextDue.Sub(now), in.Recheck*15)); err != nil {
				return st, err
			}
		case r.Idle:
			st.Status = SenderIdle
			if err := waitFor(in.Recheck); err != nil {
				return st, err
			}
		}
	}
	next := in
	next.State = st
	return st, workflow.NewContinueAsNewError(ctx, SenderWorkflow, next)
}
