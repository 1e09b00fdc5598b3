package reports_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/worker/testenv"
)

type fx = testenv.SQL

// TestBusinessSecondsSQLMatchesGo: the trigger's report_business_seconds
// and reports.BusinessSeconds are one rule.
func TestBusinessSecondsSQLMatchesGo(t *testing.T) {
	t.Parallel()
	f := fx{T: t, DB: testenv.NewDB(t).Gorm}
	for _, c := range businessCases {
		got := f.ID(`SELECT report_business_seconds(?, ?)`, at(c.a), at(c.b))
		if want := reports.BusinessSeconds(at(c.a), at(c.b), reports.DefaultBusinessHours()); got != want || got != c.want {
			t.Errorf("%s: SQL %d, Go %d, hand %d", c.name, got, want, c.want)
		}
	}
}

func admin() models.Principal {
	return models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}
}

func fp(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// history plays a fixed week of events through the same statements the
// stores run (with explicit times), and returns its ids.
type history struct{ team1, team2, agent1, agent2, sender, conv1, conv2, campaign int64 }

func playHistory(f fx) history {
	var h history
	h.team1 = f.ID(`INSERT INTO teams (name) VALUES ('Penagihan') RETURNING id`)
	h.team2 = f.ID(`INSERT INTO teams (name) VALUES ('Layanan') RETURNING id`)
	role := f.ID(`SELECT id FROM roles WHERE system_key = 'agent'`)
	h.agent1 = f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Ani', 'ani@x.id', 'x', ?) RETURNING id`, role)
	h.agent2 = f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Budi', 'budi@x.id', 'x', ?) RETURNING id`, role)
	f.Exec(`INSERT INTO team_members (team_id, agent_id) VALUES (?, ?), (?, ?)`, h.team1, h.agent1, h.team2, h.agent2)
	h.sender = f.ID(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PN1', '+62 21 5000') RETURNING id`)
	c1 := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES ('+6281200000001', 'Citra') RETURNING id`)
	c2 := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES ('+6591234567', 'Dewi') RETURNING id`)

	// Conversation 1: the customer writes on Friday 16:30, it is routed
	// to team 1 / agent 1 at 16:40, the agent answers on Monday 08:15 (a
	// free service message), it is resolved at 09:00.
	h.conv1 = f.ID(`INSERT INTO conversations (sender_id, contact_id, created_at, updated_at, labels) VALUES (?, ?, ?, ?, '{tagihan}') RETURNING id`,
		h.sender, c1, at("2026-11-27 16:30"), at("2026-11-27 16:30"))
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, created_at) VALUES (?, 'in', 'text', 'halo', 'in1', 'received', ?)`,
		h.conv1, at("2026-11-27 16:30"))
	f.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = ?, updated_at = ? WHERE id = ?`, h.team1, h.agent1, at("2026-11-27 16:40"), h.conv1)
	reply := f.ID(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'out', 'text', 'selamat pagi', 'queued', ?) RETURNING id`,
		h.conv1, at("2026-11-30 08:15"))
	f.Exec(`UPDATE messages SET send_state = 'pending', author_agent_id = ? WHERE id = ?`, h.agent1, reply)
	f.Exec(`UPDATE messages SET status = 'sent', wamid = 'out1', sent_at = ? WHERE id = ?`, at("2026-11-30 08:15"), reply)
	f.Exec(`UPDATE messages SET pricing_model = 'PMP', pricing_type = 'free_customer_service', pricing_category = 'service', billable = false WHERE wamid = 'out1' AND pricing_category IS NULL`)
	f.Exec(`UPDATE conversations SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE id = ?`, at("2026-11-30 09:00"), at("2026-11-30 09:00"), h.conv1)

	// Fold half way: the rest of the history merges into existing rollup
	// rows (sums and histogram buckets added, not replaced).
	if _, err := (reports.ReportStore{DB: f.DB}).Fold(context.Background()); err != nil {
		f.T.Fatal(err)
	}

	// Conversation 2 is created already routed on Monday 10:00; the agent
	// answers one minute later.
	h.conv2 = f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		h.sender, c2, h.team1, h.agent1, at("2026-11-30 10:00"), at("2026-11-30 10:00"))
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, created_at) VALUES (?, 'in', 'text', 'min', 'in2', 'received', ?)`,
		h.conv2, at("2026-11-30 10:00"))
	r2 := f.ID(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'out', 'text', 'ya', 'queued', ?) RETURNING id`,
		h.conv2, at("2026-11-30 10:01"))
	f.Exec(`UPDATE messages SET author_agent_id = ? WHERE id = ?`, h.agent1, r2)
	// A line of the thread (an assignment change) is no message.
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status, author_agent_id, created_at) VALUES (?, 'note', 'assignment', 'Ani', 'received', ?, ?)`,
		h.conv1, h.agent1, at("2026-11-27 16:40"))
	// A coexistence history sync stores a past chat: no activity, no wait.
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, origin, created_at) VALUES (?, 'in', 'text', 'lama', 'hist1', 'received', 'history', ?)`,
		h.conv2, at("2026-11-28 10:00"))
	// Labels put on later count the conversation in on its start day; one
	// put on and taken off again counts nothing.
	f.Exec(`UPDATE conversations SET labels = '{vip,salah}' WHERE id = ?`, h.conv2)
	f.Exec(`UPDATE conversations SET labels = '{vip}' WHERE id = ?`, h.conv2)

	// A campaign template to contact 1 on Tuesday (marketing, billable,
	// +62: the ID price 586.33), delivered, read and replied; one to
	// contact 2 fails (no pricing, so no cost).
	tpl := f.ID(`INSERT INTO templates (name, language, category, status) VALUES ('promo', 'id', 'MARKETING', 'APPROVED') RETURNING id`)
	seg := f.ID(`INSERT INTO segments (name) VALUES ('semua') RETURNING id`)
	h.campaign = f.ID(`INSERT INTO campaigns (name, template_id, segment_id, sender_ids) VALUES ('Promo Desember', ?, ?, ARRAY[?]::bigint[]) RETURNING id`, tpl, seg, h.sender)
	t1 := f.ID(`INSERT INTO messages (conversation_id, direction, type, status, created_at) VALUES (?, 'out', 'template', 'queued', ?) RETURNING id`, h.conv1, at("2026-12-01 09:00"))
	t2 := f.ID(`INSERT INTO messages (conversation_id, direction, type, status, created_at) VALUES (?, 'out', 'template', 'queued', ?) RETURNING id`, h.conv2, at("2026-12-01 09:00"))
	f.Exec(`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, message_id, status) VALUES (?, ?, ?, ?, 'sent'), (?, ?, ?, ?, 'sent')`,
		h.campaign, c1, h.sender, t1, h.campaign, c2, h.sender, t2)
	f.Exec(`UPDATE messages SET status = 'sent', wamid = 't1', sent_at = ? WHERE id = ?`, at("2026-12-01 09:00"), t1)
	f.Exec(`UPDATE messages SET pricing_model = 'PMP', pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE wamid = 't1' AND pricing_category IS NULL`)
	f.Exec(`UPDATE messages SET status = 'delivered', delivered_at = ? WHERE id = ?`, at("2026-12-01 09:01"), t1)
	// a second status with the same pricing must not price the message twice
	f.Exec(`UPDATE messages SET status = 'read', read_at = ? WHERE id = ?`, at("2026-12-01 09:05"), t1)
	f.Exec(`UPDATE messages SET pricing_model = 'PMP', pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE wamid = 't1' AND pricing_category IS NULL`)
	f.Exec(`UPDATE messages SET status = 'failed', wamid = 't2', failed_at = ?, error_code = 131026, error_reason = 'Message undeliverable' WHERE id = ?`, at("2026-12-01 09:00"), t2)
	// the customer's reply reopens conversation 1 and counts for the campaign
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, created_at) VALUES (?, 'in', 'text', 'mau', 'in3', 'received', ?)`,
		h.conv1, at("2026-12-01 10:00"))
	f.Exec(`UPDATE conversations SET status = 'open', updated_at = ? WHERE id = ?`, at("2026-12-01 10:00"), h.conv1)

	// Cases, all team 1: K1 promises on 27 Nov for 29 Nov and pays 600k on
	// 28 Nov (kept); K2 promises for 28 Nov and its follow-up finds it unpaid
	// on 29 Nov (broken); K3 exits paid on 30 Nov with 250k left.
	mk := func(ref string, due string) int64 {
		return f.ID(`INSERT INTO cases (reference, amount, outstanding, due_date, team_id, created_at, updated_at) VALUES (?, 1000000, 1000000, ?, ?, ?, ?) RETURNING id`,
			ref, due, h.team1, at("2026-11-27 09:00"), at("2026-11-27 09:00"))
	}
	k1, k2, k3 := mk("K1", "2026-11-01"), mk("K2", "2026-11-01"), mk("K3", "2026-10-01")
	for _, k := range []int64{k1, k2, k3} {
		f.Exec(`UPDATE cases SET status = 'assigned', agent_id = ?, assigned_at = ?, updated_at = ? WHERE id = ?`, h.agent1, at("2026-11-27 09:05"), at("2026-11-27 09:05"), k)
	}
	f.Exec(`UPDATE cases SET outcome = 'promise_to_pay', promise_date = '2026-11-29', updated_at = ? WHERE id = ?`, at("2026-11-27 10:00"), k1)
	f.Exec(`UPDATE cases SET outcome = 'promise_to_pay', promise_date = '2026-11-28', updated_at = ? WHERE id = ?`, at("2026-11-27 10:00"), k2)
	f.Exec(`UPDATE cases SET outstanding = 400000, updated_at = ? WHERE id = ?`, at("2026-11-28 11:00"), k1)
	f.Exec(`UPDATE cases SET overdue = true, updated_at = ? WHERE id = ?`, at("2026-11-29 00:05"), k2)
	f.Exec(`UPDATE cases SET outstanding = 250000, updated_at = ? WHERE id = ?`, at("2026-11-29 12:00"), k3)
	f.Exec(`UPDATE cases SET status = 'exited', exit_reason = 'paid', updated_at = ? WHERE id = ?`, at("2026-11-30 12:00"), k3)
	return h
}

