package api_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/throttle"
	"github.com/wabascrm/scrm/worker/testenv"
)

// Issue #17 finding 9: names such as "+1+1", "-2+3" and "Ani;=1+1;" (a
// formula after the separator of the id-ID locale) left the exports as
// formulas. Every cell that could start a formula, anywhere in the field,
// is now quoted and prefixed, and no field can be split into a new cell.
func TestSecurityCSVExportFormulas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	names := []string{"+1+1", "-2+3", "Ani;=1+1;", "Budi,@SUM(A1)", "Sari\t=1", "Citra"}
	for i, n := range names {
		if err := e.db.Exec(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, ?)`,
			"+6281200000"+itoa(int64(10+i)), "6281200000"+itoa(int64(10+i)), n).Error; err != nil {
			t.Fatal(err)
		}
	}
	r := e.must(e.do("GET", "/api/v1/contacts/export", admin, nil), 200)
	body := string(r.body)
	for _, n := range names[:5] {
		if !strings.Contains(body, `"'`+strings.ReplaceAll(n, `"`, `""`)+`"`) {
			t.Errorf("name %q not quoted and defused in:\n%s", n, body)
		}
	}
	// Read with ";" as the separator, as a spreadsheet in the id-ID locale
	// does: no cell may start with a formula character.
	for _, sep := range []rune{',', ';', '\t'} {
		rd := csv.NewReader(strings.NewReader(body))
		rd.Comma, rd.FieldsPerRecord, rd.LazyQuotes = sep, -1, true
		recs, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("sep %q: %v", sep, err)
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("sep %q: cell %q of %v reads as a formula", sep, cell, rec)
				}
			}
		}
	}
	if !strings.Contains(body, `"Citra"`) {
		t.Errorf("plain name changed: %s", body)
	}
}

// Issue #17 finding 12: every response of the app carries the security
// headers, with connect-src limited to the configured realtime URL.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		UIRealtimeURL: "wss://rt.example.com/ws", ShutdownTimeout: time.Second})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for _, path := range []string{"/", "/inbox/42", "/assets/app.js", "/api/v1/ui-config", "/api/v1/me", "/api/v1/nope", "/healthz", "/webhooks/whatsapp"} {
		res, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "connect-src 'self' wss://rt.example.com/ws;") {
			t.Errorf("%s (%d): headers %v", path, res.StatusCode, h)
		}
		if strings.Contains(csp, " ws: ") || strings.Contains(csp, " wss: ") || strings.Contains(csp, "wss:;") {
			t.Errorf("%s: connect-src allows any websocket host: %s", path, csp)
		}
	}
}

// Issue #17 finding 12: a NUL byte or invalid UTF-8 in any query parameter
// of any route is a 400, never a 500 (PostgreSQL refuses such text).
func TestSecurityInvalidQueryIs400(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	for _, rt := range e.srv.Routes() {
		if rt.Method != http.MethodGet || strings.Contains(rt.Path, "*") {
			continue
		}
		path := strings.NewReplacer(":id", "1", ":agentId", "1").Replace(rt.Path)
		for _, q := range []string{"q=a%00b", "status=%ff", "search=%00", "tag=%00&cursor=%00"} {
			r := e.do("GET", path+"?"+q, admin, nil)
			if r.status >= 500 {
				t.Errorf("GET %s?%s: %d %s", path, q, r.status, r.body)
			}
		}
	}
	r := e.must(e.do("GET", "/api/v1/contacts?q=a%00b", admin, nil), 400)
	if _, field := r.errField(); field != "q" {
		t.Fatalf("names the parameter: %s", r.body)
	}
	// Text in a JSON body that PostgreSQL cannot store is the caller's error too.
	r = e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "+6281234567890", "name": "a\u0000b"})
	if r.status != 400 {
		t.Fatalf("NUL in a JSON body: %d %s", r.status, r.body)
	}
}

