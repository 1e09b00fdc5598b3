package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/wabascrm/scrm/models"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
	"gorm.io/gorm"
)

// Token lifetimes.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
	tokenIssuer       = "scrm"
)

// Tokens logs agents in and verifies their access tokens. Access tokens are
// short-lived HS256 JWTs naming the agent, its session and its token
// version; every Authenticate re-checks them against the database in one
// indexed query, so disabling an agent or revoking a session takes effect on
// the next call. It imports no web framework: the websocket gateway uses it too.
type Tokens struct {
	DB         *gorm.DB
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// Limiter throttles login attempts per email and per IP.
	Limiter *LoginLimiter
	// Events tells the realtime gateway that a session ended, so the
	// agent's sockets are re-checked at once (optional).
	Events models.EventPublisher

	secret []byte
	// dummyHash is compared against when the email is unknown, so a login
	// for a missing account costs as much as one with a wrong password.
	dummyHash []byte
}

// NewTokens builds Tokens with default lifetimes and login limits. h must
// be the Hasher that hashes the agents' passwords, so the dummy compared
// for an unknown email costs what a real comparison costs.
func NewTokens(db *gorm.DB, secret string, h Hasher) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("jwt secret must be at least 32 bytes")
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomToken()), h.cost())
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	return &Tokens{
		DB: db, AccessTTL: DefaultAccessTTL, RefreshTTL: DefaultRefreshTTL,
		Limiter: NewLoginLimiter(DefaultLoginLimits()),
		secret:  []byte(secret), dummyHash: dummy,
	}, nil
}

// ClientMeta is what the server knows about the caller of a login.
type ClientMeta struct {
	IP        string
	UserAgent string
}

// Session is a login result: a token pair and the agent.
type Session struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"` // seconds until the access token expires
	TokenType    string `json:"tokenType"`
	Agent        Agent  `json:"agent"`
}

type accessClaims struct {
	jwt.RegisteredClaims
	SID int64 `json:"sid"`
	TV  int64 `json:"tv"`
}

var errBadCredentials = models.Errorf(models.EUnauthorized, "invalid email or password")

// sessionRow is the sessions table.
type sessionRow struct {
	ID              int64
	AgentID         int64
	RefreshHash     string
	PrevRefreshHash *string
	CreatedAt       time.Time
	RefreshedAt     time.Time
	ExpiresAt       time.Time
	RevokedAt       *time.Time
	IP              string
	UserAgent       string
}

func (sessionRow) TableName() string { return "sessions" }

// Login checks the credentials and opens a session.
func (t *Tokens) Login(ctx context.Context, email, password string, meta ClientMeta) (Session, error) {
	if strings.TrimSpace(email) == "" {
		return Session{}, models.FieldError(models.EInvalid, "email", "email is required")
	}
	if password == "" {
		return Session{}, models.FieldError(models.EInvalid, "password", "password is required")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if t.Limiter != nil {
		if err := t.Limiter.Allow(time.Now(), email, meta.IP); err != nil {
			return Session{}, err
		}
	}
	var a Agent
	err := t.DB.WithContext(ctx).Where("lower(email) = ?", email).First(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(t.dummyHash, []byte(password))
		return Session{}, errBadCredentials
	}
	if err != nil {
		return Session{}, fmt.Errorf("find agent: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		if err := WriteAudit(ctx, t.DB, AuditEntry{Action: AuditLoginFailed, Entity: "agent", EntityID: &a.ID, IP: meta.IP}); err != nil {
			return Session{}, err
		}
		return Session{}, errBadCredentials
	}
	if a.Status != models.AgentActive {
		return Session{}, models.Errorf(models.EUnauthorized, "account is disabled")
	}
	refresh := randomToken()
	now := time.Now().UTC()
	row := sessionRow{AgentID: a.ID, RefreshHash: hashToken(refresh), CreatedAt: now, RefreshedAt: now,
		ExpiresAt: now.Add(t.RefreshTTL), IP: meta.IP, UserAgent: truncate(meta.UserAgent, 300)}
	err = t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if err := tx.Exec("UPDATE agents SET last_seen_at = ? WHERE id = ?", now, a.ID).Error; err != nil {
			return fmt.Errorf("touch agent: %w", err)
		}
		return WriteAudit(ctx, tx, AuditEntry{ActorID: &a.ID, Action: AuditLogin, Entity: "agent", EntityID: &a.ID,
			IP: meta.IP, Details: map[string]any{"sessionId": row.ID, "userAgent": row.UserAgent}})
	})
	if err != nil {
		return Session{}, err
	}
	return t.session(ctx, a.ID, a.TokenVersion, row.ID, refresh)
}

