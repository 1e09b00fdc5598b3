package workflows_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/workflows"
)

// convFake is an in-memory PostgreSQL stand-in for workflow unit tests.
type convFake struct {
	mu       sync.Mutex
	now      func() time.Time
	snap     activities.ConversationSnapshot
	routeTo  int64
	routed   int
	events   []windowEventAt
	resolved int
	sent     []int64
	attempts map[int64]int
	// behaviour per message id: "permanent", "transient:N" (fail N times), "forever"
	failN     map[int64]int
	permanent map[int64]bool
	marked    map[int64]string
	woke      []time.Time // when WakeSnoozed reopened the conversation
}

type windowEventAt struct {
	Kind string
	At   time.Time
}

func newConvFake(now func() time.Time) *convFake {
	return &convFake{now: now, attempts: map[int64]int{}, failN: map[int64]int{}, permanent: map[int64]bool{}, marked: map[int64]string{}}
}

func (f *convFake) Snapshot(context.Context, int64) (activities.ConversationSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap, nil
}

func (f *convFake) Route(context.Context, int64) (activities.RouteResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routed++
	f.snap.AssigneeID, f.snap.TeamID = f.routeTo, 3
	return activities.RouteResult{AgentID: f.routeTo, TeamID: 3, Strategy: "round_robin"}, nil
}

func (f *convFake) ResolveIfIdle(_ context.Context, _ int64, idle time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now().Sub(f.snap.LastActivityAt) < idle {
		return false, nil
	}
	f.resolved++
	f.snap.Status = "resolved"
	return true, nil
}

func (f *convFake) PublishWindow(_ context.Context, ev activities.WindowEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, windowEventAt{ev.Kind, f.now()})
	return nil
}

func (f *convFake) WakeSnoozed(_ context.Context, _ int64, until time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snap.Status != "snoozed" || f.snap.SnoozedUntil.After(until) {
		return false, nil
	}
	f.woke = append(f.woke, f.now())
	f.snap.Status, f.snap.SnoozedUntil = "open", time.Time{}
	return true, nil
}

func (f *convFake) SendQueued(_ context.Context, id int64) (activities.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[id]++
	if f.permanent[id] {
		return activities.SendResult{MessageID: id, Status: "failed", ErrorCode: 131047, ErrorReason: "outside window"}, nil
	}
	if n, ok := f.failN[id]; ok && (n < 0 || f.attempts[id] <= n) {
		return activities.SendResult{}, errors.New("130429 throughput")
	}
	f.sent = append(f.sent, id)
	f.snap.LastActivityAt = f.now()
	return activities.SendResult{MessageID: id, Status: "sent", Wamid: "wamid.x"}, nil
}

func (f *convFake) MarkFailed(_ context.Context, id int64, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marked[id] = reason
	return nil
}

func (f *convFake) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, e.Kind)
	}
	return out
}

type convEnv struct {
	env   *testsuite.TestWorkflowEnvironment
	fake  *convFake
	start time.Time
}

func newConvEnv(t *testing.T) *convEnv {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	fake := newConvFake(env.Now)
	fake.snap = activities.ConversationSnapshot{ID: 1, SenderID: 10, ContactID: 20, Status: "open", LastInboundAt: start, LastActivityAt: start}
	fake.routeTo = 7
	env.RegisterActivity(&activities.Conversation{Store: fake, Sender: fake})
	return &convEnv{env: env, fake: fake, start: start}
}

func (c *convEnv) run(in workflows.ConversationInput) {
	if in.ConversationID == 0 {
		in.ConversationID, in.SenderID, in.ContactID = 1, 10, 20
	}
	c.env.ExecuteWorkflow(workflows.ConversationWorkflow, in)
}

func TestConversationOpenedByInboundRoutesAndClosesOnTime(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if c.fake.routed != 1 {
		t.Fatalf("routed %d times", c.fake.routed)
	}
	want := []windowEventAt{
		{activities.WindowOpened, c.start},
		{activities.WindowClosing, c.start.Add(23 * time.Hour)},
		{activities.WindowClosed, c.start.Add(24 * time.Hour)},
	}
	if !sameEvents(c.fake.events, want) {
		t.Fatalf("events:\n got %v\nwant %v", c.fake.events, want)
	}
}

func TestConversationAlreadyAssignedIsNotRouted(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.fake.snap.AssigneeID = 99
	c.run(workflows.ConversationInput{})
	if c.fake.routed != 0 || c.env.GetWorkflowError() != nil {
		t.Fatalf("routed=%d err=%v", c.fake.routed, c.env.GetWorkflowError())
	}
}

