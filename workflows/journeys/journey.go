// Package journeys holds the JourneyEnrollmentWorkflow (issue #19): its own
// package beside workflows so that package stays under the size rule.
package journeys

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
)

// JourneyInput starts (or continues) one enrollment's run.
type JourneyInput struct {
	EnrollmentID int64
	JourneyID    int64
	// StepsPerRun bounds the steps of one run before continue-as-new (100
	// when zero); Temporal's suggestion ends a run earlier.
	StepsPerRun int
	// PauseRecheck is how long a send of a paused journey waits before it
	// looks again (10 minutes when zero).
	PauseRecheck time.Duration
	// Run and State are carried across continue-as-new (Run nil: load it).
	Run   *activities.JourneyRun
	State JourneyState
}

// JourneyReply is the customer's message that the journey reacts to: the
// payload of a tapped button, or the text.
type JourneyReply struct {
	Payload string
	Text    string
}

// JourneyExit ends an enrollment early (journeys.ExitOptedOut,
// ExitCaseClosed, ExitManual: manual is a cancel).
type JourneyExit struct{ Reason string }

// JourneyState is what the state query returns.
type JourneyState struct {
	EnrollmentID int64
	JourneyID    int64
	ContactID    int64
	Version      int
	Step         string // the step it is at
	Status       string // journeys.Enrollment*
	ExitReason   string
	Seq          int // step records applied
	// Entered: the current step's entered count was recorded by the
	// record before it (a send followed by a wait records both at once).
	Entered bool
	// Pending counters not yet recorded (branches are pure: their counts
	// travel with the next record).
	Pending []journeys.Count
	// Reply is the customer's answer since the last send (nil: none).
	Reply        *JourneyReply
	WaitingUntil time.Time
	// Held: a send waits because the journey is paused or its number may
	// not send now (HeldReason).
	Held       bool
	HeldReason string `json:",omitempty"`
	Sent       int
	Steps      int
	Runs       int
}

type journeyRun struct {
	in     JourneyInput
	run    *activities.JourneyRun
	st     *JourneyState
	acts   *activities.Journey
	loc    *time.Location
	reply  workflow.ReceiveChannel
	exit   workflow.ReceiveChannel
	exitBy string // an exit signal's reason, once received
}

// JourneyEnrollmentWorkflow runs one contact through one version of a
// journey: a state machine over the version's steps. Sends wait for the
// customer's contact hours (models.NextAllowed in their zone, holidays
// included), waits end on durable timers moved out of quiet hours by the
// same rule, replies and exits arrive as signals. Each step's side effect
// and its funnel record are one activity; pure steps (branches) cost no
// activity, and a send followed by a wait records both in one.
func JourneyEnrollmentWorkflow(ctx workflow.Context, in JourneyInput) (JourneyState, error) {
	if in.StepsPerRun <= 0 {
		in.StepsPerRun = 100
	}
	st := in.State
	fresh := st.Runs == 0
	st.EnrollmentID, st.JourneyID = in.EnrollmentID, in.JourneyID
	st.Runs++
	if err := workflow.SetQueryHandler(ctx, workflows.QueryJourneyState, func() (JourneyState, error) { return st, nil }); err != nil {
		return st, err
	}
	// Ops find every enrollment of a journey by JourneyID (no personal data).
	if err := workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(workflows.SAJourneyID).ValueSet(strconv.FormatInt(in.JourneyID, 10))); err != nil {
		return st, err
	}
	r := &journeyRun{in: in, st: &st, run: in.Run,
		reply: workflow.GetSignalChannel(ctx, workflows.SignalJourneyReply), exit: workflow.GetSignalChannel(ctx, workflows.SignalJourneyExit)}
	if r.run == nil {
		// The starter usually hands the run in (worker.JourneyStarter);
		// without it, load it here.
		var loaded activities.JourneyRun
		if err := workflow.ExecuteLocalActivity(r.local(ctx), r.acts.JourneyLoad, in.EnrollmentID).Get(ctx, &loaded); err != nil {
			return st, err
		}
		r.run = &loaded
	}
	if fresh {
		st.ContactID, st.Version, st.Status, st.Step, st.Seq = r.run.ContactID, r.run.Version, r.run.Status, r.run.Step, r.run.Seq
	}
	r.loc = models.LoadZone(r.run.Zone)
	if st.Status == "" {
		st.Status = journeys.EnrollmentRunning
	}
	if st.Step == "" {
		st.Step = r.run.Definition.StartStep()
	}
	for steps := 0; st.Status == journeys.EnrollmentRunning; steps++ {
		r.drain()
		if r.exitBy != "" {
			return st, r.finishExit(ctx)
		}
		if steps >= in.StepsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			next := in
			next.Run, next.State = r.run, st
			return st, workflow.NewContinueAsNewError(ctx, JourneyEnrollmentWorkflow, next)
		}
		if err := r.step(ctx); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (r *journeyRun) short(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
	})
}

