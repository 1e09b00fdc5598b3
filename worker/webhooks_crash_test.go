package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/integrations"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/testenv"
)

// relayChildEnv carries the database of TestWebhookRelayCrash to the relay
// process it starts and kills.
const relayChildEnv = "SCRM_TEST_RELAY_CHILD_DSN"

// TestWebhookRelayChild is the relay process of TestWebhookRelayCrash; it
// runs only when started by it (and is killed there, mid-delivery).
func TestWebhookRelayChild(t *testing.T) {
	dsn := os.Getenv(relayChildEnv)
	if dsn == "" {
		t.Skip("the relay process of TestWebhookRelayCrash")
	}
	ctx := context.Background()
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	relay := worker.WebhookRelay{Store: integrations.Store{DB: db, AllowPrivate: true}, Every: 50 * time.Millisecond,
		GapWait: time.Second, Lease: 3 * time.Second, Timeout: time.Minute, Logger: slog.New(slog.DiscardHandler)}
	_ = relay.Run(ctx) // until killed
}

// TestWebhookRelayCrash kills (SIGKILL) a relay process while its calls are
// in flight, then runs another relay: every event still arrives, each
// object's in order; the calls the dead relay had made are made again
// (at least once, same event id), nothing is lost. The deliveries the dead
// relay held are rows with a lease; the next relay takes them when it ends.
func TestWebhookRelayCrash(t *testing.T) {
	t.Parallel()
	tdb := testenv.NewDB(t)
	db := tdb.Gorm
	ctx := context.Background()
	store := integrations.Store{DB: db, AllowPrivate: true}

	var mu sync.Mutex
	hang := true // while the first relay lives, calls are held unanswered
	held := 0
	var accepted []integrations.Payload
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		if hang {
			held++
			mu.Unlock()
			<-r.Context().Done() // the caller died
			return
		}
		defer mu.Unlock()
		var p integrations.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload %s: %v", body, err)
		}
		seen[p.ID]++
		if seen[p.ID] == 1 {
			accepted = append(accepted, p)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	url := rcv.URL + "/hook"
	types := []string{integrations.HookCaseAssigned, integrations.HookCasePromiseToPay, integrations.HookCaseClosed}
	if _, err := store.Create(ctx, models.Principal{AllScope: true}, integrations.SubscriptionInput{URL: &url, EventTypes: &types}); err != nil {
		t.Fatal(err)
	}
	// Five cases, each assigned, promised and closed: 15 events.
	evs := models.EventStore{DB: db}
	for _, change := range []map[string]any{{"change": "assign", "status": "assigned"},
		{"change": "outcome:promise_to_pay", "status": "in_progress", "outcome": "promise_to_pay", "promiseDate": "2026-12-31"},
		{"change": "close", "status": "exited", "exitReason": "resolved"}} {
		for id := 1; id <= 5; id++ {
			data := map[string]any{"id": id}
			for k, v := range change {
				data[k] = v
			}
			ev, err := models.NewEvent(models.EventCaseUpdated, models.Audience{}, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := evs.Append(ctx, db, &ev); err != nil {
				t.Fatal(err)
			}
		}
	}

	child := exec.Command(os.Args[0], "-test.run=^TestWebhookRelayChild$", "-test.count=1")
	child.Env = append(os.Environ(), relayChildEnv+"="+tdb.URL)
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the first relay's calls in flight", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return held >= 5 // the first event of each case (the others wait for it)
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	var inFlight int64
	db.Raw(`SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts = 1 AND leased_until > now()`).Scan(&inFlight)
	if inFlight != 5 {
		t.Fatalf("%d deliveries leased by the killed relay, want 5", inFlight)
	}

	mu.Lock()
	hang = false
	mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	relay := worker.WebhookRelay{Store: store, Every: 50 * time.Millisecond, GapWait: time.Second, Lease: 3 * time.Second,
		Logger: slog.New(slog.DiscardHandler)}
	go func() { _ = relay.Run(rctx); close(done) }()
	waitFor(t, 60*time.Second, "every event after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted) == 15
	})
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	order := map[int64][]string{}
	for _, p := range accepted {
		order[p.Object.ID] = append(order[p.Object.ID], p.Type)
	}
	for id := int64(1); id <= 5; id++ {
		if got := fmt.Sprint(order[id]); got != fmt.Sprint(types) {
			t.Errorf("case %d: %s, want %v", id, got, types)
		}
	}
	var pending, retried int64
	db.Raw(`SELECT count(*) FILTER (WHERE status <> 'delivered'), count(*) FILTER (WHERE attempts > 1) FROM webhook_deliveries`).Row().Scan(&pending, &retried)
	if pending != 0 || retried != 5 {
		t.Fatalf("after the restart: %d not delivered, %d tried again (want 0 and the 5 in flight)", pending, retried)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
