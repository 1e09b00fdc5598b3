package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

// A customer known only by business-scoped user id (no phone in the
// webhook) writes; the agent's answer reaches them, sent with "recipient".
func TestBSUIDOnlyCustomerAnswered(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ws := st.connect(seed.ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	const bsuid = "ID.7700112233ABCD"
	st.simPost("/sim/customers/6281399990000/messages", map[string]any{"type": "text", "text": "Halo, saya pakai nama pengguna",
		"name": "Rani", "phoneNumberId": e2ePNID, "userId": bsuid, "hidePhone": true})
	assigned := ws.waitFor(t, 15*time.Second, "conversation assigned", eventful(models.EventConversationUpdated,
		map[string]any{"change": "assigned", "assigneeAgentId": seed.ayuID}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	var phone *string
	st.db.Gorm.Raw(`SELECT c.phone_e164 FROM contacts c JOIN conversations v ON v.contact_id = c.id WHERE v.id = ?`, conv.ID).Scan(&phone)
	if phone != nil {
		t.Fatalf("the webhook had no phone, yet the contact has %s", *phone)
	}
	var sent models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu,
		map[string]any{"type": "text", "text": "Halo Rani, ada yang bisa dibantu?"}, &sent, "Idempotency-Key", "bsuid-1"); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	ws.waitFor(t, 15*time.Second, "reply read", eventful(models.EventMessageStatus, map[string]any{"id": sent.ID, "status": "read"}))
	for _, e := range st.sim.Outbox() {
		if e.Type != "text" {
			continue
		}
		var body map[string]any
		_ = json.Unmarshal(e.Body, &body)
		if e.ErrorCode != 0 || body["recipient"] != bsuid || body["to"] != nil {
			t.Fatalf("the simulator got %+v", e)
		}
	}
}