func (t *Tokens) session(ctx context.Context, agentID, tv, sid int64, refresh string) (Session, error) {
	access, err := t.sign(agentID, sid, tv)
	if err != nil {
		return Session{}, err
	}
	a, err := AgentStore{}.get(ctx, t.DB, agentID)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(t.AccessTTL.Seconds()), TokenType: "Bearer", Agent: a}, nil
}

func (t *Tokens) sign(agentID, sid, tv int64) (string, error) {
	now := time.Now()
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   strconv.FormatInt(agentID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.AccessTTL)),
		},
		SID: sid, TV: tv,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Refresh rotates a refresh token: the old one stops working and a new
// pair is returned. Presenting an already-rotated token revokes the session,
// since only a stolen copy would be used twice.
func (t *Tokens) Refresh(ctx context.Context, refreshToken string) (Session, error) {
	if refreshToken == "" {
		return Session{}, models.FieldError(models.EInvalid, "refreshToken", "refreshToken is required")
	}
	h := hashToken(refreshToken)
	next := randomToken()
	var agentID, tv, sid int64
	reused := false
	err := t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row sessionRow
		err := tx.Where("refresh_hash = ?", h).First(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			reused = true
			return models.Errorf(models.EUnauthorized, "invalid refresh token")
		}
		if err != nil {
			return fmt.Errorf("find session: %w", err)
		}
		if row.RevokedAt != nil || time.Now().After(row.ExpiresAt) {
			return models.Errorf(models.EUnauthorized, "session has ended; log in again")
		}
		var a Agent
		if err := tx.First(&a, row.AgentID).Error; err != nil {
			return fmt.Errorf("find agent: %w", err)
		}
		if a.Status != models.AgentActive {
			return models.Errorf(models.EUnauthorized, "account is disabled")
		}
		now := time.Now().UTC()
		res := tx.Model(&sessionRow{}).Where("id = ? AND refresh_hash = ?", row.ID, h).
			Updates(map[string]any{"prev_refresh_hash": h, "refresh_hash": hashToken(next), "refreshed_at": now})
		if res.Error != nil {
			return fmt.Errorf("rotate session: %w", res.Error)
		}
		if res.RowsAffected == 0 { // a concurrent refresh won
			return models.Errorf(models.EUnauthorized, "invalid refresh token")
		}
		if err := tx.Exec("UPDATE agents SET last_seen_at = ? WHERE id = ?", now, a.ID).Error; err != nil {
			return fmt.Errorf("touch agent: %w", err)
		}
		agentID, tv, sid = a.ID, a.TokenVersion, row.ID
		return nil
	})
	if reused {
		// Outside the failed transaction so the revocation commits.
		res := t.DB.WithContext(ctx).Model(&sessionRow{}).Where("prev_refresh_hash = ? AND revoked_at IS NULL", h).
			Update("revoked_at", time.Now().UTC())
		if res.Error != nil {
			return Session{}, fmt.Errorf("revoke reused session: %w", res.Error)
		}
	}
	if err != nil {
		return Session{}, err
	}
	return t.session(ctx, agentID, tv, sid, next)
}

// Logout ends the caller's session: its access and refresh tokens stop working.
func (t *Tokens) Logout(ctx context.Context, p models.Principal) error {
	var ctl *models.Event
	err := t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&sessionRow{}).Where("id = ? AND agent_id = ? AND revoked_at IS NULL", p.SessionID, p.AgentID).
			Update("revoked_at", time.Now().UTC()).Error
		if err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		if err := WriteAudit(ctx, tx, Audit(p.AgentID, AuditLogout, "agent", p.AgentID, map[string]any{"sessionId": p.SessionID})); err != nil {
			return err
		}
		ctl, err = revalidateTx(ctx, tx, p.AgentID)
		return err
	})
	if err == nil {
		publishControl(ctx, t.Events, nil, ctl)
	}
	return err
}

