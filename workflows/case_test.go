package workflows_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/workflows"
)

// caseFake is an in-memory stand-in for the case tables.
type caseFake struct {
	mu       sync.Mutex
	s        activities.CaseSnapshot
	strategy string
	next     []int64 // agents AutoAssign hands out, in order (0 = nobody)
	disabled map[int64]bool
	log      []string
	overdue  int
	// The team's timings every snapshot carries (0: the worker's defaults).
	expiryHours, followUpHours int
}

func (f *caseFake) rec(s string) { f.log = append(f.log, s) }

func (f *caseFake) EnterPool(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s = activities.CaseSnapshot{ID: c.CaseID, Status: activities.CasePooled, TeamID: c.TeamID, Bucket: "B1",
		ExpiryHours: f.expiryHours, FollowUpHours: f.followUpHours}
	f.rec("pool")
	return f.s, nil
}

func (f *caseFake) AutoAssign(context.Context, int64) (activities.AssignResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.strategy == "manual" || len(f.next) == 0 {
		return activities.AssignResult{Strategy: f.strategy}, nil
	}
	a := f.next[0]
	f.next = f.next[1:]
	return activities.AssignResult{AgentID: a, Strategy: f.strategy}, nil
}

func (f *caseFake) Assign(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.disabled[c.AgentID] {
		return f.s, models.FieldError(models.EUnprocessable, "agentId", "agent %d is disabled", c.AgentID)
	}
	if c.FromPool && f.s.Status != activities.CasePooled {
		return f.s, models.Errorf(models.EConflict, "case %d is no longer in the pool", c.CaseID)
	}
	f.s.Status, f.s.AgentID = activities.CaseAssigned, c.AgentID
	f.rec("assign:" + itoa(c.AgentID))
	return f.s, nil
}

func (f *caseFake) MarkProgress(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.Status = activities.CaseInProgress
	f.rec("progress:" + c.Reason)
	return f.s, nil
}

func (f *caseFake) Recall(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.Status, f.s.AgentID = activities.CasePooled, 0
	f.rec("recall:" + c.Reason)
	return f.s, nil
}

func (f *caseFake) Transfer(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.Status, f.s.AgentID, f.s.TeamID = activities.CasePooled, 0, c.TeamID
	f.rec("transfer:" + itoa(c.TeamID))
	return f.s, nil
}

func (f *caseFake) MarkOverdue(context.Context, int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.overdue++
	f.rec("overdue")
	return nil
}

func (f *caseFake) RecordOutcome(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.Status = activities.CaseInProgress
	f.rec("outcome:" + c.Outcome)
	return f.s, nil
}

func (f *caseFake) Exit(_ context.Context, c activities.CaseChange) (activities.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s.Status, f.s.ExitReason = activities.CaseExited, c.Reason
	f.rec("exit:" + c.Reason)
	return f.s, nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func isContinueAsNew(err error) bool {
	var can *workflow.ContinueAsNewError
	return errors.As(err, &can)
}

type caseEnv struct {
	env  *testsuite.TestWorkflowEnvironment
	fake *caseFake
}

func newCaseEnv(strategy string, next ...int64) *caseEnv {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	f := &caseFake{strategy: strategy, next: next, disabled: map[int64]bool{}}
	env.RegisterActivity(&activities.Case{Store: f})
	return &caseEnv{env: env, fake: f}
}

type updateResult struct {
	state    workflows.CaseState
	err      error
	rejected error
}

// update sends an update after delay and records its outcome.
func (c *caseEnv) update(delay time.Duration, name string, arg any, out *updateResult) {
	c.env.RegisterDelayedCallback(func() {
		c.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { out.rejected = err },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				out.err = err
				if s, ok := v.(workflows.CaseState); ok {
					out.state = s
				}
			},
		}, arg)
	}, delay)
}

func (c *caseEnv) query(t *testing.T, delay time.Duration, out *workflows.CaseState) {
	c.env.RegisterDelayedCallback(func() {
		v, err := c.env.QueryWorkflow(workflows.QueryCaseState)
		if err != nil {
			t.Error(err)
			return
		}
		_ = v.Get(out)
	}, delay)
}

