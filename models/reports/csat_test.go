package reports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/csat"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/worker/testenv"
)

type csatFx struct {
	fx
	ib               inbox.ConversationStore
	in               *ingest.InboundStore
	sender, team1    int64
	team2, ani, budi int64
}

func (f csatFx) conversation(phone string, team, agent int64, lastInbound time.Time) int64 {
	c := f.ID(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, 'Pelanggan') RETURNING id`, "+"+phone, phone)
	return f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, last_inbound_at, last_message_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, f.sender, c, team, agent, lastInbound, lastInbound)
}

func (f csatFx) resolve(conv int64) {
	f.T.Helper()
	if _, _, err := f.ib.Change(context.Background(), admin(), conv, inbox.ConversationChange{Action: "resolve"}); err != nil {
		f.T.Fatalf("resolve %d: %v", conv, err)
	}
}

// survey is the conversation's only survey: its id and the list row ids.
func (f csatFx) survey(conv int64) (int64, models.Message) {
	f.T.Helper()
	var ids []int64
	f.DB.Raw(`SELECT id FROM csat_surveys WHERE conversation_id = ?`, conv).Scan(&ids)
	if len(ids) != 1 {
		f.T.Fatalf("conversation %d has %d surveys", conv, len(ids))
	}
	var m models.Message
	f.DB.Raw(`SELECT m.* FROM messages m JOIN csat_surveys s ON s.message_id = m.id WHERE s.id = ?`, ids[0]).Scan(&m)
	return ids[0], m
}

// tap is the customer's list_reply to survey, as the webhook hands it over.
func (f csatFx) tap(phone, wamid string, survey int64, rating int, at time.Time) {
	f.T.Helper()
	raw, _ := json.Marshal(map[string]any{"from": phone, "id": wamid, "type": "interactive",
		"interactive": map[string]any{"type": "list_reply", "list_reply": map[string]any{"id": csat.RowID(survey, rating), "title": csat.RatingTitle(rating)}}})
	_, err := f.in.Ingest(context.Background(), ingest.InboundBatch{Messages: []ingest.InboundMessage{{PhoneNumberID: "PNC", FromWAID: phone,
		WAMID: wamid, Type: "interactive", Body: csat.RatingTitle(rating), Payload: raw, Timestamp: at}}})
	if err != nil {
		f.T.Fatalf("ingest %s: %v", wamid, err)
	}
}

// status tells whether a wait runs: the reports' first-response wait or the
// SLA clock.
func (f csatFx) status(conv int64) (status string, unread int, waiting bool) {
	f.T.Helper()
	if err := f.DB.Raw(`SELECT status, unread_count, rpt_wait_since IS NOT NULL OR sla_wait_since IS NOT NULL FROM conversations WHERE id = ?`, conv).Row().Scan(&status, &unread, &waiting); err != nil {
		f.T.Fatal(err)
	}
	return
}

// The rules of the survey on real stores: one survey per resolved episode
// (double resolve), none outside the window or for a team that turned it
// off; the customer's tap is the rating of the agent and team that served
// the conversation, keeps it resolved and starts no first-response wait; a
// late tap or one on an old survey is an ordinary message. Then a fixed set
// of ratings gives the hand-computed CSAT per agent and team.
func TestCSATSurveyRulesAndReport(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := csatFx{fx: fx{T: t, DB: db}}
	f.ib = inbox.ConversationStore{DB: db, Events: models.EventStore{DB: db}}
	f.in = &ingest.InboundStore{DB: db, Events: models.EventStore{DB: db}}
	ctx := context.Background()
	f.team1 = f.ID(`INSERT INTO teams (name) VALUES ('Penagihan') RETURNING id`)
	f.team2 = f.ID(`INSERT INTO teams (name) VALUES ('Layanan') RETURNING id`)
	role := f.ID(`SELECT id FROM roles WHERE system_key = 'agent'`)
	f.ani = f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Ani', 'ani@x.id', 'x', ?) RETURNING id`, role)
	f.budi = f.ID(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Budi', 'budi@x.id', 'x', ?) RETURNING id`, role)
	f.sender = f.ID(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PNC', '+62 21 5000') RETURNING id`)
	now := time.Now()

	// Off by default: resolving sends nothing.
	off := f.conversation("6281100000000", f.team1, f.ani, now.Add(-time.Hour))
	f.resolve(off)
	if n := f.ID(`SELECT count(*) FROM csat_surveys`); n != 0 {
		t.Fatalf("survey while off: %d", n)
	}
	settings := csat.SettingsStore{DB: db}
	if _, err := settings.Put(ctx, csat.Settings{Enabled: true, Question: " ", TimeoutMinutes: 60}); models.CodeOf(err) != models.EInvalid {
		t.Fatalf("blank question: %v", err)
	}
	if _, err := settings.Put(ctx, csat.Settings{Enabled: true, Question: "q", TimeoutMinutes: 24*60 + 1}); models.CodeOf(err) != models.EInvalid {
		t.Fatalf("timeout over 24 h: %v", err)
	}
	if _, err := settings.Put(ctx, csat.Settings{Enabled: true, Question: "q", TimeoutMinutes: 60, Teams: []csat.TeamSetting{{TeamID: 999999}}}); models.CodeOf(err) != models.EUnprocessable {
		t.Fatalf("unknown team: %v", err)
	}
	// On for the business, off for team 2 (until it is turned on below).
	st, err := settings.Put(ctx, csat.Settings{Enabled: true, Question: csat.DefaultQuestion, TimeoutMinutes: 60,
		Teams: []csat.TeamSetting{{TeamID: f.team2, Enabled: false}}})
	if err != nil || !st.Enabled || len(st.Teams) != 1 || st.Teams[0].Enabled {
		t.Fatalf("settings %+v %v", st, err)
	}

	// Window open, team 1: one survey however often it is resolved.
	c1 := f.conversation("6281100000001", f.team1, f.ani, now.Add(-time.Hour))
	f.resolve(c1)
	f.resolve(c1)
	s1, m1 := f.survey(c1)
	var author *int64
	db.Raw(`SELECT author_agent_id FROM messages WHERE id = ?`, m1.ID).Scan(&author)
	var body struct {
		Type        string
		Interactive struct {
			Type   string
			Action struct {
				Sections []struct{ Rows []struct{ ID, Title string } }
			}
		}
	}
	_ = json.Unmarshal(m1.Payload, &body)
	if m1.Status != models.MsgQueued || m1.Type != "interactive" || author != nil || body.Interactive.Type != "list" ||
		len(body.Interactive.Action.Sections[0].Rows) != 5 || body.Interactive.Action.Sections[0].Rows[4].ID != csat.RowID(s1, 5) {
		t.Fatalf("survey message %+v author %v body %+v", m1, author, body)
	}
	if st, _, _ := f.status(c1); st != "resolved" {
		t.Fatalf("queueing the survey reopened the conversation: %s", st)
	}
	if q, err := f.ib.QueuedSurveys(ctx, c1); err != nil || len(q) != 1 || q[0].ID != m1.ID {
		t.Fatalf("queued %v %v", q, err)
	}
	// Window closed (the customer last wrote 25 h ago): no survey.
	closed := f.conversation("6281100000002", f.team1, f.ani, now.Add(-25*time.Hour))
	f.resolve(closed)
	// Team 2 turned off: no survey.
	t2off := f.conversation("6281100000003", f.team2, f.budi, now.Add(-time.Hour))
	f.resolve(t2off)
	if n := f.ID(`SELECT count(*) FROM csat_surveys`); n != 1 {
		t.Fatalf("surveys: %d, want only c1's", n)
	}
	// Auto-resolve queues one too (the activity's store call).
	f.Exec(`UPDATE csat_team_settings SET enabled = true WHERE team_id = ?`, f.team2)
	auto := f.conversation("6281100000004", f.team2, f.budi, now.Add(-2*time.Hour))
	if ok, _, err := f.ib.ResolveIfIdle(ctx, auto, time.Hour); err != nil || !ok {
		t.Fatalf("auto-resolve %v %v", ok, err)
	}
	if ok, _, err := f.ib.ResolveIfIdle(ctx, auto, time.Hour); err != nil || ok {
		t.Fatalf("second auto-resolve %v %v", ok, err)
	}
	sAuto, _ := f.survey(auto)

	// The customer taps 5: Ani's rating; the conversation stays resolved,
	// unread, with no wait for a first response.
	f.Exec(`UPDATE messages SET status = 'sent', wamid = 'wamid.s1' WHERE id = ?`, m1.ID)
	f.tap("6281100000001", "wamid.a1", s1, 5, now)
	if st, unread, waiting := f.status(c1); st != "resolved" || unread != 0 || waiting {
		t.Fatalf("after the rating: %s unread %d waiting %v", st, unread, waiting)
	}
	var rating int
	db.Raw(`SELECT rating FROM csat_surveys WHERE id = ?`, s1).Scan(&rating)
	if rating != 5 {
		t.Fatalf("rating %d", rating)
	}
	if n := f.ID(`SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'in'`, c1); n != 1 {
		t.Fatalf("answer stored %d times", n)
	}
	// A second tap (2): the first rating stays, the conversation too; the
	// same webhook again is a duplicate.
	f.tap("6281100000001", "wamid.a2", s1, 2, now.Add(time.Minute))
	f.tap("6281100000001", "wamid.a2", s1, 2, now.Add(time.Minute))
	db.Raw(`SELECT rating FROM csat_surveys WHERE id = ?`, s1).Scan(&rating)
	if st, _, _ := f.status(c1); st != "resolved" || rating != 5 || f.ID(`SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'in'`, c1) != 2 {
		t.Fatalf("second tap: %s rating %d", st, rating)
	}
	// Budi's auto-resolved one is answered after its 60 min: not a
	// rating; an ordinary message, which reopens the conversation.
	f.tap("6281100000004", "wamid.late", sAuto, 1, now.Add(61*time.Minute))
	var late *int
	db.Raw(`SELECT rating FROM csat_surveys WHERE id = ?`, sAuto).Scan(&late)
	if st, unread, waiting := f.status(auto); late != nil || st != "open" || unread != 1 || !waiting {
		t.Fatalf("late tap: rating %v, %s unread %d waiting %v", late, st, unread, waiting)
	}
	// An answer naming the survey from another customer's number is no
	// rating (and no survey of theirs): stored as their message.
	f.tap("6281100000003", "wamid.other", s1, 1, now)
	if st, _, _ := f.status(t2off); st != "open" {
		t.Fatalf("foreign survey id: %s", st)
	}

	// Reopened and resolved again: a new episode, a new survey; a tap on
	// the first one now is about an episode already rated: an ordinary
	// message, which reopens the conversation (and no second rating).
	if _, _, err := f.ib.Change(ctx, admin(), c1, inbox.ConversationChange{Action: "reopen"}); err != nil {
		t.Fatal(err)
	}
	f.resolve(c1)
	if n := f.ID(`SELECT count(*) FROM csat_surveys WHERE conversation_id = ?`, c1); n != 2 {
		t.Fatalf("surveys of c1 after a second episode: %d", n)
	}
	f.tap("6281100000001", "wamid.old", s1, 1, now.Add(2*time.Minute))
	if st, _, _ := f.status(c1); st != "open" || f.ID(`SELECT count(*) FROM csat_surveys WHERE conversation_id = ? AND rating IS NOT NULL`, c1) != 1 {
		t.Fatalf("tap on the old survey: %s", st)
	}

	// The fixed set: Ani (team 1) 5 (above), 4, 4, 2; Budi (team 2) 3, 1.
	for i, r := range []struct {
		team, agent int64
		rating      int
	}{{f.team1, f.ani, 4}, {f.team1, f.ani, 4}, {f.team1, f.ani, 2}, {f.team2, f.budi, 3}, {f.team2, f.budi, 1}} {
		conv := f.conversation(fmt.Sprintf("6281200000%03d", i), r.team, r.agent, now.Add(-time.Hour))
		id := f.ID(`INSERT INTO csat_surveys (conversation_id, episode_at, team_id, agent_id, sender_id, sent_at, expires_at)
			VALUES (?, now(), ?, ?, ?, now(), now() + interval '1 hour') RETURNING id`, conv, r.team, r.agent, f.sender)
		if err := csat.RecordRating(ctx, db, id, r.rating, now, ""); err != nil {
			t.Fatal(err)
		}
		// Recording again changes nothing (the first answer counts).
		if err := csat.RecordRating(ctx, db, id, 5, now, ""); err != nil {
			t.Fatal(err)
		}
	}
	rs := reports.ReportStore{DB: db}
	today, err := rs.Today(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	r, err := rs.Report(ctx, admin(), reports.Filter{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	near := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil || math.Abs(*got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	tot := r.CSAT.Totals
	// 5+4+4+2+3+1 = 19 over 6; 4-5: three of six.
	if tot.Responses != 6 || tot.Distribution != [5]int64{1, 1, 1, 2, 1} {
		t.Fatalf("totals %+v", tot)
	}
	near("average", tot.Average, 19.0/6)
	near("satisfied", tot.SatisfiedPct, 50)
	by := map[string]reports.CSATGroup{}
	for _, g := range r.CSAT.Agents {
		by["agent "+g.Name] = g
	}
	for _, g := range r.CSAT.Teams {
		by["team "+g.Name] = g
	}
	for _, want := range []struct {
		key      string
		n        int64
		dist     [5]int64
		avg, sat float64
	}{
		{"agent Ani", 4, [5]int64{0, 1, 0, 2, 1}, 3.75, 75},
		{"team Penagihan", 4, [5]int64{0, 1, 0, 2, 1}, 3.75, 75},
		{"agent Budi", 2, [5]int64{1, 0, 1, 0, 0}, 2, 0},
		{"team Layanan", 2, [5]int64{1, 0, 1, 0, 0}, 2, 0},
	} {
		g := by[want.key]
		if g.Responses != want.n || g.Distribution != want.dist {
			t.Errorf("%s: %+v", want.key, g)
		}
		near(want.key+" average", g.Average, want.avg)
		near(want.key+" satisfied", g.SatisfiedPct, want.sat)
	}
	if len(r.CSAT.Daily) != 1 || r.CSAT.Daily[0].Responses != 6 {
		t.Errorf("daily %+v", r.CSAT.Daily)
	}
	// A supervisor of team 2 sees Budi's only.
	sup := models.Principal{AgentID: f.budi, SupervisedTeamIDs: []int64{f.team2}, DataScope: models.ScopeTeams}
	rsup, err := rs.Report(ctx, sup, reports.Filter{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if rsup.CSAT.Totals.Responses != 2 || len(rsup.CSAT.Agents) != 1 || rsup.CSAT.Agents[0].Name != "Budi" {
		t.Errorf("supervisor's csat %+v", rsup.CSAT)
	}
	// The export's csat table: the total row first.
	var table reports.Table
	for _, tb := range r.Tables() {
		if tb.Name == reports.TableCSAT {
			table = tb
		}
	}
	if len(table.Rows) == 0 || table.Rows[0][0] != "total" || table.Rows[0][3] != "6" || table.Rows[0][4] != "3.17" || table.Rows[0][10] != "50.0" {
		t.Fatalf("csat table %+v", table)
	}
}