// authRow is what Authenticate reads in its single query.
type authRow struct {
	AgentID      int64
	Email        string
	Status       string
	TokenVersion int64
	LastSeenAt   *time.Time
	RoleName     string
	SystemKey    *string
	DataScope    string
	Permissions  []byte
	RevokedAt    *time.Time
	ExpiresAt    time.Time
	TeamIDs      []byte
	LeadIDs      []byte
}

const authQuery = `SELECT a.id AS agent_id, a.email, a.status, a.token_version, a.last_seen_at,
	r.name AS role_name, r.system_key, r.data_scope, r.permissions,
	s.revoked_at, s.expires_at,
	COALESCE((SELECT json_agg(tm.team_id ORDER BY tm.team_id) FROM team_members tm WHERE tm.agent_id = a.id), '[]') AS team_ids,
	COALESCE((SELECT json_agg(tm.team_id ORDER BY tm.team_id) FROM team_members tm WHERE tm.agent_id = a.id AND tm.team_role = 'lead'), '[]') AS lead_ids
FROM sessions s JOIN agents a ON a.id = s.agent_id JOIN roles r ON r.id = a.role_id
WHERE s.id = ? AND s.agent_id = ?`

// Authenticate verifies an access token and returns the current principal:
// signature, expiry, the agent still active, its token version current and
// the session not revoked.
func (t *Tokens) Authenticate(ctx context.Context, token string) (models.Principal, error) {
	var c accessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(tokenIssuer), jwt.WithExpirationRequired())
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return models.Principal{}, models.Errorf(models.EUnauthorized, "access token expired")
		}
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid access token")
	}
	agentID, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || c.SID == 0 {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid access token")
	}
	var row authRow
	res := t.DB.WithContext(ctx).Raw(authQuery, c.SID, agentID).Scan(&row)
	if res.Error != nil {
		return models.Principal{}, fmt.Errorf("authenticate: %w", res.Error)
	}
	switch {
	case res.RowsAffected == 0:
		return models.Principal{}, models.Errorf(models.EUnauthorized, "session not found")
	case row.Status != models.AgentActive:
		return models.Principal{}, models.Errorf(models.EUnauthorized, "account is disabled")
	case row.TokenVersion != c.TV, row.RevokedAt != nil:
		return models.Principal{}, models.Errorf(models.EUnauthorized, "session revoked; log in again")
	case time.Now().After(row.ExpiresAt):
		return models.Principal{}, models.Errorf(models.EUnauthorized, "session expired; log in again")
	}
	p, err := row.principal(c.SID)
	if err != nil {
		return models.Principal{}, err
	}
	// Last seen is kept to the minute; writing it on every call would cost a write per request.
	if row.LastSeenAt == nil || time.Since(*row.LastSeenAt) > time.Minute {
		if err := t.DB.WithContext(ctx).Exec("UPDATE agents SET last_seen_at = now() WHERE id = ?", agentID).Error; err != nil {
			return models.Principal{}, fmt.Errorf("touch agent: %w", err)
		}
	}
	return p, nil
}

func (r authRow) principal(sid int64) (models.Principal, error) {
	role := Role{Name: r.RoleName, SystemKey: r.SystemKey, DataScope: r.DataScope}
	if err := json.Unmarshal(r.Permissions, &role.Permissions); err != nil {
		return models.Principal{}, fmt.Errorf("role permissions: %w", err)
	}
	p := models.Principal{AgentID: r.AgentID, SessionID: sid, Email: r.Email, RoleName: r.RoleName, Permissions: role.Effective(), DataScope: r.DataScope}
	var leads []int64
	if err := json.Unmarshal(r.TeamIDs, &p.TeamIDs); err != nil {
		return models.Principal{}, fmt.Errorf("team ids: %w", err)
	}
	if err := json.Unmarshal(r.LeadIDs, &leads); err != nil {
		return models.Principal{}, fmt.Errorf("lead ids: %w", err)
	}
	switch r.DataScope {
	case models.ScopeAll:
		p.AllScope = true
		p.SupervisedTeamIDs = p.TeamIDs
	case models.ScopeTeams:
		p.SupervisedTeamIDs = p.TeamIDs
	default:
		p.SupervisedTeamIDs = leads
	}
	if p.TeamIDs == nil {
		p.TeamIDs = []int64{}
	}
	if p.SupervisedTeamIDs == nil {
		p.SupervisedTeamIDs = []int64{}
	}
	return p, nil
}

