package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/cases"
)

// TestSecurityCasesEndToEnd (issue #17, findings 3 and 13) through real
// Temporal workflows, chained: a supervisor creates a case on its own team's
// customer and assigns it (allowed), cannot assign it to another team's
// agent, and cannot read another team's redistribution progress by its
// guessable id.
func TestSecurityCasesEndToEnd(t *testing.T) {
	t.Parallel()
	st := startStack(t, 24*time.Hour)
	seed := st.seedInbox()
	var supRole, agentRole int64
	st.db.Gorm.Raw(`SELECT id FROM roles WHERE system_key = 'supervisor'`).Scan(&supRole)
	st.db.Gorm.Raw(`SELECT id FROM roles WHERE system_key = 'agent'`).Scan(&agentRole)
	var other struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Penagihan Surabaya", "strategy": "manual"}, &other); code != 201 {
		t.Fatalf("team: %d", code)
	}
	mk := func(email string, role int64, team int64) int64 {
		var a struct{ ID int64 }
		if code := st.call("POST", "/api/v1/agents", seed.admin, map[string]any{"name": email, "email": email, "password": "agent-password-1",
			"roleId": role, "teamIds": []int64{team}}, &a); code != 201 {
			t.Fatalf("agent %s: %d", email, code)
		}
		return a.ID
	}
	mk("sup1@e2e.id", supRole, seed.teamID)
	mk("sup2@e2e.id", supRole, other.ID)
	stranger := mk("sby@e2e.id", agentRole, other.ID)
	sup1, sup2 := st.login("sup1@e2e.id", "agent-password-1"), st.login("sup2@e2e.id", "agent-password-1")

	var debtor struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", seed.admin, map[string]any{"phone": "0812-1111-2222", "name": "Sari", "ownerAgentId": seed.ayuID}, &debtor); code != 201 {
		t.Fatalf("contact: %d", code)
	}
	var c cases.Case
	if code := st.call("POST", "/api/v1/cases", sup1, map[string]any{"reference": "SEC-1", "amount": 100000, "teamId": seed.teamID, "contactId": debtor.ID}, &c); code != 201 {
		t.Fatalf("supervisor creates a case on its team's customer: %d", code)
	}
	if code := st.call("POST", "/api/v1/cases", sup2, map[string]any{"reference": "SEC-2", "amount": 100000, "teamId": other.ID, "contactId": debtor.ID}, nil); code != 404 {
		t.Fatalf("another team's supervisor names that customer: %d, want 404", code)
	}
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	if code := st.call("POST", path+"/assign", sup1, map[string]any{"agentId": stranger}, nil); code != 404 {
		t.Fatalf("assign to another team's agent: %d, want 404", code)
	}
	if code := st.call("POST", path+"/assign", sup1, map[string]any{"agentId": seed.ayuID}, nil); code != 200 {
		t.Fatalf("assign within the team: %d", code)
	}
	waitCase(t, st, sup1, c.ID, "assigned to Ayu", func(c cases.Case) bool { return c.AgentID != nil && *c.AgentID == seed.ayuID })

	var started struct {
		WorkflowID string `json:"workflowId"`
	}
	if code := st.call("POST", "/api/v1/cases/redistribute", sup1, map[string]any{"teamId": seed.teamID}, &started); code != 202 {
		t.Fatalf("redistribute: %d", code)
	}
	waitUntil(t, 20*time.Second, "progress readable by its team's supervisor", func() bool {
		return st.call("GET", "/api/v1/cases/redistribute/"+started.WorkflowID, sup1, nil, nil) == 200
	})
	if code := st.call("GET", "/api/v1/cases/redistribute/"+started.WorkflowID, sup2, nil, nil); code != 404 {
		t.Fatalf("another team's supervisor reads the progress: %d, want 404", code)
	}
	if code := st.call("POST", "/api/v1/cases/redistribute", sup2, map[string]any{"teamId": seed.teamID}, nil); code != 404 {
		t.Fatalf("another team's supervisor redistributes it: %d, want 404", code)
	}
}
