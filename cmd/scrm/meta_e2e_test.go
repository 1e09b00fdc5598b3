package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
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

// A campaign of a DOCUMENT-header template whose contacts' names hold
// tabs, new lines and long runs of spaces (as imports bring them) reaches
// every recipient: the header document goes from the campaign's mapping,
// the names are normalised before Meta would refuse them (132018).
func TestCampaignDocumentHeaderMessyNames(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaignNumbers(seed.admin, 1)
	// The sample document for review, through the Resumable Upload API.
	client := waba.NewClient(st.simURL, "v23.0", e2eWABAToken, nil)
	handle, err := client.UploadHandle(context.Background(), "400000000000001", "contoh-tagihan.pdf", "application/pdf", []byte("%PDF-1.4 contoh"))
	if err != nil {
		t.Fatal(err)
	}
	comps := []map[string]any{
		{"type": "HEADER", "format": "DOCUMENT", "example": map[string]any{"header_handle": []string{handle}}},
		{"type": "BODY", "text": "Yth. {{1}}, tagihan Anda terlampir. Terima kasih.", "example": map[string]any{"body_text": [][]string{{"Budi"}}}},
	}
	var tpl struct{ ID int64 }
	if code := st.call("POST", "/api/v1/templates", seed.admin, map[string]any{"name": "tagihan_pdf", "language": "id", "category": "UTILITY",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	waitUntil(t, 10*time.Second, "template approved", func() bool {
		var s string
		st.db.Gorm.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == "APPROVED"
	})
	names := []string{"Budi\tSantoso", "Sri     Rahayu", "Wayan\nAgus", "Dewi \r\n Lestari", "Ñoman\t\tAyu", "Rina"}
	for i, n := range names {
		if err := st.db.Gorm.Exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags) VALUES (?, ?, ?, ARRAY['pdf'])`,
			fmt.Sprintf("+6281700000%03d", i), fmt.Sprintf("6281700000%03d", i), n).Error; err != nil {
			t.Fatal(err)
		}
	}
	var sg struct{ ID int64 }
	if code := st.call("POST", "/api/v1/segments", seed.admin, map[string]any{"name": "pdf", "filter": map[string]any{"tags": []string{"pdf"}}}, &sg); code != 201 {
		t.Fatalf("segment: %d", code)
	}
	var created struct {
		Campaign struct{ ID int64 } `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if code := st.call("POST", "/api/v1/campaigns", seed.admin, map[string]any{"name": "Tagihan PDF", "templateId": tpl.ID, "segmentId": sg.ID,
		"senderIds": cs.senderIDs, "variables": map[string]string{"body.1": "contact.name", "header.media": "https://contoh.co.id/tagihan.pdf"},
		"quietHours": allDay}, &created); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", created.Campaign.ID), seed.admin, nil, nil); code != 202 {
		t.Fatalf("launch: %d", code)
	}
	waitUntil(t, 60*time.Second, "every recipient sent", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`, created.Campaign.ID).Scan(&n)
		return n == int64(len(names))
	})
	got := map[string]bool{}
	for _, e := range st.sim.Outbox() {
		if e.Type != "template" {
			continue
		}
		if e.ErrorCode != 0 {
			t.Fatalf("the simulator refused a campaign send: %d %s", e.ErrorCode, e.Body)
		}
		var body struct {
			Template struct {
				Components []struct {
					Type       string `json:"type"`
					Parameters []struct {
						Type     string `json:"type"`
						Text     string `json:"text"`
						Document *struct {
							Link string `json:"link"`
						} `json:"document"`
					} `json:"parameters"`
				} `json:"components"`
			} `json:"template"`
		}
		_ = json.Unmarshal(e.Body, &body)
		c := body.Template.Components
		if len(c) != 2 || c[0].Parameters[0].Document == nil || c[0].Parameters[0].Document.Link != "https://contoh.co.id/tagihan.pdf" {
			t.Fatalf("header: %s", e.Body)
		}
		got[c[1].Parameters[0].Text] = true
	}
	for _, want := range []string{"Budi Santoso", "Sri Rahayu", "Wayan Agus", "Dewi Lestari", "Ñoman Ayu", "Rina"} {
		if !got[want] {
			t.Errorf("no send with the name %q (got %v)", want, got)
		}
	}
}
