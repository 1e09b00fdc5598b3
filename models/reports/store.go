package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// ReportStore reads the rollups of migration 00110 and keeps the rate card.
type ReportStore struct {
	DB  *gorm.DB
	Now func() time.Time
}

func (s ReportStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Filter narrows a report. From and To are local days (both included).
type Filter struct {
	From, To time.Time
	TeamID   int64
	AgentID  int64
	SenderID int64
	Label    string
}

// Timing is a response or resolution time: count, mean and percentiles
// estimated from the histogram buckets (nil when there is none).
type Timing struct {
	Count      int64    `json:"count"`
	AvgSeconds *float64 `json:"avgSeconds"`
	P50Seconds *float64 `json:"p50Seconds"`
	P90Seconds *float64 `json:"p90Seconds"`
}

// Metrics are the sums of one group of rollup rows.
type Metrics struct {
	ConvNew       int64   `json:"conversationsNew"`
	ConvResolved  int64   `json:"conversationsResolved"`
	ConvReopened  int64   `json:"conversationsReopened"`
	FirstResponse Timing  `json:"firstResponse"`
	Resolution    Timing  `json:"resolution"`
	MsgIn         int64   `json:"messagesIn"`
	MsgOut        int64   `json:"messagesOut"`
	TemplatesSent int64   `json:"templatesSent"`
	Delivered     int64   `json:"delivered"`
	Read          int64   `json:"read"`
	Failed        int64   `json:"failed"`
	OptedOut      int64   `json:"optedOut"`
	Billable      int64   `json:"billable"`
	Free          int64   `json:"free"`
	CostIDR       float64 `json:"costIdr"`
}

// DayRow, HourRow and GroupRow are the rows of the series and breakdowns.
type DayRow struct {
	Day string `json:"day"`
	Metrics
}

// HourRow is one local hour of the day (0-23) over the whole range.
type HourRow struct {
	Hour int `json:"hour"`
	Metrics
}

// GroupRow is one agent, team or number.
type GroupRow struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	OnlineSeconds *int64 `json:"onlineSeconds,omitempty"`
	Metrics
}

// LabelRow is one label's conversations.
type LabelRow struct {
	Label string `json:"label"`
	Metrics
}

// LabelDay is one label's new conversations on one day.
type LabelDay struct {
	Day     string `json:"day"`
	Label   string `json:"label"`
	ConvNew int64  `json:"conversationsNew"`
}

// CaseRow are case outcomes (of one DPD bucket, or all of them).
type CaseRow struct {
	Bucket       string  `json:"bucket,omitempty"`
	Assigned     int64   `json:"assigned"`
	Contacted    int64   `json:"contacted"`
	PromiseMade  int64   `json:"promiseMade"`
	PromiseKept  int64   `json:"promiseKept"`
	PromiseBroke int64   `json:"promiseBroken"`
	Paid         int64   `json:"paid"`
	RecoveredIDR int64   `json:"recoveredIdr" gorm:"column:recovered_idr"`
	KeptRate     float64 `json:"keptRate"`
}

// CampaignRow is one campaign's outcomes in the range.
type CampaignRow struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Sent      int64   `json:"sent"`
	Delivered int64   `json:"delivered"`
	Read      int64   `json:"read"`
	Replied   int64   `json:"replied"`
	Failed    int64   `json:"failed"`
	OptedOut  int64   `json:"optedOut"`
	Billable  int64   `json:"billable"`
	Free      int64   `json:"free"`
	CostIDR   float64 `json:"costIdr" gorm:"column:cost_idr"`
}

// FailureRow is a failure code with its last reason.
type FailureRow struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// CostRow is spend of one pricing category and type; Free is true for the
// types Meta does not bill (free_customer_service, free_entry_point).
type CostRow struct {
	Category string  `json:"category"`
	Type     string  `json:"type"`
	Free     bool    `json:"free"`
	Messages int64   `json:"messages"`
	Billable int64   `json:"billable"`
	CostIDR  float64 `json:"costIdr" gorm:"column:cost_idr"`
}

