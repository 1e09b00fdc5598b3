package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ayu sends reply buttons from the inbox composer: the text she typed is
// the message, the panel's lines its buttons; a fourth button is refused
// by the server with the reason shown in the panel, and nothing is sent;
// three go out, the simulator gets Meta's button message, the thread shows
// the buttons, and the customer's tap comes back into the thread.
func TestWebUIInboxInteractive(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	b := newBrowser(t, 120*time.Second)
	b.login(st, "ayu@e2e.id", "agent-password-1")
	waitUntil(t, 10*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya mau bayar, caranya?", "name": "Siti Nurhaliza", "phoneNumberId": e2ePNID})
	interactives := func() []string {
		var out []string
		for _, e := range st.sim.Outbox() {
			if e.Type == "interactive" && e.ErrorCode == 0 {
				out = append(out, e.WAMID)
			}
		}
		return out
	}
	b.run("open the conversation and the panel",
		chromedp.Click(`[data-nav="inbox"]`, chromedp.ByQuery),
		waitJS("Siti in the list", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('Siti Nurhaliza'))`, 20*time.Second),
		clickLive(".conv-item"),
		waitJS("the composer", `!!document.querySelector('#composer-interactive')`, 10*time.Second),
		chromedp.Click("#composer-interactive", chromedp.ByQuery),
		waitJS("the panel open", `!!document.querySelector('#ix-panel') && document.querySelector('#ix-button').hidden`, 2*time.Second),
		chromedp.SendKeys("#composer-text", "Pilih cara bayar Anda:", chromedp.ByQuery),
		chromedp.SendKeys("#ix-choices", "Transfer bank\nVirtual account\nIndomaret\nBicara dengan agen", chromedp.ByQuery),
		chromedp.Click("#ix-send", chromedp.ByQuery),
		waitJS("four buttons refused in the panel", `!document.querySelector('#ix-error').hidden && document.querySelector('#ix-error').dataset.for === 'interactive.choices'`, 10*time.Second),
		screenshot(t, "ui-inbox-interactive-error.png"))
	if n := len(interactives()); n != 0 {
		t.Fatalf("a refused interactive reached the simulator (%d)", n)
	}
	b.run("three buttons sent",
		setValue("#ix-choices", "Transfer bank\nVirtual account\nBicara dengan agen"),
		chromedp.Click("#ix-send", chromedp.ByQuery),
		waitJS("the buttons under the message in the thread", `(() => { const m = [...document.querySelectorAll('.msg.out')].pop();
			return !!m && m.textContent.includes('Pilih cara bayar Anda:') && [...m.querySelectorAll('.ix-choices .chip')].map(c => c.textContent).join('|') === 'Transfer bank|Virtual account|Bicara dengan agen'; })()`, 10*time.Second),
		waitJS("the panel closed and the box empty", `!document.querySelector('#ix-panel') && document.querySelector('#composer-text').value === ''`, 2*time.Second))
	waitUntil(t, 15*time.Second, "the button message at the simulator", func() bool { return len(interactives()) == 1 })
	body := ""
	for _, e := range st.sim.Outbox() {
		if e.Type == "interactive" {
			body = string(e.Body)
		}
	}
	if !strings.Contains(body, `"type":"button"`) || !strings.Contains(body, `"title":"Virtual account"`) || !strings.Contains(body, `"id":"pilihan-2"`) {
		t.Fatalf("the simulator got %s", body)
	}
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "interactive", "payload": "pilihan-2", "context": interactives()[0], "phoneNumberId": e2ePNID})
	b.run("the tap in the thread",
		waitJS("Virtual account tapped", `[...document.querySelectorAll('.msg.in')].some(m => m.textContent.includes('Virtual account'))`, 15*time.Second),
		screenshot(t, "ui-inbox-interactive.png"))
	b.noErrors()
}
