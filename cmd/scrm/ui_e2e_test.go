package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium, installing it with the repository's
// script when it is missing. The test is skipped only when that fails.
func chromium(t *testing.T) string {
	t.Helper()
	find := func() string {
		for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
			if path, err := exec.LookPath(p); err == nil {
				return path
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "ensure-chromium.sh")).CombinedOutput()
	if p := find(); p != "" {
		return p
	}
	t.Skipf("Chromium is not installed and scripts/ensure-chromium.sh could not install it (%v): %s", err, out)
	return ""
}

// browserErrors collects console.error calls and uncaught exceptions.
type browserErrors struct {
	mu   sync.Mutex
	errs []string
}

func (b *browserErrors) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			b.errs = append(b.errs, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.errs = append(b.errs, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	}
}

func (b *browserErrors) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// cutProxy forwards TCP to the realtime gateway and can cut every
// connection and refuse new ones for a while, like a network outage.
type cutProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
	target string
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); p.cut(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}

// cut closes every connection; down says whether new ones are refused.
func (p *cutProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// waitJS polls a JavaScript expression in the page until it is true.
func waitJS(what, expr string, d time.Duration) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var ok bool
		if err := chromedp.Poll(expr, &ok, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond)).Do(ctx); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		return nil
	})
}

// clickLive clicks sel as a user does (a real mouse event), again when the
// node went away between finding and clicking it: a list row re-rendered
// by a live event is a new node, and a user would simply click again.
func clickLive(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		for range 10 {
			if err = chromedp.Click(sel, chromedp.ByQuery).Do(ctx); err == nil || !strings.Contains(err.Error(), "Could not find node") {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return err
	})
}

func screenshot(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.CaptureScreenshot(&buf).Do(ctx); err != nil {
			return err
		}
		dir := filepath.Join("..", "..", "artifacts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		t.Logf("screenshot %s", path)
		return os.WriteFile(path, buf, 0o644)
	})
}

