package sla_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/models/sla"
	"github.com/wabascrm/scrm/worker/testenv"
)

type fx = testenv.SQL

var wib = models.LoadZone("Asia/Jakarta")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, wib)
	if err != nil {
		panic(err)
	}
	return t
}

// The rule: targets in business hours, the near-breach share of it, and
// what is due when.
func TestPolicyMoments(t *testing.T) {
	p := sla.Policy{Enabled: true, FirstResponseSecs: 3600, NextResponseSecs: 1200, NearBreachPct: 75, BusinessHours: true,
		Zone: "Asia/Jakarta", WorkDays: models.Int64List{1, 2, 3, 4, 5}, DayStart: 480, DayEnd: 1020}
	for _, c := range []struct {
		kind, since, near, due string
	}{
		{sla.KindFirst, "2026-11-30 09:00", "2026-11-30 09:45", "2026-11-30 10:00"},
		// Friday 16:30 + 1 h of business time: 30 min on Friday, 30 on Monday.
		{sla.KindFirst, "2026-11-27 16:30", "2026-11-30 08:15", "2026-11-30 08:30"},
		{sla.KindNext, "2026-11-28 12:00", "2026-11-30 08:15", "2026-11-30 08:20"},
	} {
		near, due := p.Moments(c.kind, at(c.since))
		if !near.Equal(at(c.near)) || !due.Equal(at(c.due)) {
			t.Errorf("%s wait since %s: near %s due %s, want %s / %s", c.kind, c.since, near.In(wib), due.In(wib), c.near, c.due)
		}
	}
	p.BusinessHours = false
	if near, due := p.Moments(sla.KindNext, at("2026-11-28 12:00")); !due.Equal(at("2026-11-28 12:20")) || !near.Equal(at("2026-11-28 12:15")) {
		t.Errorf("wall clock: near %s due %s", near.In(wib), due.In(wib))
	}
	p.NextResponseSecs = 0
	if near, due := p.Moments(sla.KindNext, at("2026-11-28 12:00")); !near.IsZero() || !due.IsZero() {
		t.Errorf("no next target: %s %s", near, due)
	}
	w := sla.Wait{Since: at("2026-11-30 09:00"), Kind: sla.KindFirst, NearAt: at("2026-11-30 09:45"), DueAt: at("2026-11-30 10:00")}
	for _, c := range []struct {
		now  string
		want string
	}{{"2026-11-30 09:44", ""}, {"2026-11-30 09:45", sla.LevelNear}, {"2026-11-30 10:00", sla.LevelBreach}} {
		if got := w.Due(at(c.now)); got != c.want {
			t.Errorf("due at %s: %q, want %q", c.now, got, c.want)
		}
	}
	if !w.Next().Equal(w.NearAt) {
		t.Errorf("next %s, want the near moment", w.Next())
	}
	w.NearSent = true
	if !w.Next().Equal(w.DueAt) || w.Due(at("2026-11-30 09:50")) != "" {
		t.Errorf("after the near alert: next %s", w.Next())
	}
}

