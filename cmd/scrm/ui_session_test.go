package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// Issue #16 (sessions): one login serves every tab of the browser. The
// refresh token is an httpOnly cookie (no script can read it, nothing in
// web storage), a second tab opens logged in, and logout in one tab ends
// the session in all of them.
func TestWebUISessionAcrossTabs(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm

	tab1 := newBrowser(t, 60*time.Second)
	tab1.login(st, "ayu@e2e.id", "agent-password-1")
	var leaked bool
	tab1.run("no refresh token within reach of scripts",
		chromedp.Evaluate(`document.cookie.includes('scrm_refresh') ||
			Object.keys(sessionStorage).some(k => /refresh|token/i.test(k)) ||
			Object.keys(localStorage).some(k => /refresh|token/i.test(k))`, &leaked))
	if leaked {
		t.Fatal("the refresh token is readable by scripts")
	}

	// A second tab of the same browser: no login form, straight into the inbox.
	ctx2, cancel2 := chromedp.NewContext(tab1.ctx)
	defer cancel2()
	tab2 := &browser{t: t, ctx: ctx2, errs: &browserErrors{}}
	chromedp.ListenTarget(ctx2, tab2.errs.listen)
	tab2.run("second tab opens logged in",
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(st.apiURL+"/inbox"),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("ayu's name in the top bar", `document.querySelector('.topbar .who')?.textContent === 'Ayu Lestari'`, 5*time.Second),
		waitJS("no login form", `!document.querySelector('#login-email')`, time.Second),
		screenshot(t, "session-second-tab.png"))
	var sessions int64
	db.Raw(`SELECT count(*) FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE a.email = 'ayu@e2e.id' AND s.revoked_at IS NULL`).Scan(&sessions)
	if sessions != 2 { // the seed's API login and the browser's one login, shared by both tabs
		t.Fatalf("%d open sessions, want 2", sessions)
	}

	// Logout in the second tab ends the browser's session: both tabs are
	// back at the login form and a new tab is not let in.
	tab2.run("logout in tab 2", chromedp.Click("#account-menu summary", chromedp.ByQuery), chromedp.Click("#logout", chromedp.ByQuery), chromedp.WaitVisible("#login-email", chromedp.ByQuery))
	tab1.run("tab 1 is logged out too", waitJS("login form in tab 1", `!!document.querySelector('#login-email')`, 5*time.Second))
	ctx3, cancel3 := chromedp.NewContext(tab1.ctx)
	defer cancel3()
	tab3 := &browser{t: t, ctx: ctx3, errs: &browserErrors{}}
	tab3.run("a new tab after logout", chromedp.Navigate(st.apiURL+"/inbox"), chromedp.WaitVisible("#login-email", chromedp.ByQuery))
	db.Raw(`SELECT count(*) FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE a.email = 'ayu@e2e.id' AND s.revoked_at IS NULL`).Scan(&sessions)
	if sessions != 1 {
		t.Fatalf("%d open sessions after logout, want 1 (the seed's)", sessions)
	}
	tab1.noErrors()
	tab2.noErrors()

	// With two-factor authentication on, the form asks for the code after
	// the password, and the code lets Ayu in.
	var enr struct {
		Secret string `json:"secret"`
	}
	if code := st.call("POST", "/api/v1/me/totp", seed.ayu, nil, &enr); code != 200 {
		t.Fatalf("enrol: %d", code)
	}
	first, _ := totp.GenerateCode(enr.Secret, time.Now())
	if code := st.call("POST", "/api/v1/me/totp/confirm", seed.ayu, map[string]string{"code": first}, nil); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	next, _ := totp.GenerateCode(enr.Secret, time.Now().Add(30*time.Second))
	tab3.run("login with the second factor",
		chromedp.SendKeys("#login-email", "ayu@e2e.id", chromedp.ByQuery),
		chromedp.SendKeys("#login-password", "agent-password-1", chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#login-totp", chromedp.ByQuery),
		screenshot(t, "session-totp-prompt.png"),
		chromedp.SendKeys("#login-totp", next, chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery))
}
