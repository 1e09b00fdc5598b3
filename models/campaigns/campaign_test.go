package campaigns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/worker/testenv"
)

// campaignFixture: 2 senders, an approved template with one variable, and a
// segment of 6 contacts (one opted out, one without any number, one with a
// recent template from elsewhere).
func campaignFixture(t *testing.T) (campaigns.CampaignStore, int64, []int64) {
	t.Helper()
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1'), (2, 'PN2', '+62 21 2')`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED',
		'[{"type":"BODY","text":"Halo {{1}}, kode {{2}}","example":{"body_text":[["Budi","X"]]}}]')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, bsuid, name, tags, opted_out) VALUES
		(1, '+6281100000001', '6281100000001', NULL, 'Ani', '{promo}', false),
		(2, '+6281100000002', '6281100000002', NULL, 'Budi', '{promo}', true),
		(3, NULL, '', 'ID.3', 'NoNumber', '{promo}', false),
		(4, '+6281100000004', '6281100000004', NULL, 'Capped', '{promo}', false),
		(5, '+62967100000005', '62967100000005', NULL, 'Papua', '{promo}', false),
		(6, '+6281100000006', '6281100000006', NULL, '', '{promo}', false)`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'promo', '{"tags":["promo"]}')`)
	exec(`INSERT INTO conversations (id, sender_id, contact_id) VALUES (100, 2, 4)`)
	exec(`INSERT INTO messages (conversation_id, direction, type, status) VALUES (100, 'out', 'template', 'sent')`)
	st := campaigns.CampaignStore{DB: db}
	c, pv, err := st.Create(context.Background(), models.Principal{}, campaigns.CampaignInput{Name: "Promo", TemplateID: 1, SegmentID: 1,
		SenderIDs: []int64{1, 2}, Variables: map[string]string{"body.1": "contact.name", "body.2": "HEMAT10"},
		Cap: &campaigns.FrequencyCap{Max: 1, Days: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Size != 6 || pv.OptedOut != 1 || pv.InvalidNumber != 1 || pv.Sample["body.1"] != "Ani" || pv.Sample["body.2"] != "HEMAT10" {
		t.Fatalf("preview %+v", pv)
	}
	ids, err := st.NextContacts(context.Background(), c.ID, 0, 4)
	if err != nil || len(ids) != 4 || ids[3] != 4 {
		t.Fatalf("page: %v %v", ids, err)
	}
	return st, c.ID, []int64{1, 2, 3, 4, 5, 6}
}

func TestCampaignClaimExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, contacts := campaignFixture(t)
	first, err := st.Claim(ctx, id, contacts)
	if err != nil {
		t.Fatal(err)
	}
	// Contact 6 has no name: contact.name is missing, so it is skipped too.
	want := map[string]int{campaigns.SkipOptedOut: 1, campaigns.SkipInvalidNumber: 1, campaigns.SkipFrequencyCap: 1, campaigns.SkipMissingValue: 1}
	for k, v := range want {
		if first.Skipped[k] != v {
			t.Fatalf("skipped %v, want %v", first.Skipped, want)
		}
	}
	if len(first.Sends) != 2 || first.Sends[0].ContactID != 1 || first.Sends[1].ContactID != 5 || first.Sends[1].Zone != models.TZWIT {
		t.Fatalf("sends %+v", first.Sends)
	}
	// A retried claim (activity retry, replay, duplicate signal) returns the
	// same message rows and creates nothing.
	again, err := st.Claim(ctx, id, contacts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Sends) != 2 || again.Sends[0].MessageID != first.Sends[0].MessageID || again.Sends[1].MessageID != first.Sends[1].MessageID {
		t.Fatalf("retry %+v vs %+v", again.Sends, first.Sends)
	}
	var n int64
	st.DB.Raw(`SELECT count(*) FROM messages WHERE type = 'template'`).Scan(&n)
	if n != 3 { // 2 campaign rows + the capped contact's earlier one
		t.Fatalf("%d template rows", n)
	}
	var payload string
	st.DB.Raw(`SELECT payload FROM messages WHERE id = ?`, first.Sends[0].MessageID).Scan(&payload)
	var m struct {
		Template struct {
			Components []struct {
				Parameters []struct{ Text string }
			}
		}
	}
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Template.Components[0].Parameters[0].Text != "Ani" || m.Template.Components[0].Parameters[1].Text != "HEMAT10" {
		t.Fatalf("payload %s %v", payload, err)
	}
	// The row is the outbox's: queued, pending, our id echoed to Meta, in
	// the (sender, contact) conversation whose list preview shows it.
	var row struct {
		Body, Status, SendState, BizOpaque, LastPreview string
		SenderID, ContactID                             int64
	}
	st.DB.Raw(`SELECT m.body, m.status, m.send_state, m.biz_opaque, c.last_preview, c.sender_id, c.contact_id FROM messages m
		JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?`, first.Sends[0].MessageID).Scan(&row)
	if row.Body != "Halo Ani, kode HEMAT10" || row.LastPreview != row.Body || row.Status != "queued" || row.SendState != "pending" ||
		row.BizOpaque != fmt.Sprint(first.Sends[0].MessageID) || row.ContactID != 1 || row.SenderID != first.Sends[0].SenderID {
		t.Fatalf("message row %+v", row)
	}
	// Once sent, the recipient leaves the queue.
	if err := st.RecordOutcomes(ctx, id, []campaigns.SendOutcome{{MessageID: first.Sends[0].MessageID, Status: campaigns.RecipientSent}}); err != nil {
		t.Fatal(err)
	}
	st.DB.Exec(`UPDATE messages SET status = 'delivered', sent_at = now() WHERE id = ?`, first.Sends[0].MessageID)
	f, err := st.Funnel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Recipients != 6 || f.Skipped != 4 || f.Delivered != 1 || f.Sent != 1 || f.Queued != 1 || f.SkipReason[campaigns.SkipOptedOut] != 1 {
		t.Fatalf("funnel %+v", f)
	}
	// A failure keeps Meta's code and reason; an outcome for a row already
	// final changes nothing.
	outs := []campaigns.SendOutcome{{MessageID: first.Sends[1].MessageID, Status: campaigns.RecipientFailed, ErrorCode: 131026, Reason: "undeliverable"},
		{MessageID: first.Sends[0].MessageID, Status: campaigns.RecipientFailed, ErrorCode: 1}}
	if err := st.RecordOutcomes(ctx, id, outs); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Status    string
		ErrorCode *int
		Reason    string
	}
	st.DB.Raw(`SELECT status, error_code, reason FROM campaign_recipients WHERE message_id IN ? ORDER BY message_id`,
		[]int64{first.Sends[0].MessageID, first.Sends[1].MessageID}).Scan(&got)
	if len(got) != 2 || got[0].Status != "sent" || got[0].ErrorCode != nil || got[1].Status != "failed" || got[1].ErrorCode == nil ||
		*got[1].ErrorCode != 131026 || got[1].Reason != "undeliverable" {
		t.Fatalf("outcomes %+v", got)
	}
}

func TestCampaignCreateValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _, _ := campaignFixture(t)
	st.DB.Exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (2, 'draft', 'id', 'MARKETING', 'PENDING', '[]')`)
	cases := map[string]campaigns.CampaignInput{
		"templateId": {Name: "x", TemplateID: 2, SegmentID: 1, SenderIDs: []int64{1}},
		"senderIds":  {Name: "x", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{9}},
		"segmentId":  {Name: "x", TemplateID: 1, SegmentID: 9, SenderIDs: []int64{1}, Variables: map[string]string{"body.1": "a", "body.2": "b"}},
		"variables":  {Name: "x", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1}, Variables: map[string]string{"body.1": "contact.name"}},
		"name":       {TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1}},
	}
	for field, in := range cases {
		_, _, err := st.Create(ctx, models.Principal{}, in)
		var me *models.Error
		if !errors.As(err, &me) || me.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
