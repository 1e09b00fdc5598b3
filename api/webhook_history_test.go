package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A coexistence number's history sync, from the strict simulator through the
// signed webhook: past messages of both directions land in the right
// conversations with their times and statuses, count nothing unread and
// open no window.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/history
func TestWebhookHistorySync(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	body := `{"progress":100,"threads":[
		{"user":"6281200000001","messages":[{"text":"Pesanan saya sudah dikirim?","secondsAgo":86400},{"fromBusiness":true,"text":"Sudah, Bu","secondsAgo":86000,"status":"READ"}]},
		{"user":"6281200000002","messages":[{"fromBusiness":true,"text":"Promo minggu ini","secondsAgo":3600}]}]}`
	resp, err := http.Post(e.simS.URL+"/sim/numbers/"+testPNID+"/history", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("history: %d", resp.StatusCode)
	}
	type row struct {
		Phone, Direction, Body, Status, Origin string
		Unread                                 int
		Window                                 bool
		Age                                    float64
	}
	var rows []row
	e.db.Gorm.Raw(`SELECT c.phone_e164 AS phone, m.direction, m.body, m.status, m.origin, v.unread_count AS unread,
			v.last_inbound_at IS NOT NULL AS window, extract(epoch FROM now() - m.created_at) AS age
		FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id ORDER BY m.created_at`).Scan(&rows)
	if len(rows) != 3 {
		t.Fatalf("%d messages stored: %+v", len(rows), rows)
	}
	want := []row{{"+6281200000001", "in", "Pesanan saya sudah dikirim?", "received", "history", 0, false, 86400},
		{"+6281200000001", "out", "Sudah, Bu", "read", "history", 0, false, 86000},
		{"+6281200000002", "out", "Promo minggu ini", "delivered", "history", 0, false, 3600}}
	for i, w := range want {
		g := rows[i]
		if g.Phone != w.Phone || g.Direction != w.Direction || g.Body != w.Body || g.Status != w.Status || g.Origin != w.Origin || g.Unread != 0 || g.Window {
			t.Errorf("message %d: %+v, want %+v", i, g, w)
		}
		if d := time.Duration((g.Age - w.Age) * float64(time.Second)); d < -time.Minute || d > time.Minute {
			t.Errorf("message %d is %.0f s old, want %.0f", i, g.Age, w.Age)
		}
	}
}
