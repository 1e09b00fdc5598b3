package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/sla"
	"github.com/wabascrm/scrm/workflows"
)

// slaFake is the wait of one conversation, armed with the real rule
// (sla.Policy.Moments) as models/sla.WaitStore arms it.
type slaFake struct {
	mu       sync.Mutex
	policy   sla.Policy
	wait     sla.Wait
	recorded []activities.SLARecord
}

func (f *slaFake) Arm(context.Context, int64) (sla.Wait, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wait.Since.IsZero() {
		return sla.Wait{}, nil
	}
	f.wait.NearAt, f.wait.DueAt = f.policy.Moments(f.wait.Kind, f.wait.Since)
	return f.wait, nil
}

func (f *slaFake) Record(_ context.Context, id int64, since time.Time, level string, at time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !since.Equal(f.wait.Since) || f.wait.Breached || (level == sla.LevelNear && f.wait.NearSent) {
		return false, nil
	}
	f.recorded = append(f.recorded, activities.SLARecord{ConversationID: id, WaitSince: since, Level: level, At: at})
	f.wait.NearSent = true
	f.wait.Breached = level == sla.LevelBreach
	return true, nil
}

func (f *slaFake) set(since time.Time, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wait = sla.Wait{Since: since, Kind: kind}
}

func (f *slaFake) records() []activities.SLARecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]activities.SLARecord(nil), f.recorded...)
}

func newSLAEnv(t *testing.T, p sla.Policy) (*convEnv, *slaFake) {
	t.Helper()
	c := newConvEnv(t)
	f := &slaFake{policy: p}
	c.env.RegisterActivity(&activities.Conversation{Store: c.fake, Sender: c.fake, SLA: f})
	return c, f
}

func businessPolicy(firstSecs, nextSecs int) sla.Policy {
	return sla.Policy{Enabled: true, FirstResponseSecs: firstSecs, NextResponseSecs: nextSecs, NearBreachPct: 80, BusinessHours: true,
		Zone: "Asia/Jakarta", WorkDays: models.Int64List{1, 2, 3, 4, 5}, DayStart: 480, DayEnd: 1020}
}

// The customer writes on Monday at 16:00 Jakarta time (09:00 UTC); the
// team answers within 90 business minutes: 60 on Monday until 17:00 and 30
// on Tuesday from 08:00. Nobody answers: the near-breach (72 minutes) fires
// at Tuesday 08:12 and the breach at 08:30 exactly, once each, by the
// workflow's own timers (the test server skips the night).
func TestConversationSLABreachAtTheExactMinuteAcrossTheNight(t *testing.T) {
	t.Parallel()
	c, f := newSLAEnv(t, businessPolicy(90*60, 0))
	f.set(c.start, sla.KindFirst)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := f.records()
	near := time.Date(2026, 11, 3, 8, 12, 0, 0, jakarta)
	due := time.Date(2026, 11, 3, 8, 30, 0, 0, jakarta)
	if len(got) != 2 || got[0].Level != sla.LevelNear || !got[0].At.Equal(near) || got[1].Level != sla.LevelBreach || !got[1].At.Equal(due) ||
		!got[1].WaitSince.Equal(c.start) {
		t.Fatalf("recorded %+v, want near at %s and breach at %s", got, near, due)
	}
}

// An answer before the target ends the wait: the timer fires, the reload
// finds nobody waiting, nothing is recorded.
func TestConversationSLAAnsweredInTimeRecordsNothing(t *testing.T) {
	t.Parallel()
	p := businessPolicy(600, 0)
	p.BusinessHours = false
	c, f := newSLAEnv(t, p)
	f.set(c.start, sla.KindFirst)
	c.env.RegisterDelayedCallback(func() { f.set(time.Time{}, "") }, 5*time.Minute)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := f.records(); len(got) != 0 {
		t.Fatalf("recorded %+v", got)
	}
}

// A next-response wait inside the window reaches the workflow as an
// inbound signal (the relay of window_signals, migration 00230); it arms a
// timer from that wait, and a wait that outlives the window keeps the run
// alive until its breach is recorded.
func TestConversationSLANextResponseSignalledAndOutlivesTheWindow(t *testing.T) {
	t.Parallel()
	p := businessPolicy(0, 30*3600) // 30 h on the wall clock
	p.BusinessHours = false
	c, f := newSLAEnv(t, p)
	since := c.start.Add(2 * time.Hour)
	c.env.RegisterDelayedCallback(func() {
		f.set(since, sla.KindNext)
		c.env.SignalWorkflow(workflows.SignalConversationInbound, workflows.InboundSignal{MessageID: 5, At: since})
	}, 2*time.Hour)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := f.records()
	if len(got) != 2 || !got[0].At.Equal(since.Add(24*time.Hour)) || got[1].Level != sla.LevelBreach || !got[1].At.Equal(since.Add(30*time.Hour)) {
		t.Fatalf("recorded %+v", got)
	}
	if k := c.fake.kinds(); len(k) != 3 || k[2] != activities.WindowClosed {
		t.Fatalf("window events %v", k)
	}
}
