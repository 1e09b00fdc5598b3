package worker_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/integrations"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/testenv"
)

// TestWebhookRelay: events in the events table reach a subscriber signed,
// in order per object, after the receiver was down (503), none lost, and
// neither a rolled-back id (a gap) nor a later id committing first makes
// the relay skip an event.
func TestWebhookRelay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := testenv.NewDB(t).Gorm
	store := integrations.Store{DB: db, AllowPrivate: true} // the receivers listen on 127.0.0.1

	var mu sync.Mutex
	var got []integrations.Payload
	seen := map[string]int{}
	downUntil := time.Now().Add(5 * time.Second)
	var secret string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if time.Now().Before(downUntil) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := integrations.Verify(secret, r.Header.Get("X-SCRM-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p integrations.Payload
		if err := json.Unmarshal(body, &p); err != nil || p.ID != r.Header.Get("X-SCRM-Event-Id") {
			t.Errorf("payload %s: %v", body, err)
		}
		seen[p.ID]++
		got = append(got, p)
	}))
	defer rcv.Close()
	url := rcv.URL + "/hook"
	types := []string{integrations.HookCaseAssigned, integrations.HookCaseClosed, integrations.HookCasePromiseToPay}
	sub, err := store.Create(ctx, models.Principal{AllScope: true}, integrations.SubscriptionInput{URL: &url, EventTypes: &types})
	if err != nil {
		t.Fatal(err)
	}
	secret = sub.Secret

	evs := models.EventStore{DB: db}
	appendEv := func(data map[string]any) {
		t.Helper()
		ev, err := models.NewEvent(models.EventCaseUpdated, models.Audience{}, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := evs.Append(ctx, db, &ev); err != nil {
			t.Fatal(err)
		}
	}
	// A bulk assignment of cases 1-4, then per case an outcome and a close.
	appendEv(map[string]any{"ids": []int64{1, 2, 3, 4}, "change": "assign", "status": "assigned", "agentId": 7})
	// A rolled-back event leaves a gap in the ids.
	tx := db.Begin()
	ev, _ := models.NewEvent(models.EventCaseUpdated, models.Audience{}, map[string]any{"id": 99, "change": "close", "status": "exited"})
	if err := evs.Append(ctx, tx, &ev); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	for id := 1; id <= 4; id++ {
		appendEv(map[string]any{"id": id, "change": "outcome:promise_to_pay", "status": "in_progress", "outcome": "promise_to_pay", "promiseDate": "2026-12-31"})
	}
	// A transaction holding an earlier id commits after a later one.
	slow := db.Begin()
	ev, _ = models.NewEvent(models.EventCaseUpdated, models.Audience{}, map[string]any{"id": 5, "change": "assign", "status": "assigned"})
	if err := evs.Append(ctx, slow, &ev); err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 4; id++ {
		appendEv(map[string]any{"id": id, "change": "close", "status": "exited", "exitReason": "resolved"})
	}

	relay := worker.WebhookRelay{Store: store, Every: 50 * time.Millisecond, GapWait: 3 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(done) }()
	time.Sleep(time.Second)
	if err := slow.Commit().Error; err != nil {
		t.Fatal(err)
	}

	want := 4*3 + 1
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != want {
		t.Fatalf("received %d distinct events, want %d: %+v", len(seen), want, got)
	}
	// In order per case: assigned, promise to pay, closed.
	order := map[int64][]string{}
	for _, p := range got {
		if p.Object.Type != "case" {
			t.Fatalf("object %+v", p.Object)
		}
		order[p.Object.ID] = append(order[p.Object.ID], p.Type)
	}
	for id := int64(1); id <= 4; id++ {
		o := order[id]
		if len(o) < 3 || o[0] != integrations.HookCaseAssigned || o[1] != integrations.HookCasePromiseToPay || o[len(o)-1] != integrations.HookCaseClosed {
			t.Fatalf("case %d order %v", id, o)
		}
	}
	if len(order[5]) == 0 {
		t.Fatal("the late-committing event was skipped")
	}
	// The log: all delivered, after retries.
	ds, total, err := store.Deliveries(context.Background(), integrations.DeliveryFilter{SubscriptionID: sub.ID, Page: models.Page{Limit: 100}})
	if err != nil || total != int64(want) {
		t.Fatalf("log %d %v", total, err)
	}
	retried := 0
	for _, d := range ds {
		if d.Status != integrations.DeliveryDelivered {
			t.Fatalf("delivery %+v", d)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("nothing was retried though the receiver answered 503")
	}
	// Delivered rows leave the log after the retention; others stay.
	if err := db.Exec(`UPDATE webhook_deliveries SET delivered_at = now() - interval '31 days' WHERE id = ?`, ds[0].ID).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := store.Prune(context.Background(), 30*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("prune %d %v", n, err)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1_0"}`)
	now := time.Unix(1_800_000_000, 0)
	h := integrations.Sign("s3cret", now.Unix(), body)
	if err := integrations.Verify("s3cret", h, body, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		at             time.Time
	}{
		"other secret": {"other", h, body, now},
		"other body":   {"s3cret", h, []byte(`{"id":"evt_2_0"}`), now},
		"old":          {"s3cret", h, body, now.Add(10 * time.Minute)},
		"malformed":    {"s3cret", "v1=abc", body, now},
	} {
		if integrations.Verify(c.secret, c.header, c.body, c.at, time.Minute) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if integrations.Backoff(1) != 2*time.Second || integrations.Backoff(3) != 8*time.Second || integrations.Backoff(50) != 10*time.Minute {
		t.Fatal("backoff")
	}
}
