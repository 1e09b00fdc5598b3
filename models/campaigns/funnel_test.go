package campaigns_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/worker/testenv"
	"gorm.io/gorm"
)

// exactStateSQL is the funnel's former derivation, computed from the
// messages at read time: the stored state (migration 00210) must always
// equal it.
const exactStateSQL = `SELECT r.id, r.state, CASE
	WHEN r.status = 'skipped' THEN 'skipped'
	WHEN m.status = 'failed' OR r.status = 'failed' THEN 'failed'
	WHEN rp.at IS NOT NULL THEN 'replied'
	WHEN m.status IN ('sent','delivered','read') THEN m.status
	ELSE 'queued' END AS exact,
	CASE WHEN r.status = 'skipped' THEN r.reason ELSE '' END AS reason
	FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
	LEFT JOIN messages m ON m.id = r.message_id
	LEFT JOIN LATERAL (SELECT min(i.created_at) AS at FROM messages i
		WHERE m.status IN ('sent','delivered','read') AND i.conversation_id = m.conversation_id AND i.direction = 'in'
			AND i.created_at > COALESCE(m.sent_at, m.created_at)
			AND i.created_at <= COALESCE(m.sent_at, m.created_at) + c.reply_window_ms * interval '1 millisecond') rp ON true
	WHERE r.campaign_id = ? ORDER BY r.id`

// checkFunnel compares the counters, every stored state and the
// recipients listing of each state with the exact computation.
func checkFunnel(t *testing.T, st campaigns.CampaignStore, id int64, phase string) campaigns.Funnel {
	t.Helper()
	ctx := context.Background()
	var rows []struct {
		ID                   int64
		State, Exact, Reason string
	}
	if err := st.DB.Raw(exactStateSQL, id).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	want := campaigns.Funnel{SkipReason: map[string]int64{}}
	byState := map[string][]int64{}
	for _, r := range rows {
		if r.State != r.Exact {
			t.Errorf("%s: recipient %d stored %q, exact %q", phase, r.ID, r.State, r.Exact)
		}
		byState[r.Exact] = append(byState[r.Exact], r.ID)
		want.Recipients++
		switch r.Exact {
		case "skipped":
			want.Skipped++
			want.SkipReason[r.Reason]++
		case "failed":
			want.Failed++
		case "queued":
			want.Queued++
		case "replied":
			want.Replied++
			want.Read, want.Delivered, want.Sent = want.Read+1, want.Delivered+1, want.Sent+1
		case models.MsgRead:
			want.Read, want.Delivered, want.Sent = want.Read+1, want.Delivered+1, want.Sent+1
		case models.MsgDelivered:
			want.Delivered, want.Sent = want.Delivered+1, want.Sent+1
		case models.MsgSent:
			want.Sent++
		}
	}
	got, err := st.Funnel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: funnel\n got  %+v\n want %+v", phase, got, want)
	}
	for _, state := range []string{"queued", "sent", "delivered", "read", "replied", "failed", "skipped"} {
		var ids []int64
		cursor := ""
		for {
			pg, err := st.Recipients(ctx, models.Principal{AllScope: true}, id, state, cursor, 37)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range pg.Items {
				if it.Status != state {
					t.Fatalf("%s: %s page has %+v", phase, state, it)
				}
				ids = append(ids, it.ID)
			}
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(byState[state]) {
			t.Fatalf("%s: %s listing %v, exact %v", phase, state, ids, byState[state])
		}
	}
	return got
}

