package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/workflows"
)

// drainScript plays SenderDrain: each call returns the next scripted result
// (the last one repeats) and records the test-clock time it ran.
type drainScript struct {
	mu      sync.Mutex
	now     func() time.Time
	results []activities.DrainResult
	calls   []time.Time
	moved   []int64
}

func (d *drainScript) SenderDrain(_ context.Context, in activities.DrainInput) (activities.DrainResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, d.now())
	i := min(len(d.calls)-1, len(d.results)-1)
	return d.results[i], nil
}

func (d *drainScript) SenderMoveQueued(_ context.Context, id int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.moved = append(d.moved, id)
	return 42, nil
}

func (d *drainScript) offsets(start time.Time) []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]time.Duration, len(d.calls))
	for i, c := range d.calls {
		out[i] = c.Sub(start).Round(time.Second)
	}
	return out
}

var senderStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func senderEnv(d *drainScript) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(senderStart)
	env.RegisterWorkflowWithOptions(workflows.SenderWorkflow, workflow.RegisterOptions{Name: workflows.SenderWorkflowName})
	env.RegisterActivityWithOptions(d.SenderDrain, activityName("SenderDrain"))
	env.RegisterActivityWithOptions(d.SenderMoveQueued, activityName("SenderMoveQueued"))
	d.now = env.Now
	return env
}

func senderState(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.SenderState {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QuerySenderState)
	var st workflows.SenderState
	if err != nil || v.Get(&st) != nil {
		t.Fatalf("query: %v", err)
	}
	return st
}

// Work drains back to back; an idle number waits for a wake-up (not the
// re-check) and then drains at once.
func TestSenderWorkflowDrainsUntilIdleAndWakesOnSignal(t *testing.T) {
	t.Parallel()
	d := &drainScript{results: []activities.DrainResult{{Sent: 80}, {Sent: 80}, {Sent: 5, Idle: true}, {Idle: true}}}
	env := senderEnv(d)
	env.RegisterDelayedCallback(func() {
		if st := senderState(t, env); st.Status != workflows.SenderIdle || st.Sent != 165 {
			t.Errorf("state before wake %+v", st)
		}
		env.SignalWorkflow(workflows.SignalSenderWake, nil)
	}, 10*time.Second)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 30*time.Second)
	env.ExecuteWorkflow(workflows.SenderWorkflow, workflows.SenderInput{SenderID: 7, Recheck: time.Minute})
	got := d.offsets(senderStart)
	want := []time.Duration{0, 0, 0, 10 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("drains at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("drains at %v, want %v", got, want)
		}
	}
}

// RED quality pauses the number: no drain until the re-check, queued
// recipients stay (wait policy), and the state says why.
func TestSenderWorkflowPausesOnRedAndResumesOnRecovery(t *testing.T) {
	t.Parallel()
	red := activities.DrainResult{Block: dispatch.BlockQuality, Reason: "sender +62 21 has RED quality"}
	d := &drainScript{results: []activities.DrainResult{{Sent: 30}, red, red, {Sent: 12, Idle: true}, {Idle: true}}}
	env := senderEnv(d)
	env.RegisterDelayedCallback(func() {
		st := senderState(t, env)
		if st.Status != workflows.SenderPaused || st.Block != dispatch.BlockQuality || st.Reason == "" {
			t.Errorf("paused state %+v", st)
		}
	}, 30*time.Second)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 3*time.Minute+30*time.Second)
	env.ExecuteWorkflow(workflows.SenderWorkflow, workflows.SenderInput{SenderID: 7, Recheck: time.Minute})
	got := d.offsets(senderStart)
	if len(got) < 4 || got[1] != 0 || got[2] != time.Minute || got[3] != 2*time.Minute {
		t.Fatalf("drains at %v: want a re-check a minute apart while RED", got)
	}
	if len(d.moved) != 0 {
		t.Fatalf("moved %v under the wait policy", d.moved)
	}
	if st := senderState(t, env); st.Sent != 42 || st.Status != workflows.SenderIdle {
		t.Fatalf("after recovery %+v", st)
	}
}

// Under the move policy a paused number hands its queue to the others.
func TestSenderWorkflowMovesQueueWhenPaused(t *testing.T) {
	t.Parallel()
	d := &drainScript{results: []activities.DrainResult{{Block: dispatch.BlockStatus, Reason: "flagged"}, {Idle: true}}}
	env := senderEnv(d)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Minute)
	env.ExecuteWorkflow(workflows.SenderWorkflow, workflows.SenderInput{SenderID: 9, Recheck: time.Minute, OnPause: workflows.OnPauseMove})
	if len(d.moved) != 1 || d.moved[0] != 9 {
		t.Fatalf("moved %v", d.moved)
	}
	if st := senderState(t, env); st.Moved != 42 {
		t.Fatalf("state %+v", st)
	}
}

// A warm-up cap holds the number until the next day (durably, across
// re-checks capped at 15 of them); quiet hours hold it until the next
// queued moment.
func TestSenderWorkflowHoldsForWarmupAndQuietHours(t *testing.T) {
	t.Parallel()
	tomorrow := senderStart.Add(14 * time.Hour)
	morning := tomorrow.Add(3 * time.Hour)
	d := &drainScript{results: []activities.DrainResult{
		{Sent: 250, Block: dispatch.BlockWarmup, Reason: "warm-up: 250 of 250", Until: tomorrow},
		{Idle: true, NextDue: morning},
		{Sent: 1, Idle: true},
	}}
	env := senderEnv(d)
	env.RegisterDelayedCallback(func() {
		if st := senderState(t, env); st.Status != workflows.SenderHeld || st.Block != dispatch.BlockWarmup || !st.Until.Equal(tomorrow) {
			t.Errorf("held state %+v", st)
		}
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 18*time.Hour)
	env.ExecuteWorkflow(workflows.SenderWorkflow, workflows.SenderInput{SenderID: 7, Recheck: time.Hour})
	got := d.offsets(senderStart)
	if len(got) < 3 || got[1] != 14*time.Hour || got[2] != 17*time.Hour {
		t.Fatalf("drains at %v: want the next day, then the morning", got)
	}
}

// After LoopsPerRun drains the run continues as new with its counters.
func TestSenderWorkflowContinuesAsNew(t *testing.T) {
	t.Parallel()
	d := &drainScript{results: []activities.DrainResult{{Sent: 10}}}
	env := senderEnv(d)
	env.ExecuteWorkflow(workflows.SenderWorkflow, workflows.SenderInput{SenderID: 3, LoopsPerRun: 5})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.SenderInput
	if err := converterFor().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.SenderID != 3 || next.State.Sent != 50 || next.State.Drains != 5 || next.State.Runs != 1 || next.LoopsPerRun != 5 {
		t.Fatalf("carried %+v", next)
	}
}
