package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/cases"
)

// CaseConfig holds the case timings. Zero values take the defaults.
type CaseConfig struct {
	// AssignmentExpiry returns an assigned case to the pool after this long
	// without progress (default 7 days).
	AssignmentExpiry time.Duration
	// FollowUpDue is when the first outreach is due after assignment
	// (default 24h); missing it marks the case overdue and reminds the agent.
	FollowUpDue time.Duration
	// RetryAssignEvery re-tries automatic assignment while a case waits in
	// a pool whose strategy is not manual (default 15m).
	RetryAssignEvery time.Duration
	// ContinueAfterOps bounds the history (default 500 operations).
	ContinueAfterOps int
}

func (c CaseConfig) withDefaults() CaseConfig {
	if c.AssignmentExpiry <= 0 {
		c.AssignmentExpiry = 7 * 24 * time.Hour
	}
	if c.FollowUpDue <= 0 {
		c.FollowUpDue = 24 * time.Hour
	}
	if c.RetryAssignEvery <= 0 {
		c.RetryAssignEvery = 15 * time.Minute
	}
	if c.ContinueAfterOps <= 0 {
		c.ContinueAfterOps = 500
	}
	return c
}

// CaseInput starts (or continues) a CaseWorkflow.
type CaseInput struct {
	CaseID int64
	TeamID int64
	Config CaseConfig
	// Carried across continue-as-new; nil on the first run.
	State *CaseState
}

// CaseState is the query answer and what continue-as-new carries.
type CaseState struct {
	CaseID         int64
	Status         string
	TeamID         int64
	AgentID        int64
	Bucket         string
	Strategy       string
	AssignedAt     time.Time
	LastProgressAt time.Time
	FollowUpAt     time.Time
	FollowUpMet    bool
	Overdue        bool
	ExitReason     string
	Transitions    []string
	ContinuedTimes int
	// The team's timings in hours from the last snapshot (0: Config's).
	TeamExpiryHours   int
	TeamFollowUpHours int
}

// CaseAssign, CaseRecall, CaseTransfer, CaseClose and CaseOutcome are the
// update arguments (models types, so the api sends them without importing
// the SDK).
type (
	CaseAssign   = cases.CaseAssign
	CaseRecall   = cases.CaseRecall
	CaseTransfer = cases.CaseTransfer
	CaseClose    = cases.CaseClose
	CaseOutcome  = cases.CaseOutcome
	CaseClaim    = cases.CaseClaim
)

// CustomerReplied is the signal the inbox sends when the debtor writes.
type CustomerReplied struct{ MessageID int64 }

type caseOp struct {
	name string
	arg  any
	done workflow.Settable
}

type caseFlow struct {
	// teamTimings: this run follows the team's case timings (version 1 of
	// "team-case-timings"); runs begun before it keep Config's.
	teamTimings bool
	cfg         CaseConfig
	st          CaseState
	ops         []caseOp
	opsRun      int
	acts        *activities.Case
}

// CaseWorkflow owns one case from pool entry to exit: automatic assignment
// by the team's strategy, follow-up and expiry timers, and the assign /
// recall / transfer / close / outcome updates. Exit writes the reason to
// PostgreSQL and ends the workflow.
func CaseWorkflow(ctx workflow.Context, in CaseInput) (CaseState, error) {
	w := &caseFlow{cfg: in.Config.withDefaults()}
	if in.State != nil {
		w.st = *in.State
	} else {
		w.st = CaseState{CaseID: in.CaseID, TeamID: in.TeamID}
	}
	return w.run(ctx, in)
}

func (w *caseFlow) actx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType},
		},
	})
}

// expiry and followUp are the case timings: the team's when it sets them
// (and this run follows them), else the worker's Config.
func (w *caseFlow) expiry() time.Duration {
	if w.teamTimings && w.st.TeamExpiryHours > 0 {
		return time.Duration(w.st.TeamExpiryHours) * time.Hour
	}
	return w.cfg.AssignmentExpiry
}

func (w *caseFlow) followUp() time.Duration {
	if w.teamTimings && w.st.TeamFollowUpHours > 0 {
		return time.Duration(w.st.TeamFollowUpHours) * time.Hour
	}
	return w.cfg.FollowUpDue
}