// The wait follows the conversation's messages (triggers of 00230): a
// customer message starts it, an agent's answer ends it, the next customer
// message waits for a next response, a resolve ends the episode. Arm
// stores the moments; Record alerts once per wait and level.
func TestWaitFollowsMessages(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	role := f.ID(`SELECT id FROM roles WHERE system_key = 'agent'`)
	team := f.ID(`INSERT INTO teams (name, strategy) VALUES ('Penagihan', 'manual') RETURNING id`)
	ayu := f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Ayu', 'ayu@x.id', 'x', ?) RETURNING id`, role)
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNS') RETURNING id`)
	k := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES ('+6281300000001', 'Bu Sari') RETURNING id`)
	conv := f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, status) VALUES (?, ?, ?, ?, 'open') RETURNING id`, s, k, team, ayu)

	admin := models.Principal{AgentID: ayu, AllScope: true}
	policies := sla.PolicyStore{DB: db}
	if _, err := policies.Put(ctx, admin, team, sla.PolicyInput{FirstResponseSecs: 600, NextResponseSecs: 300, BusinessHours: new(bool)}); err != nil {
		t.Fatal(err)
	}
	waits := sla.WaitStore{DB: db, Policies: policies}
	inbound := func(body string, ts time.Time) {
		f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'in', 'text', ?, 'received', ?)`, conv, body, ts)
	}
	answer := func(ts time.Time) {
		m := f.ID(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'out', 'text', 'baik', 'queued', ?) RETURNING id`, conv, ts)
		f.Exec(`UPDATE messages SET author_agent_id = ? WHERE id = ?`, ayu, m)
	}
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	inbound("halo", t0)
	inbound("masih di sana?", t0.Add(time.Minute)) // the wait runs from the first
	w, err := waits.Arm(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Since.Equal(t0) || w.Kind != sla.KindFirst || !w.DueAt.Equal(t0.Add(10*time.Minute)) || !w.NearAt.Equal(t0.Add(8*time.Minute)) {
		t.Fatalf("first wait: %+v", w)
	}
	var stored struct {
		SLADueAt time.Time `gorm:"column:sla_due_at"`
	}
	f.DB.Raw(`SELECT sla_due_at FROM conversations WHERE id = ?`, conv).Scan(&stored)
	if !stored.SLADueAt.Equal(w.DueAt) {
		t.Fatalf("stored due %s, want %s", stored.SLADueAt, w.DueAt)
	}
	// The first customer message of a wait tells the workflow (window_signals).
	if n := f.ID(`SELECT count(*) FROM window_signals WHERE conversation_id = ?`, conv); n != 1 {
		t.Fatalf("window signals: %d", n)
	}

	ok, evs, err := waits.Record(ctx, conv, w.Since, sla.LevelNear, w.NearAt)
	if err != nil || !ok || len(evs) != 1 {
		t.Fatalf("near: %v %v %v", ok, evs, err)
	}
	var data map[string]any
	_ = json.Unmarshal(evs[0].Data, &data)
	if evs[0].Type != models.EventSLAAlert || data["level"] != sla.LevelNear || data["customer"] != "Bu Sari" ||
		len(evs[0].Audience.AgentIDs) != 1 || evs[0].Audience.AgentIDs[0] != ayu || len(evs[0].Audience.TeamIDs) != 1 || evs[0].Audience.TeamIDs[0] != team {
		t.Fatalf("near event: %+v %v", evs[0], data)
	}
	if ok, _, err := waits.Record(ctx, conv, w.Since, sla.LevelNear, w.NearAt); err != nil || ok {
		t.Fatalf("near twice: %v %v", ok, err)
	}
	if ok, _, err := waits.Record(ctx, conv, w.Since, sla.LevelBreach, w.DueAt); err != nil || !ok {
		t.Fatalf("breach: %v %v", ok, err)
	}
	if ok, _, err := waits.Record(ctx, conv, w.Since, sla.LevelBreach, w.DueAt); err != nil || ok {
		t.Fatalf("breach twice: %v %v", ok, err)
	}
	if w, _ := waits.Arm(ctx, conv); !w.Breached || !w.NearSent || !w.Next().IsZero() {
		t.Fatalf("after the breach: %+v", w)
	}

	answer(t0.Add(15 * time.Minute))
	if w, _ := waits.Arm(ctx, conv); !w.Since.IsZero() {
		t.Fatalf("answered, still waiting: %+v", w)
	}
	// A breach of the answered wait (a late timer) records nothing.
	if ok, _, err := waits.Record(ctx, conv, t0, sla.LevelBreach, t0.Add(20*time.Minute)); err != nil || ok {
		t.Fatalf("late breach: %v %v", ok, err)
	}
	t1 := t0.Add(30 * time.Minute)
	inbound("kapan?", t1)
	w, _ = waits.Arm(ctx, conv)
	if w.Kind != sla.KindNext || !w.Since.Equal(t1) || !w.DueAt.Equal(t1.Add(5*time.Minute)) || w.Breached || w.NearSent {
		t.Fatalf("next wait: %+v", w)
	}
	// Moved to a team without a policy: the same wait, nothing armed.
	other := f.ID(`INSERT INTO teams (name) VALUES ('Lain') RETURNING id`)
	f.Exec(`UPDATE conversations SET team_id = ? WHERE id = ?`, other, conv)
	if n := f.ID(`SELECT count(*) FROM conversations WHERE id = ? AND sla_due_at IS NOT NULL`, conv); n != 0 {
		t.Fatal("moved, before the workflow re-arms, still due under the old team's policy")
	}
	if w, _ := waits.Arm(ctx, conv); !w.Since.Equal(t1) || !w.DueAt.IsZero() {
		t.Fatalf("moved: %+v", w)
	}
	f.Exec(`UPDATE conversations SET team_id = ? WHERE id = ?`, team, conv)
	if w, _ := waits.Arm(ctx, conv); !w.DueAt.Equal(t1.Add(5 * time.Minute)) {
		t.Fatalf("moved back: %+v", w)
	}
	// Resolving ends the episode: the customer's next message waits for a
	// first response again.
	f.Exec(`UPDATE conversations SET status = 'resolved' WHERE id = ?`, conv)
	if w, _ := waits.Arm(ctx, conv); !w.Since.IsZero() {
		t.Fatalf("resolved, still waiting: %+v", w)
	}
	f.Exec(`UPDATE conversations SET status = 'open' WHERE id = ?`, conv)
	inbound("halo lagi", t1.Add(time.Hour))
	if w, _ := waits.Arm(ctx, conv); w.Kind != sla.KindFirst {
		t.Fatalf("after the reopen: %+v", w)
	}
	if n := f.ID(`SELECT count(*) FROM sla_events WHERE conversation_id = ?`, conv); n != 2 {
		t.Fatalf("sla events: %d, want 2", n)
	}
	// The report counts the alerts on their day for Ayu and her team (the
	// near-breach and the breach of the first response), and exports them.
	rs := reports.ReportStore{DB: db}
	day := reports.Filter{From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour)}
	r, err := rs.Report(ctx, admin, day)
	if err != nil {
		t.Fatal(err)
	}
	want := reports.SLACounts{Near: 1, Breached: 1, BreachedFirst: 1}
	if r.SLA.Totals != want || len(r.SLA.Agents) != 1 || r.SLA.Agents[0].ID != ayu || r.SLA.Agents[0].SLACounts != want ||
		len(r.SLA.Teams) != 1 || r.SLA.Teams[0].ID != team || len(r.SLA.Daily) != 1 || r.SLA.Daily[0].Day != "2026-11-30" {
		t.Fatalf("sla report: %+v", r.SLA)
	}
	var exported bool
	for _, tb := range r.Tables() {
		if tb.Name == reports.TableSLA {
			exported = len(tb.Rows) == 4 && tb.Rows[0][0] == "total" && tb.Rows[0][4] == "1" && tb.Rows[2][2] == "Ayu"
		}
	}
	if !exported {
		t.Fatal("the SLA table is not in the export as reported")
	}
	day.AgentID = f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Lia', 'lia@x.id', 'x', ?) RETURNING id`, role)
	if r, err = rs.Report(ctx, admin, day); err != nil || r.SLA.Totals != (reports.SLACounts{}) {
		t.Fatalf("another agent's report: %+v %v", r.SLA.Totals, err)
	}

	// Removing the policy disarms the wait.
	if err := policies.Delete(ctx, admin, team); err != nil {
		t.Fatal(err)
	}
	if w, _ := waits.Arm(ctx, conv); w.Since.IsZero() || !w.DueAt.IsZero() || !w.Next().IsZero() {
		t.Fatalf("no policy: %+v", w)
	}
	if n := f.ID(`SELECT count(*) FROM audit_log WHERE entity = 'team' AND entity_id = ? AND action IN (?, ?)`, team, sla.AuditPolicyPut, sla.AuditPolicyDelete); n != 2 {
		t.Fatalf("audit rows: %d", n)
	}
}