// pool -> auto-assign -> expire back to pool -> reassign -> close.
func TestCaseLifecycleExpiryAndReassign(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("round_robin", 11, 12)
	var mid workflows.CaseState
	c.query(t, 7*24*time.Hour+time.Hour, &mid)
	var closed updateResult
	c.update(8*24*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "paid", By: 1}, &closed)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 5, TeamID: 3,
		Config: workflows.CaseConfig{AssignmentExpiry: 7 * 24 * time.Hour, FollowUpDue: 100 * 24 * time.Hour}})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []string{"pool", "assign:11", "recall:expired", "assign:12", "exit:paid"}
	if !slices.Equal(c.fake.log, want) {
		t.Fatalf("transitions %v want %v", c.fake.log, want)
	}
	if mid.AgentID != 12 || mid.Status != activities.CaseAssigned {
		t.Fatalf("query after expiry: %+v", mid)
	}
	if closed.err != nil || closed.state.Status != activities.CaseExited || closed.state.ExitReason != "paid" {
		t.Fatalf("close: %+v", closed)
	}
	var final workflows.CaseState
	_ = c.env.GetWorkflowResult(&final)
	if final.ExitReason != "paid" {
		t.Fatalf("result %+v", final)
	}
}

func TestCaseManualPoolWaitsForAssignUpdate(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("manual")
	var assign, bad, closeBad, closeOK updateResult
	c.update(time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{}, &bad)
	c.update(2*time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: 21, By: 1}, &assign)
	c.update(3*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "because"}, &closeBad)
	c.update(4*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "resolved"}, &closeOK)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 6, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if bad.rejected == nil || closeBad.rejected == nil {
		t.Fatalf("validators must reject: %+v %+v", bad, closeBad)
	}
	if assign.err != nil || assign.state.AgentID != 21 {
		t.Fatalf("assign %+v", assign)
	}
	if !slices.Equal(c.fake.log, []string{"pool", "assign:21", "exit:resolved"}) {
		t.Fatalf("log %v", c.fake.log)
	}
}

func TestCaseAssignToDisabledAgentIsRefusedWithoutFailingTheWorkflow(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("manual")
	c.fake.disabled[30] = true
	var refused, ok, done updateResult
	c.update(time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: 30}, &refused)
	c.update(2*time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: 31}, &ok)
	c.update(3*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "invalid"}, &done)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 7, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if refused.err == nil || ok.err != nil || ok.state.AgentID != 31 {
		t.Fatalf("refused=%+v ok=%+v", refused, ok)
	}
}

func TestCaseFollowUpOverdueAndPromiseToPay(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("least_loaded", 40)
	var outcome updateResult
	// No outreach within 24h: overdue at 24h. Then a promise to pay for day 5
	// moves the follow-up to day 6; no progress after it: overdue again.
	c.update(30*time.Hour, workflows.UpdateCaseOutcome, workflows.CaseOutcome{Outcome: "promise_to_pay",
		PromiseDate: time.Date(2026, 11, 7, 9, 0, 0, 0, time.UTC)}, &outcome)
	var closed updateResult
	// Close on day 8: before the 7-day expiry counted from the outcome (day 8.25).
	c.update(8*24*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "resolved"}, &closed)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 8, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []string{"pool", "assign:40", "overdue", "outcome:promise_to_pay", "overdue", "exit:resolved"}
	if !slices.Equal(c.fake.log, want) {
		t.Fatalf("log %v want %v", c.fake.log, want)
	}
}

func TestCaseCustomerReplyIsProgressAndDelaysExpiry(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("round_robin", 50, 51)
	c.env.RegisterDelayedCallback(func() {
		c.env.SignalWorkflow(workflows.SignalCaseCustomerSaid, workflows.CustomerReplied{MessageID: 9})
	}, 5*24*time.Hour)
	var closed updateResult
	// Expiry is 7 days from the reply (day 12), so at day 11 it is still agent 50's.
	c.update(11*24*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "resolved"}, &closed)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 9, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	// The first outreach was due 24h after assignment: overdue once, then the reply is progress.
	want := []string{"pool", "assign:50", "overdue", "progress:customer_replied", "exit:resolved"}
	if !slices.Equal(c.fake.log, want) || c.fake.overdue != 1 {
		t.Fatalf("log %v overdue %d", c.fake.log, c.fake.overdue)
	}
}