func (w *caseFlow) apply(ctx workflow.Context, s activities.CaseSnapshot, transition string) {
	prevAgent := w.st.AgentID
	if w.teamTimings {
		w.st.TeamExpiryHours, w.st.TeamFollowUpHours = s.ExpiryHours, s.FollowUpHours
	}
	w.st.Status, w.st.TeamID, w.st.AgentID = s.Status, s.TeamID, s.AgentID
	if s.Bucket != "" {
		w.st.Bucket = s.Bucket
	}
	if s.ExitReason != "" {
		w.st.ExitReason = s.ExitReason
	}
	now := workflow.Now(ctx)
	if s.AgentID != 0 && s.AgentID != prevAgent {
		// A new assignment starts the follow-up and expiry clocks.
		w.st.AssignedAt, w.st.LastProgressAt = now, now
		w.st.FollowUpAt, w.st.FollowUpMet, w.st.Overdue = now.Add(w.followUp()), false, false
	}
	if s.AgentID == 0 {
		w.st.AssignedAt, w.st.FollowUpAt = time.Time{}, time.Time{}
	}
	w.st.Transitions = append(w.st.Transitions, transition)
	if len(w.st.Transitions) > 50 { // keep the query small; PostgreSQL has the full history
		w.st.Transitions = w.st.Transitions[len(w.st.Transitions)-50:]
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(SACaseStatus).ValueSet(w.st.Status),
		temporal.NewSearchAttributeKeyKeyword(SATeamID).ValueSet(itoa(w.st.TeamID)),
		temporal.NewSearchAttributeKeyKeyword(SAAgentID).ValueSet(itoa(w.st.AgentID)),
		temporal.NewSearchAttributeKeyKeyword(SABucket).ValueSet(w.st.Bucket),
	)
}

func (w *caseFlow) change(ctx workflow.Context, fn any, c activities.CaseChange, transition string) error {
	c.CaseID = w.st.CaseID
	var s activities.CaseSnapshot
	if err := workflow.ExecuteActivity(w.actx(ctx), fn, c).Get(ctx, &s); err != nil {
		return err
	}
	w.apply(ctx, s, transition)
	return nil
}

func (w *caseFlow) autoAssign(ctx workflow.Context) error {
	var r activities.AssignResult
	if err := workflow.ExecuteActivity(w.actx(ctx), w.acts.AutoAssignCase, w.st.CaseID).Get(ctx, &r); err != nil {
		return err
	}
	w.st.Strategy = r.Strategy
	if r.AgentID == 0 {
		return nil
	}
	return w.change(ctx, w.acts.AssignCase, activities.CaseChange{AgentID: r.AgentID, Reason: "auto:" + r.Strategy}, "assigned:auto")
}

func (w *caseFlow) exited() bool { return w.st.Status == activities.CaseExited }

