package journeys_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
	wfj "github.com/wabascrm/scrm/workflows/journeys"
	"go.temporal.io/sdk/converter"
)

// journeyFake is one enrollment's data behind the activities, in memory:
// it applies step records like JourneyStore.Record (once per seq, nothing
// after the end) and keeps the funnel, the sends (once per key, with the
// test clock's time), assignments, promises, attributes and tags.
type journeyFake struct {
	mu         sync.Mutex
	now        func() time.Time
	def        journeys.Definition
	quiet      models.QuietHours
	zone       string
	status     string
	step       string
	exitReason string
	seq        int
	funnel     map[string]int
	sends      map[string]time.Time // idempotency key -> when queued
	sendSteps  []string
	optedOut   bool
	assigned   []string
	promises   []time.Time
	attrs      map[string]string
	tags       []string
	field      time.Time
	records    int
	// loseRecord: the first Record applies and then fails (a lost reply),
	// so the activity is retried.
	loseRecord bool
	changed    int
	// holdUntil: sends before it are held (the number's budget) with it
	// as the moment they may go; holds counts them.
	holdUntil time.Time
	holds     int
	// windowClosed: free-form sends find the customer's window closed;
	// freeForm are the free-form sends by key (the list's rows or the
	// text), once each.
	windowClosed bool
	freeForm     map[string]string
	freeKeys     []string
}

func newJourneyFake(def journeys.Definition) *journeyFake {
	return &journeyFake{def: def, zone: models.TZWIB, status: journeys.EnrollmentRunning, funnel: map[string]int{},
		sends: map[string]time.Time{}, attrs: map[string]string{}}
}

func (f *journeyFake) Run(context.Context, int64) (journeys.RunContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return journeys.RunContext{Enrollment: journeys.Enrollment{ID: 1, JourneyID: 7, ContactID: 3, Version: 2, Status: f.status, CurrentStep: f.step, Seq: f.seq},
		Definition: f.def, SenderID: 1, QuietHours: f.quiet, Zone: f.zone}, nil
}

func (f *journeyFake) Record(_ context.Context, r journeys.StepRecord) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Seq <= f.seq || f.status != journeys.EnrollmentRunning {
		return false, nil
	}
	f.records++
	f.seq, f.step = r.Seq, r.Step
	if r.Status != "" {
		f.status, f.exitReason = r.Status, r.ExitReason
	}
	for _, c := range r.Counts {
		f.funnel[c.Step+"/"+c.Counter+"/"+c.Detail]++
	}
	if f.loseRecord {
		f.loseRecord = false
		return true, errors.New("connection reset after commit")
	}
	return true, nil
}

func (f *journeyFake) QueueSend(_ context.Context, r journeys.SendRequest) (journeys.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.optedOut {
		return journeys.SendResult{Skipped: journeys.ExitOptedOut}, nil
	}
	if f.now().Before(f.holdUntil) {
		f.holds++
		return journeys.SendResult{Held: true, HeldUntil: f.holdUntil, Reason: "warm-up: 2 of 2 templates sent today"}, nil
	}
	if _, ok := f.sends[r.Key]; !ok {
		f.sends[r.Key] = f.now()
		f.sendSteps = append(f.sendSteps, strings.Split(r.Key, ":")[2])
	}
	return journeys.SendResult{Conversation: models.Conversation{ID: 5, SenderID: r.SenderID, ContactID: r.ContactID}, MessageID: int64(len(f.sends)), Created: true}, nil
}

func (f *journeyFake) QueueFreeForm(_ context.Context, r journeys.FreeFormRequest) (journeys.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.optedOut {
		return journeys.SendResult{Skipped: journeys.ExitOptedOut}, nil
	}
	if f.windowClosed {
		return journeys.SendResult{WindowClosed: true}, nil
	}
	if !r.Answer && f.now().Before(f.holdUntil) {
		f.holds++
		return journeys.SendResult{Held: true, HeldUntil: f.holdUntil, Reason: "the journey is paused"}, nil
	}
	if f.freeForm == nil {
		f.freeForm = map[string]string{}
	}
	if _, ok := f.freeForm[r.Key]; !ok {
		f.freeForm[r.Key] = freeFormText(r.Request)
		f.freeKeys = append(f.freeKeys, r.Key)
	}
	return journeys.SendResult{Conversation: models.Conversation{ID: 5, SenderID: r.SenderID, ContactID: r.ContactID}, MessageID: 100 + int64(len(f.freeForm)), Created: true}, nil
}

