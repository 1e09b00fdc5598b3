package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/workflows"
)

// The case lifecycle through REST, real Temporal and PostgreSQL:
// pool -> auto-assign -> no progress -> expired back to the pool ->
// reassigned to the other agent -> closed as paid. Visible in the case
// history and in the workflow's query.
func TestCaseLifecycleEndToEnd(t *testing.T) {
	// Not parallel: it relies on the tests' 4 s case assignment expiry, which
	// a loaded machine can outrun between two steps.
	st := startStack(t, 24*time.Hour)
	seed := st.seedInbox()
	ctx := context.Background()

	var debtor struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", seed.admin, map[string]any{"phone": "0812-3456-7890", "name": "Dewi Anggraini"}, &debtor); code != 201 {
		t.Fatalf("create contact: %d", code)
	}
	var c cases.Case
	if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "LN-2026-0001", "amount": 2500000,
		"dueDate": "2026-10-01", "product": "Pinjaman Tunai", "teamId": seed.teamID, "contactId": debtor.ID}, &c); code != 201 && code != 200 {
		t.Fatalf("create case: %d", code)
	}
	first := waitCase(t, st, seed.admin, c.ID, "first assignment", func(c cases.Case) bool { return c.Status == "assigned" && c.AgentID != nil })
	// Expiry (4 s in this stack) without progress: back to the pool, then to someone else.
	second := waitCase(t, st, seed.admin, c.ID, "reassignment after expiry", func(c cases.Case) bool {
		return c.AgentID != nil && *c.AgentID != *first.AgentID
	})
	// The debtor writes on WhatsApp: progress on the case (window opening
	// messages reach the CaseWorkflow; the case stays with its agent).
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya akan bayar minggu ini", "phoneNumberId": e2ePNID})
	waitCase(t, st, seed.admin, c.ID, "in progress after the customer's reply", func(c cases.Case) bool {
		return c.Status == "in_progress" && c.AgentID != nil && *c.AgentID == *second.AgentID
	})
	// An agent closes it through the workflow update.
	if code := st.call("POST", fmt.Sprintf("/api/v1/cases/%d/close", c.ID), seed.admin, map[string]any{"reason": "paid"}, nil); code != 200 {
		t.Fatalf("close: %d", code)
	}
	var bad struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/cases/%d/assign", c.ID), seed.admin, map[string]any{"agentId": *first.AgentID}, &bad); code != 409 {
		t.Fatalf("assign after exit: %d %+v", code, bad)
	}
	final := waitCase(t, st, seed.admin, c.ID, "exit", func(c cases.Case) bool { return c.Status == "exited" })
	if final.ExitReason == nil || *final.ExitReason != "paid" {
		t.Fatalf("exit reason %v", final.ExitReason)
	}
	var path []string
	for _, h := range final.History {
		path = append(path, h.ToStatus+":"+h.Reason)
	}
	joined := strings.Join(path, " ")
	for _, want := range []string{"pooled:entered", "assigned:auto", "pooled:expired", "exited:exit:paid"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("history %q lacks %q", joined, want)
		}
	}
	// The workflow ended with the same state.
	run := st.temporal.GetWorkflow(ctx, workflows.CaseWorkflowID(c.ID), "")
	var state workflows.CaseState
	if err := run.Get(ctx, &state); err != nil {
		t.Fatal(err)
	}
	if state.Status != "exited" || state.ExitReason != "paid" || state.AgentID != *second.AgentID {
		t.Fatalf("workflow result %+v", state)
	}
	saveHistory(t, st, workflows.CaseWorkflowID(c.ID), "case.json")

	// Disabling an agent sends its open cases back to the pool and to others.
	var c2 cases.Case
	st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "LN-2026-0002", "amount": 900000, "dueDate": "2026-11-01", "teamId": seed.teamID}, &c2)
	held := waitCase(t, st, seed.admin, c2.ID, "second case assigned", func(c cases.Case) bool { return c.AgentID != nil })
	if code := st.call("POST", fmt.Sprintf("/api/v1/agents/%d/disable", *held.AgentID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("disable agent: %d", code)
	}
	waitCase(t, st, seed.admin, c2.ID, "reassigned away from the disabled agent", func(c cases.Case) bool {
		return c.AgentID != nil && *c.AgentID != *held.AgentID
	})
	saveFinishedHistory(t, st, workflows.RedistributeWorkflowID(0, *held.AgentID), "redistribute.json")
}

