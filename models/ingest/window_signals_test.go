package ingest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/worker/testenv"
)

// TestWindowSignalClaims: relays in several workers claim disjoint rows;
// a row whose lease ran out (its worker died) is claimable again; Done
// deletes only rows no newer message replaced (which are relayed again).
func TestWindowSignalClaims(t *testing.T) {
	t.Parallel()
	tdb := testenv.NewDB(t)
	db := tdb.Gorm
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES ('PN-CLAIM', 'W', '+62 21 1')`)
	exec(`INSERT INTO contacts (phone_e164, wa_id, name) SELECT '+62811' || lpad(g::text, 6, '0'), '62811' || lpad(g::text, 6, '0'), 'c' FROM generate_series(1, 300) g`)
	exec(`INSERT INTO conversations (sender_id, contact_id, status) SELECT s.id, c.id, 'open' FROM senders s, contacts c WHERE s.phone_number_id = 'PN-CLAIM'`)
	exec(`INSERT INTO window_signals (conversation_id, sender_id, contact_id, message_id) SELECT id, sender_id, contact_id, id * 10 FROM conversations`)
	st := ingest.WindowSignalStore{DB: db}

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			rows, err := st.Claim(ctx, 120, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range rows {
				seen[o.ConversationID]++
			}
		})
	}
	wg.Wait()
	if len(seen) != 300 {
		t.Fatalf("3 relays claimed %d distinct rows, want all 300", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("conversation %d claimed %d times", id, n)
		}
	}
	if rows, err := st.Claim(ctx, 500, time.Minute); err != nil || len(rows) != 0 {
		t.Fatalf("leased rows claimed again: %d (%v)", len(rows), err)
	}
	// A relay died holding 10 rows: after the lease they are claimable.
	exec(`UPDATE window_signals SET claimed_until = now() - interval '1 second' WHERE conversation_id IN (SELECT conversation_id FROM window_signals ORDER BY conversation_id LIMIT 10)`)
	again, err := st.Claim(ctx, 500, time.Minute)
	if err != nil || len(again) != 10 {
		t.Fatalf("expired leases: claimed %d (%v), want 10", len(again), err)
	}
	// A newer message replaced one row meanwhile (the ingest's upsert
	// clears the lease): Done leaves it, and it is claimed again.
	replaced := again[0]
	exec(`INSERT INTO window_signals (conversation_id, sender_id, contact_id, message_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET message_id = EXCLUDED.message_id, claimed_until = NULL`,
		replaced.ConversationID, replaced.SenderID, replaced.ContactID, replaced.MessageID+1)
	if err := st.Done(ctx, again); err != nil {
		t.Fatal(err)
	}
	var left int64
	db.Raw(`SELECT count(*) FROM window_signals`).Scan(&left)
	if left != 291 {
		t.Fatalf("%d rows left after Done of 10 (one replaced), want 291", left)
	}
	rows, err := st.Claim(ctx, 500, time.Minute)
	if err != nil || len(rows) != 1 || rows[0].MessageID != replaced.MessageID+1 {
		t.Fatalf("replaced row: claimed %+v (%v), want it once with the newer message", rows, err)
	}
}
