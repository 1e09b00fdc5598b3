package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

type agentList struct {
	Items  []identity.Agent `json:"items"`
	Total  int64            `json:"total"`
	Limit  int              `json:"limit"`
	Offset int              `json:"offset"`
}

func ids(as []identity.Agent) []int64 {
	out := []int64{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func TestAgentCRUDAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	var team identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Collections"}), 201).json(t, &team)

	var a identity.Agent
	e.must(e.do("POST", "/api/v1/agents", admin, map[string]any{
		"name": "Budi", "email": "Budi@Example.com", "phone": "+62 812-3456-789", "password": pw,
		"roleId": e.roleID(models.RoleKeyAgent), "teamIds": []int64{team.ID}, "maxConversations": 5, "maxCases": 7,
	}), 201).json(t, &a)
	if a.Email != "budi@example.com" || a.Phone != "+628123456789" || a.MaxConversations != 5 || a.MaxCases != 7 ||
		a.Status != "active" || a.Presence != "offline" || len(a.Teams) != 1 || a.Teams[0].TeamRole != "member" || a.RoleName != "Agent" {
		t.Fatalf("created: %+v", a)
	}
	var got identity.Agent
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a.ID), admin, nil), 200).json(t, &got)
	if got.ID != a.ID || got.Email != a.Email {
		t.Fatalf("get: %+v", got)
	}
	var up identity.Agent
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(a.ID), admin, map[string]any{"name": "Budi S.", "maxCases": 3}), 200).json(t, &up)
	if up.Name != "Budi S." || up.MaxCases != 3 || up.MaxConversations != 5 {
		t.Fatalf("update: %+v", up)
	}
	// The agent's own zone (SLA hours may count in it): an IANA name, or
	// none; a made-up one or the server's "Local" is refused.
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(a.ID), admin, map[string]any{"zone": "Asia/Makassar"}), 200).json(t, &up)
	if up.Zone != "Asia/Makassar" {
		t.Fatalf("zone: %+v", up)
	}
	for _, bad := range []string{"Asia/Bandung", "Local"} {
		if r := e.do("PATCH", "/api/v1/agents/"+itoa(a.ID), admin, map[string]any{"zone": bad}); r.status != 400 || !strings.Contains(string(r.body), `"zone"`) {
			t.Fatalf("zone %q: %d %s", bad, r.status, r.body)
		}
	}
	e.must(e.do("POST", "/api/v1/agents", admin, map[string]any{"name": "Zed", "email": "zed@example.com", "password": pw,
		"roleId": e.roleID(models.RoleKeyAgent), "zone": "Nowhere/Town"}), 400)

	sup := e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor))
	var l agentList
	e.must(e.do("GET", "/api/v1/agents?roleId="+itoa(e.roleID(models.RoleKeySupervisor)), admin, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != sup {
		t.Fatalf("role filter: %+v", l)
	}
	e.must(e.do("GET", "/api/v1/agents?teamId="+itoa(team.ID), admin, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != a.ID {
		t.Fatalf("team filter: %+v", l)
	}
	e.must(e.do("GET", "/api/v1/agents?status=active&limit=2&offset=1", admin, nil), 200).json(t, &l)
	if l.Total != 3 || len(l.Items) != 2 || l.Limit != 2 || l.Offset != 1 {
		t.Fatalf("paging: total=%d items=%v", l.Total, ids(l.Items))
	}
	e.must(e.do("GET", "/api/v1/agents?presence=online", admin, nil), 200).json(t, &l)
	if l.Total != 0 {
		t.Fatalf("presence filter: %+v", l)
	}
	// Password reset ends the agent's sessions; the new password works.
	tok := e.login("budi@example.com").AccessToken
	e.must(e.do("POST", "/api/v1/agents/"+itoa(a.ID)+"/password", admin, map[string]string{"password": "a-brand-new-password"}), 204)
	e.must(e.do("GET", "/api/v1/me", tok, nil), 401)
	e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "budi@example.com", "password": "a-brand-new-password"}), 200)
}

func TestAgentDataScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agentRole, supRole := e.roleID(models.RoleKeyAgent), e.roleID(models.RoleKeySupervisor)
	teams := identity.TeamStore{DB: e.db}
	north, err := teams.Create(context.Background(), system, identity.TeamInput{Name: "North"})
	if err != nil {
		t.Fatal(err)
	}
	south, err := teams.Create(context.Background(), system, identity.TeamInput{Name: "South"})
	if err != nil {
		t.Fatal(err)
	}
	a1 := e.agent("a1@example.com", agentRole, north.ID)
	a2 := e.agent("a2@example.com", agentRole, north.ID)
	a3 := e.agent("a3@example.com", agentRole, south.ID)
	sup := e.agent("sup@example.com", supRole, north.ID)

	// An Agent sees only itself: another agent's record is 404, not 403.
	t1 := e.login("a1@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a1), t1, nil), 200)
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a2), t1, nil), 404)
	e.must(e.do("GET", "/api/v1/agents/"+itoa(sup), t1, nil), 404)
	var l agentList
	e.must(e.do("GET", "/api/v1/agents", t1, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != a1 {
		t.Fatalf("agent list: %v", ids(l.Items))
	}

	// A Supervisor sees the members of its teams, not the others.
	ts := e.login("sup@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a2), ts, nil), 200)
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a3), ts, nil), 404)
	e.must(e.do("GET", "/api/v1/agents", ts, nil), 200).json(t, &l)
	if got := ids(l.Items); len(got) != 3 || got[0] != a1 || got[1] != a2 || got[2] != sup {
		t.Fatalf("supervisor list: %v", got)
	}

	// A team lead with the Agent role supervises its team.
	if _, err := teams.SetMember(context.Background(), system, south.ID, a1, identity.TeamRoleLead); err != nil {
		t.Fatal(err)
	}
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a3), t1, nil), 200)
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a2), t1, nil), 404)
	var me struct {
		TeamIDs           []int64 `json:"teamIds"`
		SupervisedTeamIDs []int64 `json:"supervisedTeamIds"`
	}
	e.must(e.do("GET", "/api/v1/me", t1, nil), 200).json(t, &me)
	if len(me.TeamIDs) != 2 || len(me.SupervisedTeamIDs) != 1 || me.SupervisedTeamIDs[0] != south.ID {
		t.Fatalf("me scope: %+v", me)
	}

	// An Admin sees all.
	_, admin := e.admin()
	e.must(e.do("GET", "/api/v1/agents", admin, nil), 200).json(t, &l)
	if l.Total != 5 {
		t.Fatalf("admin sees %d agents, want 5", l.Total)
	}
}

func TestDisableKillsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adminID, admin := e.admin()
	id := e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	lb := e.login("a@example.com")
	e.must(e.do("GET", "/api/v1/me", lb.AccessToken, nil), 200)

	var a identity.Agent
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/disable", admin, nil), 200).json(t, &a)
	if a.Status != "disabled" || a.Presence != "offline" || a.Assignable() {
		t.Fatalf("disabled agent: %+v", a)
	}
	// The very next call with the old token fails, and so do refresh and login.
	e.must(e.do("GET", "/api/v1/me", lb.AccessToken, nil), 401)
	if _, err := e.tokens.Authenticate(context.Background(), lb.AccessToken); models.CodeOf(err) != models.EUnauthorized {
		t.Fatalf("Authenticate after disable: %v", err)
	}
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": lb.RefreshToken}), 401)
	r := e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "a@example.com", "password": pw}), 401)
	// The same answer as a wrong password: a disabled account's right
	// password is not confirmed (issue #17 finding 10).
	if strings.Contains(string(r.body), "disabled") || !strings.Contains(string(r.body), "invalid email or password") {
		t.Fatalf("login of disabled agent: %s", r.body)
	}
	// The agent stays visible to supervisors, and the gateway got an event.
	e.must(e.do("GET", "/api/v1/agents/"+itoa(id), admin, nil), 200)
	var n int64
	e.db.Raw("SELECT count(*) FROM events WHERE type = ?", identity.EventAgentDisabled).Scan(&n)
	if n != 1 {
		t.Fatalf("agent.disabled events = %d", n)
	}
	// Enabling lets it log in again; old tokens stay dead.
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/enable", admin, nil), 200)
	e.must(e.do("GET", "/api/v1/me", lb.AccessToken, nil), 401)
	e.login("a@example.com")

	// An Admin cannot disable itself or take away its own Admin role.
	e.must(e.do("POST", "/api/v1/agents/"+itoa(adminID)+"/disable", admin, nil), 422)
	if _, f := e.must(e.do("PATCH", "/api/v1/agents/"+itoa(adminID), admin,
		map[string]any{"roleId": e.roleID(models.RoleKeyAgent)}), 422).errField(); f != "roleId" {
		t.Fatalf("self demotion field %q", f)
	}
}

func TestNoPrivilegeEscalation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adminID, _ := e.admin()
	// A custom role that may manage agents but holds nothing else.
	r, err := identity.RoleStore{DB: e.db}.Create(context.Background(), system, identity.RoleInput{Name: "HR",
		Permissions: []models.Permission{models.PermAgentsRead, models.PermAgentsWrite, models.PermAgentsDelete}, DataScope: models.ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	hrID := e.agent("hr@example.com", r.ID)
	hr := e.login("hr@example.com").AccessToken
	agentID := e.agent("a@example.com", e.roleID(models.RoleKeyAgent))

	// It cannot hand out roles holding rights it lacks, not even to itself...
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(agentID), hr, map[string]any{"roleId": e.roleID(models.RoleKeyAdmin)}), 403)
	e.must(e.do("POST", "/api/v1/agents", hr, map[string]any{"name": "x", "email": "x@example.com", "password": pw, "roleId": e.roleID(models.RoleKeyAdmin)}), 403)
	e.must(e.do("PATCH", "/api/v1/agents/"+itoa(hrID), hr, map[string]any{"roleId": e.roleID(models.RoleKeyAdmin)}), 422)
	// ...nor touch an agent who outranks it.
	e.must(e.do("POST", "/api/v1/agents/"+itoa(adminID)+"/password", hr, map[string]string{"password": "taken-over-account"}), 403)
	e.must(e.do("POST", "/api/v1/agents/"+itoa(adminID)+"/disable", hr, nil), 403)
	// The last active Admin cannot be disabled by anyone.
	if _, err := (identity.AgentStore{DB: e.db}).SetStatus(context.Background(), system, adminID, models.AgentDisabled); models.CodeOf(err) != models.EConflict {
		t.Fatalf("disable last admin: %v", err)
	}
}
