package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// A campaign test send goes through the inbox path to the (simulated) Cloud
// API exactly once: real PostgreSQL, Temporal ConversationWorkflow, sim.
func TestCampaignTestSendEndToEnd(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	seg := st.audience(seed.admin, "uji", 1, 3)
	var created struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	if code := st.call("POST", "/api/v1/campaigns", cs.admin, map[string]any{"name": "Uji kirim", "templateId": cs.template, "segmentId": seg,
		"senderIds": cs.senderIDs, "variables": map[string]string{"body.1": "contact.name", "body.2": "cicilan 0%"}}, &created); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d/test-send", created.Campaign.ID)
	type testSend struct {
		Message        models.Message `json:"message"`
		ContactID      int64          `json:"contactId"`
		ContactCreated bool           `json:"contactCreated"`
		SenderID       int64          `json:"senderId"`
		Preview        string         `json:"preview"`
	}
	var e struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	sentTo := func(msgID int64) []string {
		var to []string
		for _, o := range st.sim.Outbox() {
			if o.BizOpaque == strconv.FormatInt(msgID, 10) && o.ErrorCode == 0 {
				to = append(to, o.To)
			}
		}
		return to
	}
	waitSent := func(msgID int64) {
		t.Helper()
		waitUntil(t, 20*time.Second, "test message sent", func() bool {
			var status string
			st.db.Gorm.Raw(`SELECT status FROM messages WHERE id = ? AND wamid IS NOT NULL`, msgID).Scan(&status)
			return status == models.MsgSent || status == models.MsgDelivered || status == models.MsgRead
		})
	}

	// A contact of the audience, any spelling of its number.
	var ts testSend
	if code := st.call("POST", path, cs.admin, map[string]string{"phone": "0813-0000-0001"}, &ts, "Idempotency-Key", "uji-1"); code != 202 {
		t.Fatalf("test send: %d %+v", code, ts)
	}
	if ts.Preview != "Halo Pelanggan 1, ada promo cicilan 0% untuk Anda minggu ini." || ts.ContactCreated {
		t.Fatalf("test send %+v", ts)
	}
	waitSent(ts.Message.ID)
	if to := sentTo(ts.Message.ID); len(to) != 1 || to[0] != "6281300000001" {
		t.Fatalf("sim received %v", to)
	}
	var body struct {
		Template struct {
			Name       string
			Components []struct{ Parameters []struct{ Text string } }
		}
	}
	for _, o := range st.sim.Outbox() {
		if o.BizOpaque == strconv.FormatInt(ts.Message.ID, 10) {
			if err := json.Unmarshal(o.Body, &body); err != nil || body.Template.Name != "promo_cicilan" ||
				body.Template.Components[0].Parameters[1].Text != "cicilan 0%" {
				t.Fatalf("sent body %s: %v", o.Body, err)
			}
		}
	}
	// The same Idempotency-Key: the same row, nothing sent again.
	var again testSend
	if code := st.call("POST", path, cs.admin, map[string]string{"phone": "+62 813 0000 0001"}, &again, "Idempotency-Key", "uji-1"); code != 200 ||
		again.Message.ID != ts.Message.ID {
		t.Fatalf("replay: %d %+v", code, again)
	}
	// The same key with other values is another request: 422, nothing sent.
	if code := st.call("POST", path, cs.admin, map[string]any{"phone": "0813-0000-0001", "values": map[string]string{"body.1": "Pak Lain"}},
		&e, "Idempotency-Key", "uji-1"); code != 422 || e.Error.Field != "Idempotency-Key" {
		t.Fatalf("reused key with other values: %d %+v", code, e)
	}
	time.Sleep(500 * time.Millisecond)
	if to := sentTo(ts.Message.ID); len(to) != 1 {
		t.Fatalf("replay sent again: %v", to)
	}

	// A number that is no contact: contact.name cannot be filled -> 422;
	// with the value given it is sent and the number becomes a contact.
	if code := st.call("POST", path, cs.admin, map[string]string{"phone": "081277776666"}, &e); code != 422 || e.Error.Field != "variables" {
		t.Fatalf("unknown number: %d %+v", code, e)
	}
	var ts2 testSend
	if code := st.call("POST", path, cs.admin, map[string]any{"phone": "081277776666", "values": map[string]string{"body.1": "Penguji"}}, &ts2); code != 202 ||
		!ts2.ContactCreated {
		t.Fatalf("unknown number with values: %d %+v", code, ts2)
	}
	waitSent(ts2.Message.ID)
	if to := sentTo(ts2.Message.ID); len(to) != 1 || to[0] != "6281277776666" {
		t.Fatalf("sim received %v", to)
	}

	// A test send is not a campaign recipient.
	var v struct {
		Funnel campaigns.Funnel `json:"funnel"`
	}
	st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", created.Campaign.ID), cs.admin, nil, &v)
	if v.Funnel.Recipients != 0 {
		t.Fatalf("funnel %+v", v.Funnel)
	}
	// A template that is no longer APPROVED is refused before anything is stored.
	st.db.Gorm.Exec(`UPDATE templates SET status = 'PAUSED' WHERE id = ?`, cs.template)
	var before int64
	st.db.Gorm.Raw(`SELECT count(*) FROM messages`).Scan(&before)
	if code := st.call("POST", path, cs.admin, map[string]string{"phone": "0813-0000-0002"}, &e); code != 422 || e.Error.Field != "templateId" {
		t.Fatalf("paused template: %d %+v", code, e)
	}
	var after int64
	st.db.Gorm.Raw(`SELECT count(*) FROM messages`).Scan(&after)
	if after != before {
		t.Fatalf("refused test send stored %d messages", after-before)
	}
}
