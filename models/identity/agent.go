package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EventAgentDisabled tells the realtime gateway to close the agent's sockets
// (the kernel's event map holds it).
const EventAgentDisabled = models.EventAgentDisabled

// Password rules.
const (
	MinPasswordLen = 10
	maxPasswordLen = 72 // bcrypt ignores bytes beyond 72
)

// Agent is a user of the system.
type Agent struct {
	ID               int64  `json:"id" gorm:"primaryKey"`
	Name             string `json:"name"`
	Email            string `json:"email"`
	Phone            string `json:"phone"`
	PasswordHash     string `json:"-"`
	RoleID           int64  `json:"roleId"`
	Status           string `json:"status"`
	Presence         string `json:"presence"`
	MaxConversations int    `json:"maxConversations"`
	MaxCases         int    `json:"maxCases"`
	// Zone is the agent's own IANA time zone ("": none; an SLA policy
	// that counts in the agent's zone then uses its own).
	Zone         string     `json:"zone"`
	TokenVersion int64      `json:"-"`
	LastSeenAt   *time.Time `json:"lastSeenAt"`
	// TOTPEnabledAt is when the agent turned two-factor authentication on.
	TOTPEnabledAt *time.Time `json:"totpEnabledAt" gorm:"column:totp_enabled_at"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`

	// Filled by AgentStore reads.
	RoleName string      `json:"roleName" gorm:"-"`
	Teams    []AgentTeam `json:"teams" gorm:"-"`
}

// AgentTeam is one team membership as seen from the agent.
type AgentTeam struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	TeamRole string `json:"teamRole"`
}

// Assignable reports whether new work may be routed to the agent: disabled
// agents get nothing new (their open work stays where it is).
func (a Agent) Assignable() bool { return a.Status == models.AgentActive }

// Audience is who sees events about the agent: itself and its teams' supervisors.
func (a Agent) Audience() models.Audience {
	aud := models.Audience{AgentIDs: []int64{a.ID}}
	for _, t := range a.Teams {
		aud.TeamIDs = append(aud.TeamIDs, t.ID)
	}
	return aud
}

// AgentInput creates an agent.
type AgentInput struct {
	Name             string  `json:"name"`
	Email            string  `json:"email"`
	Phone            string  `json:"phone"`
	Password         string  `json:"password"`
	RoleID           int64   `json:"roleId"`
	TeamIDs          []int64 `json:"teamIds"`
	MaxConversations *int    `json:"maxConversations"`
	MaxCases         *int    `json:"maxCases"`
	Zone             string  `json:"zone"`
}

// AgentPatch edits an agent; nil fields are left alone.
type AgentPatch struct {
	Name             *string `json:"name"`
	Email            *string `json:"email"`
	Phone            *string `json:"phone"`
	RoleID           *int64  `json:"roleId"`
	MaxConversations *int    `json:"maxConversations"`
	MaxCases         *int    `json:"maxCases"`
	Zone             *string `json:"zone"`
}

// AgentFilter selects agents in List; zero fields do not filter.
type AgentFilter struct {
	Status   string
	Presence string
	RoleID   int64
	TeamID   int64
	Page     models.Page
}

var phoneRe = regexp.MustCompile(`^\+?[0-9]{7,15}$`)

// NormalizeEmail validates an address and returns its lower-case form
// (addresses are unique case-insensitively).
func NormalizeEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", models.FieldError(models.EUnprocessable, field, "email is required")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") || len(email) > 254 {
		return "", models.FieldError(models.EUnprocessable, field, "%q is not a valid email address", email)
	}
	return strings.ToLower(email), nil
}

// Hasher hashes passwords with bcrypt. Cost zero means bcrypt.DefaultCost,
// which production uses; tests set bcrypt.MinCost because every hash at the
// default cost takes tens of milliseconds (many times that under -race) and
// the tests create agents by the hundred.
type Hasher struct{ Cost int }

func (h Hasher) cost() int {
	if h.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return h.Cost
}

// Hash checks the password rules (CheckPasswordStrength, judged against
// userInputs such as the account's e-mail and name) and returns a bcrypt hash.
func (h Hasher) Hash(field, password string, userInputs ...string) (string, error) {
	if err := CheckPasswordStrength(field, password, userInputs...); err != nil {
		return "", err
	}
	sum, err := bcrypt.GenerateFromPassword([]byte(password), h.cost())
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(sum), nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 120 {
		return "", models.FieldError(models.EUnprocessable, "name", "name must be 1 to 120 characters")
	}
	return name, nil
}

func validPhone(phone string) (string, error) {
	phone = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(phone))
	if phone != "" && !phoneRe.MatchString(phone) {
		return "", models.FieldError(models.EUnprocessable, "phone", "phone must be 7 to 15 digits, optionally starting with +")
	}
	return phone, nil
}

