package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The admin opens the numbers' auto-replies from the Senders page, creates
// a keyword rule that routes to the team (the form shows the keyword fields
// only for a keyword rule) and an away rule with its business hours; a
// customer then writes the keyword, and the thread shows the auto-reply
// marked "Otomatis".
func TestWebUIAutoRepliesPage(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	b := newBrowser(t, 120*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("create a keyword rule",
		chromedp.Navigate(st.apiURL+"/senders"),
		chromedp.WaitVisible(`[data-sub="autoReplies"]`, chromedp.ByQuery),
		chromedp.Click(`[data-sub="autoReplies"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#ar-form", chromedp.ByQuery),
		waitJS("the hand-over words shown", `document.querySelector('#ar-handover').textContent.includes('“agen”')`, 5*time.Second),
		waitJS("keyword fields hidden for a welcome", `!document.querySelector('#ar-form .ar-keyword').offsetParent`, 2*time.Second),
		setValue("#ar-kind", "keyword"),
		waitJS("keyword fields shown", `!!document.querySelector('#ar-form .ar-keyword').offsetParent && !document.querySelector('#ar-form .ar-away').offsetParent`, 2*time.Second),
		chromedp.SendKeys(`#ar-form input[name="name"]`, "Harga", chromedp.ByQuery),
		chromedp.SendKeys("#ar-keywords", "harga, biaya admin", chromedp.ByQuery),
		chromedp.SendKeys("#ar-reply", "Biaya admin Rp5.000 per transaksi.", chromedp.ByQuery),
		setValue("#ar-route", strconv.FormatInt(seed.teamID, 10)),
		chromedp.Click(`#ar-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("listed", `!!document.querySelector('#ar-list tr[data-kind="keyword"]') && document.querySelector('#ar-list tr[data-kind="keyword"]').textContent.includes('biaya admin')`, 5*time.Second))
	b.run("an away rule, and a refusal shown by field",
		setValue("#ar-kind", "away"),
		waitJS("hours shown", `!!document.querySelector('#ar-form .ar-away').offsetParent`, 2*time.Second),
		setValue(`#ar-form input[name="from"]`, "20:00"),
		setValue(`#ar-form input[name="to"]`, "08:00"),
		setValue("#ar-reply", "Kami buka Senin-Sabtu 08.00-20.00 WIB."),
		chromedp.Click(`#ar-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("the field error in Indonesian", `document.querySelector('#ar-form .form-error').textContent.includes('hours.from')`, 5*time.Second),
		setValue(`#ar-form input[name="from"]`, "08:00"),
		setValue(`#ar-form input[name="to"]`, "20:00"),
		chromedp.Click(`#ar-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("two rules", `document.querySelectorAll('#ar-list tr[data-rule]').length === 2`, 5*time.Second))
	b.run("a menu rule",
		setValue("#ar-kind", "keyword"),
		setValue("#ar-keywords", "menu"),
		setValue("#ar-reply", "Pilih layanan:"),
		setValue("#ar-menu-type", "buttons"),
		waitJS("a first choice row", `document.querySelectorAll('#ar-choices .ar-choice').length === 1`, 2*time.Second),
		setValue("#ar-choices .ar-choice:nth-child(1) .ar-c-title", "Cek tagihan"),
		setValue("#ar-choices .ar-choice:nth-child(1) .ar-c-reply", "Tagihan ada di aplikasi, menu Tagihan."),
		chromedp.Click("#ar-add-choice", chromedp.ByQuery),
		setValue("#ar-choices .ar-choice:nth-child(2) .ar-c-title", "Bicara dengan agen"),
		chromedp.Click("#ar-choices .ar-choice:nth-child(2) .ar-c-hand", chromedp.ByQuery),
		chromedp.Click(`#ar-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("three rules, one with its menu", `document.querySelectorAll('#ar-list tr[data-rule]').length === 3 &&
			document.querySelector('#ar-list').textContent.includes('menu tombol: 2 pilihan')`, 5*time.Second),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		screenshot(t, "ui-autoreplies-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-autoreplies-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	var kws string
	st.db.Gorm.Raw(`SELECT array_to_string(keywords, ',') FROM auto_reply_rules WHERE kind = 'keyword' AND name = 'Harga' AND sender_id = ?`, seed.senderID).Scan(&kws)
	if kws != "harga,biaya admin" {
		t.Fatalf("stored keywords %q", kws)
	}
	var menu string
	st.db.Gorm.Raw(`SELECT menu::text FROM auto_reply_rules WHERE 'menu' = ANY(keywords)`).Scan(&menu)
	if !strings.Contains(menu, `"title": "Cek tagihan"`) || !strings.Contains(menu, `"handover": true`) || !strings.Contains(menu, `"id": "c2"`) {
		t.Fatalf("stored menu %s", menu)
	}
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Berapa biaya admin?", "name": "Siti", "phoneNumberId": e2ePNID})
	waitUntil(t, 20*time.Second, "the auto-reply sent", func() bool { return len(st.autoTexts(e2eCustomer)) == 1 })
	// Ayu has the conversation (the team's routing): her inbox shows it.
	ab := newBrowser(t, 90*time.Second)
	ab.login(st, "ayu@e2e.id", "agent-password-1")
	ab.run("the thread marks it",
		chromedp.Navigate(st.apiURL+"/inbox"),
		waitJS("a conversation", `!!document.querySelector('.conv-item')`, 15*time.Second),
		clickLive(".conv-item"),
		waitJS("the badge", `[...document.querySelectorAll('.msg.out .msg-auto')].some(e => e.textContent === 'Otomatis')`, 10*time.Second),
		screenshot(t, "ui-autoreply-thread-1366x768.png"))
}
