package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// The triggers append every event's deltas to report_delta (an insert
// locks no shared row, so concurrent webhooks and batch sends never wait on
// or deadlock over a hot rollup row); Fold adds them to the rollups. The
// worker folds every few seconds (worker.ReportFolder) and every report
// folds first, so a report always includes the events committed before it.

// foldLock is the advisory lock key of the fold (one fold at a time).
const foldLock = 7_110_110

// FoldBatch is the most deltas one fold takes.
const FoldBatch = 200_000

// deltaCols are the positions (1-based) of report_delta.d for activity
// deltas (kind 1), as report_bump writes them.
var deltaCols = []string{"conv_new", "conv_resolved", "conv_reopened", "msg_in", "msg_out", "tpl_sent",
	"delivered", "read", "failed", "opted_out", "billable", "free_n", "cost_milli"}

func histAgg(col string) string {
	parts := make([]string, HistSize)
	for i := range parts {
		parts[i] = fmt.Sprintf("count(*) FILTER (WHERE %s IS NOT NULL AND report_bin(%s) = %d)", col, col, i+1)
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]::bigint[]"
}

// activityFold is the INSERT ... SELECT ... ON CONFLICT of one activity
// rollup: keys are its key columns, exprs their expressions over report_delta.
func activityFold(table string, keys, exprs []string, cols []string, from string) string {
	var sel, set []string
	for _, c := range cols {
		switch c {
		case "frt_n":
			sel = append(sel, "count(frt)")
		case "frt_sum":
			sel = append(sel, "COALESCE(sum(frt), 0)")
		case "frt_h":
			sel = append(sel, histAgg("frt"))
		case "res_n":
			sel = append(sel, "count(res)")
		case "res_sum":
			sel = append(sel, "COALESCE(sum(res), 0)")
		case "res_h":
			sel = append(sel, histAgg("res"))
		default:
			i := indexOf(deltaCols, c)
			sel = append(sel, fmt.Sprintf("COALESCE(sum(d[%d]), 0)", i+1))
		}
		if strings.HasSuffix(c, "_h") {
			set = append(set, fmt.Sprintf("%s = report_hadd(r.%s, EXCLUDED.%s)", c, c, c))
		} else {
			set = append(set, fmt.Sprintf("%s = r.%s + EXCLUDED.%s", c, c, c))
		}
	}
	group := make([]string, len(keys))
	for i := range keys {
		group[i] = fmt.Sprint(i + 1)
	}
	return "INSERT INTO " + table + " AS r (" + strings.Join(append(slices.Clone(keys), cols...), ", ") + ")\n SELECT " +
		strings.Join(append(slices.Clone(exprs), sel...), ", ") + " FROM " + from + " GROUP BY " + strings.Join(group, ", ") +
		"\n ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

func indexOf(s []string, v string) int {
	i := slices.Index(s, v)
	if i < 0 {
		panic("reports: unknown delta column " + v) // a typo in foldSQL's column lists
	}
	return i
}

// foldSQL are the statements of one fold, with @upto (the last delta id)
// and @zone (the report zone).
func foldSQL() []string {
	all := []string{"conv_new", "conv_resolved", "conv_reopened", "frt_n", "frt_sum", "frt_h", "res_n", "res_sum", "res_h",
		"msg_in", "msg_out", "tpl_sent", "delivered", "read", "failed", "opted_out", "billable", "free_n", "cost_milli"}
	label := []string{"conv_new", "conv_resolved", "conv_reopened", "frt_n", "frt_sum", "frt_h", "res_n", "res_sum", "res_h", "msg_in", "msg_out"}
	act := "report_delta WHERE kind = 1 AND id <= @upto"
	day := "(at AT TIME ZONE @zone)::date"
	labels := `(SELECT at, l AS label, team, agent, sender, d, frt, res FROM report_delta, unnest(labels) l WHERE kind = 1 AND id <= @upto
		UNION ALL SELECT at, key, team, agent, sender, d, NULL::bigint, NULL::bigint FROM report_delta WHERE kind = 6 AND id <= @upto) x`
	return []string{
		activityFold("report_hourly", []string{"bucket", "team_id", "agent_id", "sender_id"},
			[]string{"date_trunc('hour', at)", "team", "agent", "sender"}, all, act),
		activityFold("report_daily", []string{"day", "team_id", "agent_id", "sender_id"},
			[]string{day, "team", "agent", "sender"}, all, act),
		activityFold("report_team_daily", []string{"day", "team_id"}, []string{day, "team"}, all, act),
		activityFold("report_hod", []string{"day", "hod", "team_id"},
			[]string{day, "extract(hour FROM at AT TIME ZONE @zone)::smallint", "team"}, all, act),
		activityFold("report_label_daily", []string{"day", "label", "team_id", "agent_id", "sender_id"},
			[]string{day, "label", "team", "agent", "sender"}, label, labels),
		`INSERT INTO report_campaign_daily AS r (day, campaign_id, team_id, agent_id, sender_id, sent, delivered, read, replied,
				failed, opted_out, billable, free_n, cost_milli)
			SELECT ` + day + `, campaign, team, agent, sender, sum(d[1]), sum(d[2]), sum(d[3]), sum(d[4]), sum(d[5]), sum(d[6]),
				sum(d[7]), sum(d[8]), sum(d[9])
			FROM report_delta WHERE kind = 2 AND id <= @upto GROUP BY 1, 2, 3, 4, 5
			ON CONFLICT (day, campaign_id, team_id, agent_id, sender_id) DO UPDATE SET
				sent = r.sent + EXCLUDED.sent, delivered = r.delivered + EXCLUDED.delivered, read = r.read + EXCLUDED.read,
				replied = r.replied + EXCLUDED.replied, failed = r.failed + EXCLUDED.failed, opted_out = r.opted_out + EXCLUDED.opted_out,
				billable = r.billable + EXCLUDED.billable, free_n = r.free_n + EXCLUDED.free_n, cost_milli = r.cost_milli + EXCLUDED.cost_milli`,
		`INSERT INTO report_failure_daily AS r (day, team_id, agent_id, sender_id, campaign_id, code, reason, n)
			SELECT ` + day + `, team, agent, sender, campaign, code, max(key), sum(d[1])
			FROM report_delta WHERE kind = 3 AND id <= @upto GROUP BY 1, 2, 3, 4, 5, 6
			ON CONFLICT (day, team_id, agent_id, sender_id, campaign_id, code) DO UPDATE SET
				n = r.n + EXCLUDED.n, reason = CASE WHEN EXCLUDED.reason <> '' THEN EXCLUDED.reason ELSE r.reason END`,
		`INSERT INTO report_cost_daily AS r (day, team_id, agent_id, sender_id, campaign_id, category, ptype, n, billable, cost_milli)
			SELECT ` + day + `, team, agent, sender, campaign, key, key2, sum(d[1]), sum(d[2]), sum(d[3])
			FROM report_delta WHERE kind = 4 AND id <= @upto GROUP BY 1, 2, 3, 4, 5, 6, 7
			ON CONFLICT (day, team_id, agent_id, sender_id, campaign_id, category, ptype) DO UPDATE SET
				n = r.n + EXCLUDED.n, billable = r.billable + EXCLUDED.billable, cost_milli = r.cost_milli + EXCLUDED.cost_milli`,
		`INSERT INTO report_csat_daily AS r (day, team_id, agent_id, sender_id, n, score_sum, r1, r2, r3, r4, r5)
			SELECT ` + day + `, team, agent, sender, sum(d[1]), sum(d[2]), sum(d[3]), sum(d[4]), sum(d[5]), sum(d[6]), sum(d[7])
			FROM report_delta WHERE kind = 7 AND id <= @upto GROUP BY 1, 2, 3, 4
			ON CONFLICT (day, team_id, agent_id, sender_id) DO UPDATE SET
				n = r.n + EXCLUDED.n, score_sum = r.score_sum + EXCLUDED.score_sum, r1 = r.r1 + EXCLUDED.r1, r2 = r.r2 + EXCLUDED.r2,
				r3 = r.r3 + EXCLUDED.r3, r4 = r.r4 + EXCLUDED.r4, r5 = r.r5 + EXCLUDED.r5`,
		`INSERT INTO report_sla_daily AS r (day, team_id, agent_id, sender_id, near, breached, breached_first, breached_next)
			SELECT ` + day + `, team, agent, sender, sum(d[1]), sum(d[2]), sum(d[3]), sum(d[4])
			FROM report_delta WHERE kind = 8 AND id <= @upto GROUP BY 1, 2, 3, 4
			ON CONFLICT (day, team_id, agent_id, sender_id) DO UPDATE SET
				near = r.near + EXCLUDED.near, breached = r.breached + EXCLUDED.breached,
				breached_first = r.breached_first + EXCLUDED.breached_first, breached_next = r.breached_next + EXCLUDED.breached_next`,
		`INSERT INTO report_journey_daily AS r (day, journey_id, version, sender_id, step_id, counter, detail, n)
			SELECT ` + day + `, campaign, code, sender, key, key2, COALESCE(labels[1], ''), sum(d[1])
			FROM report_delta WHERE kind = 9 AND id <= @upto GROUP BY 1, 2, 3, 4, 5, 6, 7
			ON CONFLICT (day, journey_id, version, sender_id, step_id, counter, detail) DO UPDATE SET n = r.n + EXCLUDED.n`,
		`INSERT INTO report_case_daily AS r (day, team_id, agent_id, bucket, assigned, contacted, ptp_made, ptp_kept, ptp_broken, paid, recovered)
			SELECT ` + day + `, team, agent, key, sum(d[1]), sum(d[2]), sum(d[3]), sum(d[4]), sum(d[5]), sum(d[6]), sum(d[7])
			FROM report_delta WHERE kind = 5 AND id <= @upto GROUP BY 1, 2, 3, 4
			ON CONFLICT (day, team_id, agent_id, bucket) DO UPDATE SET
				assigned = r.assigned + EXCLUDED.assigned, contacted = r.contacted + EXCLUDED.contacted,
				ptp_made = r.ptp_made + EXCLUDED.ptp_made, ptp_kept = r.ptp_kept + EXCLUDED.ptp_kept,
				ptp_broken = r.ptp_broken + EXCLUDED.ptp_broken, paid = r.paid + EXCLUDED.paid, recovered = r.recovered + EXCLUDED.recovered`,
	}
}

// Fold adds up to FoldBatch appended deltas to the rollups and deletes
// them, in one repeatable-read transaction: every statement sees the same
// deltas, so exactly the rows folded are deleted (a delta committed
// meanwhile waits for the next fold). One fold runs at a time (a session
// advisory lock); the worker's fold, finding one running, returns 0 at once.
func (s ReportStore) Fold(ctx context.Context) (int64, error) { return s.fold(ctx, false) }

// foldWait is the report's fold: it waits for a fold running elsewhere to
// commit, then folds what is left. Returning at once instead would read
// the rollups without the deltas that fold had taken and not yet committed,
// and a report would miss events committed before it.
func (s ReportStore) foldWait(ctx context.Context) (int64, error) { return s.fold(ctx, true) }

func (s ReportStore) fold(ctx context.Context, wait bool) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		got := true
		if wait {
			// Canceled with ctx (the request), like any query.
			if err := conn.Exec(`SELECT pg_advisory_lock(?)`, foldLock).Error; err != nil {
				return err
			}
		} else if err := conn.Raw(`SELECT pg_try_advisory_lock(?)`, foldLock).Scan(&got).Error; err != nil || !got {
			return err
		}
		// Unlocked whatever happens to ctx: a lock left on a pooled
		// connection would stop every later fold.
		defer conn.WithContext(context.WithoutCancel(ctx)).Exec(`SELECT pg_advisory_unlock(?)`, foldLock)
		return conn.Transaction(func(tx *gorm.DB) error {
			var upto sql.NullInt64
			if err := tx.Raw(`SELECT COALESCE((SELECT id FROM report_delta ORDER BY id OFFSET ? LIMIT 1), (SELECT max(id) FROM report_delta))`,
				FoldBatch-1).Scan(&upto).Error; err != nil || !upto.Valid {
				return err
			}
			var zone string
			if err := tx.Raw(`SELECT zone FROM report_settings WHERE id = 1`).Scan(&zone).Error; err != nil {
				return err
			}
			args := map[string]any{"upto": upto.Int64, "zone": zone}
			for _, q := range foldSQL() {
				if err := tx.Exec(q, args).Error; err != nil {
					return fmt.Errorf("fold: %w", err)
				}
			}
			res := tx.Exec(`DELETE FROM report_delta WHERE id <= @upto`, args)
			n = res.RowsAffected
			return res.Error
		}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	})
	if err != nil {
		return 0, fmt.Errorf("fold report deltas: %w", err)
	}
	return n, nil
}
