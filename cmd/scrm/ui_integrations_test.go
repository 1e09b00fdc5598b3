package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/integrations"
)

// The Admin's integrations page: an API key is created (its secret shown
// once, then only its hint) and revoked, a webhook subscription is made for
// a local receiver, a delivery shows in the log and is replayed from it
// (the receiver gets the same event id again).
func TestWebUIIntegrations(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	rcv := &hookReceiver{t: t, seen: map[string]int{}}
	hs := httptest.NewServer(rcv)
	defer hs.Close()

	b := newBrowser(t, 90*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	var secret string
	b.run("api key",
		chromedp.Click(`[data-nav="integrations"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#apikey-form", chromedp.ByQuery),
		waitJS("roles loaded", `document.querySelector('#apikey-form select[name=roleId]').options.length > 0`, 5*time.Second),
		chromedp.SendKeys(`#apikey-form input[name="name"]`, "Core banking", chromedp.ByQuery),
		chromedp.Click(`#apikey-form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#secret-value", chromedp.ByQuery),
		chromedp.Text("#secret-value", &secret, chromedp.ByQuery),
		waitJS("key listed", `[...document.querySelectorAll('#apikey-list tr')].some(r => r.textContent.includes('Core banking'))`, 5*time.Second),
		screenshot(t, "ui-integrations-key-1366x768.png"))
	if !strings.HasPrefix(secret, "scrm_live_") {
		t.Fatalf("secret %q", secret)
	}
	if code := st.call("GET", "/api/v1/contacts", secret, nil, nil); code != 200 {
		t.Fatalf("the shown key does not work: %d", code)
	}
	b.run("webhook",
		chromedp.SendKeys(`#webhook-form input[name="url"]`, hs.URL+"/scrm", chromedp.ByQuery),
		waitJS("types", `document.querySelectorAll('#webhook-types input').length > 5`, 5*time.Second),
		chromedp.Click(`#webhook-types input[value="case.assigned"]`, chromedp.ByQuery),
		chromedp.Click(`#webhook-form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#secret-value", chromedp.ByQuery),
		waitJS("webhook listed", `[...document.querySelectorAll('#webhook-list tr')].some(r => r.textContent.includes('case.assigned'))`, 5*time.Second))
	var whsec string
	b.run("secret", chromedp.Text("#secret-value", &whsec, chromedp.ByQuery))
	rcv.mu.Lock()
	rcv.secret = whsec
	rcv.mu.Unlock()

	// A case is assigned: the event reaches the receiver and the log.
	if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "UI-HOOK-1", "amount": 100000,
		"dueDate": "2026-12-31", "teamId": seed.teamID}, nil); code != 201 {
		t.Fatalf("create case: %d", code)
	}
	waitUntil(t, 30*time.Second, "case.assigned received", func() bool { return rcv.has(func(p integrations.Payload) bool { return p.Type == "case.assigned" }) })
	rcv.mu.Lock()
	first := rcv.order[0].ID
	rcv.mu.Unlock()
	b.run("log",
		chromedp.Reload(),
		waitJS("delivery listed", `[...document.querySelectorAll('#delivery-list tr')].some(r => r.textContent.includes('case.assigned'))`, 10*time.Second),
		screenshot(t, "ui-integrations-1366x768.png"),
		chromedp.ScrollIntoView("#delivery-list", chromedp.ByQuery),
		screenshot(t, "ui-integrations-log-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-integrations-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`#delivery-list [data-replay]`, chromedp.ByQuery))
	waitUntil(t, 20*time.Second, "replayed delivery received again", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return rcv.seen[first] >= 2
	})
	b.run("revoke",
		chromedp.Click(`#apikey-list [data-revoke]`, chromedp.ByQuery),
		waitJS("revoked", `[...document.querySelectorAll('#apikey-list tr')].some(r => r.textContent.includes('Core banking') && !r.querySelector('[data-revoke]'))`, 5*time.Second))
	if code := st.call("GET", "/api/v1/contacts", secret, nil, nil); code != 401 {
		t.Fatalf("revoked key: %d", code)
	}
	b.noErrors()
}