// Report is everything the reports page shows for one filter.
type Report struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Zone   string `json:"zone"`
	Label  string `json:"label,omitempty"`
	Totals Metrics
	// LabelNote is set when a label filter narrows the conversation
	// metrics only (delivery and cost are not kept per label).
	LabelNote  string        `json:"labelNote,omitempty"`
	Daily      []DayRow      `json:"daily"`
	HourOfDay  []HourRow     `json:"hourOfDay"`
	Agents     []GroupRow    `json:"agents"`
	Teams      []GroupRow    `json:"teams"`
	Numbers    []GroupRow    `json:"numbers"`
	Labels     []LabelRow    `json:"labels"`
	LabelTrend []LabelDay    `json:"labelTrend"`
	Cases      CaseRow       `json:"cases"`
	CaseBucket []CaseRow     `json:"caseBuckets"`
	Campaigns  []CampaignRow `json:"campaigns"`
	Failures   []FailureRow  `json:"failures"`
	Cost       []CostRow     `json:"cost"`
	// CSAT: the survey answers after resolve (csat.go).
	CSAT CSATReport `json:"csat"`
	// SLA: near-breaches and breaches of the teams' targets (sla.go).
	SLA SLAReport `json:"sla"`
	// Journeys: each journey's step funnel in the range (journeys.go).
	Journeys []JourneyRow `json:"journeys"`
}

// metric columns of the conversation/message rollups, in scan order.
var metricCols = []string{"conv_new", "conv_resolved", "conv_reopened", "frt_n", "frt_sum", "res_n", "res_sum",
	"msg_in", "msg_out", "tpl_sent", "delivered", "read", "failed", "opted_out", "billable", "free_n", "cost_milli"}

// label rollups keep the conversation metrics only.
var labelCols = []string{"conv_new", "conv_resolved", "conv_reopened", "frt_n", "frt_sum", "res_n", "res_sum", "msg_in", "msg_out"}

type agg struct {
	keys []string
	v    map[string]int64
	frt  []int64
	res  []int64
}

func metricSelect(table string) string {
	var b strings.Builder
	have := metricCols
	if table == "report_label_daily" {
		have = labelCols
	}
	for i, c := range metricCols {
		if i > 0 {
			b.WriteString(", ")
		}
		if slices.Contains(have, c) {
			b.WriteString("COALESCE(sum(" + c + "), 0)::bigint")
		} else {
			b.WriteString("0::bigint")
		}
	}
	for _, h := range []string{"frt_h", "res_h"} {
		for i := 1; i <= HistSize; i++ {
			fmt.Fprintf(&b, ", COALESCE(sum(%s[%d]), 0)::bigint", h, i)
		}
	}
	return b.String()
}

