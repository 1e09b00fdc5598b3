package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
)

// The web app is served at /, its deep links fall back to index.html, and
// API areas keep their JSON 404s.
func TestWebUIServing(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), UIRealtimeURL: "ws://rt.example:8081/ws"})
	get := func(path string) (int, string, string) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, rec.Header().Get("Content-Type"), string(b)
	}
	for _, p := range []string{"/", "/inbox", "/inbox/42", "/admin/agents", "/campaigns/new", "/campaigns/7", "/contacts/import", "/admin/roles"} {
		code, ct, body := get(p)
		if code != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, `src="/assets/app.js"`) {
			t.Errorf("GET %s: %d %s %.80q", p, code, ct, body)
		}
	}
	for _, p := range []string{"/assets/app.js", "/assets/inbox.js", "/assets/i18n.js", "/assets/page.js", "/assets/campaigns.js", "/assets/contacts.js", "/assets/manage.js",
		"/assets/journeys.js", "/assets/journey_builder.js", "/assets/journey_view.js", "/assets/journey_strings.js", "/assets/reasons.js"} {
		if code, ct, _ := get(p); code != 200 || !strings.Contains(ct, "javascript") {
			t.Errorf("GET %s: %d %s", p, code, ct)
		}
	}
	if code, ct, _ := get("/assets/style.css"); code != 200 || !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css: %d %s", code, ct)
	}
	for _, p := range []string{"/api/v1/nope", "/api", "/webhooks/other", "/assets/missing.js"} {
		if code, ct, _ := get(p); code != 404 || strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: %d %s, want a 404 that is not the app", p, code, ct)
		}
	}
	// The realtime URL, and WhatsApp's media limits for the composer.
	if code, _, body := get("/api/v1/ui-config"); code != 200 || !strings.HasSuffix(body, `"realtimeUrl":"ws://rt.example:8081/ws"}`) ||
		!strings.Contains(body, `{"kind":"image","maxBytes":5242880,"types":["image/jpeg","image/png"]}`) {
		t.Errorf("ui-config: %d %s", code, body)
	}
}

// Every status reason the server stores in English (a campaign's, a
// number's) matches one of the web app's patterns (reasons.js), whose
// words it has in Indonesian and English: none reaches an Indonesian page
// in English. No page shows an English placeholder of its own.
func TestUIReasonsCoverTheServers(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("web", "assets", "reasons.js"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	type pattern struct {
		re  *regexp.Regexp
		key string
	}
	var pats []pattern
	for _, m := range regexp.MustCompile(`(?m)^\s*\[/(.+)/, '(why\.[\w.]+)'\],$`).FindAllStringSubmatch(src, -1) {
		pats = append(pats, pattern{regexp.MustCompile(m[1]), m[2]})
		if n := strings.Count(src, "'"+m[2]+"':"); n != 2 {
			t.Errorf("%s has %d texts in reasonStrings, want 2 (id, en)", m[2], n)
		}
	}
	if len(pats) < 5 {
		t.Fatalf("read %d patterns from reasons.js", len(pats))
	}
	for _, r := range []string{campaigns.ReasonPausedByUser, campaigns.ReasonRetrying, senders.ReasonQualityRed,
		templates.HoldReason("pengingat", "id", templates.TplPaused, "LOW_QUALITY"), templates.HoldReason("pengingat", "id", templates.TplPaused, ""),
		templates.HoldReason("pengingat", "id", templates.TplDisabled, "SPAM"), templates.PacedReason("pengingat", "en_US")} {
		matched := 0
		for _, p := range pats {
			if p.re.MatchString(r) {
				matched++
			}
		}
		if matched != 1 {
			t.Errorf("the reason %q matches %d of reasons.js's patterns, want 1", r, matched)
		}
	}
	assets, err := filepath.Glob(filepath.Join("web", "assets", "*.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range assets {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range []string{"(unassigned)", "(no team)", "(none)", "paused by user"} {
			if strings.Contains(string(b), "'"+en+"'") || strings.Contains(string(b), "`"+en+"`") {
				t.Errorf("%s shows %q", f, en)
			}
		}
	}
}
