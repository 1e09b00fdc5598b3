package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker/testenv"
	"github.com/wabascrm/scrm/workflows"
)

// campaignFake is an in-memory audience behind the activities: contacts
// 1..n; every 10th is skipped (opted out); contact i goes to sender i%2+1.
// Sends record the (test-clock) time they happened.
type campaignFake struct {
	mu      sync.Mutex
	n       int
	plan    models.CampaignPlan
	claimed map[int64]int64 // contact -> message
	sent    map[int64]int   // message -> sends
	times   map[int64][]time.Time
	status  []string
	afters  []int64
	now     func() time.Time
}

func newCampaignFake(n, mps int, q models.QuietHours) *campaignFake {
	return &campaignFake{n: n, claimed: map[int64]int64{}, sent: map[int64]int{}, times: map[int64][]time.Time{},
		plan: models.CampaignPlan{Status: models.CampaignDraft, QuietHours: q,
			Senders: []models.SenderPlan{{ID: 1, ThroughputMPS: mps, Usable: true}, {ID: 2, ThroughputMPS: mps, Usable: true}}}}
}

func (f *campaignFake) Plan(context.Context, int64) (models.CampaignPlan, error) { return f.plan, nil }

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

func (f *campaignFake) Claim(_ context.Context, _ int64, ids []int64) (models.ClaimResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := models.ClaimResult{Skipped: map[string]int{}}
	for _, id := range ids {
		if id%10 == 0 {
			r.Skipped[models.SkipOptedOut]++
			continue
		}
		if _, ok := f.claimed[id]; !ok {
			f.claimed[id] = 1000 + id
		}
		r.Sends = append(r.Sends, models.ClaimedSend{ContactID: id, MessageID: f.claimed[id], SenderID: id%2 + 1, Zone: models.TZWIB})
	}
	return r, nil
}

func (f *campaignFake) RecordOutcomes(context.Context, int64, []models.SendOutcome) error { return nil }

func (f *campaignFake) SetStatus(_ context.Context, _ int64, status, _ string) (models.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = append(f.status, status)
	return models.Campaign{Status: status}, nil
}

// SendQueued records the test clock's time of the send.
func (f *campaignFake) SendQueued(ctx context.Context, id int64) (activities.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[id]++
	at := activity.GetInfo(ctx).StartedTime
	if f.now != nil {
		at = f.now()
	}
	f.times[id] = append(f.times[id], at)
	return activities.SendResult{MessageID: id, Status: "sent"}, nil
}

func campaignEnv(t *testing.T, acts *activities.Campaign, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	env.RegisterActivity(acts)
	return env
}

var jakarta, _ = time.LoadLocation(models.TZWIB)

// Saturday 19:59:50 WIB; Monday 30 Nov is a holiday. The campaign sends
// until 20:00, sleeps over Sunday and the holiday, and finishes on Tuesday
// morning, never more than mps per second per sender.
func TestCampaignWorkflowQuietHoursAcrossWeekendAndHoliday(t *testing.T) {
	f := newCampaignFake(300, 5, models.QuietHours{Holidays: []string{"2026-11-30"}})
	start := time.Date(2026, 11, 28, 19, 59, 50, 0, jakarta)
	env := campaignEnv(t, &activities.Campaign{Store: f, Sender: f}, start)
	f.now = env.Now
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 40})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.CampaignProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != models.CampaignCompleted || p.Sent != 270 || p.Skipped != 30 || len(f.sent) != 270 {
		t.Fatalf("progress %+v, %d sent", p, len(f.sent))
	}
	perSecond := map[string]int{}
	saturday, tuesday := 0, 0
	for id, n := range f.sent {
		if n != 1 {
			t.Fatalf("message %d sent %d times", id, n)
		}
		at := f.times[id][0].In(jakarta)
		switch {
		case at.Day() == 28 && at.Hour() == 19:
			saturday++
		case at.Day() == 1 && at.Hour() >= 8 && at.Hour() < 20:
			tuesday++
		default:
			t.Fatalf("message %d sent at %s: outside allowed hours", id, at)
		}
		perSecond[fmt.Sprint((id-1000)%2+1, at.Unix())]++
	}
	for k, n := range perSecond {
		if n > 5 {
			t.Fatalf("sender/second %s: %d sends > 5 mps", k, n)
		}
	}
	if saturday == 0 || tuesday == 0 || saturday+tuesday != 270 {
		t.Fatalf("saturday %d, tuesday %d", saturday, tuesday)
	}
	if f.status[0] != models.CampaignRunning || f.status[len(f.status)-1] != models.CampaignCompleted {
		t.Fatalf("statuses %v", f.status)
	}
}

func TestCampaignWorkflowPauseResumeCancel(t *testing.T) {
	f := newCampaignFake(1000, 10, models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"})
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta)
	env := campaignEnv(t, &activities.Campaign{Store: f, Sender: f}, start)
	var sentAtPause, sentAtResume int
	count := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCampaignPause, nil) }, 5*time.Second)
	env.RegisterDelayedCallback(func() { sentAtPause = count() }, 10*time.Second)
	env.RegisterDelayedCallback(func() {
		sentAtResume = count()
		v, err := env.QueryWorkflow(workflows.QueryCampaignProgress)
		var p workflows.CampaignProgress
		if err != nil || v.Get(&p) != nil || !p.Paused || p.Status != models.CampaignPaused {
			t.Errorf("paused progress %+v %v", p, err)
		}
		env.SignalWorkflow(workflows.SignalCampaignResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCampaignCancel, nil) }, time.Hour+10*time.Second)
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 100})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p workflows.CampaignProgress
	_ = env.GetWorkflowResult(&p)
	if p.Status != models.CampaignCancelled {
		t.Fatalf("status %s", p.Status)
	}
	if sentAtPause == 0 || sentAtPause != sentAtResume {
		t.Fatalf("sent %d at pause, %d an hour later: the pause did not hold", sentAtPause, sentAtResume)
	}
	if len(f.sent) <= sentAtResume || len(f.sent) >= 900 {
		t.Fatalf("sent %d after resume+cancel (resume at %d)", len(f.sent), sentAtResume)
	}
	want := []string{models.CampaignRunning, models.CampaignPaused, models.CampaignRunning, models.CampaignCancelled}
	if fmt.Sprint(f.status) != fmt.Sprint(want) {
		t.Fatalf("statuses %v", f.status)
	}
}

