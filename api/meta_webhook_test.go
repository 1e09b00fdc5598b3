package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Signed webhooks from the strict simulator, in Meta's shapes, into the
// product: identity changes, marketing preferences, opt-out keywords, 131050.

func (e *restEnv) simControl(path, body string) {
	e.t.Helper()
	resp, err := http.Post(e.simS.URL+path, "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("%s: %v %v", path, resp, err)
	}
	resp.Body.Close()
}

func (e *restEnv) scalar(sql string, args ...any) string {
	e.t.Helper()
	var v *string
	if err := e.db.Gorm.Raw(sql, args...).Scan(&v).Error; err != nil {
		e.t.Fatal(err)
	}
	if v == nil {
		return "<nil>"
	}
	return *v
}

func TestWebhookUserChangedNumberKeepsContactAndConversation(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	e.simControl("/sim/customers/6281234567890/messages", `{"text":"Halo, mau tanya tagihan","name":"Siti","userId":"ID.1111222233AB"}`)
	contact := e.scalar(`SELECT id::text FROM contacts WHERE phone_e164 = '+6281234567890'`)
	before := e.scalar(`SELECT last_inbound_at::text || '|' || unread_count FROM conversations`)
	time.Sleep(1100 * time.Millisecond) // a system message carries a later timestamp
	e.simControl("/sim/customers/6281234567890/change-number", `{"newPhone":"6289911112222"}`)
	if got := e.scalar(`SELECT id::text || ' ' || phone_e164 || ' ' || wa_id FROM contacts`); got != contact+" +6289911112222 6289911112222" {
		t.Fatalf("contact after user_changed_number: %s", got)
	}
	if n := e.scalar(`SELECT count(*)::text FROM conversations`); n != "1" {
		t.Fatalf("%s conversations", n)
	}
	if after := e.scalar(`SELECT last_inbound_at::text || '|' || unread_count FROM conversations`); after != before {
		t.Fatalf("the system message moved the window or the unread count: %s -> %s", before, after)
	}
	if line := e.scalar(`SELECT type || ': ' || body FROM messages WHERE type = 'system'`); !strings.Contains(line, "changed from 6281234567890 to 6289911112222") {
		t.Fatalf("system line: %s", line)
	}
	// The customer writes from the new number: still the same contact and conversation.
	e.simControl("/sim/customers/6289911112222/messages", `{"text":"Ini nomor baru saya"}`)
	if n := e.scalar(`SELECT count(*)::text || '/' || (SELECT count(*) FROM conversations) FROM contacts`); n != "1/1" {
		t.Fatalf("contacts/conversations after writing from the new number: %s", n)
	}
	e.simControl("/sim/customers/6289911112222/change-number", `{"newUserId":"ID.99998888ZZ"}`)
	if b := e.scalar(`SELECT bsuid FROM contacts`); b != "ID.99998888ZZ" {
		t.Fatalf("bsuid after user_changed_user_id: %s", b)
	}
}

func TestWebhookMarketingPreferences(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	e.simControl("/sim/customers/6281234567890/messages", `{"text":"Halo"}`)
	opted := func() string {
		return e.scalar(`SELECT opted_out::text FROM contacts WHERE phone_e164 = '+6281234567890'`)
	}
	e.simControl("/sim/customers/6281234567890/preferences", `{"value":"stop"}`)
	if opted() != "true" {
		t.Fatal("user_preferences stop did not opt the contact out")
	}
	e.simControl("/sim/customers/6281234567890/preferences", `{"value":"resume"}`)
	if opted() != "false" {
		t.Fatal("user_preferences resume did not opt the contact back in")
	}
	// Keywords (defaults STOP / BERHENTI, START / MULAI), whole message only.
	for _, c := range []struct{ text, want string }{{"stop", "true"}, {"mulai", "false"}, {" Berhenti! ", "true"}, {"tolong jangan stop dulu", "true"}, {"START", "false"}} {
		e.simControl("/sim/customers/6281234567890/messages", `{"text":"`+c.text+`"}`)
		if got := opted(); got != c.want {
			t.Fatalf("after %q opted_out = %s, want %s", c.text, got, c.want)
		}
	}
	// Each change of the preference is an audit row of the customer's doing
	// (no actor), naming where it came from; a repeated stop changes nothing.
	if got := e.scalar(`SELECT string_agg(action || ':' || (details->>'source'), ',' ORDER BY id) FROM audit_log WHERE entity = 'contact' AND actor_id IS NULL`); got !=
		"contact.opt_out:user_preferences,contact.opt_in:user_preferences,contact.opt_out:keyword,contact.opt_in:keyword,contact.opt_out:keyword,contact.opt_in:keyword" {
		t.Fatalf("opt-out audit: %s", got)
	}
	// Each opt-out (not a repeated one) is a durable event for the webhooks.
	if n := e.scalar(`SELECT count(*)::text FROM events WHERE type = 'contact.opt_out'`); n != "3" {
		t.Fatalf("%s opt-out events, want 3", n)
	}
	if n := e.scalar(`SELECT count(*)::text FROM events WHERE type = 'contact.opt_out' AND data->>'source' = 'keyword'`); n != "2" {
		t.Fatalf("%s keyword opt-out events, want 2", n)
	}
}

