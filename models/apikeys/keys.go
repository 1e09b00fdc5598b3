package apikeys

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wabascrm/scrm/models/identity"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Audit actions of API keys.
const (
	AuditAPIKeyCreate = "apikey.create"
	AuditAPIKeyRevoke = "apikey.revoke"
)

// APIKeyPrefix starts every API key: scrm_live_<id>_<secret>. The id finds
// the row, the secret (256 random bits) is checked against its SHA-256.
const APIKeyPrefix = "scrm_live_"

// apiKeyTouchEvery bounds the last_used_at writes to one a minute per key.
const apiKeyTouchEvery = time.Minute

// APIKey is a credential of a business system. The secret is never stored
// nor shown again after creation: Hint is its last four characters.
type APIKey struct {
	ID         int64      `json:"id" gorm:"primaryKey"`
	Name       string     `json:"name"`
	RoleID     int64      `json:"roleId"`
	RoleName   string     `json:"roleName" gorm:"->;-:migration"`
	TeamIDs    []int64    `json:"teamIds" gorm:"serializer:json"`
	SecretHash string     `json:"-"`
	Hint       string     `json:"hint"`
	CreatedBy  *int64     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	// Status is derived: active, expired or revoked.
	Status string `json:"status" gorm:"-"`
}

// TableName implements gorm's Tabler.
func (APIKey) TableName() string { return "api_keys" }

func (k *APIKey) derive(now time.Time) {
	switch {
	case k.RevokedAt != nil:
		k.Status = "revoked"
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		k.Status = "expired"
	default:
		k.Status = "active"
	}
	if k.TeamIDs == nil {
		k.TeamIDs = []int64{}
	}
}

// APIKeyInput creates a key.
type APIKeyInput struct {
	Name      string     `json:"name"`
	RoleID    int64      `json:"roleId"`
	TeamIDs   []int64    `json:"teamIds"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// CreatedAPIKey is the answer to a creation: the only time Secret is shown.
type CreatedAPIKey struct {
	APIKey
	Secret string `json:"secret"`
}

// APIKeyStore keeps API keys and authenticates them.
type APIKeyStore struct {
	DB *gorm.DB
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s APIKeyStore) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// ValidateAPIKeyInput is the pure check of a creation.
func ValidateAPIKeyInput(in APIKeyInput, now time.Time) error {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "" || len(name) > 100:
		return models.FieldError(models.EInvalid, "name", "name is required (at most 100 characters)")
	case in.RoleID <= 0:
		return models.FieldError(models.EInvalid, "roleId", "roleId is required")
	case in.ExpiresAt != nil && !in.ExpiresAt.After(now):
		return models.FieldError(models.EInvalid, "expiresAt", "expiresAt must be in the future")
	}
	return nil
}

// Create stores a new key with a role p may grant and returns its secret once.
func (s APIKeyStore) Create(ctx context.Context, p models.Principal, in APIKeyInput) (CreatedAPIKey, error) {
	now := s.now()
	if err := ValidateAPIKeyInput(in, now); err != nil {
		return CreatedAPIKey{}, err
	}
	var out CreatedAPIKey
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var role identity.Role
		if err := tx.Where("id = ?", in.RoleID).Take(&role).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.FieldError(models.EUnprocessable, "roleId", "role %d does not exist", in.RoleID)
			}
			return fmt.Errorf("api key role: %w", err)
		}
		if err := identity.CanGrant(p, role); err != nil {
			return err
		}
		teams := in.TeamIDs
		if teams == nil {
			teams = []int64{}
		}
		if len(teams) > 0 {
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM teams WHERE id IN ?`, teams).Scan(&n).Error; err != nil {
				return err
			}
			if n != int64(len(teams)) {
				return models.FieldError(models.EUnprocessable, "teamIds", "a team does not exist")
			}
		}
		k := APIKey{Name: strings.TrimSpace(in.Name), RoleID: role.ID, TeamIDs: teams, CreatedAt: now, ExpiresAt: in.ExpiresAt}
		if p.AgentID != 0 {
			by := p.AgentID
			k.CreatedBy = &by
		}
		if err := tx.Omit("RoleName").Create(&k).Error; err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		secret := APIKeyPrefix + strconv.FormatInt(k.ID, 10) + "_" + identity.RandomToken()
		k.SecretHash, k.Hint = identity.HashToken(secret), secret[len(secret)-4:]
		if err := tx.Model(&APIKey{}).Where("id = ?", k.ID).Updates(map[string]any{"secret_hash": k.SecretHash, "hint": k.Hint}).Error; err != nil {
			return fmt.Errorf("store api key hash: %w", err)
		}
		k.RoleName = role.Name
		k.derive(now)
		out = CreatedAPIKey{APIKey: k, Secret: secret}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditAPIKeyCreate, "api_key", k.ID, map[string]any{
			"name": k.Name, "roleId": role.ID, "role": role.Name, "teamIds": teams, "expiresAt": k.ExpiresAt, "apiKeyId": p.APIKeyID,
		}))
	})
	return out, err
}

const apiKeySelect = `SELECT k.*, r.name AS role_name FROM api_keys k JOIN roles r ON r.id = k.role_id`

// List returns every key, newest first (never a secret).
func (s APIKeyStore) List(ctx context.Context) ([]APIKey, error) {
	out := []APIKey{}
	if err := s.DB.WithContext(ctx).Raw(apiKeySelect + ` ORDER BY k.id DESC`).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	now := s.now()
	for i := range out {
		out[i].derive(now)
	}
	return out, nil
}

