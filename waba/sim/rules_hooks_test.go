package sim_test

import (
	"strings"
	"testing"
	"time"
)

// The webhooks the simulator sends, in today's shapes.

func lastStatus(r *rig, wamid, status string) map[string]any {
	r.t.Helper()
	var got map[string]any
	r.eventually(status+" of "+wamid, func() bool {
		for _, s := range r.hooks.statuses(wamid) {
			if s["status"] == status {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

func wamidOf(t *testing.T, code int, out map[string]any) string {
	t.Helper()
	if code != 200 {
		t.Fatalf("send refused: %v", out)
	}
	return out["messages"].([]any)[0].(map[string]any)["id"].(string)
}

func TestHooksPricing(t *testing.T) {
	r := newRig(t, nil)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	r.approved("info_tagihan", tplDef("info_tagihan", "UTILITY", okBody))
	tpl := func(to, name string) string {
		return `{"messaging_product":"whatsapp","to":"` + to + `","type":"template","template":{"name":"` + name + `","language":{"code":"id"}}}`
	}
	// Per-message pricing: "pricing_model: PMP; type: regular, free_customer_service or free_entry_point".
	cases := []struct {
		name, body, typ, category string
		billable                  bool
		setup                     func(phone string)
	}{
		{"marketing template", tpl("6281100000001", "promo"), "regular", "marketing", true, nil},
		{"utility outside the window", tpl("6281100000002", "info_tagihan"), "regular", "utility", true, nil},
		{"utility inside the window", tpl("6281100000003", "info_tagihan"), "free_customer_service", "utility", false, func(p string) { r.customer(p, `{"text":"halo"}`) }},
		{"service reply", `{"messaging_product":"whatsapp","to":"6281100000004","type":"text","text":{"body":"Baik"}}`, "free_customer_service", "service", false, func(p string) { r.customer(p, `{"text":"halo"}`) }},
		{"after a click-to-WhatsApp ad", tpl("6281100000005", "promo"), "free_entry_point", "marketing", false,
			func(p string) {
				r.customer(p, `{"text":"halo","referral":{"sourceId":"ad-1","headline":"Promo","url":"https://fb.me/ad"}}`)
			}},
	}
	for _, c := range cases {
		phone := strings.Split(strings.Split(c.body, `"to":"`)[1], `"`)[0]
		if c.setup != nil {
			c.setup(phone)
		}
		code, out := r.send(c.body)
		st := lastStatus(r, wamidOf(t, code, out), "delivered")
		p, _ := st["pricing"].(map[string]any)
		if p["pricing_model"] != "PMP" || p["type"] != c.typ || p["category"] != c.category || p["billable"] != c.billable || st["conversation"] != nil {
			t.Errorf("%s: pricing %v", c.name, st)
		}
	}
	// The referral reaches the business on the message.
	for _, v := range r.hooks.values("messages") {
		for _, m := range asList(v["messages"]) {
			if ref, ok := m["referral"].(map[string]any); ok && (ref["source_id"] != "ad-1" || ref["source_type"] != "ad" || ref["headline"] != "Promo") {
				t.Errorf("referral: %v", ref)
			}
		}
	}
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestHooksUserPreferencesAndOptOut(t *testing.T) {
	r := newRig(t, nil)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	r.approved("info_tagihan", tplDef("info_tagihan", "UTILITY", okBody))
	tpl := func(name string) string {
		return `{"messaging_product":"whatsapp","to":"` + rPhone + `","type":"template","template":{"name":"` + name + `","language":{"code":"id"}}}`
	}
	r.control("/sim/customers/"+rPhone+"/preferences", `{"value":"stop"}`)
	// user_preferences: {"wa_id","detail","category":"marketing_messages","value":"stop","timestamp"}.
	prefs := r.hooks.values("user_preferences")
	if len(prefs) != 1 {
		t.Fatalf("user_preferences webhooks: %v", prefs)
	}
	up := asList(prefs[0]["user_preferences"])
	if len(up) != 1 || up[0]["wa_id"] != rPhone || up[0]["category"] != "marketing_messages" || up[0]["value"] != "stop" || up[0]["detail"] != "User requested to stop marketing messages" {
		t.Fatalf("preference: %v", prefs[0])
	}
	// 131050: "this recipient has chosen to stop receiving marketing messages".
	code, out := r.send(tpl("promo"))
	st := lastStatus(r, wamidOf(t, code, out), "failed")
	if e := asList(st["errors"]); len(e) != 1 || e[0]["code"] != 131050.0 {
		t.Fatalf("marketing after stop: %v", st)
	}
	code, out = r.send(tpl("info_tagihan")) // utility still goes
	lastStatus(r, wamidOf(t, code, out), "delivered")
	r.control("/sim/customers/"+rPhone+"/preferences", `{"value":"resume"}`)
	code, out = r.send(tpl("promo"))
	lastStatus(r, wamidOf(t, code, out), "delivered")
}

func TestHooksAccountUpdate(t *testing.T) {
	r := newRig(t, nil)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	promo := `{"messaging_product":"whatsapp","to":"6281200000001","type":"template","template":{"name":"promo","language":{"code":"id"}}}`
	r.control("/sim/numbers/"+rPNID+"/account", `{"event":"ACCOUNT_RESTRICTION","hours":24}`)
	v := r.hooks.values("account_update")
	if len(v) != 1 || v[0]["event"] != "ACCOUNT_RESTRICTION" || asList(v[0]["restriction_info"])[0]["restriction_type"] != "RESTRICTED_BIZ_INITIATED_MESSAGING" {
		t.Fatalf("account_update: %v", v)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{{"template while restricted", promo, 368, "restricted"}})
	// Replies inside the window still go.
	r.customer("6281200000002", `{"text":"halo"}`)
	if code, out := r.send(`{"messaging_product":"whatsapp","to":"6281200000002","type":"text","text":{"body":"Baik"}}`); code != 200 {
		t.Fatalf("reply while restricted: %v", out)
	}
	r.control("/sim/numbers/"+rPNID+"/account", `{"event":"DISABLED_UPDATE"}`)
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{{"any send while banned", `{"messaging_product":"whatsapp","to":"6281200000002","type":"text","text":{"body":"x"}}`, 131031, "disabled"}})
	r.control("/sim/numbers/"+rPNID+"/account", `{"event":"REINSTATED"}`)
	if code, out := r.send(promo); code != 200 {
		t.Fatalf("template after reinstatement: %v", out)
	}
}

func TestHooksBSUIDAndSystemMessages(t *testing.T) {
	r := newRig(t, nil)
	r.customer(rPhone, `{"text":"halo","userId":"ID.1234567890AB","hidePhone":true}`)
	in := r.hooks.values("messages")
	m := asList(in[0]["messages"])[0]
	if m["from"] != nil || m["from_user_id"] != "ID.1234567890AB" || asList(in[0]["contacts"])[0]["user_id"] != "ID.1234567890AB" {
		t.Fatalf("BSUID-only inbound: %v", in[0])
	}
	// A reply by BSUID uses recipient; its statuses name recipient_user_id.
	code, out := r.send(`{"messaging_product":"whatsapp","recipient":"ID.1234567890AB","type":"text","text":{"body":"Baik"}}`)
	st := lastStatus(r, wamidOf(t, code, out), "delivered")
	if st["recipient_user_id"] != "ID.1234567890AB" {
		t.Fatalf("status: %v", st)
	}
	if c := asList(out["contacts"])[0]; c["user_id"] != "ID.1234567890AB" || c["input"] != "ID.1234567890AB" {
		t.Fatalf("send answer contacts: %v", out)
	}
	// user_changed_number: system.type, system.wa_id = the new number.
	r.control("/sim/customers/"+rPhone+"/change-number", `{"newPhone":"6289900001111","newUserId":"ID.99999999ZZ"}`)
	var sys map[string]any
	for _, v := range r.hooks.values("messages") {
		for _, mm := range asList(v["messages"]) {
			if mm["type"] == "system" {
				sys = mm
			}
		}
	}
	s, _ := sys["system"].(map[string]any)
	if s["type"] != "user_changed_number" || s["wa_id"] != "6289900001111" || sys["from"] != rPhone {
		t.Fatalf("system message: %v", sys)
	}
	// The window follows the user to the new number.
	if code, out := r.send(`{"messaging_product":"whatsapp","to":"6289900001111","type":"text","text":{"body":"Nomor baru tercatat"}}`); code != 200 {
		t.Fatalf("send to new number: %v", out)
	} else {
		lastStatus(r, wamidOf(t, code, out), "delivered")
	}
	r.control("/sim/customers/6289900001111/change-number", `{"newUserId":"ID.88888888YY"}`)
	found := false
	for _, v := range r.hooks.values("messages") {
		for _, mm := range asList(v["messages"]) {
			if s, ok := mm["system"].(map[string]any); ok && s["type"] == "user_changed_user_id" && s["user_id"] == "ID.88888888YY" {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no user_changed_user_id system message")
	}
}

func TestHooksQualityEchoesAndCategory(t *testing.T) {
	r := newRig(t, nil)
	r.control("/sim/numbers/"+rPNID+"/quality", `{"event":"THROUGHPUT_UPGRADE","tier":"TIER_2K","throughputMps":1000}`)
	r.eventually("quality webhook", func() bool { return len(r.hooks.values("phone_number_quality_update")) == 1 })
	q := r.hooks.values("phone_number_quality_update")[0]
	// current_limit "will be removed in February, 2026. Use max_daily_conversations_per_business instead."
	if q["max_daily_conversations_per_business"] != "TIER_2K" || q["event"] != "THROUGHPUT_UPGRADE" || q["current_limit"] != nil || q["old_limit"] != nil {
		t.Fatalf("quality: %v", q)
	}
	r.control("/sim/numbers/"+rPNID+"/echo", `{"to":"`+rPhone+`","text":"Dari aplikasi"}`)
	e := asList(r.hooks.values("smb_message_echoes")[0]["message_echoes"])
	if len(e) != 1 || e[0]["to"] != rPhone || e[0]["from"] != "622150000001" || e[0]["text"].(map[string]any)["body"] != "Dari aplikasi" {
		t.Fatalf("echo: %v", e)
	}
	r.approved("info_tagihan", tplDef("info_tagihan", "UTILITY", okBody))
	r.control("/sim/templates/info_tagihan/category", `{"category":"MARKETING"}`)
	r.eventually("category webhook", func() bool { return len(r.hooks.values("template_category_update")) == 1 })
	c := r.hooks.values("template_category_update")[0]
	if c["previous_category"] != "UTILITY" || c["new_category"] != "MARKETING" || c["message_template_name"] != "info_tagihan" {
		t.Fatalf("category: %v", c)
	}
}

// Free entry point (https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing):
// a reply within 24 h of the customer's message from a click-to-WhatsApp ad
// opens 72 h of free messages from that reply; a reply after 24 h opens
// nothing.
func TestHooksFreeEntryPoint(t *testing.T) {
	r := newRig(t, nil)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	tpl := func(to string) string {
		return `{"messaging_product":"whatsapp","to":"` + to + `","type":"template","template":{"name":"promo","language":{"code":"id"}}}`
	}
	pricing := func(to string) string {
		t.Helper()
		code, out := r.send(tpl(to))
		st := lastStatus(r, wamidOf(t, code, out), "delivered")
		p, _ := st["pricing"].(map[string]any)
		return p["type"].(string)
	}
	ad := `{"text":"halo","referral":{"sourceId":"ad-2","headline":"Cicilan 0%","url":"https://fb.me/ad2"}}`

	// Answered 23 h after the ad message: free then, and 71 h later (the
	// 24 h window long closed, a template, still free), charged after 72 h.
	r.customer("6281100000011", ad)
	r.advance(23 * time.Hour)
	if got := pricing("6281100000011"); got != "free_entry_point" {
		t.Fatalf("reply 23 h after the ad: %s", got)
	}
	r.advance(71 * time.Hour)
	if got := pricing("6281100000011"); got != "free_entry_point" {
		t.Fatalf("71 h after the opening reply: %s", got)
	}
	r.advance(2 * time.Hour)
	if got := pricing("6281100000011"); got != "regular" {
		t.Fatalf("73 h after the opening reply: %s", got)
	}

	// Answered only 25 h after the ad message: no entry point at all.
	r.customer("6281100000012", ad)
	r.advance(25 * time.Hour)
	if got := pricing("6281100000012"); got != "regular" {
		t.Fatalf("reply 25 h after the ad: %s", got)
	}
}

// Template pacing (https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing):
// past the threshold a send is answered held_for_quality_assessment and gets
// no status; a good verdict sends what was held, a bad one pauses the
// template and fails each held message with 132015.
func TestHooksTemplatePacing(t *testing.T) {
	r := newRig(t, nil)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	send := func(to string) (string, string) {
		t.Helper()
		code, out := r.send(`{"messaging_product":"whatsapp","to":"` + to + `","type":"template","template":{"name":"promo","language":{"code":"id"}}}`)
		m := out["messages"].([]any)[0].(map[string]any)
		if code != 200 {
			t.Fatalf("send: %d %v", code, out)
		}
		return m["id"].(string), m["message_status"].(string)
	}
	r.control("/sim/templates/promo/pacing", `{"threshold":1}`)
	first, st1 := send("6281100000021")
	held1, st2 := send("6281100000022")
	held2, st3 := send("6281100000023")
	if st1 != "accepted" || st2 != "held_for_quality_assessment" || st3 != "held_for_quality_assessment" {
		t.Fatalf("message_status: %s %s %s", st1, st2, st3)
	}
	lastStatus(r, first, "delivered")
	time.Sleep(50 * time.Millisecond) // statuses of the others would be due by now
	if s := r.hooks.statuses(held1); len(s) != 0 {
		t.Fatalf("a held message got statuses: %v", s)
	}
	r.control("/sim/templates/promo/pacing", `{"verdict":"good"}`)
	lastStatus(r, held1, "delivered")
	lastStatus(r, held2, "delivered")
	if _, st := send("6281100000024"); st != "accepted" {
		t.Fatalf("after a good verdict: %s", st)
	}

	r.control("/sim/templates/promo/pacing", `{"threshold":0}`)
	dropped, _ := send("6281100000025")
	r.control("/sim/templates/promo/pacing", `{"verdict":"bad"}`)
	st := lastStatus(r, dropped, "failed")
	if e := asList(st["errors"]); len(e) != 1 || e[0]["code"] != 132015.0 {
		t.Fatalf("dropped: %v", st)
	}
	paused := false
	for _, v := range r.hooks.values("message_template_status_update") {
		if v["event"] == "PAUSED" && v["message_template_name"] == "promo" {
			paused = true
		}
	}
	if !paused {
		t.Fatal("a bad verdict did not pause the template")
	}
}

// An edited template (message_template_components_update) is checked by its
// new text: a send filled for the old body is refused with 132000.
func TestHooksTemplateEdited(t *testing.T) {
	r := newRig(t, nil)
	r.approved("info", tplDef("info", "UTILITY", okBody))
	r.control("/sim/templates/info/edit", `{"body":"Halo {{1}}, tagihan {{2}} sudah terbit."}`)
	var vals []map[string]any
	r.eventually("components update", func() bool { vals = r.hooks.values("message_template_components_update"); return len(vals) > 0 })
	if len(vals) != 1 || vals[0]["message_template_element"] != "Halo {{1}}, tagihan {{2}} sudah terbit." || vals[0]["message_template_name"] != "info" {
		t.Fatalf("components update: %v", vals)
	}
	old := `{"messaging_product":"whatsapp","to":"6281100000031","type":"template","template":{"name":"info","language":{"code":"id"}}}`
	if code, out := r.send(old); code != 400 || out["error"].(map[string]any)["code"] != 132000.0 {
		t.Fatalf("send for the old body: %d %v", code, out)
	}
	filled := `{"messaging_product":"whatsapp","to":"6281100000031","type":"template","template":{"name":"info","language":{"code":"id"},
		"components":[{"type":"body","parameters":[{"type":"text","text":"Siti"},{"type":"text","text":"Rp 1.000"}]}]}}`
	if code, out := r.send(filled); code != 200 {
		t.Fatalf("send for the new body: %d %v", code, out)
	}
}
