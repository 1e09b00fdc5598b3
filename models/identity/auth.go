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
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/throttle"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Token lifetimes. A login (session) ends DefaultRefreshTTL after it began
// however active it is, and earlier when its refresh token goes unused for
// DefaultIdleTimeout (ASVS L2 3.3.2); cmd/scrm sets both from config.
const (
	DefaultAccessTTL   = 15 * time.Minute
	DefaultRefreshTTL  = 12 * time.Hour
	DefaultIdleTimeout = time.Hour
	tokenIssuer        = "scrm"
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
	// IdleTimeout ends a session whose refresh token went unused this long.
	IdleTimeout time.Duration
	// Throttle slows down failed logins per account-and-address and per
	// address, in PostgreSQL so every replica shares the counts.
	Throttle throttle.LoginThrottle
	// Hasher hashes new passwords (ChangePassword).
	Hasher Hasher
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
	dummy, err := bcrypt.GenerateFromPassword([]byte(RandomToken()), h.cost())
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	return &Tokens{
		DB: db, AccessTTL: DefaultAccessTTL, RefreshTTL: DefaultRefreshTTL, IdleTimeout: DefaultIdleTimeout,
		Throttle: throttle.DefaultLoginThrottle(), Hasher: h,
		secret: []byte(secret), dummyHash: dummy,
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
	RefreshToken string `json:"refreshToken,omitempty"` // empty when it went into the browser's cookie
	ExpiresIn    int    `json:"expiresIn"`              // seconds until the access token expires
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

// Login checks the credentials and opens a session. An unknown e-mail, a
// wrong password and a disabled account get the same answer after the
// same work (one bcrypt comparison, one throttle write, one audit row), so
// neither the answer nor its timing tells them apart; a disabled account's
// right password is not confirmed.
func (t *Tokens) Login(ctx context.Context, email, password string, meta ClientMeta) (Session, error) {
	return t.LoginWithCode(ctx, email, password, "", meta)
}

// LoginWithCode is Login with the second factor of an agent who has TOTP
// on: a current code or an unused recovery code. A wrong code counts as a
// failed login.
func (t *Tokens) LoginWithCode(ctx context.Context, email, password, code string, meta ClientMeta) (Session, error) {
	if strings.TrimSpace(email) == "" {
		return Session{}, models.FieldError(models.EInvalid, "email", "email is required")
	}
	if password == "" {
		return Session{}, models.FieldError(models.EInvalid, "password", "password is required")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	keys := t.Throttle.Keys(email, meta.IP)
	if err := t.Throttle.Check(ctx, t.DB, keys); err != nil {
		return Session{}, err
	}
	var a Agent
	err := t.DB.WithContext(ctx).Where("lower(email) = ?", email).First(&a).Error
	found := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Session{}, fmt.Errorf("find agent: %w", err)
	}
	hash := t.dummyHash
	if found {
		hash = []byte(a.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if !found || !match || a.Status != models.AgentActive {
		var id *int64
		if found {
			id = &a.ID
		}
		if err := t.Throttle.Fail(ctx, t.DB, keys); err != nil {
			return Session{}, err
		}
		if err := WriteAudit(ctx, t.DB, AuditEntry{Action: AuditLoginFailed, Entity: "agent", EntityID: id, IP: meta.IP}); err != nil {
			return Session{}, err
		}
		return Session{}, errBadCredentials
	}
	if err := t.checkSecondFactor(ctx, a, code); err != nil {
		if models.CodeOf(err) == models.EUnauthorized && code != "" {
			if ferr := t.Throttle.Fail(ctx, t.DB, keys); ferr != nil {
				return Session{}, ferr
			}
			if aerr := WriteAudit(ctx, t.DB, AuditEntry{Action: AuditLoginFailed, Entity: "agent", EntityID: &a.ID, IP: meta.IP,
				Details: map[string]any{"reason": "totp"}}); aerr != nil {
				return Session{}, aerr
			}
		}
		return Session{}, err
	}
	if err := t.Throttle.Succeed(ctx, t.DB, keys); err != nil {
		return Session{}, err
	}
	return t.open(ctx, a, meta)
}

// open starts a session for an agent whose credentials were checked.
func (t *Tokens) open(ctx context.Context, a Agent, meta ClientMeta) (Session, error) {
	refresh := RandomToken()
	now := time.Now().UTC()
	row := sessionRow{AgentID: a.ID, RefreshHash: HashToken(refresh), CreatedAt: now, RefreshedAt: now,
		ExpiresAt: now.Add(t.RefreshTTL), IP: meta.IP, UserAgent: truncate(meta.UserAgent, 300)}
	err := t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
	var tv int64
	if err := t.DB.WithContext(ctx).Raw("SELECT token_version FROM agents WHERE id = ?", a.ID).Scan(&tv).Error; err != nil {
		return Session{}, fmt.Errorf("token version: %w", err)
	}
	return t.session(ctx, a.ID, tv, row.ID, refresh)
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
	h := HashToken(refreshToken)
	next := RandomToken()
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
		idle := t.IdleTimeout > 0 && time.Since(row.RefreshedAt) > t.IdleTimeout
		if row.RevokedAt != nil || time.Now().After(row.ExpiresAt) || idle {
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
			Updates(map[string]any{"prev_refresh_hash": h, "refresh_hash": HashToken(next), "refreshed_at": now})
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

// LogoutEverywhere ends every session of the caller (all browsers and
// devices) and invalidates its outstanding access tokens.
func (t *Tokens) LogoutEverywhere(ctx context.Context, p models.Principal) error {
	return t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := revokeSessionsTx(ctx, tx, p.AgentID); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditLogoutAll, "agent", p.AgentID, nil))
	})
}

// ChangePassword sets the caller's own password after checking the
// current one, ends every session of the agent (a thief's included) and
// opens a new one for the caller, so the browser that changed it stays in.
func (t *Tokens) ChangePassword(ctx context.Context, p models.Principal, current, next string, meta ClientMeta) (Session, error) {
	if current == "" {
		return Session{}, models.FieldError(models.EInvalid, "currentPassword", "currentPassword is required")
	}
	var a Agent
	if err := t.DB.WithContext(ctx).First(&a, p.AgentID).Error; err != nil {
		return Session{}, fmt.Errorf("find agent: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(current)) != nil {
		// Counted like a failed login: a stolen session must not become
		// an unthrottled password oracle.
		if err := t.Throttle.Fail(ctx, t.DB, t.Throttle.Keys(strings.ToLower(a.Email), meta.IP)); err != nil {
			return Session{}, err
		}
		return Session{}, models.FieldError(models.EUnauthorized, "currentPassword", "current password is wrong")
	}
	if next == current {
		return Session{}, models.FieldError(models.EUnprocessable, "newPassword", "the new password must differ from the current one")
	}
	hash, err := t.Hasher.Hash("newPassword", next, a.Email, a.Name)
	if err != nil {
		return Session{}, err
	}
	err = t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Agent{}).Where("id = ?", a.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("change password of agent %d: %w", a.ID, err)
		}
		if err := revokeSessionsTx(ctx, tx, a.ID); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, Audit(a.ID, AuditPasswordChange, "agent", a.ID, nil))
	})
	if err != nil {
		return Session{}, err
	}
	return t.open(ctx, a, meta)
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
	// RequireTOTP (the role's) with TOTPOn false: the agent must enrol.
	RequireTOTP bool
	TOTPOn      bool
}

const authQuery = `SELECT a.id AS agent_id, a.email, a.status, a.token_version, a.last_seen_at,
	r.name AS role_name, r.system_key, r.data_scope, r.permissions, r.require_totp, a.totp_enabled_at IS NOT NULL AS totp_on,
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
	if r.RequireTOTP && !r.TOTPOn {
		// Until it enrols, an agent whose role requires two-factor
		// authentication reaches its own profile (and the enrolment) only.
		var own []models.Permission
		for _, perm := range p.Permissions {
			if perm == models.PermProfileRead || perm == models.PermProfileWrite {
				own = append(own, perm)
			}
		}
		p.Permissions, p.AllScope, p.SupervisedTeamIDs, p.TeamIDs = own, false, []int64{}, []int64{}
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

func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is SHA-256: refresh tokens are 256 random bits, so a slow
// password hash would add nothing but latency.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
