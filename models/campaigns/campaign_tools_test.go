package campaigns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/worker/testenv"
)

func wantErr(t *testing.T, err error, code models.ErrorCode, field string) {
	t.Helper()
	var me *models.Error
	if !errors.As(err, &me) || me.Code != code || me.Field != field {
		t.Fatalf("got %v, want %s on %q", err, code, field)
	}
}

// toolsFixture is campaignFixture with the id sequences moved past the
// explicit ids it inserted.
func toolsFixture(t *testing.T) (campaigns.CampaignStore, int64, []int64) {
	t.Helper()
	st, id, contacts := campaignFixture(t)
	for _, tbl := range []string{"contacts", "senders", "templates", "conversations"} {
		mustExec(t, st, `SELECT setval(pg_get_serial_sequence('`+tbl+`', 'id'), 1000)`)
	}
	return st, id, contacts
}

func mustExec(t *testing.T, st campaigns.CampaignStore, q string, args ...any) {
	t.Helper()
	if err := st.DB.Exec(q, args...).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// sendAll claims the fixture's audience and marks both sends sent at `at`.
func sendAll(t *testing.T, st campaigns.CampaignStore, id int64, contacts []int64, at time.Time) []campaigns.ClaimedSend {
	t.Helper()
	res, err := st.Claim(context.Background(), id, contacts)
	if err != nil || len(res.Sends) != 2 {
		t.Fatalf("claim: %+v %v", res, err)
	}
	for i, s := range res.Sends {
		mustExec(t, st, `UPDATE messages SET status = 'delivered', sent_at = ?, wamid = ? WHERE id = ?`, at, fmt.Sprintf("wamid.%d", i), s.MessageID)
	}
	return res.Sends
}

// inbound stores a customer message in the conversation of message msgID.
func inbound(t *testing.T, st campaigns.CampaignStore, msgID int64, at time.Time) {
	t.Helper()
	mustExec(t, st, `INSERT INTO messages (conversation_id, direction, type, body, status, created_at)
		SELECT conversation_id, 'in', 'text', 'hi', 'received', ? FROM messages WHERE id = ?`, at, msgID)
}

// A reply counts only inside the attribution window after the send.
func TestFunnelReplyAttribution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, contacts := toolsFixture(t)
	sent := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	sends := sendAll(t, st, id, contacts, sent)
	// Contact 1 wrote before the send (not a reply) and 4 days after it
	// (outside the default 3 days); contact 5 wrote 2 hours after it.
	inbound(t, st, sends[0].MessageID, sent.Add(-time.Hour))
	inbound(t, st, sends[0].MessageID, sent.Add(4*24*time.Hour))
	inbound(t, st, sends[1].MessageID, sent.Add(2*time.Hour))
	// As the webhook does; the old rule (last_inbound_at > sent_at) would
	// count both contacts as replied.
	mustExec(t, st, `UPDATE conversations cv SET last_inbound_at = (SELECT max(created_at) FROM messages WHERE conversation_id = cv.id AND direction = 'in')`)

	f, err := st.Funnel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Replied != 1 || f.Read != 1 || f.Delivered != 2 || f.Sent != 2 {
		t.Fatalf("default window: %+v", f)
	}
	// A wider window (the campaign's, from config at creation) attributes
	// the late reply as well: the stored states are judged again.
	window := func(d time.Duration) campaigns.Funnel {
		t.Helper()
		mustExec(t, st, `UPDATE campaigns SET reply_window_ms = ? WHERE id = ?`, d.Milliseconds(), id)
		f, err := st.Funnel(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f = window(5 * 24 * time.Hour); f.Replied != 2 {
		t.Fatalf("5-day window: %+v", f)
	}
	// Exactly at the edge counts; one second later does not.
	if f = window(4 * 24 * time.Hour); f.Replied != 2 {
		t.Fatalf("edge window: %+v", f)
	}
	if f = window(4*24*time.Hour - time.Second); f.Replied != 1 {
		t.Fatalf("just short window: %+v", f)
	}
	// A failed send is never "replied", whatever the customer wrote.
	mustExec(t, st, `UPDATE messages SET status = 'failed' WHERE id = ?`, sends[1].MessageID)
	if f, _ = st.Funnel(ctx, id); f.Replied != 0 || f.Failed != 1 || f.Sent != 1 {
		t.Fatalf("after failure: %+v", f)
	}
}

func previewFixture(t *testing.T) (campaigns.CampaignStore, int64) {
	st, id, _ := toolsFixture(t)
	mustExec(t, st, `INSERT INTO templates (id, name, language, category, status, components) VALUES (3, 'rich', 'id', 'UTILITY', 'APPROVED', ?)`,
		`[{"type":"HEADER","format":"TEXT","text":"Tagihan {{1}}","example":{"header_text":["Budi"]}},
		  {"type":"BODY","text":"Halo {{1}}, tagihan {{2}} jatuh tempo {{3}}.","example":{"body_text":[["a","b","c"]]}},
		  {"type":"FOOTER","text":"Balas STOP untuk berhenti"},
		  {"type":"BUTTONS","buttons":[{"type":"URL","text":"Bayar sekarang","url":"https://pay.example/{{1}}","example":["https://pay.example/x"]},
		    {"type":"QUICK_REPLY","text":"Hubungi agen"}]}]`)
	mustExec(t, st, `UPDATE contacts SET attributes = '{"amount":"Rp 1.500.000","due":"2026-12-01","ref":"INV-1"}' WHERE id = 1`)
	return st, id
}

func TestPreviewTemplate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, campID := previewFixture(t)
	all := models.Principal{AllScope: true}
	vars := map[string]string{"header.1": "contact.name", "body.1": "contact.name", "body.2": "contact.amount", "body.3": "contact.due", "button.0.1": "contact.ref"}
	pv, err := st.PreviewTemplate(ctx, all, 3, campaigns.PreviewInput{ContactID: 1, Variables: vars})
	if err != nil {
		t.Fatal(err)
	}
	if !pv.Sendable || len(pv.Missing) != 0 || len(pv.Problems) != 0 {
		t.Fatalf("preview %+v", pv)
	}
	wantText := "Tagihan Ani\nHalo Ani, tagihan Rp 1.500.000 jatuh tempo 2026-12-01.\nBalas STOP untuk berhenti"
	if pv.Text != wantText {
		t.Fatalf("text %q", pv.Text)
	}
	byType := map[string]campaigns.ComponentPreview{}
	for _, c := range pv.Components {
		key := c.Type
		if c.Index != nil {
			key = fmt.Sprintf("%s%d", c.Type, *c.Index)
		}
		byType[key] = c
	}
	if c := byType["body"]; c.Chars != len("Halo Ani, tagihan Rp 1.500.000 jatuh tempo 2026-12-01.") || c.Limit != 1024 || c.OverLimit {
		t.Fatalf("body %+v", c)
	}
	if byType["header"].Limit != 60 || byType["footer"].Limit != 60 || byType["button1"].Limit != 25 || byType["button1"].Chars != 12 {
		t.Fatalf("limits %+v", byType)
	}
	if byType["button0"].URL != "https://pay.example/INV-1" || pv.Values["button.0.1"] != "INV-1" {
		t.Fatalf("button %+v values %v", byType["button0"], pv.Values)
	}

	// Contact 6 has no name and no attributes: the missing keys are listed,
	// the text keeps their placeholders, and it is not sendable.
	pv, err = st.PreviewTemplate(ctx, all, 3, campaigns.PreviewInput{ContactID: 6, Variables: vars})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Sendable || strings.Join(pv.Missing, ",") != "header.1,body.1,body.2,body.3,button.0.1" || !strings.HasPrefix(pv.Text, "Tagihan {{1}}\nHalo {{1}}") {
		t.Fatalf("missing %+v", pv)
	}

	// Over the limits: a long name overflows the 60-character header, a
	// long amount the 1024-character body; a newline in a value (Meta
	// refuses it, 132018) is sent as a space and listed as adjusted.
	mustExec(t, st, `UPDATE contacts SET name = ?, attributes = ? WHERE id = 1`, strings.Repeat("N", 55),
		`{"amount":"`+strings.Repeat("9", 1000)+`","due":"a\nb","ref":"r"}`)
	pv, err = st.PreviewTemplate(ctx, all, 3, campaigns.PreviewInput{ContactID: 1, Variables: vars})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Sendable || !byTypeOver(pv, "header") || !byTypeOver(pv, "body") || len(pv.Problems) != 2 ||
		strings.Join(pv.Adjusted, ",") != "body.3" || pv.Values["body.3"] != "a b" {
		t.Fatalf("over limits %+v adjusted %v values %v", pv.Problems, pv.Adjusted, pv.Values)
	}

	// The campaign's own mapping (template 1): literal and contact field.
	pv, err = st.PreviewTemplate(ctx, all, 1, campaigns.PreviewInput{ContactID: 5, CampaignID: campID})
	if err != nil || pv.Text != "Halo Papua, kode HEMAT10" || !pv.Sendable {
		t.Fatalf("campaign mapping %+v %v", pv, err)
	}
	// No contact: literals only.
	pv, err = st.PreviewTemplate(ctx, all, 1, campaigns.PreviewInput{CampaignID: campID})
	if err != nil || pv.Text != "Halo {{1}}, kode HEMAT10" || strings.Join(pv.Missing, ",") != "body.1" {
		t.Fatalf("no contact %+v %v", pv, err)
	}

	// A media header has no text limit.
	mustExec(t, st, `INSERT INTO templates (id, name, language, category, status, components) VALUES (4, 'gambar', 'id', 'MARKETING', 'APPROVED',
		'[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"Promo"}]')`)
	pv, err = st.PreviewTemplate(ctx, all, 4, campaigns.PreviewInput{ContactID: 1})
	if err != nil || pv.Sendable || strings.Join(pv.Missing, ",") != "header.media" {
		t.Fatalf("media header without its file %+v %v", pv, err)
	}
	pv, err = st.PreviewTemplate(ctx, all, 4, campaigns.PreviewInput{ContactID: 1, Variables: map[string]string{"header.media": "https://contoh.co.id/promo.jpg"}})
	if err != nil || !pv.Sendable || pv.Components[0].Format != "IMAGE" || pv.Components[0].OverLimit || pv.Text != "Promo" {
		t.Fatalf("media header %+v %v", pv, err)
	}

	_, err = st.PreviewTemplate(ctx, all, 3, campaigns.PreviewInput{CampaignID: campID})
	wantErr(t, err, models.EUnprocessable, "campaignId")
	_, err = st.PreviewTemplate(ctx, all, 3, campaigns.PreviewInput{ContactID: 999})
	wantErr(t, err, models.EUnprocessable, "contactId")
	_, err = st.PreviewTemplate(ctx, all, 999, campaigns.PreviewInput{})
	wantErr(t, err, models.ENotFound, "")
	// An agent outside the contact's scope cannot read it through a preview.
	_, err = st.PreviewTemplate(ctx, models.Principal{AgentID: 77}, 3, campaigns.PreviewInput{ContactID: 1})
	wantErr(t, err, models.EUnprocessable, "contactId")
}

func byTypeOver(pv campaigns.TemplatePreview, typ string) bool {
	for _, c := range pv.Components {
		if c.Type == typ {
			return c.OverLimit
		}
	}
	return false
}

func TestTemplateStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, contacts := toolsFixture(t)
	now := time.Now().UTC()
	st.Now = func() time.Time { return now }
	sends := sendAll(t, st, id, contacts, now.Add(-2*time.Hour))
	inbound(t, st, sends[0].MessageID, now.Add(-time.Hour))
	// More rows naming the template: read, failed, queued; one 40 days old;
	// one of another language; one inbound-only conversation.
	tpl := func(status, lang string, age time.Duration) {
		mustExec(t, st, `INSERT INTO messages (conversation_id, direction, type, status, payload, created_at, sent_at)
			SELECT conversation_id, 'out', 'template', ?, ?, ?, ? FROM messages WHERE id = ?`,
			status, `{"type":"template","template":{"name":"promo","language":{"code":"`+lang+`"}}}`, now.Add(-age), now.Add(-age), sends[1].MessageID)
	}
	tpl("read", "id", 3*24*time.Hour)
	tpl("failed", "id", 3*24*time.Hour)
	tpl("queued", "id", time.Minute)
	tpl("read", "id", 40*24*time.Hour)
	tpl("read", "en", time.Hour)

	s, err := st.TemplateStats(ctx, 1, 30)
	if err != nil {
		t.Fatal(err)
	}
	want := campaigns.TemplateCounts{Total: 5, Queued: 1, Sent: 3, Delivered: 3, Read: 2, Replied: 1, Failed: 1}
	if s.Totals != want {
		t.Fatalf("totals %+v, want %+v", s.Totals, want)
	}
	if s.Rates.Replied != 1.0/3 || s.Rates.Failed != 0.25 || s.Rates.Read != 2.0/3 || s.Rates.Delivered != 1 {
		t.Fatalf("rates %+v", s.Rates)
	}
	if len(s.Daily) < 2 || s.ReplyWindowHours != 72 {
		t.Fatalf("daily %+v", s)
	}
	var sum int64
	for _, d := range s.Daily {
		sum += d.Total
	}
	if sum != 5 {
		t.Fatalf("daily sums to %d", sum)
	}
	if s, err = st.TemplateStats(ctx, 1, 60); err != nil || s.Totals.Total != 6 {
		t.Fatalf("60 days: %+v %v", s.Totals, err)
	}
	_, err = st.TemplateStats(ctx, 1, 0)
	wantErr(t, err, models.EInvalid, "days")
	_, err = st.TemplateStats(ctx, 99, 30)
	wantErr(t, err, models.ENotFound, "")
}

