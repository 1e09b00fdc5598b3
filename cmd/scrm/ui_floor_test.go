package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A supervisor runs the floor: a customer's first message appears among
// the waiting live (no refresh) with a ticking wait clock, she assigns it
// to Ayu from the floor (Ayu's load goes up), and once Ayu answers the
// customer leaves the waiting list.
func TestWebUIFloor(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	st.supervisor(seed)
	b := newBrowser(t, 60*time.Second)
	b.login(st, "sari@e2e.id", "agent-password-1")
	team := fmt.Sprintf(`document.querySelector('.floor-team[data-team="%d"]')`, seed.teamID)
	ayu := fmt.Sprintf(`document.querySelector('.floor-agents li[data-agent="%d"]')`, seed.ayuID)
	rows := `[...document.querySelectorAll('#floor-waiting tbody tr[data-conv]')]`
	b.run("the floor, empty",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		chromedp.Click(`[data-sub="floor"]`, chromedp.ByQuery),
		waitJS("the team with its members", team+`?.textContent.includes('Penagihan Jakarta') && `+ayu+`?.textContent.includes('0/20')`, 10*time.Second),
		waitJS("nobody waiting", team+`.querySelector('[data-k="waiting"] strong').textContent === '0' && `+rows+`.length === 0`, 2*time.Second))

	// A manual team: the customer waits in its queue until assigned.
	db.Exec(`UPDATE teams SET strategy = 'manual' WHERE id = ?`, seed.teamID)
	sent := time.Now()
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, tagihan saya berapa?", "name": "Siti", "phoneNumberId": e2ePNID})
	b.run("the customer appears, live",
		waitJS("one waiting, in the queue", rows+`.length === 1 && `+rows+`[0].textContent.includes('Siti') && `+team+`.querySelector('[data-k="unassigned"] strong').textContent === '1'`, 10*time.Second))
	t.Logf("customer message to the floor: %v", time.Since(sent).Round(time.Millisecond))
	var first string
	b.run("the wait clock runs",
		chromedp.Evaluate(rows+`[0].querySelector('.wait').textContent`, &first),
		chromedp.Sleep(2100*time.Millisecond),
		waitJS("a later wait", rows+`[0].querySelector('.wait').textContent !== '`+first+`'`, 2*time.Second),
		screenshot(t, "ui-floor-waiting-1366x768.png"))

	var conv int64
	db.Raw(`SELECT id FROM conversations WHERE team_id = ? ORDER BY id DESC LIMIT 1`, seed.teamID).Scan(&conv)
	b.run("assign to Ayu from the floor",
		setValue(`#floor-waiting tr[data-conv] select`, fmt.Sprint(seed.ayuID)),
		chromedp.Click(`#floor-waiting tr[data-conv] button.primary`, chromedp.ByQuery),
		waitJS("Ayu serves it, still waiting for her answer", rows+`.length === 1 && `+rows+`[0].children[2].textContent === 'Ayu Lestari' && `+ayu+`.textContent.includes('1/20')`, 10*time.Second),
		waitJS("no longer in the queue", team+`.querySelector('[data-k="unassigned"] strong').textContent === '0'`, 2*time.Second))
	var assignee *int64
	db.Raw(`SELECT assignee_agent_id FROM conversations WHERE id = ?`, conv).Scan(&assignee)
	if assignee == nil || *assignee != seed.ayuID {
		t.Fatalf("assignee %v, want Ayu (%d)", assignee, seed.ayuID)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), seed.ayu, map[string]any{"type": "text", "text": "Halo Siti, saya cek dulu"}, nil, "Idempotency-Key", "floor-reply-1"); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	b.run("answered: off the waiting list",
		waitJS("nobody waiting", rows+`.length === 0 && `+team+`.querySelector('[data-k="waiting"] strong').textContent === '0'`, 10*time.Second),
		screenshot(t, "ui-floor-answered-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-floor-390x844.png"),
		chromedp.EmulateViewport(1366, 768))

	// An agent (no inbox:assign) has no floor: not in her menu, 403 from the API.
	if code := st.call("GET", "/api/v1/reports/floor", seed.ayu, nil, nil); code != 403 {
		t.Fatalf("agent's floor: %d, want 403", code)
	}
	b.noErrors()
}
