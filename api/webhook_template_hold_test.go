package api

import (
	"testing"
)

// template_category_update: an announced change (correct_category +
// category_update_timestamp, new_category still the current one) records
// what is coming; the completed change moves the category and keeps the
// earlier one.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
func TestWebhookTemplateCategoryUpdate(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	e.exec(`INSERT INTO templates (name, language, category, status, meta_id) VALUES ('pengingat_tagihan', 'id', 'UTILITY', 'APPROVED', '1889012345')`)
	type row struct {
		Category, PreviousCategory, UpcomingCategory string
		UpcomingAt                                   *int64
	}
	read := func() row {
		var r row
		e.db.Raw(`SELECT category, COALESCE(previous_category, '') AS previous_category, COALESCE(upcoming_category, '') AS upcoming_category,
			extract(epoch FROM upcoming_category_at)::bigint AS upcoming_at FROM templates`).Scan(&r)
		return r
	}
	if w := e.postSigned(envelope("template_category_update", `{"message_template_id":1889012345,"message_template_name":"pengingat_tagihan",
		"message_template_language":"id","correct_category":"MARKETING","new_category":"UTILITY","category_update_timestamp":1767225600}`)); w.Code != 200 {
		t.Fatalf("announced: %d %s", w.Code, w.Body.String())
	}
	if r := read(); r.Category != "UTILITY" || r.UpcomingCategory != "MARKETING" || r.UpcomingAt == nil || *r.UpcomingAt != 1767225600 || r.PreviousCategory != "" {
		t.Fatalf("after the announcement: %+v", r)
	}
	if w := e.postSigned(envelope("template_category_update", `{"message_template_id":1889012345,"message_template_name":"pengingat_tagihan",
		"message_template_language":"id","previous_category":"UTILITY","new_category":"MARKETING"}`)); w.Code != 200 {
		t.Fatalf("completed: %d %s", w.Code, w.Body.String())
	}
	if r := read(); r.Category != "MARKETING" || r.PreviousCategory != "UTILITY" || r.UpcomingCategory != "" || r.UpcomingAt != nil {
		t.Fatalf("after the change: %+v", r)
	}
}

// A template WhatsApp pauses holds its running and scheduled campaigns (not
// drafts, not finished ones, not another template's), with the reason; the
// approval puts each back in the status it had. A campaign a person paused
// is theirs: the template's approval does not resume it.
func TestWebhookTemplatePauseHoldsCampaigns(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	e.exec(`INSERT INTO templates (id, name, language, category, status, meta_id) VALUES
		(1, 'promo', 'id', 'MARKETING', 'APPROVED', '111'), (2, 'other', 'id', 'MARKETING', 'APPROVED', '222')`)
	e.exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'all', '{}')`)
	e.exec(`INSERT INTO campaigns (id, name, template_id, status, status_reason, sender_ids, segment_id) VALUES
		(1, 'running', 1, 'running', '', '{}', 1), (2, 'scheduled', 1, 'scheduled', '', '{}', 1), (3, 'draft', 1, 'draft', '', '{}', 1),
		(4, 'done', 1, 'completed', '', '{}', 1), (5, 'other template', 2, 'running', '', '{}', 1), (6, 'paused by a person', 1, 'paused', 'paused by user', '{}', 1)`)
	status := func(id int) (s, reason string, held bool) {
		var r struct {
			Status, StatusReason string
			Held                 bool
		}
		e.db.Raw(`SELECT status, status_reason, template_hold_from IS NOT NULL AS held FROM campaigns WHERE id = ?`, id).Scan(&r)
		return r.Status, r.StatusReason, r.Held
	}
	e.postSigned(envelope("message_template_status_update", `{"event":"PAUSED","message_template_id":111,"message_template_name":"promo","message_template_language":"id","reason":"LOW_QUALITY"}`))
	want := map[int]string{1: "paused", 2: "paused", 3: "draft", 4: "completed", 5: "running", 6: "paused"}
	for id, w := range want {
		s, reason, held := status(id)
		if s != w {
			t.Errorf("campaign %d after the pause: %s, want %s", id, s, w)
		}
		if (id == 1 || id == 2) && (!held || reason != "WhatsApp paused template promo (id): LOW_QUALITY; the campaign resumes by itself when the template is approved again") {
			t.Errorf("campaign %d held %v with %q", id, held, reason)
		}
		if id == 6 && (held || reason != "paused by user") {
			t.Errorf("a person's pause became a hold: %v %q", held, reason)
		}
	}
	e.postSigned(envelope("message_template_status_update", `{"event":"APPROVED","message_template_id":111,"message_template_name":"promo","message_template_language":"id","reason":"NONE"}`))
	want = map[int]string{1: "running", 2: "scheduled", 3: "draft", 4: "completed", 5: "running", 6: "paused"}
	for id, w := range want {
		if s, reason, held := status(id); s != w || held || (id < 3 && reason != "") {
			t.Errorf("campaign %d after the approval: %s %q held=%v, want %s", id, s, reason, held, w)
		}
	}
}

// message_template_components_update: the template edited in WhatsApp
// Manager is what the product renders and fills from now on (a NUL in the
// edit is cleaned, not a reason to lose the delivery).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_components_update
func TestWebhookTemplateComponentsUpdate(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	e.exec(`INSERT INTO templates (name, language, category, status, meta_id, components) VALUES ('tagihan', 'id', 'UTILITY', 'APPROVED', '777',
		'[{"type":"BODY","text":"Halo {{1}}."},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Bayar","url":"https://bank.id/{{1}}"}]}]')`)
	w := e.postSigned(envelope("message_template_components_update", `{"message_template_id":777,"message_template_name":"tagihan","message_template_language":"id",
		"message_template_element":"Halo {{1}}, tagihan {{2}} jatuh tempo.\u0000","message_template_footer":"Bank Contoh",
		"message_template_buttons":[{"message_template_button_type":"URL","message_template_button_text":"Bayar sekarang","message_template_button_url":"https://bank.id/bayar/{{1}}"}]}`))
	if w.Code != 200 {
		t.Fatalf("delivery: %d %s", w.Code, w.Body.String())
	}
	var comps string
	e.db.Raw(`SELECT components::text FROM templates WHERE meta_id = '777'`).Scan(&comps)
	want := `[{"text": "Halo {{1}}, tagihan {{2}} jatuh tempo.", "type": "BODY"}, {"text": "Bank Contoh", "type": "FOOTER"}, {"type": "BUTTONS", "buttons": [{"url": "https://bank.id/bayar/{{1}}", "text": "Bayar sekarang", "type": "URL"}]}]`
	if comps != want {
		t.Fatalf("components after the edit:\n%s\nwant\n%s", comps, want)
	}
}
