package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
)

// Every successful write leaves an audit row naming who did what to which
// object, with the request's fields and secrets masked; a refused write and
// a read leave none.
func TestAuditEveryWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adminID, admin := e.admin()
	type row struct {
		ActorID  *int64
		Action   string
		Entity   string
		EntityID *int64
		Details  string
	}
	var sender, tpl, seg, contact, canned struct {
		ID int64 `json:"id"`
	}
	e.must(e.do("POST", "/api/v1/senders", admin, map[string]any{"phoneNumberId": "551", "wabaId": "552", "displayNumber": "021-5088-1234"}), 201).json(t, &sender)
	e.must(e.do("PATCH", fmt.Sprintf("/api/v1/senders/%d", sender.ID), admin, map[string]any{"status": "disabled", "statusReason": "nomor diganti"}), 200)
	if r := e.do("POST", "/api/v1/senders", admin, map[string]any{"phoneNumberId": "551", "wabaId": "552", "displayNumber": "021-5088-1234"}); r.status != 409 {
		t.Fatalf("duplicate sender: %d", r.status)
	}
	e.must(e.do("POST", "/api/v1/templates", admin, map[string]any{"name": "info_tagihan", "language": "id", "category": "UTILITY", "wabaId": "552",
		"components": []map[string]any{{"type": "BODY", "text": "Halo, tagihan Anda sudah terbit."}}}), 201).json(t, &tpl)
	e.must(e.do("POST", "/api/v1/segments", admin, map[string]any{"name": "Jakarta", "filter": map[string]any{"attributes": map[string]string{"kota": "Jakarta"}}}), 201).json(t, &seg)
	e.must(e.do("DELETE", fmt.Sprintf("/api/v1/segments/%d", seg.ID), admin, nil), 204)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-1111-2222", "name": "Budi"}), 201).json(t, &contact)
	e.must(e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", contact.ID), admin, map[string]any{"name": "Budi Santoso"}), 200)
	e.must(e.do("POST", fmt.Sprintf("/api/v1/contacts/%d/tags", contact.ID), admin, map[string]any{"tags": []string{"vip"}}), 200)
	e.must(e.do("POST", "/api/v1/canned-responses", admin, map[string]any{"shortcut": "rek", "title": "Rekening", "body": "Rekening BCA 123"}), 201).json(t, &canned)
	if r := e.do("POST", "/api/v1/segments", admin, map[string]any{"name": ""}); r.status < 400 { // refused: no row
		t.Fatalf("a segment without a name: %d", r.status)
	}
	e.must(e.do("GET", "/api/v1/contacts", admin, nil), 200)

	var rows []row
	e.db.Raw(`SELECT actor_id, action, entity, entity_id, details::text AS details FROM audit_log WHERE action NOT LIKE 'auth.%' AND action NOT LIKE 'agent.%' ORDER BY id`).Scan(&rows)
	want := []struct {
		action string
		id     int64
	}{{"sender.create", 0}, {"sender.update", sender.ID}, {"template.create", 0}, {"segment.create", 0}, {"segment.delete", seg.ID},
		{"contact.create", 0}, {"contact.update", contact.ID}, {"contact.tags", contact.ID}, {"canned_response.create", 0}}
	if len(rows) != len(want) {
		for _, r := range rows {
			t.Logf("%s %v %s", r.Action, r.EntityID, r.Details)
		}
		t.Fatalf("%d audit rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		id := int64(0)
		if r.EntityID != nil {
			id = *r.EntityID
		}
		if r.Action != w.action || id != w.id || r.ActorID == nil || *r.ActorID != adminID {
			t.Errorf("row %d: %s %d by %v, want %s %d by %d", i, r.Action, id, r.ActorID, w.action, w.id, adminID)
		}
	}
	var d map[string]any
	_ = json.Unmarshal([]byte(rows[1].Details), &d)
	if req, _ := d["request"].(map[string]any); req["status"] != "disabled" || req["statusReason"] != "nomor diganti" || d["route"] != "PATCH /api/v1/senders/:id" {
		t.Fatalf("details of the update: %v", d)
	}
	// The changed fields, from and to (read before and after the change).
	before, _ := d["before"].(map[string]any)
	after, _ := d["after"].(map[string]any)
	if before["status"] != "active" || after["status"] != "disabled" || after["status_reason"] != "nomor diganti" || before["display_number"] != nil {
		t.Fatalf("before/after of the number: %v / %v", before, after)
	}
	d = map[string]any{}
	_ = json.Unmarshal([]byte(rows[6].Details), &d)
	if b, a := d["before"].(map[string]any), d["after"].(map[string]any); b["name"] != "Budi" || a["name"] != "Budi Santoso" || len(a) != 1 {
		t.Fatalf("before/after of the contact edit: %v", d)
	}
	d = map[string]any{}
	_ = json.Unmarshal([]byte(rows[4].Details), &d)
	if b, a := d["before"].(map[string]any), d["after"].(map[string]any); b["name"] != "Jakarta" || len(a) != 0 {
		t.Fatalf("a delete keeps what was deleted: %v", d)
	}
}
