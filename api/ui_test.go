package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api"
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
		"/assets/journeys.js", "/assets/journey_builder.js", "/assets/journey_view.js", "/assets/journey_strings.js"} {
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
