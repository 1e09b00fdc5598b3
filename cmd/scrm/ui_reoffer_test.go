package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Nothing stranded: a customer writes while every agent of the team is
// offline, so routing finds nobody and the conversation waits unassigned
// in the team's queue. When Ayu logs in (her websocket makes her online),
// it is offered again and lands in her "Mine" view within seconds. Snoozed,
// it wakes as soon as the customer writes again.
func TestWebUIReofferWhenAgentComesOnline(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm

	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, ada yang bisa bantu?",
		"name": "Siti Nurhaliza", "phoneNumberId": e2ePNID})
	var conv struct {
		ID              int64
		TeamID          *int64
		AssigneeAgentID *int64
	}
	waitUntil(t, 20*time.Second, "the conversation routed to the team's queue", func() bool {
		db.Raw(`SELECT id, team_id, assignee_agent_id FROM conversations LIMIT 1`).Scan(&conv)
		return conv.ID != 0 && conv.TeamID != nil
	})
	// Nobody is online: it stays unassigned (the re-offer runs every second).
	time.Sleep(3 * time.Second)
	db.Raw(`SELECT id, team_id, assignee_agent_id FROM conversations WHERE id = ?`, conv.ID).Scan(&conv)
	if conv.AssigneeAgentID != nil {
		t.Fatalf("assigned to %d while every agent was offline", *conv.AssigneeAgentID)
	}

	b := newBrowser(t, 90*time.Second)
	b.login(st, "ayu@e2e.id", "agent-password-1")
	b.run("the inbox", chromedp.WaitVisible("#conv-list", chromedp.ByQuery))
	ctx, errs := b.ctx, b.errs
	waitUntil(t, 10*time.Second, "ayu online", func() bool {
		var p string
		db.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	online := time.Now()
	waitUntil(t, 10*time.Second, "the waiting conversation assigned to Ayu", func() bool {
		var a *int64
		db.Raw(`SELECT assignee_agent_id FROM conversations WHERE id = ?`, conv.ID).Scan(&a)
		return a != nil && *a == seed.ayuID
	})
	t.Logf("assigned %v after Ayu came online", time.Since(online).Round(10*time.Millisecond))
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector('[data-view="mine"]').click()`, nil),
		waitJS("in Ayu's Mine view", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('Siti Nurhaliza'))`, 10*time.Second),
		waitJS("assignee and business number on the row", `(() => { const r = document.querySelector('.conv-item'); return r.querySelector('.assignee')?.textContent === 'Ayu Lestari' && r.querySelector('.sender-number')?.textContent === '+622150000001'; })()`, 5*time.Second),
		screenshot(t, "ui-reoffer-mine-1366x768.png")); err != nil {
		t.Fatalf("mine view: %v (browser errors: %v)", err, errs.list())
	}
	// Ayu snoozes it for a day; the customer writes again and it wakes at
	// once: open, in her list without the snoozed mark.
	until := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/snooze", conv.ID), seed.ayu, map[string]any{"until": until}, nil); code != 200 {
		t.Fatalf("snooze: %d", code)
	}
	var status string
	db.Raw(`SELECT status FROM conversations WHERE id = ?`, conv.ID).Scan(&status)
	if status != "snoozed" {
		t.Fatalf("after snooze: %s", status)
	}
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Maaf, saya lupa satu hal", "phoneNumberId": e2ePNID})
	waitUntil(t, 10*time.Second, "the snoozed conversation woken by the customer", func() bool {
		var row struct {
			Status       string
			SnoozedUntil *time.Time
		}
		db.Raw(`SELECT status, snoozed_until FROM conversations WHERE id = ?`, conv.ID).Scan(&row)
		return row.Status == "open" && row.SnoozedUntil == nil
	})
	if err := chromedp.Run(ctx,
		waitJS("woken in the list", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('saya lupa satu hal') && !e.querySelector('.chip.warn'))`, 10*time.Second),
		screenshot(t, "ui-snooze-woken-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-snooze-woken-390x844.png")); err != nil {
		t.Fatalf("woken conversation in the list: %v (browser errors: %v)", err, errs.list())
	}
	// Keyboard: "/rek" + Enter inserts the canned response and sends
	// nothing; the half-written reply is a draft that survives a reload.
	if code := st.call("POST", "/api/v1/canned-responses", seed.admin, map[string]any{"shortcut": "rekening", "title": "Nomor rekening",
		"body": "Silakan transfer ke BCA 123-456-7890 a.n. PT Contoh."}, nil); code != 201 {
		t.Fatalf("canned response: %d", code)
	}
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1366, 768),
		clickLive(".conv-item"),
		chromedp.WaitVisible("#composer-text", chromedp.ByQuery),
		waitJS("assignee and number in the thread header", `document.querySelector('.thread-head .thread-who')?.textContent.includes('Ayu Lestari') && document.querySelector('.thread-head .thread-who').textContent.includes('+622150000001')`, 5*time.Second),
		chromedp.SendKeys("#composer-text", "/rek", chromedp.ByQuery),
		waitJS("the canned popup", `!!document.querySelector('#canned:not([hidden]) .canned-item.active')`, 5*time.Second),
		pressEnter(),
		waitJS("inserted, not sent", `document.querySelector('#composer-text').value === 'Silakan transfer ke BCA 123-456-7890 a.n. PT Contoh.'`, 3*time.Second),
		chromedp.SendKeys("#composer-text", " Terima kasih", chromedp.ByQuery),
		chromedp.Reload(),
		chromedp.WaitVisible("#composer-text", chromedp.ByQuery),
		waitJS("the draft after a reload", `document.querySelector('#composer-text').value === 'Silakan transfer ke BCA 123-456-7890 a.n. PT Contoh. Terima kasih'`, 5*time.Second),
		screenshot(t, "ui-draft-after-reload-1366x768.png")); err != nil {
		t.Fatalf("canned and draft: %v (browser errors: %v)", err, errs.list())
	}
	for _, e := range st.sim.Outbox() {
		if strings.Contains(string(e.Body), "/rek") || strings.Contains(string(e.Body), "123-456-7890") {
			t.Fatalf("the canned text reached the customer: %s", e.Body)
		}
	}
	if e := errs.list(); len(e) > 0 {
		t.Fatalf("browser console errors:\n%s", strings.Join(e, "\n"))
	}
}

// pressEnter presses Enter as a keyboard does: a raw key-down the page may
// cancel (chromedp.KeyEvent also types a "\r" character the page cannot
// cancel, unlike a browser after a cancelled key-down), then key-up.
func pressEnter() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := input.DispatchKeyEvent(input.KeyRawDown).WithKey("Enter").WithCode("Enter").WithWindowsVirtualKeyCode(13).Do(ctx); err != nil {
			return err
		}
		return input.DispatchKeyEvent(input.KeyUp).WithKey("Enter").WithCode("Enter").WithWindowsVirtualKeyCode(13).Do(ctx)
	})
}
