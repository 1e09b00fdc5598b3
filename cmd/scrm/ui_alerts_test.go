package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// An agent switches alerts on (the browser asks for the permission once);
// a conversation routed to her and each customer message in it raise a
// desktop notification with the customer's text, and so does a
// supervisor's @mention of her in a note, while she looks at the list; with that chat open and the tab focused, a message raises none.
func TestWebUIAlertsForMyChats(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	b := newBrowser(t, 90*time.Second)
	// Record the notifications the page creates (the real constructor
	// still runs).
	record := `window.__notified = [];
		if (window.Notification) { const N = window.Notification;
			window.Notification = class extends N { constructor(t, o) { window.__notified.push({ title: t, body: (o || {}).body || '' }); super(t, o); } }; }`
	b.run("grant and record", chromedp.ActionFunc(func(ctx context.Context) error {
		if err := cdpbrowser.GrantPermissions([]cdpbrowser.PermissionType{cdpbrowser.PermissionTypeNotifications}).WithOrigin(st.apiURL).Do(ctx); err != nil {
			return err
		}
		if err := emulation.SetFocusEmulationEnabled(true).Do(ctx); err != nil {
			return err
		}
		_, err := page.AddScriptToEvaluateOnNewDocument(record).Do(ctx)
		return err
	}))
	b.login(st, "ayu@e2e.id", "agent-password-1")
	b.run("alerts on",
		chromedp.Click("#account-menu summary", chromedp.ByQuery),
		chromedp.WaitVisible("#alerts-toggle", chromedp.ByQuery),
		chromedp.Click("#alerts-toggle", chromedp.ByQuery),
		waitJS("switched on", `document.querySelector('#alerts-toggle').getAttribute('aria-pressed') === 'true' && Notification.permission === 'granted'`, 5*time.Second))
	var n int
	count := func() int {
		t.Helper()
		b.run("count", chromedp.Evaluate(`window.__notified.length`, &n))
		return n
	}
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, tagihan saya berapa?", "name": "Siti", "phoneNumberId": e2ePNID})
	b.run("routed to her and her customer's message",
		waitJS("a new conversation for her", `window.__notified.some(x => x.title === 'Percakapan baru untuk Anda')`, 15*time.Second))
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya tunggu ya", "phoneNumberId": e2ePNID})
	b.run("a second message while she looks at the list",
		waitJS("notified", `window.__notified.some(x => x.body === 'Saya tunggu ya' && x.title === 'Siti')`, 10*time.Second),
		screenshot(t, "ui-alerts-1366x768.png"))
	// A supervisor mentions her in a private note.
	var convID int64
	st.db.Gorm.Raw(`SELECT id FROM conversations LIMIT 1`).Scan(&convID)
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", convID), seed.admin, map[string]any{"body": "@ayu tolong tawarkan cicilan"}, nil); code != 201 {
		t.Fatalf("note: %d", code)
	}
	b.run("mentioned", waitJS("notified of the mention", `window.__notified.some(x => x.title === 'Anda disebut dalam catatan' && x.body.includes('tawarkan cicilan'))`, 10*time.Second))
	b.run("open the chat", clickLive(".conv-item"), waitJS("thread", `!!document.querySelector('#composer')`, 5*time.Second))
	before := count()
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Sudah dibaca?", "phoneNumberId": e2ePNID})
	b.run("the message shows in the open thread", waitJS("in the thread", `document.querySelector('#messages').textContent.includes('Sudah dibaca?')`, 10*time.Second))
	time.Sleep(300 * time.Millisecond)
	if after := count(); after != before {
		t.Fatalf("%d notifications for a message in the chat she has open", after-before)
	}
}
