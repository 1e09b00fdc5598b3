package reports

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
)

func (s ReportStore) hourOfDay(ctx context.Context, p models.Principal, f Filter, loc *time.Location) ([]HourRow, error) {
	args := map[string]any{}
	var rows []agg
	var err error
	switch {
	case f.Label != "":
		return nil, nil // not kept per label and hour
	case f.AgentID != 0 || f.SenderID != 0 || (!p.AllScope && len(p.SupervisedTeamIDs) == 0):
		// One agent's or number's hours: the hourly rollup has them.
		from := time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, loc)
		to := time.Date(f.To.Year(), f.To.Month(), f.To.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
		w := where(p, f, "bucket", "team agent sender", args)
		w = strings.Replace(w, "bucket BETWEEN @from AND @to", "bucket >= @from AND bucket < @to", 1)
		args["from"], args["to"], args["zone"] = from, to, loc.String()
		rows, err = s.aggregate(ctx, "report_hourly", []string{"extract(hour FROM bucket AT TIME ZONE @zone)::int::text"}, w, args, "1")
	default:
		w := where(p, f, "day", "team", args)
		if !p.AllScope {
			args["scope_teams"] = p.SupervisedTeamIDs
			w += " AND team_id IN @scope_teams"
		}
		rows, err = s.aggregate(ctx, "report_hod", []string{"hod::text"}, w, args, "hod")
	}
	if err != nil {
		return nil, err
	}
	out := make([]HourRow, 24)
	for i := range out {
		out[i].Hour = i
	}
	for _, a := range rows {
		h, _ := strconv.Atoi(a.keys[0])
		if h >= 0 && h < 24 {
			out[h] = HourRow{Hour: h, Metrics: a.metrics()}
		}
	}
	return out, nil
}

