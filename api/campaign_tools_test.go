package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/identity"
)

// campaignToolsEnv: two senders, an approved template with a header, a body
// of two variables and a URL button, n tagged contacts, and a campaign over
// them created through the API. Returns the admin token and campaign id.
func campaignToolsEnv(t *testing.T, n int) (*env, string, int64) {
	t.Helper()
	e := newEnv(t)
	_, admin := e.admin()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := e.db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1'), (2, 'PN2', '+62 21 2')`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'tagihan', 'id', 'UTILITY', 'APPROVED', ?)`,
		`[{"type":"HEADER","format":"TEXT","text":"Tagihan {{1}}","example":{"header_text":["INV"]}},
		  {"type":"BODY","text":"Halo {{1}}, tagihan Anda {{2}}.","example":{"body_text":[["Budi","Rp 1"]]}},
		  {"type":"BUTTONS","buttons":[{"type":"URL","text":"Bayar","url":"https://pay.example/{{1}}","example":["https://pay.example/x"]}]}]`)
	exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags, attributes)
		SELECT '+62812' || lpad(g::text, 7, '0'), '62812' || lpad(g::text, 7, '0'), 'Pelanggan ' || g, '{tagihan}',
			jsonb_build_object('ref', 'INV-' || g, 'amount', 'Rp ' || g || '.000')
		FROM generate_series(1, ?::int) g`, n)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'tagihan', '{"tags":["tagihan"]}')`)
	exec(`SELECT setval(pg_get_serial_sequence('senders', 'id'), 100), setval(pg_get_serial_sequence('templates', 'id'), 100),
		setval(pg_get_serial_sequence('segments', 'id'), 100)`)
	var created struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	e.must(e.do("POST", "/api/v1/campaigns", admin, map[string]any{"name": "Tagihan Desember", "templateId": 1, "segmentId": 1,
		"senderIds": []int64{1, 2}, "variables": map[string]string{"header.1": "contact.ref", "body.1": "contact.name",
			"body.2": "contact.amount", "button.0.1": "contact.ref"},
		"quietHours": map[string]any{"from": "09:00", "to": "18:00"}, "frequencyCap": map[string]int{"max": 2, "days": 7}}), 201).json(t, &created)
	return e, admin, created.Campaign.ID
}