func (f *journeyFake) Assign(_ context.Context, contactID, senderID, agentID, teamID int64) (models.Conversation, []models.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assigned = append(f.assigned, fmt.Sprintf("agent %d team %d", agentID, teamID))
	return models.Conversation{ID: 5, SenderID: senderID, ContactID: contactID}, nil, nil
}

func (f *journeyFake) Attributes(context.Context, int64) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.attrs {
		out[k] = v
	}
	return out, nil
}

func (f *journeyFake) SetAttribute(_ context.Context, _ int64, name, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attrs[name] = value
	return nil
}

func (f *journeyFake) AddTag(_ context.Context, _ int64, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags = append(f.tags, tag)
	return nil
}

func (f *journeyFake) FieldDate(context.Context, int64, string) (time.Time, error) {
	return f.field, nil
}
func (f *journeyFake) OpenCase(context.Context, int64) (int64, error) { return 11, nil }

// Update plays the case's workflow.
func (f *journeyFake) Update(_ context.Context, caseID int64, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := arg.(cases.CaseOutcome)
	if caseID != 11 || name != cases.CaseUpdateOutcome || !ok || o.Outcome != journeys.CaseActionPromise {
		return fmt.Errorf("unexpected case update %d %s %+v", caseID, name, arg)
	}
	f.promises = append(f.promises, o.PromiseDate)
	return nil
}

func (f *journeyFake) SendQueued(_ context.Context, id int64) (activities.SendResult, error) {
	return activities.SendResult{MessageID: id, Status: "sent"}, nil
}
func (f *journeyFake) Changed(context.Context, models.Conversation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changed++
	return nil
}

func (f *journeyFake) sentAt() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Time
	for _, t := range f.sends {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func journeyEnv(t *testing.T, f *journeyFake, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(wfj.JourneyEnrollmentWorkflow, workflow.RegisterOptions{Name: workflows.JourneyEnrollmentWorkflowName})
	env.RegisterActivity(&activities.Journey{Store: f, Sender: f, Conversations: f, Cases: f})
	f.now = env.Now
	return env
}

func runJourney(t *testing.T, env *testsuite.TestWorkflowEnvironment, in wfj.JourneyInput) wfj.JourneyState {
	t.Helper()
	env.ExecuteWorkflow(wfj.JourneyEnrollmentWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st wfj.JourneyState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// collectionsJourney is the journey: reminder, a day to answer,
// a follow-up to those who did not, a promise to pay for those who tap
// "saya akan bayar" (payload PAY), an agent for the others who answered.
func collectionsJourney() journeys.Definition {
	return journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: 7},
		{ID: "reply", Kind: journeys.KindWaitForReply, TimeoutSeconds: 86400, Next: "route", Else: "follow"},
		{ID: "route", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnButton, Value: "PAY", Goto: "promise"}}, Else: "agent"},
		{ID: "promise", Kind: journeys.KindUpdateCase, Action: journeys.CaseActionPromise, PromiseDays: 3, Next: "agent"},
		{ID: "agent", Kind: journeys.KindAssign, TeamID: 2, Next: "end"},
		{ID: "follow", Kind: journeys.KindSendTemplate, TemplateID: 8, Next: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
}

func wantFunnel(t *testing.T, f *journeyFake, want map[string]int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.funnel) != fmt.Sprint(want) {
		t.Fatalf("funnel\n got %v\nwant %v", f.funnel, want)
	}
}

var tuesday10 = time.Date(2026, 3, 10, 10, 0, 0, 0, jakarta)

