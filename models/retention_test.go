package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

// Rows older than the period go in batches of at most the limit; newer
// ones, and events the webhook relay has not fanned out yet, stay.
func TestRetentionPrunesOldRowsInBoundedBatches(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	// 250 old and 10 new events; the relay has fanned out up to id 240.
	exec(`INSERT INTO events (type, ts) SELECT 'x', now() - interval '40 days' FROM generate_series(1, 250)`)
	exec(`INSERT INTO events (type, ts) SELECT 'x', now() FROM generate_series(1, 10)`)
	exec(`UPDATE webhook_relay_cursor SET event_id = (SELECT min(id) + 239 FROM events) WHERE id = 1`)
	exec(`INSERT INTO message_statuses (wamid, status, ts, received_at) SELECT 'w' || g, 'sent', now(), now() - interval '100 days' FROM generate_series(1, 120) g`)
	exec(`INSERT INTO message_statuses (wamid, status, ts, received_at) SELECT 'n' || g, 'sent', now(), now() FROM generate_series(1, 5) g`)
	exec(`INSERT INTO audit_log (at, action, entity) SELECT now() - interval '3 years', 'a', 'e' FROM generate_series(1, 30)`)
	exec(`INSERT INTO audit_log (at, action, entity) VALUES (now(), 'a', 'e')`)

	s := models.RetentionStore{DB: db}
	before := time.Now().Add(-30 * 24 * time.Hour)
	drain := func(table string, want int64) {
		t.Helper()
		var total int64
		for i := 0; i < 100; i++ {
			n, err := s.PruneBatch(ctx, table, before, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n > 100 {
				t.Fatalf("%s: batch of %d rows, limit 100", table, n)
			}
			total += n
			if n < 100 {
				break
			}
		}
		if total != want {
			t.Fatalf("%s: pruned %d, want %d", table, total, want)
		}
	}
	drain("events", 240) // 10 old events are not fanned out yet
	drain("message_statuses", 120)
	drain("audit_log", 30)
	count := func(q string) (n int64) {
		db.Raw(q).Scan(&n)
		return
	}
	if n := count(`SELECT count(*) FROM events`); n != 20 {
		t.Fatalf("%d events left, want 20", n)
	}
	if n := count(`SELECT count(*) FROM message_statuses`); n != 5 {
		t.Fatalf("%d statuses left, want 5", n)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE at > now() - interval '1 day'`); n != 1 {
		t.Fatalf("recent audit row pruned")
	}
	if _, err := s.PruneBatch(ctx, "nope", before, 1); err == nil {
		t.Fatal("unknown table accepted")
	}
}
