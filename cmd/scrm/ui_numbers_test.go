package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An admin with two business numbers narrows the inbox to one: the filter
// appears only once there are two, lists that number's chats alone (each
// row names its number), survives a reload, and "any number" brings all
// back. With one number there is nothing to choose, so no filter.
func TestWebUINumberFilter(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	b := newBrowser(t, 60*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("one number: no filter",
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond), // the senders list has answered
		waitJS("filter hidden", `document.querySelector('[data-filter="senderId"]').hidden`, 2*time.Second))

	var sender2 int64
	db.Raw(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES ('PN-TWO', 'WABA-E2E', '+62 21 5000 0002') RETURNING id`).Scan(&sender2)
	for i, s := range []int64{seed.senderID, seed.senderID, sender2} {
		var contact int64
		db.Raw(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, ?) RETURNING id`,
			fmt.Sprintf("+62812777000%d", i), fmt.Sprintf("62812777000%d", i), fmt.Sprintf("Nomor Pelanggan %d", i)).Scan(&contact)
		if err := db.Exec(`INSERT INTO conversations (sender_id, contact_id, team_id, last_message_at, last_inbound_at, last_preview)
			VALUES (?, ?, ?, now() - make_interval(mins => ?), now(), ?)`, s, contact, seed.teamID, i, fmt.Sprintf("pesan %d", i)).Error; err != nil {
			t.Fatal(err)
		}
	}
	rows := `[...document.querySelectorAll('#conv-list > .conv-item')]`
	allCount := `document.querySelector('[data-view="all"] .tab-count')?.textContent`
	b.run("two numbers: filter by the second",
		chromedp.Navigate(st.apiURL+"/inbox"),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("the filter offers both numbers", `(s => !s.hidden && s.options.length === 3)(document.querySelector('[data-filter="senderId"]'))`, 5*time.Second),
		chromedp.Click(`[data-view="all"]`, chromedp.ByQuery),
		waitJS("the three chats in the all view, counted on its tab", rows+`.length === 3 && `+allCount+` === '3'`, 5*time.Second),
		setValue(`[data-filter="senderId"]`, fmt.Sprint(sender2)),
		waitJS("only the second number's chat", rows+`.length === 1 && `+rows+`[0].textContent.includes('Nomor Pelanggan 2') && `+rows+`[0].querySelector('.sender-number')?.textContent.includes('5000 0002')`, 5*time.Second),
		waitJS("the tab counts the filtered list", allCount+` === '1'`, 5*time.Second),
		screenshot(t, "ui-number-filter-1366x768.png"),
		chromedp.Reload(),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("kept over a reload", `document.querySelector('[data-filter="senderId"]').value === '`+fmt.Sprint(sender2)+`' && `+rows+`.length === 1`, 5*time.Second),
		setValue(`[data-filter="senderId"]`, ""),
		waitJS("any number: all three", rows+`.length === 3`, 5*time.Second),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-number-filter-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	b.noErrors()
}