// No reply within the day: the follow-up goes out 24 h later, once, and
// the journey completes in three activities (load, two sends: the first
// send's record also enters the wait, the second's completes).
func TestJourneyNoReplyGetsTheFollowUp(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	env := journeyEnv(t, f, tuesday10)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || f.status != journeys.EnrollmentCompleted || st.Sent != 2 {
		t.Fatalf("state %+v, stored %s", st, f.status)
	}
	at := f.sentAt()
	if fmt.Sprint(f.sendSteps) != "[remind follow]" || !at[0].Equal(tuesday10) || !at[1].Equal(tuesday10.Add(24*time.Hour)) {
		t.Fatalf("sends %v at %v", f.sendSteps, at)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1,
		"follow/entered/": 1, "follow/sent/": 1, "end/entered/": 1})
	if f.records != 2 {
		t.Fatalf("%d records, want 2", f.records)
	}
}

// The customer taps "saya akan bayar": the promise is recorded on the case
// 3 days out (local date), the conversation goes to the team, no follow-up.
func TestJourneyButtonRecordsThePromise(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	env := journeyEnv(t, f, tuesday10)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Payload: "PAY", Text: "Saya akan bayar"})
	}, 2*time.Hour)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || fmt.Sprint(f.sendSteps) != "[remind]" {
		t.Fatalf("state %+v, sends %v", st, f.sendSteps)
	}
	if len(f.promises) != 1 || f.promises[0].Format(time.DateOnly) != "2026-03-13" {
		t.Fatalf("promises %v", f.promises)
	}
	if fmt.Sprint(f.assigned) != "[agent 0 team 2]" || f.changed != 1 {
		t.Fatalf("assigned %v, %d conversation changes", f.assigned, f.changed)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1, "reply/replied/": 1,
		"route/entered/": 1, "route/branched/promise": 1, "promise/entered/": 1, "agent/entered/": 1, "end/entered/": 1})
}

// Another answer goes to an agent: no promise, no follow-up.
func TestJourneyOtherReplyGoesToAnAgent(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	env := journeyEnv(t, f, tuesday10)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Text: "siapa ini?"})
	}, time.Minute)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || len(f.promises) != 0 || fmt.Sprint(f.assigned) != "[agent 0 team 2]" || fmt.Sprint(f.sendSteps) != "[remind]" {
		t.Fatalf("state %+v, promises %v, assigned %v, sends %v", st, f.promises, f.assigned, f.sendSteps)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1, "reply/replied/": 1,
		"route/entered/": 1, "route/branched/agent": 1, "agent/entered/": 1, "end/entered/": 1})
}

// Every step kind in one journey: waits for a duration, a time of day and
// a date field, attribute and tag writes, a branch on an attribute and a
// keyword, an assignment to an agent, a stop.
func TestJourneyEveryStepKind(t *testing.T) {
	t.Parallel()
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "hello", Kind: journeys.KindSendTemplate, TemplateID: 1},
		{ID: "hour", Kind: journeys.KindWait, Wait: &journeys.Wait{Seconds: 3600}},
		{ID: "tier", Kind: journeys.KindSetAttribute, Attribute: "tier", Value: "gold"},
		{ID: "tagged", Kind: journeys.KindTag, Tag: "journey"},
		{ID: "gold", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnAttribute, Attribute: "tier", Value: "gold", Goto: "at"}}, Else: "end"},
		{ID: "at", Kind: journeys.KindWait, Wait: &journeys.Wait{AtTime: "15:30"}},
		{ID: "due", Kind: journeys.KindWait, Wait: &journeys.Wait{Field: "case.due_date", OffsetDays: -1}},
		{ID: "ask", Kind: journeys.KindWaitForReply, TimeoutSeconds: 3600},
		{ID: "kw", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnKeyword, Value: "bayar", Goto: "promise"}}, Else: "end"},
		{ID: "promise", Kind: journeys.KindUpdateCase, Action: journeys.CaseActionPromise},
		{ID: "agent", Kind: journeys.KindAssign, AgentID: 4},
		{ID: "end", Kind: journeys.KindStop},
	}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	f := newJourneyFake(def)
	f.field = time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC) // due Friday: wait until Thursday 09:00
	env := journeyEnv(t, f, tuesday10)
	thursday9 := time.Date(2026, 3, 12, 9, 0, 0, 0, jakarta)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Text: "besok saya bayar"})
	}, thursday9.Sub(tuesday10)+10*time.Minute)
	var atQuery wfj.JourneyState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.QueryJourneyState)
		if err == nil {
			err = v.Get(&atQuery)
		}
		if err != nil {
			t.Error(err)
		}
	}, 3*time.Hour) // waiting for 15:30
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted {
		t.Fatalf("state %+v", st)
	}
	if atQuery.Step != "at" || !atQuery.WaitingUntil.Equal(time.Date(2026, 3, 10, 15, 30, 0, 0, jakarta)) {
		t.Fatalf("query at 13:00: %+v", atQuery)
	}
	if f.attrs["tier"] != "gold" || fmt.Sprint(f.tags) != "[journey]" || fmt.Sprint(f.assigned) != "[agent 4 team 0]" {
		t.Fatalf("attrs %v tags %v assigned %v", f.attrs, f.tags, f.assigned)
	}
	// PromiseDays 0 and no payload date: the promise is for today (Thursday).
	if len(f.promises) != 1 || f.promises[0].Format(time.DateOnly) != "2026-03-12" {
		t.Fatalf("promises %v", f.promises)
	}
	wantFunnel(t, f, map[string]int{"hello/entered/": 1, "hello/sent/": 1, "hour/entered/": 1, "tier/entered/": 1, "tagged/entered/": 1,
		"gold/entered/": 1, "gold/branched/at": 1, "at/entered/": 1, "due/entered/": 1, "ask/entered/": 1, "ask/replied/": 1,
		"kw/entered/": 1, "kw/branched/promise": 1, "promise/entered/": 1, "agent/entered/": 1, "end/entered/": 1})
}

