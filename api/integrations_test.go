package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/integrations"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()

	// A read-only role: contacts:read but not contacts:write.
	var reader identity.Role
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{"name": "Reader", "dataScope": "all",
		"permissions": []string{"contacts:read"}}), 201).json(t, &reader)
	var full, ro apikeys.CreatedAPIKey
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "Core banking", "roleId": e.roleID(models.RoleKeyAdmin)}), 201).json(t, &full)
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "BI export", "roleId": reader.ID}), 201).json(t, &ro)
	if !strings.HasPrefix(full.Secret, "scrm_live_"+itoa(full.ID)+"_") || len(full.Secret) < 50 || full.Status != "active" ||
		full.Hint != full.Secret[len(full.Secret)-4:] || full.LastUsedAt != nil {
		t.Fatalf("created: %+v", full)
	}
	// The secret is shown once: neither the list nor a get carries it.
	for _, r := range []resp{e.do("GET", "/api/v1/api-keys", admin, nil), e.do("GET", "/api/v1/api-keys/"+itoa(full.ID), admin, nil)} {
		e.must(r, 200)
		if strings.Contains(string(r.body), full.Secret) || strings.Contains(string(r.body), "secret") {
			t.Fatalf("secret leaked: %s", r.body)
		}
	}
	// Only its hash is stored.
	var stored string
	if err := e.db.Raw("SELECT secret_hash FROM api_keys WHERE id = ?", full.ID).Scan(&stored).Error; err != nil || stored == "" || strings.Contains(stored, full.Secret[20:]) {
		t.Fatalf("stored %q %v", stored, err)
	}

	// The key works on the REST API like a login, with its role.
	e.must(e.do("POST", "/api/v1/contacts", full.Secret, map[string]any{"phone": "0812-7777-0001", "name": "Dewi"}), 201)
	e.must(e.do("GET", "/api/v1/contacts", ro.Secret, nil), 200)
	// A write with a key is audited as the key's (no person).
	var byKey int64
	e.db.Raw(`SELECT count(*) FROM audit_log WHERE action = 'contact.create' AND actor_id IS NULL AND (details->>'apiKeyId')::bigint = ?`, full.ID).Scan(&byKey)
	if byKey != 1 {
		t.Fatalf("audit rows of the key's write: %d", byKey)
	}
	if code, _ := e.must(e.do("POST", "/api/v1/contacts", ro.Secret, map[string]any{"phone": "0812-7777-0002"}), 403).errField(); code != "forbidden" {
		t.Fatalf("code %s", code)
	}
	// A key has no person behind it: no profile.
	e.must(e.do("GET", "/api/v1/me", full.Secret, nil), 403)
	// last_used_at is set.
	var k apikeys.APIKey
	e.must(e.do("GET", "/api/v1/api-keys/"+itoa(full.ID), admin, nil), 200).json(t, &k)
	if k.LastUsedAt == nil || time.Since(*k.LastUsedAt) > time.Minute {
		t.Fatalf("last used: %+v", k)
	}
	// A wrong secret with a right id, a malformed key: 401.
	e.must(e.do("GET", "/api/v1/contacts", full.Secret[:len(full.Secret)-2]+"xx", nil), 401)
	e.must(e.do("GET", "/api/v1/contacts", "scrm_live_nope", nil), 401)

	// Revoked: 401 at once; audited.
	e.must(e.do("POST", "/api/v1/api-keys/"+itoa(full.ID)+"/revoke", admin, nil), 200).json(t, &k)
	if k.Status != "revoked" {
		t.Fatalf("revoke: %+v", k)
	}
	e.must(e.do("GET", "/api/v1/contacts", full.Secret, nil), 401)

	// Expired: 401.
	soon := time.Now().Add(2 * time.Second)
	var exp apikeys.CreatedAPIKey
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "Short", "roleId": reader.ID, "expiresAt": soon}), 201).json(t, &exp)
	e.must(e.do("GET", "/api/v1/contacts", exp.Secret, nil), 200)
	if err := e.db.Exec("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ?", exp.ID).Error; err != nil {
		t.Fatal(err)
	}
	e.must(e.do("GET", "/api/v1/contacts", exp.Secret, nil), 401)
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "Past", "roleId": reader.ID, "expiresAt": time.Now().Add(-time.Hour)}), 400)

	// Nobody hands out more than they hold: the reader key cannot make keys
	// (no apikeys:write), and a Supervisor cannot mint an Admin key.
	e.must(e.do("POST", "/api/v1/api-keys", ro.Secret, map[string]any{"name": "x", "roleId": reader.ID}), 403)
	var keyman identity.Role
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{"name": "Key manager", "dataScope": "all",
		"permissions": []string{"apikeys:write", "contacts:read"}}), 201).json(t, &keyman)
	e.agent("keys@example.com", keyman.ID)
	km := e.login("keys@example.com").AccessToken
	e.must(e.do("POST", "/api/v1/api-keys", km, map[string]any{"name": "too much", "roleId": e.roleID(models.RoleKeyAdmin)}), 403)
	e.must(e.do("POST", "/api/v1/api-keys", km, map[string]any{"name": "reader", "roleId": reader.ID}), 201)

	var audit struct {
		Items []identity.AuditEntry `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/audit?entity=api_key", admin, nil), 200).json(t, &audit)
	actions := map[string]int{}
	for _, a := range audit.Items {
		actions[a.Action]++
	}
	if actions[apikeys.AuditAPIKeyCreate] != 4 || actions[apikeys.AuditAPIKeyRevoke] != 1 {
		t.Fatalf("audit: %v", actions)
	}
}

func TestWebhookSubscriptionsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	var sub integrations.CreatedSubscription
	e.must(e.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://erp.example.com/hooks",
		"eventTypes": []string{"case.assigned", "case.closed"}}), 201).json(t, &sub)
	if !strings.HasPrefix(sub.Secret, "whsec_") || !sub.Active {
		t.Fatalf("created: %+v", sub)
	}
	r := e.must(e.do("GET", "/api/v1/webhooks", admin, nil), 200)
	if strings.Contains(string(r.body), sub.Secret) {
		t.Fatalf("secret listed: %s", r.body)
	}
	e.must(e.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": "http://erp.example.com/hooks", "eventTypes": []string{"case.closed"}}), 400)
	e.must(e.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://erp.example.com/hooks", "eventTypes": []string{"case.exploded"}}), 400)
	// Private targets are refused at save time (issue #20): metadata, loopback, RFC 1918.
	for _, u := range []string{"https://169.254.169.254/latest/meta-data", "http://127.0.0.1:9000/x", "https://10.0.0.8/hook", "https://localhost/x"} {
		e.must(e.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": u, "eventTypes": []string{"case.closed"}}), 422)
	}
	var up integrations.Subscription
	e.must(e.do("PATCH", "/api/v1/webhooks/"+itoa(sub.ID), admin, map[string]any{"active": false}), 200).json(t, &up)
	if up.Active {
		t.Fatalf("update: %+v", up)
	}
	e.must(e.do("GET", "/api/v1/webhook-deliveries?subscriptionId="+itoa(sub.ID), admin, nil), 200)
	e.must(e.do("POST", "/api/v1/webhook-deliveries/999999/replay", admin, nil), 404)
	sup := e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor))
	_ = sup
	e.must(e.do("GET", "/api/v1/webhooks", e.login("sup@example.com").AccessToken, nil), 403)
	e.must(e.do("DELETE", "/api/v1/webhooks/"+itoa(sub.ID), admin, nil), 204)
	var audit struct {
		Items []identity.AuditEntry `json:"items"`
	}
	e.must(e.do("GET", "/api/v1/audit?entity=webhook", admin, nil), 200).json(t, &audit)
	if len(audit.Items) != 3 {
		t.Fatalf("audit: %+v", audit.Items)
	}
}

// A key with a teams-scoped role sees the records of its teams only, as a
// supervisor of those teams would.
func TestAPIKeyDataScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, admin := e.admin()
	var north, south identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Utara"}), 201).json(t, &north)
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Selatan"}), 201).json(t, &south)
	st := cases.CaseStore{DB: e.db, Events: models.EventStore{DB: e.db}}
	for i, team := range []int64{north.ID, south.ID, north.ID} {
		if _, err := st.Create(ctx, 0, cases.CaseInput{Reference: "SC-" + itoa(int64(i)), TeamID: team, Amount: 1000, DueDate: "2026-12-01"}); err != nil {
			t.Fatal(err)
		}
	}
	var key apikeys.CreatedAPIKey
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "North desk", "roleId": e.roleID(models.RoleKeySupervisor),
		"teamIds": []int64{north.ID}}), 201).json(t, &key)
	var page struct {
		Items []cases.Case `json:"items"`
		Total int64        `json:"total"`
	}
	e.must(e.do("GET", "/api/v1/cases", key.Secret, nil), 200).json(t, &page)
	if page.Total != 2 {
		t.Fatalf("north key sees %d cases: %+v", page.Total, page.Items)
	}
	for _, c := range page.Items {
		if c.TeamID != north.ID {
			t.Fatalf("case of team %d visible: %+v", c.TeamID, c)
		}
	}
	var southCase int64
	e.db.Raw(`SELECT id FROM cases WHERE team_id = ?`, south.ID).Scan(&southCase)
	e.must(e.do("GET", "/api/v1/cases/"+itoa(southCase), key.Secret, nil), 404)
	e.must(e.do("POST", "/api/v1/api-keys", admin, map[string]any{"name": "x", "roleId": e.roleID(models.RoleKeySupervisor), "teamIds": []int64{999999}}), 422)
}
