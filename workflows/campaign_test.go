package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/workflows"
)

// campaignFake is an in-memory campaign behind the activities: contacts
// 1..n, every 10th opted out, contact i queued on number i%2+1. It also
// plays the numbers' SenderWorkflows: each CampaignQueue call first "sends"
// up to perPoll due recipients of a running campaign, re-checking quiet
// hours at send time like SenderDrain, and records the (test clock) time.
// The numbers send perSec recipients per second of test time in all.
type campaignFake struct {
	mu       sync.Mutex
	n        int
	perSec   int
	lastSend time.Time
	plan     campaigns.CampaignPlan
	now      func() time.Time
	status   string
	queue    map[int64]time.Time // contact -> not before
	sentAt   map[int64][]time.Time
	skipped  int
	statuss  []string
	afters   []int64
	wakes    []string
	claims   int
	held     bool        // the template is paused by WhatsApp
	queueAt  []time.Time // test-clock times of the Queue polls
}

func newCampaignFake(n, perSec int, q models.QuietHours) *campaignFake {
	return &campaignFake{n: n, perSec: perSec, queue: map[int64]time.Time{}, sentAt: map[int64][]time.Time{},
		plan: campaigns.CampaignPlan{Status: campaigns.CampaignDraft, QuietHours: q,
			Senders: []campaigns.SenderPlan{{ID: 1, ThroughputMPS: 80, Usable: true}, {ID: 2, ThroughputMPS: 80, Usable: true}}}}
}

func (f *campaignFake) Plan(context.Context, int64) (campaigns.CampaignPlan, error) {
	return f.plan, nil
}

func (f *campaignFake) NextContacts(_ context.Context, _, after int64, limit int) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afters = append(f.afters, after)
	var out []int64
	for id := after + 1; id <= int64(f.n) && len(out) < limit; id++ {
		out = append(out, id)
	}
	return out, nil
}

func (f *campaignFake) Claim(_ context.Context, _ int64, ids []int64) (campaigns.ClaimResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims++
	if f.held {
		return campaigns.ClaimResult{}, campaigns.ErrTemplateHeld
	}
	r := campaigns.ClaimResult{Skipped: map[string]int{}}
	now := f.now()
	for _, id := range ids {
		if id%10 == 0 {
			r.Skipped[campaigns.SkipOptedOut]++
			f.skipped++
			continue
		}
		if _, ok := f.queue[id]; !ok && len(f.sentAt[id]) == 0 {
			f.queue[id] = models.NextAllowed(now, jakarta, f.plan.QuietHours)
		}
		r.Sends = append(r.Sends, campaigns.ClaimedSend{ContactID: id, MessageID: 1000 + id, SenderID: id%2 + 1, Zone: models.TZWIB})
	}
	return r, nil
}

func (f *campaignFake) RecordOutcomes(context.Context, int64, []campaigns.SendOutcome) error {
	return nil
}

func (f *campaignFake) SetStatus(_ context.Context, _ int64, status, _ string) (campaigns.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = status
	f.statuss = append(f.statuss, status)
	return campaigns.Campaign{Status: status}, nil
}

func (f *campaignFake) UseSenderDispatch(context.Context, int64) error { return nil }

func (f *campaignFake) RecordProgress(context.Context, int64, campaigns.CampaignQueue) (models.Event, error) {
	return models.Event{}, nil
}

// Queue sends what the numbers would have sent since the last look.
func (f *campaignFake) Queue(context.Context, int64) (campaigns.CampaignQueue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.queueAt = append(f.queueAt, now)
	budget := 0
	if !f.lastSend.IsZero() {
		budget = int(min(now.Sub(f.lastSend), 5*time.Second)/time.Second) * f.perSec // a poll's worth at most
	}
	if f.lastSend.IsZero() || budget > 0 || f.perSec == 0 {
		f.lastSend = now
	}
	if f.status == campaigns.CampaignRunning && !f.held {
		var due []int64
		for id, nb := range f.queue {
			if !nb.After(now) {
				due = append(due, id)
			}
		}
		sort.Slice(due, func(i, j int) bool { return due[i] < due[j] })
		sent := 0
		for _, id := range due {
			if next := models.NextAllowed(now, jakarta, f.plan.QuietHours); next.After(now) {
				f.queue[id] = next // quiet hours began: deferred, like SenderDrain
				continue
			}
			if sent >= budget {
				break
			}
			f.sentAt[id] = append(f.sentAt[id], now)
			delete(f.queue, id)
			sent++
		}
	}
	q := campaigns.CampaignQueue{Queued: int64(len(f.queue)), Skipped: int64(f.skipped), Held: f.held}
	for _, ts := range f.sentAt {
		q.Sent += int64(len(ts))
	}
	seen := map[int64]bool{}
	for id, nb := range f.queue {
		if q.NextDue.IsZero() || nb.Before(q.NextDue) {
			q.NextDue = nb
		}
		if !seen[id%2+1] {
			seen[id%2+1] = true
			q.Senders = append(q.Senders, id%2+1)
		}
	}
	sort.Slice(q.Senders, func(i, j int) bool { return q.Senders[i] < q.Senders[j] })
	return q, nil
}

