package models

import (
	"fmt"

	"gorm.io/gorm"
)

// Candidate is an agent eligible for new work with its current load.
type Candidate struct {
	AgentID int64
	Load    int
}

// PickRoundRobin returns the first candidate after cursor (by agent id),
// wrapping around; candidates must be sorted by AgentID. 0 when none.
func PickRoundRobin(cands []Candidate, cursor int64) int64 {
	if len(cands) == 0 {
		return 0
	}
	for _, c := range cands {
		if c.AgentID > cursor {
			return c.AgentID
		}
	}
	return cands[0].AgentID
}

// PickLeastLoaded returns the candidate with the smallest load, the lowest
// agent id breaking ties. 0 when none.
func PickLeastLoaded(cands []Candidate) int64 {
	var best *Candidate
	for i := range cands {
		c := &cands[i]
		if best == nil || c.Load < best.Load || (c.Load == best.Load && c.AgentID < best.AgentID) {
			best = c
		}
	}
	if best == nil {
		return 0
	}
	return best.AgentID
}

// pickFromTeam chooses an agent of teamID by the team's strategy among
// active, online members under capacity (capCol), with load from loadSQL.
// It advances the team's round-robin cursor (cursorCol) under a row lock.
// Agents in exclude are not candidates (a redistributed case never goes
// back to the agent it was taken from).
func PickFromTeam(tx *gorm.DB, teamID int64, cursorCol, loadSQL, capCol string, exclude ...int64) (agent int64, strategy, reason string, err error) {
	var team struct {
		Strategy string
		Cursor   int64
	}
	if err = tx.Raw(`SELECT strategy, `+cursorCol+` AS cursor FROM teams WHERE id = ? FOR UPDATE`, teamID).Scan(&team).Error; err != nil {
		return 0, "", "", fmt.Errorf("team %d: %w", teamID, err)
	}
	if team.Strategy == "" {
		return 0, "", "team not found: left unassigned", nil
	}
	if team.Strategy == StrategyManual {
		return 0, StrategyManual, "manual team: waiting in the team queue", nil
	}
	var cands []Candidate
	presence := ""
	if cursorCol == "conv_rr_cursor" {
		presence = "AND a.presence = 'online'" // conversations need someone there; cases do not
	}
	if err = tx.Raw(`WITH load AS (`+loadSQL+`)
		SELECT a.id AS agent_id, COALESCE(l.n, 0) AS load
		FROM team_members tm JOIN agents a ON a.id = tm.agent_id LEFT JOIN load l ON l.agent_id = a.id
		WHERE tm.team_id = ? AND a.status = 'active' `+presence+` AND COALESCE(l.n, 0) < a.`+capCol+`
			AND a.id <> ALL(?::bigint[])
		ORDER BY a.id`, teamID, Int64List(exclude)).Scan(&cands).Error; err != nil {
		return 0, "", "", fmt.Errorf("candidates of team %d: %w", teamID, err)
	}
	switch team.Strategy {
	case StrategyLeastLoaded:
		agent = PickLeastLoaded(cands)
	default:
		agent = PickRoundRobin(cands, team.Cursor)
	}
	if agent == 0 {
		return 0, team.Strategy, "nobody available with capacity: waiting in the team queue", nil
	}
	if err = tx.Exec(`UPDATE teams SET `+cursorCol+` = ? WHERE id = ?`, agent, teamID).Error; err != nil {
		return 0, "", "", err
	}
	return agent, team.Strategy, "assigned by " + team.Strategy, nil
}

// Conversation load: the open and pending conversations assigned to an
// agent count against its max_conversations. Routing, taking from the
// queue and the live floor all count this way.
const loadStatuses = `('open','pending')`

// ConvLoadSQL is every agent's conversation load (agent_id, n), for
// PickFromTeam.
const ConvLoadSQL = `SELECT assignee_agent_id AS agent_id, count(*) AS n
	FROM conversations WHERE status IN ` + loadStatuses + ` AND assignee_agent_id IS NOT NULL GROUP BY 1`

// AgentConvLoadSQL is one agent's conversation load as a scalar subquery
// over the agent id column agentCol.
func AgentConvLoadSQL(agentCol string) string {
	return `(SELECT count(*) FROM conversations lc WHERE lc.assignee_agent_id = ` + agentCol + ` AND lc.status IN ` + loadStatuses + `)`
}

// Assignment strategies of a team.
const (
	StrategyRoundRobin  = "round_robin"
	StrategyLeastLoaded = "least_loaded"
	StrategyManual      = "manual" // a pool agents pick up from
)