func (w *caseFlow) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryCaseState, func() (CaseState, error) { return w.st, nil }); err != nil {
		return err
	}
	notExited := func() error {
		if w.exited() {
			return fmt.Errorf("case %d has exited (%s)", w.st.CaseID, w.st.ExitReason)
		}
		return nil
	}
	enqueue := func(ctx workflow.Context, name string, arg any) (CaseState, error) {
		f, s := workflow.NewFuture(ctx)
		w.ops = append(w.ops, caseOp{name: name, arg: arg, done: s})
		var out CaseState
		err := f.Get(ctx, &out)
		return out, err
	}
	type upd struct {
		name     string
		handler  any
		validate any
	}
	ups := []upd{
		{UpdateCaseAssign, func(ctx workflow.Context, a CaseAssign) (CaseState, error) { return enqueue(ctx, UpdateCaseAssign, a) },
			func(a CaseAssign) error {
				if a.AgentID <= 0 {
					return errors.New("agentId is required")
				}
				return notExited()
			}},
		{UpdateCaseRecall, func(ctx workflow.Context, a CaseRecall) (CaseState, error) { return enqueue(ctx, UpdateCaseRecall, a) },
			func(CaseRecall) error {
				if err := notExited(); err != nil {
					return err
				}
				if w.st.AgentID == 0 {
					return errors.New("case is not assigned")
				}
				return nil
			}},
		{UpdateCaseTransfer, func(ctx workflow.Context, a CaseTransfer) (CaseState, error) {
			return enqueue(ctx, UpdateCaseTransfer, a)
		},
			func(a CaseTransfer) error {
				if a.TeamID <= 0 {
					return errors.New("teamId is required")
				}
				if a.TeamID == w.st.TeamID {
					return errors.New("case is already in that team")
				}
				return notExited()
			}},
		{UpdateCaseClose, func(ctx workflow.Context, a CaseClose) (CaseState, error) { return enqueue(ctx, UpdateCaseClose, a) },
			func(a CaseClose) error {
				if !slices.Contains(activities.CaseExitReasons, a.Reason) {
					return fmt.Errorf("reason must be one of %v", activities.CaseExitReasons)
				}
				return notExited()
			}},
		{UpdateCaseOutcome, func(ctx workflow.Context, a CaseOutcome) (CaseState, error) {
			return enqueue(ctx, UpdateCaseOutcome, a)
		},
			func(a CaseOutcome) error {
				if a.Outcome == "" {
					return errors.New("outcome is required")
				}
				if a.Outcome == "promise_to_pay" && a.PromiseDate.IsZero() {
					return errors.New("promiseDate is required for promise_to_pay")
				}
				return notExited()
			}},
	}
	// Claim is new: no recorded history holds one, so it needs no version.
	ups = append(ups, upd{UpdateCaseClaim, func(ctx workflow.Context, a CaseClaim) (CaseState, error) { return enqueue(ctx, UpdateCaseClaim, a) },
		func(a CaseClaim) error {
			if a.AgentID <= 0 {
				return errors.New("agentId is required")
			}
			if err := notExited(); err != nil {
				return err
			}
			if w.st.Status != activities.CasePooled {
				return fmt.Errorf("case %d is not in the pool", w.st.CaseID)
			}
			return nil
		}})
	for _, u := range ups {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return err
		}
	}
	return nil
}

// do runs one queued operation; rule violations go back to the caller and
// do not fail the workflow.
func (w *caseFlow) do(ctx workflow.Context, op caseOp) error {
	var err error
	switch a := op.arg.(type) {
	case CaseAssign:
		err = w.change(ctx, w.acts.AssignCase, activities.CaseChange{AgentID: a.AgentID, By: a.By, Reason: "manual"}, "assigned:manual")
	case CaseClaim:
		err = w.change(ctx, w.acts.AssignCase, activities.CaseChange{AgentID: a.AgentID, By: a.AgentID, Reason: "claimed", FromPool: true}, "assigned:claimed")
	case CaseRecall:
		reason := a.Reason
		if reason == "" {
			reason = "recalled"
		}
		err = w.change(ctx, w.acts.RecallCase, activities.CaseChange{Reason: reason, By: a.By}, "pooled:"+reason)
	case CaseTransfer:
		err = w.change(ctx, w.acts.TransferCase, activities.CaseChange{TeamID: a.TeamID, By: a.By, Reason: "transferred"}, "pooled:transferred")
		if err == nil {
			err = w.autoAssign(ctx)
		}
	case CaseClose:
		err = w.change(ctx, w.acts.ExitCase, activities.CaseChange{Reason: a.Reason, By: a.By}, "exited:"+a.Reason)
	case CaseOutcome:
		err = w.change(ctx, w.acts.RecordCaseOutcome, activities.CaseChange{Outcome: a.Outcome, PromiseDate: a.PromiseDate, Note: a.Note, By: a.By}, "outcome:"+a.Outcome)
		if err == nil {
			w.progress(ctx)
			if !a.PromiseDate.IsZero() {
				// A promise sets the next follow-up: the day after it falls due.
				w.st.FollowUpAt, w.st.FollowUpMet, w.st.Overdue = a.PromiseDate.Add(24*time.Hour), false, false
			}
		}
	default:
		err = fmt.Errorf("unknown case operation %s", op.name)
	}
	op.done.Set(w.st, err)
	return nil
}

func (w *caseFlow) progress(ctx workflow.Context) {
	w.st.LastProgressAt = workflow.Now(ctx)
	w.st.FollowUpMet = true
}