// A later inbound message moves the window without any signal: the workflow
// re-reads last_inbound_at when its timer fires.
func TestConversationWindowExtendedByLaterInboundWithoutSignal(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.env.RegisterDelayedCallback(func() {
		c.fake.mu.Lock()
		c.fake.snap.LastInboundAt = c.env.Now()
		c.fake.mu.Unlock()
	}, 10*time.Hour)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []windowEventAt{
		{activities.WindowOpened, c.start},
		{activities.WindowClosing, c.start.Add(33 * time.Hour)},
		{activities.WindowClosed, c.start.Add(34 * time.Hour)},
	}
	if !sameEvents(c.fake.events, want) {
		t.Fatalf("events:\n got %v\nwant %v", c.fake.events, want)
	}
}

func TestConversationConfigurableWarningAndWindow(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.run(workflows.ConversationInput{Config: workflows.ConversationConfig{Window: 2 * time.Hour, ClosingWarning: 15 * time.Minute}})
	want := []windowEventAt{
		{activities.WindowOpened, c.start},
		{activities.WindowClosing, c.start.Add(105 * time.Minute)},
		{activities.WindowClosed, c.start.Add(2 * time.Hour)},
	}
	if !sameEvents(c.fake.events, want) || c.env.GetWorkflowError() != nil {
		t.Fatalf("events %v err %v", c.fake.events, c.env.GetWorkflowError())
	}
}

// After the window closed, an inbound message opens a new window (signalled).
func TestConversationReopenedBySignalAfterClose(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	// Keep the run alive past the first close by having a long idle auto-resolve.
	c.env.RegisterDelayedCallback(func() {
		c.fake.mu.Lock()
		c.fake.snap.LastInboundAt = c.env.Now()
		c.fake.mu.Unlock()
		c.env.SignalWorkflow(workflows.SignalConversationInbound, workflows.InboundSignal{MessageID: 5, At: c.env.Now()})
	}, 30*time.Hour)
	c.run(workflows.ConversationInput{Config: workflows.ConversationConfig{AutoResolveAfter: 100 * time.Hour}})
	kinds := c.fake.kinds()
	want := []string{"opened", "closing", "closed", "opened", "closing", "closed"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v want %v", kinds, want)
	}
}

func TestConversationSendsInOrder(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.env.RegisterDelayedCallback(func() {
		for _, id := range []int64{101, 102, 103, 104, 105} {
			c.env.SignalWorkflow(workflows.SignalConversationSend, workflows.SendSignal{MessageID: id})
		}
	}, time.Minute)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.fake.sent, []int64{101, 102, 103, 104, 105}) {
		t.Fatalf("sent %v", c.fake.sent)
	}
}

// Transient errors are retried and keep order; a permanent error fails that
// message only; transient errors that never end mark the message failed.
func TestConversationTransientVersusPermanentSendErrors(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.fake.failN[201] = 2        // 130429 twice, then ok
	c.fake.permanent[202] = true // 131047
	c.fake.failN[203] = -1       // never recovers
	c.env.RegisterDelayedCallback(func() {
		for _, id := range []int64{201, 202, 203, 204} {
			c.env.SignalWorkflow(workflows.SignalConversationSend, workflows.SendSignal{MessageID: id})
		}
	}, time.Minute)
	var state workflows.ConversationState
	c.env.RegisterDelayedCallback(func() {
		v, err := c.env.QueryWorkflow(workflows.QueryConversationState)
		if err != nil {
			t.Error(err)
			return
		}
		_ = v.Get(&state)
	}, 20*time.Hour)
	c.run(workflows.ConversationInput{})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.fake.sent, []int64{201, 204}) {
		t.Fatalf("sent %v", c.fake.sent)
	}
	if c.fake.attempts[201] != 3 || c.fake.attempts[202] != 1 || c.fake.attempts[203] != 8 {
		t.Fatalf("attempts %v", c.fake.attempts)
	}
	if _, ok := c.fake.marked[203]; !ok || len(c.fake.marked) != 1 {
		t.Fatalf("marked %v", c.fake.marked)
	}
	if state.Sent != 2 || state.Failed != 2 || state.AssigneeID != 7 || !state.WindowOpen {
		t.Fatalf("state %+v", state)
	}
}

func TestConversationAutoResolveAfterIdle(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.run(workflows.ConversationInput{Config: workflows.ConversationConfig{AutoResolveAfter: 2 * time.Hour}})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if c.fake.resolved != 1 || c.fake.snap.Status != "resolved" {
		t.Fatalf("resolved=%d status=%s", c.fake.resolved, c.fake.snap.Status)
	}
}

