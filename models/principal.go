package models

import "slices"

// Permission is a "resource:action" string from the permission catalog.
type Permission string

// Principal is an authenticated agent as the server sees it on a request or a
// websocket: who it is, what it may do, and which teams it supervises.
type Principal struct {
	AgentID int64
	// SessionID is the login session the access token belongs to (logout ends it).
	SessionID int64
	// APIKeyID is set (and AgentID zero) when a business system calls with
	// an API key: it acts with the key's role and teams, as nobody in person.
	APIKeyID    int64
	Email       string
	RoleName    string
	Permissions []Permission
	// TeamIDs are the teams the agent belongs to; SupervisedTeamIDs the ones
	// whose records it may see (team lead, or a Supervisor role).
	TeamIDs           []int64
	SupervisedTeamIDs []int64
	// AllScope is true for Admin-like roles that see every record.
	AllScope bool
	// DataScope is the role's scope (ScopeAll, ScopeTeams, ScopeOwn): what
	// the principal may hand out (CoversScope).
	DataScope string
}

// CoversScope reports whether p's data scope is at least scope
// (own < teams < all): nobody grants a wider view than its own.
func (p Principal) CoversScope(scope string) bool {
	if p.AllScope {
		return true
	}
	rank := func(s string) int {
		switch s {
		case ScopeAll:
			return 2
		case ScopeTeams:
			return 1
		}
		return 0
	}
	return rank(p.DataScope) >= rank(scope)
}

// Can reports whether the principal holds permission p.
func (p Principal) Can(perm Permission) bool {
	return slices.Contains(p.Permissions, perm)
}

// Audience says who may see an event or record: its assignee(s) and teams.
// Admins (AllScope) see everything; supervisors see their teams'.
type Audience struct {
	AgentIDs []int64 `json:"agentIds,omitempty"`
	TeamIDs  []int64 `json:"teamIds,omitempty"`
	// Queue marks a conversation that is (or, for a transfer, just was)
	// unassigned in the queue of its teams: members of those teams holding
	// inbox:take see it too, as their REST reads do.
	Queue bool `json:"queue,omitempty"`
}

// Merge is the audience of a change seen by both the old and the new
// audience (a transfer is heard by whoever had it and whoever gets it).
func (a Audience) Merge(b Audience) Audience {
	return Audience{
		AgentIDs: append(slices.Clone(a.AgentIDs), b.AgentIDs...),
		TeamIDs:  append(slices.Clone(a.TeamIDs), b.TeamIDs...),
		Queue:    a.Queue || b.Queue,
	}
}

// CanSee applies the data scope rule to an audience.
func (p Principal) CanSee(a Audience) bool {
	if p.AllScope {
		return true
	}
	if slices.Contains(a.AgentIDs, p.AgentID) {
		return true
	}
	for _, t := range a.TeamIDs {
		if slices.Contains(p.SupervisedTeamIDs, t) {
			return true
		}
	}
	if a.Queue && p.Can(PermInboxTake) {
		for _, t := range a.TeamIDs {
			if slices.Contains(p.TeamIDs, t) {
				return true
			}
		}
	}
	return false
}

// TakesFromQueue reports whether p hears the queue events of its own teams
// (inbox:take without a wider view that covers them anyway).
func (p Principal) TakesFromQueue() bool {
	return !p.AllScope && len(p.TeamIDs) > 0 && p.Can(PermInboxTake)
}