// Issue #17 finding 6: unauthenticated slow bodies pinned memory and
// connections. A delivery without a well-formed signature is refused before
// its body is read; at most a bounded number of bodies are read at once
// (the rest get 503, which Meta redelivers); a body that drips is cut off
// by the read deadline.
func TestSecuritySlowWebhookBodies(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		WABAAppSecret: "hook-secret", ShutdownTimeout: time.Second})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	addr := strings.TrimPrefix(hs.URL, "http://")
	// open sends the headers of a 4 MiB delivery and returns the connection
	// and a channel with the status line once the server answers.
	open := func(sig string) (net.Conn, chan string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n", 4<<20, sig)
		ch := make(chan string, 1)
		go func() {
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				line = "closed: " + err.Error()
			}
			ch <- strings.TrimSpace(line)
		}()
		return c, ch
	}
	wait := func(ch chan string, within time.Duration) string {
		select {
		case s := <-ch:
			return s
		case <-time.After(within):
			return "no answer"
		}
	}
	// No signature: refused at once, nothing of the body read.
	c, ch := open("")
	if got := wait(ch, 2*time.Second); !strings.Contains(got, " 401 ") {
		t.Fatalf("unsigned: %q", got)
	}
	_ = c.Close()

	// Well-formed but wrong signatures with bodies that never finish: the
	// first 16 hold the gate, the others are turned away within seconds.
	sig := "X-Hub-Signature-256: sha256=" + strings.Repeat("0", 64) + "\r\n"
	var held []chan string
	for range 24 {
		c, ch := open(sig)
		defer func() { _ = c.Close() }()
		_, _ = c.Write([]byte("{"))
		held = append(held, ch)
	}
	time.Sleep(3 * time.Second) // a full gate turns a body away after 1 s
	turned, still := 0, []chan string{}
	for _, ch := range held {
		select {
		case s := <-ch:
			if !strings.Contains(s, " 503 ") {
				t.Fatalf("turned away with %q", s)
			}
			turned++
		default:
			still = append(still, ch)
		}
	}
	if turned != 8 {
		t.Fatalf("%d of 24 slow bodies turned away, want 8 (16 read at once)", turned)
	}
	// The held ones are cut off by the 10 s read deadline.
	for i, ch := range still {
		if got := wait(ch, 15*time.Second); got == "no answer" {
			t.Fatalf("slow body %d still open after the read deadline", i)
		}
	}
}

// replica is one more api server on the env's database, as a second
// replica behind the load balancer would be, trusting the loopback proxy
// so X-Forwarded-For names the client.
func (e *env) replica(th throttle.LoginThrottle) *httptest.Server {
	e.t.Helper()
	tokens, err := identity.NewTokens(e.db, testSecret, testenv.Hasher())
	if err != nil {
		e.t.Fatal(err)
	}
	tokens.Throttle = th
	srv := api.New(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Stores: api.StoresOn(e.db, nil), Auth: tokens, Tokens: tokens, TrustedProxies: []string{"127.0.0.1"}, ShutdownTimeout: time.Second})
	hs := httptest.NewServer(srv.Handler())
	e.t.Cleanup(hs.Close)
	return hs
}

// loginFrom posts a login to hs as the client at ip.
func loginFrom(t *testing.T, hs *httptest.Server, ip, email, password string) resp {
	t.Helper()
	raw, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/auth/login", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: body}
}

