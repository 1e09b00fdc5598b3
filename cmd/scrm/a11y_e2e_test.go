package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// axeScript is Deque's axe-core (pinned in scripts/ensure-axe.sh, fetched
// from the npm registry once into the project's cache).
func axeScript(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "ensure-axe.sh")).Output()
	if err != nil {
		t.Fatalf("scripts/ensure-axe.sh: %v", err)
	}
	raw, err := os.ReadFile(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axeCheck runs axe (WCAG 2.0/2.1 A and AA) on the page as it stands and
// reports the critical and serious violations.
func axeCheck(script string, out *[]axeViolation) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var loaded bool
		if err := chromedp.Evaluate(script+";true", &loaded).Do(ctx); err != nil {
			return fmt.Errorf("inject axe: %w", err)
		}
		var raw json.RawMessage
		err := chromedp.Evaluate(`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
			.then(r => r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious'))`, &raw,
			func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }).Do(ctx)
		if err != nil {
			return fmt.Errorf("run axe: %w", err)
		}
		return json.Unmarshal(raw, out)
	})
}

// Every page of the web app, as an admin sees it (all of its menus), with
// a conversation open in the inbox, at desktop and phone width: axe-core
// finds no critical or serious WCAG 2.1 AA violation.
func TestWebUIAccessibility(t *testing.T) {
	script := axeScript(t)
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, saya mau tanya tagihan", "name": "Siti", "phoneNumberId": e2ePNID})
	waitUntil(t, 15*time.Second, "conversation stored", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM conversations`).Scan(&n)
		return n == 1
	})
	b := newBrowser(t, 120*time.Second)
	var v []axeViolation
	check := func(page string) {
		t.Helper()
		v = nil
		b.run("axe "+page, chromedp.Sleep(700*time.Millisecond), axeCheck(script, &v))
		for _, x := range v {
			var targets []string
			for i, n := range x.Nodes {
				if i == 3 {
					targets = append(targets, fmt.Sprintf("… %d nodes", len(x.Nodes)))
					break
				}
				targets = append(targets, fmt.Sprint(n.Target...))
			}
			t.Errorf("%s: %s (%s): %s — %s", page, x.ID, x.Impact, x.Help, strings.Join(targets, ", "))
		}
	}
	b.run("login page", chromedp.EmulateViewport(1366, 768), chromedp.Navigate(st.apiURL+"/login"), chromedp.WaitVisible("#login-email", chromedp.ByQuery))
	check("/login")
	b.login(st, "admin@e2e.id", "admin-password-1")
	for _, p := range []string{"/inbox", "/canned", "/campaigns", "/campaigns/new", "/contacts", "/contacts/segments", "/contacts/import", "/cases",
		"/templates", "/senders", "/senders/auto-replies", "/reports", "/reports/floor", "/admin/agents", "/admin/teams", "/admin/roles", "/admin/audit", "/admin/integrations"} {
		b.run("open "+p, chromedp.Navigate(st.apiURL+p), chromedp.WaitVisible(".topbar .menu", chromedp.ByQuery))
		check(p)
	}
	b.run("open the conversation", chromedp.Navigate(st.apiURL+"/inbox"),
		chromedp.WaitVisible(`.tabs [data-view="all"]`, chromedp.ByQuery), chromedp.Click(`.tabs [data-view="all"]`, chromedp.ByQuery),
		waitJS("a conversation listed", `!!document.querySelector('.conv-item')`, 10*time.Second),
		clickLive(".conv-item"), waitJS("thread", `!!document.querySelector('#composer')`, 5*time.Second))
	check("/inbox (thread open)")
	b.run("screenshot", screenshot(t, "a11y-inbox-thread-1366x768.png"))
	// Dark mode (the system's preference): the same pages, no violation.
	dark := chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}).Do(ctx)
	})
	b.run("dark", dark)
	check("/inbox (thread open, dark)")
	b.run("screenshot", screenshot(t, "a11y-inbox-thread-dark-1366x768.png"))
	for _, p := range []string{"/campaigns/new", "/contacts", "/cases", "/templates", "/reports", "/admin/roles"} {
		b.run("open "+p, chromedp.Navigate(st.apiURL+p), chromedp.WaitVisible(".topbar .menu", chromedp.ByQuery))
		check(p + " (dark)")
	}
	b.run("light", chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}).Do(ctx)
	}))
	b.run("phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(st.apiURL+"/inbox"), chromedp.WaitVisible(".topbar .menu", chromedp.ByQuery))
	check("/inbox at 390x844")
	b.run("screenshot", screenshot(t, "a11y-inbox-390x844.png"))
	_ = seed
}