// local runs the short database steps (records, reads, assignments,
// tags) as local activities: a marker in the history instead of a task
// the server schedules, dispatches and records three times. At 100,000
// enrollments that is most of an enrollment's Temporal work.
func (r *journeyRun) local(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
	})
}

// drain takes the signals that arrived without blocking.
func (r *journeyRun) drain() {
	var rp JourneyReply
	for r.reply.ReceiveAsync(&rp) {
		r.st.Reply = &JourneyReply{Payload: rp.Payload, Text: rp.Text}
	}
	var ex JourneyExit
	for r.exit.ReceiveAsync(&ex) {
		if r.exitBy == "" {
			r.exitBy = cmpOr(ex.Reason, journeys.ExitManual)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// wait sleeps durably until t; a reply is kept (and ends the wait when
// onReply), an exit ends it.
func (r *journeyRun) wait(ctx workflow.Context, t time.Time, onReply bool) error {
	defer func() { r.st.WaitingUntil = time.Time{} }()
	for {
		r.drain()
		d := t.Sub(workflow.Now(ctx))
		if d <= 0 || r.exitBy != "" || (onReply && r.st.Reply != nil) {
			return nil
		}
		r.st.WaitingUntil = t
		tctx, stop := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(tctx, d)
		var terr error
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(f workflow.Future) { terr = f.Get(ctx, nil) })
		sel.AddReceive(r.reply, func(c workflow.ReceiveChannel, _ bool) {
			var rp JourneyReply
			c.Receive(ctx, &rp)
			r.st.Reply = &rp
		})
		sel.AddReceive(r.exit, func(c workflow.ReceiveChannel, _ bool) {
			var ex JourneyExit
			c.Receive(ctx, &ex)
			r.exitBy = cmpOr(ex.Reason, journeys.ExitManual)
		})
		sel.Select(ctx)
		stop()
		if err := ctx.Err(); err != nil {
			return err
		}
		if terr != nil && !temporal.IsCanceledError(terr) {
			return terr
		}
	}
}

// exec runs JourneyStep with the record numbered next; the pending counts
// go with it.
func (r *journeyRun) exec(ctx workflow.Context, in activities.JourneyStepInput) (activities.JourneyStepResult, error) {
	in.EnrollmentID, in.ContactID, in.SenderID = r.in.EnrollmentID, r.st.ContactID, r.run.SenderID
	in.Record.EnrollmentID = r.in.EnrollmentID
	in.Record.Seq = r.st.Seq + 1
	in.Record.Counts = append(append([]journeys.Count(nil), r.st.Pending...), in.Record.Counts...)
	var res activities.JourneyStepResult
	var f workflow.Future
	switch {
	case in.Step != nil && (in.Step.Kind == journeys.KindSendTemplate || in.Step.Kind == journeys.KindAskPromiseDate):
		// A send waits for a slot of its number's per-second budget, shared
		// with every campaign and agent on the number: a task of its own.
		f = workflow.ExecuteActivity(workflow.WithStartToCloseTimeout(r.short(ctx), 2*time.Minute), r.acts.JourneyStep, in)
	case in.Step != nil && in.Step.Kind == journeys.KindUpdateCase:
		// The case's workflow answers the update: it may take seconds.
		f = workflow.ExecuteActivity(r.short(ctx), r.acts.JourneyStep, in)
	default:
		f = workflow.ExecuteLocalActivity(r.local(ctx), r.acts.JourneyStep, in)
	}
	if err := f.Get(ctx, &res); err != nil {
		return res, err
	}
	if res.Held { // nothing was recorded: the pending counts wait too
		return res, nil
	}
	r.st.Seq++
	r.st.Pending = nil
	return res, nil
}

func (r *journeyRun) finishExit(ctx workflow.Context) error {
	status := journeys.EnrollmentExited
	if r.exitBy == journeys.ExitManual {
		status = journeys.EnrollmentCancelled
	}
	_, err := r.exec(ctx, activities.JourneyStepInput{Record: journeys.StepRecord{Step: r.st.Step, Status: status, ExitReason: r.exitBy,
		Counts: []journeys.Count{{Step: r.st.Step, Counter: journeys.CountExited, Detail: r.exitBy}}}})
	if err != nil {
		return err
	}
	r.st.Status, r.st.ExitReason = status, r.exitBy
	return nil
}

func entered(id string) journeys.Count {
	return journeys.Count{Step: id, Counter: journeys.CountEntered}
}

// step runs the current step and moves to the next.
func (r *journeyRun) step(ctx workflow.Context) error {
	def := r.run.Definition
	s, ok := def.Step(r.st.Step)
	if !ok { // a validated version has no dangling id: end rather than spin
		return r.complete(ctx, nil)
	}
	r.st.Steps++
	wasEntered := r.st.Entered
	r.st.Entered = false
	enter := func() []journeys.Count {
		if wasEntered {
			return nil
		}
		return []journeys.Count{entered(s.ID)}
	}
	switch s.Kind {
	case journeys.KindStop:
		r.st.Pending = append(r.st.Pending, enter()...)
		return r.complete(ctx, nil)
	case journeys.KindBranch:
		o := journeys.Outcome{}
		if rp := r.st.Reply; rp != nil {
			o = journeys.Outcome{Replied: true, Payload: rp.Payload, Text: rp.Text}
		}
		readsAttrs := false
		for _, rule := range s.Rules {
			readsAttrs = readsAttrs || rule.On == journeys.OnAttribute
		}
		if readsAttrs {
			res, err := r.exec(ctx, activities.JourneyStepInput{ReadAttributes: true, Record: journeys.StepRecord{Step: s.ID, Counts: enter()}})
			if err != nil {
				return err
			}
			o.Attributes = res.Attributes
		} else {
			r.st.Pending = append(r.st.Pending, enter()...)
		}
		tr := def.Next(s.ID, o)
		r.st.Pending = append(r.st.Pending, journeys.Count{Step: s.ID, Counter: journeys.CountBranched, Detail: cmpOr(tr.To, "end")})
		return r.moveTo(ctx, tr.To)
	case journeys.KindWait:
		w := *s.Wait
		var field time.Time
		if !wasEntered || w.Field != "" {
			res, err := r.exec(ctx, activities.JourneyStepInput{ReadField: w.Field, Record: journeys.StepRecord{Step: s.ID, Counts: enter()}})
			if err != nil {
				return err
			}
			field = res.Field
		}
		now := workflow.Now(ctx)
		until := journeys.WaitUntil(w, now, r.loc, field)
		// A wait that would end outside the customer's contact hours ends
		// at the next allowed moment (the kernel's rule, holidays too).
		if allowed := models.NextAllowed(until, r.loc, r.run.QuietHours); !allowed.IsZero() {
			until = allowed
		}
		if err := r.wait(ctx, until, false); err != nil {
			return err
		}
		if r.exitBy != "" {
			return nil
		}
		return r.moveTo(ctx, def.Next(s.ID, journeys.Outcome{}).To)
	case journeys.KindWaitForReply:
		if !wasEntered {
			if _, err := r.exec(ctx, activities.JourneyStepInput{Record: journeys.StepRecord{Step: s.ID, Counts: enter()}}); err != nil {
				return err
			}
		}
		if err := r.wait(ctx, workflow.Now(ctx).Add(time.Duration(s.TimeoutSeconds)*time.Second), true); err != nil {
			return err
		}
		if r.exitBy != "" {
			return nil
		}
		o := journeys.Outcome{TimedOut: r.st.Reply == nil}
		if rp := r.st.Reply; rp != nil {
			o = journeys.Outcome{Replied: true, Payload: rp.Payload, Text: rp.Text}
			r.st.Pending = append(r.st.Pending, journeys.Count{Step: s.ID, Counter: journeys.CountReplied})
		}
		return r.moveTo(ctx, def.Next(s.ID, o).To)
	case journeys.KindAskPromiseDate:
		return r.askPromise(ctx, s, wasEntered, enter)
	}
	// A step with a side effect: send_template, assign, update_case,
	// set_attribute, tag.
	in := activities.JourneyStepInput{Step: &s}
	if s.Kind == journeys.KindSendTemplate {
		if stop, err := r.waitAllowed(ctx); stop || err != nil {
			return err
		}
	}
	if s.Kind == journeys.KindUpdateCase {
		payload := ""
		if r.st.Reply != nil {
			payload = r.st.Reply.Payload
		}
		in.PromiseDate = journeys.PromiseDate(s, workflow.Now(ctx), r.loc, payload)
	}
	counts := enter()
	to := def.Next(s.ID, journeys.Outcome{}).To
	var nextEntered bool
	in.Record, in.Then, nextEntered = r.lookahead(s.ID, to, counts)
	res, err := r.exec(ctx, in)
	if err != nil {
		return err
	}
	if res.Held {
		return r.hold(ctx, res, wasEntered)
	}
	if res.Skipped != "" {
		r.st.Status, r.st.ExitReason = journeys.EnrollmentExited, res.Skipped
		return nil
	}
	if s.Kind == journeys.KindSendTemplate {
		r.st.Sent++
	}
	if in.Record.Status == journeys.EnrollmentCompleted {
		r.st.Status = journeys.EnrollmentCompleted
		r.st.Step = in.Record.Step
		return nil
	}
	r.st.Step, r.st.Entered = to, nextEntered
	return nil
}

// hold waits after a send the journey's pause or the number's budget
// held: the step runs again after the recheck, counted as entered once.
func (r *journeyRun) hold(ctx workflow.Context, res activities.JourneyStepResult, wasEntered bool) error {
	r.st.Entered, r.st.Steps = wasEntered, r.st.Steps-1
	recheck := r.in.PauseRecheck
	if recheck <= 0 {
		recheck = 10 * time.Minute
	}
	until := workflow.Now(ctx).Add(recheck)
	// A number out of budget says when it may send again (the next
	// warm-up day, the portfolio's oldest reach aging out): one timer
	// to then, not a recheck every 10 minutes all night.
	if !res.HeldUntil.IsZero() && workflow.GetVersion(ctx, "held-until", workflow.DefaultVersion, 1) == 1 {
		until = res.HeldUntil
	}
	r.st.Held, r.st.HeldReason = true, res.Reason
	defer func() { r.st.Held, r.st.HeldReason = false, "" }()
	return r.wait(ctx, until, false)
}

// waitAllowed sleeps to the next moment the journey's quiet hours allow a
// message in the customer's zone, before a send. stop: the enrollment ended
// meanwhile (an exit signal), or no moment is ever allowed (it exits, the
// exit recorded). A reply before the send answers an older message: it is
// dropped.
func (r *journeyRun) waitAllowed(ctx workflow.Context) (stop bool, err error) {
	allowed := models.NextAllowed(workflow.Now(ctx), r.loc, r.run.QuietHours)
	if allowed.IsZero() {
		r.exitBy = journeys.ExitNoTime
		return true, r.finishExit(ctx)
	}
	if err := r.wait(ctx, allowed, false); err != nil {
		return true, err
	}
	if r.exitBy != "" {
		return true, nil
	}
	r.st.Reply = nil // a reply answers the newest message
	return false, nil
}

// lookahead builds the record after a side-effect step that leads to to:
// when to is the end or a stop, the same record completes the enrollment;
// when it is a wait, it also counts the wait entered (the wait then needs
// no record of its own unless it reads a date field: nextEntered). The
// next step's counts go in then, which count only when the work was done.
func (r *journeyRun) lookahead(from, to string, counts []journeys.Count) (rec journeys.StepRecord, then []journeys.Count, nextEntered bool) {
	rec = journeys.StepRecord{Step: to, Counts: counts}
	if to == "" {
		rec.Step, rec.Status = from, journeys.EnrollmentCompleted
		return rec, nil, false
	}
	next, _ := r.run.Definition.Step(to)
	switch {
	case next.Kind == journeys.KindStop:
		rec.Status = journeys.EnrollmentCompleted
		return rec, []journeys.Count{entered(to)}, false
	case next.Kind == journeys.KindWaitForReply || (next.Kind == journeys.KindWait && next.Wait != nil && next.Wait.Field == ""):
		return rec, []journeys.Count{entered(to)}, true
	}
	return rec, nil, false
}

// moveTo goes to the step id, or completes the enrollment at "".
func (r *journeyRun) moveTo(ctx workflow.Context, id string) error {
	if id == "" {
		return r.complete(ctx, nil)
	}
	r.st.Step = id
	return nil
}

// complete records the end with the pending counts.
func (r *journeyRun) complete(ctx workflow.Context, counts []journeys.Count) error {
	if _, err := r.exec(ctx, activities.JourneyStepInput{Record: journeys.StepRecord{Step: r.st.Step, Status: journeys.EnrollmentCompleted, Counts: counts}}); err != nil {
		return err
	}
	r.st.Status = journeys.EnrollmentCompleted
	return nil
}
