package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// TestWebhookPoisonItemDoesNotBlockDelivery is #17 finding 7: one string
// PostgreSQL refuses (NUL, invalid UTF-8, a lone surrogate escape) made the
// whole delivery 503, so Meta redelivered it for ever and the good
// messages in it were never stored. Now the delivery is acknowledged, the
// good messages are stored as they are, the refusable ones stored
// sanitised, and an item the database refuses even then (a message id too
// long for its index) is dead-lettered with its reason.
func TestWebhookPoisonItemDoesNotBlockDelivery(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	from := "6281277778888"
	rnd := make([]byte, 12000)
	_, _ = rand.Read(rnd)
	longID := "wamid." + hex.EncodeToString(rnd)
	msg := func(wamid, bodyJSON string) string {
		return `{"from":"` + from + `","id":"` + wamid + `","timestamp":"1763971200","type":"text","text":{"body":` + bodyJSON + `}}`
	}
	msgs := strings.Join([]string{
		msg("wamid.POISON.good", `"halo, cicilan saya"`),
		msg("wamid.POISON.nul", `"ha\u0000lo"`),
		msg("wamid.POISON.utf8", "\"caf\xe9 \xff\xfe\""),
		msg("wamid.POISON.surrogate", `"emoji \ud83d rusak"`),
		msg(longID, `"id terlalu panjang"`),
		msg("wamid.POISON.after", `"pesan terakhir"`),
	}, ",")
	value := `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"622150881234","phone_number_id":"` + testPNID + `"},
		"contacts":[{"profile":{"name":"Rina\u0000 Kartika"},"wa_id":"` + from + `"}],"messages":[` + msgs + `]}`
	body := envelope("messages", value)

	for attempt := 1; attempt <= 2; attempt++ { // Meta may redeliver: same outcome, nothing twice
		if w := e.postSigned(body); w.Code != http.StatusOK {
			t.Fatalf("attempt %d: delivery with poison items answered %d %s (want 200: the good items commit)", attempt, w.Code, w.Body.String())
		}
	}
	var stored []struct {
		WAMID string `gorm:"column:wamid"`
		Body  string
	}
	if err := e.db.Raw(`SELECT wamid, body FROM messages WHERE wamid LIKE 'wamid.POISON.%' ORDER BY id`).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"wamid.POISON.good":      "halo, cicilan saya",
		"wamid.POISON.nul":       "halo",
		"wamid.POISON.utf8":      "caf\uFFFD \uFFFD\uFFFD",
		"wamid.POISON.surrogate": "emoji \uFFFD rusak",
		"wamid.POISON.after":     "pesan terakhir",
	}
	if len(stored) != len(want) {
		t.Fatalf("stored %d messages %+v, want the %d storable ones once each", len(stored), stored, len(want))
	}
	for _, m := range stored {
		if want[m.WAMID] != m.Body {
			t.Errorf("%s stored with body %q, want %q", m.WAMID, m.Body, want[m.WAMID])
		}
	}
	// The raw payloads are kept too, re-encoded so JSONB takes them.
	if n := e.count(`SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.POISON.%' AND payload->'text'->>'body' = body`); n != int64(len(want)) {
		t.Errorf("%d of %d payloads stored with their text", n, len(want))
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE phone_e164 = ? AND name = 'Rina Kartika'`, "+"+from); n != 1 {
		t.Errorf("contact name not stored sanitised (NUL dropped): %d rows", n)
	}
	var dl []struct {
		Kind, ItemKey, Reason string
	}
	if err := e.db.Raw(`SELECT kind, item_key, reason FROM webhook_dead_letters`).Scan(&dl).Error; err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || dl[0].Kind != "message" || !strings.HasPrefix(dl[0].ItemKey, longID[:100]) || !strings.Contains(dl[0].Reason, "index row") {
		t.Fatalf("dead letters %+v, want the one over-long message id with PostgreSQL's reason, once across redeliveries", dl)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'message.created'`); n != int64(len(want)) {
		t.Errorf("%d message.created events, want %d (none for the dead letter, none twice)", n, len(want))
	}
}
