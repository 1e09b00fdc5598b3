package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An agent answers 5 customers in a row by keyboard alone (#16): the team
// works from its queue (manual strategy), Ayu switches to it with "2", moves
// with j/k and Alt+Up/Down, takes each chat with "a", replies with "r",
// typing and Enter, leaves the box with Esc and resolves with "e", which
// opens the next waiting conversation. "?" shows the help overlay.
func TestWebUIKeyboardFiveCustomers(t *testing.T) {
	t.Parallel()
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	if err := db.Exec(`UPDATE teams SET strategy = 'manual' WHERE id = ?`, seed.teamID).Error; err != nil {
		t.Fatal(err)
	}
	customers := []string{"6281200000001", "6281200000002", "6281200000003", "6281200000004", "6281200000005"}
	for i, c := range customers {
		st.simPost("/sim/customers/"+c+"/messages", map[string]any{"type": "text", "text": fmt.Sprintf("Halo, saya pelanggan %d", i+1),
			"name": fmt.Sprintf("Pelanggan %d", i+1), "phoneNumberId": e2ePNID})
	}
	waitUntil(t, 30*time.Second, "5 conversations in the team's queue", func() bool {
		var n int64
		db.Raw(`SELECT count(*) FROM conversations WHERE team_id = ? AND assignee_agent_id IS NULL`, seed.teamID).Scan(&n)
		return n == 5
	})

	b := newBrowser(t, 150*time.Second)
	b.login(st, "ayu@e2e.id", "agent-password-1")
	b.run("the inbox", chromedp.WaitVisible("#conv-list", chromedp.ByQuery))
	ctx, errs := b.ctx, b.errs
	// From here on, keys only.
	openID := func() string {
		var id string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`location.pathname.startsWith('/inbox/') ? location.pathname.split('/')[2] : ''`, &id)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	opened := func(what, notID string) chromedp.Action {
		return waitJS(what, `location.pathname.startsWith('/inbox/') && location.pathname.split('/')[2] !== '`+notID+`' && !!document.querySelector('#composer-text')`, 5*time.Second)
	}
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.activeElement && document.activeElement.blur()`, nil),
		pressKey("2"),
		waitJS("the queue view with 5 rows", `document.querySelector('[data-view="queue"]').classList.contains('active') && document.querySelectorAll('.conv-item').length === 5`, 10*time.Second),
		pressKey("?"),
		waitJS("the help overlay", `!!document.querySelector('#keys-help') && document.activeElement.id === 'keys-close'`, 3*time.Second),
		screenshot(t, "ui-keys-help-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-keys-help-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.KeyEvent(kb.Escape),
		waitJS("the overlay closed", `!document.querySelector('#keys-help')`, 3*time.Second),
		pressKey("j"),
		opened("the first conversation", ""),
	); err != nil {
		t.Fatalf("queue and overlay: %v (browser errors: %v)", err, errs.list())
	}
	first := openID()
	if err := chromedp.Run(ctx, pressKey("j"), opened("the second conversation (j)", first)); err != nil {
		t.Fatal(err)
	}
	second := openID()
	if err := chromedp.Run(ctx,
		pressKey("k"), waitJS("back to the first (k)", `location.pathname === '/inbox/`+first+`'`, 5*time.Second),
		chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(input.ModifierAlt)), waitJS("Alt+Down", `location.pathname === '/inbox/`+second+`'`, 5*time.Second),
		chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(input.ModifierAlt)), waitJS("Alt+Up", `location.pathname === '/inbox/`+first+`'`, 5*time.Second),
		waitJS("a visible focus ring on the row", `(() => { const a = document.activeElement; return a.classList.contains('conv-item') && getComputedStyle(a).outlineStyle === 'solid'; })()`, 3*time.Second),
		screenshot(t, "ui-keys-focus-1366x768.png"),
		// "/" opens the composer on the canned responses; Backspace and Esc leave it clean.
		pressKey("/"),
		waitJS("the composer with /", `document.activeElement?.id === 'composer-text' && document.activeElement.value === '/'`, 3*time.Second),
		chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent(kb.Escape),
		waitJS("left the composer empty", `document.activeElement?.id !== 'composer-text' && document.querySelector('#composer-text').value === ''`, 3*time.Second),
		// "s" opens the details at the snooze choices.
		pressKey("s"),
		waitJS("the snooze choices focused", `document.activeElement?.id === 'side-snooze-1h'`, 5*time.Second),
		screenshot(t, "ui-keys-snooze-1366x768.png"),
	); err != nil {
		t.Fatalf("j/k and Alt+Up/Down: %v (browser errors: %v)", err, errs.list())
	}

	start := time.Now()
	answered := map[string]bool{}
	for i := range customers {
		id := openID()
		if id == "" || answered[id] {
			t.Fatalf("round %d: open conversation %q (answered %v)", i+1, id, answered)
		}
		reply := fmt.Sprintf("Terima kasih, kami bantu sekarang (%d)", i+1)
		if err := chromedp.Run(ctx,
			pressKey("a"),
			waitJS("taken", `!document.querySelector('#thread-take') && document.querySelector('.thread-who')?.textContent.includes('Ayu Lestari')`, 5*time.Second),
			pressKey("r"),
			waitJS("the composer focused", `document.activeElement?.id === 'composer-text'`, 3*time.Second),
			chromedp.KeyEvent(reply),
			pressEnter(),
			waitJS("the reply in the thread", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('`+reply+`')) && document.querySelector('#composer-text').value === ''`, 5*time.Second),
			chromedp.KeyEvent(kb.Escape),
			waitJS("out of the composer", `document.activeElement?.id !== 'composer-text'`, 3*time.Second),
			pressKey("e"),
		); err != nil {
			t.Fatalf("round %d: %v (browser errors: %v)", i+1, err, errs.list())
		}
		answered[id] = true
		if i < len(customers)-1 {
			if err := chromedp.Run(ctx, opened("the next conversation after resolving", id)); err != nil {
				t.Fatalf("round %d: %v", i+1, err)
			}
		}
		waitUntil(t, 5*time.Second, "resolved", func() bool {
			var s string
			db.Raw(`SELECT status FROM conversations WHERE id = ?`, id).Scan(&s)
			return s == "resolved"
		})
	}
	t.Logf("5 customers answered by keyboard in %v", time.Since(start).Round(100*time.Millisecond))
	if err := chromedp.Run(ctx, waitJS("every chat done: the thread closed", `!location.pathname.startsWith('/inbox/')`, 5*time.Second),
		pressKey("1"), waitJS("mine view", `document.querySelectorAll('.conv-item').length === 5`, 5*time.Second),
		screenshot(t, "ui-keys-done-1366x768.png")); err != nil {
		t.Fatal(err)
	}

	// The side panel of an answered chat: its customer (tags, attributes),
	// cases and other conversations, now that Ayu serves it.
	var c1, k1 int64
	db.Raw(`SELECT c.id, c.contact_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.wa_id = ?`, customers[0]).Row().Scan(&c1, &k1)
	var sender2 int64
	db.Raw(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES ('PN-OTHER', 'WABA-E2E', '+62 21 5000 0002') RETURNING id`).Scan(&sender2)
	for _, q := range []string{
		`UPDATE contacts SET tags = '{vip,janji-bayar}', attributes = '{"kota": "Bandung", "produk": "KTA"}' WHERE id = ?`,
		`INSERT INTO conversations (sender_id, contact_id, status, last_message_at, last_preview, team_id) VALUES (` + fmt.Sprint(sender2) + `, ?, 'resolved', now() - interval '3 days', 'Sudah lunas bulan lalu', ` + fmt.Sprint(seed.teamID) + `)`,
		`INSERT INTO cases (reference, contact_id, amount, outstanding, due_date, team_id, status) VALUES ('LN-0001', ?, 2500000, 1200000, current_date, ` + fmt.Sprint(seed.teamID) + `, 'pooled')`,
	} {
		if err := db.Exec(q, k1).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(fmt.Sprintf("%s/inbox/%d", st.apiURL, c1)),
		chromedp.WaitVisible("#thread-details", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#thread-details').getAttribute('aria-pressed') === 'true' || document.querySelector('#thread-details').click()`, nil),
		waitJS("the customer in the side panel", `(() => { const s = document.querySelector('#side-panel'); return s && s.textContent.includes('Bandung') && s.textContent.includes('vip') &&
			s.textContent.includes('LN-0001') && document.querySelectorAll('#side-convs li').length === 1 && s.textContent.includes('Sudah lunas bulan lalu'); })()`, 10*time.Second),
		screenshot(t, "ui-side-context-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-side-context-390x844.png"),
		chromedp.EmulateViewport(1366, 768)); err != nil {
		var dump string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('#side-panel')?.textContent || ''`, &dump))
		t.Fatalf("side panel: %v (%s; browser errors: %v)", err, dump, errs.list())
	}

	// A new customer lands in the queue tab live (its events reach the
	// team's takers, not only supervisors).
	if err := chromedp.Run(ctx, pressKey("2"), waitJS("the empty queue", `document.querySelector('[data-view="queue"]').classList.contains('active') && document.querySelectorAll('#conv-list > .conv-item').length === 0`, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st.simPost("/sim/customers/6281200000006/messages", map[string]any{"type": "text", "text": "Halo, saya pelanggan 6", "name": "Pelanggan 6", "phoneNumberId": e2ePNID})
	if err := chromedp.Run(ctx, waitJS("the new customer in the queue, live", `[...document.querySelectorAll('#conv-list > .conv-item')].some(li => li.textContent.includes('pelanggan 6'))`, 10*time.Second),
		screenshot(t, "ui-queue-live-1366x768.png")); err != nil {
		t.Fatalf("%v (browser errors: %v)", err, errs.list())
	}

	// Each customer got exactly its reply; each chat is Ayu's, resolved, with
	// a "took the conversation" line in its thread and the audit log.
	waitUntil(t, 15*time.Second, "5 replies at the simulator", func() bool {
		n := 0
		for _, e := range st.sim.Outbox() {
			if e.Type == "text" && strings.Contains(string(e.Body), "kami bantu sekarang") {
				n++
			}
		}
		return n == 5
	})
	got := map[string]int{}
	for _, e := range st.sim.Outbox() {
		var b struct {
			Text struct{ Body string } `json:"text"`
		}
		_ = json.Unmarshal(e.Body, &b)
		if strings.Contains(b.Text.Body, "kami bantu sekarang") {
			if !strings.HasPrefix(b.Text.Body, "Terima kasih") {
				t.Fatalf("a shortcut key reached the reply: %q", b.Text.Body)
			}
			got[e.To]++
		}
	}
	for _, c := range customers {
		if got[c] != 1 {
			t.Fatalf("replies per customer: %v", got)
		}
	}
	var rows []struct {
		Status   string
		Assignee int64
		Lines    int
		Audits   int
	}
	db.Raw(`SELECT c.status, COALESCE(c.assignee_agent_id, 0) AS assignee,
		(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'note' AND m.payload->>'kind' = 'take') AS lines,
		(SELECT count(*) FROM audit_log a WHERE a.entity = 'conversation' AND a.entity_id = c.id AND a.action = 'conversation.take') AS audits
		FROM conversations c WHERE c.sender_id = ? ORDER BY c.id`, seed.senderID).Scan(&rows)
	if len(rows) != 6 {
		t.Fatalf("conversations: %+v", rows)
	}
	for _, r := range rows[:5] {
		if r.Status != "resolved" || r.Assignee != seed.ayuID || r.Lines != 1 || r.Audits != 1 {
			t.Fatalf("conversation after the keyboard run: %+v", rows)
		}
	}
	if e := errs.list(); len(e) > 0 {
		t.Fatalf("browser console errors:\n%s", strings.Join(e, "\n"))
	}
}

// pressKey presses a shortcut key as a keyboard does: a key-down the page
// may cancel and a key-up, with no separate character event (chromedp's
// KeyEvent sends one, which a browser would not after a cancelled key-down,
// so the shortcut letter would land in the field the shortcut focused).
func pressKey(key string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := input.DispatchKeyEvent(input.KeyRawDown).WithKey(key).Do(ctx); err != nil {
			return err
		}
		return input.DispatchKeyEvent(input.KeyUp).WithKey(key).Do(ctx)
	})
}