// The web app in a real browser against the whole stack: Ayu logs in, a
// customer message appears live in the list and the thread, her reply
// shows its delivery status, and once the window has closed the composer
// becomes the template picker, which sends an approved template.
func TestWebUIEndToEnd(t *testing.T) {
	exe := chromium(t)
	const window = 8 * time.Second
	st := startStack(t, window)
	seed := st.seedInbox()
	db := st.db.Gorm

	// An approved template for the closed window.
	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, tagihan Anda jatuh tempo. Balas pesan ini untuk bantuan.",
		"example": map[string]any{"body_text": [][]string{{"Siti"}}}}}
	if code := st.call("POST", "/api/v1/templates", seed.admin, map[string]any{"name": "pengingat_tagihan", "language": "id", "category": "UTILITY",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("submit template: %d", code)
	}

	// A canned response the composer offers on "/".
	if code := st.call("POST", "/api/v1/canned-responses", seed.admin, map[string]any{"shortcut": "cek", "title": "Sedang dicek",
		"body": "Baik Bu Siti, saya cek dulu ya."}, nil); code != 201 {
		t.Fatalf("create canned response: %d", code)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	// The api tells the browser where the gateway is; the browser is sent
	// through a proxy the test can cut instead.
	var cfg struct {
		RealtimeURL string `json:"realtimeUrl"`
	}
	if code := st.call("GET", "/api/v1/ui-config", "", nil, &cfg); code != 200 || cfg.RealtimeURL != st.rtURL+"/ws" {
		t.Fatalf("ui-config: %d %+v", code, cfg)
	}
	proxy := newCutProxy(t, strings.TrimPrefix(st.rtURL, "ws://"))
	proxied := base64.StdEncoding.EncodeToString([]byte(`{"realtimeUrl":"ws://` + proxy.ln.Addr().String() + `/ws"}`))

	var errs browserErrors
	chromedp.ListenTarget(ctx, errs.listen)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			go func() {
				_ = chromedp.Run(ctx, fetch.FulfillRequest(e.RequestID, 200).
					WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}}).WithBody(proxied))
			}()
		}
	})
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (browser errors: %v)", step, err, errs.list())
		}
	}

	// 1. Log in as Ayu; her websocket makes her online, so routing picks her.
	// The CSP allows websockets to the configured realtime URL only; the
	// test's own detour through the cut proxy is exempted here, in the
	// browser, rather than loosened in the product.
	run("login", fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/ui-config"}}), page.SetBypassCSP(true),
		chromedp.EmulateViewport(1366, 768), chromedp.Navigate(st.apiURL+"/"),
		chromedp.WaitVisible("#login-email", chromedp.ByQuery),
		chromedp.SendKeys("#login-email", "ayu@e2e.id", chromedp.ByQuery),
		chromedp.SendKeys("#login-password", "agent-password-1", chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("the menu", `[...document.querySelectorAll('[data-nav]')].map(e => e.dataset.nav).join() === 'inbox,contacts,cases,templates,senders,agents,teams'`, 5*time.Second))
	waitUntil(t, 10*time.Second, "ayu online through the browser's websocket", func() bool {
		var p string
		db.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})

	// 2. A customer writes: the conversation appears live in the list.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, saya mau tanya tagihan",
		"name": "Siti Nurhaliza", "phoneNumberId": e2ePNID})
	run("conversation in the list",
		waitJS("Siti in the list", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('Siti Nurhaliza') && e.querySelector('.badge.unread'))`, 20*time.Second),
		waitJS("an open window chip", `!!document.querySelector('.conv-item .window.open, .conv-item .window.amber')`, 5*time.Second),
		clickLive(".conv-item"),
		waitJS("the message in the thread", `[...document.querySelectorAll('.msg.in .bubble')].some(e => e.textContent.includes('saya mau tanya tagihan'))`, 5*time.Second),
		waitJS("unread cleared", `!document.querySelector('.conv-item .badge.unread')`, 5*time.Second))

	// 3. While the thread is open, the next customer message arrives live.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Nomor pelanggan 12345", "phoneNumberId": e2ePNID})
	run("live message in the thread",
		waitJS("second message in the thread", `[...document.querySelectorAll('.msg.in .bubble')].some(e => e.textContent.includes('Nomor pelanggan 12345'))`, 10*time.Second))

	// The network drops: the app shows it, reconnects with backoff and
	// resumes from its last event id, so a message sent meanwhile appears.
	proxy.cut(true)
	run("outage shown", waitJS("realtime banner", `document.getElementById('app').classList.contains('rt-down')`, 5*time.Second))
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo? Masih di sana?", "phoneNumberId": e2ePNID})
	time.Sleep(time.Second)
	proxy.cut(false)
	run("resumed after the outage",
		waitJS("message from the outage in the thread", `[...document.querySelectorAll('.msg.in .bubble')].some(e => e.textContent.includes('Masih di sana'))`, 15*time.Second),
		waitJS("banner gone", `!document.getElementById('app').classList.contains('rt-down')`, 5*time.Second))

	// 4. Ayu replies through the composer with the canned response and sees
	// it delivered and read.
	run("reply",
		chromedp.SendKeys("#composer-text", "/ce", chromedp.ByQuery),
		waitJS("canned suggestion", `[...document.querySelectorAll('#canned:not([hidden]) .canned-item')].some(e => e.textContent.includes('/cek'))`, 5*time.Second),
		chromedp.Click("#canned .canned-item", chromedp.ByQuery),
		waitJS("canned text in the composer", `document.querySelector('#composer-text').value === 'Baik Bu Siti, saya cek dulu ya.'`, 2*time.Second),
		chromedp.Click("#composer-send", chromedp.ByQuery),
		waitJS("reply shown", `[...document.querySelectorAll('.msg.out .bubble')].some(e => e.textContent.includes('saya cek dulu'))`, 5*time.Second),
		waitJS("reply delivered or read", `[...document.querySelectorAll('.msg.out')].some(e => e.textContent.includes('saya cek dulu') && ['delivered','read'].includes(e.querySelector('.msg-status')?.dataset.status))`, 10*time.Second),
		waitJS("reply read", `[...document.querySelectorAll('.msg.out')].some(e => e.textContent.includes('saya cek dulu') && e.querySelector('.msg-status')?.dataset.status === 'read')`, 10*time.Second),
		waitJS("reply as the list's preview", `document.querySelector('.conv-item .preview')?.textContent.includes('saya cek dulu')`, 5*time.Second),
		screenshot(t, "ui-inbox-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-inbox-390x844.png"),
		chromedp.Click(".thread-head .back", chromedp.ByQuery),
		waitJS("list alone at phone width", `!document.querySelector('#thread').classList.contains('open')`, 2*time.Second),
		screenshot(t, "ui-list-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		clickLive(".conv-item"),
		waitJS("thread reopened", `!!document.querySelector('.thread-head')`, 5*time.Second))
	texts := 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "text" && strings.Contains(string(e.Body), "saya cek dulu") {
			texts++
		}
	}
	if texts != 1 {
		t.Fatalf("simulator received the reply %d times, want 1", texts)
	}

	// 5. The window closes: the composer becomes the template picker.
	run("template picker",
		waitJS("window closed chip", `document.querySelector('.thread-head .window')?.classList.contains('closed')`, window+10*time.Second),
		waitJS("template picker", `!!document.querySelector('#template-picker #template-select') && !document.querySelector('#composer-text')`, 10*time.Second),
		waitJS("variable prefilled", `document.querySelector('#template-picker input[name="body.1"]')?.value === 'Siti Nurhaliza'`, 5*time.Second),
		screenshot(t, "ui-template-picker-1366x768.png"),
		chromedp.Click("#template-send", chromedp.ByQuery),
		waitJS("template delivered or read", `[...document.querySelectorAll('.msg.out')].some(e => e.textContent.includes('Template') || e.textContent.includes('tagihan Anda')) && [...document.querySelectorAll('.msg.out .msg-status')].filter(s => ['delivered','read'].includes(s.dataset.status)).length >= 2`, 15*time.Second))
	templates := 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "template" {
			templates++
		}
	}
	if templates != 1 {
		t.Fatalf("simulator received %d templates, want 1", templates)
	}

	// The details panel: contact, the customer's case, labels and a private
	// note (never sent).
	if err := db.Exec(`INSERT INTO cases (reference, contact_id, amount, outstanding, due_date, team_id, agent_id, status, assigned_at)
		SELECT 'KRD-UI-77', id, 3000000, 1500000, '2026-11-01', ?, ?, 'assigned', now()
		FROM contacts WHERE phone_e164 = '+6281234567890'`, seed.teamID, seed.ayuID).Error; err != nil {
		t.Fatal(err)
	}
	run("details panel",
		chromedp.Click("#thread-details", chromedp.ByQuery),
		waitJS("contact in the panel", `document.querySelector('#side-panel')?.textContent.includes('+6281234567890')`, 5*time.Second),
		waitJS("case in the panel", `document.querySelector('#side-cases')?.textContent.includes('KRD-UI-77') && document.querySelector('#side-cases')?.textContent.includes('1.500.000')`, 5*time.Second),
		chromedp.SendKeys("#side-labels", "janji-bayar, vip", chromedp.ByQuery),
		chromedp.Click("#side-labels-save", chromedp.ByQuery),
		chromedp.SendKeys("#side-note-text", "Nasabah minta dihubungi sore", chromedp.ByQuery),
		chromedp.Click("#side-note-add", chromedp.ByQuery),
		waitJS("note listed", `document.querySelector('#side-notes')?.textContent.includes('Nasabah minta dihubungi sore')`, 5*time.Second),
		screenshot(t, "ui-inbox-details-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-inbox-details-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#thread-details", chromedp.ByQuery),
		waitJS("panel closed", `!document.querySelector('.inbox').classList.contains('with-side')`, 2*time.Second),
		waitJS("labels in the list", `[...document.querySelectorAll('.conv-item .labels .chip')].map(e => e.textContent).join() === 'janji-bayar,vip'`, 5*time.Second),
		setValue(`#inbox-filters [data-filter="label"]`, "tidak-ada"),
		waitJS("label filter: nothing", `!!document.querySelector('#conv-list li.empty')`, 5*time.Second),
		setValue(`#inbox-filters [data-filter="label"]`, "vip"),
		waitJS("label filter: Siti", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('Siti Nurhaliza'))`, 5*time.Second),
		setValue(`#inbox-filters [data-filter="window"]`, "open"),
		waitJS("window filter: nothing open", `!!document.querySelector('#conv-list li.empty')`, 5*time.Second),
		setValue(`#inbox-filters [data-filter="window"]`, ""),
		setValue(`#inbox-filters [data-filter="label"]`, ""),
		waitJS("filters cleared", `!!document.querySelector('.conv-item')`, 5*time.Second))
	var labels string
	db.Raw(`SELECT labels::text FROM conversations ORDER BY id LIMIT 1`).Scan(&labels)
	var notes int64
	db.Raw(`SELECT count(*) FROM conversation_notes WHERE body = 'Nasabah minta dihubungi sore'`).Scan(&notes)
	if !strings.Contains(labels, "janji-bayar") || !strings.Contains(labels, "vip") || notes != 1 {
		t.Fatalf("labels %q, notes %d", labels, notes)
	}
	for _, e := range st.sim.Outbox() {
		if strings.Contains(string(e.Body), "dihubungi sore") {
			t.Fatal("a private note reached the customer")
		}
	}

	// 6. The agents page lists agents; Ayu (no agents:write) gets no create form.
	run("agents page",
		chromedp.Click(`[data-nav="agents"]`, chromedp.ByQuery),
		waitJS("agents listed", `document.querySelector('#agents-list table')?.textContent.includes('Ayu Lestari')`, 5*time.Second),
		waitJS("no create form", `!document.querySelector('#agent-form')`, time.Second),
		chromedp.Click(`[data-nav="inbox"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery))

	// Presence switch: Ayu takes a break.
	run("presence", chromedp.Evaluate(`(() => { const s = document.querySelector('#presence'); s.value = 'away'; s.dispatchEvent(new Event('change')); })()`, nil))
	waitUntil(t, 5*time.Second, "ayu away", func() bool {
		var p string
		db.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "away"
	})

	// 7. A reload keeps the session (refresh token in the httpOnly cookie) and
	// the deep link; English, then logout back to the login page.
	run("reload, language and logout",
		clickLive(".conv-item"),
		waitJS("thread open", `location.pathname.startsWith('/inbox/') && !!document.querySelector('.thread-head')`, 5*time.Second),
		chromedp.Reload(),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("thread from the deep link", `location.pathname.startsWith('/inbox/') && !!document.querySelector('.thread-head')`, 5*time.Second),
		chromedp.Click("#account-menu summary", chromedp.ByQuery),
		chromedp.Click("#lang-toggle", chromedp.ByQuery),
		waitJS("english menu", `document.querySelector('[data-nav="inbox"]')?.textContent === 'Inbox'`, 5*time.Second),
		chromedp.Click("#account-menu summary", chromedp.ByQuery),
		chromedp.Click("#logout", chromedp.ByQuery),
		chromedp.WaitVisible("#login-email", chromedp.ByQuery))

	// 8. The admin creates a team through the form and sees it listed.
	run("admin creates a team",
		chromedp.SendKeys("#login-email", "admin@e2e.id", chromedp.ByQuery),
		chromedp.SendKeys("#login-password", "admin-password-1", chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		waitJS("admin menu", `!!document.querySelector('[data-nav="teams"]')`, 5*time.Second),
		chromedp.Click(`[data-nav="teams"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#team-form", chromedp.ByQuery),
		chromedp.SendKeys(`#team-form input[name="name"]`, "Penagihan Surabaya", chromedp.ByQuery),
		chromedp.Click(`#team-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("new team listed", `document.querySelector('#teams-list table')?.textContent.includes('Penagihan Surabaya')`, 5*time.Second),
		chromedp.Click(`[data-nav="agents"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#agent-form", chromedp.ByQuery),
		waitJS("the new team offered", `[...document.querySelectorAll('#agent-form select[name="teamIds"] option')].some(o => o.textContent === 'Penagihan Surabaya')`, 5*time.Second),
		// ...and an agent with the Agent role in that team.
		chromedp.SendKeys(`#agent-form input[name="name"]`, "Rina Wijaya", chromedp.ByQuery),
		chromedp.SendKeys(`#agent-form input[name="email"]`, "rina@e2e.id", chromedp.ByQuery),
		chromedp.SendKeys(`#agent-form input[name="password"]`, "agent-password-2", chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const f = document.querySelector('#agent-form');
			for (const o of f.querySelector('select[name="roleId"]').options) o.selected = o.textContent === 'Agent';
			for (const o of f.querySelector('select[name="teamIds"]').options) o.selected = o.textContent === 'Penagihan Surabaya'; })()`, nil),
		chromedp.Click(`#agent-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("new agent listed", `[...document.querySelectorAll('#agents-list tr')].some(r => r.textContent.includes('Rina Wijaya') && r.textContent.includes('rina@e2e.id') && r.textContent.includes('Agent'))`, 5*time.Second),
		waitJS("no disable button for oneself", `![...document.querySelectorAll('#agents-list tr')].find(r => r.textContent.includes('admin@e2e.id')).querySelector('button')`, time.Second),
		screenshot(t, "ui-agents-1366x768.png"))
	var teams int64
	db.Raw(`SELECT count(*) FROM teams WHERE name = 'Penagihan Surabaya'`).Scan(&teams)
	if teams != 1 {
		t.Fatalf("teams named Penagihan Surabaya: %d", teams)
	}
	var rina struct {
		Status string
		Role   string
		Team   string
	}
	db.Raw(`SELECT a.status, r.name AS role, t.name AS team FROM agents a JOIN roles r ON r.id = a.role_id
		JOIN team_members m ON m.agent_id = a.id JOIN teams t ON t.id = m.team_id WHERE a.email = 'rina@e2e.id'`).Scan(&rina)
	if rina.Status != "active" || rina.Role != "Agent" || rina.Team != "Penagihan Surabaya" {
		t.Fatalf("agent created through the form: %+v", rina)
	}
	// ...and disabled again from the list.
	run("disable an agent",
		chromedp.Evaluate(`[...document.querySelectorAll('#agents-list tr')].find(r => r.textContent.includes('rina@e2e.id')).querySelector('button').click()`, nil),
		waitJS("Rina disabled", `[...document.querySelectorAll('#agents-list tr')].find(r => r.textContent.includes('rina@e2e.id'))?.textContent.includes('Disabled')`, 5*time.Second))
	db.Raw(`SELECT status FROM agents WHERE email = 'rina@e2e.id'`).Scan(&rina.Status)
	if rina.Status != "disabled" {
		t.Fatalf("Rina after disable: %s", rina.Status)
	}
	// The team's members: Rina becomes its lead.
	run("team members",
		chromedp.Click(`[data-nav="teams"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#teams-list [data-team="Penagihan Surabaya"]`, chromedp.ByQuery),
		chromedp.Click(`#teams-list [data-team="Penagihan Surabaya"]`, chromedp.ByQuery),
		waitJS("Rina a member", `[...document.querySelectorAll('#team-members tr')].some(r => r.textContent.includes('Rina Wijaya') && r.textContent.includes('Member'))`, 5*time.Second),
		chromedp.Evaluate(`[...document.querySelectorAll('#team-members tr')].find(r => r.textContent.includes('Rina Wijaya')).querySelector('button').click()`, nil),
		waitJS("Rina the lead", `[...document.querySelectorAll('#team-members tr')].some(r => r.textContent.includes('Rina Wijaya') && r.textContent.includes('Lead'))`, 5*time.Second))
	var teamRole string
	db.Raw(`SELECT m.team_role FROM team_members m JOIN agents a ON a.id = m.agent_id WHERE a.email = 'rina@e2e.id'`).Scan(&teamRole)
	if teamRole != "lead" {
		t.Fatalf("Rina's team role: %q", teamRole)
	}
	// The admin's other pages open without errors: roles (the permission
	// matrix), senders, templates, cases, audit.
	run("admin pages",
		chromedp.Click(`[data-nav="roles"]`, chromedp.ByQuery),
		waitJS("permission matrix", `document.querySelectorAll('#role-matrix input[type="checkbox"]').length >= 4 * 31`, 5*time.Second),
		screenshot(t, "ui-roles-1366x768.png"),
		chromedp.Click(`[data-nav="senders"]`, chromedp.ByQuery),
		waitJS("sender listed", `document.querySelector('#sender-list')?.textContent.includes('+622150000001') && document.querySelector('#sender-list').textContent.includes('`+e2ePNID+`')`, 5*time.Second),
		chromedp.Click(`[data-nav="templates"]`, chromedp.ByQuery),
		waitJS("template listed", `document.querySelector('#template-list')?.textContent.includes('pengingat_tagihan')`, 5*time.Second),
		chromedp.Click(`[data-nav="audit"]`, chromedp.ByQuery),
		waitJS("audit rows with actor names", `document.querySelectorAll('#audit-list tbody tr').length > 3 && document.querySelector('#audit-list').textContent.includes('Admin')`, 5*time.Second),
		screenshot(t, "ui-audit-1366x768.png"),
		chromedp.Click(`[data-nav="cases"]`, chromedp.ByQuery),
		waitJS("cases page", `!!document.querySelector('#case-list table')`, 5*time.Second))

	if e := errs.list(); len(e) > 0 {
		t.Fatalf("browser console errors:\n%s", strings.Join(e, "\n"))
	}
}
