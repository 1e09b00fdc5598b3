package api_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/identity"
)

type contactList struct {
	Items []contacts.ContactRecord `json:"items"`
	Total int64                    `json:"total"`
}

func TestContactsCRUDScopeSearchExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	agentID := e.agent("agent@example.com", e.roleID(models.RoleKeyAgent))
	agent := e.login("agent@example.com").AccessToken

	var siti contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{
		"phone": "0812-3456-789", "name": "Siti Nurhaliza", "tags": []string{"vip", " vip ", "jakarta"},
		"attributes": map[string]any{"city": "Bandung", "tier": "gold"},
	}), 201).json(t, &siti)
	if siti.PhoneE164 == nil || *siti.PhoneE164 != "+628123456789" || len(siti.Tags) != 2 || siti.OwnerAgentID != nil {
		t.Fatalf("created: %+v", siti)
	}
	// The same number in another spelling is the same contact.
	r := e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "+62 812-3456-789"}), 409)
	if code, field := r.errField(); code != "conflict" || field != "phone" {
		t.Fatalf("duplicate: %s %s", code, field)
	}
	r = e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "12345"}), 422)
	if _, field := r.errField(); field != "phone" {
		t.Fatalf("invalid phone field %q: %s", field, r.body)
	}
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"name": "no phone"}), 400)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812", "bogus": 1}), 400)

	// An agent's contact is its own; agents see only their own contacts.
	var mine contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", agent, map[string]any{"phone": "081298765432", "name": "Budi"}), 201).json(t, &mine)
	if mine.OwnerAgentID == nil || *mine.OwnerAgentID != agentID {
		t.Fatalf("agent contact owner: %+v", mine)
	}
	e.must(e.do("POST", "/api/v1/contacts", agent, map[string]any{"phone": "081298765433", "ownerAgentId": agentID + 100}), 403)
	var l contactList
	e.must(e.do("GET", "/api/v1/contacts", agent, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != mine.ID {
		t.Fatalf("agent scope: %+v", l)
	}
	e.must(e.do("GET", "/api/v1/contacts/"+itoa(siti.ID), agent, nil), 404)
	e.must(e.do("PATCH", "/api/v1/contacts/"+itoa(siti.ID), agent, map[string]any{"name": "x"}), 404)
	e.must(e.do("GET", "/api/v1/contacts", admin, nil), 200).json(t, &l)
	if l.Total != 2 {
		t.Fatalf("admin sees all: %+v", l)
	}

	// Search: any spelling of the number, name, tag, attribute.
	for _, q := range []string{"628123456789", "+62 812 3456 789", "0812-3456-789", "siti", "NURHA", "3456"} {
		e.must(e.do("GET", "/api/v1/contacts?q="+strings.ReplaceAll(strings.ReplaceAll(q, " ", "%20"), "+", "%2B"), admin, nil), 200).json(t, &l)
		if l.Total != 1 || l.Items[0].ID != siti.ID {
			t.Fatalf("search %q: %+v", q, l)
		}
	}
	for _, q := range []string{"tag=vip", "attr=city%3DBandung", "attr=city%3DBandung&attr=tier%3Dgold"} {
		e.must(e.do("GET", "/api/v1/contacts?"+q, admin, nil), 200).json(t, &l)
		if l.Total != 1 || l.Items[0].ID != siti.ID {
			t.Fatalf("filter %q: %+v", q, l)
		}
	}
	e.must(e.do("GET", "/api/v1/contacts?attr=city%3DMedan", admin, nil), 200).json(t, &l)
	if l.Total != 0 {
		t.Fatalf("attr miss: %+v", l)
	}
	e.must(e.do("GET", "/api/v1/contacts?attr=nokey", admin, nil), 400)

	// Opt-out, tags, owner.
	var up contacts.ContactRecord
	e.must(e.do("PATCH", "/api/v1/contacts/"+itoa(siti.ID), admin, map[string]any{"optedOut": true, "ownerAgentId": agentID}), 200).json(t, &up)
	if !up.OptedOut || up.OwnerAgentID == nil || *up.OwnerAgentID != agentID || up.Name != "Siti Nurhaliza" {
		t.Fatalf("patch: %+v", up)
	}
	e.must(e.do("GET", "/api/v1/contacts?optedOut=true", agent, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != siti.ID {
		t.Fatalf("opted out, now owned by agent: %+v", l)
	}
	e.must(e.do("POST", "/api/v1/contacts/"+itoa(siti.ID)+"/tags", admin, map[string]any{"tags": []string{"promo", "vip"}}), 200).json(t, &up)
	if strings.Join(up.Tags, ",") != "vip,jakarta,promo" {
		t.Fatalf("add tags: %v", up.Tags)
	}
	e.must(e.do("DELETE", "/api/v1/contacts/"+itoa(siti.ID)+"/tags/jakarta", admin, nil), 200).json(t, &up)
	if strings.Join(up.Tags, ",") != "vip,promo" {
		t.Fatalf("remove tag: %v", up.Tags)
	}
	r = e.must(e.do("PATCH", "/api/v1/contacts/"+itoa(mine.ID), admin, map[string]any{"phone": "0812-3456-789"}), 409)
	if _, f := r.errField(); f != "phone" {
		t.Fatalf("phone change to a taken number: %s", r.body)
	}

	// Export: CSV of what the caller sees, audited; agents lack the permission.
	e.must(e.do("GET", "/api/v1/contacts/export", agent, nil), 403)
	r = e.must(e.do("GET", "/api/v1/contacts/export?tag=vip", admin, nil), 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != "'+628123456789" || recs[1][2] != "Siti Nurhaliza" || recs[1][3] != "vip;promo" {
		t.Fatalf("export: %v %q", err, r.body)
	}
	var audits int64
	e.db.Raw("SELECT count(*) FROM audit_log WHERE action = 'contact.export'").Scan(&audits)
	if audits != 1 {
		t.Fatalf("export audits = %d", audits)
	}

	// Delete: a contact with conversations is kept.
	e.db.Exec(`INSERT INTO senders (phone_number_id) VALUES ('pn-1')`)
	e.db.Exec(`INSERT INTO conversations (sender_id, contact_id, status) SELECT id, ?, 'open' FROM senders`, siti.ID)
	r = e.must(e.do("DELETE", "/api/v1/contacts/"+itoa(siti.ID), admin, nil), 409)
	if _, f := r.errField(); f != "id" {
		t.Fatalf("delete with conversations: %s", r.body)
	}
	e.must(e.do("DELETE", "/api/v1/contacts/"+itoa(mine.ID), agent, nil), 403) // agents lack contacts:delete
	e.must(e.do("DELETE", "/api/v1/contacts/"+itoa(mine.ID), admin, nil), 204)
	e.must(e.do("GET", "/api/v1/contacts/"+itoa(mine.ID), admin, nil), 404)
}

func TestSegments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	agentID := e.agent("agent@example.com", e.roleID(models.RoleKeyAgent))
	phones := []string{"0812-1000-0001", "0812-1000-0002", "0812-1000-0003", "0812-1000-0004", "0812-1000-0005"}
	var ids []int64
	for i, p := range phones {
		body := map[string]any{"phone": p, "tags": []string{"vip"}, "attributes": map[string]any{"city": "Jakarta"}}
		if i%2 == 1 {
			body["tags"] = []string{"regular"}
		}
		if i == 4 {
			body["optedOut"] = true
			body["ownerAgentId"] = agentID
		}
		var c contacts.ContactRecord
		e.must(e.do("POST", "/api/v1/contacts", admin, body), 201).json(t, &c)
		ids = append(ids, c.ID)
	}
	e.db.Exec("UPDATE contacts SET last_contacted_at = now() - interval '10 days' WHERE id = ?", ids[0])

	var sg contacts.Segment
	e.must(e.do("POST", "/api/v1/segments", admin, map[string]any{
		"name": "VIP Jakarta reachable", "filter": map[string]any{"tags": []string{"vip"}, "attributes": map[string]string{"city": "Jakarta"}, "optedOut": false},
	}), 201).json(t, &sg)
	e.must(e.do("POST", "/api/v1/segments", admin, map[string]any{"name": "VIP Jakarta reachable"}), 409)
	e.must(e.do("POST", "/api/v1/segments", admin, map[string]any{"name": "x", "filter": map[string]any{"tags": []string{""}}}), 400)

	// Keyset paging through the API, one per page.
	var got []int64
	after := int64(0)
	for range 5 {
		var page struct {
			Items []contacts.ContactRecord `json:"items"`
			Next  int64                    `json:"next"`
		}
		path := "/api/v1/segments/" + itoa(sg.ID) + "/contacts?limit=1"
		if after != 0 {
			path += "&after=" + itoa(after)
		}
		e.must(e.do("GET", path, admin, nil), 200).json(t, &page)
		for _, c := range page.Items {
			got = append(got, c.ID)
		}
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	if len(got) != 2 || got[0] != ids[0] || got[1] != ids[2] {
		t.Fatalf("segment contacts %v, want %v", got, []int64{ids[0], ids[2]})
	}

	// The models Page the campaign engine uses.
	st := contacts.SegmentStore{DB: e.db}
	page, err := st.Page(t.Context(), sg.ID, ids[0], 10)
	if err != nil || len(page) != 1 || page[0].ID != ids[2] {
		t.Fatalf("Page after first: %v %+v", err, page)
	}

	// Last-contacted filters and owner.
	var sg2 contacts.Segment
	e.must(e.do("PATCH", "/api/v1/segments/"+itoa(sg.ID), admin, map[string]any{"filter": map[string]any{"neverContacted": true, "anyTags": []string{"vip", "regular"}}}), 200).json(t, &sg2)
	page, err = st.Page(t.Context(), sg.ID, 0, 10)
	if err != nil || len(page) != 4 {
		t.Fatalf("never contacted: %v %d", err, len(page))
	}
	e.must(e.do("PATCH", "/api/v1/segments/"+itoa(sg.ID), admin, map[string]any{"filter": map[string]any{"lastContactedBefore": "2100-01-01T00:00:00Z"}}), 200)
	if page, _ = st.Page(t.Context(), sg.ID, 0, 10); len(page) != 1 || page[0].ID != ids[0] {
		t.Fatalf("contacted before: %+v", page)
	}
	e.must(e.do("PATCH", "/api/v1/segments/"+itoa(sg.ID), admin, map[string]any{"filter": map[string]any{"ownerAgentId": agentID}}), 200)
	if page, _ = st.Page(t.Context(), sg.ID, 0, 10); len(page) != 1 || page[0].ID != ids[4] {
		t.Fatalf("owner: %+v", page)
	}
	// An agent sees only its own contacts of a segment.
	agent := e.login("agent@example.com").AccessToken
	e.must(e.do("PATCH", "/api/v1/segments/"+itoa(sg.ID), admin, map[string]any{"filter": map[string]any{}}), 200)
	var ap struct {
		Items []contacts.ContactRecord `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/segments/"+itoa(sg.ID)+"/contacts", agent, nil), 200).json(t, &ap)
	if len(ap.Items) != 1 || ap.Items[0].ID != ids[4] {
		t.Fatalf("agent segment view: %+v", ap.Items)
	}
	e.must(e.do("DELETE", "/api/v1/segments/"+itoa(sg.ID), admin, nil), 204)
	e.must(e.do("GET", "/api/v1/segments/"+itoa(sg.ID), admin, nil), 404)
	if _, err := st.Page(t.Context(), sg.ID, 0, 10); models.CodeOf(err) != models.ENotFound {
		t.Fatalf("deleted segment page: %v", err)
	}
}

// Export reads by keyset in batches: every row once, in id order.
func TestContactExportManyRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	if err := e.db.Exec(`INSERT INTO contacts (phone_e164, wa_id, name)
		SELECT '+62812' || lpad(g::text, 7, '0'), '62812' || lpad(g::text, 7, '0'), '=HYPERLINK("x") ' || g
		FROM generate_series(1, 2345) AS g`).Error; err != nil {
		t.Fatal(err)
	}
	r := e.must(e.do("GET", "/api/v1/contacts/export", admin, nil), 200)
	recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(recs) != 2346 {
		t.Fatalf("export rows %d: %v", len(recs), err)
	}
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		if seen[rec[0]] || !strings.HasPrefix(rec[2], "'=") {
			t.Fatalf("row %v (duplicate or formula not defused)", rec)
		}
		seen[rec[0]] = true
	}
}

// A Supervisor sees the contacts owned by the members of its teams.
func TestContactSupervisorScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	teams := identity.TeamStore{DB: e.db}
	north, err := teams.Create(t.Context(), system, identity.TeamInput{Name: "North"})
	if err != nil {
		t.Fatal(err)
	}
	south, err := teams.Create(t.Context(), system, identity.TeamInput{Name: "South"})
	if err != nil {
		t.Fatal(err)
	}
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), north.ID)
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent), south.ID)
	e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor), north.ID)
	sup := e.login("sup@example.com").AccessToken
	var c1, c2 contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-1111-0001", "ownerAgentId": a1}), 201).json(t, &c1)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-1111-0002", "ownerAgentId": a2}), 201).json(t, &c2)
	var l contactList
	e.must(e.do("GET", "/api/v1/contacts", sup, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != c1.ID {
		t.Fatalf("supervisor sees %+v", l)
	}
	e.must(e.do("GET", "/api/v1/contacts/"+itoa(c2.ID), sup, nil), 404)
	e.must(e.do("POST", "/api/v1/contacts", sup, map[string]any{"phone": "0812-1111-0003", "ownerAgentId": a1}), 201)
	e.must(e.do("POST", "/api/v1/contacts", sup, map[string]any{"phone": "0812-1111-0004", "ownerAgentId": a2}), 403)
}
