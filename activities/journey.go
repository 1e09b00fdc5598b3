package activities

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
)

// JourneyBackend is the journey data the activities need (JourneyDB
// implements it on PostgreSQL).
type JourneyBackend interface {
	Run(ctx context.Context, enrollmentID int64) (journeys.RunContext, error)
	Record(ctx context.Context, r journeys.StepRecord) (bool, error)
	QueueSend(ctx context.Context, r journeys.SendRequest) (journeys.SendResult, error)
	QueueFreeForm(ctx context.Context, r journeys.FreeFormRequest) (journeys.SendResult, error)
	Assign(ctx context.Context, contactID, senderID, agentID, teamID int64) (models.Conversation, []models.Event, error)
	Attributes(ctx context.Context, contactID int64) (map[string]string, error)
	SetAttribute(ctx context.Context, contactID int64, name, value string) error
	AddTag(ctx context.Context, contactID int64, tag string) error
	FieldDate(ctx context.Context, contactID int64, field string) (time.Time, error)
	OpenCase(ctx context.Context, contactID int64) (int64, error)
}

// JourneyDB binds the journey store to the inbox store its sends and
// assignments go through.
type JourneyDB struct {
	Store journeys.JourneyStore
	Inbox inbox.ConversationStore
}

func (d JourneyDB) Run(ctx context.Context, id int64) (journeys.RunContext, error) {
	return d.Store.Run(ctx, id)
}
func (d JourneyDB) Record(ctx context.Context, r journeys.StepRecord) (bool, error) {
	return d.Store.Record(ctx, r)
}
func (d JourneyDB) QueueSend(ctx context.Context, r journeys.SendRequest) (journeys.SendResult, error) {
	return d.Store.QueueSend(ctx, d.Inbox, r)
}
func (d JourneyDB) QueueFreeForm(ctx context.Context, r journeys.FreeFormRequest) (journeys.SendResult, error) {
	return d.Store.QueueFreeForm(ctx, d.Inbox, r)
}
func (d JourneyDB) Assign(ctx context.Context, contactID, senderID, agentID, teamID int64) (models.Conversation, []models.Event, error) {
	return d.Store.Assign(ctx, d.Inbox, contactID, senderID, agentID, teamID)
}
func (d JourneyDB) Attributes(ctx context.Context, contactID int64) (map[string]string, error) {
	return d.Store.Attributes(ctx, contactID)
}
func (d JourneyDB) SetAttribute(ctx context.Context, contactID int64, name, value string) error {
	return d.Store.SetAttribute(ctx, contactID, name, value)
}
func (d JourneyDB) AddTag(ctx context.Context, contactID int64, tag string) error {
	return d.Store.AddTag(ctx, contactID, tag)
}
func (d JourneyDB) FieldDate(ctx context.Context, contactID int64, field string) (time.Time, error) {
	return d.Store.FieldDate(ctx, contactID, field)
}
func (d JourneyDB) OpenCase(ctx context.Context, contactID int64) (int64, error) {
	return d.Store.OpenCase(ctx, contactID)
}

// JourneyConversations tells a conversation's workflow of an assignment
// (worker.ConversationSignaler).
type JourneyConversations interface {
	Changed(ctx context.Context, c models.Conversation) error
}

// JourneySender sends a stored row within its number's per-second budget,
// exactly once (WABASender, the campaigns' sender). A journey's send does
// not start the conversation's workflow, as a campaign's does not: the
// customer's reply does, and routes the thread to an agent then. A
// workflow per customer would double the Temporal work of an enrollment.
type JourneySender interface {
	SendQueued(ctx context.Context, messageID int64) (SendResult, error)
}

// JourneyCases sends an update to a case's workflow, which owns the case
// (worker.CaseWorkflows).
type JourneyCases interface {
	Update(ctx context.Context, caseID int64, name string, arg any) error
}

// Journey holds the JourneyEnrollmentWorkflow's activities.
type Journey struct {
	Store         JourneyBackend
	Sender        JourneySender
	Conversations JourneyConversations
	Cases         JourneyCases
	Events        models.EventPublisher
	Log           *slog.Logger
	// MaxSends bounds the journey sends in flight in this worker (16 when
	// zero). Every send waits for a slot of its number's per-second budget
	// (a row per second that each send updates); 1,000 enrollments sending
	// at once would queue on that row and on the connection pool, and
	// starve every other activity of the worker.
	MaxSends int
	// Warmup is the numbers' warm-up schedule (config
	// sender_warmup_schedule), which journey sends use as campaigns do.
	Warmup []int

	sendsOnce sync.Once
	sends     chan struct{}
}

