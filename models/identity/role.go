package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Role is a named set of permissions with a data scope.
type Role struct {
	ID          int64               `json:"id" gorm:"primaryKey"`
	Name        string              `json:"name"`
	SystemKey   *string             `json:"systemKey,omitempty"`
	DataScope   string              `json:"dataScope"`
	Permissions []models.Permission `json:"permissions" gorm:"serializer:json"`
	CreatedAt   time.Time           `json:"createdAt"`
	UpdatedAt   time.Time           `json:"updatedAt"`
	// AgentCount is filled by RoleStore reads.
	AgentCount int64 `json:"agentCount" gorm:"-"`
	System     bool  `json:"system" gorm:"-"`
}

// IsSystem reports whether r is a built-in role.
func (r Role) IsSystem() bool { return r.SystemKey != nil }

// IsAdmin reports whether r is the built-in Admin role.
func (r Role) IsAdmin() bool { return r.SystemKey != nil && *r.SystemKey == models.RoleKeyAdmin }

// Effective returns the permissions the role grants: the whole catalog for
// Admin (so Admin can never lose a right, even one added later), the stored
// set otherwise.
func (r Role) Effective() []models.Permission {
	if r.IsAdmin() {
		return models.AllPermissions()
	}
	return r.Permissions
}

func (r *Role) fill() {
	r.System = r.IsSystem()
	r.Permissions = r.Effective()
	if r.Permissions == nil {
		r.Permissions = []models.Permission{}
	}
}

// CanGrant returns a 403 error unless p holds every permission of r and at
// least r's data scope: nobody hands out rights they do not have.
func CanGrant(p models.Principal, r Role) error {
	for _, perm := range r.Effective() {
		if !p.Can(perm) {
			return models.Errorf(models.EForbidden, "role %q holds %s, which you do not hold", r.Name, perm)
		}
	}
	if !p.CoversScope(r.DataScope) {
		return models.Errorf(models.EForbidden, "role %q sees %s records, more than you do", r.Name, r.DataScope)
	}
	return nil
}

// RoleInput creates a role.
type RoleInput struct {
	Name        string              `json:"name"`
	Permissions []models.Permission `json:"permissions"`
	DataScope   string              `json:"dataScope"`
}

// RolePatch edits a role; nil fields are left alone.
type RolePatch struct {
	Name        *string              `json:"name"`
	Permissions *[]models.Permission `json:"permissions"`
	DataScope   *string              `json:"dataScope"`
}

func validRoleName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 80 {
		return "", models.FieldError(models.EUnprocessable, "name", "name must be 1 to 80 characters")
	}
	return name, nil
}

func validPermissions(perms []models.Permission) ([]models.Permission, error) {
	out := make([]models.Permission, 0, len(perms))
	for _, p := range perms {
		if !models.IsPermission(p) {
			return nil, models.FieldError(models.EUnprocessable, "permissions", "unknown permission %q", p).WithDetails(map[string]any{"permission": p})
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func validScope(s string) error {
	switch s {
	case models.ScopeAll, models.ScopeTeams, models.ScopeOwn:
		return nil
	}
	return models.FieldError(models.EUnprocessable, "dataScope", "dataScope must be all, teams or own")
}

// RoleStore reads and changes roles.
type RoleStore struct {
	DB *gorm.DB
	// Events carries role changes to the realtime gateway (optional).
	Events models.EventPublisher
	Log    *slog.Logger
}

// List returns every role with the number of agents holding it.
func (s RoleStore) List(ctx context.Context) ([]Role, error) {
	var roles []Role
	if err := s.DB.WithContext(ctx).Order("id").Find(&roles).Error; err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	var counts []struct {
		RoleID int64
		N      int64
	}
	if err := s.DB.WithContext(ctx).Raw("SELECT role_id, count(*) AS n FROM agents GROUP BY role_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count role holders: %w", err)
	}
	for i := range roles {
		for _, c := range counts {
			if c.RoleID == roles[i].ID {
				roles[i].AgentCount = c.N
			}
		}
		roles[i].fill()
	}
	return roles, nil
}

// Get returns one role.
func (s RoleStore) Get(ctx context.Context, id int64) (Role, error) {
	return s.get(ctx, s.DB, id)
}

func (RoleStore) get(ctx context.Context, db *gorm.DB, id int64) (Role, error) {
	var r Role
	err := db.WithContext(ctx).First(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, models.Errorf(models.ENotFound, "role %d not found", id)
	}
	if err != nil {
		return r, fmt.Errorf("get role %d: %w", id, err)
	}
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM agents WHERE role_id = ?", id).Scan(&r.AgentCount).Error; err != nil {
		return r, fmt.Errorf("count role holders: %w", err)
	}
	r.fill()
	return r, nil
}

// Create adds a custom role.
func (s RoleStore) Create(ctx context.Context, actor models.Principal, in RoleInput) (Role, error) {
	name, err := validRoleName(in.Name)
	if err != nil {
		return Role{}, err
	}
	perms, err := validPermissions(in.Permissions)
	if err != nil {
		return Role{}, err
	}
	if in.DataScope == "" {
		in.DataScope = models.ScopeOwn
	}
	if err := validScope(in.DataScope); err != nil {
		return Role{}, err
	}
	r := Role{Name: name, Permissions: perms, DataScope: in.DataScope}
	if err := CanGrant(actor, r); err != nil {
		return Role{}, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return roleWriteError(err)
		}
		return WriteAudit(ctx, tx, Audit(actor.AgentID, AuditRoleCreate, "role", r.ID,
			map[string]any{"name": r.Name, "permissions": r.Permissions, "dataScope": r.DataScope}))
	})
	if err != nil {
		return Role{}, err
	}
	r.fill()
	return r, nil
}