// applyStatuses applies Meta's statuses as the webhook does (forward only,
// several per transaction in the payload's order, sent_at from Meta's
// timestamp).
func applyStatuses(db *gorm.DB, sts []status) error {
	return db.Transaction(func(tx *gorm.DB) error {
		for _, s := range sts {
			col := map[string]string{"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}[s.status]
			if err := tx.Exec(`UPDATE messages SET status = ?, `+col+` = ? WHERE id = ? AND status IN ?`,
				s.status, s.at, s.msg, models.StatusPredecessors(s.status)).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

type status struct {
	msg    int64
	status string
	at     time.Time
}

// A campaign's statuses, replies, failures, a retry, a window change and a
// cancel, the webhooks, the outcomes and the replies running concurrently:
// after each phase the counters, the stored states and the filtered
// listings equal the exact computation from the messages.
func TestFunnelCountersMatchExactComputation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	const n = 400
	for _, q := range []string{
		`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1'), (2, 'PN2', '+62 21 2')`,
		`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED', '[{"type":"BODY","text":"Halo"}]')`,
		`INSERT INTO contacts (id, phone_e164, wa_id, bsuid, name, tags, opted_out) SELECT g, CASE WHEN g % 23 = 0 THEN NULL ELSE '+62813' || lpad(g::text, 8, '0') END,
			CASE WHEN g % 23 = 0 THEN '' ELSE '62813' || lpad(g::text, 8, '0') END,
			CASE WHEN g % 23 = 0 THEN 'ID.' || g END, 'C' || g, '{promo}', g % 17 = 0 FROM generate_series(1, ` + fmt.Sprint(n) + `) g`,
		`SELECT setval(pg_get_serial_sequence('contacts', 'id'), 1000)`,
		`INSERT INTO segments (id, name, filter) VALUES (1, 'promo', '{"tags":["promo"]}')`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st := campaigns.CampaignStore{DB: db, ReplyWindow: 48 * time.Hour}
	c, _, err := st.Create(ctx, models.Principal{}, campaigns.CampaignInput{Name: "Promo", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if c.ReplyWindowMS != (48 * time.Hour).Milliseconds() {
		t.Fatalf("reply window %d", c.ReplyWindowMS)
	}
	if _, err := st.SetStatus(ctx, c.ID, campaigns.CampaignRunning, ""); err != nil {
		t.Fatal(err)
	}
	var sends []campaigns.ClaimedSend
	for after := int64(0); ; {
		ids, err := st.NextContacts(ctx, c.ID, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
		res, err := st.Claim(ctx, c.ID, ids)
		if err != nil {
			t.Fatal(err)
		}
		sends, after = append(sends, res.Sends...), ids[len(ids)-1]
	}
	if len(sends) < 300 {
		t.Fatalf("%d sends", len(sends))
	}
	f := checkFunnel(t, st, c.ID, "claimed")
	if f.Recipients != n || f.Queued != int64(len(sends)) || f.Skipped == 0 || f.SkipReason[campaigns.SkipOptedOut] == 0 || f.SkipReason[campaigns.SkipInvalidNumber] == 0 {
		t.Fatalf("claimed: %+v", f)
	}

	rng := rand.New(rand.NewPCG(21, 21))
	base := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	sentAt := map[int64]time.Time{}
	var outs []campaigns.SendOutcome
	var hooks []status
	var replies []status // msg: the send whose conversation the customer writes in
	var left []int64     // never sent: the cancel below skips them
	// The sender: 80% accepted (one statement per batch of 40, as
	// CompleteSends), 12% refused (FailSend), the rest left queued.
	for i, s := range sends {
		at := base.Add(time.Duration(i) * time.Minute)
		switch r := rng.IntN(100); {
		case r < 80:
			sentAt[s.MessageID] = at
			outs = append(outs, campaigns.SendOutcome{MessageID: s.MessageID, Status: campaigns.RecipientSent})
			if err := db.Exec(`UPDATE messages SET wamid = ?, send_state = 'done', status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END,
				sent_at = COALESCE(sent_at, ?) WHERE id = ?`, fmt.Sprintf("wamid.%d", s.MessageID), at, s.MessageID).Error; err != nil {
				t.Fatal(err)
			}
			// Meta's statuses in any order (delivered after read, a
			// repeated sent moving sent_at by a second), some failing
			// after sent.
			hooks = append(hooks, status{s.MessageID, "sent", at.Add(time.Second)})
			if rng.IntN(10) < 8 {
				hooks = append(hooks, status{s.MessageID, "delivered", at.Add(time.Minute)})
			}
			if rng.IntN(10) < 5 {
				hooks = append(hooks, status{s.MessageID, "read", at.Add(time.Hour)})
			}
			if rng.IntN(20) == 0 {
				hooks = append(hooks, status{s.MessageID, "failed", at.Add(2 * time.Minute)})
			}
			// Customer messages: before the send, inside the window, at
			// its last second, just after it.
			for _, off := range []time.Duration{-time.Hour, 3 * time.Hour, 48*time.Hour + time.Second, 48*time.Hour + 2*time.Second} {
				if rng.IntN(6) == 0 {
					replies = append(replies, status{s.MessageID, "in", at.Add(off)})
				}
			}
		case r < 92:
			code := []int{130429, 131026, 0}[rng.IntN(3)]
			outs = append(outs, campaigns.SendOutcome{MessageID: s.MessageID, Status: campaigns.RecipientFailed, ErrorCode: code, Reason: "refused"})
			if err := db.Exec(`UPDATE messages SET send_state = 'done', status = 'failed', error_code = NULLIF(?, 0), error_reason = 'refused', failed_at = ?
				WHERE id = ? AND status IN ('queued','sent')`, code, at, s.MessageID).Error; err != nil {
				t.Fatal(err)
			}
		default:
			left = append(left, s.MessageID)
		}
	}
	rng.Shuffle(len(hooks), func(i, j int) { hooks[i], hooks[j] = hooks[j], hooks[i] })
	rng.Shuffle(len(replies), func(i, j int) { replies[i], replies[j] = replies[j], replies[i] })
	checkFunnel(t, st, c.ID, "sent")

	// Concurrently: the outcomes (batches of 40), four webhook workers (5
	// statuses per transaction) and two of customer messages. A deadlock
	// or a lost update fails the run.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- err
			}
		}()
	}
	run(func() error {
		for i := 0; i < len(outs); i += 40 {
			if err := st.RecordOutcomes(ctx, c.ID, outs[i:min(i+40, len(outs))]); err != nil {
				return err
			}
		}
		return nil
	})
	for w := range 4 {
		run(func() error {
			for i := w * 5; i < len(hooks); i += 20 {
				if err := applyStatuses(db, hooks[i:min(i+5, len(hooks))]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for w := range 2 {
		run(func() error {
			for i := w; i < len(replies); i += 2 {
				if err := db.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at)
					SELECT conversation_id, 'in', 'text', 'halo', 'received', ? FROM messages WHERE id = ?`, replies[i].at, replies[i].msg).Error; err != nil {
					return err
				}
			}
			return nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f = checkFunnel(t, st, c.ID, "statuses")
	if f.Replied == 0 || f.Read == f.Replied || f.Failed == 0 || f.Delivered == f.Read || f.Sent == f.Delivered || f.Queued != int64(len(left)) {
		t.Fatalf("statuses: a phase the test wants is missing: %+v", f)
	}

	// Retry failed: retryable failures get a new queued message.
	requeued, err := st.RequeueFailed(ctx, c.ID)
	if err != nil || requeued == 0 {
		t.Fatalf("requeue: %d %v", requeued, err)
	}
	f2 := checkFunnel(t, st, c.ID, "requeued")
	if f2.Queued != f.Queued+int64(requeued) || f2.Failed != f.Failed-int64(requeued) {
		t.Fatalf("requeued %d: %+v after %+v", requeued, f2, f)
	}
	var retried []int64
	if err := db.Raw(`SELECT message_id FROM campaign_recipients WHERE campaign_id = ? AND status = 'queued' AND message_id <> ALL(?)`,
		c.ID, models.Int64List(left)).Scan(&retried).Error; err != nil || len(retried) != requeued {
		t.Fatalf("retried %v %v", retried, err)
	}
	var routs []campaigns.SendOutcome
	for _, id := range retried {
		at := base.Add(5 * 24 * time.Hour)
		if err := db.Exec(`UPDATE messages SET wamid = ?, send_state = 'done', status = 'sent', sent_at = ? WHERE id = ?`,
			fmt.Sprintf("wamid.%d", id), at, id).Error; err != nil {
			t.Fatal(err)
		}
		routs = append(routs, campaigns.SendOutcome{MessageID: id, Status: campaigns.RecipientSent})
		// read before delivered: delivered no longer moves it
		if err := applyStatuses(db, []status{{id, "read", at.Add(time.Hour)}, {id, "delivered", at.Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RecordOutcomes(ctx, c.ID, routs); err != nil {
		t.Fatal(err)
	}
	fr := checkFunnel(t, st, c.ID, "retried")

	// The campaign's reply window corrected: every recipient judged again.
	if err := db.Exec(`UPDATE campaigns SET reply_window_ms = ? WHERE id = ?`, (49 * time.Hour).Milliseconds(), c.ID).Error; err != nil {
		t.Fatal(err)
	}
	f3 := checkFunnel(t, st, c.ID, "wider window")
	if f3.Replied <= fr.Replied {
		t.Fatalf("a wider window: %+v, before %+v", f3, fr)
	}

	// Cancel: the never-sent recipients are skipped.
	if _, err := st.SetStatus(ctx, c.ID, campaigns.CampaignCancelled, ""); err != nil {
		t.Fatal(err)
	}
	f4 := checkFunnel(t, st, c.ID, "cancelled")
	if f4.Queued != 0 || f4.SkipReason[campaigns.SkipCancelled] != int64(len(left)) {
		t.Fatalf("cancelled: %+v", f4)
	}
	var deltas int64
	db.Raw(`SELECT count(*) FROM campaign_funnel_delta WHERE campaign_id = ?`, c.ID).Scan(&deltas)
	if deltas != 0 {
		t.Fatalf("%d deltas left after a read's fold", deltas)
	}
}