func TestTemplatePreviewAndStatsREST(t *testing.T) {
	t.Parallel()
	e, admin, campID := campaignToolsEnv(t, 3)
	e.agent("cm@example.com", e.roleID(models.RoleKeyCampaignManager))
	cm := e.login("cm@example.com").AccessToken
	e.agent("agent@example.com", e.roleID(models.RoleKeyAgent))
	agent := e.login("agent@example.com").AccessToken
	viewer := e.viewer(admin)
	var contact int64
	e.db.Raw(`SELECT id FROM contacts WHERE name = 'Pelanggan 2'`).Scan(&contact)

	var pv campaigns.TemplatePreview
	e.must(e.do("POST", "/api/v1/templates/1/preview", cm, map[string]any{"contactId": contact, "campaignId": campID}), 200).json(t, &pv)
	if !pv.Sendable || pv.Text != "Tagihan INV-2\nHalo Pelanggan 2, tagihan Anda Rp 2.000." || len(pv.Components) != 3 ||
		pv.Components[1].Chars != len("Halo Pelanggan 2, tagihan Anda Rp 2.000.") || pv.Components[1].Limit != 1024 ||
		pv.Components[2].URL != "https://pay.example/INV-2" || pv.Components[2].Limit != 25 {
		t.Fatalf("preview %+v", pv)
	}
	// A mapping of its own: the unfilled variable is reported, not refused.
	e.must(e.do("POST", "/api/v1/templates/1/preview", admin, map[string]any{"contactId": contact,
		"variables": map[string]string{"header.1": "X", "body.1": "contact.name", "button.0.1": "contact.nickname"}}), 200).json(t, &pv)
	if pv.Sendable || strings.Join(pv.Missing, ",") != "body.2,button.0.1" || pv.Values["body.1"] != "Pelanggan 2" {
		t.Fatalf("missing %+v", pv)
	}
	r := e.must(e.do("POST", "/api/v1/templates/1/preview", admin, map[string]any{"contactId": 99999}), 422)
	if _, f := r.errField(); f != "contactId" {
		t.Fatalf("unknown contact: %s", r.body)
	}
	e.must(e.do("POST", "/api/v1/templates/999/preview", admin, map[string]any{}), 404)
	e.must(e.do("POST", "/api/v1/templates/1/preview", admin, map[string]any{"contact": 1}), 400)
	// An agent may preview templates, but only with contacts in its scope.
	r = e.must(e.do("POST", "/api/v1/templates/1/preview", agent, map[string]any{"contactId": contact}), 422)
	if _, f := r.errField(); f != "contactId" {
		t.Fatalf("agent scope: %s", r.body)
	}
	e.must(e.do("POST", "/api/v1/templates/1/preview", viewer, map[string]any{}), 403)

	// Stats: claim and "send" the campaign, one delivered, one read+replied, one failed.
	res, err := campaigns.CampaignStore{DB: e.db}.Claim(t.Context(), campID, []int64{1, 2, 3})
	if err != nil || len(res.Sends) != 3 {
		t.Fatalf("claim %+v %v", res, err)
	}
	now := time.Now().UTC()
	for i, st := range []string{"delivered", "read", "failed"} {
		e.db.Exec(`UPDATE messages SET status = ?, sent_at = ? WHERE id = ?`, st, now.Add(-time.Hour), res.Sends[i].MessageID)
	}
	e.db.Exec(`INSERT INTO messages (conversation_id, direction, type, status, created_at)
		SELECT conversation_id, 'in', 'text', 'received', ? FROM messages WHERE id = ?`, now.Add(-time.Minute), res.Sends[1].MessageID)
	var st campaigns.TemplateStats
	e.must(e.do("GET", "/api/v1/templates/1/stats?days=7", cm, nil), 200).json(t, &st)
	if st.Days != 7 || st.Totals != (campaigns.TemplateCounts{Total: 3, Sent: 2, Delivered: 2, Read: 1, Replied: 1, Failed: 1}) ||
		st.Rates.Replied != 0.5 || len(st.Daily) != 1 {
		t.Fatalf("stats %+v", st)
	}
	e.must(e.do("GET", "/api/v1/templates/1/stats", cm, nil), 200).json(t, &st)
	if st.Days != 30 {
		t.Fatalf("default days %d", st.Days)
	}
	e.must(e.do("GET", "/api/v1/templates/1/stats?days=abc", cm, nil), 400)
	e.must(e.do("GET", "/api/v1/templates/1/stats?days=400", cm, nil), 400)
	e.must(e.do("GET", "/api/v1/templates/999/stats", cm, nil), 404)
	e.must(e.do("GET", "/api/v1/templates/1/stats", viewer, nil), 403)
}

func TestCampaignDuplicateAndTestSendRefusalsREST(t *testing.T) {
	t.Parallel()
	e, admin, campID := campaignToolsEnv(t, 3)
	e.agent("agent@example.com", e.roleID(models.RoleKeyAgent))
	agent := e.login("agent@example.com").AccessToken
	path := fmt.Sprintf("/api/v1/campaigns/%d", campID)

	var dup struct {
		Campaign campaigns.Campaign        `json:"campaign"`
		Audience campaigns.AudiencePreview `json:"audience"`
	}
	e.must(e.do("POST", path+"/duplicate", admin, nil), 201).json(t, &dup)
	c := dup.Campaign
	if c.ID == campID || c.Name != "Tagihan Desember (copy)" || c.Status != campaigns.CampaignDraft || c.QuietHours.To != "18:00" ||
		c.CapMax != 2 || c.CapWindowS != 7*86400 || len(c.SenderIDs) != 2 || c.Variables["button.0.1"] != "contact.ref" ||
		dup.Audience.Size != 3 || dup.Audience.Sample["body.1"] != "Pelanggan 1" {
		t.Fatalf("duplicate %+v", dup)
	}
	e.must(e.do("POST", "/api/v1/campaigns/99999/duplicate", admin, nil), 404)
	e.must(e.do("POST", path+"/duplicate", agent, nil), 403)
	viewer := e.viewer(admin)
	e.must(e.do("POST", path+"/duplicate", viewer, nil), 403)
	e.must(e.do("POST", path+"/test-send", viewer, map[string]string{"phone": "0812 0000 001"}), 403)

	// Test send without Temporal: refused, nothing stored.
	e.must(e.do("POST", path+"/test-send", admin, map[string]string{"phone": "0812 0000 001"}), 503)
	e.must(e.do("POST", path+"/test-send", agent, map[string]string{"phone": "0812 0000 001"}), 403)
	e.must(e.do("POST", path+"/test-send", admin, map[string]string{"number": "x"}), 400)
	var n int64
	e.db.Raw(`SELECT count(*) FROM messages`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d messages stored", n)
	}

	// A template paused since: the copy is refused like a new campaign.
	e.db.Exec(`UPDATE templates SET status = 'PAUSED'`)
	r := e.must(e.do("POST", path+"/duplicate", admin, nil), 422)
	if _, f := r.errField(); f != "templateId" {
		t.Fatalf("paused template: %s", r.body)
	}
}

