package autoreply_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/worker/testenv"
)

// fixture: two numbers, a contact with a conversation on number 1, a team.
func fixture(t *testing.T) (autoreply.RuleStore, autoreply.JobStore, testenv.SQL) {
	t.Helper()
	db := testenv.NewDB(t).Gorm
	sq := testenv.SQL{T: t, DB: db}
	sq.Exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1'), (2, 'PN2', '+62 21 2')`)
	sq.Exec(`INSERT INTO contacts (id, phone_e164, wa_id, name) VALUES (1, '+6281100000001', '6281100000001', 'Ani')`)
	sq.Exec(`INSERT INTO teams (id, name) VALUES (1, 'sales')`)
	sq.Exec(`INSERT INTO conversations (id, sender_id, contact_id, status, last_inbound_at) VALUES (1, 1, 1, 'open', now())`)
	return autoreply.RuleStore{DB: db}, autoreply.JobStore{DB: db, Events: models.EventStore{DB: db}}, sq
}

func inbound(sq testenv.SQL, wamid, body string) int64 {
	return sq.ID(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status) VALUES (1, 'in', 'text', ?, ?, 'received') RETURNING id`, body, wamid)
}

func TestRulesAreValidatedAndScopedToTheirNumber(t *testing.T) {
	t.Parallel()
	rules, _, _ := fixture(t)
	ctx := context.Background()
	bad := []struct {
		in    autoreply.RuleInput
		field string
	}{
		{autoreply.RuleInput{Reply: "x"}, "kind"},
		{autoreply.RuleInput{Kind: "bot", Reply: "x"}, "kind"},
		{autoreply.RuleInput{Kind: "away"}, "reply"},
		{autoreply.RuleInput{Kind: "keyword", Reply: "x"}, "keywords"},
		{autoreply.RuleInput{Kind: "away", Reply: "x", Keywords: []string{"a"}}, "keywords"},
		{autoreply.RuleInput{Kind: "away", Reply: "x", Zone: "Mars/Olympus"}, "zone"},
		{autoreply.RuleInput{Kind: "away", Reply: "x", Hours: models.QuietHours{From: "25:00"}}, "hours.from"},
		{autoreply.RuleInput{Kind: "away", Reply: "x", CooldownMinutes: -1}, "cooldownMinutes"},
		{autoreply.RuleInput{Kind: "keyword", Reply: "x", Keywords: []string{"harga"}, RouteTeamID: ptr(99)}, "routeTeamId"},
	}
	for _, b := range bad {
		_, err := rules.Create(ctx, 1, b.in)
		me, ok := err.(*models.Error)
		if !ok || me.Field != b.field {
			t.Errorf("Create(%+v) = %v, want a field error on %s", b.in, err, b.field)
		}
	}
	r, err := rules.Create(ctx, 1, autoreply.RuleInput{Kind: "keyword", Reply: "Mulai 10rb", Keywords: []string{" HARGA ", "harga", "biaya admin"}, RouteTeamID: ptr(1)})
	if err != nil || !r.Enabled || len(r.Keywords) != 2 || r.Keywords[0] != "harga" || r.Zone != models.TZWIB {
		t.Fatalf("create: %+v %v", r, err)
	}
	if _, err := rules.Get(ctx, 2, r.ID); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("number 2 reads number 1's rule: %v", err)
	}
	if _, err := rules.Update(ctx, 2, r.ID, autoreply.RuleInput{Kind: "away", Reply: "x"}); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("number 2 updates number 1's rule: %v", err)
	}
	if err := rules.Delete(ctx, 2, r.ID); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("number 2 deletes number 1's rule: %v", err)
	}
	if l, err := rules.List(ctx, 2); err != nil || len(l) != 0 {
		t.Fatalf("number 2's rules: %v %v", l, err)
	}
	if _, err := rules.List(ctx, 3); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("rules of a missing number: %v", err)
	}
	off := false
	u, err := rules.Update(ctx, 1, r.ID, autoreply.RuleInput{Kind: "away", Reply: "Tutup", Enabled: &off})
	if err != nil || u.Kind != "away" || u.Enabled || u.CreatedAt.IsZero() {
		t.Fatalf("update: %+v %v", u, err)
	}
	if err := rules.Delete(ctx, 1, r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestJobIsDecidedOnceAndItsReplyKeyed(t *testing.T) {
	t.Parallel()
	rules, jobs, sq := fixture(t)
	ctx := context.Background()
	inbound(sq, "wamid.before", "halo")
	if n := sq.ID(`SELECT count(*) FROM auto_reply_jobs`); n != 0 {
		t.Fatalf("a number without rules got %d jobs", n)
	}
	if _, err := rules.Create(ctx, 1, autoreply.RuleInput{Kind: "away", Reply: "Kami tutup", Hours: models.QuietHours{Days: []time.Weekday{time.Sunday}, From: "00:00", To: "00:01"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Create(ctx, 1, autoreply.RuleInput{Kind: "keyword", Reply: "Mulai 10rb", Keywords: []string{"harga"}, RouteTeamID: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	m1 := inbound(sq, "wamid.1", "halo")
	sq.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, origin) VALUES (1, 'in', 'text', 'lama', 'wamid.h', 'received', 'history')`)
	js, err := jobs.Claim(ctx, 10, time.Minute)
	if err != nil || len(js) != 1 || js[0].MessageID != m1 {
		t.Fatalf("claim: %+v %v (history must not make a job)", js, err)
	}
	now := time.Now()
	out, err := jobs.Decide(ctx, js[0], now)
	if err != nil || out.Reply == nil || !out.Created || out.Reply.Body != "Kami tutup" || out.Reply.Origin != autoreply.OriginAuto {
		t.Fatalf("decide: %+v %v", out, err)
	}
	again, err := jobs.Decide(ctx, js[0], now)
	if err != nil || again.Reply == nil || again.Reply.ID != out.Reply.ID || again.Created {
		t.Fatalf("second decide must return the same reply: %+v %v", again, err)
	}
	if err := jobs.Done(ctx, []int64{js[0].ID}); err != nil {
		t.Fatal(err)
	}
	// The next line within the cool-down: no reply; a keyword: answers and routes.
	inbound(sq, "wamid.2", "halo?")
	m3 := inbound(sq, "wamid.3", "berapa harga?")
	js, _ = jobs.Claim(ctx, 10, time.Minute)
	if len(js) != 2 {
		t.Fatalf("jobs: %+v", js)
	}
	if out, err := jobs.Decide(ctx, js[0], now); err != nil || out.Reply != nil {
		t.Fatalf("away within its cool-down: %+v %v", out, err)
	}
	out, err = jobs.Decide(ctx, js[1], now)
	if err != nil || out.Reply == nil || out.Reply.Body != "Mulai 10rb" || !out.Route || out.Conversation.TeamID == nil || *out.Conversation.TeamID != 1 {
		t.Fatalf("keyword: %+v %v", out, err)
	}
	if k := sq.ID(`SELECT count(*) FROM messages WHERE idempotency_scope = 'autoreply' AND idempotency_key = ?`, autoreply.ReplyKey(m3)); k != 1 {
		t.Fatalf("keyed replies of message %d: %d", m3, k)
	}
	// agen: hands over; afterwards automation is quiet until resolved.
	inbound(sq, "wamid.4", "bicara dengan agen")
	inbound(sq, "wamid.5", "harga")
	_ = jobs.Done(ctx, []int64{js[0].ID, js[1].ID})
	js, _ = jobs.Claim(ctx, 10, time.Minute)
	out, err = jobs.Decide(ctx, js[0], now)
	if err != nil || !out.Decision.Handover || out.Reply == nil || out.Reply.Body != autoreply.DefaultHandoverReply {
		t.Fatalf("handover: %+v %v", out, err)
	}
	if out, err := jobs.Decide(ctx, js[1], now.Add(time.Second)); err != nil || out.Reply != nil || out.Decision.Reason != autoreply.SkipStopped {
		t.Fatalf("after the hand-over: %+v %v", out, err)
	}
	if n := sq.ID(`SELECT count(*) FROM messages WHERE origin = 'auto'`); n != 3 {
		t.Fatalf("auto replies: %d, want 3", n)
	}
}

func ptr(v int64) *int64 { return &v }