func TestConversationContinuesAsNewCarryingItsQueue(t *testing.T) {
	t.Parallel()
	c := newConvEnv(t)
	c.env.RegisterDelayedCallback(func() {
		for i := int64(1); i <= 40; i++ {
			c.env.SignalWorkflow(workflows.SignalConversationSend, workflows.SendSignal{MessageID: 300 + i})
		}
	}, time.Minute)
	c.run(workflows.ConversationInput{Config: workflows.ConversationConfig{ContinueAfterSends: 15}})
	err := c.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if !slices.Equal(c.fake.sent, []int64{301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315}) {
		t.Fatalf("sent before continuing: %v", c.fake.sent)
	}
	// The next run gets the rest of the queue, in order, and its state.
	var next workflows.ConversationInput
	if err := converterFor().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if len(next.Pending) != 25 || next.Pending[0] != 316 || next.Pending[24] != 340 || !next.Routed || next.Sent != 15 || next.ContinuedTimes != 1 {
		t.Fatalf("carried input %+v", next)
	}
	// Run it (with the default bound): the remaining 25 go out without re-routing.
	next.Config.ContinueAfterSends = 0
	c2 := newConvEnv(t)
	c2.run(next)
	if err := c2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(c2.fake.sent) != 25 || c2.fake.sent[0] != 316 || c2.fake.routed != 0 {
		t.Fatalf("second run sent %v routed %d", c2.fake.sent, c2.fake.routed)
	}
}

func sameEvents(a, b []windowEventAt) bool {
	return slices.EqualFunc(a, b, func(x, y windowEventAt) bool { return x.Kind == y.Kind && x.At.Equal(y.At) })
}

func converterFor() converter.DataConverter { return converter.GetDefaultDataConverter() }

// A snoozed conversation wakes at its time: the run keeps a durable timer to
// it, even with no window to govern (the customer never wrote), and a later
// snooze set meanwhile (a "changed" signal) moves the wake-up.
func TestConversationSnoozeWakesAtItsTime(t *testing.T) {
	t.Parallel()
	t.Run("no window", func(t *testing.T) {
		c := newConvEnv(t)
		c.fake.snap.LastInboundAt, c.fake.snap.AssigneeID = time.Time{}, 7
		c.fake.snap.Status, c.fake.snap.SnoozedUntil = "snoozed", c.start.Add(3*time.Hour)
		c.run(workflows.ConversationInput{Routed: true})
		if err := c.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if !sameTimes(c.fake.woke, c.start.Add(3*time.Hour)) || c.fake.snap.Status != "open" {
			t.Fatalf("woke %v status %s", c.fake.woke, c.fake.snap.Status)
		}
	})
	t.Run("snoozed again until later", func(t *testing.T) {
		c := newConvEnv(t)
		c.fake.snap.Status, c.fake.snap.SnoozedUntil = "snoozed", c.start.Add(3*time.Hour)
		c.env.RegisterDelayedCallback(func() {
			c.fake.mu.Lock()
			c.fake.snap.SnoozedUntil = c.start.Add(30 * time.Hour) // past the window's end
			c.fake.mu.Unlock()
			c.env.SignalWorkflow(workflows.SignalConversationChanged, nil)
		}, time.Hour)
		c.run(workflows.ConversationInput{})
		if err := c.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if !sameTimes(c.fake.woke, c.start.Add(30*time.Hour)) {
			t.Fatalf("woke %v", c.fake.woke)
		}
		if kinds := c.fake.kinds(); !slices.Equal(kinds, []string{"opened", "closing", "closed"}) {
			t.Fatalf("window events %v", kinds)
		}
	})
	t.Run("woken by the customer first", func(t *testing.T) {
		c := newConvEnv(t)
		c.fake.snap.Status, c.fake.snap.SnoozedUntil = "snoozed", c.start.Add(5*time.Hour)
		c.env.RegisterDelayedCallback(func() {
			c.fake.mu.Lock()
			c.fake.snap.Status, c.fake.snap.SnoozedUntil, c.fake.snap.LastInboundAt = "open", time.Time{}, c.env.Now()
			c.fake.mu.Unlock()
			c.env.SignalWorkflow(workflows.SignalConversationInbound, workflows.InboundSignal{MessageID: 9, At: c.env.Now()})
		}, 2*time.Hour)
		c.run(workflows.ConversationInput{})
		if err := c.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(c.fake.woke) != 0 {
			t.Fatalf("woke %v after the customer did", c.fake.woke)
		}
	})
}

func sameTimes(got []time.Time, want ...time.Time) bool {
	return slices.EqualFunc(got, want, time.Time.Equal)
}