// SenderWake records wake-ups the campaign asked for.
func (f *campaignFake) SenderWake(_ context.Context, ids []int64, force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wakes = append(f.wakes, fmt.Sprint(ids, force))
	return nil
}

func campaignEnv(t *testing.T, f *campaignFake, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	env.RegisterActivity(&activities.Campaign{Store: f})
	env.RegisterActivityWithOptions(f.SenderWake, activityName("SenderWake"))
	f.now = env.Now
	return env
}

var jakarta, _ = time.LoadLocation(models.TZWIB)

var allDay = models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"}

// Saturday 19:59:40 WIB; Monday 30 Nov is a holiday. The campaign sends
// until 20:00, sleeps durably over Sunday and the holiday (no polling
// through the night), and finishes on Tuesday morning.
func TestCampaignWorkflowQuietHoursAcrossWeekendAndHoliday(t *testing.T) {
	t.Parallel()
	f := newCampaignFake(300, 2, models.QuietHours{Holidays: []string{"2026-11-30"}})
	env := campaignEnv(t, f, time.Date(2026, 11, 28, 19, 59, 40, 0, jakarta))
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 40, Lookahead: 80})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.CampaignProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != campaigns.CampaignCompleted || p.Sent != 270 || p.Skipped != 30 || len(f.sentAt) != 270 {
		t.Fatalf("progress %+v, %d sent", p, len(f.sentAt))
	}
	saturday, tuesday := 0, 0
	for id, ts := range f.sentAt {
		if len(ts) != 1 {
			t.Fatalf("contact %d sent %d times", id, len(ts))
		}
		at := ts[0].In(jakarta)
		switch {
		case at.Day() == 28 && at.Hour() == 19:
			saturday++
		case at.Day() == 1 && at.Hour() >= 8 && at.Hour() < 20:
			tuesday++
		default:
			t.Fatalf("contact %d sent at %s: outside allowed hours", id, at)
		}
	}
	if saturday == 0 || tuesday == 0 {
		t.Fatalf("saturday %d, tuesday %d", saturday, tuesday)
	}
	// Three nights in a row are one durable sleep, not thousands of polls.
	if p.Polls > 40 {
		t.Fatalf("%d polls: the workflow polled through quiet hours", p.Polls)
	}
	if f.statuss[0] != campaigns.CampaignRunning || f.statuss[len(f.statuss)-1] != campaigns.CampaignCompleted {
		t.Fatalf("statuses %v", f.statuss)
	}
}

func TestCampaignWorkflowPauseResumeCancel(t *testing.T) {
	t.Parallel()
	f := newCampaignFake(2000, 10, allDay)
	env := campaignEnv(t, f, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	count := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sentAt) }
	var sentAtPause, sentAtResume int
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCampaignPause, nil) }, 12*time.Second)
	env.RegisterDelayedCallback(func() { sentAtPause = count() }, 20*time.Second)
	env.RegisterDelayedCallback(func() {
		sentAtResume = count()
		v, err := env.QueryWorkflow(workflows.QueryCampaignProgress)
		var p workflows.CampaignProgress
		if err != nil || v.Get(&p) != nil || !p.Paused || p.Status != campaigns.CampaignPaused {
			t.Errorf("paused progress %+v %v", p, err)
		}
		env.SignalWorkflow(workflows.SignalCampaignResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCampaignCancel, nil) }, time.Hour+21*time.Second)
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 100})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.CampaignProgress
	_ = env.GetWorkflowResult(&p)
	if p.Status != campaigns.CampaignCancelled {
		t.Fatalf("status %s", p.Status)
	}
	if sentAtPause == 0 || sentAtPause != sentAtResume {
		t.Fatalf("sent %d at pause, %d an hour later: the pause did not hold", sentAtPause, sentAtResume)
	}
	if n := count(); n <= sentAtResume || n >= 1800 {
		t.Fatalf("sent %d after resume+cancel (resume at %d)", n, sentAtResume)
	}
	want := []string{campaigns.CampaignRunning, campaigns.CampaignPaused, campaigns.CampaignRunning, campaigns.CampaignCancelled}
	if fmt.Sprint(f.statuss) != fmt.Sprint(want) {
		t.Fatalf("statuses %v", f.statuss)
	}
	// After the pause the numbers are woken whatever they report.
	if fmt.Sprint(f.wakes) != "[[1 2] true]" {
		t.Fatalf("wakes %v", f.wakes)
	}
}