func TestCampaignRecipientsAndExportREST(t *testing.T) {
	t.Parallel()
	const n = 350
	e, admin, campID := campaignToolsEnv(t, n)
	e.agent("agent@example.com", e.roleID(models.RoleKeyAgent))
	agent := e.login("agent@example.com").AccessToken
	store := campaigns.CampaignStore{DB: e.db}
	var ids []int64
	e.db.Raw(`SELECT id FROM contacts ORDER BY id`).Scan(&ids)
	e.db.Exec(`UPDATE contacts SET opted_out = true WHERE id IN (?, ?)`, ids[10], ids[11])
	e.db.Exec(`UPDATE contacts SET name = '=cmd|calc' WHERE id = ?`, ids[0])
	res, err := store.Claim(t.Context(), campID, ids)
	if err != nil || len(res.Sends) != n-2 {
		t.Fatalf("claim %d %v", len(res.Sends), err)
	}
	sent := time.Now().UTC().Add(-5 * 24 * time.Hour).Truncate(time.Second)
	e.db.Exec(`UPDATE messages SET status = 'read', sent_at = ?, read_at = ?, wamid = 'wamid.' || id WHERE type = 'template'`, sent, sent.Add(time.Minute))
	e.db.Exec(`UPDATE messages SET status = 'failed', error_code = 131026, error_reason = 'Message undeliverable' WHERE id = ?`, res.Sends[5].MessageID)
	// Replies: the first 20 within the default 3 days, the next 20 after 4 days (not attributed).
	for i, s := range res.Sends[:40] {
		after := 2 * time.Hour
		if i >= 20 {
			after = 4 * 24 * time.Hour
		}
		e.db.Exec(`INSERT INTO messages (conversation_id, direction, type, status, created_at)
			SELECT conversation_id, 'in', 'text', 'received', ? FROM messages WHERE id = ?`, sent.Add(after), s.MessageID)
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d", campID)

	// JSON paging by cursor.
	seen, cursor := map[int64]string{}, ""
	for pages := 0; ; pages++ {
		var pg campaigns.RecipientPage
		e.must(e.do("GET", path+"/recipients?limit=100&cursor="+cursor, admin, nil), 200).json(t, &pg)
		for _, r := range pg.Items {
			if _, dup := seen[r.ID]; dup {
				t.Fatalf("recipient %d twice", r.ID)
			}
			seen[r.ID] = r.Status
		}
		if cursor = pg.NextCursor; cursor == "" {
			if pages != 3 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
	}
	count := map[string]int{}
	for _, s := range seen {
		count[s]++
	}
	// The failed send (index 5) had a reply within the window: still failed.
	if len(seen) != n || count["skipped"] != 2 || count["failed"] != 1 || count["replied"] != 19 || count["read"] != n-2-1-19 {
		t.Fatalf("states %v", count)
	}
	var pg campaigns.RecipientPage
	e.must(e.do("GET", path+"/recipients?status=failed", admin, nil), 200).json(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].Reason != "Message undeliverable" || pg.Items[0].ErrorCode == nil || *pg.Items[0].ErrorCode != 131026 {
		t.Fatalf("failed %+v", pg)
	}
	e.must(e.do("GET", path+"/recipients?status=nope", admin, nil), 400)
	e.must(e.do("GET", path+"/recipients?cursor=!!", admin, nil), 400)
	e.must(e.do("GET", "/api/v1/campaigns/99999/recipients", admin, nil), 404)
	e.must(e.do("GET", path+"/recipients", agent, nil), 403)

	// CSV: every row once, parsed back.
	r := e.must(e.do("GET", path+"/export?format=csv", admin, nil), 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "recipients.csv") {
		t.Fatalf("headers %v", r.header)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != n+1 {
		t.Fatalf("csv rows %d: %v", len(recs), err)
	}
	if strings.Join(recs[0], ",") != "recipient_id,contact_id,contact_name,phone,sender_number,status,wamid,error_code,reason,sent_at,delivered_at,read_at,replied_at" {
		t.Fatalf("header %v", recs[0])
	}
	csvStates := map[string]int{}
	for _, rec := range recs[1:] {
		csvStates[rec[5]]++
		if seen[atoi64(t, rec[0])] != rec[5] {
			t.Fatalf("csv row %v disagrees with the JSON listing (%s)", rec, seen[atoi64(t, rec[0])])
		}
		switch rec[5] {
		case "replied":
			if rec[12] != sent.Add(2*time.Hour).Format(time.RFC3339) || rec[9] != sent.Format(time.RFC3339) || !strings.HasPrefix(rec[6], "wamid.") {
				t.Fatalf("replied row %v", rec)
			}
		case "skipped":
			if rec[8] != campaigns.SkipOptedOut || rec[4] != "" || rec[9] != "" {
				t.Fatalf("skipped row %v", rec)
			}
		case "read":
			if rec[12] != "" || rec[4] == "" || rec[3] == "" {
				t.Fatalf("read row %v", rec)
			}
		}
	}
	if recs[1][2] != "'=cmd|calc" {
		t.Fatalf("formula not defused: %q", recs[1][2])
	}
	for k, v := range count {
		if csvStates[k] != v {
			t.Fatalf("csv states %v vs %v", csvStates, count)
		}
	}
	r = e.must(e.do("GET", path+"/export?format=csv&status=skipped", admin, nil), 200)
	if recs, _ = csv.NewReader(bytes.NewReader(r.body)).ReadAll(); len(recs) != 3 {
		t.Fatalf("skipped export %d rows", len(recs))
	}

	// XLSX: the recipients sheet and the funnel summary, parsed back.
	r = e.must(e.do("GET", path+"/export?format=xlsx", admin, nil), 200)
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	rows, err := f.GetRows("Recipients")
	if err != nil || len(rows) != n+1 || rows[0][5] != "status" {
		t.Fatalf("xlsx rows %d: %v", len(rows), err)
	}
	if rows[1][2] != "'=cmd|calc" { // defused like the CSV: saved as CSV it stays text
		t.Fatalf("xlsx name %q", rows[1][2])
	}
	for _, row := range rows[1:] {
		if seen[atoi64(t, row[0])] != row[5] {
			t.Fatalf("xlsx row %v", row)
		}
	}
	funnel, err := f.GetRows("Funnel")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range funnel {
		if len(row) >= 2 {
			got[row[0]] = row[1]
		}
	}
	want := map[string]string{"campaign": "Tagihan Desember", "recipients": "350", "sent": "347", "read": "347", "replied": "19",
		"failed": "1", "skipped": "2", "skipped: opted_out": "2", "queued": "0"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("funnel sheet %s = %q, want %q (%v)", k, got[k], v, funnel)
		}
	}

	var audits int64
	e.db.Raw(`SELECT count(*) FROM audit_log WHERE action = ? AND entity_id = ?`, campaigns.AuditCampaignExport, campID).Scan(&audits)
	if audits != 3 { // csv, csv of skipped, xlsx
		t.Fatalf("%d export audits", audits)
	}
	e.must(e.do("GET", path+"/export?format=pdf", admin, nil), 400)
	e.must(e.do("GET", path+"/export?status=nope", admin, nil), 400)
	e.must(e.do("GET", "/api/v1/campaigns/99999/export", admin, nil), 404)
	e.must(e.do("GET", path+"/export", agent, nil), 403)
	e.must(e.do("GET", path+"/export?status=skipped", e.viewer(admin), nil), 200)
}

// viewer logs in an agent whose custom role holds campaigns:read only.
func (e *env) viewer(admin string) string {
	e.t.Helper()
	var r identity.Role
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{"name": "Campaign viewer", "permissions": []string{"campaigns:read"},
		"dataScope": "all"}), 201).json(e.t, &r)
	e.agent("viewer@example.com", r.ID)
	return e.login("viewer@example.com").AccessToken
}

func atoi64(t *testing.T, s string) int64 {
	t.Helper()
	var v int64
	if _, err := fmt.Sscan(s, &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}