func (s ReportStore) online(ctx context.Context, f Filter, agents map[int64]*GroupRow) error {
	ids := make([]int64, 0, len(agents))
	for id := range agents {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		AgentID int64
		S       int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT agent_id, sum(online_s)::bigint AS s FROM report_presence_daily
		WHERE day BETWEEN ? AND ? AND agent_id IN ? GROUP BY agent_id`, f.From.Format(time.DateOnly), f.To.Format(time.DateOnly), ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("report online time: %w", err)
	}
	for _, r := range rows {
		v := r.S
		agents[r.AgentID].OnlineSeconds = &v
	}
	return nil
}

// named turns a breakdown into rows with names, busiest first.
// The names of the rows of nobody (id 0): no agent, no team, no number.
const (
	NoAgent  = "(unassigned)"
	NoTeam   = "(no team)"
	NoNumber = "(no number)"
)

// NameNobody renames the rows of nobody (id 0) of every group of r, in the
// reader's language: agent, team and number replace NoAgent, NoTeam and
// NoNumber.
func (r *Report) NameNobody(agent, team, number string) {
	for _, g := range []struct {
		rows []GroupRow
		name string
	}{{r.Agents, agent}, {r.Teams, team}, {r.Numbers, number}} {
		for i := range g.rows {
			if g.rows[i].ID == 0 {
				g.rows[i].Name = g.name
			}
		}
	}
	for _, g := range []struct {
		rows []CSATGroup
		name string
	}{{r.CSAT.Agents, agent}, {r.CSAT.Teams, team}} {
		for i := range g.rows {
			if g.rows[i].ID == 0 {
				g.rows[i].Name = g.name
			}
		}
	}
	for _, g := range []struct {
		rows []SLAGroup
		name string
	}{{r.SLA.Agents, agent}, {r.SLA.Teams, team}} {
		for i := range g.rows {
			if g.rows[i].ID == 0 {
				g.rows[i].Name = g.name
			}
		}
	}
}

func (s ReportStore) named(ctx context.Context, m map[int64]*GroupRow, q, none string) ([]GroupRow, error) {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		var names []struct {
			ID   int64
			Name string
		}
		if err := s.DB.WithContext(ctx).Raw(q, ids).Scan(&names).Error; err != nil {
			return nil, fmt.Errorf("report names: %w", err)
		}
		for _, n := range names {
			m[n.ID].Name = n.Name
		}
	}
	out := make([]GroupRow, 0, len(m))
	for _, g := range m {
		if g.ID == 0 {
			g.Name = none
		}
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].ConvNew+out[i].MsgOut+out[i].TemplatesSent, out[j].ConvNew+out[j].MsgOut+out[j].TemplatesSent
		if a != b {
			return a > b
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// maxLabels is how many labels the label breakdown and trend show.
const maxLabels = 12

func (s ReportStore) labels(ctx context.Context, p models.Principal, f Filter) ([]LabelRow, []LabelDay, error) {
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	rows, err := s.aggregate(ctx, "report_label_daily", []string{"label"}, w, args, "label")
	if err != nil {
		return nil, nil, err
	}
	out := make([]LabelRow, 0, len(rows))
	for _, a := range rows {
		m := a.metrics()
		if m == (Metrics{}) {
			continue // put on and taken off again
		}
		out = append(out, LabelRow{Label: a.keys[0], Metrics: m})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ConvNew != out[j].ConvNew {
			return out[i].ConvNew > out[j].ConvNew
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > maxLabels {
		out = out[:maxLabels]
	}
	if len(out) == 0 {
		return out, []LabelDay{}, nil
	}
	top := make([]string, len(out))
	for i, l := range out {
		top[i] = l.Label
	}
	args["top"] = top
	var trend []LabelDay
	if err := s.DB.WithContext(ctx).Raw(`SELECT day::text AS day, label, sum(conv_new)::bigint AS conv_new FROM report_label_daily
		WHERE `+w+` AND label IN @top GROUP BY day, label HAVING sum(conv_new) <> 0 ORDER BY day, label`, args).Scan(&trend).Error; err != nil {
		return nil, nil, fmt.Errorf("report label trend: %w", err)
	}
	return out, trend, nil
}

func (s ReportStore) cases(ctx context.Context, p models.Principal, f Filter) (CaseRow, []CaseRow, error) {
	args := map[string]any{}
	w := where(p, f, "day", "team agent", args)
	var rows []CaseRow
	if err := s.DB.WithContext(ctx).Raw(`SELECT COALESCE(bucket, '') AS bucket, sum(assigned)::bigint AS assigned,
			sum(contacted)::bigint AS contacted, sum(ptp_made)::bigint AS promise_made, sum(ptp_kept)::bigint AS promise_kept,
			sum(ptp_broken)::bigint AS promise_broke, sum(paid)::bigint AS paid, sum(recovered)::bigint AS recovered_idr
		FROM report_case_daily WHERE `+w+` GROUP BY GROUPING SETS ((), (bucket)) ORDER BY bucket NULLS FIRST`, args).Scan(&rows).Error; err != nil {
		return CaseRow{}, nil, fmt.Errorf("report cases: %w", err)
	}
	var total CaseRow
	buckets := []CaseRow{}
	for _, c := range rows {
		c.KeptRate = Ratio(c.PromiseKept, c.PromiseKept+c.PromiseBroke)
		if c.Bucket == "" {
			total = c
		} else {
			buckets = append(buckets, c)
		}
	}
	return total, buckets, nil
}

func (s ReportStore) campaigns(ctx context.Context, p models.Principal, f Filter) ([]CampaignRow, error) {
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	out := []CampaignRow{}
	if err := s.DB.WithContext(ctx).Raw(`SELECT r.campaign_id AS id, COALESCE(c.name, '(no campaign)') AS name,
			r.sent, r.delivered, r.read, r.replied, r.failed, r.opted_out, r.billable, r.free, r.cost_milli / 1000.0 AS cost_idr
		FROM (SELECT campaign_id, sum(sent)::bigint AS sent, sum(delivered)::bigint AS delivered, sum(read)::bigint AS read,
				sum(replied)::bigint AS replied, sum(failed)::bigint AS failed, sum(opted_out)::bigint AS opted_out,
				sum(billable)::bigint AS billable, sum(free_n)::bigint AS free, sum(cost_milli)::bigint AS cost_milli
			FROM report_campaign_daily WHERE `+w+` GROUP BY campaign_id) r
		LEFT JOIN campaigns c ON c.id = r.campaign_id
		ORDER BY r.sent DESC, r.campaign_id LIMIT 200`, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("report campaigns: %w", err)
	}
	return out, nil
}

func (s ReportStore) failures(ctx context.Context, p models.Principal, f Filter) ([]FailureRow, error) {
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	out := []FailureRow{}
	if err := s.DB.WithContext(ctx).Raw(`SELECT code, max(reason) AS reason, sum(n)::bigint AS count FROM report_failure_daily
		WHERE `+w+` GROUP BY code ORDER BY count DESC, code LIMIT 50`, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("report failures: %w", err)
	}
	return out, nil
}

// FreeType reports whether a pricing type is one Meta does not bill.
func FreeType(t string) bool { return strings.HasPrefix(t, "free_") }

func (s ReportStore) cost(ctx context.Context, p models.Principal, f Filter) ([]CostRow, error) {
	args := map[string]any{}
	w := where(p, f, "day", "team agent sender", args)
	out := []CostRow{}
	if err := s.DB.WithContext(ctx).Raw(`SELECT category, ptype AS type, sum(n)::bigint AS messages, sum(billable)::bigint AS billable,
			sum(cost_milli) / 1000.0 AS cost_idr
		FROM report_cost_daily WHERE `+w+` GROUP BY category, ptype ORDER BY cost_idr DESC, category, ptype`, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("report cost: %w", err)
	}
	for i := range out {
		out[i].Free = FreeType(out[i].Type) || out[i].Billable == 0
	}
	return out, nil
}

// agentTeamGroups names the per-agent and per-team values of a section read
// with GROUPING SETS (CSAT, SLA) and orders each list by weight, most first,
// then by id: a stable order for the page and the export.
func agentTeamGroups[V, G any](ctx context.Context, s ReportStore, agents, teams map[int64]V,
	mk func(id int64, name string, v V) G, weight func(G) (int64, int64)) (byAgent, byTeam []G, err error) {
	for _, g := range []struct {
		vals    map[int64]V
		q, none string
		dst     *[]G
	}{
		{agents, `SELECT id, name FROM agents WHERE id IN ?`, NoAgent, &byAgent},
		{teams, `SELECT id, name FROM teams WHERE id IN ?`, NoTeam, &byTeam},
	} {
		rows := make(map[int64]*GroupRow, len(g.vals))
		for id := range g.vals {
			rows[id] = &GroupRow{ID: id}
		}
		named, err := s.named(ctx, rows, g.q, g.none)
		if err != nil {
			return nil, nil, err
		}
		*g.dst = make([]G, 0, len(named))
		for _, n := range named {
			*g.dst = append(*g.dst, mk(n.ID, n.Name, g.vals[n.ID]))
		}
		sort.SliceStable(*g.dst, func(i, j int) bool {
			wi, idi := weight((*g.dst)[i])
			wj, idj := weight((*g.dst)[j])
			if wi != wj {
				return wi > wj
			}
			return idi < idj
		})
	}
	return byAgent, byTeam, nil
}
