package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Two wordings of a reminder compared on the templates page: the last 30
// days of each (the fixture: 40 reads of each, 24 and 8 answered) side by
// side, and the winner named because the gap is beyond chance (60% vs 20%,
// z 3.6); the API refuses a template compared with itself.
func TestWebUITemplateCompare(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	a := st.journeyTemplate(seed.admin, "pengingat_a", "Halo {{1}}, tagihan Anda jatuh tempo besok.")
	b := st.journeyTemplate(seed.admin, "pengingat_b", "Yth. {{1}}, mohon lunasi tagihan Anda.")
	// Past sends: one conversation a customer, the template read an hour
	// after it went out; the first replies of each answered 10 minutes later.
	for _, f := range []struct {
		name          string
		first, answer int
	}{{"pengingat_a", 1, 24}, {"pengingat_b", 41, 8}} {
		st.db.Gorm.Exec(fmt.Sprintf(`WITH c AS (
				INSERT INTO contacts (phone_e164, wa_id, name) SELECT '+62812' || lpad(i::text, 8, '0'), '62812' || lpad(i::text, 8, '0'), 'Pelanggan ' || i
				FROM generate_series(%d, %d) i RETURNING id, name),
			v AS (INSERT INTO conversations (sender_id, contact_id) SELECT %d, id FROM c RETURNING id, contact_id),
			o AS (INSERT INTO messages (conversation_id, direction, type, body, payload, status, created_at, sent_at, wamid)
				SELECT v.id, 'out', 'template', 'x', '{"type":"template","template":{"name":"%s","language":{"code":"id"}}}', 'read',
					now() - interval '2 days', now() - interval '2 days', 'wamid.cmp.' || v.id FROM v RETURNING conversation_id)
			INSERT INTO messages (conversation_id, direction, type, body, payload, status, created_at, wamid)
				SELECT conversation_id, 'in', 'text', 'baik', '{}', 'received', now() - interval '2 days' + interval '10 minutes', 'wamid.cmp.in.' || conversation_id
				FROM (SELECT conversation_id FROM o ORDER BY conversation_id LIMIT %d) x`, f.first, f.first+39, seed.senderID, f.name, f.answer))
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/templates/%d/compare/%d", a, a), seed.admin, nil, nil); code != 400 {
		t.Fatalf("a template compared with itself: %d, want 400", code)
	}
	var cmp struct {
		Leader      string  `json:"leader"`
		Significant bool    `json:"significant"`
		Z           float64 `json:"z"`
		A           struct {
			Totals struct{ Sent, Replied int64 } `json:"totals"`
		} `json:"a"`
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/templates/%d/compare/%d?days=30", a, b), seed.admin, nil, &cmp); code != 200 ||
		cmp.Leader != "a" || !cmp.Significant || cmp.A.Totals.Sent != 40 || cmp.A.Totals.Replied != 24 {
		t.Fatalf("compare: %d %+v", code, cmp)
	}
	bw := newBrowser(t, 90*time.Second)
	bw.login(st, "admin@e2e.id", "admin-password-1")
	bw.run("compare on the templates page",
		chromedp.Click(`[data-nav="templates"]`, chromedp.ByQuery),
		waitJS("the list", `!!document.querySelector('[data-stats="pengingat_a"]')`, 10*time.Second),
		chromedp.Click(`[data-stats="pengingat_a"]`, chromedp.ByQuery),
		waitJS("the compare pick", `!!document.querySelector('#template-compare option[value="`+fmt.Sprint(b)+`"]')`, 10*time.Second),
		setValue("#template-compare", fmt.Sprint(b)),
		waitJS("side by side, the winner named", `(() => { const c = document.querySelector('#template-compare-card'); if (!c) return false;
			const r = c.querySelector('tr[data-k="rate-replied"]'); const v = c.querySelector('#template-compare-verdict');
			return r.children[1].textContent === '60%' && r.children[2].textContent === '20%' && r.children[1].classList.contains('winner')
				&& v.dataset.significant === 'true' && v.textContent.includes('pengingat_a (id) unggul'); })()`, 10*time.Second),
		screenshot(t, "ui-template-compare.png"))
	bw.noErrors()
}
