package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// What a supervisor sees of a customer from an ad and a business that also
// answers from the WhatsApp Business app: the ad and its free entry point
// in the thread header, the app's message marked as such in the thread,
// and the open conversations counted on the view tabs.
func TestWebUIAdReferralAndAppEcho(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	st.seedInbox()
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya lihat iklannya", "name": "Siti", "phoneNumberId": e2ePNID,
		"referral": map[string]any{"sourceId": "120208", "headline": "Cicilan 0% untuk motor", "url": "https://fb.me/ad-120208"}})
	b := newBrowser(t, 90*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("open the conversation",
		chromedp.Navigate(st.apiURL+"/inbox"),
		chromedp.WaitVisible(`.tabs [data-view="all"]`, chromedp.ByQuery), chromedp.Click(`.tabs [data-view="all"]`, chromedp.ByQuery),
		waitJS("counted on the tab", `document.querySelector('.tabs [data-view="all"] .tab-count')?.textContent === '1'`, 10*time.Second),
		waitJS("listed", `!!document.querySelector('.conv-item')`, 10*time.Second),
		clickLive(".conv-item"),
		waitJS("the ad in the header", `document.querySelector('#thread-referral')?.textContent === 'Dari iklan: Cicilan 0% untuk motor'`, 5*time.Second))
	// The business answers from the app on the same number.
	st.simPost("/sim/numbers/"+e2ePNID+"/echo", map[string]any{"to": e2eCustomer, "text": "Dikirim dari HP kantor"})
	b.run("the app's message in the thread",
		waitJS("marked as from the app", `[...document.querySelectorAll('#messages .msg.out')].some(m => m.textContent.includes('Dikirim dari HP kantor') && m.querySelector('.msg-origin')?.textContent === 'dari aplikasi WA Business')`, 10*time.Second))
	// The app's reply came within 24 h of the ad message: it opened the
	// free entry point, and the header says until when without a reload.
	b.run("free entry point",
		waitJS("free entry point shown", `document.querySelector('#thread-referral')?.textContent.includes('pesan gratis s.d.')`, 10*time.Second),
		screenshot(t, "ui-ad-referral-echo-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-ad-referral-echo-390x844.png"))
}
