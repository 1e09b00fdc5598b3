package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// Audit actions written by identity. Other areas add their own ("contact.export", ...).
const (
	AuditLogin            = "auth.login"
	AuditLoginFailed      = "auth.login_failed"
	AuditLogout           = "auth.logout"
	AuditLogoutAll        = "auth.logout_all"
	AuditPasswordChange   = "auth.password_change"
	AuditAgentCreate      = "agent.create"
	AuditAgentUpdate      = "agent.update"
	AuditAgentRoleChange  = "agent.role_change"
	AuditAgentDisable     = "agent.disable"
	AuditAgentEnable      = "agent.enable"
	AuditAgentPassword    = "agent.password_reset"
	AuditRoleCreate       = "role.create"
	AuditRoleUpdate       = "role.update"
	AuditRolePermissions  = "role.permissions_change"
	AuditRoleDelete       = "role.delete"
	AuditTeamCreate       = "team.create"
	AuditTeamUpdate       = "team.update"
	AuditTeamDelete       = "team.delete"
	AuditTeamMemberAdd    = "team.member_add"
	AuditTeamMemberRemove = "team.member_remove"
)

// AuditEntry is one row of the audit log: who did what to which record.
type AuditEntry struct {
	ID       int64          `json:"id" gorm:"primaryKey"`
	At       time.Time      `json:"at"`
	ActorID  *int64         `json:"actorId"` // nil for the system (bootstrap, workflows)
	Action   string         `json:"action"`
	Entity   string         `json:"entity"`
	EntityID *int64         `json:"entityId"`
	Details  map[string]any `json:"details" gorm:"serializer:json"`
	IP       string         `json:"ip,omitempty"`
}

// TableName implements gorm's Tabler.
func (AuditEntry) TableName() string { return "audit_log" }

// Audit builds an entry; actor 0 means the system.
func Audit(actor int64, action, entity string, entityID int64, details map[string]any) AuditEntry {
	e := AuditEntry{Action: action, Entity: entity, Details: details}
	if actor != 0 {
		e.ActorID = &actor
	}
	if entityID != 0 {
		e.EntityID = &entityID
	}
	return e
}

// WriteAudit stores e on tx. Call it inside the transaction of the change it
// records so the row exists exactly when the change does.
func WriteAudit(ctx context.Context, tx *gorm.DB, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	if e.Action == "" || e.Entity == "" {
		return fmt.Errorf("audit: action and entity are required")
	}
	if err := tx.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit rows; zero fields do not filter.
type AuditFilter struct {
	ActorID  int64
	Action   string
	Entity   string
	EntityID int64
	From, To time.Time
	Page     models.Page
}

// AuditStore reads the audit log.
type AuditStore struct{ DB *gorm.DB }

// List returns matching rows, newest first, and their count (exact up to
// models.CountCap, else estimated; More from one row read past the page).
func (s AuditStore) List(ctx context.Context, f AuditFilter) ([]AuditEntry, models.Count, error) {
	q := s.DB.WithContext(ctx).Model(&AuditEntry{})
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Entity != "" {
		q = q.Where("entity = ?", f.Entity)
	}
	if f.EntityID != 0 {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To)
	}
	out := []AuditEntry{}
	pg := f.Page.Normal()
	if err := q.Session(&gorm.Session{}).Order("at DESC, id DESC").Limit(pg.Limit + 1).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, models.Count{}, fmt.Errorf("list audit: %w", err)
	}
	more := len(out) > pg.Limit
	if more {
		out = out[:pg.Limit]
	}
	if pg.Offset == 0 && !more {
		return out, models.Count{Total: int64(len(out))}, nil
	}
	c, err := models.CountRows(q)
	c.More = more
	if !c.Estimated && c.Total < int64(pg.Offset+len(out)) {
		c.Total = int64(pg.Offset + len(out))
	}
	return out, c, err
}