func TestCampaignWorkflowContinuesAsNewWithCursor(t *testing.T) {
	t.Parallel()
	f := newCampaignFake(100, 1, allDay)
	env := campaignEnv(t, f, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 10, Lookahead: 10, PagesPerRun: 2})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.CampaignInput
	if err := converterFor().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	pr := next.Progress
	if !pr.Dispatching || pr.Exhausted || pr.After == 0 || pr.Pages == 0 || pr.Sent == 0 || pr.Runs != 1 || next.PagesPerRun != 2 {
		t.Fatalf("carried %+v", next)
	}
	// The next run resumes at the cursor and does not set "running" again.
	env2 := campaignEnv(t, f, time.Date(2026, 11, 24, 10, 5, 0, 0, jakarta))
	next.PagesPerRun = 100
	env2.ExecuteWorkflow(workflows.CampaignWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.CampaignProgress
	if err := env2.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != campaigns.CampaignCompleted || p.Sent != 90 || p.Runs != 2 {
		t.Fatalf("final %+v", p)
	}
	for i, a := range f.afters {
		if i > 0 && a <= f.afters[i-1] {
			t.Fatalf("cursor went back: %v", f.afters)
		}
	}
	if fmt.Sprint(f.statuss) != "[running completed]" {
		t.Fatalf("statuses %v", f.statuss)
	}
}

// A campaign whose recipients stop moving although they are due wakes its
// numbers by force (a lost wake-up costs seconds, not a stalled campaign).
func TestCampaignWorkflowWakesStalledNumbers(t *testing.T) {
	t.Parallel()
	f := newCampaignFake(50, 0, allDay) // the numbers send nothing
	env := campaignEnv(t, f, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	env.RegisterDelayedCallback(func() { f.mu.Lock(); f.perSec = 100; f.mu.Unlock() }, time.Minute)
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 100})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	forced := 0
	for _, w := range f.wakes {
		if w == "[1 2] true" {
			forced++
		}
	}
	if forced == 0 {
		t.Fatalf("no forced wake-up: %v", f.wakes)
	}
}

func activityName(n string) activity.RegisterOptions { return activity.RegisterOptions{Name: n} }

// WhatsApp pauses the template 20 s in and approves it 10 minutes later:
// while held the campaign sends nothing, polls every 15 s instead of every
// 5 s and wakes no number; the moment the hold ends it wakes its numbers and
// finishes, every contact sent once.
func TestCampaignWorkflowWaitsWhileTemplateHeld(t *testing.T) {
	t.Parallel()
	f := newCampaignFake(3000, 50, allDay)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta)
	env := campaignEnv(t, f, start)
	var heldAt, freedAt time.Time
	env.RegisterDelayedCallback(func() { f.mu.Lock(); f.held, heldAt = true, f.now(); f.mu.Unlock() }, 20*time.Second)
	env.RegisterDelayedCallback(func() { f.mu.Lock(); f.held, freedAt = false, f.now(); f.mu.Unlock() }, 10*time.Minute+20*time.Second)
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 500})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	polls := 0
	for _, at := range f.queueAt {
		if at.After(heldAt) && at.Before(freedAt) {
			polls++
		}
	}
	// 10 minutes at one poll per 15 s is 40; at the usual 5 s it would be 120.
	if polls < 35 || polls > 45 {
		t.Fatalf("%d polls while held, want about 40", polls)
	}
	for id, ts := range f.sentAt {
		for _, at := range ts {
			if at.After(heldAt) && at.Before(freedAt) {
				t.Fatalf("contact %d sent at %v while the template was held", id, at.Sub(start))
			}
		}
		if len(ts) != 1 {
			t.Fatalf("contact %d sent %d times", id, len(ts))
		}
	}
	if want := 3000 - 300; len(f.sentAt) != want {
		t.Fatalf("sent %d contacts, want %d", len(f.sentAt), want)
	}
	if len(f.wakes) == 0 || f.wakes[len(f.wakes)-1] != "[1 2] true" {
		t.Fatalf("numbers not woken when the hold ended: %v", f.wakes)
	}
	var res workflows.CampaignProgress
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != campaigns.CampaignCompleted || res.Held {
		t.Fatalf("result %+v %v", res, err)
	}
}
