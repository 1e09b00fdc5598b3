package reports

import (
	"strconv"

	"github.com/wabascrm/scrm/models/csat"
)

// Table is one exported table of a report: the CSV export writes one, the
// XLSX export one sheet per table.
type Table struct {
	Name   string
	Header []string
	Rows   [][]string
}

// Export table names (?table= of the CSV export).
const (
	TableActivity  = "activity"
	TableCases     = "cases"
	TableCampaigns = "campaigns"
	TableFailures  = "failures"
	TableCost      = "cost"
	TableCSAT      = "csat"
	TableSLA       = "sla"
	TableJourneys  = "journeys"
)

// TableNames lists the export tables in sheet order.
func TableNames() []string {
	return []string{TableActivity, TableCases, TableCampaigns, TableFailures, TableCost, TableCSAT, TableSLA, TableJourneys}
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func fopt(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}

func metricHeader() []string {
	return []string{"conversations_new", "conversations_resolved", "conversations_reopened",
		"first_response_count", "first_response_avg_s", "first_response_p50_s", "first_response_p90_s",
		"resolution_count", "resolution_avg_s", "resolution_p50_s", "resolution_p90_s",
		"messages_in", "messages_out", "templates_sent", "delivered", "read", "failed", "opted_out",
		"billable", "free", "cost_idr"}
}

func metricRow(m Metrics) []string {
	return []string{i64(m.ConvNew), i64(m.ConvResolved), i64(m.ConvReopened),
		i64(m.FirstResponse.Count), fopt(m.FirstResponse.AvgSeconds), fopt(m.FirstResponse.P50Seconds), fopt(m.FirstResponse.P90Seconds),
		i64(m.Resolution.Count), fopt(m.Resolution.AvgSeconds), fopt(m.Resolution.P50Seconds), fopt(m.Resolution.P90Seconds),
		i64(m.MsgIn), i64(m.MsgOut), i64(m.TemplatesSent), i64(m.Delivered), i64(m.Read), i64(m.Failed), i64(m.OptedOut),
		i64(m.Billable), i64(m.Free), f2(m.CostIDR)}
}

func caseCells(c CaseRow) []string {
	return []string{i64(c.Assigned), i64(c.Contacted), i64(c.PromiseMade), i64(c.PromiseKept), i64(c.PromiseBroke),
		i64(c.Paid), i64(c.RecoveredIDR), strconv.FormatFloat(c.KeptRate, 'f', 3, 64)}
}

// Tables lays a report out as export tables. The activity table holds
// every row with conversation and message metrics, its section column
// saying which breakdown a row belongs to (total, day, hour, agent, team,
// number, label).
func (r Report) Tables() []Table {
	act := Table{Name: TableActivity, Header: append([]string{"section", "key", "name"}, metricHeader()...)}
	add := func(section, key, name string, m Metrics) {
		act.Rows = append(act.Rows, append([]string{section, key, name}, metricRow(m)...))
	}
	add("total", r.From+".."+r.To, r.Label, r.Totals)
	for _, d := range r.Daily {
		add("day", d.Day, "", d.Metrics)
	}
	for _, h := range r.HourOfDay {
		add("hour", strconv.Itoa(h.Hour), "", h.Metrics)
	}
	for _, g := range r.Agents {
		add("agent", i64(g.ID), g.Name, g.Metrics)
	}
	for _, g := range r.Teams {
		add("team", i64(g.ID), g.Name, g.Metrics)
	}
	for _, g := range r.Numbers {
		add("number", i64(g.ID), g.Name, g.Metrics)
	}
	for _, l := range r.Labels {
		add("label", l.Label, l.Label, l.Metrics)
	}
	cs := Table{Name: TableCases, Header: []string{"bucket", "assigned", "contacted", "promise_made", "promise_kept", "promise_broken", "paid", "recovered_idr", "kept_rate"}}
	cs.Rows = append(cs.Rows, append([]string{"all"}, caseCells(r.Cases)...))
	for _, b := range r.CaseBucket {
		cs.Rows = append(cs.Rows, append([]string{b.Bucket}, caseCells(b)...))
	}
	cp := Table{Name: TableCampaigns, Header: []string{"campaign_id", "name", "sent", "delivered", "read", "replied", "failed", "opted_out", "billable", "free", "cost_idr"}}
	for _, c := range r.Campaigns {
		cp.Rows = append(cp.Rows, []string{i64(c.ID), c.Name, i64(c.Sent), i64(c.Delivered), i64(c.Read), i64(c.Replied), i64(c.Failed),
			i64(c.OptedOut), i64(c.Billable), i64(c.Free), f2(c.CostIDR)})
	}
	fl := Table{Name: TableFailures, Header: []string{"code", "reason", "count"}}
	for _, f := range r.Failures {
		fl.Rows = append(fl.Rows, []string{strconv.Itoa(f.Code), f.Reason, i64(f.Count)})
	}
	co := Table{Name: TableCost, Header: []string{"category", "type", "free", "messages", "billable", "cost_idr"}}
	for _, c := range r.Cost {
		co.Rows = append(co.Rows, []string{c.Category, c.Type, strconv.FormatBool(c.Free), i64(c.Messages), i64(c.Billable), f2(c.CostIDR)})
	}
	jr := Table{Name: TableJourneys, Header: []string{"journey_id", "name", "version", "step_id", "counter", "detail", "n"}}
	for _, j := range r.Journeys {
		jr.Rows = append(jr.Rows, []string{i64(j.JourneyID), j.Name, strconv.Itoa(j.Version), j.StepID, j.Counter, j.Detail, i64(j.N)})
	}
	return []Table{act, cs, cp, fl, co, r.CSAT.table(), r.SLA.table(), jr}
}

// table is the CSAT export: the total, each day, agent and team, with the
// count of every rating.
func (c CSATReport) table() Table {
	t := Table{Name: TableCSAT, Header: []string{"section", "key", "name", "responses", "average", "rating_1", "rating_2", "rating_3",
		"rating_4", "rating_5", "satisfied_pct"}}
	add := func(section, key, name string, s csat.Stats) {
		row := []string{section, key, name, i64(s.Responses), fdec(s.Average, 2)}
		for _, n := range s.Distribution {
			row = append(row, i64(n))
		}
		t.Rows = append(t.Rows, append(row, fdec(s.SatisfiedPct, 1)))
	}
	add("total", "", "", c.Totals)
	for _, d := range c.Daily {
		add("day", d.Day, "", d.Stats)
	}
	for _, g := range c.Agents {
		add("agent", i64(g.ID), g.Name, g.Stats)
	}
	for _, g := range c.Teams {
		add("team", i64(g.ID), g.Name, g.Stats)
	}
	return t
}

func fdec(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}