// Who may set a team's targets, and what a policy must hold.
func TestPolicyRules(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	team := f.ID(`INSERT INTO teams (name) VALUES ('Layanan') RETURNING id`)
	other := f.ID(`INSERT INTO teams (name) VALUES ('Lain') RETURNING id`)
	policies := sla.PolicyStore{DB: db}
	lead := models.Principal{AgentID: 7, SupervisedTeamIDs: []int64{team}, DataScope: models.ScopeTeams}
	member := models.Principal{AgentID: 8, TeamIDs: []int64{team}, DataScope: models.ScopeTeams}
	in := sla.PolicyInput{FirstResponseSecs: 900}
	if _, err := policies.Put(ctx, member, team, in); models.CodeOf(err) != models.EForbidden {
		t.Fatalf("a member: %v", err)
	}
	if _, err := policies.Put(ctx, lead, other, in); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("another team: %v", err)
	}
	p, err := policies.Put(ctx, lead, team, in)
	if err != nil || !p.Enabled || p.NearBreachPct != 80 || !p.BusinessHours || p.Zone != "Asia/Jakarta" || len(p.WorkDays) != 5 || p.DayStart != 480 {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	for name, bad := range map[string]sla.PolicyInput{
		"no target":    {},
		"too short":    {FirstResponseSecs: 5},
		"too long":     {FirstResponseSecs: 31 * 86400},
		"bad pct":      {FirstResponseSecs: 60, NearBreachPct: 100},
		"bad zone":     {FirstResponseSecs: 60, Zone: "Mars/Olympus"},
		"bad day":      {FirstResponseSecs: 60, WorkDays: []int64{0}},
		"day reversed": {FirstResponseSecs: 60, DayStart: ptr(1000), DayEnd: ptr(900)},
	} {
		if _, err := policies.Put(ctx, lead, team, bad); models.CodeOf(err) != models.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	list, err := policies.List(ctx, member)
	if err != nil || len(list) != 1 || list[0].FirstResponseSecs != 900 {
		t.Fatalf("a member lists: %+v %v", list, err)
	}
	if list, _ := policies.List(ctx, models.Principal{AgentID: 9, TeamIDs: []int64{other}}); len(list) != 0 {
		t.Fatalf("another team's member lists: %+v", list)
	}
}

func ptr(v int) *int { return &v }

// The floor shows a wait's clock from the moment it starts, computed with
// the team's policy (before the workflow arms it), and none for a team
// without one.
func TestFloorComputesSLAClocks(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	withSLA := f.ID(`INSERT INTO teams (name, strategy) VALUES ('A', 'manual') RETURNING id`)
	without := f.ID(`INSERT INTO teams (name, strategy) VALUES ('B', 'manual') RETURNING id`)
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNF') RETURNING id`)
	admin := models.Principal{AllScope: true, Permissions: []models.Permission{models.PermInboxRead, models.PermInboxAssign}}
	policies := sla.PolicyStore{DB: db}
	if _, err := policies.Put(ctx, admin, withSLA, sla.PolicyInput{FirstResponseSecs: 1200, BusinessHours: new(bool)}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond)
	for i, team := range []int64{withSLA, without} {
		k := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES (?, 'X') RETURNING id`, "+62813000000"+string(rune('1'+i)))
		c := f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, status) VALUES (?, ?, ?, 'open') RETURNING id`, s, k, team)
		f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'in', 'text', 'halo', 'received', ?)`, c, since)
	}
	fl, err := sla.FloorStore{Reports: reports.ReportStore{DB: db}, Policies: policies}.Floor(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(fl.Waiting) != 2 {
		t.Fatalf("waiting: %+v", fl.Waiting)
	}
	for _, w := range fl.Waiting {
		switch w.TeamID {
		case withSLA:
			if w.SLADueAt == nil || !w.SLADueAt.Equal(since.Add(20*time.Minute)) || !w.SLANearAt.Equal(since.Add(16*time.Minute)) {
				t.Fatalf("team with SLA: %+v", w)
			}
		case without:
			if w.SLADueAt != nil || w.SLAKind == nil || *w.SLAKind != sla.KindFirst {
				t.Fatalf("team without SLA: %+v", w)
			}
		}
	}
}

// A policy that counts in the agent's zone: the same Monday-morning wait
// is due an hour earlier by the clock for an agent in Makassar (WITA, UTC+8,
// whose 08:00 is 07:00 in Jakarta) than while queued in the team's Jakarta
// hours; moving it to an agent in Jakarta arms it again; an agent without a
// zone, or a policy that does not ask, keeps the policy's zone.
func TestPolicyCountsInTheAgentsZone(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	role := f.ID(`SELECT id FROM roles WHERE system_key = 'agent'`)
	team := f.ID(`INSERT INTO teams (name, strategy) VALUES ('Timur', 'manual') RETURNING id`)
	dewi := f.ID(`INSERT INTO agents (name, email, password_hash, role_id, zone) VALUES ('Dewi', 'dewi@x.id', 'x', ?, 'Asia/Makassar') RETURNING id`, role)
	budi := f.ID(`INSERT INTO agents (name, email, password_hash, role_id, zone) VALUES ('Budi', 'budi@x.id', 'x', ?, 'Asia/Jakarta') RETURNING id`, role)
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNZ') RETURNING id`)
	k := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES ('+6281300000009', 'Pak Andi') RETURNING id`)
	conv := f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, status) VALUES (?, ?, ?, 'open') RETURNING id`, s, k, team)
	admin := models.Principal{AgentID: dewi, AllScope: true}
	policies := sla.PolicyStore{DB: db}
	if _, err := policies.Put(ctx, admin, team, sla.PolicyInput{FirstResponseSecs: 1800, AgentZone: true}); err != nil {
		t.Fatal(err)
	}
	waits := sla.WaitStore{DB: db, Policies: policies}
	// Monday 06:30 in Jakarta (07:30 in Makassar): before either's day.
	written := at("2026-11-30 06:30")
	f.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'in', 'text', 'halo', 'received', ?)`, conv, written)
	due := func(who string) time.Time {
		t.Helper()
		w, err := waits.Arm(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		var stored time.Time
		f.DB.Raw(`SELECT sla_due_at FROM conversations WHERE id = ?`, conv).Scan(&stored)
		if !stored.Equal(w.DueAt) {
			t.Fatalf("%s: stored due %s, armed %s", who, stored, w.DueAt)
		}
		return w.DueAt
	}
	if d := due("queued"); !d.Equal(at("2026-11-30 08:30")) {
		t.Fatalf("queued: due %s, want 08:30 WIB (the policy's zone)", d.In(wib))
	}
	f.Exec(`UPDATE conversations SET assignee_agent_id = ? WHERE id = ?`, dewi, conv)
	if d := due("Dewi"); !d.Equal(at("2026-11-30 07:30")) {
		t.Fatalf("Dewi in Makassar: due %s WIB, want 07:30 WIB (08:30 WITA)", d.In(wib))
	}
	f.Exec(`UPDATE conversations SET assignee_agent_id = ? WHERE id = ?`, budi, conv)
	if d := due("Budi"); !d.Equal(at("2026-11-30 08:30")) {
		t.Fatalf("Budi in Jakarta: due %s", d.In(wib))
	}
	f.Exec(`UPDATE agents SET zone = '' WHERE id = ?`, budi)
	f.Exec(`UPDATE conversations SET assignee_agent_id = ? WHERE id = ?`, dewi, conv)
	if _, err := policies.Put(ctx, admin, team, sla.PolicyInput{FirstResponseSecs: 1800}); err != nil {
		t.Fatal(err)
	}
	if d := due("team hours"); !d.Equal(at("2026-11-30 08:30")) {
		t.Fatalf("policy in the team's zone, served by Dewi: due %s", d.In(wib))
	}
	if _, err := policies.Put(ctx, admin, team, sla.PolicyInput{FirstResponseSecs: 1800, Zone: "Mars/Olympus"}); models.CodeOf(err) != models.EInvalid {
		t.Fatalf("unknown zone: %v", err)
	}
}
