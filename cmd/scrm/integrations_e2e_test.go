package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/integrations"
	"github.com/wabascrm/scrm/workflows"
)

// hookReceiver is the business's webhook endpoint: it verifies every
// call's signature, answers 503 while down, and keeps the events it
// accepted in arrival order (first arrival of each id).
type hookReceiver struct {
	t       *testing.T
	mu      sync.Mutex
	secret  string
	down    bool
	refused int
	calls   int
	seen    map[string]int
	first   map[string]string // the body of each id's first arrival
	order   []integrations.Payload
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.down {
		h.refused++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := integrations.Verify(h.secret, r.Header.Get("X-SCRM-Signature"), body, time.Now(), 5*time.Minute); err != nil {
		h.t.Errorf("bad signature on %s: %v", r.Header.Get("X-SCRM-Event-Id"), err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p integrations.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" || p.ID != r.Header.Get("X-SCRM-Event-Id") {
		h.t.Errorf("payload %s: %v", body, err)
	}
	if h.seen == nil {
		h.seen = map[string]int{}
	}
	if h.first == nil { // receivers made before this field (the UI test's)
		h.first = map[string]string{}
	}
	h.seen[p.ID]++
	if h.seen[p.ID] == 1 {
		h.order = append(h.order, p)
		h.first[p.ID] = string(body)
	} else if h.first[p.ID] != string(body) {
		// At least once means the same event again, not another one.
		h.t.Errorf("%s arrived twice with different bodies:\n%s\n%s", p.ID, h.first[p.ID], body)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) has(pred func(integrations.Payload) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.order {
		if pred(p) {
			return true
		}
	}
	return false
}

// sourceOf is the events-table id in a webhook event id (evt_<id>_<n>).
func sourceOf(t *testing.T, id string) (int64, int) {
	parts := strings.Split(id, "_")
	if len(parts) != 3 {
		t.Fatalf("event id %q", id)
	}
	src, _ := strconv.ParseInt(parts[1], 10, 64)
	n, _ := strconv.Atoi(parts[2])
	return src, n
}

// TestBusinessIntegrationEndToEnd is issue 20's "done when", as the
// business's system would do it: an API key made by an Admin, an intake
// with several loans per debtor pushed with the key, a webhook
// subscription, and the signed events of the import finishing, cases being
// assigned, a promise to pay and a closed case, received after the
// receiver was down for a while: retried, in order per object, none lost.
func TestBusinessIntegrationEndToEnd(t *testing.T) {
	// The product's case timings (7-day expiry, pool retries every 15
	// minutes): the tests' 4 s expiry and 1 s retries would keep thousands
	// of imported cases cycling, and flood the receiver with reassignments.
	st := startStack(t, 24*time.Hour, withCaseConfig(workflows.CaseConfig{}))
	seed := st.seedInbox()
	db := st.db.Gorm
	started := time.Now()

	// The Admin makes a key for the core-banking system (shown once).
	var adminRole int64
	db.Raw(`SELECT id FROM roles WHERE system_key = ?`, models.RoleKeyAdmin).Scan(&adminRole)
	var key apikeys.CreatedAPIKey
	if code := st.call("POST", "/api/v1/api-keys", seed.admin, map[string]any{"name": "Core banking", "roleId": adminRole}, &key); code != 201 || key.Secret == "" {
		t.Fatalf("create key: %d %+v", code, key)
	}
	apiKey := key.Secret

	// The system subscribes its receiver (down at first).
	rcv := &hookReceiver{t: t, down: true, seen: map[string]int{}, first: map[string]string{}}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	types := []string{integrations.HookIntakeFinished, integrations.HookCaseAssigned, integrations.HookCasePromiseToPay, integrations.HookCaseClosed}
	var sub integrations.CreatedSubscription
	if code := st.call("POST", "/api/v1/webhooks", apiKey, map[string]any{"url": hs.URL + "/scrm", "eventTypes": types}, &sub); code != 201 || sub.Secret == "" {
		t.Fatalf("subscribe: %d %+v", code, sub)
	}
	rcv.mu.Lock()
	rcv.secret = sub.Secret
	rcv.mu.Unlock()
	downAt := time.Now()

	// The intake: debtors with one to three loans each (a case per contract):
	// 100 debtors, 199 rows (SCRM_E2E_DEBTORS sets another number; the
	// issue's 10,000 rows is ~5,000 debtors, too slow for a shared test
	// machine: each case is a CaseWorkflow).
	debtors := 100
	if n, err := strconv.Atoi(os.Getenv("SCRM_E2E_DEBTORS")); err == nil && n > 0 {
		debtors = n
	}
	var rows []map[string]any
	for d := range debtors {
		for l := range 1 + d%3 {
			rows = append(rows, map[string]any{"phone": fmt.Sprintf("0813%08d", d+1), "name": fmt.Sprintf("Debitur %d", d+1),
				"caseRef": fmt.Sprintf("PJ-%04d-%d", d+1, l+1), "amount": strconv.Itoa(500000 + 1000*l), "dueDate": "2026-11-30",
				"team": strconv.FormatInt(seed.teamID, 10)})
		}
	}
	var job struct {
		Job struct{ ID int64 } `json:"job"`
	}
	if code := st.call("POST", "/api/v1/intake", apiKey, map[string]any{"rows": rows}, &job, "Idempotency-Key", "core-banking-2026-12-03"); code >= 300 {
		t.Fatalf("intake with the API key: %d", code)
	}
	var p contacts.IntakeProgress
	logged := time.Now()
	waitUntil(t, 10*time.Minute+time.Duration(len(rows))*200*time.Millisecond, "intake completed", func() bool {
		var body struct {
			Progress contacts.IntakeProgress `json:"progress"`
		}
		st.call("GET", fmt.Sprintf("/api/v1/intake/%d", job.Job.ID), apiKey, nil, &body)
		p = body.Progress
		if time.Since(logged) > 30*time.Second {
			logged = time.Now()
			t.Logf("%s: intake %+v", time.Since(started).Round(time.Second), p)
		}
		return p.Status == "completed" && p.CasePending == 0
	})
	if p.CasesCreated != len(rows) || p.Created != debtors {
		t.Fatalf("intake of %d rows: %+v", len(rows), p)
	}
	t.Logf("intake of %d rows (%d debtors) completed in %s", len(rows), debtors, time.Since(started).Round(time.Second))

	// A case is assigned, the agent records a promise to pay, then it closes.
	// (Agents hold 20 cases at most: most loans wait in the pool; the
	// business works one that is assigned now.)
	var caseID int64
	waitUntil(t, time.Minute, "case assigned", func() bool {
		caseID = 0
		db.Raw(`SELECT id FROM cases WHERE status = 'assigned' AND reference LIKE 'PJ-%' ORDER BY id LIMIT 1`).Scan(&caseID)
		if caseID == 0 {
			return false
		}
		return st.call("POST", fmt.Sprintf("/api/v1/cases/%d/outcome", caseID), apiKey,
			map[string]any{"outcome": "promise_to_pay", "promiseDate": "2026-12-20", "note": "janji bayar"}, nil) == 200
	})
	if code := st.call("POST", fmt.Sprintf("/api/v1/cases/%d/close", caseID), apiKey, map[string]any{"reason": "paid"}, nil); code != 200 {
		t.Fatalf("close: %d", code)
	}
	waitCase(t, st, apiKey, caseID, "closed", func(c cases.Case) bool { return c.Status == cases.CaseExited })

	// The receiver has been down all along (at least a minute); it comes back.
	if d := time.Minute - time.Since(downAt); d > 0 {
		time.Sleep(d)
	}
	rcv.mu.Lock()
	rcv.down = false
	refused := rcv.refused
	rcv.mu.Unlock()
	if refused == 0 {
		t.Fatal("nothing was tried while the receiver was down")
	}
	upAt := time.Now()

	// The cases assigned so far (read before the events' high-water mark, so
	// each of their assignment events is below it).
	var assignedCases []int64
	db.Raw(`SELECT DISTINCT h.case_id FROM case_history h JOIN cases c ON c.id = h.case_id
		WHERE h.to_status = 'assigned' AND c.reference LIKE 'PJ-%' ORDER BY 1`).Scan(&assignedCases)
	// Every webhook event the events table means up to now must arrive.
	var upTo int64
	db.Raw(`SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&upTo)
	var evs []models.Event
	if err := db.Where("id > ? AND id <= ?", fromEvent(t, st, sub.ID), upTo).Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, e := range evs {
		for i, h := range integrations.Map(e) {
			for _, typ := range types {
				if h.Type == typ {
					want[integrations.EventID(e.ID, i)] = h.Type
				}
			}
		}
	}
	// After a long outage (the 10,000-row intake keeps the receiver down for
	// its whole run) a delivery's next try can be up to the capped backoff
	// away: the wait covers it.
	waitUntil(t, 4*time.Minute+integrations.Backoff(integrations.MaxAttempts), "every event received", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		for id := range want {
			if rcv.seen[id] == 0 {
				return false
			}
		}
		return true
	})
	dups := 0
	rcv.mu.Lock()
	for _, n := range rcv.seen {
		dups += n - 1
	}
	calls := rcv.calls
	rcv.mu.Unlock()
	t.Logf("%d webhook events received %s after the receiver came back (%d calls refused while down, %d calls in all, %d duplicates)",
		len(want), time.Since(upAt).Round(time.Second), refused, calls, dups)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	// In order per object: the source event ids of each object only grow.
	last := map[string][2]int64{}
	for _, pl := range rcv.order {
		src, n := sourceOf(t, pl.ID)
		k := fmt.Sprintf("%s:%d", pl.Object.Type, pl.Object.ID)
		if prev, ok := last[k]; ok && (src < prev[0] || (src == prev[0] && int64(n) < prev[1])) {
			t.Fatalf("%s out of order: %s after evt_%d_%d", k, pl.ID, prev[0], prev[1])
		}
		last[k] = [2]int64{src, int64(n)}
	}
	// Exactly the subscribed events: nothing the events table does not mean.
	for _, pl := range rcv.order {
		if src, _ := sourceOf(t, pl.ID); src <= upTo && want[pl.ID] == "" {
			t.Fatalf("unexpected event %s %s", pl.ID, pl.Type)
		}
	}
	byType := map[string]int{}
	for _, typ := range want {
		byType[typ]++
	}
	if byType[integrations.HookIntakeFinished] != 1 || byType[integrations.HookCasePromiseToPay] != 1 || byType[integrations.HookCaseClosed] != 1 ||
		byType[integrations.HookCaseAssigned] == 0 {
		t.Fatalf("event kinds %v", byType)
	}
	// The promised and closed case's events, in order.
	var seq []string
	for _, pl := range rcv.order {
		if pl.Object.Type == "case" && pl.Object.ID == caseID {
			seq = append(seq, pl.Type)
		}
	}
	joined := strings.Join(seq, " ")
	if !strings.HasPrefix(joined, integrations.HookCaseAssigned) || !strings.HasSuffix(joined, integrations.HookCasePromiseToPay+" "+integrations.HookCaseClosed) {
		t.Fatalf("case %d events %q", caseID, joined)
	}
	var fin integrations.Payload
	for _, pl := range rcv.order {
		if pl.Type == integrations.HookIntakeFinished {
			fin = pl
		}
	}
	if fin.Object.ID != job.Job.ID || fin.Data["status"] != "completed" {
		t.Fatalf("intake finished %+v", fin)
	}
	// Every case the history shows assigned was announced as assigned.
	assignedSeen := map[int64]bool{}
	for _, pl := range rcv.order {
		if pl.Type == integrations.HookCaseAssigned {
			assignedSeen[pl.Object.ID] = true
		}
	}
	for _, id := range assignedCases {
		if !assignedSeen[id] {
			t.Fatalf("case %d was assigned (history) but no case.assigned arrived", id)
		}
	}
	if len(assignedCases) == 0 {
		t.Fatal("no case was assigned")
	}
	t.Logf("%d cases assigned, each announced", len(assignedCases))
	// The delivery log shows the retries; the key's last use is recorded.
	var retried int64
	db.Raw(`SELECT count(*) FROM webhook_deliveries WHERE subscription_id = ? AND attempts > 1`, sub.ID).Scan(&retried)
	if retried == 0 {
		t.Fatal("no delivery was retried")
	}
	var used *time.Time
	db.Raw(`SELECT last_used_at FROM api_keys WHERE id = ?`, key.ID).Scan(&used)
	if used == nil {
		t.Fatal("last_used_at not set")
	}
	t.Logf("whole run %s; %d deliveries retried", time.Since(started).Round(time.Second), retried)
}

func fromEvent(t *testing.T, st *stack, subID int64) int64 {
	var from int64
	if err := st.db.Gorm.Raw(`SELECT from_event_id FROM webhook_subscriptions WHERE id = ?`, subID).Scan(&from).Error; err != nil {
		t.Fatal(err)
	}
	return from
}
