package api_test

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api"
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
