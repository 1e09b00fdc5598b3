package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// TOTP two-factor authentication (RFC 6238: 6 digits, 30 s steps, SHA-1 as
// authenticator apps expect). An agent enrols (EnrollTOTP, then
// ConfirmTOTP with a first code, which also hands out recovery codes);
// from then on Login wants a code or a recovery code after the password.
// A role can require TOTP (SetRoleRequiresTOTP): its agents who have not
// enrolled get a principal that reaches their own profile only (see
// authRow.principal), so they can enrol and do nothing else.
const (
	totpIssuer        = "WABA SCRM"
	totpPeriod        = 30
	recoveryCodeCount = 10
)

// Audit actions of two-factor authentication.
const (
	AuditTOTPEnabled   = "auth.totp_enabled"
	AuditTOTPReset     = "auth.totp_reset"
	AuditTOTPRecovery  = "auth.totp_recovery_code_used"
	AuditRoleTOTPSet   = "role.totp_required"
	errTOTPFieldName   = "totp"
	recoveryCodeLength = 10
)

// TOTPEnrollment is what an agent adds to an authenticator app.
type TOTPEnrollment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauthUrl"`
	// QRCode is a PNG data URL of URL (the web app shows it as an image).
	QRCode string `json:"qrCode"`
}

// EnrollTOTP starts (or restarts) an enrolment: a new secret is kept as
// pending until ConfirmTOTP sees a code made from it. An agent already
// enrolled must be reset by an admin first (a stolen session must not
// replace the second factor).
func (t *Tokens) EnrollTOTP(ctx context.Context, p models.Principal) (TOTPEnrollment, error) {
	var a Agent
	if err := t.DB.WithContext(ctx).First(&a, p.AgentID).Error; err != nil {
		return TOTPEnrollment{}, fmt.Errorf("find agent: %w", err)
	}
	if a.TOTPEnabledAt != nil {
		return TOTPEnrollment{}, models.Errorf(models.EConflict, "two-factor authentication is already on; an admin can reset it")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: a.Email, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("totp secret: %w", err)
	}
	if err := t.DB.WithContext(ctx).Exec("UPDATE agents SET totp_pending_secret = ? WHERE id = ?", key.Secret(), a.ID).Error; err != nil {
		return TOTPEnrollment{}, fmt.Errorf("store totp secret: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("totp qr code: %w", err)
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ConfirmTOTP turns the pending secret on when code matches it and returns
// the recovery codes (shown once; stored only as hashes).
func (t *Tokens) ConfirmTOTP(ctx context.Context, p models.Principal, code string) ([]string, error) {
	var codes []string
	err := t.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row struct {
			Pending *string
			Enabled *time.Time
		}
		if err := tx.Raw("SELECT totp_pending_secret AS pending, totp_enabled_at AS enabled FROM agents WHERE id = ? FOR UPDATE", p.AgentID).
			Scan(&row).Error; err != nil {
			return fmt.Errorf("find agent: %w", err)
		}
		if row.Enabled != nil {
			return models.Errorf(models.EConflict, "two-factor authentication is already on")
		}
		if row.Pending == nil {
			return models.Errorf(models.EConflict, "start the enrolment first")
		}
		step, ok := matchTOTP(*row.Pending, code, time.Now())
		if !ok {
			return models.FieldError(models.EUnprocessable, "code", "the code does not match; check the time on your phone")
		}
		if err := tx.Exec(`UPDATE agents SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_enabled_at = now(),
			totp_last_step = ? WHERE id = ?`, step, p.AgentID).Error; err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		var err error
		if codes, err = newRecoveryCodes(ctx, tx, p.AgentID); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditTOTPEnabled, "agent", p.AgentID, nil))
	})
	return codes, err
}

// ResetTOTP turns an agent's two-factor authentication off (a lost phone)
// and ends its sessions; the agent enrols again at its next login.
func (s AgentStore) ResetTOTP(ctx context.Context, p models.Principal, id int64) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, _, err := lockVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE agents SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL WHERE id = ?`, a.ID).Error; err != nil {
			return fmt.Errorf("reset totp of agent %d: %w", a.ID, err)
		}
		if err := tx.Exec("DELETE FROM totp_recovery_codes WHERE agent_id = ?", a.ID).Error; err != nil {
			return fmt.Errorf("reset recovery codes of agent %d: %w", a.ID, err)
		}
		if err := revokeSessionsTx(ctx, tx, a.ID); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditTOTPReset, "agent", a.ID, nil))
	})
}

// SetRoleRequiresTOTP is the Admin's setting: the role's agents must use
// two-factor authentication.
func (s RoleStore) SetRoleRequiresTOTP(ctx context.Context, p models.Principal, roleID int64, required bool) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE roles SET require_totp = ?, updated_at = now() WHERE id = ?", required, roleID)
		if res.Error != nil {
			return fmt.Errorf("set role %d totp: %w", roleID, res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENotFound, "role %d not found", roleID)
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditRoleTOTPSet, "role", roleID, map[string]any{"required": required}))
	})
}

// checkSecondFactor is Login's step after a right password: agents with
// TOTP on must send a current code (once per step) or an unused recovery code.
func (t *Tokens) checkSecondFactor(ctx context.Context, a Agent, code string) error {
	if a.TOTPEnabledAt == nil {
		return nil
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return &models.Error{Code: models.EUnauthorized, Field: errTOTPFieldName, Message: "enter the code from your authenticator app",
			Details: map[string]any{"totpRequired": true}}
	}
	var secret string
	if err := t.DB.WithContext(ctx).Raw("SELECT totp_secret FROM agents WHERE id = ?", a.ID).Scan(&secret).Error; err != nil {
		return fmt.Errorf("totp secret: %w", err)
	}
	if step, ok := matchTOTP(secret, code, time.Now()); ok {
		res := t.DB.WithContext(ctx).Exec("UPDATE agents SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, a.ID, step)
		if res.Error != nil {
			return fmt.Errorf("totp step: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			return nil
		}
	} else {
		res := t.DB.WithContext(ctx).Exec("UPDATE totp_recovery_codes SET used_at = now() WHERE agent_id = ? AND code_hash = ? AND used_at IS NULL",
			a.ID, HashToken(normaliseRecovery(code)))
		if res.Error != nil {
			return fmt.Errorf("recovery code: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			return WriteAudit(ctx, t.DB, Audit(a.ID, AuditTOTPRecovery, "agent", a.ID, nil))
		}
	}
	return &models.Error{Code: models.EUnauthorized, Field: errTOTPFieldName, Message: "wrong or already used two-factor code",
		Details: map[string]any{"totpRequired": true}}
}

// matchTOTP accepts the code of the current step or one step either side
// (clock drift) and returns the step it matched.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for _, skew := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, opts)
		if err == nil && want == code {
			return at.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// newRecoveryCodes replaces the agent's recovery codes with fresh ones.
func newRecoveryCodes(ctx context.Context, tx *gorm.DB, agentID int64) ([]string, error) {
	if err := tx.WithContext(ctx).Exec("DELETE FROM totp_recovery_codes WHERE agent_id = ?", agentID).Error; err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i to misread
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		b := make([]byte, recoveryCodeLength)
		_, _ = rand.Read(b)
		for j := range b {
			b[j] = alphabet[int(b[j])%len(alphabet)]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
		if err := tx.WithContext(ctx).Exec("INSERT INTO totp_recovery_codes (agent_id, code_hash) VALUES (?, ?)",
			agentID, HashToken(normaliseRecovery(codes[i]))).Error; err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
	}
	return codes, nil
}

func normaliseRecovery(code string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
}