// revokeSessionsTx ends every session of an agent and invalidates its
// outstanding access tokens (token_version bump).
func revokeSessionsTx(ctx context.Context, tx *gorm.DB, agentID int64) error {
	now := time.Now().UTC()
	if err := tx.WithContext(ctx).Model(&sessionRow{}).Where("agent_id = ? AND revoked_at IS NULL", agentID).
		Update("revoked_at", now).Error; err != nil {
		return fmt.Errorf("revoke sessions of agent %d: %w", agentID, err)
	}
	if err := tx.WithContext(ctx).Exec("UPDATE agents SET token_version = token_version + 1 WHERE id = ?", agentID).Error; err != nil {
		return fmt.Errorf("bump token version of agent %d: %w", agentID, err)
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is SHA-256: refresh tokens are 256 random bits, so a slow
// password hash would add nothing but latency.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LoginLimits configures LoginLimiter: a token bucket per email and per IP.
type LoginLimits struct {
	EmailEvery time.Duration // one attempt regained per EmailEvery
	EmailBurst int
	IPEvery    time.Duration
	IPBurst    int
}

// DefaultLoginLimits allows 5 quick attempts per email (then one a minute)
// and 30 per IP (then one every 2 seconds).
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{EmailEvery: time.Minute, EmailBurst: 5, IPEvery: 2 * time.Second, IPBurst: 30}
}

// LoginLimiter throttles login attempts in process. Each api replica keeps
// its own buckets, which bounds guessing per replica; that is enough to make
// online guessing useless while keeping logins free of extra writes.
type LoginLimiter struct {
	limits LoginLimits
	mu     sync.Mutex
	email  map[string]*rate.Limiter
	ip     map[string]*rate.Limiter
}

// NewLoginLimiter builds a limiter.
func NewLoginLimiter(l LoginLimits) *LoginLimiter {
	return &LoginLimiter{limits: l, email: map[string]*rate.Limiter{}, ip: map[string]*rate.Limiter{}}
}

const maxLimiterKeys = 10000

func limiterFor(m map[string]*rate.Limiter, key string, every time.Duration, burst int, now time.Time) *rate.Limiter {
	if l, ok := m[key]; ok {
		return l
	}
	if len(m) >= maxLimiterKeys {
		// Forget buckets that have refilled: they hold no information.
		for k, l := range m {
			if l.TokensAt(now) >= float64(burst) {
				delete(m, k)
			}
		}
	}
	l := rate.NewLimiter(rate.Every(every), burst)
	m[key] = l
	return l
}

// Allow takes one attempt for email and for ip, or returns a 429 error that
// says which limit tripped and when to retry.
func (l *LoginLimiter) Allow(now time.Time, email, ip string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	re := limiterFor(l.email, email, l.limits.EmailEvery, l.limits.EmailBurst, now).ReserveN(now, 1)
	ri := limiterFor(l.ip, ip, l.limits.IPEvery, l.limits.IPBurst, now).ReserveN(now, 1)
	de, di := re.DelayFrom(now), ri.DelayFrom(now)
	if de == 0 && di == 0 {
		return nil
	}
	re.CancelAt(now)
	ri.CancelAt(now)
	field, wait := "email", de
	if di > de {
		field, wait = "ip", di
	}
	secs := int(wait.Round(time.Second).Seconds())
	if secs < 1 {
		secs = 1
	}
	return &models.Error{Code: models.ERateLimited, Field: field,
		Message: fmt.Sprintf("too many login attempts for this %s; retry in %d seconds", field, secs),
		Details: map[string]any{"retryAfterSeconds": secs}}
}