func validCapacity(field string, v *int, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 0 || *v > 10000 {
		return 0, models.FieldError(models.EUnprocessable, field, "%s must be between 0 and 10000", field)
	}
	return *v, nil
}

// AgentStore reads and changes agents. Events, when set, receives the
// realtime events (presence, disable) after commit; Log reports publish failures.
type AgentStore struct {
	DB     *gorm.DB
	Events models.EventPublisher
	Log    *slog.Logger
	// Hasher hashes new passwords (zero value: production cost).
	Hasher Hasher
}

// Create adds an agent with a role and optional team memberships.
func (s AgentStore) Create(ctx context.Context, actor models.Principal, in AgentInput) (Agent, error) {
	a, err := s.prepare(in)
	if err != nil {
		return Agent{}, err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		role, err := RoleStore{}.get(ctx, tx, in.RoleID)
		if err != nil {
			if models.CodeOf(err) == models.ENotFound {
				return models.FieldError(models.EUnprocessable, "roleId", "role %d does not exist", in.RoleID)
			}
			return err
		}
		if err := CanGrant(actor, role); err != nil {
			return err
		}
		if err := checkTeamIDs(actor, in.TeamIDs); err != nil {
			return err
		}
		return createAgentTx(ctx, tx, actor.AgentID, &a, in.TeamIDs)
	})
	if err != nil {
		return Agent{}, err
	}
	return s.get(ctx, s.DB, a.ID)
}

// prepare validates input and builds the row (hashing the password).
func (s AgentStore) prepare(in AgentInput) (Agent, error) {
	name, err := validName(in.Name)
	if err != nil {
		return Agent{}, err
	}
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		return Agent{}, err
	}
	phone, err := validPhone(in.Phone)
	if err != nil {
		return Agent{}, err
	}
	if in.RoleID <= 0 {
		return Agent{}, models.FieldError(models.EUnprocessable, "roleId", "roleId is required")
	}
	maxConv, err := validCapacity("maxConversations", in.MaxConversations, 20)
	if err != nil {
		return Agent{}, err
	}
	maxCases, err := validCapacity("maxCases", in.MaxCases, 20)
	if err != nil {
		return Agent{}, err
	}
	zone := strings.TrimSpace(in.Zone)
	if err := models.CheckZone("zone", zone); err != nil {
		return Agent{}, err
	}
	hash, err := s.Hasher.Hash("password", in.Password, email, name)
	if err != nil {
		return Agent{}, err
	}
	return Agent{Name: name, Email: email, Phone: phone, PasswordHash: hash, RoleID: in.RoleID,
		Status: models.AgentActive, Presence: models.PresenceOffline, MaxConversations: maxConv, MaxCases: maxCases, Zone: zone, TokenVersion: 1}, nil
}

func createAgentTx(ctx context.Context, tx *gorm.DB, actorID int64, a *Agent, teamIDs []int64) error {
	if err := tx.WithContext(ctx).Create(a).Error; err != nil {
		return agentWriteError(err)
	}
	seen := map[int64]bool{}
	for _, tid := range teamIDs {
		if seen[tid] {
			continue
		}
		seen[tid] = true
		err := tx.WithContext(ctx).Exec("INSERT INTO team_members (team_id, agent_id, team_role) VALUES (?, ?, 'member')", tid, a.ID).Error
		if code, _ := models.PGError(err); code == models.PGForeignKeyViolation {
			return models.FieldError(models.EUnprocessable, "teamIds", "team %d does not exist", tid).WithDetails(map[string]any{"teamId": tid})
		} else if err != nil {
			return fmt.Errorf("add agent to team %d: %w", tid, err)
		}
	}
	return WriteAudit(ctx, tx, Audit(actorID, AuditAgentCreate, "agent", a.ID,
		map[string]any{"email": a.Email, "roleId": a.RoleID, "teamIds": teamIDs}))
}

func agentWriteError(err error) error {
	if code, constraint := models.PGError(err); code == models.PGUniqueViolation && constraint == "agents_email_key" {
		return models.FieldError(models.EConflict, "email", "an agent with this email already exists")
	}
	return fmt.Errorf("write agent: %w", err)
}

// lockVisible locks the agent row for a change by p: 404 outside p's scope,
// 403 when the agent's role holds rights p cannot grant (so nobody edits,
// resets or disables someone who outranks them).
func lockVisible(ctx context.Context, tx *gorm.DB, p models.Principal, id int64) (Agent, Role, error) {
	var a Agent
	err := tx.WithContext(ctx).Scopes(models.AgentScope(p)).Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "agents"}}).First(&a, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, Role{}, models.Errorf(models.ENotFound, "agent %d not found", id)
	}
	if err != nil {
		return a, Role{}, fmt.Errorf("lock agent %d: %w", id, err)
	}
	role, err := RoleStore{}.get(ctx, tx, a.RoleID)
	if err != nil {
		return a, role, err
	}
	if a.ID != p.AgentID {
		if err := CanGrant(p, role); err != nil {
			return a, role, err
		}
	}
	return a, role, nil
}

