package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/worker/testenv"
)

const testSecret = "test-secret-test-secret-test-secret!"

// env is an api server on a fresh migrated database, driven over HTTP.
type env struct {
	t      *testing.T
	db     *gorm.DB
	tokens *identity.Tokens
	srv    *api.Server
	http   *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	tdb := testenv.NewDB(t)
	tokens, err := identity.NewTokens(tdb.Gorm, testSecret, testenv.Hasher())
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Stores: api.StoresOn(tdb.Gorm, nil), Auth: apikeys.Bearer{Tokens: tokens, Keys: apikeys.APIKeyStore{DB: tdb.Gorm}}, Tokens: tokens, ShutdownTimeout: time.Second,
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, db: tdb.Gorm, tokens: tokens, srv: srv, http: hs}
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errField() (code, field string) {
	var b api.ErrorBody
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code, b.Error.Field
}

// do sends body (a string is sent raw, anything else as JSON).
func (e *env) do(method, path, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

// must asserts the status of r.
func (e *env) must(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// system is an all-powerful principal for seeding through the stores.
var system = models.Principal{AllScope: true, Permissions: models.AllPermissions()}

func (e *env) roleID(key string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Raw("SELECT id FROM roles WHERE system_key = ?", key).Scan(&id).Error; err != nil || id == 0 {
		e.t.Fatalf("role %s: %v", key, err)
	}
	return id
}

const pw = "correct-horse-battery"

// agent creates an agent with a role id and teams.
func (e *env) agent(email string, roleID int64, teamIDs ...int64) int64 {
	e.t.Helper()
	a, err := identity.AgentStore{DB: e.db, Hasher: testenv.Hasher()}.Create(context.Background(), system,
		identity.AgentInput{Name: email, Email: email, Password: pw, RoleID: roleID, TeamIDs: teamIDs})
	if err != nil {
		e.t.Fatalf("create agent %s: %v", email, err)
	}
	return a.ID
}

type loginBody struct {
	AccessToken  string         `json:"accessToken"`
	RefreshToken string         `json:"refreshToken"`
	ExpiresIn    int            `json:"expiresIn"`
	Agent        identity.Agent `json:"agent"`
}

func (e *env) login(email string) loginBody {
	e.t.Helper()
	var out loginBody
	e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": pw}), 200).json(e.t, &out)
	return out
}

// admin creates an Admin and returns its id and access token.
func (e *env) admin() (int64, string) {
	e.t.Helper()
	id := e.agent("admin@example.com", e.roleID(models.RoleKeyAdmin))
	return id, e.login("admin@example.com").AccessToken
}

func TestLoginRefreshLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.agent("Siti@Example.com", e.roleID(models.RoleKeyAgent))

	// Login is case-insensitive on the email.
	lb := e.login("SITI@example.COM")
	if lb.AccessToken == "" || lb.RefreshToken == "" || lb.ExpiresIn != int(identity.DefaultAccessTTL.Seconds()) {
		t.Fatalf("login body: %+v", lb)
	}
	if lb.Agent.ID != id || lb.Agent.Email != "siti@example.com" || lb.Agent.RoleName != "Agent" {
		t.Fatalf("login agent: %+v", lb.Agent)
	}
	if bytes.Contains(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "siti@example.com", "password": pw}).body, []byte("password_hash")) {
		t.Fatal("login leaks the password hash")
	}

	// Wrong password and unknown email look the same.
	r1 := e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "siti@example.com", "password": "wrong-password"}), 401)
	r2 := e.must(e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "wrong-password"}), 401)
	var b1, b2 api.ErrorBody
	r1.json(t, &b1)
	r2.json(t, &b2)
	if b1.Error.Message != b2.Error.Message {
		t.Fatalf("unknown email distinguishable: %q vs %q", b1.Error.Message, b2.Error.Message)
	}

	// /me returns the agent and its effective permissions.
	var me struct {
		Agent       identity.Agent      `json:"agent"`
		Permissions []models.Permission `json:"permissions"`
		AllScope    bool                `json:"allScope"`
	}
	e.must(e.do("GET", "/api/v1/me", lb.AccessToken, nil), 200).json(t, &me)
	if me.Agent.ID != id || me.AllScope || len(me.Permissions) == 0 {
		t.Fatalf("me: %+v", me)
	}
	for _, sr := range models.SystemRoles() {
		if sr.Key == models.RoleKeyAgent && len(sr.Permissions) != len(me.Permissions) {
			t.Fatalf("me permissions %v, want %v", me.Permissions, sr.Permissions)
		}
	}

	// Missing, malformed, foreign-signed, alg=none and expired tokens are 401.
	e.must(e.do("GET", "/api/v1/me", "", nil), 401)
	e.must(e.do("GET", "/api/v1/me", "not-a-jwt", nil), 401)
	claims := jwt.MapClaims{"iss": "scrm", "sub": "1", "sid": 1, "tv": 1, "exp": time.Now().Add(time.Hour).Unix()}
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("another-secret-another-secret-xx!"))
	e.must(e.do("GET", "/api/v1/me", forged, nil), 401)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	e.must(e.do("GET", "/api/v1/me", none, nil), 401)
	expiring, err := identity.NewTokens(e.db, testSecret, testenv.Hasher())
	if err != nil {
		t.Fatal(err)
	}
	expiring.AccessTTL = -time.Minute
	old, err := expiring.Login(context.Background(), "siti@example.com", pw, identity.ClientMeta{})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.must(e.do("GET", "/api/v1/me", old.AccessToken, nil), 401); !bytes.Contains(r.body, []byte("expired")) {
		t.Fatalf("expired token body: %s", r.body)
	}

	// Refresh rotates: the new pair works, the old refresh token does not.
	var rb loginBody
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": lb.RefreshToken}), 200).json(t, &rb)
	if rb.RefreshToken == lb.RefreshToken || rb.AccessToken == "" || rb.Agent.ID != id {
		t.Fatalf("refresh body: %+v", rb)
	}
	e.must(e.do("GET", "/api/v1/me", rb.AccessToken, nil), 200)
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": "garbage"}), 401)

	// Logout ends the session: access and refresh tokens stop working.
	e.must(e.do("POST", "/api/v1/auth/logout", rb.AccessToken, nil), 204)
	e.must(e.do("GET", "/api/v1/me", rb.AccessToken, nil), 401)
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": rb.RefreshToken}), 401)

	// Another session of the same agent is untouched by that logout.
	other := e.login("siti@example.com")
	e.must(e.do("GET", "/api/v1/me", other.AccessToken, nil), 200)

	// Replaying a rotated refresh token revokes the session it came from.
	var rot loginBody
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": other.RefreshToken}), 200).json(t, &rot)
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": other.RefreshToken}), 401)
	e.must(e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refreshToken": rot.RefreshToken}), 401)
	e.must(e.do("GET", "/api/v1/me", rot.AccessToken, nil), 401)
}

func TestPresence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.agent("a@example.com", e.roleID(models.RoleKeyAgent))
	tok := e.login("a@example.com").AccessToken
	var a identity.Agent
	e.must(e.do("PUT", "/api/v1/me/presence", tok, map[string]string{"presence": "away"}), 200).json(t, &a)
	if a.ID != id || a.Presence != "away" || a.LastSeenAt == nil {
		t.Fatalf("presence: %+v", a)
	}
	var n int64
	e.db.Raw("SELECT count(*) FROM events WHERE type = ? AND audience->'agentIds' @> ?::jsonb", models.EventAgentPresence, "["+itoa(id)+"]").Scan(&n)
	if n != 1 {
		t.Fatalf("presence events = %d, want 1", n)
	}
	if code, field := e.do("PUT", "/api/v1/me/presence", tok, map[string]string{"presence": "busy"}).errField(); code != "unprocessable" || field != "presence" {
		t.Fatalf("bad presence: %s %s", code, field)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
