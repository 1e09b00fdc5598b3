package models

import (
	"encoding/json"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// ScopeFilter restricts a query to the records p may see, for tables that
// carry an assignee column and (optionally) a team column:
//
//	AllScope (Admin):  no restriction
//	otherwise:         agentCol = p.AgentID OR teamCol IN p.SupervisedTeamIDs
//
// agentCol and teamCol are trusted column names from code (never user
// input); pass teamCol "" for tables without a team. Use it as
// db.Scopes(models.ScopeFilter(p, "conversations.assignee_id", "conversations.team_id")).
func ScopeFilter(p Principal, agentCol, teamCol string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if p.AllScope {
			return db
		}
		if teamCol != "" && len(p.SupervisedTeamIDs) > 0 {
			return db.Where("("+agentCol+" = ? OR "+teamCol+" IN ?)", p.AgentID, p.SupervisedTeamIDs)
		}
		return db.Where(agentCol+" = ?", p.AgentID)
	}
}

// ContactScope restricts a query on contacts to the ones p may see. Contacts
// carry no team, so a supervisor's team scope is the contacts owned by the
// members of the teams it supervises (DESIGN: "a Supervisor their teams'");
// an agent sees the contacts it owns. Beside ownership, the contact of a
// conversation or a case p sees is visible too: the assignee of a chat
// reads (and, with contacts:write, edits) the customer it serves; a
// supervisor the customers of its teams' conversations and cases. It lives
// in the kernel because other domains check contact ids (cases) and rows
// about contacts (campaign recipients and exports) through it too.
func ContactScope(p Principal) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		cond, args := ContactScopeSQL(p, "contacts")
		if cond == "" {
			return db
		}
		return db.Where(cond, args)
	}
}

// ContactScopeSQL is ContactScope as a condition on the contacts table
// (or alias) named table (trusted, from code) with named arguments, for raw
// queries; "" when p sees every contact.
func ContactScopeSQL(p Principal, table string) (string, map[string]any) {
	if p.AllScope {
		return "", nil
	}
	owned, args := ContactOwnedSQL(p, table+".owner_agent_id")
	work := "SELECT contact_id FROM conversations WHERE assignee_agent_id = @scope_agent" +
		" UNION ALL SELECT contact_id FROM cases WHERE agent_id = @scope_agent"
	if len(p.SupervisedTeamIDs) > 0 {
		work = "SELECT contact_id FROM conversations WHERE assignee_agent_id = @scope_agent OR team_id IN @scope_teams" +
			" UNION ALL SELECT contact_id FROM cases WHERE agent_id = @scope_agent OR team_id IN @scope_teams"
	}
	return "(" + owned + " OR " + table + ".id IN (" + work + "))", args
}

// ContactOwnedSQL is the ownership half of the contact scope as a condition
// on ownerCol (a trusted column name from code): the contacts p owns, and
// for a supervisor those owned by its teams' members; "" when p sees every
// contact. Handing a contact to another owner needs this scope (serving its
// conversation is no claim on the customer).
func ContactOwnedSQL(p Principal, ownerCol string) (string, map[string]any) {
	if p.AllScope {
		return "", nil
	}
	args := map[string]any{"scope_agent": p.AgentID}
	if len(p.SupervisedTeamIDs) > 0 {
		args["scope_teams"] = p.SupervisedTeamIDs
		return "(" + ownerCol + " = @scope_agent OR " + ownerCol + " IN (SELECT agent_id FROM team_members WHERE team_id IN @scope_teams))", args
	}
	return ownerCol + " = @scope_agent", args
}

// AgentScope restricts a query on agents to the ones p may see: itself, and
// the members of the teams it supervises (all agents for AllScope).
func AgentScope(p Principal) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if p.AllScope {
			return db
		}
		if len(p.SupervisedTeamIDs) > 0 {
			return db.Where("(agents.id = ? OR agents.id IN (SELECT agent_id FROM team_members WHERE team_id IN ?))",
				p.AgentID, p.SupervisedTeamIDs)
		}
		return db.Where("agents.id = ?", p.AgentID)
	}
}

// SeesTeam reports whether p may see a team at all: Admin-like, a member, or a supervisor of it.
func (p Principal) SeesTeam(teamID int64) bool {
	return p.AllScope || slices.Contains(p.TeamIDs, teamID) || slices.Contains(p.SupervisedTeamIDs, teamID)
}

// SeesTeamMembers reports whether p may see every member of a team.
func (p Principal) SeesTeamMembers(teamID int64) bool {
	return p.AllScope || slices.Contains(p.SupervisedTeamIDs, teamID)
}

// AssignableScope keeps agents that may receive new work: disabled agents
// get no new assignments (their open work keeps its assignee).
func AssignableScope(db *gorm.DB) *gorm.DB {
	return db.Where("agents.status = ?", AgentActive)
}

// Page is limit/offset pagination as the API accepts it.
type Page struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Pagination bounds.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Normal returns p with defaults and bounds applied.
func (p Page) Normal() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// CountCap is how far a list's total is counted exactly: an exact count of
// a big filtered table costs a scan of every match (about 200 ms for 100k
// contacts) on every page, while a page shows 50 rows.
const CountCap = 10_000

// Count is a list's total: exact up to CountCap, above it the planner's
// estimate (Estimated); More says a row follows the page.
type Count struct {
	Total     int64
	Estimated bool
	More      bool
}

// CountRows counts the rows of q (a query without order, limit or offset)
// up to CountCap+1; more than that is answered with EXPLAIN's row estimate
// of q (never below CountCap+1).
func CountRows(q *gorm.DB) (Count, error) {
	var c Count
	sub := q.Session(&gorm.Session{}).Select("1").Limit(CountCap + 1)
	if err := q.Session(&gorm.Session{NewDB: true}).Raw("SELECT count(*) FROM (?) capped", sub).Scan(&c.Total).Error; err != nil {
		return c, fmt.Errorf("count: %w", err)
	}
	if c.Total <= CountCap {
		return c, nil
	}
	stmt := q.Session(&gorm.Session{DryRun: true}).Select("1").Find(&[]int{}).Statement
	// Straight to the connection: gorm's Raw would read the "@>" of a
	// containment filter as a named argument and drop the values.
	var plan string
	if err := stmt.ConnPool.QueryRowContext(stmt.Context, "EXPLAIN (FORMAT JSON) "+stmt.SQL.String(), stmt.Vars...).Scan(&plan); err != nil {
		return c, fmt.Errorf("estimate count: %w", err)
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) == 0 {
		return c, fmt.Errorf("estimate count: plan %q: %v", plan, err)
	}
	c.Total, c.Estimated = max(int64(out[0].Plan.Rows), CountCap+1), true
	return c, nil
}