// Issue #17 finding 10: five wrong passwords from anywhere locked the real
// user out; "account is disabled" confirmed a right password; each replica
// counted on its own. Now: progressive delay per account-and-address and per
// address, in PostgreSQL, and one answer for unknown, wrong and disabled.
func TestSecurityLoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	off := e.agent("off@example.com", e.roleID(models.RoleKeyAgent))
	th := throttle.LoginThrottle{AccountIPFree: 3, IPFree: 8, BaseDelay: time.Hour, MaxDelay: time.Hour, Window: time.Hour}
	r1, r2 := e.replica(th), e.replica(th)
	attacker, user := "203.0.113.7", "198.51.100.20"
	for i := range 3 {
		if r := loginFrom(t, []*httptest.Server{r1, r2}[i%2], attacker, "a@example.com", "wrong-password"); r.status != 401 {
			t.Fatalf("attempt %d: %d %s", i, r.status, r.body)
		}
	}
	// The attacker's address is slowed down on both replicas, even with the right password...
	for _, hs := range []*httptest.Server{r1, r2} {
		r := loginFrom(t, hs, attacker, "A@example.com", pw)
		if code, field := r.errField(); r.status != 429 || code != "rate_limited" || field != "email" || r.header.Get("Retry-After") == "" {
			t.Fatalf("attacker after 3 failures: %d %s", r.status, r.body)
		}
	}
	// ...while the real user, elsewhere, logs in.
	if r := loginFrom(t, r2, user, "a@example.com", pw); r.status != 200 {
		t.Fatalf("real user locked out: %d %s", r.status, r.body)
	}

	// Unknown, wrong and disabled (with its right password) look the same.
	if err := e.db.Exec("UPDATE agents SET status = 'disabled' WHERE id = ?", off).Error; err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, c := range [][2]string{{"nobody@example.com", pw}, {"off@example.com", "wrong-password"}, {"off@example.com", pw}} {
		r := loginFrom(t, r1, "192.0.2.1", c[0], c[1])
		var b api.ErrorBody
		r.json(t, &b)
		if r.status != 401 {
			t.Fatalf("%v: %d %s", c, r.status, r.body)
		}
		bodies = append(bodies, b.Error.Code+"|"+b.Error.Message+"|"+b.Error.Field)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("answers differ: %q", bodies)
	}
	// One address spraying many accounts is slowed down too (8 per address).
	for i := range 5 {
		loginFrom(t, r1, "192.0.2.1", "spray"+itoa(int64(i))+"@example.com", "wrong-password")
	}
	if r := loginFrom(t, r2, "192.0.2.1", "a@example.com", pw); r.status != 429 {
		t.Fatalf("spraying address: %d %s", r.status, r.body)
	}
	var n int64
	e.db.Raw("SELECT count(*) FROM audit_log WHERE action = ?", identity.AuditLoginFailed).Scan(&n)
	if n != 3+3+5 {
		t.Fatalf("failed-login audit rows = %d, want 11 (every failure, known account or not)", n)
	}
}

// Issue #17 finding 10: POST /contacts with another team's customer's
// phone answered "already exists", confirming that customer. Within scope
// the caller now gets the contact to open; outside it, a conflict that
// names nothing of the other team's contact.
func TestSecurityContactConflictStaysInScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	teams := identity.TeamStore{DB: e.db}
	north, err := teams.Create(t.Context(), system, identity.TeamInput{Name: "North"})
	if err != nil {
		t.Fatal(err)
	}
	south, err := teams.Create(t.Context(), system, identity.TeamInput{Name: "South"})
	if err != nil {
		t.Fatal(err)
	}
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), north.ID)
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent), south.ID)
	e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor), north.ID)
	sup := e.login("sup@example.com").AccessToken
	var mine, theirs struct{ ID int64 }
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-1111-0001", "name": "Sari North", "ownerAgentId": a1}), 201).json(t, &mine)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0812-1111-0002", "name": "Budi South", "ownerAgentId": a2}), 201).json(t, &theirs)

	var b api.ErrorBody
	e.must(e.do("POST", "/api/v1/contacts", sup, map[string]any{"phone": "+62 812 1111 0001", "ownerAgentId": a1}), 409).json(t, &b)
	if id, _ := b.Error.Details["contactId"].(float64); int64(id) != mine.ID {
		t.Fatalf("in scope: %+v", b)
	}
	r := e.must(e.do("POST", "/api/v1/contacts", sup, map[string]any{"phone": "0812-1111-0002", "ownerAgentId": a1}), 409)
	text := string(r.body)
	if strings.Contains(text, itoa(theirs.ID)+",") || strings.Contains(text, "contactId") || strings.Contains(text, "Budi") ||
		strings.Contains(text, "already exists") {
		t.Fatalf("out of scope reveals the other team's contact: %s", text)
	}
}

