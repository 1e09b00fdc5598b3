// Command reports seeds a reports database (1M contacts and conversations,
// 10M messages, 500k cases over 90 days, with the rollups the triggers of
// migration 00110 would have written for them) and times every report the
// reports page runs through models/reports.ReportStore.Report: p50/p99 wall
// time, CPU-ms of this process and of the PostgreSQL backend that answered
// (/proc/<pid>/stat), and the trigger overhead per message (the product's
// inbound insert and status-with-pricing statements, triggers on vs off).
//
//	go run ./bench/reports [-scale 1] [-runs 40] [-keep]
//
// It creates the database scrm_bench_reports on the server (dropping an
// old one first) and drops it at the end unless -keep.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/models/reports"
)

var dbName = envOr("SCRM_BENCH_DB", "scrm_bench_reports") // bench/queries seeds its own copy

func main() {
	var (
		base  = flag.String("db", envOr("SCRM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server")
		scale = flag.Float64("scale", 1, "fraction of the full size (1 = 1M contacts, 10M messages, 500k cases)")
		runs  = flag.Int("runs", 40, "timed runs per report")
		keep  = flag.Bool("keep", false, "keep the database")
		trig  = flag.Int("trigger-msgs", 3000, "messages for the trigger overhead measurement (each way)")
		reuse = flag.Bool("reuse", false, "time the reports on the database a -keep run left (no seeding)")
	)
	flag.Parse()
	if err := run(*base, *scale, *runs, *trig, *keep, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func withDB(base, name string) string {
	i := strings.Index(base, "://")
	rest := base[i+3:]
	slash := strings.Index(rest, "/")
	q := ""
	if j := strings.Index(rest, "?"); j >= 0 {
		q = rest[j:]
	}
	return base[:i+3] + rest[:slash] + "/" + name + q
}

func run(base string, scale float64, runs, trigMsgs int, keep, reuse bool) error {
	ctx := context.Background()
	n := func(full int) int64 { return int64(float64(full) * scale) }
	s := size{contacts: n(1_000_000), messagesPer: 10, cases: n(500_000), days: 90, teams: 20, agents: 400, senders: 50, campaigns: 40}
	if reuse {
		db, err := models.OpenDB(ctx, withDB(base, dbName))
		if err != nil {
			return err
		}
		defer models.CloseDB(db)
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		return timeReports(ctx, db, s, runs)
	}
	admin, err := models.OpenDB(ctx, base)
	if err != nil {
		return err
	}
	defer models.CloseDB(admin)
	_ = admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)").Error
	if err := admin.Exec("CREATE DATABASE " + dbName).Error; err != nil {
		return err
	}
	if !keep {
		defer func() {
			if err := admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)").Error; err != nil {
				fmt.Fprintln(os.Stderr, "drop:", err)
			}
		}()
	}
	db, err := models.OpenDB(ctx, withDB(base, dbName))
	if err != nil {
		return err
	}
	defer models.CloseDB(db)
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one backend: its /proc stat is the server's CPU
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		return err
	}
	fmt.Printf("seeding: %d contacts/conversations, %d messages, %d cases over %d days (%d teams, %d agents, %d numbers)\n",
		s.contacts, s.contacts*s.messagesPer, s.cases, s.days, s.teams, s.agents, s.senders)
	t0 := time.Now()
	if err := seed(ctx, sqlDB, s); err != nil {
		return err
	}
	fmt.Printf("seeded in %s\n", time.Since(t0).Round(time.Second))
	for _, t := range []string{"messages", "conversations", "contacts", "cases", "report_hourly", "report_daily", "report_team_daily", "report_hod",
		"report_label_daily", "report_case_daily", "report_campaign_daily", "report_cost_daily", "report_failure_daily"} {
		var c int64
		db.Raw("SELECT count(*) FROM " + t).Scan(&c)
		fmt.Printf("  %-22s %10d rows\n", t, c)
	}
	if err := timeReports(ctx, db, s, runs); err != nil {
		return err
	}
	if err := triggerOverhead(ctx, sqlDB, s, trigMsgs); err != nil {
		return err
	}
	// Fold what the overhead runs appended (the worker does it every 5 s).
	var pending int64
	db.Raw(`SELECT count(*) FROM report_delta`).Scan(&pending)
	c0, t0 := procCPU("self"), time.Now()
	var folded int64
	for {
		n, err := reports.ReportStore{DB: db}.Fold(ctx)
		if err != nil {
			return err
		}
		if folded += n; n == 0 {
			break
		}
	}
	d := time.Since(t0)
	fmt.Printf("\nfold: %d deltas (of %d pending) in %.1f ms, %.0f deltas/s, client CPU %.0f ms\n", folded, pending, ms(d),
		float64(folded)/d.Seconds(), procCPU("self")-c0)
	return nil
}

