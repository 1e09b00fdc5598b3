package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/workflows"
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

// Meta restricts the account of one campaign number and its account_update
// webhook comes 4 s after the sends start answering 368 (Meta gives no order
// between the two). The first 368 pauses the number with WhatsApp's reason,
// before the webhook; the refused recipients wait instead of failing one by
// one; the other numbers finish; the webhook then names the restriction;
// reinstatement resumes the number and every recipient is sent exactly once.
func TestCampaignPausesOnAccountRestriction(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	const n = 2400
	seg := st.audience(seed.admin, "restrict", 500001, n)
	id := st.launchCampaign(cs, "Restrict", seg, n)
	count := func(q string, args ...any) int64 {
		var c int64
		st.db.Gorm.Raw(q, append([]any{id}, args...)...).Scan(&c)
		return c
	}
	waitUntil(t, 30*time.Second, "100 sent", func() bool {
		return count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`) >= 100
	})
	restricted := time.Now()
	st.simPost("/sim/numbers/"+cs.pnids[0]+"/account", map[string]any{"event": "ACCOUNT_RESTRICTION",
		"restrictionType": "RESTRICTED_BIZ_INITIATED_MESSAGING", "hours": 24, "delaySeconds": 4})
	var disp struct {
		Dispatcher *workflows.SenderState `json:"dispatcher"`
	}
	dispatcher := func(reason string) func() bool {
		return func() bool {
			st.call("GET", fmt.Sprintf("/api/v1/senders/%d/dispatch", cs.senderIDs[0]), cs.admin, nil, &disp)
			return disp.Dispatcher != nil && disp.Dispatcher.Status == workflows.SenderPaused && strings.Contains(disp.Dispatcher.Reason, reason)
		}
	}
	waitUntil(t, 4*time.Second, "dispatcher paused by the 368 itself, before the webhook", dispatcher("WhatsApp refused sends (368)"))
	paused := time.Now()
	t.Logf("paused %v after the restriction, before its webhook: %s", paused.Sub(restricted).Round(time.Millisecond), disp.Dispatcher.Reason)
	waitUntil(t, 15*time.Second, "the late webhook names the restriction", dispatcher("WhatsApp restricted the account"))
	waitUntil(t, 60*time.Second, "others done", func() bool {
		return count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'queued' AND sender_id <> ?`, cs.senderIDs[0]) == 0
	})
	waiting := count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'queued'`)
	if waiting == 0 {
		t.Fatal("the restricted number's recipients did not wait")
	}
	reinstated := time.Now()
	st.simPost("/sim/numbers/"+cs.pnids[0]+"/account", map[string]any{"event": "REINSTATED"})
	waitUntil(t, 90*time.Second, "completed after reinstatement", func() bool {
		var s string
		st.db.Gorm.Raw(`SELECT status FROM campaigns WHERE id = ?`, id).Scan(&s)
		return s == campaigns.CampaignCompleted
	})
	refused := 0
	accepted := map[string]int{}
	for _, e := range st.sim.Outbox() {
		if e.ErrorCode == 0 {
			accepted[e.To]++
		}
		if e.PhoneNumberID != cs.pnids[0] {
			continue
		}
		if e.At.After(paused.Add(time.Second)) && e.At.Before(reinstated) {
			t.Fatalf("send from the restricted number %v after the pause", e.At.Sub(paused))
		}
		if e.ErrorCode == 368 {
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("no send was refused with 368: the pause came from the webhook, not the refusal")
	}
	sent := count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`)
	failed := count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'failed'`)
	if sent != n || failed != 0 || len(accepted) != n {
		t.Fatalf("sent %d, failed %d, %d customers got a message, of %d (the simulator refused %d with 368)", sent, failed, len(accepted), n, refused)
	}
	for to, k := range accepted {
		if k != 1 {
			t.Fatalf("%s got %d messages", to, k)
		}
	}
	t.Logf("%d waited for reinstatement, %d refused with 368 waited too and went once", waiting, refused)
}

// WhatsApp pauses a campaign's template mid-send (message_template_status_update
// PAUSED): the campaign is paused at once with the reason on screen, the
// sends refused with 132015 in the meantime wait instead of failing, an
// operator's resume answers 409 with the reason, and when Meta approves the
// template again the campaign resumes by itself and every recipient gets
// exactly one message.
func TestCampaignHeldByTemplatePause(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	const n = 1500
	seg := st.audience(seed.admin, "tplpause", 600001, n)
	id := st.launchCampaign(cs, "TemplatePause", seg, n)
	count := func(q string) int64 {
		var c int64
		st.db.Gorm.Raw(q, id).Scan(&c)
		return c
	}
	waitUntil(t, 30*time.Second, "100 sent", func() bool {
		return count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`) >= 100
	})
	var tpl struct {
		MetaID string
		Name   string
	}
	st.db.Gorm.Raw(`SELECT t.meta_id, t.name FROM templates t JOIN campaigns c ON c.template_id = t.id WHERE c.id = ?`, id).Scan(&tpl)
	pausedAt := time.Now()
	st.simPost("/sim/templates/"+tpl.MetaID+"/review", map[string]any{"status": "PAUSED", "reason": "LOW_QUALITY"})
	var c struct {
		Status           string  `json:"status"`
		StatusReason     string  `json:"statusReason"`
		TemplateHoldFrom *string `json:"templateHoldFrom"`
	}
	get := func() {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", id), cs.admin, nil, &c)
	}
	waitUntil(t, 5*time.Second, "campaign paused with WhatsApp's reason", func() bool {
		get()
		return c.Status == campaigns.CampaignPaused && strings.Contains(c.StatusReason, "WhatsApp paused template "+tpl.Name) && c.TemplateHoldFrom != nil
	})
	t.Logf("campaign paused %v after the template: %q", time.Since(pausedAt).Round(time.Millisecond), c.StatusReason)
	time.Sleep(2 * time.Second) // sends on their way have landed or been refused
	before := len(st.sim.Outbox())
	time.Sleep(3 * time.Second)
	if after := len(st.sim.Outbox()); after != before {
		t.Fatalf("%d sends while the template was paused", after-before)
	}
	var resume map[string]any
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/resume", id), cs.admin, nil, &resume); code != 409 {
		t.Fatalf("resume of a held campaign: %d %v, want 409", code, resume)
	}
	if f := count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'failed'`); f != 0 {
		t.Fatalf("%d recipients failed while the template was paused", f)
	}
	st.simPost("/sim/templates/"+tpl.MetaID+"/review", map[string]any{"status": "APPROVED"})
	waitUntil(t, 120*time.Second, "completed after the template's approval", func() bool {
		get()
		return c.Status == campaigns.CampaignCompleted
	})
	refused := 0
	accepted := map[string]int{}
	for _, e := range st.sim.Outbox() {
		if e.ErrorCode == 132015 {
			refused++
		} else if e.ErrorCode == 0 {
			accepted[e.To]++
		}
	}
	sent := count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`)
	if sent != n || len(accepted) != n {
		t.Fatalf("sent %d, %d customers got a message, of %d", sent, len(accepted), n)
	}
	for to, k := range accepted {
		if k != 1 {
			t.Fatalf("%s got %d messages", to, k)
		}
	}
	t.Logf("%d sends refused with 132015 before the webhook waited and went once", refused)
}