func waitCase(t *testing.T, st *stack, token string, id int64, what string, ok func(cases.Case) bool) cases.Case {
	t.Helper()
	var c cases.Case
	waitUntil(t, 20*time.Second, what, func() bool {
		c = cases.Case{}
		st.call("GET", fmt.Sprintf("/api/v1/cases/%d", id), token, nil, &c)
		return ok(c)
	})
	return c
}

// An external intake batch through real Temporal, with the worker killed
// and replaced while it runs: every row is processed once, nothing lost.
func TestIntakeSurvivesWorkerRestart(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, 24*time.Hour)
	seed := st.seedInbox()
	const n = 10_000
	rows := make([]map[string]any, 0, n)
	for i := range n {
		phone := fmt.Sprintf("0812%08d", i)
		if i%100 == 99 {
			phone = fmt.Sprintf("+62 812%08d", i-1) // the previous row again, spelled differently
		}
		rows = append(rows, map[string]any{"phone": phone, "name": fmt.Sprintf("Pelanggan Ñoño %d", i)})
	}
	var job struct {
		Job struct{ ID int64 } `json:"job"`
	}
	if code := st.call("POST", "/api/v1/intake", seed.admin, map[string]any{"rows": rows}, &job, "Idempotency-Key", "batch-1"); code >= 300 {
		t.Fatalf("intake: %d", code)
	}
	// Same key again: the same job.
	var again struct {
		Job struct{ ID int64 } `json:"job"`
	}
	st.call("POST", "/api/v1/intake", seed.admin, map[string]any{"rows": rows}, &again, "Idempotency-Key", "batch-1")
	if again.Job.ID != job.Job.ID {
		t.Fatalf("same Idempotency-Key made job %d and %d", job.Job.ID, again.Job.ID)
	}
	progress := func() contacts.IntakeProgress {
		var body struct {
			Progress contacts.IntakeProgress `json:"progress"`
		}
		st.call("GET", fmt.Sprintf("/api/v1/intake/%d", job.Job.ID), seed.admin, nil, &body)
		return body.Progress
	}
	waitUntil(t, 30*time.Second, "import under way", func() bool { return progress().Processed > 0 })
	st.restartWorker()
	waitUntil(t, 60*time.Second, "import done", func() bool { return progress().Status == "completed" })
	p := progress()
	if p.Processed != n || p.Created != n-n/100 || p.Duplicate != n/100 || p.Errors != 0 {
		t.Fatalf("progress after restart %+v", p)
	}
	var contacts int64
	st.db.Gorm.Raw(`SELECT count(*) FROM contacts`).Scan(&contacts)
	if contacts != n-n/100 {
		t.Fatalf("%d contacts, want %d", contacts, n-n/100)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/intake/%d/report.csv", st.apiURL, job.Job.ID), nil)
	req.Header.Set("Authorization", "Bearer "+seed.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if lines := strings.Count(strings.TrimSpace(string(raw)), "\n"); resp.StatusCode != 200 || lines != n {
		t.Fatalf("report: %d, %d lines", resp.StatusCode, lines)
	}
}

// Intake rows with case fields become pooled cases with running workflows
// that assign them by the team's strategy; bad case rows are row errors.
func TestIntakeCreatesCases(t *testing.T) {
	// Not parallel: it relies on the tests' 4 s case assignment expiry, which
	// a loaded machine can outrun between two steps.
	st := startStack(t, 24*time.Hour)
	seed := st.seedInbox()
	rows := []map[string]any{
		{"phone": "081200000001", "name": "Rina", "caseRef": "KR-1", "amount": "1.500.000", "dueDate": "2026-10-15", "team": "Penagihan Jakarta"},
		{"phone": "081200000002", "name": "Joko", "caseRef": "KR-2", "amount": "750000", "dueDate": "01/11/2026", "team": fmt.Sprint(seed.teamID)},
		{"phone": "081200000003", "name": "Sari", "caseRef": "KR-3", "amount": "abc", "team": "Penagihan Jakarta"},
		{"phone": "081200000004", "name": "Tono", "caseRef": "KR-4", "amount": "100", "team": "Tim Tidak Ada"},
		{"phone": "081200000005", "name": "Ani"},
		// Rina's second loan: the same contact, a second case, given to the
		// agent the row names rather than by the team's strategy.
		{"phone": "0812-0000-0001", "name": "Rina", "caseRef": "KR-5", "amount": "200000", "team": "Penagihan Jakarta", "agent": "budi@e2e.id"},
	}
	var job struct {
		Job struct{ ID int64 } `json:"job"`
	}
	if code := st.call("POST", "/api/v1/intake", seed.admin, map[string]any{"rows": rows}, &job, "Idempotency-Key", "cases-1"); code >= 300 {
		t.Fatalf("intake: %d", code)
	}
	var p contacts.IntakeProgress
	waitUntil(t, 30*time.Second, "import with cases done", func() bool {
		var body struct {
			Progress contacts.IntakeProgress `json:"progress"`
		}
		st.call("GET", fmt.Sprintf("/api/v1/intake/%d", job.Job.ID), seed.admin, nil, &body)
		p = body.Progress
		return p.Status == "completed"
	})
	saveFinishedHistory(t, st, workflows.IntakeWorkflowID(job.Job.ID), "intake.json")
	// Created/updated count contacts (case rows too: 5 customers, Rina's
	// second loan updated hers); cases and row errors count rows.
	if p.CasesCreated != 3 || p.CasePending != 0 || p.Errors != 2 || p.Created != 5 || p.Updated != 1 || p.Processed != 6 {
		t.Fatalf("progress %+v", p)
	}
	var loans struct {
		N        int
		Contacts int
	}
	st.db.Gorm.Raw(`SELECT count(*) AS n, count(DISTINCT contact_id) AS contacts FROM cases WHERE reference IN ('KR-1','KR-5')`).Scan(&loans)
	if loans.N != 2 || loans.Contacts != 1 {
		t.Fatalf("two loans of one debtor: %+v", loans)
	}
	var budiID int64
	st.db.Gorm.Raw(`SELECT id FROM agents WHERE email = 'budi@e2e.id'`).Scan(&budiID)
	var kr5 int64
	st.db.Gorm.Raw(`SELECT id FROM cases WHERE reference = 'KR-5'`).Scan(&kr5)
	// The history, not the current agent: the tests' 4 s expiry may already
	// have moved it on.
	var byRow int64
	st.db.Gorm.Raw(`SELECT count(*) FROM case_history WHERE case_id = ? AND to_agent = ? AND reason = 'intake'`, kr5, budiID).Scan(&byRow)
	if kr5 == 0 || budiID == 0 || byRow != 1 {
		t.Fatalf("KR-5 (%d) not given to the row's agent %d: %d history rows", kr5, budiID, byRow)
	}
	var contacts int64
	st.db.Gorm.Raw(`SELECT count(*) FROM contacts`).Scan(&contacts)
	if contacts != 5 {
		t.Fatalf("%d contacts, want 5 (case row errors keep their contact)", contacts)
	}
	for _, ref := range []string{"KR-1", "KR-2"} {
		var id int64
		st.db.Gorm.Raw(`SELECT id FROM cases WHERE reference = ?`, ref).Scan(&id)
		c := waitCase(t, st, seed.admin, id, ref+" assigned by its workflow", func(c cases.Case) bool { return c.Status == "assigned" && c.AgentID != nil })
		if c.ContactID == nil || c.Amount == 0 {
			t.Fatalf("%s: %+v", ref, c)
		}
	}
	var reasons []string
	st.db.Gorm.Raw(`SELECT reason FROM intake_rows WHERE job_id = ? AND result = 'error' ORDER BY row_no`, job.Job.ID).Scan(&reasons)
	if len(reasons) != 2 || !strings.Contains(reasons[0], "amount") || !strings.Contains(reasons[1], "team") {
		t.Fatalf("row errors %q", reasons)
	}
}

// A manual team's pool through the real stack: the team's agents see the
// pooled case with its customer, one claims it through its CaseWorkflow,
// the other's claim is refused (409) and the case leaves the other's view.
func TestCasePoolClaimEndToEnd(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports; no timer to outrun
	st := startStack(t, 24*time.Hour)
	seed := st.seedInbox()
	if code := st.call("PATCH", fmt.Sprintf("/api/v1/teams/%d", seed.teamID), seed.admin, map[string]any{"strategy": "manual", "caseExpiryHours": 72}, nil); code != 200 {
		t.Fatalf("manual team: %d", code)
	}
	var debtor struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", seed.admin, map[string]any{"phone": "0812-7000-0001", "name": "Made Wirawan"}, &debtor); code != 201 {
		t.Fatalf("contact: %d", code)
	}
	var c cases.Case
	if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "POOL-1", "amount": 900000,
		"teamId": seed.teamID, "contactId": debtor.ID}, &c); code != 201 && code != 200 {
		t.Fatalf("create case: %d", code)
	}
	waitCase(t, st, seed.admin, c.ID, "pooled", func(c cases.Case) bool {
		return c.Status == "pooled" && len(c.History) > 0
	})
	type page struct {
		Items []cases.Case `json:"items"`
		Total int64        `json:"total"`
	}
	var pool page
	if code := st.call("GET", "/api/v1/cases?status=pooled&q=pool-", seed.budi, nil, &pool); code != 200 || pool.Total != 1 ||
		pool.Items[0].ContactName != "Made Wirawan" || pool.Items[0].ContactPhone != "+6281270000001" {
		t.Fatalf("budi's team pool: %d %+v", code, pool)
	}
	// Ayu takes it in the web app: the pool tab shows the customer, the
	// search narrows by name, "Take" claims it.
	b := newBrowser(t, 60*time.Second)
	b.login(st, "ayu@e2e.id", "agent-password-1")
	b.run("claim in the pool",
		chromedp.Navigate(st.apiURL+"/cases"),
		waitJS("the pooled case with its customer", `[...document.querySelectorAll('#case-list tr')].some(r => r.textContent.includes('POOL-1') && r.textContent.includes('Made Wirawan') && r.querySelector('[data-claim="POOL-1"]'))`, 15*time.Second),
		chromedp.SendKeys("#case-q", "wirawan", chromedp.ByQuery),
		waitJS("the search keeps it", `document.querySelectorAll('#case-list tbody tr').length === 1 && !!document.querySelector('[data-claim="POOL-1"]')`, 5*time.Second),
		screenshot(t, "ui-case-pool-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-case-pool-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		// Clicked in one step in the page: the list repaints every 3 s, so a
		// node found first may be replaced before a separate click lands.
		chromedp.Evaluate(`document.querySelector('[data-claim="POOL-1"]').click()`, nil),
		waitJS("it leaves the pool", `!document.querySelector('[data-claim="POOL-1"]')`, 10*time.Second))
	b.noErrors()
	waitCase(t, st, seed.admin, c.ID, "claimed by ayu", func(c cases.Case) bool {
		return c.Status == "assigned" && c.AgentID != nil && *c.AgentID == seed.ayuID
	})
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	// A teammate's case is out of budi's scope once taken: its claim is 404, like any unseen id.
	if code := st.call("POST", fmt.Sprintf("/api/v1/cases/%d/claim", c.ID), seed.budi, nil, &e); code != 404 {
		t.Fatalf("budi's claim of a taken case: %d %+v", code, e)
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), seed.budi, nil, nil); code != 404 {
		t.Fatalf("a teammate's assigned case is out of budi's sight: %d", code)
	}
	var hist int64
	st.db.Gorm.Raw(`SELECT count(*) FROM case_history WHERE case_id = ? AND reason = 'claimed' AND to_agent = ?`, c.ID, seed.ayuID).Scan(&hist)
	if hist != 1 {
		t.Fatalf("claim history rows: %d", hist)
	}
}