// Update renames a role, changes its permissions or its scope. System roles
// keep their names; Admin keeps every permission and the all scope.
func (s RoleStore) Update(ctx context.Context, actor models.Principal, id int64, in RolePatch) (Role, error) {
	var out Role
	var ctl *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Role
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&r, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.ENotFound, "role %d not found", id)
			}
			return fmt.Errorf("get role %d: %w", id, err)
		}
		// Editing a role changes the rights of everyone holding it, so the
		// actor must be able to grant both the old and the new set.
		if err := CanGrant(actor, r); err != nil {
			return err
		}
		updates := map[string]any{}
		if in.Name != nil {
			name, err := validRoleName(*in.Name)
			if err != nil {
				return err
			}
			if r.IsSystem() && name != r.Name {
				return models.FieldError(models.EUnprocessable, "name", "system role %q cannot be renamed", r.Name)
			}
			if name != r.Name {
				updates["name"] = name
				if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditRoleUpdate, "role", r.ID,
					map[string]any{"from": r.Name, "to": name})); err != nil {
					return err
				}
				r.Name = name
			}
		}
		if in.DataScope != nil && *in.DataScope != r.DataScope {
			if err := validScope(*in.DataScope); err != nil {
				return err
			}
			if r.IsAdmin() {
				return models.FieldError(models.EUnprocessable, "dataScope", "the Admin role always sees all records")
			}
			if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditRoleUpdate, "role", r.ID,
				map[string]any{"dataScopeFrom": r.DataScope, "dataScopeTo": *in.DataScope})); err != nil {
				return err
			}
			updates["data_scope"] = *in.DataScope
			r.DataScope = *in.DataScope
		}
		if in.Permissions != nil {
			perms, err := validPermissions(*in.Permissions)
			if err != nil {
				return err
			}
			if r.IsAdmin() {
				return models.FieldError(models.EUnprocessable, "permissions", "the Admin role always holds every permission")
			}
			added, removed := diffPerms(r.Permissions, perms)
			if len(added)+len(removed) > 0 {
				if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditRolePermissions, "role", r.ID,
					map[string]any{"added": added, "removed": removed})); err != nil {
					return err
				}
				updates["permissions"] = models.JSONValue(perms)
				r.Permissions = perms
			}
		}
		if err := CanGrant(actor, r); err != nil {
			return err
		}
		if len(updates) > 0 {
			updates["updated_at"] = time.Now().UTC()
			if err := tx.Model(&Role{}).Where("id = ?", id).Updates(updates).Error; err != nil {
				return roleWriteError(err)
			}
			holders, err := roleHolders(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("role %d holders: %w", id, err)
			}
			if ctl, err = revalidateTx(ctx, tx, holders...); err != nil {
				return err
			}
		}
		var err error
		out, err = RoleStore{}.get(ctx, tx, id)
		return err
	})
	if err == nil {
		publishControl(ctx, s.Events, s.Log, ctl)
	}
	return out, err
}

// Delete removes a custom role that no agent holds.
func (s RoleStore) Delete(ctx context.Context, actor models.Principal, id int64) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := RoleStore{}.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.IsSystem() {
			return models.Errorf(models.EConflict, "system role %q cannot be deleted", r.Name)
		}
		if r.AgentCount > 0 {
			return models.Errorf(models.EConflict, "role %q is held by %d agent(s); reassign them first", r.Name, r.AgentCount).
				WithDetails(map[string]any{"agentCount": r.AgentCount})
		}
		if err := tx.Delete(&Role{}, id).Error; err != nil {
			// An agent given the role concurrently trips the foreign key.
			if code, _ := models.PGError(err); code == models.PGForeignKeyViolation {
				return models.Errorf(models.EConflict, "role %q is held by an agent; reassign them first", r.Name)
			}
			return fmt.Errorf("delete role %d: %w", id, err)
		}
		return WriteAudit(ctx, tx, Audit(actor.AgentID, AuditRoleDelete, "role", id, map[string]any{"name": r.Name}))
	})
}

func roleWriteError(err error) error {
	if code, constraint := models.PGError(err); code == models.PGUniqueViolation && constraint == "roles_name_key" {
		return models.FieldError(models.EConflict, "name", "a role with this name already exists")
	}
	return fmt.Errorf("write role: %w", err)
}

func diffPerms(old, cur []models.Permission) (added, removed []models.Permission) {
	added, removed = []models.Permission{}, []models.Permission{}
	for _, p := range cur {
		if !slices.Contains(old, p) {
			added = append(added, p)
		}
	}
	for _, p := range old {
		if !slices.Contains(cur, p) {
			removed = append(removed, p)
		}
	}
	return added, removed
}