// ensureOtherAdmin refuses a change that would leave no active Admin.
func ensureOtherAdmin(ctx context.Context, tx *gorm.DB, exceptID int64) error {
	var n int64
	err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM agents a JOIN roles r ON r.id = a.role_id
		WHERE r.system_key = ? AND a.status = ? AND a.id <> ?`, models.RoleKeyAdmin, models.AgentActive, exceptID).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if n == 0 {
		return models.Errorf(models.EConflict, "this is the last active Admin")
	}
	return nil
}

// Update edits an agent's profile, role or capacity.
func (s AgentStore) Update(ctx context.Context, p models.Principal, id int64, in AgentPatch) (Agent, error) {
	var ctl *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, role, err := lockVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		updates := map[string]any{}
		changed := []string{}
		// What each changed field was and became, for the audit row.
		from, to := map[string]any{}, map[string]any{}
		if in.Name != nil {
			v, err := validName(*in.Name)
			if err != nil {
				return err
			}
			updates["name"], changed, from["name"], to["name"] = v, append(changed, "name"), a.Name, v
		}
		if in.Email != nil {
			v, err := NormalizeEmail("email", *in.Email)
			if err != nil {
				return err
			}
			updates["email"], changed, from["email"], to["email"] = v, append(changed, "email"), a.Email, v
		}
		if in.Phone != nil {
			v, err := validPhone(*in.Phone)
			if err != nil {
				return err
			}
			updates["phone"], changed, from["phone"], to["phone"] = v, append(changed, "phone"), a.Phone, v
		}
		if in.MaxConversations != nil {
			v, err := validCapacity("maxConversations", in.MaxConversations, 0)
			if err != nil {
				return err
			}
			updates["max_conversations"], changed, from["maxConversations"], to["maxConversations"] = v, append(changed, "maxConversations"), a.MaxConversations, v
		}
		if in.MaxCases != nil {
			v, err := validCapacity("maxCases", in.MaxCases, 0)
			if err != nil {
				return err
			}
			updates["max_cases"], changed, from["maxCases"], to["maxCases"] = v, append(changed, "maxCases"), a.MaxCases, v
		}
		if in.Zone != nil {
			v := strings.TrimSpace(*in.Zone)
			if err := models.CheckZone("zone", v); err != nil {
				return err
			}
			updates["zone"], changed, from["zone"], to["zone"] = v, append(changed, "zone"), a.Zone, v
		}
		if in.RoleID != nil && *in.RoleID != a.RoleID {
			if a.ID == p.AgentID {
				// Also what keeps an Admin from dropping its own admin rights.
				return models.FieldError(models.EUnprocessable, "roleId", "you cannot change your own role")
			}
			next, err := RoleStore{}.get(ctx, tx, *in.RoleID)
			if err != nil {
				if models.CodeOf(err) == models.ENotFound {
					return models.FieldError(models.EUnprocessable, "roleId", "role %d does not exist", *in.RoleID)
				}
				return err
			}
			if err := CanGrant(p, next); err != nil {
				return err
			}
			if role.IsAdmin() && a.Status == models.AgentActive {
				if err := ensureOtherAdmin(ctx, tx, a.ID); err != nil {
					return err
				}
			}
			updates["role_id"] = next.ID
			if err := WriteAudit(ctx, tx, Audit(p.AgentID, AuditAgentRoleChange, "agent", a.ID,
				map[string]any{"fromRoleId": role.ID, "fromRole": role.Name, "toRoleId": next.ID, "toRole": next.Name})); err != nil {
				return err
			}
			if ctl, err = revalidateTx(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		if len(updates) == 0 {
			return nil
		}
		updates["updated_at"] = time.Now().UTC()
		if err := tx.Model(&Agent{}).Where("id = ?", a.ID).Updates(updates).Error; err != nil {
			return agentWriteError(err)
		}
		if len(changed) > 0 {
			return WriteAudit(ctx, tx, Audit(p.AgentID, AuditAgentUpdate, "agent", a.ID, map[string]any{"fields": changed, "before": from, "after": to}))
		}
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	publishControl(ctx, s.Events, s.Log, ctl)
	return s.get(ctx, s.DB, id)
}

// SetStatus disables or enables an agent. Disabling revokes every session at
// once (the next API call and websocket check fail), sets presence offline
// and stops new assignments; open work keeps its assignee so supervisors see it.
func (s AgentStore) SetStatus(ctx context.Context, p models.Principal, id int64, status string) (Agent, error) {
	if status != models.AgentActive && status != models.AgentDisabled {
		return Agent{}, models.FieldError(models.EInvalid, "status", "status must be active or disabled")
	}
	var ev *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, role, err := lockVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Status == status {
			return nil
		}
		if status == models.AgentDisabled {
			if a.ID == p.AgentID {
				return models.Errorf(models.EUnprocessable, "you cannot disable yourself")
			}
			if role.IsAdmin() {
				if err := ensureOtherAdmin(ctx, tx, a.ID); err != nil {
					return err
				}
			}
			if err := tx.Model(&Agent{}).Where("id = ?", a.ID).
				Updates(map[string]any{"status": models.AgentDisabled, "presence": models.PresenceOffline, "updated_at": time.Now().UTC()}).Error; err != nil {
				return fmt.Errorf("disable agent %d: %w", a.ID, err)
			}
			if err := revokeSessionsTx(ctx, tx, a.ID); err != nil {
				return err
			}
			if err := WriteAudit(ctx, tx, Audit(p.AgentID, AuditAgentDisable, "agent", a.ID, map[string]any{"email": a.Email})); err != nil {
				return err
			}
			e, err := models.NewEvent(EventAgentDisabled, models.Audience{AgentIDs: []int64{a.ID}}, map[string]any{"agentId": a.ID})
			if err != nil {
				return err
			}
			if err := (models.EventStore{}).Append(ctx, tx, &e); err != nil {
				return err
			}
			ev = &e
			return nil
		}
		if err := tx.Model(&Agent{}).Where("id = ?", a.ID).
			Updates(map[string]any{"status": models.AgentActive, "updated_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("enable agent %d: %w", a.ID, err)
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditAgentEnable, "agent", a.ID, map[string]any{"email": a.Email}))
	})
	if err != nil {
		return Agent{}, err
	}
	if ev != nil {
		s.publish(ctx, *ev)
	}
	return s.get(ctx, s.DB, id)
}

// ResetPassword sets a new password and ends the agent's sessions.
func (s AgentStore) ResetPassword(ctx context.Context, p models.Principal, id int64, password string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, _, err := lockVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		hash, err := s.Hasher.Hash("password", password, a.Email, a.Name)
		if err != nil {
			return err
		}
		if err := tx.Model(&Agent{}).Where("id = ?", a.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("reset password of agent %d: %w", a.ID, err)
		}
		if err := revokeSessionsTx(ctx, tx, a.ID); err != nil {
			return err
		}
		return WriteAudit(ctx, tx, Audit(p.AgentID, AuditAgentPassword, "agent", a.ID, nil))
	})
}

// publish forwards committed events. A failed publish loses nothing (clients
// resync from the events table), so it is logged, not returned.
func (s AgentStore) publish(ctx context.Context, evs ...models.Event) {
	models.PublishCommitted(ctx, s.Events, s.Log, "agent", evs...)
}

// AdminInput bootstraps an Admin.
type AdminInput struct {
	Name, Email, Password string
	// Hasher hashes the password (zero value: production cost).
	Hasher Hasher
}

// CreateAdmin creates an agent with the Admin role (scrm admin create). It
// fails with a 409 error when the email is taken.
func CreateAdmin(ctx context.Context, db *gorm.DB, in AdminInput) (Agent, error) {
	if in.Name == "" {
		in.Name = "Administrator"
	}
	var roleID int64
	if err := db.WithContext(ctx).Raw("SELECT id FROM roles WHERE system_key = ?", models.RoleKeyAdmin).Scan(&roleID).Error; err != nil {
		return Agent{}, fmt.Errorf("find Admin role: %w", err)
	}
	if roleID == 0 {
		return Agent{}, errors.New("the Admin role is missing: run scrm migrate")
	}
	a, err := AgentStore{Hasher: in.Hasher}.prepare(AgentInput{Name: in.Name, Email: in.Email, Password: in.Password, RoleID: roleID})
	if err != nil {
		return Agent{}, err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return createAgentTx(ctx, tx, 0, &a, nil)
	})
	if err != nil {
		return Agent{}, err
	}
	return AgentStore{}.get(ctx, db, a.ID)
}

// EnsureAdmin creates the first Admin from config when no agent has that
// email yet; it never changes an existing account. It reports whether it created one.
func EnsureAdmin(ctx context.Context, db *gorm.DB, in AdminInput) (bool, error) {
	email, err := NormalizeEmail("admin_email", in.Email)
	if err != nil {
		return false, err
	}
	var n int64
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM agents WHERE lower(email) = ?", email).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("look up admin: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := CreateAdmin(ctx, db, in); err != nil {
		if models.CodeOf(err) == models.EConflict { // created concurrently by another process
			return false, nil
		}
		return false, err
	}
	return true, nil
}