// A customer taps "stop" (user_preferences) and another writes BERHENTI:
// the next marketing campaign skips both.
func TestStopMeansNoFurtherMarketing(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaignNumbers(seed.admin, 1)
	seg := st.audience(seed.admin, "stop", 600001, 10) // 10 reachable + 5 opted out
	a, b := "62813"+fmt.Sprintf("%08d", 600001), "62813"+fmt.Sprintf("%08d", 600002)
	st.simPost("/sim/customers/"+a+"/preferences", map[string]any{"value": "stop", "phoneNumberId": cs.pnids[0]})
	st.simPost("/sim/customers/"+b+"/messages", map[string]any{"type": "text", "text": "BERHENTI", "phoneNumberId": cs.pnids[0]})
	var opted int64
	st.db.Gorm.Raw(`SELECT count(*) FROM contacts WHERE wa_id IN (?, ?) AND opted_out`, a, b).Scan(&opted)
	if opted != 2 {
		t.Fatalf("opted out after stop/BERHENTI: %d of 2", opted)
	}
	var created struct {
		Campaign struct{ ID int64 } `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if code := st.call("POST", "/api/v1/campaigns", seed.admin, map[string]any{"name": "Promo", "templateId": cs.template, "segmentId": seg,
		"senderIds": cs.senderIDs, "variables": map[string]string{"body.1": "contact.name", "body.2": "cicilan 0%"}, "quietHours": allDay}, &created); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", created.Campaign.ID), seed.admin, nil, nil); code != 202 {
		t.Fatalf("launch: %d", code)
	}
	waitUntil(t, 60*time.Second, "campaign completed", func() bool {
		var s string
		st.db.Gorm.Raw(`SELECT status FROM campaigns WHERE id = ?`, created.Campaign.ID).Scan(&s)
		return s == campaigns.CampaignCompleted
	})
	for _, e := range st.sim.Outbox() {
		if e.Type == "template" && (e.To == a || e.To == b) {
			t.Fatalf("marketing sent to %s after they stopped it", e.To)
		}
	}
	var sentN int64
	st.db.Gorm.Raw(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`, created.Campaign.ID).Scan(&sentN)
	if sentN != 8 {
		t.Fatalf("sent %d, want the 8 who did not stop", sentN)
	}
}

