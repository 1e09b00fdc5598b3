package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

// A customer from a click-to-WhatsApp ad: the conversation keeps the ad,
// the agent's reply within 24 h opens the 72 h free entry point (the
// product's own reckoning and Meta's pricing on the status agree), and a
// message the business writes from the WhatsApp Business app on the same
// number (a coexistence echo) reaches the agent's screen as the business's
// message: no unread, no window, also to a customer who never wrote.
func TestAdReferralEntryPointAndCoexistenceEcho(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ws := st.connect(seed.ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya lihat iklannya", "name": "Siti", "phoneNumberId": e2ePNID,
		"referral": map[string]any{"sourceId": "120208", "headline": "Cicilan 0% untuk motor", "url": "https://fb.me/ad-120208"}})
	assigned := ws.waitFor(t, 15*time.Second, "assigned", eventful(models.EventConversationUpdated, map[string]any{"change": "assigned"}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	type view struct {
		Referral struct {
			SourceID string `json:"source_id"`
			Headline string `json:"headline"`
		} `json:"referral"`
		ReferralAt      *time.Time `json:"referralAt"`
		EntryPointUntil *time.Time `json:"entryPointUntil"`
		EntryPointOpen  bool       `json:"entryPointOpen"`
		WindowOpen      bool       `json:"windowOpen"`
		UnreadCount     int        `json:"unreadCount"`
		LastInboundAt   *time.Time `json:"lastInboundAt"`
	}
	get := func() view {
		t.Helper()
		var v view
		if code := st.call("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), seed.ayu, nil, &v); code != 200 {
			t.Fatalf("conversation: %d", code)
		}
		return v
	}
	v := get()
	if v.Referral.SourceID != "120208" || v.Referral.Headline != "Cicilan 0% untuk motor" || v.ReferralAt == nil || v.EntryPointUntil != nil || v.EntryPointOpen {
		t.Fatalf("before the reply: %+v", v)
	}

	// The reply opens the entry point: 72 h from the send.
	var sent models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu, map[string]any{"type": "text", "text": "Halo Siti, ini detailnya"}, &sent, "Idempotency-Key", "ad-reply-1"); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	var wamid string
	waitUntil(t, 15*time.Second, "reply delivered", func() bool {
		st.db.Gorm.Raw(`SELECT COALESCE(wamid, '') FROM messages WHERE id = ? AND status IN ('delivered','read')`, sent.ID).Scan(&wamid)
		return wamid != ""
	})
	var sentAt time.Time
	st.db.Gorm.Raw(`SELECT sent_at FROM messages WHERE id = ?`, sent.ID).Scan(&sentAt)
	v = get()
	if v.EntryPointUntil == nil || !v.EntryPointOpen {
		t.Fatalf("after the reply: %+v", v)
	}
	if d := v.EntryPointUntil.Sub(sentAt); d < 72*time.Hour-time.Second || d > 72*time.Hour+time.Second {
		t.Fatalf("entry point ends %v after the reply, want 72h", d)
	}
	// The delivered status may come after the read one, or be redelivered
	// after a 503 (a loaded CI run refused one): wait for its row.
	var pricing string
	waitUntil(t, 15*time.Second, "the delivered status stored", func() bool {
		st.db.Gorm.Raw(`SELECT COALESCE(payload->'pricing'->>'type', '') FROM message_statuses WHERE wamid = ? AND status = 'delivered'`, wamid).Scan(&pricing)
		return pricing != ""
	})
	if pricing != "free_entry_point" {
		t.Fatalf("Meta's pricing of the reply: %q", pricing)
	}

	// An echo: the business answers from the Business app.
	before := get()
	st.simPost("/sim/numbers/"+e2ePNID+"/echo", map[string]any{"to": e2eCustomer, "text": "Dikirim dari HP kantor"})
	ev := ws.waitFor(t, 10*time.Second, "echo on the agent's socket", eventful(models.EventMessageCreated,
		map[string]any{"conversationId": float64(conv.ID), "direction": "out", "origin": "business_app", "body": "Dikirim dari HP kantor"}))
	_ = ev
	after := get()
	if after.UnreadCount != before.UnreadCount || !after.LastInboundAt.Equal(*before.LastInboundAt) {
		t.Fatalf("an echo moved unread %d -> %d or the window %v -> %v", before.UnreadCount, after.UnreadCount, before.LastInboundAt, after.LastInboundAt)
	}
	var page struct {
		Items []models.Message `json:"items"`
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu, nil, &page); code != 200 || len(page.Items) == 0 {
		t.Fatalf("messages: %d %d", code, len(page.Items))
	}
	if m := page.Items[0]; m.Body != "Dikirim dari HP kantor" || m.Direction != "out" || m.Origin != models.OriginBusinessApp || m.Status != models.MsgSent {
		t.Fatalf("newest message: %+v", m)
	}

	// An echo to someone who never wrote: a new conversation holding the
	// business's message, no window.
	st.simPost("/sim/numbers/"+e2ePNID+"/echo", map[string]any{"to": "6281299990001", "text": "Halo Pak, dari toko kami"})
	waitUntil(t, 10*time.Second, "conversation of the new customer", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id
			JOIN messages m ON m.conversation_id = v.id
			WHERE c.phone_e164 = '+6281299990001' AND v.last_inbound_at IS NULL AND v.unread_count = 0
				AND m.direction = 'out' AND m.origin = 'business_app' AND m.body = 'Halo Pak, dari toko kami'`).Scan(&n)
		return n == 1
	})
}
