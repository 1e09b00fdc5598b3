package cases

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (s CaseStore) assignTo(c *Case, agent int64) {
	now := s.now()
	c.AgentID, c.Status, c.AssignedAt, c.Overdue = &agent, CaseAssigned, &now, false
}

// AutoAssign assigns a pooled case by its team's strategy among active
// members under max_cases, in one transaction (the team row lock
// serialises concurrent picks). A case already assigned answers with its
// agent, so a retried activity changes nothing.
func (s CaseStore) AutoAssign(ctx context.Context, caseID int64) (CaseAssignResult, error) {
	return s.autoAssign(ctx, caseID, false)
}

// AutoAssignAway is AutoAssign for a case just taken from an agent
// (redistribution): the agent it was last recalled from is no candidate,
// so it never goes straight back. With nobody else it stays pooled.
func (s CaseStore) AutoAssignAway(ctx context.Context, caseID int64) (CaseAssignResult, error) {
	return s.autoAssign(ctx, caseID, true)
}

func (s CaseStore) autoAssign(ctx context.Context, caseID int64, away bool) (CaseAssignResult, error) {
	var r CaseAssignResult
	_, err := s.mutate(ctx, caseID, 0, func(tx *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Status != CasePooled {
			if c.Status != CaseExited && c.AgentID != nil {
				r = CaseAssignResult{AgentID: *c.AgentID, Reason: "already assigned"}
			}
			return nil, nil
		}
		var exclude []int64
		if away {
			if err := tx.Raw(`SELECT from_agent FROM case_history WHERE case_id = ? AND to_status = ? AND from_agent IS NOT NULL
				ORDER BY id DESC LIMIT 1`, c.ID, CasePooled).Scan(&exclude).Error; err != nil {
				return nil, fmt.Errorf("case %d: last agent: %w", c.ID, err)
			}
		}
		agent, strategy, reason, err := models.PickFromTeam(tx, c.TeamID, "case_rr_cursor", caseLoadSQL, "max_cases", exclude...)
		if err != nil {
			return nil, err
		}
		r = CaseAssignResult{AgentID: agent, Strategy: strategy, Reason: reason}
		if agent == 0 {
			return nil, nil
		}
		s.assignTo(c, agent)
		return &CaseHistory{Reason: "auto:" + strategy}, nil
	})
	return r, err
}

