package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
)

// A journey's send uses its number's budgets as a campaign's does: a
// flagged number, a spent warm-up day or a spent portfolio limit hold the
// step (nothing queued, the enrollment goes on later) with the reason and,
// when known, the moment it may send; what it sends counts in the day's
// warm-up usage and the portfolio's reach, so campaigns see it too. A
// customer whose window is open uses no portfolio unit.
func TestQueueSendUsesTheNumbersBudgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	// Monday 2026-12-07 10:00 WIB.
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	ib := inbox.ConversationStore{DB: st.DB, Events: models.EventStore{DB: st.DB}, Now: st.Now}
	sq.Exec(`INSERT INTO contacts (id, phone_e164, wa_id, name) VALUES (4, '+6281100000004', '6281100000004', 'Dodi'), (5, '+6281100000005', '6281100000005', 'Eka'),
		(6, '+6281100000006', '6281100000006', 'Fajar')`)
	ani, citra, dodi, eka := mustEnroll(t, st, j.ID, 1), mustEnroll(t, st, j.ID, 3), mustEnroll(t, st, j.ID, 4), mustEnroll(t, st, j.ID, 5)
	fajar := mustEnroll(t, st, j.ID, 6)
	send := func(enrollment, contact int64, step string) journeys.SendResult {
		t.Helper()
		r, err := st.QueueSend(ctx, ib, journeys.SendRequest{EnrollmentID: enrollment, ContactID: contact, SenderID: 1, TemplateID: 1,
			Key: journeys.SendKey(enrollment, step, 1), Warmup: []int{2, 4}, Variables: map[string]string{"body.1": "contact.name", "body.2": "contact.name"}})
		if err != nil {
			t.Fatalf("send to %d: %v", contact, err)
		}
		return r
	}
	outbound := func() int64 { return sq.ID(`SELECT count(*) FROM messages WHERE direction = 'out'`) }

	// Flagged: held, no row, no unit used; the reason names the status.
	sq.Exec(`UPDATE senders SET status = 'flagged' WHERE id = 1`)
	if r := send(ani, 1, "s1"); !r.Held || r.MessageID != 0 || !strings.Contains(r.Reason, "flagged") || !r.HeldUntil.IsZero() {
		t.Fatalf("send from a flagged number %+v, want held with the reason and no known end", r)
	}
	if outbound() != 0 || sq.ID(`SELECT count(*) FROM sender_daily_usage`) != 0 {
		t.Fatal("a held send stored a row or used the warm-up day")
	}
	sq.Exec(`UPDATE senders SET status = 'active' WHERE id = 1`)

	// Warm-up day 1 of [2, 4]: two templates today, the third waits for
	// the next local day (midnight WIB).
	sq.Exec(`UPDATE senders SET warmup_started_at = ? WHERE id = 1`, now.Add(-time.Hour))
	if r := send(ani, 1, "s1"); r.Held || r.MessageID == 0 {
		t.Fatalf("first send in warm-up %+v", r)
	}
	if r := send(ani, 1, "s1"); r.Held || r.Created {
		t.Fatalf("a retry of the stored send %+v: it must return the row and use nothing", r)
	}
	if r := send(citra, 3, "s1"); r.Held || r.MessageID == 0 {
		t.Fatalf("second send in warm-up %+v", r)
	}
	r := send(dodi, 4, "s1")
	midnight := time.Date(2026, 12, 8, 0, 0, 0, 0, models.LoadZone(models.TZWIB))
	if !r.Held || r.MessageID != 0 || !r.HeldUntil.Equal(midnight) || !strings.Contains(r.Reason, "warm-up: 2 of 2") {
		t.Fatalf("third send in warm-up day 1 %+v, want held until %s", r, midnight)
	}
	if n := sq.ID(`SELECT templates FROM sender_daily_usage WHERE sender_id = 1`); n != 2 || outbound() != 2 {
		t.Fatalf("warm-up usage %d, %d rows; want 2 and 2 (the retry is not a second template)", n, outbound())
	}
	sq.Exec(`UPDATE senders SET warmup_started_at = NULL WHERE id = 1`)

	// The portfolio's 250 unique users of TIER_250 reached in the last
	// 24 h (Ani, Citra, and Dodi, whose unit the held send took first, as a
	// campaign's does: his next try needs none): Fajar waits until the
	// oldest hour ages out; Eka, who wrote an hour ago, uses no unit.
	hour := now.Add(-3 * time.Hour).Truncate(time.Hour)
	sq.Exec(`INSERT INTO portfolio_reach_hourly (portfolio, hour, n) VALUES ('waba:', ?, 247)`, hour)
	if r := send(fajar, 6, "s1"); !r.Held || r.MessageID != 0 || !r.HeldUntil.Equal(hour.Add(25*time.Hour)) || !strings.Contains(r.Reason, "portfolio messaging limit") {
		t.Fatalf("send over the portfolio limit %+v, want held until %s", r, hour.Add(25*time.Hour))
	}
	conv := sq.ID(`INSERT INTO conversations (sender_id, contact_id, last_inbound_at) VALUES (1, 5, ?) RETURNING id`, now.Add(-time.Hour))
	if r := send(eka, 5, "s1"); r.Held || r.MessageID == 0 || r.Conversation.ID != conv {
		t.Fatalf("send to a customer whose window is open %+v, want sent in its conversation", r)
	}
	if n := sq.ID(`SELECT count(*) FROM portfolio_reach WHERE contact_id = 5`); n != 0 {
		t.Fatal("a customer in its window used a portfolio unit")
	}
}
