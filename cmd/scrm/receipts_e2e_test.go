package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/waba/sim"
)

// An agent opens a customer's conversation: the worker marks the newest
// inbound message read on WhatsApp (the simulator accepts it only for a
// message that number received), once; while the agent types the customer
// sees "typing..." (one call per 20 s however fast the agent types); an
// agent who cannot see the conversation gets 404 and sends nothing.
func TestReadReceiptAndTypingIndicator(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ayuWS := st.connect(seed.ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo", "name": "Siti", "phoneNumberId": e2ePNID})
	assigned := ayuWS.waitFor(t, 15*time.Second, "assigned to ayu", eventful(models.EventConversationUpdated,
		map[string]any{"change": "assigned", "assigneeAgentId": seed.ayuID}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Tolong dibalas", "phoneNumberId": e2ePNID})
	ayuWS.waitFor(t, 10*time.Second, "second message", eventful(models.EventMessageCreated, map[string]any{"body": "Tolong dibalas"}))
	var msgs inbox.MessagesPage
	st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu, nil, &msgs)
	newest := ""
	for _, m := range msgs.Items {
		if m.Direction == models.DirIn && m.WAMID != nil && m.Body == "Tolong dibalas" {
			newest = *m.WAMID
		}
	}
	if newest == "" {
		t.Fatalf("no inbound wamid in %+v", msgs.Items)
	}
	reads := func(typing bool) []sim.ReadEntry {
		var out []sim.ReadEntry
		for _, r := range st.sim.Reads() {
			if r.Typing == typing {
				out = append(out, r)
			}
		}
		return out
	}

	// Budi (another agent, not his conversation) can neither read nor type.
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/typing", conv.ID), seed.budi, nil, nil); code != 404 {
		t.Fatalf("budi typing: %d, want 404", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/read", conv.ID), seed.budi, nil, nil); code != 404 {
		t.Fatalf("budi read: %d, want 404", code)
	}

	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/read", conv.ID), seed.ayu, nil, nil); code != 200 {
		t.Fatalf("read: %d", code)
	}
	waitUntil(t, 10*time.Second, "read receipt at Meta", func() bool { return len(reads(false)) == 1 })
	if r := reads(false)[0]; r.MessageID != newest || r.PhoneNumberID != e2ePNID {
		t.Fatalf("receipt %+v, want %s from %s", r, newest, e2ePNID)
	}
	// Opening it again marks nothing new.
	st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/read", conv.ID), seed.ayu, nil, nil)
	var queued int64
	st.db.Gorm.Raw(`SELECT count(*) FROM read_receipts`).Scan(&queued)
	time.Sleep(time.Second)
	if n := len(reads(false)); n != 1 || queued != 0 {
		t.Fatalf("%d receipts after opening twice (%d queued), want 1", n, queued)
	}

	var typed struct {
		Queued bool `json:"queued"`
	}
	for i := range 5 {
		if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/typing", conv.ID), seed.ayu, nil, &typed); code != 202 || typed.Queued != (i == 0) {
			t.Fatalf("typing %d: %d queued=%v", i, code, typed.Queued)
		}
	}
	waitUntil(t, 10*time.Second, "typing indicator at Meta", func() bool { return len(reads(true)) == 1 })
	time.Sleep(time.Second)
	if r := reads(true); len(r) != 1 || r[0].MessageID != newest {
		t.Fatalf("typing indicators %+v, want one for %s", r, newest)
	}
	// Without inbound in the last 30 days there is nothing to mark.
	st.db.Gorm.Exec(`UPDATE messages SET created_at = now() - interval '31 days' WHERE conversation_id = ?`, conv.ID)
	st.db.Gorm.Exec(`UPDATE conversations SET typing_sent_at = NULL, receipted_wamid = NULL WHERE id = ?`, conv.ID)
	st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/typing", conv.ID), seed.ayu, nil, &typed)
	if typed.Queued {
		t.Fatal("typing queued for a conversation with no inbound message in 30 days")
	}
}
