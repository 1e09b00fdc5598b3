package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/identity"
)

// Case REST on real PostgreSQL: listing, filters, scope, history and input
// validation. The lifecycle through a real CaseWorkflow is tested with
// Temporal elsewhere; without Deps.Cases valid actions answer 503.
func TestCasesREST(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, admin := e.admin()
	var team identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Collections"}), 201).json(t, &team)
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	tok1, tok2 := e.login("a1@example.com").AccessToken, e.login("a2@example.com").AccessToken

	st := cases.CaseStore{DB: e.db, Events: models.EventStore{DB: e.db}}
	today := time.Now().UTC()
	var ids []int64
	for i, dpd := range []int{-5, 10, 45, 120} {
		c, err := st.Create(ctx, 0, cases.CaseInput{Reference: "INV-" + itoa(int64(i)), TeamID: team.ID, Amount: 500000,
			DueDate: today.AddDate(0, 0, -dpd).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// Round robin: a1 gets cases 0 and 2, a2 gets 1; case 3 stays pooled.
	for _, id := range ids[:3] {
		if _, err := st.EnterPool(ctx, cases.CaseChange{CaseID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AutoAssign(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkOverdue(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}

	type page struct {
		Items []cases.Case `json:"items"`
		Total int64        `json:"total"`
	}
	get := func(tok, q string) page {
		t.Helper()
		var p page
		e.must(e.do("GET", "/api/v1/cases"+q, tok, nil), 200).json(t, &p)
		return p
	}
	if p := get(admin, ""); p.Total != 4 || len(p.Items) != 4 {
		t.Fatalf("admin list: %+v", p)
	}
	if p := get(admin, "?status=pooled"); p.Total != 1 || p.Items[0].ID != ids[3] {
		t.Fatalf("pooled: %+v", p)
	}
	if p := get(admin, "?bucket=B2"); p.Total != 1 || p.Items[0].ID != ids[2] || p.Items[0].DPD != 45 {
		t.Fatalf("B2: %+v", p)
	}
	if p := get(admin, "?bucket=B4&teamId="+itoa(team.ID)); p.Total != 1 || p.Items[0].ID != ids[3] {
		t.Fatalf("B4: %+v", p)
	}
	if p := get(admin, "?overdue=true"); p.Total != 1 || p.Items[0].ID != ids[2] || !p.Items[0].Overdue {
		t.Fatalf("overdue: %+v", p)
	}
	first := get(admin, "?agentId="+itoa(a1)+"&limit=1")
	if first.Total != 2 || len(first.Items) != 1 {
		t.Fatalf("agent filter page: %+v", first)
	}
	// Own scope: each agent sees its cases and its team's pool (cases:claim),
	// never a teammate's assigned case.
	if p := get(tok1, ""); p.Total != 3 {
		t.Fatalf("a1 sees %d", p.Total)
	}
	if p := get(tok2, "?status=assigned"); p.Total != 1 || p.Items[0].AgentID == nil || *p.Items[0].AgentID != a2 {
		t.Fatalf("a2 sees %+v", p)
	}
	if p := get(tok2, "?status=pooled"); p.Total != 1 || p.Items[0].ID != ids[3] {
		t.Fatalf("a2's team pool: %+v", p)
	}
	e.agent("a3@example.com", e.roleID(models.RoleKeyAgent))
	if p := get(e.login("a3@example.com").AccessToken, ""); p.Total != 0 {
		t.Fatalf("an agent of no team sees %+v", p)
	}

	// Rows carry the customer; q finds a reference, a name or a phone in any spelling.
	var rina struct{ ID int64 }
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-5555-0001", "name": "Rina Wati"}), 201).json(t, &rina)
	ktr, err := st.Create(ctx, 0, cases.CaseInput{Reference: "KTR-77", TeamID: team.ID, ContactID: &rina.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"?q=ktr-7", "?q=wati", "?q=%2B62%20812%205555", "?q=0812-5555-0001"} {
		if p := get(admin, q); p.Total != 1 || p.Items[0].ID != ktr.ID || p.Items[0].ContactName != "Rina Wati" || p.Items[0].ContactPhone != "+6281255550001" {
			t.Errorf("%s: %+v", q, p)
		}
	}
	if p := get(admin, "?q=zz%25"); p.Total != 0 {
		t.Errorf("no match: %+v", p)
	}

	// Case timings per team, in hours; 0 is the default again.
	var tm identity.Team
	e.must(e.do("PATCH", "/api/v1/teams/"+itoa(team.ID), admin, map[string]any{"caseExpiryHours": 48, "caseFollowUpHours": 2}), 200).json(t, &tm)
	if tm.CaseExpiryHours == nil || *tm.CaseExpiryHours != 48 || tm.CaseFollowUpHours == nil || *tm.CaseFollowUpHours != 2 {
		t.Fatalf("team timings: %+v", tm)
	}
	if _, f := e.must(e.do("PATCH", "/api/v1/teams/"+itoa(team.ID), admin, map[string]any{"caseExpiryHours": 9000}), 400).errField(); f != "caseExpiryHours" {
		t.Fatalf("bad expiry: field %q", f)
	}
	e.must(e.do("PATCH", "/api/v1/teams/"+itoa(team.ID), admin, map[string]any{"caseFollowUpHours": 0}), 200).json(t, &tm)
	if tm.CaseFollowUpHours != nil || *tm.CaseExpiryHours != 48 {
		t.Fatalf("follow-up back to default: %+v", tm)
	}
	snap, err := st.EnterPool(ctx, cases.CaseChange{CaseID: ktr.ID})
	if err != nil || snap.ExpiryHours != 48 || snap.FollowUpHours != 0 {
		t.Fatalf("the workflow's snapshot carries the team's timings: %+v %v", snap, err)
	}
	for q, field := range map[string]string{"?status=lost": "status", "?bucket=B9": "bucket", "?overdue=maybe": "overdue", "?teamId=x": "teamId", "?limit=1000": "limit"} {
		r := e.must(e.do("GET", "/api/v1/cases"+q, admin, nil), 400)
		if _, f := r.errField(); f != field {
			t.Errorf("%s: field %q", q, f)
		}
	}

	// Get with history; out of scope is 404.
	var c cases.Case
	e.must(e.do("GET", "/api/v1/cases/"+itoa(ids[0]), tok1, nil), 200).json(t, &c)
	if len(c.History) != 2 || c.History[1].ToStatus != "assigned" || c.Bucket != "B0" {
		t.Fatalf("case: %+v", c)
	}
	e.must(e.do("GET", "/api/v1/cases/"+itoa(ids[0]), tok2, nil), 404)
	e.must(e.do("GET", "/api/v1/cases/abc", admin, nil), 400)

	// Create: validation first, named fields; without workflows 503 and nothing stored.
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"teamId": team.ID}, "reference"},
		{map[string]any{"reference": "R1"}, "teamId"},
		{map[string]any{"reference": "R1", "teamId": team.ID, "dueDate": "01/02/2026"}, "dueDate"},
		{map[string]any{"reference": "R1", "teamId": team.ID, "amount": -1}, "amount"},
		{map[string]any{"reference": "R1", "teamId": team.ID, "customFields": []int{1}}, "customFields"},
		{map[string]any{"reference": "R1", "teamId": team.ID, "colour": "red"}, "colour"},
		{`{"reference": "R1", "teamId": "one"}`, "teamId"},
	} {
		r := e.must(e.do("POST", "/api/v1/cases", admin, tc.body), 400)
		if _, f := r.errField(); f != tc.field {
			t.Errorf("create %v: field %q, want %q", tc.body, f, tc.field)
		}
	}
	e.must(e.do("POST", "/api/v1/cases", tok1, map[string]any{"reference": "R1", "teamId": team.ID}), 403)
	e.must(e.do("POST", "/api/v1/cases", admin, map[string]any{"reference": "R1", "teamId": team.ID}), 503)
	if p := get(admin, ""); p.Total != 5 { // the four above and KTR-77
		t.Fatalf("a case was stored without a workflow: %d", p.Total)
	}

	// Actions validate before talking to the workflow.
	base := "/api/v1/cases/" + itoa(ids[0])
	for _, tc := range []struct {
		path  string
		body  any
		field string
	}{
		{"/assign", map[string]any{}, "agentId"},
		{"/assign", map[string]any{"agentId": "me"}, "agentId"},
		{"/transfer", map[string]any{"teamId": 0}, "teamId"},
		{"/close", map[string]any{"reason": "bored"}, "reason"},
		{"/close", map[string]any{}, "reason"},
		{"/outcome", map[string]any{"outcome": "promise_to_pay"}, "promiseDate"},
		{"/outcome", map[string]any{"outcome": "promise_to_pay", "promiseDate": "tomorrow"}, "promiseDate"},
		{"/outcome", map[string]any{"outcome": "shrug"}, "outcome"},
		{"/recall", map[string]any{"why": "x"}, "why"},
	} {
		r := e.must(e.do("POST", base+tc.path, admin, tc.body), 400)
		if _, f := r.errField(); f != tc.field {
			t.Errorf("%s %v: field %q, want %q", tc.path, tc.body, f, tc.field)
		}
	}
	// Agents may not assign; another agent's case is 404; a valid request
	// needs the workflows (503 here).
	e.must(e.do("POST", base+"/assign", tok1, map[string]any{"agentId": a2}), 403)
	e.must(e.do("POST", base+"/outcome", tok2, map[string]any{"outcome": "contacted"}), 404)
	e.must(e.do("POST", base+"/outcome", tok1, map[string]any{"outcome": "contacted"}), 503)
	e.must(e.do("POST", "/api/v1/cases/999999/recall", admin, nil), 404)
	e.must(e.do("POST", base+"/recall", admin, nil), 503)

	// Redistribution: exactly one target, in scope.
	e.must(e.do("POST", "/api/v1/cases/redistribute", admin, map[string]any{}), 400)
	e.must(e.do("POST", "/api/v1/cases/redistribute", admin, map[string]any{"teamId": team.ID, "agentId": a1}), 400)
	e.must(e.do("POST", "/api/v1/cases/redistribute", admin, map[string]any{"agentId": 424242}), 404)
	e.must(e.do("POST", "/api/v1/cases/redistribute", tok1, map[string]any{"agentId": a1}), 403)
	e.must(e.do("POST", "/api/v1/cases/redistribute", admin, map[string]any{"agentId": a1}), 503)
}