func (w *caseFlow) run(ctx workflow.Context, in CaseInput) (CaseState, error) {
	w.teamTimings = workflow.GetVersion(ctx, "team-case-timings", workflow.DefaultVersion, 1) >= 1
	if err := w.register(ctx); err != nil {
		return w.st, err
	}
	replied := workflow.GetSignalChannel(ctx, SignalCaseCustomerSaid)
	if in.State == nil {
		if err := w.change(ctx, w.acts.EnterCasePool, activities.CaseChange{TeamID: in.TeamID, Reason: "entered"}, "pooled:entered"); err != nil {
			return w.st, err
		}
		if err := w.autoAssign(ctx); err != nil {
			return w.st, err
		}
	}

	for !w.exited() {
		if len(w.ops) == 0 && replied.Len() == 0 && w.opsRun >= w.cfg.ContinueAfterOps {
			return w.continueAsNew(ctx, in)
		}
		now := workflow.Now(ctx)
		var due time.Time
		consider := func(t time.Time) {
			if !t.IsZero() && (due.IsZero() || t.Before(due)) {
				due = t
			}
		}
		switch w.st.Status {
		case activities.CasePooled:
			if w.st.Strategy != "manual" {
				consider(now.Add(w.cfg.RetryAssignEvery))
			}
		case activities.CaseAssigned, activities.CaseInProgress:
			consider(w.st.LastProgressAt.Add(w.expiry()))
			if !w.st.FollowUpMet && !w.st.Overdue {
				consider(w.st.FollowUpAt)
			} else if w.st.FollowUpAt.After(now) && !w.st.Overdue {
				consider(w.st.FollowUpAt)
			}
		}
		wake := func() bool { return len(w.ops) > 0 || replied.Len() > 0 }
		timedOut := false
		if due.IsZero() {
			if err := workflow.Await(ctx, wake); err != nil {
				return w.st, err
			}
		} else {
			d := max(due.Sub(now), 0)
			ok, err := workflow.AwaitWithTimeout(ctx, d, wake)
			if err != nil {
				return w.st, err
			}
			timedOut = !ok
		}

		switch {
		case len(w.ops) > 0:
			op := w.ops[0]
			w.ops = w.ops[1:]
			w.opsRun++
			if err := w.do(ctx, op); err != nil {
				return w.st, err
			}
		case replied.Len() > 0:
			var r CustomerReplied
			replied.Receive(ctx, &r)
			w.opsRun++
			if w.st.AgentID != 0 {
				if err := w.change(ctx, w.acts.MarkCaseProgress, activities.CaseChange{Reason: "customer_replied"}, "in_progress:customer_replied"); err != nil {
					return w.st, err
				}
				w.progress(ctx)
			}
		case timedOut:
			if err := w.onTimer(ctx); err != nil {
				return w.st, err
			}
		}
	}
	// Let accepted updates finish answering before the run ends.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	return w.st, nil
}

func (w *caseFlow) onTimer(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	switch w.st.Status {
	case activities.CasePooled:
		return w.autoAssign(ctx)
	case activities.CaseAssigned, activities.CaseInProgress:
		if !now.Before(w.st.LastProgressAt.Add(w.expiry())) {
			// No progress for too long: back to the pool, then to someone else.
			if err := w.change(ctx, w.acts.RecallCase, activities.CaseChange{Reason: "expired"}, "pooled:expired"); err != nil {
				return err
			}
			return w.autoAssign(ctx)
		}
		if !w.st.FollowUpAt.IsZero() && !now.Before(w.st.FollowUpAt) && !w.st.Overdue {
			if w.st.FollowUpMet && now.Sub(w.st.LastProgressAt) < now.Sub(w.st.FollowUpAt) {
				// Progress since the follow-up was set: nothing is overdue.
				w.st.FollowUpAt = time.Time{}
				return nil
			}
			if err := workflow.ExecuteActivity(w.actx(ctx), w.acts.MarkCaseOverdue, w.st.CaseID).Get(ctx, nil); err != nil {
				return err
			}
			w.st.Overdue = true
			w.st.Transitions = append(w.st.Transitions, "overdue")
		}
	}
	return nil
}

func (w *caseFlow) continueAsNew(ctx workflow.Context, in CaseInput) (CaseState, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	st := w.st
	st.ContinuedTimes++
	return w.st, workflow.NewContinueAsNewError(ctx, CaseWorkflow, CaseInput{CaseID: in.CaseID, TeamID: st.TeamID, Config: in.Config, State: &st})
}