func TestDuplicateCampaign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, _ := toolsFixture(t)
	mustExec(t, st, `UPDATE campaigns SET quiet_hours = '{"from":"09:00","to":"17:00"}', start_at = now(), cap_categories = '{MARKETING}',
		skip_assigned = true WHERE id = ?`, id)
	c, pv, err := st.Duplicate(ctx, models.Principal{AgentID: 5}, id)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := st.Get(ctx, id)
	if c.ID == id || c.Name != "Promo (copy)" || c.Status != campaigns.CampaignDraft || c.TemplateID != 1 || c.SegmentID == nil || *c.SegmentID != 1 ||
		len(c.SenderIDs) != 2 || c.Variables["body.2"] != "HEMAT10" || c.QuietHours.From != "09:00" || c.CapMax != 1 ||
		c.CapWindowS != orig.CapWindowS || c.StartAt != nil || *c.CreatedBy != 5 || pv.Size != 6 ||
		strings.Join(c.CapCategories, ",") != "MARKETING" || !c.SkipAssigned {
		t.Fatalf("copy %+v %+v", c, pv)
	}
	// Re-validated like Create.
	mustExec(t, st, `UPDATE templates SET status = 'PAUSED' WHERE id = 1`)
	_, _, err = st.Duplicate(ctx, models.Principal{}, id)
	wantErr(t, err, models.EUnprocessable, "templateId")
	_, _, err = st.Duplicate(ctx, models.Principal{}, 999)
	wantErr(t, err, models.ENotFound, "")
}

func TestRecipientsPagingAndEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, _ := toolsFixture(t)
	// 300 more contacts in the segment, claimed in one go.
	mustExec(t, st, `INSERT INTO contacts (phone_e164, wa_id, name, tags)
		SELECT '+62813' || lpad(g::text, 7, '0'), '62813' || lpad(g::text, 7, '0'), 'C' || g, '{promo}' FROM generate_series(1, 300) g`)
	var ids []int64
	st.DB.Raw(`SELECT id FROM contacts ORDER BY id`).Scan(&ids)
	res, err := st.Claim(ctx, id, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sends) != 302 {
		t.Fatalf("%d sends", len(res.Sends))
	}
	mustExec(t, st, `UPDATE messages SET status = 'failed', error_code = 131026, error_reason = 'undeliverable' WHERE id = ?`, res.Sends[0].MessageID)
	seen := map[int64]bool{}
	cursor, pages := "", 0
	for {
		pg, err := st.Recipients(ctx, models.Principal{AllScope: true}, id, "", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range pg.Items {
			if seen[r.ID] {
				t.Fatalf("row %d twice", r.ID)
			}
			seen[r.ID] = true
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 306 || pages != 4 {
		t.Fatalf("%d rows in %d pages", len(seen), pages)
	}
	pg, err := st.Recipients(ctx, models.Principal{AllScope: true}, id, "failed", "", 10)
	if err != nil || len(pg.Items) != 1 || pg.Items[0].Reason != "undeliverable" || *pg.Items[0].ErrorCode != 131026 || pg.Items[0].Phone != "+6281100000001" {
		t.Fatalf("failed filter %+v %v", pg, err)
	}
	pg, _ = st.Recipients(ctx, models.Principal{AllScope: true}, id, "skipped", "", 10)
	if len(pg.Items) != 4 || pg.Items[0].Reason != campaigns.SkipOptedOut || pg.Items[0].SenderNumber != "" {
		t.Fatalf("skipped %+v", pg.Items)
	}
	n, err := st.EachRecipient(ctx, models.Principal{AllScope: true}, id, "queued", func(r campaigns.RecipientRow) error {
		if r.Status != "queued" || r.SenderNumber == "" || r.MessageID == nil {
			return fmt.Errorf("row %+v", r)
		}
		return nil
	})
	if err != nil || n != 301 {
		t.Fatalf("each queued: %d %v", n, err)
	}
	_, err = st.Recipients(ctx, models.Principal{AllScope: true}, id, "bogus", "", 10)
	wantErr(t, err, models.EInvalid, "status")
	_, err = st.Recipients(ctx, models.Principal{AllScope: true}, id, "", "xyz", 10)
	wantErr(t, err, models.EInvalid, "cursor")
	_, err = st.Recipients(ctx, models.Principal{AllScope: true}, 999, "", "", 10)
	wantErr(t, err, models.ENotFound, "")
}

func TestQueueTestSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, id, _ := toolsFixture(t)
	ib := inbox.ConversationStore{DB: st.DB, Events: models.EventStore{DB: st.DB}}
	p := models.Principal{AgentID: 0, AllScope: true}

	// A known contact: its name fills body.1; sent from a campaign sender.
	ts, err := st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "0811-0000-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Created || ts.ContactID != 1 || ts.ContactCreated || ts.Preview != "Halo Ani, kode HEMAT10" || ts.Message.Status != models.MsgQueued ||
		ts.Message.Type != "template" || ts.Conversation.SenderID != 1 || len(ts.Events) != 2 {
		t.Fatalf("test send %+v", ts)
	}
	var m struct {
		Template struct {
			Name       string
			Language   struct{ Code string }
			Components []struct{ Parameters []struct{ Text string } }
		}
	}
	if err := json.Unmarshal(ts.Message.Payload, &m); err != nil || m.Template.Name != "promo" || m.Template.Language.Code != "id" ||
		m.Template.Components[0].Parameters[0].Text != "Ani" || m.Template.Components[0].Parameters[1].Text != "HEMAT10" {
		t.Fatalf("payload %s %v", ts.Message.Payload, err)
	}
	var state string
	st.DB.Raw(`SELECT send_state FROM messages WHERE id = ?`, ts.Message.ID).Scan(&state)
	if state != "pending" {
		t.Fatalf("send_state %q", state)
	}
	// The same Idempotency-Key returns the first row.
	a, err := st.QueueTestSend(ctx, p, ib, id, "k1", campaigns.TestSendInput{Phone: "+6281100000001"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.QueueTestSend(ctx, p, ib, id, "k1", campaigns.TestSendInput{Phone: "+6281100000001"})
	if err != nil || b.Created || b.Message.ID != a.Message.ID {
		t.Fatalf("idempotent %+v %v", b, err)
	}

	// An unknown number: contact.name cannot be filled -> 422 naming it,
	// nothing stored.
	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "081299998888"})
	wantErr(t, err, models.EUnprocessable, "variables")
	var me *models.Error
	if !errors.As(err, &me) || fmt.Sprint(me.Details["missing"]) != "[body.1]" || !strings.Contains(me.Message, `"values"`) {
		t.Fatalf("missing details %+v", me)
	}
	var n int64
	st.DB.Raw(`SELECT count(*) FROM contacts WHERE phone_e164 = '+6281299998888'`).Scan(&n)
	if n != 0 {
		t.Fatal("a refused test send created a contact")
	}
	// With the value given it is sent; the number becomes a contact.
	ts, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "081299998888", Values: map[string]string{"body.1": "Tester"}})
	if err != nil || !ts.ContactCreated || ts.Preview != "Halo Tester, kode HEMAT10" {
		t.Fatalf("unknown number %+v %v", ts, err)
	}

	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "0811-0000-0002"}) // opted out
	wantErr(t, err, models.EUnprocessable, "phone")
	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "12"})
	wantErr(t, err, models.EUnprocessable, "phone")
	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{})
	wantErr(t, err, models.EInvalid, "phone")
	mustExec(t, st, `UPDATE senders SET status = 'disabled'`)
	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "0811-0000-0001"})
	wantErr(t, err, models.EUnprocessable, "senderIds")
	mustExec(t, st, `UPDATE templates SET status = 'PAUSED' WHERE id = 1`)
	_, err = st.QueueTestSend(ctx, p, ib, id, "", campaigns.TestSendInput{Phone: "0811-0000-0001"})
	wantErr(t, err, models.EUnprocessable, "templateId")
	_, err = st.QueueTestSend(ctx, p, ib, 999, "", campaigns.TestSendInput{Phone: "0811-0000-0001"})
	wantErr(t, err, models.ENotFound, "")
}

