package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// List returns the agents p may see that match f, and their total count.
func (s AgentStore) List(ctx context.Context, p models.Principal, f AgentFilter) ([]Agent, int64, error) {
	q := s.DB.WithContext(ctx).Model(&Agent{}).Scopes(models.AgentScope(p))
	if f.Status != "" {
		if f.Status != models.AgentActive && f.Status != models.AgentDisabled {
			return nil, 0, models.FieldError(models.EInvalid, "status", "status must be active or disabled")
		}
		q = q.Where("agents.status = ?", f.Status)
	}
	if f.Presence != "" {
		if validPresence("presence", f.Presence) != nil {
			return nil, 0, models.FieldError(models.EInvalid, "presence", "presence must be online, away or offline")
		}
		q = q.Where("agents.presence = ?", f.Presence)
	}
	if f.RoleID != 0 {
		q = q.Where("agents.role_id = ?", f.RoleID)
	}
	if f.TeamID != 0 {
		q = q.Where("agents.id IN (SELECT agent_id FROM team_members WHERE team_id = ?)", f.TeamID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count agents: %w", err)
	}
	pg := f.Page.Normal()
	out := []Agent{}
	if err := q.Order("agents.id").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list agents: %w", err)
	}
	if err := decorateAgents(ctx, s.DB, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Sees reports whether agent id exists within p's data scope.
func (s AgentStore) Sees(ctx context.Context, p models.Principal, id int64) (bool, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Agent{}).Scopes(models.AgentScope(p)).Where("agents.id = ?", id).Count(&n).Error
	return n > 0, err
}

// Get returns one agent if p may see it; 404 otherwise, so an agent cannot
// probe which ids exist.
func (s AgentStore) Get(ctx context.Context, p models.Principal, id int64) (Agent, error) {
	var a Agent
	err := s.DB.WithContext(ctx).Scopes(models.AgentScope(p)).First(&a, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, models.Errorf(models.ENotFound, "agent %d not found", id)
	}
	if err != nil {
		return a, fmt.Errorf("get agent %d: %w", id, err)
	}
	return s.get(ctx, s.DB, id)
}

func (AgentStore) get(ctx context.Context, db *gorm.DB, id int64) (Agent, error) {
	var a Agent
	err := db.WithContext(ctx).First(&a, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, models.Errorf(models.ENotFound, "agent %d not found", id)
	}
	if err != nil {
		return a, fmt.Errorf("get agent %d: %w", id, err)
	}
	list := []Agent{a}
	if err := decorateAgents(ctx, db, list); err != nil {
		return a, err
	}
	return list[0], nil
}

// decorateAgents fills role names and team memberships with two queries.
func decorateAgents(ctx context.Context, db *gorm.DB, agents []Agent) error {
	if len(agents) == 0 {
		return nil
	}
	ids := make([]int64, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	var roles []struct {
		AgentID int64
		Name    string
	}
	if err := db.WithContext(ctx).Raw("SELECT a.id AS agent_id, r.name FROM agents a JOIN roles r ON r.id = a.role_id WHERE a.id IN ?", ids).
		Scan(&roles).Error; err != nil {
		return fmt.Errorf("agent roles: %w", err)
	}
	var teams []struct {
		AgentID  int64
		ID       int64
		Name     string
		TeamRole string
	}
	if err := db.WithContext(ctx).Raw(`SELECT tm.agent_id, t.id, t.name, tm.team_role FROM team_members tm
		JOIN teams t ON t.id = tm.team_id WHERE tm.agent_id IN ? ORDER BY t.id`, ids).Scan(&teams).Error; err != nil {
		return fmt.Errorf("agent teams: %w", err)
	}
	for i := range agents {
		agents[i].Teams = []AgentTeam{}
		for _, r := range roles {
			if r.AgentID == agents[i].ID {
				agents[i].RoleName = r.Name
			}
		}
		for _, t := range teams {
			if t.AgentID == agents[i].ID {
				agents[i].Teams = append(agents[i].Teams, AgentTeam{ID: t.ID, Name: t.Name, TeamRole: t.TeamRole})
			}
		}
	}
	return nil
}
