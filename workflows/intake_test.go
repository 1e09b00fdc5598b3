package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/workflows"
)

// intakeFake is an in-memory job: rows numbered 2..n+1 (a file with a
// header), each processed at most once, like the PostgreSQL store.
type intakeFake struct {
	mu        sync.Mutex
	rows      []int
	done      map[int]int // row -> times processed
	calls     int
	afters    []int        // the cursor of every call
	failCalls map[int]bool // call numbers that fail (transient)
	status    string
}

func newIntakeFake(n int) *intakeFake {
	f := &intakeFake{done: map[int]int{}, failCalls: map[int]bool{}, status: contacts.IntakePending}
	for i := range n {
		f.rows = append(f.rows, i+2)
	}
	return f
}

func (f *intakeFake) progress() contacts.IntakeProgress {
	p := contacts.IntakeProgress{JobID: 1, Status: f.status, Total: len(f.rows), Processed: len(f.done), Created: len(f.done)}
	return p
}

func (f *intakeFake) ProcessChunk(_ context.Context, _ int64, after, limit int) (contacts.ChunkOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.afters = append(f.afters, after)
	var chunk []int
	for _, r := range f.rows {
		if r > after && len(chunk) < limit {
			chunk = append(chunk, r)
		}
	}
	// Do the work first, then fail: like a worker that crashed after commit.
	for _, r := range chunk {
		if f.done[r] == 0 {
			f.done[r]++
		}
	}
	if f.failCalls[f.calls] {
		return contacts.ChunkOutcome{}, errors.New("connection reset")
	}
	out := contacts.ChunkOutcome{Rows: len(chunk), LastRowNo: after, Progress: f.progress()}
	if len(chunk) > 0 {
		out.LastRowNo = chunk[len(chunk)-1]
	}
	return out, nil
}

func (f *intakeFake) SetStatus(_ context.Context, _ int64, status, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = status
	return nil
}

func (f *intakeFake) Progress(context.Context, int64) (contacts.IntakeProgress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.progress(), nil
}

func intakeEnv(t *testing.T, f *intakeFake) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.ContactIntakeWorkflow, workflow.RegisterOptions{Name: workflows.IntakeWorkflowName})
	env.RegisterActivity(&activities.Intake{Store: f})
	return env
}

func TestIntakeWorkflowHappyPath(t *testing.T) {
	t.Parallel()
	f := newIntakeFake(1234)
	env := intakeEnv(t, f)
	env.ExecuteWorkflow(workflows.ContactIntakeWorkflow, workflows.IntakeInput{JobID: 1, ChunkSize: 500})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p contacts.IntakeProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != contacts.IntakeCompleted || p.Processed != 1234 || f.calls != 4 {
		t.Fatalf("progress %+v after %d calls", p, f.calls)
	}
	v, err := env.QueryWorkflow(workflows.QueryIntakeProgress)
	if err != nil {
		t.Fatal(err)
	}
	var q contacts.IntakeProgress
	if err := v.Get(&q); err != nil || q.Processed != 1234 {
		t.Fatalf("query: %v %+v", err, q)
	}
}

func TestIntakeWorkflowRetriedChunkLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	f := newIntakeFake(1000)
	f.failCalls[2] = true // the second chunk commits, then its activity fails
	f.failCalls[3] = true // and fails again on the first retry
	env := intakeEnv(t, f)
	env.ExecuteWorkflow(workflows.ContactIntakeWorkflow, workflows.IntakeInput{JobID: 1, ChunkSize: 300})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p contacts.IntakeProgress
	_ = env.GetWorkflowResult(&p)
	if p.Status != contacts.IntakeCompleted || p.Processed != 1000 {
		t.Fatalf("progress %+v", p)
	}
	// The retries re-read the same chunk (cursor 301 = row after 300 of
	// rows 2..1001); the store's idempotency makes that harmless.
	want := []int{0, 301, 301, 301, 601, 901, 1001}
	if fmt.Sprint(f.afters) != fmt.Sprint(want) {
		t.Fatalf("cursors %v, want %v", f.afters, want)
	}
}

func TestIntakeWorkflowCancel(t *testing.T) {
	t.Parallel()
	f := newIntakeFake(5000)
	env := intakeEnv(t, f)
	// The signal lands after the second chunk; at most the chunk already
	// scheduled runs before the workflow stops.
	chunks := 0
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name == "ProcessIntakeChunk" {
			if chunks++; chunks == 2 {
				env.SignalWorkflow(workflows.SignalIntakeCancel, nil)
			}
		}
	})
	env.ExecuteWorkflow(workflows.ContactIntakeWorkflow, workflows.IntakeInput{JobID: 1, ChunkSize: 500})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p contacts.IntakeProgress
	_ = env.GetWorkflowResult(&p)
	if p.Status != contacts.IntakeCancelled || f.status != contacts.IntakeCancelled || p.Processed < 1000 || p.Processed > 1500 {
		t.Fatalf("cancel: %+v (store status %s)", p, f.status)
	}
}

func TestIntakeWorkflowContinuesAsNewWithCursor(t *testing.T) {
	t.Parallel()
	f := newIntakeFake(450)
	env := intakeEnv(t, f)
	env.ExecuteWorkflow(workflows.ContactIntakeWorkflow, workflows.IntakeInput{JobID: 1, ChunkSize: 1})
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("450 one-row chunks in one run: want continue-as-new")
	}
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) || can.WorkflowType.Name != workflows.IntakeWorkflowName || len(f.done) != 400 {
		t.Fatalf("err %v, rows done %d", err, len(f.done))
	}
}
