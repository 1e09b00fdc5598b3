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
)

// Team roles of a member.
const (
	TeamRoleLead   = "lead"
	TeamRoleMember = "member"
)

// Team is a group of agents with an assignment strategy.
type Team struct {
	ID       int64  `json:"id" gorm:"primaryKey"`
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
	// Case timings of the team's pool (nil: the worker's defaults): an
	// assigned case without progress returns to the pool after
	// CaseExpiryHours; the first follow-up is due CaseFollowUpHours after
	// assignment. The CaseWorkflow reads them with every transition.
	CaseExpiryHours   *int         `json:"caseExpiryHours"`
	CaseFollowUpHours *int         `json:"caseFollowUpHours"`
	CreatedAt         time.Time    `json:"createdAt"`
	UpdatedAt         time.Time    `json:"updatedAt"`
	Members           []TeamMember `json:"members" gorm:"-"`
}

// TeamMember is one agent in a team.
type TeamMember struct {
	AgentID  int64     `json:"agentId"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Status   string    `json:"status"`
	Presence string    `json:"presence"`
	TeamRole string    `json:"teamRole"`
	Since    time.Time `json:"since"`
}

// TeamInput creates a team.
type TeamInput struct {
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
}

// TeamPatch edits a team; nil fields are left alone.
type TeamPatch struct {
	Name     *string `json:"name"`
	Strategy *string `json:"strategy"`
	// Case timings in hours; 0 returns to the default.
	CaseExpiryHours   *int `json:"caseExpiryHours"`
	CaseFollowUpHours *int `json:"caseFollowUpHours"`
}

// caseTiming checks a team's case timing (hours, 0 = default) and returns
// its column value (nil for the default).
func caseTiming(field string, hours, max int) (any, error) {
	if hours < 0 || hours > max {
		return nil, models.FieldError(models.EInvalid, field, "%s must be 0 (the default) to %d hours", field, max)
	}
	if hours == 0 {
		return nil, nil
	}
	return hours, nil
}

func validTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 80 {
		return "", models.FieldError(models.EUnprocessable, "name", "name must be 1 to 80 characters")
	}
	return name, nil
}

func validStrategy(s string) error {
	switch s {
	case models.StrategyRoundRobin, models.StrategyLeastLoaded, models.StrategyManual:
		return nil
	}
	return models.FieldError(models.EUnprocessable, "strategy", "strategy must be round_robin, least_loaded or manual")
}

// ValidTeamRole checks a member's team role.
func ValidTeamRole(r string) error {
	if r != TeamRoleLead && r != TeamRoleMember {
		return models.FieldError(models.EUnprocessable, "teamRole", "teamRole must be lead or member")
	}
	return nil
}

// TeamStore reads and changes teams and memberships.
type TeamStore struct {
	DB *gorm.DB
	// Events carries membership changes to the realtime gateway (optional).
	Events models.EventPublisher
	Log    *slog.Logger
}

// List returns the teams p may see (all for AllScope, else the ones it
// belongs to or supervises) with the members p may see.
func (s TeamStore) List(ctx context.Context, p models.Principal) ([]Team, error) {
	out := []Team{}
	q := s.DB.WithContext(ctx).Order("id")
	if !p.AllScope {
		q = q.Where("id IN ?", append(slices.Clone(p.TeamIDs), p.SupervisedTeamIDs...))
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, s.members(ctx, s.DB, p, out)
}

// Get returns one team p may see, with the members p may see.
func (s TeamStore) Get(ctx context.Context, p models.Principal, id int64) (Team, error) {
	return s.get(ctx, s.DB, p, id)
}

func (s TeamStore) get(ctx context.Context, db *gorm.DB, p models.Principal, id int64) (Team, error) {
	var t Team
	if !p.SeesTeam(id) {
		return t, models.Errorf(models.ENotFound, "team %d not found", id)
	}
	err := db.WithContext(ctx).First(&t, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, models.Errorf(models.ENotFound, "team %d not found", id)
	}
	if err != nil {
		return t, fmt.Errorf("get team %d: %w", id, err)
	}
	list := []Team{t}
	if err := s.members(ctx, db, p, list); err != nil {
		return t, err
	}
	return list[0], nil
}

// members fills the member lists; a plain member of a team sees only itself
// in it, matching the agents data scope.
func (TeamStore) members(ctx context.Context, db *gorm.DB, p models.Principal, teams []Team) error {
	if len(teams) == 0 {
		return nil
	}
	ids := make([]int64, len(teams))
	for i, t := range teams {
		ids[i] = t.ID
	}
	var rows []struct {
		TeamID int64
		TeamMember
	}
	err := db.WithContext(ctx).Raw(`SELECT tm.team_id, tm.agent_id, a.name, a.email, a.status, a.presence, tm.team_role, tm.created_at AS since
		FROM team_members tm JOIN agents a ON a.id = tm.agent_id WHERE tm.team_id IN ? ORDER BY tm.team_id, a.id`, ids).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("team members: %w", err)
	}
	for i := range teams {
		teams[i].Members = []TeamMember{}
		for _, r := range rows {
			if r.TeamID == teams[i].ID && (p.SeesTeamMembers(r.TeamID) || r.AgentID == p.AgentID) {
				teams[i].Members = append(teams[i].Members, r.TeamMember)
			}
		}
	}
	return nil
}

func teamWriteError(err error) error {
	if code, constraint := models.PGError(err); code == models.PGUniqueViolation && constraint == "teams_name_key" {
		return models.FieldError(models.EConflict, "name", "a team with this name already exists")
	}
	return fmt.Errorf("write team: %w", err)
}

// Create adds a team.
func (s TeamStore) Create(ctx context.Context, actor models.Principal, in TeamInput) (Team, error) {
	name, err := validTeamName(in.Name)
	if err != nil {
		return Team{}, err
	}
	if in.Strategy == "" {
		in.Strategy = models.StrategyRoundRobin
	}
	if err := validStrategy(in.Strategy); err != nil {
		return Team{}, err
	}
	t := Team{Name: name, Strategy: in.Strategy}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return teamWriteError(err)
		}
		return WriteAudit(ctx, tx, Audit(actor.AgentID, AuditTeamCreate, "team", t.ID,
			map[string]any{"name": t.Name, "strategy": t.Strategy}))
	})
	if err != nil {
		return Team{}, err
	}
	t.Members = []TeamMember{}
	return t, nil
}

// Update renames a team or changes its strategy.
func (s TeamStore) Update(ctx context.Context, actor models.Principal, id int64, in TeamPatch) (Team, error) {
	var out Team
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := s.get(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		updates := map[string]any{}
		details := map[string]any{}
		if in.Name != nil {
			name, err := validTeamName(*in.Name)
			if err != nil {
				return err
			}
			if name != t.Name {
				updates["name"], details["nameFrom"], details["nameTo"] = name, t.Name, name
			}
		}
		if in.Strategy != nil {
			if err := validStrategy(*in.Strategy); err != nil {
				return err
			}
			if *in.Strategy != t.Strategy {
				updates["strategy"], details["strategyFrom"], details["strategyTo"] = *in.Strategy, t.Strategy, *in.Strategy
			}
		}
		for _, ct := range []struct {
			field, col string
			in, cur    *int
			max        int
		}{{"caseExpiryHours", "case_expiry_hours", in.CaseExpiryHours, t.CaseExpiryHours, 8760},
			{"caseFollowUpHours", "case_follow_up_hours", in.CaseFollowUpHours, t.CaseFollowUpHours, 720}} {
			if ct.in == nil {
				continue
			}
			v, err := caseTiming(ct.field, *ct.in, ct.max)
			if err != nil {
				return err
			}
			if ct.cur == nil || *ct.cur != *ct.in {
				updates[ct.col], details[ct.field+"From"], details[ct.field+"To"] = v, ct.cur, v
			}
		}
		if len(updates) > 0 {
			updates["updated_at"] = time.Now().UTC()
			if err := tx.Model(&Team{}).Where("id = ?", id).Updates(updates).Error; err != nil {
				return teamWriteError(err)
			}
			if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditTeamUpdate, "team", id, details)); err != nil {
				return err
			}
		}
		out, err = s.get(ctx, tx, actor, id)
		return err
	})
	return out, err
}

// Delete removes a team and its memberships. Records of other areas that
// reference the team keep it alive (409) until they are moved.
func (s TeamStore) Delete(ctx context.Context, actor models.Principal, id int64) error {
	var ctl *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := s.get(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		var members []int64
		if err := tx.Raw("SELECT agent_id FROM team_members WHERE team_id = ? ORDER BY agent_id", id).Scan(&members).Error; err != nil {
			return fmt.Errorf("team %d members: %w", id, err)
		}
		if ctl, err = revalidateTx(ctx, tx, members...); err != nil {
			return err
		}
		if err := tx.Delete(&Team{}, id).Error; err != nil {
			if code, _ := models.PGError(err); code == models.PGForeignKeyViolation {
				return models.Errorf(models.EConflict, "team %q still has records (conversations, cases, senders); move them first", t.Name)
			}
			return fmt.Errorf("delete team %d: %w", id, err)
		}
		return WriteAudit(ctx, tx, Audit(actor.AgentID, AuditTeamDelete, "team", id,
			map[string]any{"name": t.Name, "members": len(t.Members)}))
	})
	if err == nil {
		publishControl(ctx, s.Events, s.Log, ctl)
	}
	return err
}

// SetMember adds an agent to a team or changes its team role.
func (s TeamStore) SetMember(ctx context.Context, actor models.Principal, teamID, agentID int64, teamRole string) (Team, error) {
	if teamRole == "" {
		teamRole = TeamRoleMember
	}
	if err := ValidTeamRole(teamRole); err != nil {
		return Team{}, err
	}
	if err := checkMemberChange(actor, teamID, agentID, teamRole); err != nil {
		return Team{}, err
	}
	var out Team
	var ctl *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.get(ctx, tx, actor, teamID); err != nil {
			return err
		}
		// Only agents the actor can see may be added: joining a team widens
		// what its leads see, so this must not become a way to reach anyone.
		var n int64
		if err := tx.Model(&Agent{}).Scopes(models.AgentScope(actor)).Where("agents.id = ?", agentID).Count(&n).Error; err != nil {
			return fmt.Errorf("find agent %d: %w", agentID, err)
		}
		if n == 0 {
			return models.Errorf(models.ENotFound, "agent %d not found", agentID)
		}
		err := tx.Exec(`INSERT INTO team_members (team_id, agent_id, team_role) VALUES (?, ?, ?)
			ON CONFLICT (team_id, agent_id) DO UPDATE SET team_role = EXCLUDED.team_role`, teamID, agentID, teamRole).Error
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditTeamMemberAdd, "team", teamID,
			map[string]any{"agentId": agentID, "teamRole": teamRole})); err != nil {
			return err
		}
		if ctl, err = revalidateTx(ctx, tx, agentID); err != nil {
			return err
		}
		out, err = s.get(ctx, tx, actor, teamID)
		return err
	})
	if err == nil {
		publishControl(ctx, s.Events, s.Log, ctl)
	}
	return out, err
}

// RemoveMember takes an agent out of a team.
func (s TeamStore) RemoveMember(ctx context.Context, actor models.Principal, teamID, agentID int64) error {
	var ctl *models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.get(ctx, tx, actor, teamID); err != nil {
			return err
		}
		res := tx.Exec("DELETE FROM team_members WHERE team_id = ? AND agent_id = ?", teamID, agentID)
		if res.Error != nil {
			return fmt.Errorf("remove member: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENotFound, "agent %d is not a member of team %d", agentID, teamID)
		}
		if err := WriteAudit(ctx, tx, Audit(actor.AgentID, AuditTeamMemberRemove, "team", teamID, map[string]any{"agentId": agentID})); err != nil {
			return err
		}
		var err error
		ctl, err = revalidateTx(ctx, tx, agentID)
		return err
	})
	if err == nil {
		publishControl(ctx, s.Events, s.Log, ctl)
	}
	return err
}