// The customer moves to a new phone number (user_changed_number): one
// contact and one conversation, a system line the agent sees, no unread.
func TestUserChangedNumberKeepsOneConversation(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ws := st.connect(seed.ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo", "name": "Siti", "phoneNumberId": e2ePNID})
	assigned := ws.waitFor(t, 15*time.Second, "assigned", eventful(models.EventConversationUpdated, map[string]any{"change": "assigned"}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	var unread int
	st.db.Gorm.Raw(`SELECT unread_count FROM conversations WHERE id = ?`, conv.ID).Scan(&unread)
	st.simPost("/sim/customers/"+e2eCustomer+"/change-number", map[string]any{"newPhone": "6289900002222", "phoneNumberId": e2ePNID})
	ws.waitFor(t, 10*time.Second, "system line", eventful(models.EventMessageCreated, map[string]any{"type": "system", "conversationId": float64(conv.ID)}))
	var after int
	st.db.Gorm.Raw(`SELECT unread_count FROM conversations WHERE id = ?`, conv.ID).Scan(&after)
	if after != unread {
		t.Fatalf("unread %d -> %d after a system message", unread, after)
	}
	st.simPost("/sim/customers/6289900002222/messages", map[string]any{"type": "text", "text": "Ini nomor baru saya", "phoneNumberId": e2ePNID})
	ws.waitFor(t, 10*time.Second, "message from the new number", eventful(models.EventMessageCreated, map[string]any{"body": "Ini nomor baru saya", "conversationId": float64(conv.ID)}))
	var contacts, convs int64
	st.db.Gorm.Raw(`SELECT count(*) FROM contacts`).Scan(&contacts)
	st.db.Gorm.Raw(`SELECT count(*) FROM conversations`).Scan(&convs)
	if contacts != 1 || convs != 1 {
		t.Fatalf("%d contacts, %d conversations after the number change", contacts, convs)
	}
	// The agent's answer goes to the new number.
	var sent models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu, map[string]any{"type": "text", "text": "Baik, tercatat"}, &sent, "Idempotency-Key", "new-1"); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	waitUntil(t, 10*time.Second, "reply at the new number", func() bool {
		for _, e := range st.sim.Outbox() {
			if e.Type == "text" && e.To == "6289900002222" && e.ErrorCode == 0 {
				return true
			}
		}
		return false
	})
}