// acquireSend takes a place among the sends in flight; release gives it
// back.
func (a *Journey) acquireSend(ctx context.Context) (release func(), err error) {
	a.sendsOnce.Do(func() {
		n := a.MaxSends
		if n <= 0 {
			n = 16
		}
		a.sends = make(chan struct{}, n)
	})
	select {
	case a.sends <- struct{}{}:
		return func() { <-a.sends }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// JourneyRun is what a run of an enrollment's workflow works from.
type JourneyRun struct {
	EnrollmentID int64
	JourneyID    int64
	ContactID    int64
	Version      int
	Status       string
	Step         string // "" before the first step
	Seq          int
	Definition   journeys.Definition
	SenderID     int64
	QuietHours   models.QuietHours
	Zone         string
}

// JourneyLoad reads an enrollment's run: its version's steps, where it
// stands, the journey's number and quiet hours, the customer's zone.
func (a *Journey) JourneyLoad(ctx context.Context, enrollmentID int64) (JourneyRun, error) {
	rc, err := a.Store.Run(ctx, enrollmentID)
	if err != nil {
		return JourneyRun{}, businessOrRetry(err)
	}
	e := rc.Enrollment
	return JourneyRun{EnrollmentID: e.ID, JourneyID: e.JourneyID, ContactID: e.ContactID, Version: e.Version, Status: e.Status,
		Step: e.CurrentStep, Seq: e.Seq, Definition: rc.Definition, SenderID: rc.SenderID, QuietHours: rc.QuietHours, Zone: rc.Zone}, nil
}

// JourneyStepInput is one step's work and the record that follows it.
type JourneyStepInput struct {
	EnrollmentID int64
	ContactID    int64
	SenderID     int64
	// Step is run for its side effect when it is a send_template,
	// ask_promise_date, assign, update_case, set_attribute or tag step
	// (nil: only the record).
	Step *journeys.Step
	// PromiseDate of an update_case step (the workflow computes it), and
	// the date the customer picked at an ask_promise_date step (zero:
	// send the list of PromiseDates).
	PromiseDate  time.Time
	PromiseDates []time.Time
	// ReadField of a wait step: the date it reads (JourneyStepResult.Field).
	ReadField string
	// ReadAttributes for a branch on an attribute.
	ReadAttributes bool
	// Record is applied after the work (its Seq numbers it); a skipped
	// send turns it into an exit at Step.
	Record journeys.StepRecord
	// Then are the counts of the step the work leads to (a wait entered, a
	// stop reached): added only when the work was done.
	Then []journeys.Count
}

// JourneyStepResult says what the step did.
type JourneyStepResult struct {
	// Skipped is the exit reason when the send could not be made (the
	// record then ended the enrollment).
	Skipped    string
	Reason     string
	MessageID  int64
	Field      time.Time
	Attributes map[string]string
	Applied    bool
	// Held: the journey is paused or the number may not send now
	// (Reason); the step did nothing and recorded nothing, and is tried
	// again at HeldUntil when known, else later.
	Held      bool
	HeldUntil time.Time
	// WindowClosed: an ask_promise_date's list could not be sent (the
	// customer's 24-hour window is closed); nothing was queued.
	WindowClosed bool
}

// JourneyStep does one step's work and records it, in that order, so a
// record never claims work that did not happen. Idempotent: the send is
// keyed by enrollment, step and seq (a retry finds the row the first
// attempt stored and hands it on again, which the conversation's send
// treats as the same message); the record applies once per seq; attribute,
// tag and promise writes set the same values again.
func (a *Journey) JourneyStep(ctx context.Context, in JourneyStepInput) (JourneyStepResult, error) {
	var out JourneyStepResult
	rec := in.Record
	if s := in.Step; s != nil {
		switch s.Kind {
		case journeys.KindSendTemplate:
			// The place is held from queueing to Meta's answer.
			release, err := a.acquireSend(ctx)
			if err != nil {
				return out, err
			}
			defer release()
			r, err := a.Store.QueueSend(ctx, journeys.SendRequest{EnrollmentID: in.EnrollmentID, ContactID: in.ContactID, SenderID: in.SenderID,
				TemplateID: s.TemplateID, Variables: s.Variables, Key: journeys.SendKey(in.EnrollmentID, s.ID, rec.Seq), Warmup: a.Warmup})
			if err != nil {
				return out, businessOrRetry(err)
			}
			if r.Held { // paused or out of budget: nothing done, nothing recorded
				out.Held, out.HeldUntil, out.Reason = true, r.HeldUntil, r.Reason
				return out, nil
			}
			if r.Skipped != "" {
				out.Skipped, out.Reason = r.Skipped, r.Reason
				rec.Status, rec.ExitReason, rec.Step = journeys.EnrollmentExited, r.Skipped, s.ID
				rec.Counts = append(rec.Counts, journeys.Count{Step: s.ID, Counter: journeys.CountExited, Detail: r.Skipped})
				break
			}
			publishAfterCommit(ctx, a.Events, a.Log, r.Events...)
			out.MessageID = r.MessageID
			if a.Sender != nil {
				sr, err := a.Sender.SendQueued(ctx, r.MessageID)
				if err != nil {
					return out, err
				}
				if sr.Status == "failed" {
					// Meta refused it for good (not on WhatsApp, blocked):
					// the customer cannot be reached on this journey.
					out.Skipped, out.Reason = journeys.ExitSendFailed, sr.ErrorReason
					rec.Status, rec.ExitReason, rec.Step = journeys.EnrollmentExited, journeys.ExitSendFailed, s.ID
					rec.Counts = append(rec.Counts, journeys.Count{Step: s.ID, Counter: journeys.CountExited, Detail: journeys.ExitSendFailed})
					break
				}
			}
			rec.Counts = append(rec.Counts, journeys.Count{Step: s.ID, Counter: journeys.CountSent})
		case journeys.KindAskPromiseDate:
			r, err := a.askPromise(ctx, in, &rec)
			if err != nil || r.Held {
				return r, err
			}
			out = r
		case journeys.KindAssign:
			c, evs, err := a.Store.Assign(ctx, in.ContactID, in.SenderID, s.AgentID, s.TeamID)
			if err != nil {
				return out, businessOrRetry(err)
			}
			publishAfterCommit(ctx, a.Events, a.Log, evs...)
			if a.Conversations != nil {
				if err := a.Conversations.Changed(ctx, c); err != nil {
					return out, err
				}
			}
		case journeys.KindUpdateCase:
			if err := a.updateCase(ctx, in); err != nil {
				return out, err
			}
		case journeys.KindSetAttribute:
			if err := a.Store.SetAttribute(ctx, in.ContactID, s.Attribute, s.Value); err != nil {
				return out, err
			}
		case journeys.KindTag:
			if err := a.Store.AddTag(ctx, in.ContactID, s.Tag); err != nil {
				return out, err
			}
		}
	}
	if out.Skipped == "" {
		rec.Counts = append(rec.Counts, in.Then...)
	}
	if in.ReadField != "" {
		f, err := a.Store.FieldDate(ctx, in.ContactID, in.ReadField)
		if err != nil {
			return out, err
		}
		out.Field = f
	}
	if in.ReadAttributes {
		at, err := a.Store.Attributes(ctx, in.ContactID)
		if err != nil {
			return out, err
		}
		out.Attributes = at
	}
	ok, err := a.Store.Record(ctx, rec)
	if err != nil {
		return out, err
	}
	out.Applied = ok
	return out, nil
}

// updateCase records the promise on the contact's open case through the
// case's workflow. No open case, or a case without a running workflow,
// records nothing: the journey goes on (the customer still gets the next
// step) and the log says why.
func (a *Journey) updateCase(ctx context.Context, in JourneyStepInput) error {
	caseID, err := a.Store.OpenCase(ctx, in.ContactID)
	if err != nil {
		return err
	}
	if caseID == 0 || a.Cases == nil {
		a.logf("journey: no open case to record a promise on", "contact", in.ContactID, "enrollment", in.EnrollmentID)
		return nil
	}
	err = a.Cases.Update(ctx, caseID, cases.CaseUpdateOutcome, cases.CaseOutcome{Outcome: journeys.CaseActionPromise, PromiseDate: in.PromiseDate,
		Note: fmt.Sprintf("journey enrollment %d, step %s", in.EnrollmentID, in.Step.ID)})
	if code := models.CodeOf(err); code == models.ENotFound || code == models.EConflict || code == models.EUnprocessable {
		a.logf("journey: the case refused the promise", "case", caseID, "enrollment", in.EnrollmentID, "err", err)
		return nil
	}
	return err
}

func (a *Journey) logf(msg string, args ...any) {
	if a.Log != nil {
		a.Log.Info(msg, args...)
	}
}
