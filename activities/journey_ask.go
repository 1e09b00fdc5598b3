package activities

import (
	"context"

	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
)

// askPromise does an ask_promise_date step's work: without a chosen date
// it sends the list of in.PromiseDates (inside the customer's window only:
// WindowClosed otherwise); with one (in.PromiseDate) it records the
// promise on the contact's open case and sends the confirmation. Both
// keyed by the record's seq, so a retry sends nothing twice.
func (a *Journey) askPromise(ctx context.Context, in JourneyStepInput, rec *journeys.StepRecord) (JourneyStepResult, error) {
	var out JourneyStepResult
	s := in.Step
	key := journeys.SendKey(in.EnrollmentID, s.ID, rec.Seq)
	if in.PromiseDate.IsZero() {
		release, err := a.acquireSend(ctx)
		if err != nil {
			return out, err
		}
		defer release()
		r, err := a.Store.QueueFreeForm(ctx, journeys.FreeFormRequest{EnrollmentID: in.EnrollmentID, ContactID: in.ContactID, SenderID: in.SenderID,
			Key: key, Request: journeys.PromiseList(*s, in.PromiseDates)})
		if err != nil {
			return out, businessOrRetry(err)
		}
		switch {
		case r.Held:
			out.Held, out.HeldUntil, out.Reason = true, r.HeldUntil, r.Reason
			return out, nil
		case r.Skipped != "":
			out.Skipped, out.Reason = r.Skipped, r.Reason
			rec.Status, rec.ExitReason, rec.Step = journeys.EnrollmentExited, r.Skipped, s.ID
			rec.Counts = append(rec.Counts, journeys.Count{Step: s.ID, Counter: journeys.CountExited, Detail: r.Skipped})
			return out, nil
		case r.WindowClosed:
			out.WindowClosed, out.Reason = true, r.Reason
			return out, nil
		}
		publishAfterCommit(ctx, a.Events, a.Log, r.Events...)
		out.MessageID = r.MessageID
		if a.Sender != nil {
			sr, err := a.Sender.SendQueued(ctx, r.MessageID)
			if err != nil {
				return out, err
			}
			if sr.Status == "failed" {
				// Meta refused the list (the window closed meanwhile, a
				// number not on WhatsApp): the step takes its other way.
				out.WindowClosed, out.Reason = true, sr.ErrorReason
				return out, nil
			}
		}
		rec.Counts = append(rec.Counts, journeys.Count{Step: s.ID, Counter: journeys.CountSent})
		return out, nil
	}
	if err := a.updateCase(ctx, in); err != nil {
		return out, err
	}
	// The customer just wrote: the window is open and the answer is not
	// held by a pause. A confirmation that cannot go does not undo the
	// promise.
	r, err := a.Store.QueueFreeForm(ctx, journeys.FreeFormRequest{EnrollmentID: in.EnrollmentID, ContactID: in.ContactID, SenderID: in.SenderID,
		Key: key, Answer: true, Request: inbox.OutboundRequest{Type: "text", Text: journeys.PromiseConfirmation(in.PromiseDate)}})
	if err != nil {
		return out, businessOrRetry(err)
	}
	if r.Skipped != "" || r.WindowClosed || r.Held {
		a.logf("journey: the promise's confirmation was not sent", "enrollment", in.EnrollmentID, "reason", r.Reason)
		return out, nil
	}
	publishAfterCommit(ctx, a.Events, a.Log, r.Events...)
	out.MessageID = r.MessageID
	if a.Sender != nil {
		if _, err := a.Sender.SendQueued(ctx, r.MessageID); err != nil {
			return out, err
		}
	}
	return out, nil
}