type size struct {
	contacts, messagesPer, cases int64
	days, teams, agents, senders int64
	campaigns                    int64
}

// seed writes the rows with triggers off (session_replication_role) and
// then the rollups the triggers would have kept, in bulk from the same
// formulas: conversation c (1..N) starts at base + (c*7919 mod 90 days),
// is served by agent (c-1) mod 400 + 1 (every 7th is unassigned), on the
// agent's primary number, in the agent's team; its 10 messages alternate
// in/out 5 minutes apart, the last one a campaign template (marketing,
// billable), the others free service messages.
func seed(ctx context.Context, sqlDB *sql.DB, s size) error {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	span := s.days * 86400
	conv := fmt.Sprintf(`(c * 7919) %% %d`, span)
	stmts := []string{
		`SET session_replication_role = replica`,
		`SET maintenance_work_mem = '512MB'`,
		`SET work_mem = '128MB'`,
		fmt.Sprintf(`CREATE TEMP TABLE bench_base AS SELECT date_trunc('day', now() AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'Asia/Jakarta' - interval '%d days' AS t0`, s.days-1),
		fmt.Sprintf(`INSERT INTO teams (id, name) SELECT g, 'Tim ' || g FROM generate_series(1, %d) g`, s.teams),
		fmt.Sprintf(`INSERT INTO agents (id, name, email, password_hash, role_id) SELECT g, 'Agen ' || g, 'agen' || g || '@bench.id', 'x',
			(SELECT id FROM roles WHERE system_key = 'agent') FROM generate_series(1, %d) g`, s.agents),
		fmt.Sprintf(`INSERT INTO team_members (team_id, agent_id) SELECT (g - 1) / %d + 1, g FROM generate_series(1, %d) g`, s.agents/s.teams, s.agents),
		fmt.Sprintf(`INSERT INTO senders (id, phone_number_id, display_number) SELECT g, 'PN' || g, '+62 21 ' || (5000 + g) FROM generate_series(1, %d) g`, s.senders),
		fmt.Sprintf(`INSERT INTO contacts (id, phone_e164, name) SELECT g, '+628' || lpad(g::text, 10, '0'), 'Pelanggan ' || g FROM generate_series(1, %d) g`, s.contacts),
		`INSERT INTO templates (id, name, language, category, status) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED')`,
		`INSERT INTO segments (id, name) VALUES (1, 'semua')`,
		fmt.Sprintf(`INSERT INTO campaigns (id, name, template_id, segment_id, sender_ids, status) SELECT g, 'Kampanye ' || g, 1, 1, '{1}', 'completed' FROM generate_series(1, %d) g`, s.campaigns),
		// conversations with their dims
		fmt.Sprintf(`CREATE TEMP TABLE bench_conv AS SELECT c,
				CASE WHEN c %% 7 = 0 THEN NULL ELSE (c - 1) %% %[1]d + 1 END AS agent,
				(SELECT t0 FROM bench_base) + (%[2]s) * interval '1 second' AS at,
				(c * 31) %% 7200 AS frt, (c * 17) %% 172800 AS res, c %% 5 <> 0 AS resolved
			FROM generate_series(1::bigint, %[3]d) c`, s.agents, conv, s.contacts),
		`ALTER TABLE bench_conv ADD COLUMN team BIGINT, ADD COLUMN sender BIGINT, ADD COLUMN camp BIGINT`,
		fmt.Sprintf(`UPDATE bench_conv SET team = CASE WHEN agent IS NULL THEN c %% %[1]d + 1 ELSE (agent - 1) / %[2]d + 1 END,
			sender = CASE WHEN agent IS NULL THEN c %% %[3]d + 1 ELSE (agent - 1) %% %[3]d + 1 END,
			camp = ((extract(epoch FROM at - (SELECT t0 FROM bench_base))::bigint / 86400) * 2 + c %% 2) %% %[4]d + 1`,
			s.teams, s.agents/s.teams, s.senders, s.campaigns),
		`INSERT INTO conversations (id, sender_id, contact_id, status, assignee_agent_id, team_id, created_at, updated_at, last_message_at,
				last_inbound_at, resolved_at, labels, rpt_opened_at, rpt_attributed)
			SELECT c, sender, c, CASE WHEN resolved THEN 'resolved' ELSE 'open' END, agent, team, at, at, at + interval '45 minutes',
				at + interval '40 minutes', CASE WHEN resolved THEN at + res * interval '1 second' END,
				CASE c % 6 WHEN 0 THEN '{tagihan}'::text[] WHEN 1 THEN '{janji_bayar}' WHEN 2 THEN '{komplain}' WHEN 3 THEN '{tagihan,vip}' ELSE '{}' END,
				at, true
			FROM bench_conv`,
		fmt.Sprintf(`INSERT INTO messages (id, conversation_id, direction, type, body, wamid, status, created_at, sent_at, author_agent_id,
				pricing_model, pricing_type, pricing_category, billable, cost_milli)
			SELECT g, c, CASE WHEN k %% 2 = 0 THEN 'in' ELSE 'out' END, CASE WHEN k = %[1]d - 1 THEN 'template' ELSE 'text' END,
				'pesan ' || g, 'wamid.' || g, CASE WHEN k %% 2 = 0 THEN 'received' WHEN g %% 50 = 0 THEN 'failed' ELSE 'read' END,
				(SELECT t0 FROM bench_base) + ((%[2]s) + k * 300) * interval '1 second',
				CASE WHEN k %% 2 = 1 THEN (SELECT t0 FROM bench_base) + ((%[2]s) + k * 300) * interval '1 second' END,
				CASE WHEN k %% 2 = 1 AND k < %[1]d - 1 AND c %% 7 <> 0 THEN (c - 1) %% %[3]d + 1 END,
				CASE WHEN k %% 2 = 1 THEN 'PMP' END,
				CASE WHEN k = %[1]d - 1 THEN 'regular' WHEN k %% 2 = 1 THEN 'free_customer_service' END,
				CASE WHEN k = %[1]d - 1 THEN 'marketing' WHEN k %% 2 = 1 THEN 'service' END,
				CASE WHEN k %% 2 = 1 THEN k = %[1]d - 1 END,
				CASE WHEN k = %[1]d - 1 THEN 586330 WHEN k %% 2 = 1 THEN 0 END
			FROM generate_series(1::bigint, %[4]d) g, LATERAL (SELECT (g - 1) / %[1]d + 1 AS c, (g - 1) %% %[1]d AS k) x`,
			s.messagesPer, conv, s.agents, s.contacts*s.messagesPer),
		fmt.Sprintf(`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, message_id, status)
			SELECT camp, c, sender, c * %d, 'sent' FROM bench_conv`, s.messagesPer),
		fmt.Sprintf(`INSERT INTO cases (id, reference, contact_id, amount, outstanding, due_date, team_id, agent_id, status, assigned_at,
				outcome, promise_date, rpt_contacted, rpt_ptp_state, created_at, updated_at)
			SELECT g, 'K' || g, g * 2 - 1, 1000000, 1000000 - (g %% 10) * 100000, (SELECT t0 FROM bench_base)::date - (g %% 150)::int,
				(g - 1) %% %[1]d + 1, ((g - 1) %% %[1]d) * %[2]d + g %% %[2]d + 1, 'assigned',
				(SELECT t0 FROM bench_base) + ((g * 104729) %% %[3]d) * interval '1 second',
				CASE WHEN g %% 4 = 0 THEN 'promise_to_pay' WHEN g %% 2 = 0 THEN 'contacted' ELSE '' END,
				CASE WHEN g %% 4 = 0 THEN (SELECT t0 FROM bench_base)::date + ((g * 104729) %% %[3]d / 86400)::int + 3 END,
				g %% 2 = 0, CASE WHEN g %% 8 = 0 THEN 'kept' WHEN g %% 8 = 4 THEN 'broken' ELSE '' END,
				(SELECT t0 FROM bench_base), (SELECT t0 FROM bench_base)
			FROM generate_series(1::bigint, %[4]d) g`, s.teams, s.agents/s.teams, span, s.cases),
		`SELECT setval('teams_id_seq', (SELECT max(id) FROM teams)), setval('agents_id_seq', (SELECT max(id) FROM agents)),
			setval('senders_id_seq', (SELECT max(id) FROM senders)), setval('contacts_id_seq', (SELECT max(id) FROM contacts)),
			setval('conversations_id_seq', (SELECT max(id) FROM conversations)), setval('messages_id_seq', (SELECT max(id) FROM messages)),
			setval('cases_id_seq', (SELECT max(id) FROM cases)), setval('campaigns_id_seq', (SELECT max(id) FROM campaigns)),
			setval('templates_id_seq', 1), setval('segments_id_seq', 1)`,
	}
	stmts = append(stmts, rollups(s)...)
	stmts = append(stmts, `SET session_replication_role = origin`, `VACUUM ANALYZE`)
	for _, q := range stmts {
		t := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
		if d := time.Since(t); d > 2*time.Second {
			fmt.Printf("  %6.1fs  %s\n", d.Seconds(), firstLine(q))
		}
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i > 0 {
		q = q[:i]
	}
	if len(q) > 90 {
		q = q[:90]
	}
	return q
}

// hist is the histogram array of a seconds expression over the group.
func hist(expr string) string {
	parts := make([]string, reports.HistSize)
	for i := range parts {
		parts[i] = fmt.Sprintf("count(*) FILTER (WHERE report_bin(%s) = %d)", expr, i+1)
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]::bigint[]"
}

// rollups are the rows the triggers would have kept for the seeded
// history, per conversation at its start (its 10 messages fall in the
// same hour or the next: attributing them to the start hour keeps the
// row counts the same).
func rollups(s size) []string {
	per := s.messagesPer
	metrics := fmt.Sprintf(`count(*), count(*) FILTER (WHERE resolved), 0, count(*), sum(frt), %s,
		count(*) FILTER (WHERE resolved), COALESCE(sum(res) FILTER (WHERE resolved), 0), %s,
		count(*) * %[3]d, count(*) * %[3]d, count(*), count(*) * %[3]d, count(*) * (%[3]d - 1), count(*) FILTER (WHERE c %% 5 = 0),
		count(*) FILTER (WHERE c %% 97 = 0), count(*), count(*) * (%[3]d - 1), count(*) * 586330`,
		hist("frt"), strings.Replace(hist("res"), "count(*) FILTER (WHERE", "count(*) FILTER (WHERE resolved AND", -1), per/2)
	cols := `conv_new, conv_resolved, conv_reopened, frt_n, frt_sum, frt_h, res_n, res_sum, res_h, msg_in, msg_out, tpl_sent,
		delivered, read, failed, opted_out, billable, free_n, cost_milli`
	day := `(at AT TIME ZONE 'Asia/Jakarta')::date`
	return []string{
		`INSERT INTO report_hourly (bucket, team_id, agent_id, sender_id, ` + cols + `)
			SELECT date_trunc('hour', at), team, COALESCE(agent, 0), sender, ` + metrics + ` FROM bench_conv GROUP BY 1, 2, 3, 4`,
		`INSERT INTO report_daily (day, team_id, agent_id, sender_id, ` + cols + `)
			SELECT ` + day + `, team, COALESCE(agent, 0), sender, ` + metrics + ` FROM bench_conv GROUP BY 1, 2, 3, 4`,
		`INSERT INTO report_team_daily (day, team_id, ` + cols + `)
			SELECT ` + day + `, team, ` + metrics + ` FROM bench_conv GROUP BY 1, 2`,
		`INSERT INTO report_hod (day, hod, team_id, ` + cols + `)
			SELECT ` + day + `, extract(hour FROM at AT TIME ZONE 'Asia/Jakarta'), team, ` + metrics + ` FROM bench_conv GROUP BY 1, 2, 3`,
		`INSERT INTO report_label_daily (day, label, team_id, agent_id, sender_id, conv_new, conv_resolved, conv_reopened,
				frt_n, frt_sum, frt_h, res_n, res_sum, res_h, msg_in, msg_out)
			SELECT ` + day + `, l, team, COALESCE(agent, 0), sender, count(*), count(*) FILTER (WHERE resolved), 0, count(*), sum(frt), ` + hist("frt") + `,
				count(*) FILTER (WHERE resolved), COALESCE(sum(res) FILTER (WHERE resolved), 0), ` + hist("res") + `, count(*) * 5, count(*) * 5
			FROM bench_conv JOIN conversations v ON v.id = c, unnest(v.labels) l GROUP BY 1, 2, 3, 4, 5`,
		fmt.Sprintf(`INSERT INTO report_campaign_daily (day, campaign_id, team_id, agent_id, sender_id, sent, delivered, read, replied,
				failed, opted_out, billable, free_n, cost_milli)
			SELECT %s, camp, team, COALESCE(agent, 0), sender, count(*), count(*) FILTER (WHERE c %% 50 <> 0), count(*) FILTER (WHERE c %% 3 <> 0),
				count(*) FILTER (WHERE c %% 4 = 0), count(*) FILTER (WHERE c %% 50 = 0), count(*) FILTER (WHERE c %% 97 = 0),
				count(*), 0, count(*) * 586330
			FROM bench_conv GROUP BY 1, 2, 3, 4, 5`, day),
		fmt.Sprintf(`INSERT INTO report_failure_daily (day, team_id, agent_id, sender_id, campaign_id, code, reason, n)
			SELECT %s, team, COALESCE(agent, 0), sender, camp, (ARRAY[131026, 131049, 131047])[c %% 3 + 1], 'bench failure', count(*)
			FROM bench_conv WHERE c %% 5 = 0 GROUP BY 1, 2, 3, 4, 5, 6`, day),
		fmt.Sprintf(`INSERT INTO report_cost_daily (day, team_id, agent_id, sender_id, campaign_id, category, ptype, n, billable, cost_milli)
			SELECT %[1]s, team, COALESCE(agent, 0), sender, camp, 'marketing', 'regular', count(*), count(*), count(*) * 586330
			FROM bench_conv GROUP BY 1, 2, 3, 4, 5
			UNION ALL
			SELECT %[1]s, team, COALESCE(agent, 0), sender, 0, 'service', 'free_customer_service', count(*) * (%[2]d / 2 - 1), 0, 0
			FROM bench_conv GROUP BY 1, 2, 3, 4`, day, per),
		fmt.Sprintf(`INSERT INTO report_case_daily (day, team_id, agent_id, bucket, assigned, contacted, ptp_made, ptp_kept, ptp_broken, paid, recovered)
			SELECT (assigned_at AT TIME ZONE 'Asia/Jakarta')::date, team_id, agent_id,
				report_dpd_bucket(due_date, (assigned_at AT TIME ZONE 'Asia/Jakarta')::date), count(*), count(*) FILTER (WHERE id %% 2 = 0),
				count(*) FILTER (WHERE id %% 4 = 0), count(*) FILTER (WHERE id %% 8 = 0), count(*) FILTER (WHERE id %% 8 = 4),
				count(*) FILTER (WHERE id %% 10 = 9), sum(amount - outstanding)
			FROM cases GROUP BY 1, 2, 3, 4`),
		fmt.Sprintf(`INSERT INTO report_presence_daily (day, agent_id, online_s)
			SELECT d::date, a, 6 * 3600 + (a * 37) %% 7200 FROM generate_series((SELECT t0 FROM bench_base), (SELECT t0 FROM bench_base) + interval '%d days', interval '1 day') d,
				generate_series(1, %d) a`, s.days-1, s.agents),
	}
}

type scenario struct {
	name string
	p    models.Principal
	days int
	f    reports.Filter
}

// procCPU is utime+stime of a process in milliseconds (clock ticks of 10 ms).
func procCPU(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 10
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func timeReports(ctx context.Context, db *gorm.DB, s size, runs int) error {
	st := reports.ReportStore{DB: db}
	today, err := st.Today(ctx)
	if err != nil {
		return err
	}
	end := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var backend string
	if err := db.Raw(`SELECT pg_backend_pid()::text`).Scan(&backend).Error; err != nil {
		return err
	}
	admin := models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}
	perTeam := s.agents / s.teams
	supervisor := models.Principal{AgentID: 1, TeamIDs: []int64{1}, SupervisedTeamIDs: []int64{3}, DataScope: models.ScopeTeams}
	agent := models.Principal{AgentID: 2*perTeam + 5, TeamIDs: []int64{3}, DataScope: models.ScopeOwn}
	scs := []scenario{
		{"admin, 90 days", admin, 90, reports.Filter{}},
		{"admin, 30 days", admin, 30, reports.Filter{}},
		{"admin, 7 days", admin, 7, reports.Filter{}},
		{"team (supervisor), 30 days", supervisor, 30, reports.Filter{TeamID: 3}},
		{"team (supervisor), 90 days", supervisor, 90, reports.Filter{TeamID: 3}},
		{"agent (own scope), 30 days", agent, 30, reports.Filter{}},
		{"agent filter (admin), 90 days", admin, 90, reports.Filter{AgentID: 17}},
		{"number, 30 days", admin, 30, reports.Filter{SenderID: 7}},
		{"number, 90 days", admin, 90, reports.Filter{SenderID: 7}},
		{"label, 30 days", admin, 30, reports.Filter{Label: "tagihan"}},
		{"label, 90 days", admin, 90, reports.Filter{Label: "tagihan"}},
	}
	fmt.Printf("\n%-32s %9s %9s %9s %12s %12s %10s\n", "report", "p50 ms", "p99 ms", "max ms", "client CPU", "server CPU", "totals")
	for _, sc := range scs {
		f := sc.f
		f.To, f.From = end, end.AddDate(0, 0, -(sc.days-1))
		var durs []time.Duration
		var r reports.Report
		c0, b0 := procCPU("self"), procCPU(backend)
		for i := 0; i < runs+3; i++ {
			if i == 3 {
				durs = durs[:0]
				c0, b0 = procCPU("self"), procCPU(backend)
			}
			t := time.Now()
			if r, err = st.Report(ctx, sc.p, f); err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			durs = append(durs, time.Since(t))
		}
		c1, b1 := procCPU("self"), procCPU(backend)
		fmt.Printf("%-32s %9.1f %9.1f %9.1f %9.1f ms %9.1f ms %10d\n", sc.name,
			ms(pct(durs, 0.5)), ms(pct(durs, 0.99)), ms(pct(durs, 1)), (c1-c0)/float64(runs), (b1-b0)/float64(runs), r.Totals.ConvNew+r.Cases.Assigned)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// triggerOverhead times the product's inbound insert (message + conversation
// update, one transaction each) and a status update with pricing, with the
// reports' triggers on and off, on conversations of the seeded database.
func triggerOverhead(ctx context.Context, sqlDB *sql.DB, s size, n int) error {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	inbound := func(i int) error {
		c := int64(i)%s.contacts + 1
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `WITH m AS (
				INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, status, created_at)
				VALUES ($1, 'in', 'text', 'halo', '{}', $2, 'received', now())
				ON CONFLICT (wamid) DO NOTHING RETURNING id, conversation_id, created_at, body, type)
			UPDATE conversations v SET last_inbound_at = m.created_at, last_message_at = m.created_at, unread_count = v.unread_count + 1,
				last_preview = m.body, status = CASE WHEN v.status IN ('resolved', 'snoozed') THEN 'open' ELSE v.status END, updated_at = now()
			FROM m WHERE v.id = m.conversation_id`, c, fmt.Sprintf("trig.%d", i))
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	status := func(i int) error {
		id := int64(i)*int64(s.messagesPer) + 2 // an outbound message (k = 1)
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE messages SET status = 'sent', sent_at = now(), pricing_category = NULL, pricing_type = NULL WHERE id = $1`, id); err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE messages m SET status = 'delivered', delivered_at = now() FROM conversations c WHERE m.id = $1 AND c.id = m.conversation_id`, id)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET pricing_model = 'PMP', pricing_type = 'regular', pricing_category = 'marketing', billable = true
				WHERE id = $1 AND pricing_category IS NULL`, id)
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	measure := func(name string, f func(int) error, off bool, start int) (float64, error) {
		mode := "origin"
		if off {
			mode = "replica"
		}
		if _, err := conn.ExecContext(ctx, "SET session_replication_role = "+mode); err != nil {
			return 0, err
		}
		t := time.Now()
		for i := start; i < start+n; i++ {
			if err := f(i); err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
		}
		return ms(time.Since(t)) / float64(n), nil
	}
	fmt.Printf("\ntrigger overhead (%d messages each way, one transaction each)\n", n)
	for _, m := range []struct {
		name string
		f    func(int) error
	}{{"inbound message insert", inbound}, {"status delivered + pricing", status}} {
		// alternate off/on twice, on fresh rows each time
		var on, off float64
		for round := 0; round < 2; round++ {
			a, err := measure(m.name, m.f, true, (4*round)*n+1000)
			if err != nil {
				return err
			}
			b, err := measure(m.name, m.f, false, (4*round+2)*n+1000)
			if err != nil {
				return err
			}
			off, on = off+a/2, on+b/2
		}
		fmt.Printf("  %-28s off %.3f ms, on %.3f ms: +%.3f ms per message\n", m.name, off, on, on-off)
	}
	_, err = conn.ExecContext(ctx, "SET session_replication_role = origin")
	return err
}
