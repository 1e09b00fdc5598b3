package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/templates"
)

// The campaign tools on the progress page: the recipients list and its
// state filter, a test send that reaches the simulator, duplicating into a
// new draft, and the template's 30-day stats.
func TestWebUICampaignTools(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, ada promo {{2}} untuk Anda minggu ini.",
		"example": map[string]any{"body_text": [][]string{{"Siti", "cicilan 0%"}}}}}
	if code := st.call("POST", "/api/v1/templates", seed.admin, map[string]any{"name": "promo_alat", "language": "id", "category": "MARKETING",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("submit template: %d", code)
	}
	waitUntil(t, 10*time.Second, "template approved", func() bool {
		var s string
		db.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == templates.TplApproved
	})
	seg := st.audience(seed.admin, "promo-alat", 1, 6) // 6 reachable + 5 opted out
	var created struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if code := st.call("POST", "/api/v1/campaigns", seed.admin, map[string]any{"name": "Promo alat", "templateId": tpl.ID, "segmentId": seg,
		"senderIds": []int64{seed.senderID}, "variables": map[string]string{"body.1": "contact.name", "body.2": "cicilan 0%"},
		"quietHours": allDay}, &created); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	id := created.Campaign.ID
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", id), seed.admin, nil, nil); code != 202 {
		t.Fatalf("launch: %d", code)
	}

	b := newBrowser(t, 60*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("recipients",
		chromedp.Navigate(fmt.Sprintf("%s/campaigns/%d", st.apiURL, id)),
		waitJS("completed", `document.querySelector('#camp-status [data-status]')?.dataset.status === 'completed'`, 20*time.Second),
		chromedp.Click("#camp-show-recipients", chromedp.ByQuery),
		waitJS("11 recipients", `document.querySelectorAll('#camp-recipient-list tbody tr[data-status]').length === 11`, 5*time.Second),
		setValue("#camp-recipient-status", "skipped"),
		waitJS("5 skipped", `(rows => rows.length === 5 && rows.every(r => r.dataset.status === 'skipped'))([...document.querySelectorAll('#camp-recipient-list tbody tr[data-status]')])`, 5*time.Second))
	b.run("test send",
		chromedp.SendKeys("#camp-test-phone", "0812-9999-0077", chromedp.ByQuery),
		chromedp.SendKeys(`#camp-test-values input[name="body.1"]`, "Penguji", chromedp.ByQuery),
		chromedp.Click("#camp-test-send", chromedp.ByQuery),
		waitJS("test preview", `document.querySelector('#camp-test-preview')?.textContent === 'Halo Penguji, ada promo cicilan 0% untuk Anda minggu ini.'`, 10*time.Second),
		screenshot(t, "ui-campaign-tools-1366x768.png"))
	waitUntil(t, 10*time.Second, "test template at the simulator", func() bool {
		for _, e := range st.sim.Outbox() {
			if e.To == "6281299990077" && e.Type == "template" && e.ErrorCode == 0 && strings.Contains(string(e.Body), "promo_alat") {
				return true
			}
		}
		return false
	})
	b.run("duplicate",
		chromedp.Click("#camp-duplicate", chromedp.ByQuery),
		waitJS("the copy, a draft", `location.pathname !== '/campaigns/`+fmt.Sprint(id)+`' && document.querySelector('#camp-name')?.textContent === 'Promo alat (copy)' && document.querySelector('#camp-status [data-status]').dataset.status === 'draft'`, 10*time.Second),
		waitJS("launch offered", `!!document.querySelector('#camp-launch')`, 2*time.Second))
	b.run("template stats",
		chromedp.Click(`[data-nav="templates"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#template-list [data-stats="promo_alat"]`, chromedp.ByQuery),
		chromedp.Click(`#template-list [data-stats="promo_alat"]`, chromedp.ByQuery),
		waitJS("sent counted", `Number(document.querySelector('#template-stats-card [data-k="sent"] strong')?.textContent) >= 6`, 5*time.Second),
		waitJS("a bar for today", `document.querySelectorAll('#template-stats-card .day').length >= 1`, time.Second),
		screenshot(t, "ui-template-stats-1366x768.png"))
	b.noErrors()
}