// Saturday 19:30 WIB, a 1 h wait then a second message: the wait would end
// at 20:30, after the contact window, Sunday is closed and Monday is a
// holiday, so the second message goes out on Tuesday at 08:00 local. An
// enrollment that starts at 22:00 sends its first message at 08:00.
func TestJourneyWaitsCrossQuietHoursAndHolidays(t *testing.T) {
	t.Parallel()
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "a", Kind: journeys.KindSendTemplate, TemplateID: 1},
		{ID: "w", Kind: journeys.KindWait, Wait: &journeys.Wait{Seconds: 3600}},
		{ID: "b", Kind: journeys.KindSendTemplate, TemplateID: 2},
	}}
	f := newJourneyFake(def)
	f.quiet = models.QuietHours{Holidays: []string{"2026-03-16"}}
	saturday := time.Date(2026, 3, 14, 19, 30, 0, 0, jakarta)
	env := journeyEnv(t, f, saturday)
	runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	at := f.sentAt()
	if len(at) != 2 || !at[0].Equal(saturday) || !at[1].Equal(time.Date(2026, 3, 17, 8, 0, 0, 0, jakarta)) {
		t.Fatalf("sent at %v", at)
	}

	// The customer's zone decides: 22:00 WIB is 00:00 WIT.
	f2 := newJourneyFake(def)
	f2.zone = models.TZWIT
	wit := models.LoadZone(models.TZWIT)
	env2 := journeyEnv(t, f2, time.Date(2026, 3, 10, 22, 0, 0, 0, jakarta))
	runJourney(t, env2, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	at2 := f2.sentAt()
	if len(at2) != 2 || !at2[0].Equal(time.Date(2026, 3, 11, 8, 0, 0, 0, wit)) || !at2[1].Equal(time.Date(2026, 3, 11, 9, 0, 0, 0, wit)) {
		t.Fatalf("WIT sends at %v", at2)
	}
	for i, ts := range append(at, at2...) {
		loc := jakarta
		if i >= len(at) {
			loc = wit
		}
		if h := ts.In(loc).Hour(); h < 8 || h >= 20 {
			t.Fatalf("sent at %s local", ts.In(loc))
		}
	}
}

