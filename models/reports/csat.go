package reports

import (
	"context"
	"fmt"
	"sort"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/csat"
)

// CSATGroup is the CSAT of one agent or team (the agent and team that
// served the conversation when it was resolved).
type CSATGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	csat.Stats
}

// CSATDay is the CSAT of the answers of one local day.
type CSATDay struct {
	Day string `json:"day"`
	csat.Stats
}

// CSATReport is the satisfaction part of a report: answers counted on the
// day they were given, from report_csat_daily.
type CSATReport struct {
	Totals csat.Stats  `json:"totals"`
	Daily  []CSATDay   `json:"daily"`
	Agents []CSATGroup `json:"agents"`
	Teams  []CSATGroup `json:"teams"`
}

func (s ReportStore) csat(ctx context.Context, p models.Principal, f Filter) (CSATReport, error) {
	out := CSATReport{Totals: csat.StatsOf([5]int64{}), Daily: []CSATDay{}, Agents: []CSATGroup{}, Teams: []CSATGroup{}}
	if f.Label != "" {
		return out, nil // ratings are not kept per label
	}
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	var rows []struct {
		G              int
		Day            *string
		AgentID        *int64
		TeamID         *int64
		R1, R2, R3, R4 int64
		R5             int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT GROUPING(day, agent_id, team_id) AS g, day::text AS day, agent_id, team_id,
			sum(r1)::bigint AS r1, sum(r2)::bigint AS r2, sum(r3)::bigint AS r3, sum(r4)::bigint AS r4, sum(r5)::bigint AS r5
		FROM report_csat_daily WHERE `+w+` GROUP BY GROUPING SETS ((), (day), (agent_id), (team_id))`, args).Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("report csat: %w", err)
	}
	agents, teams := map[int64]csat.Stats{}, map[int64]csat.Stats{}
	for _, r := range rows {
		st := csat.StatsOf([5]int64{r.R1, r.R2, r.R3, r.R4, r.R5})
		switch r.G {
		case 7: // ()
			out.Totals = st
		case 3: // day
			out.Daily = append(out.Daily, CSATDay{Day: *r.Day, Stats: st})
		case 5: // agent
			agents[*r.AgentID] = st
		case 6: // team
			teams[*r.TeamID] = st
		}
	}
	sort.Slice(out.Daily, func(i, j int) bool { return out.Daily[i].Day < out.Daily[j].Day })
	// Most answers first.
	var err error
	out.Agents, out.Teams, err = agentTeamGroups(ctx, s, agents, teams,
		func(id int64, name string, st csat.Stats) CSATGroup { return CSATGroup{ID: id, Name: name, Stats: st} },
		func(g CSATGroup) (int64, int64) { return g.Responses, g.ID })
	if err != nil {
		return out, err
	}
	return out, nil
}