// BenchmarkCampaignFunnelAndRecipients100k: the funnel, one filtered page
// and a full keyset walk of a 100,000-recipient campaign where a tenth of
// the customers wrote back (half of them within the reply window).
func BenchmarkCampaignFunnelAndRecipients100k(b *testing.B) {
	ctx := context.Background()
	st, id, _ := benchFixture(b)
	for b.Loop() {
		start := time.Now()
		f, err := st.Funnel(ctx, id)
		if err != nil || f.Recipients != 100_000 || f.Replied != 5_000 {
			b.Fatalf("funnel %+v %v", f, err)
		}
		funnel := time.Since(start)
		start = time.Now()
		pg, err := st.Recipients(ctx, models.Principal{AllScope: true}, id, "replied", "", 100)
		if err != nil || len(pg.Items) != 100 {
			b.Fatalf("page %d %v", len(pg.Items), err)
		}
		page := time.Since(start)
		start = time.Now()
		n, err := st.EachRecipient(ctx, models.Principal{AllScope: true}, id, "", func(campaigns.RecipientRow) error { return nil })
		if err != nil || n != 100_000 {
			b.Fatalf("each %d %v", n, err)
		}
		b.Logf("funnel %s, replied page %s, walk of %d rows %s", funnel.Round(time.Millisecond), page.Round(time.Millisecond), n, time.Since(start).Round(time.Millisecond))
	}
}