func TestCampaignWorkflowContinuesAsNewWithCursor(t *testing.T) {
	f := newCampaignFake(100, 80, models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"})
	env := campaignEnv(t, &activities.Campaign{Store: f, Sender: f}, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: 1, PageSize: 10, PagesPerRun: 3})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.CampaignInput
	if err := converterFor().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Progress.After != 30 || next.Progress.Pages != 3 || next.Progress.Sent != 27 || next.Progress.Runs != 1 || next.PagesPerRun != 3 || next.Progress.LastRound.IsZero() {
		t.Fatalf("carried %+v", next)
	}
	// The next run resumes at the cursor and does not set "running" again.
	env2 := campaignEnv(t, &activities.Campaign{Store: f, Sender: f}, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	env2.ExecuteWorkflow(workflows.CampaignWorkflow, next)
	if err := env2.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if fmt.Sprint(f.afters) != "[0 10 20 30 40 50]" || len(f.sent) != 54 {
		t.Fatalf("cursors %v, %d sent", f.afters, len(f.sent))
	}
	if fmt.Sprint(f.status) != "[running]" {
		t.Fatalf("statuses %v", f.status)
	}
}

// flakyAPI answers 130429 to every 7th call (nothing sent) and counts real
// sends per recipient.
type flakyAPI struct {
	mu    sync.Mutex
	calls int
	to    map[string]int
}

func (a *flakyAPI) Send(_ context.Context, _ string, m waba.OutboundMessage, _ waba.SendOptions) (waba.SendResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.calls%7 == 0 {
		return waba.SendResult{}, &waba.APIError{HTTPStatus: 429, Code: waba.CodeThroughput, Message: "throughput"}
	}
	a.to[m.To]++
	var r waba.SendResult
	r.Messages = append(r.Messages, struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	}{ID: "wamid." + m.To})
	return r, nil
}

// crashAfterSend is a worker that dies right after Meta accepted the first
// send of every 5th message: the activity fails although the message went out.
type crashAfterSend struct {
	inner   activities.WABASender
	mu      sync.Mutex
	crashed map[int64]bool
}

func (c *crashAfterSend) SendQueued(ctx context.Context, id int64) (activities.SendResult, error) {
	r, err := c.inner.SendQueued(ctx, id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && id%5 == 0 && !c.crashed[id] {
		c.crashed[id] = true
		return r, errors.New("worker lost after send")
	}
	return r, err
}

// On PostgreSQL with the real outbox: throttled sends and an activity that
// fails after Meta accepted are retried, and every recipient still gets
// exactly one template.
func TestCampaignWorkflowRetriedSendsDoNotDoubleSend(t *testing.T) {
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, throughput_mps) VALUES (1, 'PN1', 20), (2, 'PN2', 20)`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED',
		'[{"type":"BODY","text":"Halo {{1}}","example":{"body_text":[["Budi"]]}}]')`)
	exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags) SELECT '+62811' || lpad(g::text, 7, '0'), '62811' || lpad(g::text, 7, '0'), 'C' || g, '{x}'
		FROM generate_series(1, 120) g`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'x', '{"tags":["x"]}')`)
	st := models.CampaignStore{DB: db}
	c, _, err := st.Create(context.Background(), models.Principal{}, models.CampaignInput{Name: "retry", TemplateID: 1, SegmentID: 1,
		SenderIDs: []int64{1, 2}, Variables: map[string]string{"body.1": "contact.name"},
		QuietHours: &models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"}})
	if err != nil {
		t.Fatal(err)
	}
	api := &flakyAPI{to: map[string]int{}}
	sender := &crashAfterSend{inner: activities.WABASender{Outbox: models.Outbox{DB: db, Events: models.EventStore{DB: db}}, API: api}, crashed: map[int64]bool{}}
	env := campaignEnv(t, &activities.Campaign{Store: st, Sender: sender}, time.Date(2026, 11, 24, 10, 0, 0, 0, jakarta))
	env.ExecuteWorkflow(workflows.CampaignWorkflow, workflows.CampaignInput{CampaignID: c.ID, PageSize: 50})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(api.to) != 120 {
		t.Fatalf("%d recipients reached, want 120", len(api.to))
	}
	for to, n := range api.to {
		if n != 1 {
			t.Fatalf("%s got %d templates", to, n)
		}
	}
	if len(sender.crashed) == 0 || api.calls <= 120 {
		t.Fatalf("no retries exercised: %d crashes, %d calls", len(sender.crashed), api.calls)
	}
	v, err := st.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != models.CampaignCompleted || v.Funnel.Sent != 120 || v.Funnel.Queued != 0 {
		t.Fatalf("campaign %s funnel %+v", v.Status, v.Funnel)
	}
}