func TestWebhookError131050OptsOut(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	ids := e.seedOutbound("wamid.PROMO1")
	fail := status("wamid.PROMO1", "failed", time.Now().Unix(), `,"errors":[{"code":131050,"title":"Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.","message":"x","error_data":{"details":"x"}}]`)
	if w := e.postSigned(envelope("messages", statusValue(fail))); w.Code != 200 {
		t.Fatalf("webhook: %d", w.Code)
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE opted_out`); n != 1 {
		t.Fatalf("opted-out contacts after 131050: %d (message %d)", n, ids[0])
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'contact.opt_out' AND details->>'source' = '131050' AND actor_id IS NULL`); n != 1 {
		t.Fatalf("audit rows of the 131050 opt-out: %d", n)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'contact.opt_out' AND data->>'source' = '131050'`); n != 1 {
		t.Fatalf("opt-out events after 131050: %d", n)
	}
}

func TestWebhookAccountUpdatePausesTheNumber(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	e.db.Gorm.Exec(`INSERT INTO senders (phone_number_id, waba_id, display_number, status) VALUES (?, ?, '+62 21 5088 1234', 'active'), ('PN-OTHER', 'OTHER-WABA', '+62 21 0000 0000', 'active')`, testPNID, testWABA)
	state := func() string {
		return e.scalar(`SELECT status || ' | ' || status_reason FROM senders WHERE phone_number_id = ?`, testPNID)
	}
	e.simControl("/sim/numbers/"+testPNID+"/account", `{"event":"ACCOUNT_RESTRICTION","restrictionType":"RESTRICTED_BIZ_INITIATED_MESSAGING","hours":24}`)
	if s := state(); !strings.HasPrefix(s, "restricted | WhatsApp restricted the account: RESTRICTED_BIZ_INITIATED_MESSAGING until ") {
		t.Fatalf("after ACCOUNT_RESTRICTION: %s", s)
	}
	if other := e.scalar(`SELECT status FROM senders WHERE phone_number_id = 'PN-OTHER'`); other != "active" {
		t.Fatalf("another account's number changed: %s", other)
	}
	e.simControl("/sim/numbers/"+testPNID+"/account", `{"event":"REINSTATED"}`)
	if s := state(); s != "active | " {
		t.Fatalf("after REINSTATED: %s", s)
	}
	e.simControl("/sim/numbers/"+testPNID+"/account", `{"event":"DISABLED_UPDATE"}`)
	if s := state(); !strings.HasPrefix(s, "disabled | WhatsApp disabled the account (DISABLE)") {
		t.Fatalf("after DISABLED_UPDATE: %s", s)
	}
	// A number an admin disabled is not re-enabled by reinstatement.
	e.db.Gorm.Exec(`UPDATE senders SET status_reason = 'disabled by admin' WHERE phone_number_id = ?`, testPNID)
	e.simControl("/sim/numbers/"+testPNID+"/account", `{"event":"REINSTATED"}`)
	if s := state(); s != "disabled | disabled by admin" {
		t.Fatalf("admin's disable undone: %s", s)
	}
}