// Issue #17 finding 14: password change and admin reset end every session,
// new passwords meet the strength rule, refresh tokens expire when idle,
// and "log out everywhere" ends all of an agent's sessions.
func TestSecurityPasswordChangeAndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	id := e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	s1, s2 := e.login("a@example.com"), e.login("a@example.com")

	change := func(tok, cur, next string) resp {
		return e.do("POST", "/api/v1/me/password", tok, map[string]string{"currentPassword": cur, "newPassword": next})
	}
	if code, field := e.must(change(s1.AccessToken, "wrong-password", "Kopi susu di Menteng 7"), 401).errField(); code != "unauthorized" || field != "currentPassword" {
		t.Fatalf("wrong current: %s %s", code, field)
	}
	for _, weak := range []string{"P@ssw0rd2024", "bismillah123", "a@example.com1"} {
		if _, field := e.must(change(s1.AccessToken, pw, weak), 422).errField(); field != "newPassword" {
			t.Fatalf("weak %q accepted or wrong field %s", weak, field)
		}
	}
	var fresh loginBody
	e.must(change(s1.AccessToken, pw, "Kopi susu di Menteng 7"), 200).json(t, &fresh)
	for _, old := range []loginBody{s1, s2} {
		e.must(e.do("GET", "/api/v1/me", old.AccessToken, nil), 401)
		e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": old.RefreshToken}), 401)
	}
	e.must(e.do("GET", "/api/v1/me", fresh.AccessToken, nil), 200)
	e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "a@example.com", "password": "Kopi susu di Menteng 7"}), 200)

	// An admin's reset ends the sessions too, and meets the same rule.
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/password", admin, map[string]string{"password": "qwertyuiop"}), 422)
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/password", admin, map[string]string{"password": pw}), 204)
	e.must(e.do("GET", "/api/v1/me", fresh.AccessToken, nil), 401)

	// Idle timeout: a refresh token unused for longer than it is refused.
	idle := e.login("a@example.com")
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": idle.RefreshToken}), 200).json(t, &idle)
	if err := e.db.Exec("UPDATE sessions SET refreshed_at = now() - interval '61 minutes' WHERE agent_id = ? AND revoked_at IS NULL", id).Error; err != nil {
		t.Fatal(err)
	}
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": idle.RefreshToken}), 401)

	// Log out everywhere.
	d1, d2 := e.login("a@example.com"), e.login("a@example.com")
	e.must(e.do("POST", "/api/v1/auth/logout-all", d1.AccessToken, nil), 204)
	for _, s := range []loginBody{d1, d2} {
		e.must(e.do("GET", "/api/v1/me", s.AccessToken, nil), 401)
		e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": s.RefreshToken}), 401)
	}
}

