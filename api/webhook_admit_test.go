package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker/testenv"
)

// TestWebhookShedsAboveCapacity: when every storage slot is busy (here the
// one slot, held by a delivery stuck behind a table lock), the next
// delivery is refused with 503 within the admit wait instead of queueing;
// the stuck one still stores once the database frees up, and the refused
// one stores when redelivered.
func TestWebhookShedsAboveCapacity(t *testing.T) {
	t.Parallel()
	tdb := testenv.NewDB(t)
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Stores: StoresOn(tdb.Gorm, nil), WABAAppSecret: testSecret, WebhookMaxInflight: 1, WebhookAdmitWait: 50 * time.Millisecond})
	h := s.Handler()
	if err := tdb.Gorm.Exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES (?, ?, '+62 21 5088 1234')`, testPNID, testWABA).Error; err != nil {
		t.Fatal(err)
	}
	post := func(wamid string) *httptest.ResponseRecorder {
		body := envelope("messages", messagesValue(testPNID, "Dewi", "6281233334444", textMsg(wamid, "6281233334444", "halo")))
		req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", strings.NewReader(body))
		req.Header.Set(waba.SignatureHeader, waba.Sign([]byte(testSecret), []byte(body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := post("wamid.ADMIT.0"); w.Code != http.StatusOK { // contact and conversation exist from here on
		t.Fatalf("warm-up: %d %s", w.Code, w.Body.String())
	}

	ctx := context.Background()
	lock, err := tdb.Gorm.DB()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := lock.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var stuck *httptest.ResponseRecorder
	wg.Go(func() { stuck = post("wamid.ADMIT.1") })
	time.Sleep(300 * time.Millisecond) // the first delivery holds the slot, waiting on the lock

	t0 := time.Now()
	w := post("wamid.ADMIT.2")
	took := time.Since(t0)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("delivery above capacity: %d %s (want 503 with Retry-After)", w.Code, w.Body.String())
	}
	if took > time.Second {
		t.Errorf("refusal took %s: it must not queue behind the busy slot", took)
	}
	_ = tx.Rollback()
	wg.Wait()
	if stuck.Code != http.StatusOK {
		t.Fatalf("the delivery that held the slot: %d %s", stuck.Code, stuck.Body.String())
	}
	if w := post("wamid.ADMIT.2"); w.Code != http.StatusOK { // Meta's redelivery
		t.Fatalf("redelivery: %d %s", w.Code, w.Body.String())
	}
	var n int64
	if err := tdb.Gorm.Raw(`SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.ADMIT.%'`).Scan(&n).Error; err != nil || n != 3 {
		t.Fatalf("stored %d messages (%v), want 3", n, err)
	}
}