func benchFixture(b *testing.B) (campaigns.CampaignStore, int64, int) {
	b.Helper()
	db := testenv.NewDB(b).Gorm
	for _, q := range []string{
		`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`,
		`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED', '[{"type":"BODY","text":"Halo"}]')`,
		`INSERT INTO segments (id, name, filter) VALUES (1, 'all', '{}')`,
		`INSERT INTO campaigns (id, name, template_id, segment_id, sender_ids) VALUES (1, 'big', 1, 1, '{1}')`,
		`INSERT INTO contacts (id, phone_e164, wa_id, name) SELECT g, '+62813' || lpad(g::text, 8, '0'), '62813' || lpad(g::text, 8, '0'), 'C' || g FROM generate_series(1, 100000) g`,
		`INSERT INTO conversations (id, sender_id, contact_id) SELECT g, 1, g FROM generate_series(1, 100000) g`,
		`INSERT INTO messages (id, conversation_id, direction, type, status, payload, sent_at, created_at)
			SELECT g, g, 'out', 'template', 'delivered', '{"template":{"name":"promo","language":{"code":"id"}}}', now() - interval '5 days', now() - interval '5 days'
			FROM generate_series(1, 100000) g`,
		`SELECT setval(pg_get_serial_sequence('messages', 'id'), 100000)`,
		`INSERT INTO messages (conversation_id, direction, type, status, created_at)
			SELECT g, 'in', 'text', 'received', now() - interval '5 days' + (CASE WHEN g % 20 = 0 THEN interval '1 hour' ELSE interval '4 days' END)
			FROM generate_series(1, 100000) g WHERE g % 10 = 0`,
		`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, message_id, status) SELECT 1, g, 1, g, 'sent' FROM generate_series(1, 100000) g`,
		`ANALYZE`,
	} {
		if err := db.Exec(q).Error; err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	return campaigns.CampaignStore{DB: db}, 1, 100_000
}
