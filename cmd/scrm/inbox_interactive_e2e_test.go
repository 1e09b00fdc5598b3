package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

// An agent sends reply buttons and a list from the inbox inside the
// customer's window; the strict simulator accepts them as Meta would, the
// customer taps one of each, and the taps come back into the thread with
// the chosen ids. A message over Meta's limits is a field error before
// anything is stored; outside the window it is the 409 every free-form
// send gets.
func TestInboxInteractiveSends(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ws := st.connect(seed.ayu)
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Bagaimana cara bayar?", "phoneNumberId": e2ePNID})
	assigned := ws.waitFor(t, 15*time.Second, "conversation assigned to ayu", eventful(models.EventConversationUpdated,
		map[string]any{"change": "assigned", "assigneeAgentId": seed.ayuID}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)
	buttons := map[string]any{"type": "interactive", "interactive": map[string]any{"kind": "buttons", "body": "Pilih cara bayar",
		"choices": []map[string]any{{"id": "va", "title": "Virtual account"}, {"id": "agent", "title": "Bicara dengan agen"}}}}
	list := map[string]any{"type": "interactive", "interactive": map[string]any{"kind": "list", "body": "Kapan Anda akan membayar?",
		"button": "Pilih tanggal", "choices": []map[string]any{{"id": "ptp:2026-12-10", "title": "Kam, 10 Des"}, {"id": "ptp:2026-12-11", "title": "Jum, 11 Des", "description": "Sebelum 17.00"}}}}
	var b, l models.Message
	if code := st.call("POST", path, seed.ayu, buttons, &b, "Idempotency-Key", "btn-1"); code != 202 || b.Type != "interactive" {
		t.Fatalf("buttons: %d %+v", code, b)
	}
	if code := st.call("POST", path, seed.ayu, list, &l, "Idempotency-Key", "list-1"); code != 202 {
		t.Fatalf("list: %d", code)
	}
	if !strings.Contains(b.Body, "Pilih cara bayar") || !strings.Contains(b.Body, "Virtual account") {
		t.Fatalf("preview %q", b.Body)
	}
	// Delivered or read (a read can overtake its delivered status).
	waitUntil(t, 15*time.Second, "both delivered", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE id IN (?, ?) AND status IN ('delivered', 'read')`, b.ID, l.ID).Scan(&n)
		return n == 2
	})
	wamid := func(id int64) string {
		var w string
		st.db.Gorm.Raw(`SELECT wamid FROM messages WHERE id = ?`, id).Scan(&w)
		return w
	}
	// Meta's objects at the simulator, read raw.
	for _, e := range st.sim.Outbox() {
		if e.Type != "interactive" || e.ErrorCode != 0 {
			continue
		}
		var body struct {
			Interactive struct {
				Type   string `json:"type"`
				Action struct {
					Button   string            `json:"button"`
					Buttons  []json.RawMessage `json:"buttons"`
					Sections []struct {
						Rows []map[string]string `json:"rows"`
					} `json:"sections"`
				} `json:"action"`
			} `json:"interactive"`
		}
		_ = json.Unmarshal(e.Body, &body)
		switch e.WAMID {
		case wamid(b.ID):
			if body.Interactive.Type != "button" || len(body.Interactive.Action.Buttons) != 2 {
				t.Fatalf("buttons at the simulator: %s", e.Body)
			}
		case wamid(l.ID):
			if body.Interactive.Type != "list" || body.Interactive.Action.Button != "Pilih tanggal" || len(body.Interactive.Action.Sections) != 1 ||
				body.Interactive.Action.Sections[0].Rows[1]["description"] != "Sebelum 17.00" {
				t.Fatalf("list at the simulator: %s", e.Body)
			}
		}
	}
	// The customer taps "Bicara dengan agen" and the second date.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "interactive", "payload": "agent", "context": wamid(b.ID), "phoneNumberId": e2ePNID})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "list_reply", "payload": "ptp:2026-12-11", "context": wamid(l.ID), "phoneNumberId": e2ePNID})
	waitUntil(t, 15*time.Second, "both taps in the thread", func() bool {
		var taps []string
		st.db.Gorm.Raw(`SELECT COALESCE(payload->'interactive'->'button_reply'->>'id', payload->'interactive'->'list_reply'->>'id') FROM messages
			WHERE conversation_id = ? AND direction = 'in' AND type = 'interactive' ORDER BY id`, conv.ID).Scan(&taps)
		return strings.Join(taps, ",") == "agent,ptp:2026-12-11"
	})

	// Over Meta's limits: a field error, nothing stored.
	var before int64
	st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'out'`, conv.ID).Scan(&before)
	bad := map[string]any{"type": "interactive", "interactive": map[string]any{"kind": "buttons", "body": "Pilih",
		"choices": []map[string]any{{"id": "a", "title": "Satu"}, {"id": "b", "title": "Dua"}, {"id": "c", "title": "Tiga"}, {"id": "d", "title": "Empat"}}}}
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	if code := st.call("POST", path, seed.ayu, bad, &e); code != 400 || e.Error.Field != "interactive.choices" {
		t.Fatalf("four buttons: %d %+v", code, e)
	}
	var after int64
	st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'out'`, conv.ID).Scan(&after)
	if after != before {
		t.Fatalf("a refused interactive send stored %d rows", after-before)
	}
	// Outside the window: the free-form 409.
	st.db.Gorm.Exec(`UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = ?`, conv.ID)
	if code := st.call("POST", path, seed.ayu, buttons, nil, "Idempotency-Key", "btn-late"); code != 409 {
		t.Fatalf("interactive send outside the window: %d, want 409", code)
	}
}
