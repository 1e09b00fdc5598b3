package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker/testenv"
)

// Every delivery is counted once by its outcome, stored items by kind, and
// the request histogram carries the webhook's 5xx during an outage: the
// series the webhook alerts and dashboard read.
func TestWebhookMetrics(t *testing.T) {
	t.Parallel()
	tdb := testenv.NewDB(t)
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Stores: StoresOn(tdb.Gorm, nil), WABAAppSecret: testSecret, WABAVerifyToken: testVerify})
	e := &webhookEnv{t: t, db: tdb.Gorm, h: s.Handler()}
	e.exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES (?, ?, '+62 21 5088 1234')`, testPNID, testWABA)

	two := `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"622150881234","phone_number_id":"` + testPNID + `"},
		"contacts":[{"profile":{"name":"Sari"},"wa_id":"6281211110000"}],
		"messages":[` + textMsg("wamid.M1", "6281211110000", "satu") + `,` + textMsg("wamid.M2", "6281211110000", "dua") + `]}`
	for _, d := range []struct {
		body, sig string
		code      int
	}{
		{envelope("messages", two), "sign", 200},
		{envelope("messages", two), "sign", 200}, // Meta's redelivery: stored (again) as a no-op
		{envelope("calls", `{"calls":[{"id":"x"}]}`), "sign", 200},
		{envelope("messages", two), "sha256=00", 401},
		{`not json`, "sign", 400},
	} {
		sig := d.sig
		if sig == "sign" {
			sig = waba.Sign([]byte(testSecret), []byte(d.body))
		}
		if w := e.post(d.body, sig); w.Code != d.code {
			t.Fatalf("%.40s: %d, want %d", d.body, w.Code, d.code)
		}
	}
	sqlDB, _ := tdb.Gorm.DB()
	_ = sqlDB.Close()
	if w := e.postSigned(envelope("messages", two)); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("outage: %d", w.Code)
	}

	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	w := httptest.NewRecorder()
	Internal(InternalOptions{Logger: s.deps.Logger, Registry: s.deps.Registry}).ServeHTTP(w, req)
	text := w.Body.String()
	for _, line := range []string{
		`scrm_webhook_deliveries_total{result="stored"} 2`,
		`scrm_webhook_deliveries_total{result="empty"} 1`,
		`scrm_webhook_deliveries_total{result="bad_signature"} 1`,
		`scrm_webhook_deliveries_total{result="invalid"} 1`,
		`scrm_webhook_deliveries_total{result="unavailable"} 1`,
		`scrm_webhook_items_total{kind="message"} 4`,
		`scrm_webhook_items_total{kind="status"} 0`,
		`scrm_http_request_duration_seconds_count{method="POST",route="/webhooks/whatsapp",status="503"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
