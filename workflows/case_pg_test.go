package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/worker/testenv"
	"github.com/wabascrm/scrm/workflows"
)

// The CaseWorkflow on the PostgreSQL store (SDK test environment, real
// database): auto-assignment, a rejected and an accepted manual
// assignment, a customer reply, a promise to pay and the close.
func TestCaseWorkflowOnPostgres(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	st := cases.CaseStore{DB: db, Events: models.EventStore{DB: db}}
	var team, other int64
	db.Raw(`INSERT INTO teams (name) VALUES ('A') RETURNING id`).Scan(&team)
	db.Raw(`INSERT INTO teams (name) VALUES ('B') RETURNING id`).Scan(&other)
	var ag []int64
	db.Raw(`INSERT INTO agents (name, email, password_hash, role_id) SELECT 'w'||g, 'w'||g||'@x.id', 'x', (SELECT min(id) FROM roles)
		FROM generate_series(1, 3) g RETURNING id`).Scan(&ag)
	db.Exec(`INSERT INTO team_members (team_id, agent_id) VALUES (?, ?), (?, ?), (?, ?)`, team, ag[0], team, ag[1], other, ag[2])
	var contact int64
	db.Raw(`INSERT INTO contacts (phone_e164) VALUES ('+62813000') RETURNING id`).Scan(&contact)
	c, err := st.Create(ctx, 0, cases.CaseInput{Reference: "LOAN-1", TeamID: team, ContactID: &contact, Amount: 2_500_000, DueDate: "2026-10-01"})
	if err != nil {
		t.Fatal(err)
	}

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Case{Store: st})
	ce := &caseEnv{env: env}
	var outsider, manual, promise, closed updateResult
	ce.update(time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: ag[2], By: 1}, &outsider)
	ce.update(2*time.Hour, workflows.UpdateCaseAssign, workflows.CaseAssign{AgentID: ag[1], By: 1}, &manual)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalCaseCustomerSaid, workflows.CustomerReplied{MessageID: 9})
	}, 3*time.Hour)
	ce.update(4*time.Hour, workflows.UpdateCaseOutcome, workflows.CaseOutcome{Outcome: "promise_to_pay", PromiseDate: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), By: ag[1]}, &promise)
	ce.update(5*time.Hour, workflows.UpdateCaseClose, workflows.CaseClose{Reason: "paid", By: ag[1]}, &closed)
	env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: c.ID, TeamID: team})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if outsider.err == nil || !strings.Contains(outsider.err.Error(), "not a member") {
		t.Fatalf("outsider assignment: %v %v", outsider.err, outsider.rejected)
	}
	if manual.err != nil || manual.state.AgentID != ag[1] {
		t.Fatalf("manual: %+v", manual)
	}
	if promise.err != nil || closed.err != nil || closed.state.Status != cases.CaseExited || closed.state.Bucket != cases.Bucket(cases.DPD(c.DueDate, time.Now())) {
		t.Fatalf("promise %v, closed %+v", promise.err, closed)
	}
	got, err := st.Get(ctx, models.Principal{AllScope: true}, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, h := range got.History {
		reasons = append(reasons, h.ToStatus+":"+h.Reason)
	}
	want := "pooled:entered assigned:auto:round_robin assigned:manual in_progress:customer_replied in_progress:outcome:promise_to_pay exited:exit:paid"
	if strings.Join(reasons, " ") != want || got.PromiseDate == nil {
		t.Fatalf("history %q", strings.Join(reasons, " "))
	}
	var owner *int64
	db.Raw(`SELECT owner_agent_id FROM contacts WHERE id = ?`, contact).Scan(&owner)
	if owner != nil {
		t.Fatalf("contact owner kept after exit: %d", *owner)
	}
}