// Assign gives the case to a named agent: active, a member of the case's
// team, under max_cases.
func (s CaseStore) Assign(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(tx *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Status == CaseExited {
			return nil, exitedErr(c)
		}
		if ch.FromPool && c.Status != CasePooled {
			if c.AgentID != nil && *c.AgentID == ch.AgentID {
				return nil, nil // this agent's claim, retried
			}
			return nil, models.Errorf(models.EConflict, "case %d is no longer in the pool", c.ID)
		}
		if c.AgentID != nil && *c.AgentID == ch.AgentID {
			return nil, nil
		}
		var a struct {
			Status   string
			MaxCases int
			Member   bool
			Load     int
		}
		if err := tx.Raw(`SELECT a.status, a.max_cases,
				EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = ? AND tm.agent_id = a.id) AS member,
				COALESCE((SELECT n FROM case_loads l WHERE l.agent_id = a.id), 0) AS load
			FROM agents a WHERE a.id = ?`, c.TeamID, ch.AgentID).Scan(&a).Error; err != nil {
			return nil, fmt.Errorf("agent %d: %w", ch.AgentID, err)
		}
		switch {
		case a.Status == "":
			return nil, models.FieldError(models.ENotFound, "agentId", "agent %d not found", ch.AgentID)
		case a.Status != models.AgentActive:
			return nil, models.FieldError(models.EUnprocessable, "agentId", "agent %d is %s", ch.AgentID, a.Status)
		case !a.Member:
			return nil, models.FieldError(models.EUnprocessable, "agentId", "agent %d is not a member of team %d", ch.AgentID, c.TeamID)
		case a.Load >= a.MaxCases:
			return nil, models.FieldError(models.EUnprocessable, "agentId", "agent %d is at capacity (%d of %d cases)", ch.AgentID, a.Load, a.MaxCases)
		}
		s.assignTo(c, ch.AgentID)
		return &CaseHistory{Reason: orDefault(ch.Reason, "manual"), Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// pgArray formats ids as a PostgreSQL array literal (pass with ::bigint[]).
func pgArray(ids []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte('}')
	return b.String()
}

// MaxAssignBatch bounds AutoAssignBatch.
const MaxAssignBatch = 2000

// AutoAssignBatch assigns many pooled cases of one team by its strategy in
// one transaction (one team lock, one candidate read, set-based writes):
// the path for bulk loads, before the cases' workflows start or while they
// wait in the pool (a workflow that finds its case assigned adopts it).
// Cases not pooled or not in the team are left alone. It returns the agent
// each case got; cases left out stayed pooled (manual team, no capacity).
func (s CaseStore) AutoAssignBatch(ctx context.Context, teamID int64, caseIDs []int64) (map[int64]int64, error) {
	if len(caseIDs) > MaxAssignBatch {
		return nil, models.FieldError(models.EInvalid, "caseIds", "at most %d cases per batch", MaxAssignBatch)
	}
	got := map[int64]int64{}
	var evs []models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var team struct {
			Strategy string
			Cursor   int64
		}
		if err := tx.Raw(`SELECT strategy, case_rr_cursor AS cursor FROM teams WHERE id = ? FOR UPDATE`, teamID).Scan(&team).Error; err != nil {
			return fmt.Errorf("team %d: %w", teamID, err)
		}
		if team.Strategy == "" {
			return models.FieldError(models.ENotFound, "teamId", "team %d not found", teamID)
		}
		if team.Strategy == models.StrategyManual {
			return nil
		}
		var cases []struct {
			ID        int64
			ContactID *int64
		}
		if err := tx.Raw(`SELECT id, contact_id FROM cases WHERE id = ANY(?::bigint[]) AND team_id = ? AND status = 'pooled' ORDER BY id FOR UPDATE`,
			pgArray(caseIDs), teamID).Scan(&cases).Error; err != nil {
			return fmt.Errorf("lock cases: %w", err)
		}
		var cands []struct {
			AgentID  int64
			Load     int
			MaxCases int
		}
		if err := tx.Raw(`SELECT a.id AS agent_id, COALESCE(l.n, 0) AS load, a.max_cases
			FROM team_members tm JOIN agents a ON a.id = tm.agent_id LEFT JOIN case_loads l ON l.agent_id = a.id
			WHERE tm.team_id = ? AND a.status = 'active' ORDER BY a.id`, teamID).Scan(&cands).Error; err != nil {
			return fmt.Errorf("candidates of team %d: %w", teamID, err)
		}
		var ids, agents, contacts, owners []int64
		cursor := team.Cursor
		for _, c := range cases {
			var open []models.Candidate
			for _, a := range cands {
				if a.Load < a.MaxCases {
					open = append(open, models.Candidate{AgentID: a.AgentID, Load: a.Load})
				}
			}
			var agent int64
			if team.Strategy == models.StrategyLeastLoaded {
				agent = models.PickLeastLoaded(open)
			} else {
				agent = models.PickRoundRobin(open, cursor)
			}
			if agent == 0 {
				break // nobody has capacity left
			}
			cursor = agent
			for i := range cands {
				if cands[i].AgentID == agent {
					cands[i].Load++
				}
			}
			ids, agents = append(ids, c.ID), append(agents, agent)
			if c.ContactID != nil {
				contacts, owners = append(contacts, *c.ContactID), append(owners, agent)
			}
			got[c.ID] = agent
		}
		if len(ids) == 0 {
			return nil
		}
		now := s.now()
		if err := tx.Exec(`UPDATE cases SET agent_id = v.agent, status = 'assigned', assigned_at = ?, overdue = false, updated_at = ?
			FROM unnest(?::bigint[], ?::bigint[]) AS v(id, agent) WHERE cases.id = v.id`, now, now, pgArray(ids), pgArray(agents)).Error; err != nil {
			return fmt.Errorf("assign cases: %w", err)
		}
		reason := "auto:" + team.Strategy
		if err := tx.Exec(`INSERT INTO case_history (case_id, from_status, to_status, to_agent, to_team, reason, at)
			SELECT v.id, 'pooled', 'assigned', v.agent, ?, ?, ? FROM unnest(?::bigint[], ?::bigint[]) AS v(id, agent)`,
			teamID, reason, now, pgArray(ids), pgArray(agents)).Error; err != nil {
			return fmt.Errorf("case history: %w", err)
		}
		if len(contacts) > 0 {
			if err := tx.Exec(`UPDATE contacts SET owner_agent_id = v.agent, updated_at = now()
				FROM (SELECT DISTINCT ON (cid) cid, agent FROM unnest(?::bigint[], ?::bigint[]) AS u(cid, agent) ORDER BY cid, agent) v
				WHERE contacts.id = v.cid AND contacts.owner_agent_id IS DISTINCT FROM v.agent`, pgArray(contacts), pgArray(owners)).Error; err != nil {
				return fmt.Errorf("contact owners: %w", err)
			}
		}
		if err := tx.Exec(`UPDATE teams SET case_rr_cursor = ? WHERE id = ?`, cursor, teamID).Error; err != nil {
			return err
		}
		// One event per agent listing its new cases keeps the stream small.
		per := map[int64][]int64{}
		for i, id := range ids {
			per[agents[i]] = append(per[agents[i]], id)
		}
		for _, a := range cands {
			if len(per[a.AgentID]) == 0 {
				continue
			}
			ev, err := models.NewEvent(models.EventCaseUpdated, models.Audience{AgentIDs: []int64{a.AgentID}, TeamIDs: []int64{teamID}}, map[string]any{
				"ids": per[a.AgentID], "change": reason, "status": CaseAssigned, "agentId": a.AgentID, "teamId": teamID,
			})
			if err != nil {
				return err
			}
			if err := s.Events.Append(ctx, tx, &ev); err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	models.PublishCommitted(ctx, s.Publisher, s.Log, "case", evs...)
	return got, nil
}