func TestCaseRecallAndTransfer(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("round_robin", 60, 61)
	var recall, transfer, same, closed updateResult
	c.update(time.Hour, workflows.UpdateCaseRecall, workflows.CaseRecall{Reason: "recalled", By: 1}, &recall)
	// After recall the pool re-assigns on its retry timer (15m): agent 61.
	c.update(2*time.Hour, workflows.UpdateCaseTransfer, workflows.CaseTransfer{TeamID: 3}, &same)
	c.update(3*time.Hour, workflows.UpdateCaseTransfer, workflows.CaseTransfer{TeamID: 4, By: 1}, &transfer)
	c.update(4*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "transferred"}, &closed)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 10, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if same.rejected == nil {
		t.Fatal("transfer to the same team must be rejected")
	}
	want := []string{"pool", "assign:60", "recall:recalled", "assign:61", "transfer:4", "exit:transferred"}
	if !slices.Equal(c.fake.log, want) {
		t.Fatalf("log %v want %v", c.fake.log, want)
	}
	if transfer.state.TeamID != 4 {
		t.Fatalf("transfer state %+v", transfer.state)
	}
}

func TestCaseUpdatesAfterExitAreRejectedAndContinueAsNewCarriesState(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("manual")
	var a1, a2 updateResult
	c.update(time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: 70}, &a1)
	c.update(2*time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: 71}, &a2)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 11, TeamID: 3, Config: workflows.CaseConfig{ContinueAfterOps: 2}})
	err := c.env.GetWorkflowError()
	if err == nil || !isContinueAsNew(err) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if a2.state.AgentID != 71 {
		t.Fatalf("second assign %+v", a2)
	}
}

// A team's own case timings (expiry 48h, first follow-up 2h) rule over the
// worker's defaults (7 days, 24h).
func TestCaseTeamTimings(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("round_robin", 11, 12)
	c.fake.expiryHours, c.fake.followUpHours = 48, 2
	var mid workflows.CaseState
	c.query(t, 49*time.Hour, &mid)
	var closed updateResult
	c.update(49*time.Hour+30*time.Minute, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "paid", By: 1}, &closed)
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 5, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []string{"pool", "assign:11", "overdue", "recall:expired", "assign:12", "exit:paid"}
	if !slices.Equal(c.fake.log, want) {
		t.Fatalf("transitions %v want %v", c.fake.log, want)
	}
	if mid.AgentID != 12 || mid.TeamExpiryHours != 48 || mid.TeamFollowUpHours != 2 {
		t.Fatalf("after the team's 48h expiry: %+v", mid)
	}
}

// An agent claims a pooled case of a manual team; a second claim of the
// same case, at the same moment or later, is refused and the first agent
// keeps it.
func TestCaseClaimFromManualPool(t *testing.T) {
	t.Parallel()
	c := newCaseEnv("manual")
	var first, rival, late, bad updateResult
	c.update(time.Hour, workflows.UpdateCaseClaim, workflows.CaseClaim{}, &bad)
	c.update(2*time.Hour, workflows.UpdateCaseClaim, workflows.CaseClaim{AgentID: 21}, &first)
	c.update(2*time.Hour, workflows.UpdateCaseClaim, workflows.CaseClaim{AgentID: 22}, &rival)
	c.update(3*time.Hour, workflows.UpdateCaseClaim, workflows.CaseClaim{AgentID: 23}, &late)
	var st workflows.CaseState
	c.query(t, 4*time.Hour, &st)
	c.update(5*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "resolved"}, &updateResult{})
	c.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: 6, TeamID: 3})
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if bad.rejected == nil {
		t.Fatal("a claim without an agent must be rejected")
	}
	if first.err != nil || first.rejected != nil || first.state.AgentID != 21 {
		t.Fatalf("first claim %+v", first)
	}
	if rival.err == nil && rival.rejected == nil {
		t.Fatalf("the rival claim took the case: %+v", rival)
	}
	if late.rejected == nil {
		t.Fatalf("a claim of an assigned case must be rejected: %+v", late)
	}
	if st.AgentID != 21 || !slices.Equal(c.fake.log, []string{"pool", "assign:21", "exit:resolved"}) {
		t.Fatalf("state %+v log %v", st, c.fake.log)
	}
}
