package journeys_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
)

// An ask_promise_date's list goes only inside the customer's window: no
// conversation or a closed window queues nothing (the step takes its
// else); an open one stores the interactive list once per key, origin
// auto; an opted-out customer is skipped; a pause holds the list but not
// the confirmation that answers the customer.
func TestQueueFreeFormOnlyInsideTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	now := time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC) // Thursday 10:00 WIB
	st.Now = func() time.Time { return now }
	ib := inbox.ConversationStore{DB: st.DB, Events: models.EventStore{DB: st.DB}, Now: st.Now}
	ani, citra := mustEnroll(t, st, j.ID, 1), mustEnroll(t, st, j.ID, 3)
	ask := journeys.Step{ID: "ask", Kind: journeys.KindAskPromiseDate, Body: "Kapan Anda bisa membayar?", Dates: 3, TimeoutSeconds: 3600}
	list := journeys.PromiseList(ask, journeys.PromiseChoices(now, models.LoadZone(models.TZWIB), models.QuietHours{}, ask.Dates))
	send := func(enrollment, contact int64, key string, req inbox.OutboundRequest, answer bool) journeys.SendResult {
		t.Helper()
		r, err := st.QueueFreeForm(ctx, ib, journeys.FreeFormRequest{EnrollmentID: enrollment, ContactID: contact, SenderID: 1, Key: key, Request: req, Answer: answer})
		if err != nil {
			t.Fatalf("send to %d: %v", contact, err)
		}
		return r
	}
	outbound := func() int64 { return sq.ID(`SELECT count(*) FROM messages WHERE direction = 'out'`) }

	if r := send(ani, 1, "k1", list, false); !r.WindowClosed || r.MessageID != 0 {
		t.Fatalf("no conversation yet: %+v, want the window closed", r)
	}
	conv := sq.ID(`INSERT INTO conversations (sender_id, contact_id, last_inbound_at) VALUES (1, 1, ?) RETURNING id`, now.Add(-25*time.Hour))
	if r := send(ani, 1, "k1", list, false); !r.WindowClosed || outbound() != 0 {
		t.Fatalf("window closed 1 h ago: %+v, %d rows", r, outbound())
	}
	sq.Exec(`UPDATE conversations SET last_inbound_at = ? WHERE id = ?`, now.Add(-time.Hour), conv)
	r := send(ani, 1, "k1", list, false)
	if r.WindowClosed || r.MessageID == 0 || !r.Created || r.Conversation.ID != conv {
		t.Fatalf("inside the window: %+v", r)
	}
	if again := send(ani, 1, "k1", list, false); again.Created || again.MessageID != r.MessageID {
		t.Fatalf("a retry %+v stored another row", again)
	}
	var m struct {
		Type, Origin string
	}
	st.DB.Raw(`SELECT type, origin FROM messages WHERE id = ?`, r.MessageID).Scan(&m)
	if m.Type != "interactive" || m.Origin != models.OriginAuto || outbound() != 1 {
		t.Fatalf("stored %+v, %d rows", m, outbound())
	}
	sq.Exec(`UPDATE contacts SET opted_out = true WHERE id = 3`)
	if r := send(citra, 3, "k2", list, false); r.Skipped != journeys.ExitOptedOut {
		t.Fatalf("opted out: %+v", r)
	}
	sq.Exec(`UPDATE journeys SET status = 'paused' WHERE id = ?`, j.ID)
	if r := send(ani, 1, "k3", list, false); !r.Held {
		t.Fatalf("paused: %+v, want held", r)
	}
	confirm := inbox.OutboundRequest{Type: "text", Text: journeys.PromiseConfirmation(time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC))}
	if r := send(ani, 1, "k4", confirm, true); r.Held || r.MessageID == 0 {
		t.Fatalf("the confirmation while paused: %+v, want sent", r)
	}
}