// An exit signal ends the enrollment wherever it waits: opt-out exits,
// manual cancels; nothing is sent after it.
func TestJourneyExitSignal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ reason, status string }{
		{journeys.ExitOptedOut, journeys.EnrollmentExited},
		{journeys.ExitManual, journeys.EnrollmentCancelled},
	} {
		t.Run(c.reason, func(t *testing.T) {
			f := newJourneyFake(collectionsJourney())
			env := journeyEnv(t, f, tuesday10)
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(workflows.SignalJourneyExit, wfj.JourneyExit{Reason: c.reason})
			}, 5*time.Hour)
			st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
			if st.Status != c.status || f.status != c.status || f.exitReason != c.reason || fmt.Sprint(f.sendSteps) != "[remind]" {
				t.Fatalf("state %+v, stored %s %s, sends %v", st, f.status, f.exitReason, f.sendSteps)
			}
			if env.Now().Sub(tuesday10) > 6*time.Hour {
				t.Fatalf("ended at %s: the exit waited for the timer", env.Now())
			}
			wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1, "reply/exited/" + c.reason: 1})
		})
	}
}

// A customer who opts out mid-journey gets no follow-up: the send is
// skipped and the enrollment exits at that step.
func TestJourneyOptedOutMidJourneyIsSkipped(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	env := journeyEnv(t, f, tuesday10)
	env.RegisterDelayedCallback(func() { f.mu.Lock(); f.optedOut = true; f.mu.Unlock() }, time.Hour)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentExited || st.ExitReason != journeys.ExitOptedOut || fmt.Sprint(f.sendSteps) != "[remind]" {
		t.Fatalf("state %+v, sends %v", st, f.sendSteps)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1,
		"follow/entered/": 1, "follow/exited/opted_out": 1})
}

// A record whose reply is lost is retried: the send is queued once and
// the funnel counts once.
func TestJourneyRetriedStepCountsOnce(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	f.loseRecord = true
	env := journeyEnv(t, f, tuesday10)
	runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if len(f.sends) != 2 || f.records != 2 {
		t.Fatalf("%d sends, %d records", len(f.sends), f.records)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "reply/entered/": 1,
		"follow/entered/": 1, "follow/sent/": 1, "end/entered/": 1})
}

// A journey that loops (a weekly reminder) continues as new after
// StepsPerRun steps, carrying where it is; the next run goes on from there
// without loading again, and its sends keep distinct keys.
func TestJourneyContinuesAsNew(t *testing.T) {
	t.Parallel()
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: 1},
		{ID: "week", Kind: journeys.KindWait, Wait: &journeys.Wait{Seconds: 7 * 86400}, Next: "remind"},
	}}
	f := newJourneyFake(def)
	env := journeyEnv(t, f, tuesday10)
	env.ExecuteWorkflow(wfj.JourneyEnrollmentWorkflow, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7, StepsPerRun: 5})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next wfj.JourneyInput
	if err := converterFor().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Run == nil || next.State.Steps != 5 || next.State.Runs != 1 || next.State.Seq != 3 || next.State.Step != "week" || next.StepsPerRun != 5 {
		t.Fatalf("carried %+v", next)
	}
	if len(f.sends) != 3 {
		t.Fatalf("%d sends in the first run, want 3", len(f.sends))
	}
	env2 := journeyEnv(t, f, env.Now())
	env2.RegisterDelayedCallback(func() {
		env2.SignalWorkflow(workflows.SignalJourneyExit, wfj.JourneyExit{Reason: journeys.ExitCaseClosed})
	}, 8*24*time.Hour)
	env2.ExecuteWorkflow(wfj.JourneyEnrollmentWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 4 || f.status != journeys.EnrollmentExited || f.exitReason != journeys.ExitCaseClosed {
		t.Fatalf("%d sends, %s %s", len(f.sends), f.status, f.exitReason)
	}
}

// An enrollment whose record says it ended (a re-run after the end) does
// nothing.
func TestJourneyEndedEnrollmentDoesNothing(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(collectionsJourney())
	f.status = journeys.EnrollmentCompleted
	env := journeyEnv(t, f, tuesday10)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || len(f.sends) != 0 || f.records != 0 {
		t.Fatalf("state %+v, %d sends", st, len(f.sends))
	}
}

var jakarta, _ = time.LoadLocation(models.TZWIB)

func converterFor() converter.DataConverter { return converter.GetDefaultDataConverter() }
