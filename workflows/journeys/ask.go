package journeys

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/journeys"
)

// askPromise runs an ask_promise_date step: at an allowed moment it sends
// the list of the next business days (one activity, which also counts the
// step entered and sent), waits for the tap up to the step's timeout, and
// on a date it offered records the promise on the case and confirms it
// (a second activity, whose record moves on to Next). A closed 24-hour
// window, no date to offer, another answer or no answer go to Else.
func (r *journeyRun) askPromise(ctx workflow.Context, s journeys.Step, wasEntered bool, enter func() []journeys.Count) error {
	def := r.run.Definition
	if stop, err := r.waitAllowed(ctx); stop || err != nil {
		return err
	}
	offered := journeys.PromiseChoices(workflow.Now(ctx), r.loc, r.run.QuietHours, s.Dates)
	elseTo := def.Next(s.ID, journeys.Outcome{TimedOut: true}).To
	if len(offered) == 0 {
		r.st.Pending = append(r.st.Pending, enter()...)
		return r.moveTo(ctx, elseTo)
	}
	res, err := r.exec(ctx, activities.JourneyStepInput{Step: &s, PromiseDates: offered, Record: journeys.StepRecord{Step: s.ID, Counts: enter()}})
	if err != nil {
		return err
	}
	switch {
	case res.Held:
		return r.hold(ctx, res, wasEntered)
	case res.Skipped != "":
		r.st.Status, r.st.ExitReason = journeys.EnrollmentExited, res.Skipped
		return nil
	case res.WindowClosed:
		return r.moveTo(ctx, elseTo)
	}
	r.st.Sent++
	if err := r.wait(ctx, workflow.Now(ctx).Add(time.Duration(s.TimeoutSeconds)*time.Second), true); err != nil {
		return err
	}
	if r.exitBy != "" {
		return nil
	}
	rp := r.st.Reply
	if rp == nil {
		return r.moveTo(ctx, elseTo)
	}
	r.st.Pending = append(r.st.Pending, journeys.Count{Step: s.ID, Counter: journeys.CountReplied})
	chosen, ok := journeys.ChosenPromise(rp.Payload, offered)
	if !ok {
		return r.moveTo(ctx, def.Next(s.ID, journeys.Outcome{Replied: true, Payload: rp.Payload, Text: rp.Text}).To)
	}
	to := def.Next(s.ID, journeys.Outcome{Replied: true, Promised: true, Payload: rp.Payload}).To
	in := activities.JourneyStepInput{Step: &s, PromiseDate: chosen}
	var nextEntered bool
	in.Record, in.Then, nextEntered = r.lookahead(s.ID, to, nil)
	if _, err := r.exec(ctx, in); err != nil {
		return err
	}
	if in.Record.Status == journeys.EnrollmentCompleted {
		r.st.Status, r.st.Step = journeys.EnrollmentCompleted, in.Record.Step
		return nil
	}
	r.st.Step, r.st.Entered = to, nextEntered
	return nil
}