// Issue #16 (sessions): the web app's refresh token is an httpOnly,
// SameSite=Strict cookie scoped to /api/v1/auth, never in a response body;
// a refresh with the cookie alone works (a second tab), logout clears it.
func TestSecurityRefreshCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	post := func(path, token string, body any) (*http.Response, []byte) {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", e.http.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := post("/api/v1/auth/login", "", map[string]string{"email": "a@example.com", "password": pw, "session": "cookie"})
	if res.StatusCode != 200 || strings.Contains(string(body), "refreshToken") {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	sc := res.Header.Get("Set-Cookie")
	for _, want := range []string{"scrm_refresh=", "Path=/api/v1/auth", "HttpOnly", "SameSite=Strict", "Max-Age="} {
		if !strings.Contains(sc, want) {
			t.Fatalf("cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Fatalf("plain-http loopback got a Secure cookie (auto mode): %q", sc)
	}
	// A second tab: no token in hand, only the cookie.
	res, body = post("/api/v1/auth/refresh", "", map[string]string{})
	var tab2 loginBody
	if err := json.Unmarshal(body, &tab2); res.StatusCode != 200 || err != nil || tab2.AccessToken == "" || tab2.RefreshToken != "" {
		t.Fatalf("cookie refresh: %d %s", res.StatusCode, body)
	}
	e.must(e.do("GET", "/api/v1/me", tab2.AccessToken, nil), 200)
	// Logout ends the session and clears the cookie for every tab.
	res, _ = post("/api/v1/auth/logout", tab2.AccessToken, map[string]string{})
	if res.StatusCode != 204 || !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	if res, body = post("/api/v1/auth/refresh", "", map[string]string{}); res.StatusCode != 400 && res.StatusCode != 401 {
		t.Fatalf("refresh after logout: %d %s", res.StatusCode, body)
	}
	e.must(e.do("GET", "/api/v1/me", tab2.AccessToken, nil), 401)
}

// Issue #17 finding 14: TOTP two-factor authentication (RFC 6238) with
// enrolment, verification at login (each code once), recovery codes, an
// admin's reset, and an Admin setting that requires it for a role.
func TestSecurityTOTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	agentRole := e.roleID(models.RoleKeyAgent)
	id := e.agent("a@example.com", agentRole)
	tok := e.login("a@example.com").AccessToken

	var enr struct {
		Secret, OtpauthURL, QRCode string
	}
	e.must(e.do("POST", "/api/v1/me/totp", tok, nil), 200).json(t, &enr)
	if enr.Secret == "" || !strings.HasPrefix(enr.OtpauthURL, "otpauth://totp/") || !strings.HasPrefix(enr.QRCode, "data:image/png;base64,") {
		t.Fatalf("enrolment: %+v", enr)
	}
	e.must(e.do("POST", "/api/v1/me/totp/confirm", tok, map[string]string{"code": "000000"}), 422)
	now := time.Now()
	code, _ := totp.GenerateCode(enr.Secret, now)
	var conf struct{ RecoveryCodes []string }
	e.must(e.do("POST", "/api/v1/me/totp/confirm", tok, map[string]string{"code": code}), 200).json(t, &conf)
	if len(conf.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes: %v", conf.RecoveryCodes)
	}
	login := func(totpCode string) resp {
		return e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "a@example.com", "password": pw, "totp": totpCode})
	}
	if _, field := e.must(login(""), 401).errField(); field != "totp" {
		t.Fatal("the password alone logged in")
	}
	e.must(login(code), 401) // the confirming code was used: once only
	next, _ := totp.GenerateCode(enr.Secret, now.Add(30*time.Second))
	e.must(login(next), 200)
	e.must(login(conf.RecoveryCodes[0]), 200)
	e.must(login(conf.RecoveryCodes[0]), 401) // a recovery code works once

	// The admin resets it (a lost phone): sessions end, the password alone works again.
	var s loginBody
	e.must(login(conf.RecoveryCodes[1]), 200).json(t, &s)
	e.must(e.do("POST", "/api/v1/agents/"+itoa(id)+"/totp/reset", admin, nil), 204)
	e.must(e.do("GET", "/api/v1/me", s.AccessToken, nil), 401)
	e.must(login(""), 200).json(t, &s)

	// The Admin requires TOTP for the Agent role: an agent without it reaches
	// its own profile and the enrolment only, until it enrols.
	e.agent("b@example.com", agentRole)
	b := e.login("b@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/contacts", b, nil), 200)
	e.must(e.do("PUT", "/api/v1/roles/"+itoa(agentRole)+"/totp", s.AccessToken, map[string]bool{"required": true}), 403)
	e.must(e.do("PUT", "/api/v1/roles/"+itoa(agentRole)+"/totp", admin, map[string]bool{"required": true}), 200)
	e.must(e.do("GET", "/api/v1/contacts", b, nil), 403)
	e.must(e.do("GET", "/api/v1/me", b, nil), 200)
	e.must(e.do("POST", "/api/v1/me/totp", b, nil), 200).json(t, &enr)
	code, _ = totp.GenerateCode(enr.Secret, time.Now())
	e.must(e.do("POST", "/api/v1/me/totp/confirm", b, map[string]string{"code": code}), 200)
	e.must(e.do("GET", "/api/v1/contacts", b, nil), 200)
}
