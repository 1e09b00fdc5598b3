package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
)

func newTestServer() *Server {
	return New(Deps{
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:        prometheus.NewRegistry(),
		ShutdownTimeout: time.Second,
	})
}

func do(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestReadyzNamesTheDependencyThatIsDown(t *testing.T) {
	t.Parallel()
	ok := Check{Name: "postgres", Fn: func(context.Context) error { return nil }}
	down := Check{Name: "rabbitmq", Fn: func(context.Context) error { return errors.New("connection closed") }}

	internal := func(checks []Check) http.Handler {
		return Internal(InternalOptions{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Ready: checks})
	}
	rec := do(t, internal([]Check{ok}), "GET", "/readyz")
	if rec.Code != 200 {
		t.Fatalf("all up: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, internal([]Check{ok, down}), "GET", "/readyz")
	if rec.Code != 503 {
		t.Fatalf("one down: %d", rec.Code)
	}
	var body struct {
		Down []string `json:"down"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if len(body.Down) != 1 || body.Down[0] != "rabbitmq" {
		t.Fatalf("down = %v", body.Down)
	}
}

func TestHealthzMetricsAndRequestID(t *testing.T) {
	t.Parallel()
	s := newTestServer()
	rec := do(t, s.Handler(), "GET", "/healthz")
	if rec.Code != 200 || rec.Header().Get("X-Request-ID") == "" {
		t.Fatalf("healthz: %d id=%q", rec.Code, rec.Header().Get("X-Request-ID"))
	}
	// Metrics, readiness and profiles are on the internal listener only;
	// profiles only when enabled.
	for _, path := range []string{"/metrics", "/readyz"} {
		if rec := do(t, s.Handler(), "GET", path); rec.Code != 404 {
			t.Fatalf("app port %s: %d", path, rec.Code)
		}
	}
	if rec := do(t, s.Handler(), "GET", "/debug/pprof/goroutine?debug=1"); strings.Contains(rec.Body.String(), "goroutine profile") {
		t.Fatal("app port serves pprof")
	}
	in := Internal(InternalOptions{Logger: s.deps.Logger, Registry: s.deps.Registry})
	rec = do(t, in, "GET", "/metrics")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "scrm_http_request_duration_seconds") {
		t.Fatalf("metrics: %d", rec.Code)
	}
	if rec := do(t, in, "GET", "/debug/pprof/"); rec.Code != 404 {
		t.Fatalf("pprof off by default: %d", rec.Code)
	}
	on := Internal(InternalOptions{Logger: s.deps.Logger, Registry: s.deps.Registry, Pprof: true})
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine"} {
		if rec := do(t, on, "GET", path); rec.Code != 200 {
			t.Fatalf("pprof %s: %d", path, rec.Code)
		}
	}
}

// Unknown API paths (and non-GET requests anywhere) are JSON 404s; other
// GET paths are the web app's deep links (see ui_test.go).
func TestUnknownRouteIsJSON404(t *testing.T) {
	t.Parallel()
	for _, r := range [][2]string{{"GET", "/api/v1/nope"}, {"POST", "/nope"}, {"GET", "/webhooks/nope"}} {
		rec := do(t, newTestServer().Handler(), r[0], r[1])
		var body ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 404 || body.Error.Code != "not_found" {
			t.Fatalf("%s %s: %d %s", r[0], r[1], rec.Code, rec.Body)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	cases := map[error]int{
		models.FieldError(models.EInvalid, "email", "bad"): 400,
		models.Errorf(models.EUnauthorized, "x"):           401,
		models.Errorf(models.EForbidden, "x"):              403,
		models.Errorf(models.ENotFound, "x"):               404,
		models.Errorf(models.EConflict, "x"):               409,
		models.Errorf(models.EWindowClosed, "x"):           409,
		models.Errorf(models.EUnprocessable, "x"):          422,
		models.Errorf(models.ERateLimited, "x"):            429,
		models.Errorf(models.EUnavailable, "x"):            503,
		errors.New("boom"):                                 500,
		context.DeadlineExceeded:                           503,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for err, want := range cases {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest("GET", "/", nil)
		httpx.WriteError(c, log, err)
		if rec.Code != want {
			t.Errorf("%v: got %d want %d", err, rec.Code, want)
		}
		var body ErrorBody
		if json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code == "" {
			t.Errorf("%v: body %s", err, rec.Body)
		}
		if want == 500 && strings.Contains(rec.Body.String(), "boom") {
			t.Errorf("internal error text leaked: %s", rec.Body)
		}
	}
}

type fakeAuth map[string]models.Principal

func (f fakeAuth) Authenticate(_ context.Context, token string) (models.Principal, error) {
	p, ok := f[token]
	if !ok {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid token")
	}
	return p, nil
}

func TestRequireChecksTokenAndPermission(t *testing.T) {
	t.Parallel()
	s := newTestServer()
	s.deps.Auth = fakeAuth{
		"reader": {AgentID: 1, Permissions: []models.Permission{"audit:read"}},
		"nobody": {AgentID: 2},
	}
	s.handle(s.engine, "GET", "/guarded", "audit:read", func(c *gin.Context) {
		p, _ := PrincipalOf(c)
		c.JSON(200, gin.H{"agent": p.AgentID})
	})
	cases := []struct {
		header string
		want   int
	}{
		{"", 401}, {"Bearer ", 401}, {"Basic abc", 401}, {"Bearer wrong", 401}, {"Bearer nobody", 403}, {"Bearer reader", 200},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/guarded", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%q: got %d want %d (%s)", c.header, rec.Code, c.want, rec.Body)
		}
	}
	var found bool
	for _, r := range s.Routes() {
		if r.Path == "/guarded" && r.Perm == "audit:read" {
			found = true
		}
	}
	if !found {
		t.Fatal("route declaration not recorded")
	}
}
