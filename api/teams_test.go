package api_test

import (
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func TestTeamMembership(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent))
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent))

	var team identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Retail", "strategy": "least_loaded"}), 201).json(t, &team)
	if team.Strategy != "least_loaded" || len(team.Members) != 0 {
		t.Fatalf("team: %+v", team)
	}
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "RETAIL"}), 409)
	var other identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Corporate"}), 201).json(t, &other)
	if other.Strategy != "round_robin" {
		t.Fatalf("default strategy %q", other.Strategy)
	}

	base := "/api/v1/teams/" + itoa(team.ID)
	e.must(e.do("PUT", base+"/members/"+itoa(a1), admin, map[string]any{"teamRole": "lead"}), 200)
	e.must(e.do("PUT", base+"/members/"+itoa(a2), admin, map[string]any{}), 200).json(t, &team)
	if len(team.Members) != 2 || team.Members[0].AgentID != a1 || team.Members[0].TeamRole != "lead" || team.Members[1].TeamRole != "member" {
		t.Fatalf("members: %+v", team.Members)
	}
	// An agent may be in several teams.
	e.must(e.do("PUT", "/api/v1/teams/"+itoa(other.ID)+"/members/"+itoa(a2), admin, map[string]any{"teamRole": "member"}), 200)
	var a identity.Agent
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a2), admin, nil), 200).json(t, &a)
	if len(a.Teams) != 2 {
		t.Fatalf("agent teams: %+v", a.Teams)
	}
	// The lead now supervises the team; the member does not.
	var me struct {
		SupervisedTeamIDs []int64 `json:"supervisedTeamIds"`
	}
	e.must(e.do("GET", "/api/v1/me", e.login("a1@example.com").AccessToken, nil), 200).json(t, &me)
	if len(me.SupervisedTeamIDs) != 1 || me.SupervisedTeamIDs[0] != team.ID {
		t.Fatalf("lead scope: %+v", me)
	}

	// Rename, change strategy; the Agent role may read teams but not edit them.
	e.must(e.do("PATCH", base, admin, map[string]any{"name": "Retail ID", "strategy": "manual"}), 200).json(t, &team)
	if team.Name != "Retail ID" || team.Strategy != "manual" {
		t.Fatalf("renamed: %+v", team)
	}
	tok := e.login("a2@example.com").AccessToken
	e.must(e.do("GET", base, tok, nil), 200)
	e.must(e.do("PATCH", base, tok, map[string]any{"name": "Mine"}), 403)

	// Team reads follow the data scope: a plain member sees only itself in
	// the member list, the lead sees everyone, outsiders see no team at all.
	var seen identity.Team
	e.must(e.do("GET", base, tok, nil), 200).json(t, &seen)
	if len(seen.Members) != 1 || seen.Members[0].AgentID != a2 {
		t.Fatalf("member view: %+v", seen.Members)
	}
	e.must(e.do("GET", base, e.login("a1@example.com").AccessToken, nil), 200).json(t, &seen)
	if len(seen.Members) != 2 {
		t.Fatalf("lead view: %+v", seen.Members)
	}
	e.agent("out@example.com", e.roleID(models.RoleKeyAgent))
	outsider := e.login("out@example.com").AccessToken
	e.must(e.do("GET", base, outsider, nil), 404)
	var vis struct {
		Items []identity.Team `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/teams", outsider, nil), 200).json(t, &vis)
	if len(vis.Items) != 0 {
		t.Fatalf("outsider sees teams: %+v", vis.Items)
	}

	// Remove a member; removing again is 404; unknown agent is 404.
	e.must(e.do("DELETE", base+"/members/"+itoa(a2), admin, nil), 204)
	e.must(e.do("DELETE", base+"/members/"+itoa(a2), admin, nil), 404)
	e.must(e.do("PUT", base+"/members/999999", admin, map[string]any{}), 404)

	// Delete the team: memberships go with it.
	e.must(e.do("DELETE", base, admin, nil), 204)
	e.must(e.do("GET", base, admin, nil), 404)
	e.must(e.do("GET", "/api/v1/agents/"+itoa(a1), admin, nil), 200).json(t, &a)
	if len(a.Teams) != 0 {
		t.Fatalf("teams after delete: %+v", a.Teams)
	}
	var list struct {
		Items []identity.Team `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/teams", admin, nil), 200).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != other.ID || len(list.Items[0].Members) != 1 {
		t.Fatalf("teams: %+v", list.Items)
	}
}
