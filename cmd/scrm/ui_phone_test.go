package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The dev customer phone (the simulator's /sim/phone page): a newcomer
// types as a customer, the message reaches the inbox through the signed
// webhook, and the agent's reply appears on the phone.
func TestWebUICustomerPhone(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm

	b := newBrowser(t, 60*time.Second)
	b.run("customer writes",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(st.simURL+"/sim/phone"),
		waitJS("business numbers", `document.querySelector('#biz option')?.value === '`+e2ePNID+`'`, 5*time.Second),
		setValue("#me", "6281299990001"),
		setValue("#name", "Wulan Sari"),
		chromedp.SendKeys("#text", "Halo, saya mau tanya cicilan", chromedp.ByQuery),
		chromedp.Click("#composer button", chromedp.ByQuery),
		waitJS("own message shown", `[...document.querySelectorAll('#chat li.me')].some(e => e.textContent.includes('tanya cicilan'))`, 5*time.Second))
	var convID int64
	waitUntil(t, 10*time.Second, "inbound stored", func() bool {
		db.Raw(`SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id JOIN messages m ON m.conversation_id = c.id
			WHERE k.name = 'Wulan Sari' AND m.direction = 'in' AND m.body = 'Halo, saya mau tanya cicilan'`).Scan(&convID)
		return convID != 0
	})
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), seed.admin, map[string]any{"type": "text",
		"text": "Halo Bu Wulan, bisa kami bantu."}, nil, "Idempotency-Key", "phone-reply-1"); code != 201 && code != 202 {
		t.Fatalf("agent reply: %d", code)
	}
	b.run("reply on the phone",
		waitJS("agent reply on the phone", `[...document.querySelectorAll('#chat li:not(.me)')].some(e => e.textContent.includes('Halo Bu Wulan'))`, 10*time.Second),
		screenshot(t, "ui-customer-phone-390x844.png"))
	b.noErrors()
}
