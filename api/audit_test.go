package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

type auditList struct {
	Items []identity.AuditEntry `json:"items"`
	Total int64                 `json:"total"`
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := time.Now().UTC().Add(-time.Second)
	adminID, admin := e.admin()
	id := e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(id), admin, map[string]any{"roleId": e.roleID(models.RoleKeySupervisor)}), 200)
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/disable", admin, nil), 200)

	var l auditList
	// Role change: who, what, which record, from and to.
	e.must(e.do("GET", "/api/v1/audit?action=agent.role_change", admin, nil), 200).json(t, &l)
	if l.Total != 1 || *l.Items[0].ActorID != adminID || *l.Items[0].EntityID != id || l.Items[0].Entity != "agent" ||
		l.Items[0].Details["toRole"] != "Supervisor" || l.Items[0].Details["fromRole"] != "Agent" {
		t.Fatalf("role change audit: %+v", l)
	}
	// Filters: actor, entity + id, time range, paging.
	e.must(e.do("GET", "/api/v1/audit?actorId="+itoa(adminID), admin, nil), 200).json(t, &l)
	want := map[string]bool{identity.AuditLogin: true, identity.AuditAgentRoleChange: true, identity.AuditAgentDisable: true}
	for _, it := range l.Items {
		if *it.ActorID != adminID {
			t.Fatalf("actor filter leaked %+v", it)
		}
		delete(want, it.Action)
	}
	if len(want) != 0 {
		t.Fatalf("missing actions %v in %+v", want, l.Items)
	}
	e.must(e.do("GET", "/api/v1/audit?entity=agent&entityId="+itoa(id), admin, nil), 200).json(t, &l)
	if l.Total != 3 || l.Items[0].Action != identity.AuditAgentDisable || l.Items[2].Action != identity.AuditAgentCreate {
		t.Fatalf("entity filter: %+v", l.Items)
	}
	e.must(e.do("GET", "/api/v1/audit?entity=agent&entityId="+itoa(id)+"&limit=1&offset=1", admin, nil), 200).json(t, &l)
	if l.Total != 3 || len(l.Items) != 1 || l.Items[0].Action != identity.AuditAgentRoleChange {
		t.Fatalf("paging: %+v", l)
	}
	future := url.QueryEscape(time.Now().UTC().Add(time.Hour).Format(time.RFC3339))
	e.must(e.do("GET", "/api/v1/audit?from="+future, admin, nil), 200).json(t, &l)
	if l.Total != 0 {
		t.Fatalf("from filter: %d rows", l.Total)
	}
	e.must(e.do("GET", "/api/v1/audit?from="+url.QueryEscape(start.Format(time.RFC3339))+"&to="+future+"&action=auth.login", admin, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].IP == "" {
		t.Fatalf("login audit: %+v", l.Items)
	}

	// Other areas write audit rows inside their own transactions; a rolled
	// back transaction leaves none.
	err := e.db.Transaction(func(tx *gorm.DB) error {
		if err := identity.WriteAudit(context.Background(), tx, identity.Audit(adminID, "contact.export", "contact", 0, map[string]any{"rows": 10})); err != nil {
			return err
		}
		return models.Errorf(models.EConflict, "abort")
	})
	if models.CodeOf(err) != models.EConflict {
		t.Fatal(err)
	}
	e.must(e.do("GET", "/api/v1/audit?action=contact.export", admin, nil), 200).json(t, &l)
	if l.Total != 0 {
		t.Fatal("rolled back audit row is visible")
	}
	if err := identity.WriteAudit(context.Background(), e.db, identity.Audit(adminID, "contact.export", "contact", 0, map[string]any{"rows": 10})); err != nil {
		t.Fatal(err)
	}
	e.must(e.do("GET", "/api/v1/audit?action=contact.export", admin, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].EntityID != nil || l.Items[0].Details["rows"] != float64(10) {
		t.Fatalf("export audit: %+v", l.Items)
	}
}

// TestBadInput: client mistakes are 400/409/422 JSON errors naming the
// field, never 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	agentRole := e.roleID(models.RoleKeyAgent)
	e.agent("taken@example.com", agentRole)
	valid := func(over map[string]any) map[string]any {
		m := map[string]any{"name": "N", "email": "new@example.com", "password": pw, "roleId": agentRole}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"malformed json", "POST", "/api/v1/agents", `{"name":`, 400, ""},
		{"syntax error", "POST", "/api/v1/agents", `{"name" "x"}`, 400, ""},
		{"empty body", "POST", "/api/v1/agents", ``, 400, ""},
		{"array body", "POST", "/api/v1/agents", `[]`, 400, ""},
		{"trailing data", "POST", "/api/v1/agents", `{"name":"x"} {}`, 400, ""},
		{"unknown field", "POST", "/api/v1/agents", valid(map[string]any{"isAdmin": true}), 400, "isAdmin"},
		{"wrong type", "POST", "/api/v1/agents", valid(map[string]any{"roleId": "3"}), 400, "roleId"},
		{"invalid email", "POST", "/api/v1/agents", valid(map[string]any{"email": "not-an-email"}), 422, "email"},
		{"display-name email", "POST", "/api/v1/agents", valid(map[string]any{"email": "Bob <bob@example.com>"}), 422, "email"},
		{"duplicate email", "POST", "/api/v1/agents", valid(map[string]any{"email": "TAKEN@example.com"}), 409, "email"},
		{"weak password", "POST", "/api/v1/agents", valid(map[string]any{"password": "short9char"[:9]}), 422, "password"},
		{"missing password", "POST", "/api/v1/agents", valid(map[string]any{"password": nil}), 422, "password"},
		{"missing name", "POST", "/api/v1/agents", valid(map[string]any{"name": "  "}), 422, "name"},
		{"unknown role", "POST", "/api/v1/agents", valid(map[string]any{"roleId": 424242}), 422, "roleId"},
		{"missing role", "POST", "/api/v1/agents", valid(map[string]any{"roleId": nil}), 422, "roleId"},
		{"unknown team", "POST", "/api/v1/agents", valid(map[string]any{"teamIds": []int64{424242}}), 422, "teamIds"},
		{"bad phone", "POST", "/api/v1/agents", valid(map[string]any{"phone": "call me"}), 422, "phone"},
		{"negative capacity", "POST", "/api/v1/agents", valid(map[string]any{"maxCases": -1}), 422, "maxCases"},
		{"bad id", "GET", "/api/v1/agents/abc", nil, 400, "id"},
		{"missing agent", "GET", "/api/v1/agents/424242", nil, 404, ""},
		{"patch unknown role", "PATCH", "/api/v1/agents/2", map[string]any{"roleId": 424242}, 422, "roleId"},
		{"bad status filter", "GET", "/api/v1/agents?status=gone", nil, 400, "status"},
		{"bad limit", "GET", "/api/v1/agents?limit=-1", nil, 400, "limit"},
		{"bad team filter", "GET", "/api/v1/agents?teamId=x", nil, 400, "teamId"},
		{"weak reset password", "POST", "/api/v1/agents/1/password", map[string]any{"password": "123"}, 422, "password"},
		{"unknown permission", "POST", "/api/v1/roles", map[string]any{"name": "R", "permissions": []string{"agents:fly"}}, 422, "permissions"},
		{"bad scope", "POST", "/api/v1/roles", map[string]any{"name": "R", "dataScope": "galaxy"}, 422, "dataScope"},
		{"permissions not array", "POST", "/api/v1/roles", map[string]any{"name": "R", "permissions": "agents:read"}, 400, "permissions"},
		{"bad strategy", "POST", "/api/v1/teams", map[string]any{"name": "T", "strategy": "random"}, 422, "strategy"},
		{"bad team role", "PUT", "/api/v1/teams/1/members/1", map[string]any{"teamRole": "boss"}, 422, "teamRole"},
		{"bad agent id in path", "PUT", "/api/v1/teams/1/members/x", map[string]any{}, 400, "agentId"},
		{"bad audit time", "GET", "/api/v1/audit?from=yesterday", nil, 400, "from"},
		{"login missing email", "POST", "/api/v1/auth/login", map[string]any{"password": "x"}, 400, "email"},
		{"login unknown field", "POST", "/api/v1/auth/login", map[string]any{"email": "a@b.c", "password": "x", "otp": 1}, 400, "otp"},
		{"refresh missing token", "POST", "/api/v1/auth/refresh", map[string]any{}, 400, "refreshToken"},
		{"huge body", "POST", "/api/v1/roles", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
	}
	// A team for the membership cases.
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "T1"}), 201)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, admin, c.body)
			code, field := r.errField()
			if r.status != c.status || field != c.field || code == "" {
				t.Fatalf("got %d field %q (%s), want %d field %q", r.status, field, r.body, c.status, c.field)
			}
		})
	}
}
