package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/workflows"
)

// bulkFake is the case table and the CaseWorkflows as the redistribution
// sees them.
type bulkFake struct {
	mu       sync.Mutex
	status   map[int64]string
	agent    map[int64]int64
	agents   []int64 // active agents, round robin
	rr       int
	broken   int64 // recall of this case always fails (transient)
	updates  []string
	attempts map[int64]int
}

func newBulkFake(n int, agent int64) *bulkFake {
	f := &bulkFake{status: map[int64]string{}, agent: map[int64]int64{}, agents: []int64{20, 21}, attempts: map[int64]int{}}
	for id := int64(1); id <= int64(n); id++ {
		f.status[id], f.agent[id] = cases.CaseAssigned, agent
	}
	return f
}

func (f *bulkFake) OpenCaseIDs(_ context.Context, teamID, agentID, after int64, limit int) ([]cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for id, st := range f.status {
		if id > after && st != cases.CaseExited && (agentID == 0 || (f.agent[id] == agentID && st != cases.CasePooled)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []cases.Case
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, cases.Case{ID: id, Status: f.status[id], TeamID: teamID})
	}
	return out, nil
}

func (f *bulkFake) AutoAssignAway(_ context.Context, id int64) (cases.CaseAssignResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status[id] != cases.CasePooled {
		return cases.CaseAssignResult{AgentID: f.agent[id]}, nil
	}
	if len(f.agents) == 0 {
		return cases.CaseAssignResult{Strategy: "round_robin", Reason: "nobody available"}, nil
	}
	a := f.agents[f.rr%len(f.agents)]
	f.rr++
	f.status[id], f.agent[id] = cases.CaseAssigned, a
	return cases.CaseAssignResult{AgentID: a, Strategy: "round_robin"}, nil
}

func (f *bulkFake) Update(_ context.Context, id int64, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[id]++
	if id == f.broken {
		return errors.New("temporal unavailable")
	}
	switch name {
	case cases.CaseUpdateRecall:
		switch {
		case f.status[id] == cases.CaseExited:
			return models.Errorf(models.EConflict, "case %d has exited (paid)", id)
		case f.status[id] == cases.CasePooled:
			return models.Errorf(models.EConflict, "case is not assigned")
		}
		f.status[id], f.agent[id] = cases.CasePooled, 0
	case cases.CaseUpdateAssign:
		a := arg.(cases.CaseAssign)
		if f.agent[id] != a.AgentID {
			return fmt.Errorf("assign %d: workflow told %d, store has %d", id, a.AgentID, f.agent[id])
		}
	}
	f.updates = append(f.updates, fmt.Sprintf("%s:%d", name, id))
	return nil
}

func runRedistribute(t *testing.T, f *bulkFake, in workflows.RedistributeInput) (*testsuite.TestWorkflowEnvironment, cases.RedistributeProgress, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.RedistributeWorkflow, workflow.RegisterOptions{Name: workflows.RedistributeWorkflowName})
	env.RegisterActivity(&activities.CaseBulk{Store: f, Cases: f})
	env.ExecuteWorkflow(workflows.RedistributeWorkflow, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var p cases.RedistributeProgress
	err := env.GetWorkflowError()
	if err == nil {
		if gerr := env.GetWorkflowResult(&p); gerr != nil {
			t.Fatal(gerr)
		}
	}
	return env, p, err
}

// Recalling all of a disabled agent's cases: every open case goes back to
// the pool and to the remaining agents; exited and pooled cases are
// handled; a case whose recall keeps failing is counted, not fatal.
func TestRedistributeAgent(t *testing.T) {
	t.Parallel()
	f := newBulkFake(7, 5)
	f.status[3] = cases.CaseExited
	f.status[4], f.agent[4] = cases.CaseAssigned, 9 // someone else's
	f.broken = 6
	_, p, err := runRedistribute(t, f, workflows.RedistributeInput{AgentID: 5, By: 1, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := cases.RedistributeProgress{AgentID: 5, Seen: 5, Recalled: 4, Reassigned: 4, Failed: 1, LastCaseID: 7, Done: true}
	p.LastError = ""
	if p != want {
		t.Fatalf("progress %+v\nwant     %+v", p, want)
	}
	for id := int64(1); id <= 7; id++ {
		if id != 3 && id != 6 && f.agent[id] == 5 {
			t.Fatalf("case %d still with agent 5", id)
		}
	}
	if f.agent[4] != 9 || f.status[3] != cases.CaseExited || f.attempts[6] != 5 {
		t.Fatalf("untouched cases changed or retries wrong: %v %v attempts %d", f.agent, f.status, f.attempts[6])
	}
	if !slices.Contains(f.updates, "recall:1") || !slices.Contains(f.updates, "assign:1") {
		t.Fatalf("updates %v", f.updates)
	}
}

// A team run with nobody to take the cases leaves them pooled, and long
// runs continue as new carrying the progress.
func TestRedistributeTeamContinuesAsNew(t *testing.T) {
	t.Parallel()
	f := newBulkFake(5, 7)
	f.agents = nil
	f.status[2], f.agent[2] = cases.CasePooled, 0
	env, _, err := runRedistribute(t, f, workflows.RedistributeInput{TeamID: 3, PageSize: 2, PagesPerRun: 2})
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.RedistributeInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	want := cases.RedistributeProgress{TeamID: 3, Seen: 4, Recalled: 3, LeftPooled: 4, LastCaseID: 4}
	if next.Progress == nil || *next.Progress != want || next.TeamID != 3 {
		t.Fatalf("carried %+v", next.Progress)
	}
	v, err := env.QueryWorkflow(workflows.QueryRedistributeProgress)
	if err != nil {
		t.Fatal(err)
	}
	var q cases.RedistributeProgress
	if err := v.Get(&q); err != nil || q != want {
		t.Fatalf("query %+v %v", q, err)
	}
	_, p, err := runRedistribute(t, f, next)
	if err != nil || !p.Done || p.Seen != 5 || p.LeftPooled != 5 || p.LastCaseID != 5 {
		t.Fatalf("second run %+v %v", p, err)
	}
}