func TestReportOnFixedHistory(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	h := playHistory(f)
	st := reports.ReportStore{DB: db}
	ctx := context.Background()
	flt := reports.Filter{From: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	r, err := st.Report(ctx, admin(), flt)
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Totals
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("new", tot.ConvNew, int64(2))
	check("resolved", tot.ConvResolved, int64(1))
	check("reopened", tot.ConvReopened, int64(1))
	check("first responses", tot.FirstResponse.Count, int64(2))
	// 2700 s (Fri 16:30-17:00 + Mon 08:00-08:15 business time) and 60 s.
	check("frt avg", fp(tot.FirstResponse.AvgSeconds), 1380.0)
	check("frt p50", fp(tot.FirstResponse.P50Seconds), 60.0)
	check("frt p90", fp(tot.FirstResponse.P90Seconds), 3240.0)
	// resolution: Fri 16:30 -> Mon 09:00 is 1800 + 3600 business seconds
	check("resolution avg", fp(tot.Resolution.AvgSeconds), 5400.0)
	check("messages in", tot.MsgIn, int64(3))
	check("messages out", tot.MsgOut, int64(4))
	check("templates", tot.TemplatesSent, int64(2))
	check("delivered", tot.Delivered, int64(1))
	check("read", tot.Read, int64(1))
	check("failed", tot.Failed, int64(1))
	check("billable", tot.Billable, int64(1))
	check("free", tot.Free, int64(1))
	check("cost", tot.CostIDR, 586.33)

	// Conversation 1's "new" moved to team 1 / agent 1 when it was routed.
	// The first customer message came before routing: it stays on "no team".
	if len(r.Teams) != 2 || r.Teams[0].ID != h.team1 || r.Teams[0].ConvNew != 2 || r.Teams[0].Name != "Penagihan" ||
		r.Teams[1].ID != 0 || r.Teams[1].MsgIn != 1 || r.Teams[1].ConvNew != 0 {
		t.Errorf("teams = %+v", r.Teams)
	}
	if len(r.Agents) != 2 || r.Agents[0].ID != h.agent1 || r.Agents[0].FirstResponse.Count != 2 || r.Agents[0].Name != "Ani" || r.Agents[0].ConvResolved != 1 {
		t.Errorf("agents = %+v", r.Agents)
	}
	days := map[string]reports.DayRow{}
	for _, d := range r.Daily {
		days[d.Day] = d
	}
	check("days", len(r.Daily), 7)
	check("new on Friday", days["2026-11-27"].ConvNew, int64(1))
	check("new on Monday", days["2026-11-30"].ConvNew, int64(1))
	check("cost on Tuesday", days["2026-12-01"].CostIDR, 586.33)
	check("hours", len(r.HourOfDay), 24)
	check("new at 16h", r.HourOfDay[16].ConvNew, int64(1))
	check("new at 10h", r.HourOfDay[10].ConvNew, int64(1))
	check("first response at 8h", r.HourOfDay[8].FirstResponse.Count, int64(1))

	if len(r.Campaigns) != 1 {
		t.Fatalf("campaigns = %+v", r.Campaigns)
	}
	c := r.Campaigns[0]
	if c.ID != h.campaign || c.Name != "Promo Desember" || c.Sent != 1 || c.Delivered != 1 || c.Read != 1 || c.Replied != 1 ||
		c.Failed != 1 || c.Billable != 1 || c.CostIDR != 586.33 {
		t.Errorf("campaign = %+v", c)
	}
	if len(r.Failures) != 1 || r.Failures[0].Code != 131026 || r.Failures[0].Count != 1 || r.Failures[0].Reason != "Message undeliverable" {
		t.Errorf("failures = %+v", r.Failures)
	}
	cost := map[string]reports.CostRow{}
	for _, c := range r.Cost {
		cost[c.Category+"/"+c.Type] = c
	}
	if m := cost["marketing/regular"]; m.Messages != 1 || m.Billable != 1 || m.CostIDR != 586.33 || m.Free {
		t.Errorf("marketing cost = %+v", m)
	}
	if s := cost["service/free_customer_service"]; s.Messages != 1 || s.Billable != 0 || s.CostIDR != 0 || !s.Free {
		t.Errorf("service cost = %+v", s)
	}
	if len(r.Labels) != 2 || r.Labels[0].Label != "tagihan" || r.Labels[0].ConvNew != 1 || r.Labels[0].ConvResolved != 1 ||
		r.Labels[1].Label != "vip" || r.Labels[1].ConvNew != 1 {
		t.Errorf("labels = %+v", r.Labels)
	}
	if len(r.LabelTrend) != 2 || r.LabelTrend[0] != (reports.LabelDay{Day: "2026-11-27", Label: "tagihan", ConvNew: 1}) ||
		r.LabelTrend[1] != (reports.LabelDay{Day: "2026-11-30", Label: "vip", ConvNew: 1}) {
		t.Errorf("label trend = %+v", r.LabelTrend)
	}

	k := r.Cases
	if k.Assigned != 3 || k.Contacted != 2 || k.PromiseMade != 2 || k.PromiseKept != 1 || k.PromiseBroke != 1 || k.Paid != 1 ||
		k.RecoveredIDR != 600000+750000+250000 || k.KeptRate != 0.5 {
		t.Errorf("cases = %+v", k)
	}
	buckets := map[string]reports.CaseRow{}
	for _, b := range r.CaseBucket {
		buckets[b.Bucket] = b
	}
	// K1/K2 are 26-28 days past due (B1), K3 57-60 (B2).
	if buckets["B1"].Assigned != 2 || buckets["B1"].PromiseKept != 1 || buckets["B2"].Paid != 1 || buckets["B2"].RecoveredIDR != 1000000 {
		t.Errorf("case buckets = %+v", r.CaseBucket)
	}

	// A label filter narrows the conversation metrics to that label.
	lr, err := st.Report(ctx, admin(), reports.Filter{From: flt.From, To: flt.To, Label: "tagihan"})
	if err != nil {
		t.Fatal(err)
	}
	if lr.Totals.ConvNew != 1 || lr.Totals.FirstResponse.Count != 1 || fp(lr.Totals.FirstResponse.AvgSeconds) != 2700 || lr.LabelNote == "" {
		t.Errorf("label report = %+v", lr.Totals)
	}
	// The number filter and a range that misses the week.
	nr, err := st.Report(ctx, admin(), reports.Filter{From: flt.From, To: flt.To, SenderID: h.sender})
	if err != nil || nr.Totals.ConvNew != 2 {
		t.Errorf("number report = %+v, %v", nr.Totals, err)
	}
	er, err := st.Report(ctx, admin(), reports.Filter{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil || er.Totals.ConvNew != 0 || er.Cases.Assigned != 0 || len(er.Daily) != 31 {
		t.Errorf("empty range = %+v, %v", er.Totals, err)
	}
}

func TestReportScope(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	h := playHistory(f)
	st := reports.ReportStore{DB: db}
	ctx := context.Background()
	flt := reports.Filter{From: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	// Agent 2 (team 2) sees its own rows only: none of agent 1's work.
	a2 := models.Principal{AgentID: h.agent2, TeamIDs: []int64{h.team2}, DataScope: models.ScopeOwn}
	r, err := st.Report(ctx, a2, flt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.ConvNew != 0 || r.Totals.MsgOut != 0 || r.Cases.Assigned != 0 || len(r.Campaigns) != 0 || r.HourOfDay[16].ConvNew != 0 {
		t.Errorf("agent 2 sees %+v / %+v", r.Totals, r.Cases)
	}
	for _, bad := range []reports.Filter{
		{From: flt.From, To: flt.To, TeamID: h.team1},
		{From: flt.From, To: flt.To, AgentID: h.agent1},
		{From: flt.From, To: flt.To, SenderID: 999999},
	} {
		if _, err := st.Report(ctx, a2, bad); models.CodeOf(err) != models.ENotFound {
			t.Errorf("agent 2 with %+v: %v, want not_found", bad, err)
		}
	}
	// The supervisor of team 1 sees the team's numbers.
	sup := models.Principal{AgentID: h.agent2, SupervisedTeamIDs: []int64{h.team1}, TeamIDs: []int64{h.team2}, DataScope: models.ScopeTeams}
	r, err = st.Report(ctx, sup, reports.Filter{From: flt.From, To: flt.To, TeamID: h.team1})
	if err != nil || r.Totals.ConvNew != 2 || r.Cases.PromiseKept != 1 || r.HourOfDay[16].ConvNew != 1 {
		t.Errorf("supervisor: %+v, %v", r.Totals, err)
	}
	r, err = st.Report(ctx, sup, reports.Filter{From: flt.From, To: flt.To, AgentID: h.agent1})
	if err != nil || r.Totals.FirstResponse.Count != 2 || r.HourOfDay[8].FirstResponse.Count != 1 {
		t.Errorf("supervisor, agent 1: %+v, %v", r.Totals, err)
	}
}

func TestRateCardStore(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	st := reports.ReportStore{DB: db}
	ctx := context.Background()
	rc, err := st.RateCard(ctx)
	if err != nil || len(rc.Prefixes) == 0 {
		t.Fatalf("seeded card = %+v, %v", rc, err)
	}
	rc, err = st.ReplaceRateCard(ctx, reports.RateCard{
		Prefixes: []reports.RatePrefix{{Prefix: "62", Market: "ID"}, {Prefix: "65", Market: "SG"}},
		Prices: []reports.RatePrice{{Market: "ID", Category: "marketing", PriceIDR: 600}, {Market: "SG", Category: "marketing", PriceIDR: 1200.5},
			{Market: "default", Category: "marketing", PriceIDR: 900}},
	})
	if err != nil || len(rc.Prices) != 3 {
		t.Fatalf("replaced = %+v, %v", rc, err)
	}
	for num, want := range map[string]int64{"+6281200000001": 600000, "+6591234567": 1200500, "+4915112345678": 900000} {
		if got := f.ID(`SELECT report_price('MARKETING', ?)`, num); got != want {
			t.Errorf("price of %s = %d, want %d", num, got, want)
		}
	}
	if got := f.ID(`SELECT report_price('utility', '+6281200000001')`); got != 0 {
		t.Errorf("unpriced category = %d, want 0", got)
	}
}

// TestStatusesTakeNoSharedLock: two transactions applying statuses of
// messages of the same number in the same hour (the same rollup rows) do
// not wait for each other: the triggers append deltas instead of updating
// shared rows (which blocked, and deadlocked batch sends against webhooks).
func TestStatusesTakeNoSharedLock(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNX') RETURNING id`)
	var msgs []int64
	for i := range 2 {
		c := f.ID(`INSERT INTO contacts (phone_e164) VALUES (?) RETURNING id`, fmt.Sprintf("+62812000000%d", i))
		conv := f.ID(`INSERT INTO conversations (sender_id, contact_id) VALUES (?, ?) RETURNING id`, s, c)
		msgs = append(msgs, f.ID(`INSERT INTO messages (conversation_id, direction, type, status, wamid) VALUES (?, 'out', 'template', 'queued', ?) RETURNING id`,
			conv, fmt.Sprintf("w%d", i)))
	}
	ctx := context.Background()
	tx1 := db.WithContext(ctx).Begin()
	defer tx1.Rollback()
	if err := tx1.Exec(`UPDATE messages SET status = 'sent', sent_at = now() WHERE id = ?`, msgs[0]).Error; err != nil {
		t.Fatal(err)
	}
	if err := tx1.Exec(`UPDATE messages SET pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE id = ?`, msgs[0]).Error; err != nil {
		t.Fatal(err)
	}
	// tx1 is still open: tx2 must not wait for it.
	err := db.WithContext(ctx).Transaction(func(tx2 *gorm.DB) error {
		if err := tx2.Exec(`SET LOCAL lock_timeout = '500ms'`).Error; err != nil {
			return err
		}
		if err := tx2.Exec(`UPDATE messages SET status = 'sent', sent_at = now() WHERE id = ?`, msgs[1]).Error; err != nil {
			return err
		}
		return tx2.Exec(`UPDATE messages SET pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE id = ?`, msgs[1]).Error
	})
	if err != nil {
		t.Fatalf("a second number-hour status waited on the first: %v", err)
	}
	if err := tx1.Commit().Error; err != nil {
		t.Fatal(err)
	}
	r, err := reports.ReportStore{DB: db}.Report(ctx, admin(), reports.Filter{From: time.Now().AddDate(0, 0, -1), To: time.Now().AddDate(0, 0, 1)})
	if err != nil || r.Totals.Billable != 2 || r.Totals.CostIDR != 2*586.33 {
		t.Fatalf("after both: %+v, %v", r.Totals, err)
	}
	if n := f.ID(`SELECT count(*) FROM report_delta`); n != 0 {
		t.Fatalf("%d deltas left after the report's fold", n)
	}
}

// A report that starts while another fold holds the lock (the worker's,
// with this report's deltas taken and not yet committed) waits for it and
// counts them: it used to return at once and read rollups without them.
func TestReportWaitsForARunningFold(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	holder, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, reports.FoldLock); err != nil {
		t.Fatal(err)
	}
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNW') RETURNING id`)
	c := f.ID(`INSERT INTO contacts (phone_e164) VALUES ('+6281200000099') RETURNING id`)
	f.Exec(`INSERT INTO conversations (sender_id, contact_id) VALUES (?, ?)`, s, c)
	type res struct {
		r   reports.Report
		err error
	}
	done := make(chan res, 1)
	go func() {
		r, err := reports.ReportStore{DB: db}.Report(ctx, admin(), reports.Filter{From: time.Now().AddDate(0, 0, -1), To: time.Now().AddDate(0, 0, 1)})
		done <- res{r, err}
	}()
	select {
	case got := <-done:
		t.Fatalf("the report did not wait for the running fold: %+v, %v", got.r.Totals, got.err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, reports.FoldLock); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.r.Totals.ConvNew != 1 {
		t.Fatalf("after the fold: %+v, %v", got.r.Totals, got.err)
	}
}
