package reports

import (
	"context"
	"fmt"
	"sort"

	"github.com/wabascrm/scrm/models"
)

// SLACounts are the SLA alerts of a period: waits that neared their target
// and waits that breached it (first and next responses).
type SLACounts struct {
	Near          int64 `json:"near"`
	Breached      int64 `json:"breached"`
	BreachedFirst int64 `json:"breachedFirst"`
	BreachedNext  int64 `json:"breachedNext"`
}

// SLAGroup is the alerts of one agent or team (the one serving the wait).
type SLAGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	SLACounts
}

// SLADay is the alerts of one local day.
type SLADay struct {
	Day string `json:"day"`
	SLACounts
}

// SLAReport is the SLA part of a report, counted on the day each alert was
// recorded (report_sla_daily, migration 00270; models/sla records them).
type SLAReport struct {
	Totals SLACounts  `json:"totals"`
	Daily  []SLADay   `json:"daily"`
	Agents []SLAGroup `json:"agents"`
	Teams  []SLAGroup `json:"teams"`
}

func (s ReportStore) sla(ctx context.Context, p models.Principal, f Filter) (SLAReport, error) {
	out := SLAReport{Daily: []SLADay{}, Agents: []SLAGroup{}, Teams: []SLAGroup{}}
	if f.Label != "" {
		return out, nil // alerts are not kept per label
	}
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	var rows []struct {
		G       int
		Day     *string
		AgentID *int64
		TeamID  *int64
		SLACounts
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT GROUPING(day, agent_id, team_id) AS g, day::text AS day, agent_id, team_id,
			sum(near)::bigint AS near, sum(breached)::bigint AS breached,
			sum(breached_first)::bigint AS breached_first, sum(breached_next)::bigint AS breached_next
		FROM report_sla_daily WHERE `+w+` GROUP BY GROUPING SETS ((), (day), (agent_id), (team_id))`, args).Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("report sla: %w", err)
	}
	agents, teams := map[int64]SLACounts{}, map[int64]SLACounts{}
	for _, r := range rows {
		switch r.G {
		case 7: // ()
			out.Totals = r.SLACounts
		case 3: // day
			out.Daily = append(out.Daily, SLADay{Day: *r.Day, SLACounts: r.SLACounts})
		case 5: // agent
			agents[*r.AgentID] = r.SLACounts
		case 6: // team
			teams[*r.TeamID] = r.SLACounts
		}
	}
	sort.Slice(out.Daily, func(i, j int) bool { return out.Daily[i].Day < out.Daily[j].Day })
	// Most breaches first.
	var err error
	out.Agents, out.Teams, err = agentTeamGroups(ctx, s, agents, teams,
		func(id int64, name string, c SLACounts) SLAGroup { return SLAGroup{ID: id, Name: name, SLACounts: c} },
		func(g SLAGroup) (int64, int64) { return g.Breached, g.ID })
	if err != nil {
		return out, err
	}
	return out, nil
}

// table is the SLA export: the total, each day, agent and team.
func (r SLAReport) table() Table {
	t := Table{Name: TableSLA, Header: []string{"section", "key", "name", "near", "breached", "breached_first", "breached_next"}}
	add := func(section, key, name string, c SLACounts) {
		t.Rows = append(t.Rows, []string{section, key, name, i64(c.Near), i64(c.Breached), i64(c.BreachedFirst), i64(c.BreachedNext)})
	}
	add("total", "", "", r.Totals)
	for _, d := range r.Daily {
		add("day", d.Day, "", d.SLACounts)
	}
	for _, g := range r.Agents {
		add("agent", i64(g.ID), g.Name, g.SLACounts)
	}
	for _, g := range r.Teams {
		add("team", i64(g.ID), g.Name, g.SLACounts)
	}
	return t
}