// Get returns one key.
func (s APIKeyStore) Get(ctx context.Context, id int64) (APIKey, error) {
	var k APIKey
	res := s.DB.WithContext(ctx).Raw(apiKeySelect+` WHERE k.id = ?`, id).Scan(&k)
	if res.Error != nil {
		return k, fmt.Errorf("api key %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return k, models.Errorf(models.ENotFound, "api key %d not found", id)
	}
	k.derive(s.now())
	return k, nil
}

// Revoke ends a key at once (idempotent); the next call with it gets 401.
func (s APIKeyStore) Revoke(ctx context.Context, p models.Principal, id int64) (APIKey, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.now(), id)
		if res.Error != nil {
			return fmt.Errorf("revoke api key %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM api_keys WHERE id = ?`, id).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return models.Errorf(models.ENotFound, "api key %d not found", id)
			}
			return nil
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditAPIKeyRevoke, "api_key", id, map[string]any{"apiKeyId": p.APIKeyID}))
	})
	if err != nil {
		return APIKey{}, err
	}
	return s.Get(ctx, id)
}

// IsAPIKey reports whether a bearer token is shaped like an API key.
func IsAPIKey(token string) bool { return strings.HasPrefix(token, APIKeyPrefix) }

// ParseAPIKey returns the key id of a token (ok false when malformed).
func ParseAPIKey(token string) (int64, bool) {
	rest, ok := strings.CutPrefix(token, APIKeyPrefix)
	if !ok {
		return 0, false
	}
	idStr, secret, ok := strings.Cut(rest, "_")
	if !ok || secret == "" {
		return 0, false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	return id, err == nil && id > 0
}

type apiKeyAuthRow struct {
	APIKey
	SystemKey   *string
	DataScope   string
	Permissions json.RawMessage
}

// Authenticate verifies an API key: the secret's hash, not revoked, not
// expired. The principal carries the key's role (permissions and data
// scope) and teams; it has no person, so no profile rights.
func (s APIKeyStore) Authenticate(ctx context.Context, token string) (models.Principal, error) {
	id, ok := ParseAPIKey(token)
	if !ok {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid API key")
	}
	var row apiKeyAuthRow
	res := s.DB.WithContext(ctx).Raw(`SELECT k.*, r.name AS role_name, r.system_key, r.data_scope, r.permissions
		FROM api_keys k JOIN roles r ON r.id = k.role_id WHERE k.id = ?`, id).Scan(&row)
	if res.Error != nil {
		return models.Principal{}, fmt.Errorf("authenticate api key: %w", res.Error)
	}
	now := s.now()
	if res.RowsAffected == 0 || subtle.ConstantTimeCompare([]byte(row.SecretHash), []byte(identity.HashToken(token))) != 1 {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid API key")
	}
	row.derive(now)
	switch row.Status {
	case "revoked":
		return models.Principal{}, models.Errorf(models.EUnauthorized, "API key revoked")
	case "expired":
		return models.Principal{}, models.Errorf(models.EUnauthorized, "API key expired")
	}
	role := identity.Role{Name: row.RoleName, DataScope: row.DataScope, SystemKey: row.SystemKey}
	if err := json.Unmarshal(row.Permissions, &role.Permissions); err != nil {
		return models.Principal{}, fmt.Errorf("role permissions: %w", err)
	}
	p := KeyPrincipal(row.ID, row.Name, role, row.TeamIDs)
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= apiKeyTouchEvery {
		if err := s.DB.WithContext(ctx).Exec(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, row.ID).Error; err != nil {
			return models.Principal{}, fmt.Errorf("touch api key: %w", err)
		}
	}
	return p, nil
}

// KeyPrincipal is the principal of an API key with role and teams: the
// role's permissions without the personal profile ones, its data scope over
// the key's teams.
func KeyPrincipal(keyID int64, name string, role identity.Role, teams []int64) models.Principal {
	p := models.Principal{APIKeyID: keyID, Email: "apikey:" + name, RoleName: role.Name, DataScope: role.DataScope,
		TeamIDs: append([]int64{}, teams...), SupervisedTeamIDs: []int64{}}
	for _, perm := range role.Effective() {
		if perm != models.PermProfileRead && perm != models.PermProfileWrite {
			p.Permissions = append(p.Permissions, perm)
		}
	}
	switch role.DataScope {
	case models.ScopeAll:
		p.AllScope = true
		p.SupervisedTeamIDs = p.TeamIDs
	case models.ScopeTeams:
		p.SupervisedTeamIDs = p.TeamIDs
	}
	return p
}

// Bearer authenticates a bearer token of either kind: an API key
// (scrm_live_...) through Keys, anything else as an access token.
type Bearer struct {
	Tokens interface {
		Authenticate(ctx context.Context, token string) (models.Principal, error)
	}
	Keys APIKeyStore
}

// Authenticate implements the api's and realtime's Authenticator.
func (b Bearer) Authenticate(ctx context.Context, token string) (models.Principal, error) {
	if IsAPIKey(token) {
		if b.Keys.DB == nil {
			return models.Principal{}, models.Errorf(models.EUnauthorized, "API keys are not configured")
		}
		return b.Keys.Authenticate(ctx, token)
	}
	if b.Tokens == nil {
		return models.Principal{}, models.Errorf(models.EUnavailable, "authentication is not configured")
	}
	return b.Tokens.Authenticate(ctx, token)
}
