package api_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// publicRoutes are the only routes allowed without a login. Adding one is a
// security decision: it must be listed here.
var publicRoutes = []string{
	"POST /api/v1/auth/login",
	"POST /api/v1/auth/refresh",
	"GET /healthz",
	"GET /webhooks/whatsapp",
	"POST /webhooks/whatsapp",
	// The web UI: static files and the realtime URL it needs before login;
	// every call it makes behind them is checked by the API.
	"GET /",
	"GET /assets/*file",
	"GET /api/v1/ui-config",
}

// TestEveryRouteDeclaresAPermission walks every registered route.
func TestEveryRouteDeclaresAPermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	declared := map[string]bool{}
	for _, r := range e.srv.Routes() {
		key := r.Method + " " + r.Path
		declared[key] = true
		switch {
		case r.Perm == "":
			t.Errorf("%s declares no permission", key)
		case r.Perm == api.Public:
			if !slices.Contains(publicRoutes, key) {
				t.Errorf("%s is public but not in the explicit public list", key)
			}
		case !models.IsPermission(r.Perm):
			t.Errorf("%s declares %q, which is not in the permission catalog", key, r.Perm)
		}
	}
	// Every route gin serves went through s.handle (none registered around it).
	eng, ok := e.srv.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("handler is %T", e.srv.Handler())
	}
	for _, r := range eng.Routes() {
		if !declared[r.Method+" "+r.Path] {
			t.Errorf("%s %s is served but was not registered with s.handle", r.Method, r.Path)
		}
	}
}

var pathParam = regexp.MustCompile(`[:*][A-Za-z_]+`)

// TestPermissionMatrix calls every protected route as each system role and
// checks the outcome against the route's declared permission and the
// role's permissions as stored: allowed -> neither 401 nor 403, forbidden ->
// 403. Path parameters point at records that do not exist, so allowed calls
// change nothing. Routes added later are covered automatically.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	roles, err := identity.RoleStore{DB: e.db}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type subject struct {
		role  identity.Role
		email string
		token string
	}
	var subjects []*subject
	for _, r := range roles {
		if !r.IsSystem() {
			continue
		}
		s := &subject{role: r, email: *r.SystemKey + "@example.com"}
		e.agent(s.email, r.ID)
		s.token = e.login(s.email).AccessToken
		subjects = append(subjects, s)
	}
	if len(subjects) != 4 {
		t.Fatalf("system roles = %d, want 4", len(subjects))
	}
	cells := 0
	for _, rt := range e.srv.Routes() {
		if rt.Perm == api.Public {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "999999999")
		var body any
		if rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH" {
			body = "{}"
		}
		// Without a token every protected route is 401.
		if r := e.do(rt.Method, path, "", body); r.status != 401 {
			t.Errorf("%s %s without a token: %d, want 401", rt.Method, rt.Path, r.status)
		}
		for _, s := range subjects {
			cells++
			allowed := slices.Contains(s.role.Permissions, rt.Perm)
			r := e.do(rt.Method, path, s.token, body)
			switch {
			case allowed && (r.status == 401 || r.status == 403):
				t.Errorf("%s %s as %s (holds %s): %d %s", rt.Method, rt.Path, s.role.Name, rt.Perm, r.status, r.body)
			case !allowed && r.status != 403:
				t.Errorf("%s %s as %s (lacks %s): %d, want 403", rt.Method, rt.Path, s.role.Name, rt.Perm, r.status)
			}
			if (strings.HasSuffix(rt.Path, "/logout") || strings.HasSuffix(rt.Path, "/logout-all")) && allowed {
				s.token = e.login(s.email).AccessToken // the call ended that session (or all of them)
			}
		}
	}
	t.Logf("permission matrix: %d routes x %d roles = %d cells", cells/len(subjects), len(subjects), cells)
}