// aggregate runs SELECT keys..., sums FROM table WHERE where GROUP BY group.
func (s ReportStore) aggregate(ctx context.Context, table string, keys []string, where string, args map[string]any, group string) ([]agg, error) {
	q := "SELECT " + strings.Join(append(slices.Clone(keys), metricSelect(table)), ", ") + " FROM " + table + " WHERE " + where
	if group != "" {
		q += " GROUP BY " + group
	}
	rows, err := s.DB.WithContext(ctx).Raw(q, args).Rows()
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", table, err)
	}
	defer rows.Close()
	var out []agg
	for rows.Next() {
		a := agg{keys: make([]string, len(keys)), v: map[string]int64{}, frt: make([]int64, HistSize), res: make([]int64, HistSize)}
		ks := make([]*string, len(keys))
		dst := make([]any, 0, len(keys)+len(metricCols)+2*HistSize)
		for i := range keys {
			dst = append(dst, &ks[i])
		}
		vals := make([]int64, len(metricCols))
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		for i := range a.frt {
			dst = append(dst, &a.frt[i])
		}
		for i := range a.res {
			dst = append(dst, &a.res[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("report %s: %w", table, err)
		}
		for i, k := range ks {
			if k != nil {
				a.keys[i] = *k
			}
		}
		for i, c := range metricCols {
			a.v[c] = vals[i]
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func timing(n, sum int64, hist []int64) Timing {
	t := Timing{Count: n}
	if n == 0 {
		return t
	}
	avg := float64(sum) / float64(n)
	t.AvgSeconds = &avg
	if p, ok := Percentile(hist, 0.5); ok {
		t.P50Seconds = &p
	}
	if p, ok := Percentile(hist, 0.9); ok {
		t.P90Seconds = &p
	}
	return t
}

func (a agg) metrics() Metrics {
	v := a.v
	return Metrics{
		ConvNew: v["conv_new"], ConvResolved: v["conv_resolved"], ConvReopened: v["conv_reopened"],
		FirstResponse: timing(v["frt_n"], v["frt_sum"], a.frt), Resolution: timing(v["res_n"], v["res_sum"], a.res),
		MsgIn: v["msg_in"], MsgOut: v["msg_out"], TemplatesSent: v["tpl_sent"], Delivered: v["delivered"], Read: v["read"],
		Failed: v["failed"], OptedOut: v["opted_out"], Billable: v["billable"], Free: v["free_n"], CostIDR: IDR(v["cost_milli"]),
	}
}

// CheckFilter checks every id of f through p's scope: a team p does not
// see, an agent outside the teams it supervises or a number that does not
// exist is 404, as for any other object out of scope.
func (s ReportStore) CheckFilter(ctx context.Context, p models.Principal, f Filter) error {
	db := s.DB.WithContext(ctx)
	if f.TeamID != 0 {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM teams WHERE id = ?`, f.TeamID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 || !p.SeesTeam(f.TeamID) {
			return models.FieldError(models.ENotFound, "teamId", "team %d not found", f.TeamID)
		}
	}
	if f.AgentID != 0 {
		var n int64
		if err := db.Table("agents").Scopes(models.AgentScope(p)).Where("agents.id = ?", f.AgentID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return models.FieldError(models.ENotFound, "agentId", "agent %d not found", f.AgentID)
		}
	}
	if f.SenderID != 0 {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM senders WHERE id = ?`, f.SenderID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return models.FieldError(models.ENotFound, "senderId", "number %d not found", f.SenderID)
		}
	}
	if len(f.Label) > 64 {
		return models.FieldError(models.EInvalid, "label", "label is at most 64 characters")
	}
	return nil
}

// ScopeSQL is the condition on a rollup's team_id/agent_id that keeps the
// rows p may see: everything (Admin), its supervised teams' rows and its
// own, or its own only. "" means no restriction.
func ScopeSQL(p models.Principal, args map[string]any) string {
	if p.AllScope {
		return ""
	}
	args["scope_agent"] = p.AgentID
	if len(p.SupervisedTeamIDs) > 0 {
		args["scope_teams"] = p.SupervisedTeamIDs
		return "(team_id IN @scope_teams OR agent_id = @scope_agent)"
	}
	return "agent_id = @scope_agent"
}

// where builds the condition on a daily rollup for f and p; dims names the
// dimensions the table has (team, agent, sender).
func where(p models.Principal, f Filter, dayCol string, dims string, args map[string]any) string {
	conds := []string{dayCol + " BETWEEN @from AND @to"}
	args["from"], args["to"] = f.From.Format(time.DateOnly), f.To.Format(time.DateOnly)
	if strings.Contains(dims, "agent") {
		if sc := ScopeSQL(p, args); sc != "" {
			conds = append(conds, sc)
		}
	}
	if f.TeamID != 0 && strings.Contains(dims, "team") {
		conds, args["team"] = append(conds, "team_id = @team"), f.TeamID
	}
	if f.AgentID != 0 && strings.Contains(dims, "agent") {
		conds, args["agent"] = append(conds, "agent_id = @agent"), f.AgentID
	}
	if f.SenderID != 0 && strings.Contains(dims, "sender") {
		conds, args["sender"] = append(conds, "sender_id = @sender"), f.SenderID
	}
	return strings.Join(conds, " AND ")
}

// Zone is the report zone (report_settings).
func (s ReportStore) Zone(ctx context.Context) (*time.Location, string, error) {
	var z string
	if err := s.DB.WithContext(ctx).Raw(`SELECT zone FROM report_settings WHERE id = 1`).Scan(&z).Error; err != nil {
		return nil, "", err
	}
	return models.LoadZone(z), z, nil
}

// Today is the current local day of the report zone.
func (s ReportStore) Today(ctx context.Context) (time.Time, error) {
	loc, _, err := s.Zone(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return s.now().In(loc), nil
}

// Report computes every part of the reports page for f, within p's scope.
// It reads rollups only: daily rows for totals, series and breakdowns,
// hour-of-day rows (report_hod, or report_hourly for one agent or number),
// and the label, case, campaign, failure and cost rollups.
//
// It folds the pending deltas first (see Fold). The parts are read in one
// read-only repeatable-read transaction (one
// snapshot, so they agree with each other), planned for their actual
// values: a generic plan of the prepared statements (PostgreSQL's choice
// after five runs) misjudges the grouping sets and cost several times more.
func (s ReportStore) Report(ctx context.Context, p models.Principal, f Filter) (Report, error) {
	var r Report
	if _, err := s.foldWait(ctx); err != nil {
		return r, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL plan_cache_mode = force_custom_plan`).Error; err != nil {
			return err
		}
		var err error
		r, err = ReportStore{DB: tx, Now: s.Now}.report(ctx, p, f)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	return r, err
}

func (s ReportStore) report(ctx context.Context, p models.Principal, f Filter) (Report, error) {
	if err := s.CheckFilter(ctx, p, f); err != nil {
		return Report{}, err
	}
	loc, zone, err := s.Zone(ctx)
	if err != nil {
		return Report{}, err
	}
	r := Report{From: f.From.Format(time.DateOnly), To: f.To.Format(time.DateOnly), Zone: zone, Label: f.Label}
	table := "report_daily"
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	if f.Label != "" {
		table = "report_label_daily"
		args["label"] = f.Label
		w += " AND label = @label"
		r.LabelNote = "label filter: conversation and message counts only; delivery, cost, CSAT and SLA alerts are not kept per label"
	}
	// One scan of the daily rollup for the totals, the series and the
	// agent, team and number breakdowns. Without agent, number or label
	// filter an admin's totals, series and teams come from the per-team
	// rollup, and only the agent and number breakdowns scan report_daily.
	keys := []string{"day::text", "agent_id::text", "team_id::text", "sender_id::text", "GROUPING(day, agent_id, team_id, sender_id)::text"}
	var rows []agg
	if p.AllScope && f.Label == "" && f.AgentID == 0 && f.SenderID == 0 {
		targs := map[string]any{}
		tw := where(p, f, "day", "team", targs)
		rows, err = s.aggregate(ctx, "report_team_daily", []string{"day::text", "NULL::text", "team_id::text", "NULL::text",
			// the codes of the full grouping below: () 15, (day) 7, (team_id) 13
			"(CASE GROUPING(day, team_id) WHEN 3 THEN 15 WHEN 1 THEN 7 ELSE 13 END)::text"},
			tw, targs, "GROUPING SETS ((), (day), (team_id))")
		if err == nil {
			var more []agg
			more, err = s.aggregate(ctx, table, []string{"NULL::text", "agent_id::text", "NULL::text", "sender_id::text",
				"(CASE GROUPING(agent_id, sender_id) WHEN 1 THEN 11 ELSE 14 END)::text"}, w, args, "GROUPING SETS ((agent_id), (sender_id))")
			rows = append(rows, more...)
		}
	} else {
		rows, err = s.aggregate(ctx, table, keys, w, args, "GROUPING SETS ((), (day), (agent_id), (team_id), (sender_id))")
	}
	if err != nil {
		return Report{}, err
	}
	agents, teams, numbers := map[int64]*GroupRow{}, map[int64]*GroupRow{}, map[int64]*GroupRow{}
	for _, a := range rows {
		m := a.metrics()
		switch a.keys[4] {
		case "15": // () grouping: every bit set
			r.Totals = m
		case "7": // day
			r.Daily = append(r.Daily, DayRow{Day: a.keys[0], Metrics: m})
		case "11": // agent
			id, _ := strconv.ParseInt(a.keys[1], 10, 64)
			agents[id] = &GroupRow{ID: id, Metrics: m}
		case "13": // team
			id, _ := strconv.ParseInt(a.keys[2], 10, 64)
			teams[id] = &GroupRow{ID: id, Metrics: m}
		case "14": // sender
			id, _ := strconv.ParseInt(a.keys[3], 10, 64)
			numbers[id] = &GroupRow{ID: id, Metrics: m}
		}
	}
	sort.Slice(r.Daily, func(i, j int) bool { return r.Daily[i].Day < r.Daily[j].Day })
	r.Daily = fillDays(r.Daily, f.From, f.To)
	if r.HourOfDay, err = s.hourOfDay(ctx, p, f, loc); err != nil {
		return Report{}, err
	}
	if err := s.online(ctx, f, agents); err != nil {
		return Report{}, err
	}
	if r.Agents, err = s.named(ctx, agents, `SELECT id, name FROM agents WHERE id IN ?`, NoAgent); err != nil {
		return Report{}, err
	}
	if r.Teams, err = s.named(ctx, teams, `SELECT id, name FROM teams WHERE id IN ?`, NoTeam); err != nil {
		return Report{}, err
	}
	if r.Numbers, err = s.named(ctx, numbers, `SELECT id, COALESCE(NULLIF(display_number, ''), phone_number_id) AS name FROM senders WHERE id IN ?`, NoNumber); err != nil {
		return Report{}, err
	}
	if r.Labels, r.LabelTrend, err = s.labels(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.Cases, r.CaseBucket, err = s.cases(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.Campaigns, err = s.campaigns(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.Failures, err = s.failures(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.Cost, err = s.cost(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.CSAT, err = s.csat(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.SLA, err = s.sla(ctx, p, f); err != nil {
		return Report{}, err
	}
	if r.Journeys, err = s.journeys(ctx, p, f); err != nil {
		return Report{}, err
	}
	return r, nil
}

// fillDays gives every day of the range a row (zero when nothing happened).
func fillDays(rows []DayRow, from, to time.Time) []DayRow {
	have := map[string]DayRow{}
	for _, d := range rows {
		have[d.Day] = d
	}
	out := make([]DayRow, 0, int(to.Sub(from).Hours()/24)+1)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		k := d.Format(time.DateOnly)
		if row, ok := have[k]; ok {
			out = append(out, row)
		} else {
			out = append(out, DayRow{Day: k})
		}
	}
	return out
}
