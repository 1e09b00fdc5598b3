package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An agent manages her own canned responses from the inbox: creates one
// (personal: agents do not share), edits it, and the composer's "/" popup
// offers it, filled with the customer's and her own first name.
func TestWebUICannedResponsesPage(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	b := newBrowser(t, 90*time.Second)
	b.login(st, "ayu@e2e.id", "agent-password-1")
	b.run("create",
		chromedp.WaitVisible("#canned-manage", chromedp.ByQuery),
		chromedp.Click("#canned-manage", chromedp.ByQuery),
		chromedp.WaitVisible("#canned-form", chromedp.ByQuery),
		waitJS("only 'only me' offered to an agent", `[...document.querySelectorAll('#canned-form select[name="scope"] option')].map(o => o.value).join() === 'personal'`, 5*time.Second),
		chromedp.SendKeys(`#canned-form input[name="shortcut"]`, "sapa", chromedp.ByQuery),
		chromedp.SendKeys(`#canned-form input[name="title"]`, "Sapaan", chromedp.ByQuery),
		chromedp.SendKeys(`#canned-form textarea[name="body"]`, "Selamat pagi, ada yang bisa dibantu?", chromedp.ByQuery),
		chromedp.Click(`#canned-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("listed", `!!document.querySelector('#canned-list tr[data-canned="sapa"]')`, 5*time.Second),
		chromedp.Click(`#canned-list [data-edit="sapa"]`, chromedp.ByQuery),
		setValue(`#canned-form textarea[name="body"]`, "Selamat siang {{contact.first_name}}, saya {{agent.first_name}}. Ada yang bisa saya bantu?"),
		chromedp.Click(`#canned-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("edited", `document.querySelector('#canned-list tr[data-canned="sapa"]').textContent.includes('Selamat siang')`, 5*time.Second),
		screenshot(t, "ui-canned-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-canned-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	var row struct {
		Personal  bool
		CreatedBy int64
		Body      string
	}
	st.db.Gorm.Raw(`SELECT personal, created_by, body FROM canned_responses WHERE shortcut = 'sapa'`).Scan(&row)
	if !row.Personal || row.CreatedBy != seed.ayuID || row.Body != "Selamat siang {{contact.first_name}}, saya {{agent.first_name}}. Ada yang bisa saya bantu?" {
		t.Fatalf("stored: %+v", row)
	}
	// The composer offers it.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo", "name": "Siti", "phoneNumberId": e2ePNID})
	b.run("composer",
		chromedp.Navigate(st.apiURL+"/inbox"),
		waitJS("a conversation", `!!document.querySelector('.conv-item')`, 15*time.Second),
		clickLive(".conv-item"),
		chromedp.WaitVisible("#composer textarea", chromedp.ByQuery),
		chromedp.SendKeys("#composer textarea", "/sa", chromedp.ByQuery),
		waitJS("offered", `!!document.querySelector('.canned') && document.querySelector('.canned').textContent.includes('sapa')`, 5*time.Second),
		chromedp.Click(".canned-item", chromedp.ByQuery),
		waitJS("filled from the contact and the agent", `document.querySelector('#composer textarea').value === 'Selamat siang Siti, saya Ayu. Ada yang bisa saya bantu?'`, 5*time.Second))
}
