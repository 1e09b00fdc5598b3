package api_test

import (
	"slices"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func TestCustomRoleLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()

	var cat struct {
		Items []models.PermissionInfo `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/permissions", admin, nil), 200).json(t, &cat)
	if len(cat.Items) != len(models.AllPermissions()) {
		t.Fatalf("catalog has %d entries", len(cat.Items))
	}

	// Create.
	var r identity.Role
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{
		"name": "Quality", "permissions": []string{"inbox:read", "profile:read", "inbox:read"}, "dataScope": "teams",
	}), 201).json(t, &r)
	if r.Name != "Quality" || r.System || r.DataScope != "teams" || !slices.Equal(r.Permissions, []models.Permission{"inbox:read", "profile:read"}) {
		t.Fatalf("created role: %+v", r)
	}
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{"name": "quality", "permissions": []string{}}), 409)

	// Give it to an agent: the agent's rights follow the role.
	id := e.agent("q@example.com", e.roleID(models.RoleKeyAgent))
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(id), admin, map[string]any{"roleId": r.ID}), 200)
	tok := e.login("q@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/me", tok, nil), 200)
	e.must(e.do("GET", "/api/v1/audit", tok, nil), 403)

	// Edit its permissions: the change applies to the agent's next call.
	e.must(e.do("PATCH", "/api/v1/roles/"+itoa(r.ID), admin, map[string]any{"permissions": []string{"profile:read", "audit:read"}}), 200).json(t, &r)
	if !slices.Equal(r.Permissions, []models.Permission{"audit:read", "profile:read"}) || r.AgentCount != 1 {
		t.Fatalf("edited role: %+v", r)
	}
	e.must(e.do("GET", "/api/v1/audit", tok, nil), 200)

	// Delete is refused while an agent holds it, with a clear 409.
	var b struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	e.must(e.do("DELETE", "/api/v1/roles/"+itoa(r.ID), admin, nil), 409).json(t, &b)
	if b.Error.Code != "conflict" || b.Error.Details["agentCount"] != float64(1) {
		t.Fatalf("409 body: %+v", b)
	}
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(id), admin, map[string]any{"roleId": e.roleID(models.RoleKeyAgent)}), 200)
	e.must(e.do("DELETE", "/api/v1/roles/"+itoa(r.ID), admin, nil), 204)
	e.must(e.do("GET", "/api/v1/roles/"+itoa(r.ID), admin, nil), 404)

	// The audit log has the permission edit with its diff, and the role change.
	var al struct {
		Items []identity.AuditEntry `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/audit?entity=role&entityId="+itoa(r.ID), admin, nil), 200).json(t, &al)
	var actions []string
	for _, it := range al.Items {
		actions = append(actions, it.Action)
	}
	if !slices.Equal(actions, []string{identity.AuditRoleDelete, identity.AuditRolePermissions, identity.AuditRoleCreate}) {
		t.Fatalf("role audit: %v", actions)
	}
	if d := al.Items[1].Details; len(d["added"].([]any)) != 1 || len(d["removed"].([]any)) != 1 {
		t.Fatalf("permission diff: %v", d)
	}
}

func TestSystemRolesAreProtected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	adminRole, agentRole := e.roleID(models.RoleKeyAdmin), e.roleID(models.RoleKeyAgent)
	for _, key := range []string{models.RoleKeyAdmin, models.RoleKeySupervisor, models.RoleKeyAgent, models.RoleKeyCampaignManager} {
		e.must(e.do("DELETE", "/api/v1/roles/"+itoa(e.roleID(key)), admin, nil), 409)
	}
	// Admin keeps every permission and its scope.
	if _, f := e.must(e.do("PATCH", "/api/v1/roles/"+itoa(adminRole), admin, map[string]any{"permissions": []string{"profile:read"}}), 422).errField(); f != "permissions" {
		t.Fatalf("field %q", f)
	}
	e.must(e.do("PATCH", "/api/v1/roles/"+itoa(adminRole), admin, map[string]any{"dataScope": "own"}), 422)
	e.must(e.do("PATCH", "/api/v1/roles/"+itoa(agentRole), admin, map[string]any{"name": "Worker"}), 422)
	var r identity.Role
	e.must(e.do("GET", "/api/v1/roles/"+itoa(adminRole), admin, nil), 200).json(t, &r)
	if len(r.Permissions) != len(models.AllPermissions()) || !r.System {
		t.Fatalf("admin role: %+v", r)
	}
	// Other system roles may have their grants tuned.
	e.must(e.do("PATCH", "/api/v1/roles/"+itoa(agentRole), admin, map[string]any{"permissions": []string{"profile:read", "profile:write", "inbox:read"}}), 200)
}
