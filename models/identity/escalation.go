package identity

import (
	"context"
	"log/slog"
	"slices"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// The rules that keep a role or team change from widening the changer's own
// access (roles:write and teams:write holders are not Admins). Roles: CanGrant
// (every permission held, a data scope no wider than the actor's). Teams:
// checkMemberChange below. Agents: nobody changes their own role (Update).

// checkMemberChange refuses a team membership change that would widen what
// the actor sees: changing its own membership or team role (joining a team
// widens a teams-scoped role; lead widens any role), or appointing a lead of
// a team the actor does not already supervise. Admin-like principals see
// every record, so nothing widens for them.
func checkMemberChange(actor models.Principal, teamID, agentID int64, teamRole string) error {
	if actor.AllScope {
		return nil
	}
	if agentID == actor.AgentID {
		return models.Errorf(models.EForbidden, "you cannot change your own team membership")
	}
	if teamRole == TeamRoleLead && !slices.Contains(actor.SupervisedTeamIDs, teamID) {
		return models.Errorf(models.EForbidden, "only a supervisor of team %d may appoint its lead", teamID)
	}
	return nil
}

// checkTeamIDs refuses team ids the actor may not see the members of
// (answered as not found: no oracle of other teams' ids).
func checkTeamIDs(actor models.Principal, teamIDs []int64) error {
	for _, tid := range teamIDs {
		if !actor.SeesTeamMembers(tid) {
			return &models.Error{Code: models.EUnprocessable, Field: "teamIds", Message: "team does not exist", Details: map[string]any{"teamId": tid}}
		}
	}
	return nil
}

// revalidateTx appends the control event that makes the realtime gateway
// re-check the agents' sockets now (logout, role or team change), on the
// caller's transaction. Nil for no agents.
func revalidateTx(ctx context.Context, tx *gorm.DB, agentIDs ...int64) (*models.Event, error) {
	if len(agentIDs) == 0 {
		return nil, nil
	}
	e, err := models.NewEvent(models.EventAgentRevalidate, models.Audience{AgentIDs: agentIDs}, map[string]any{"agentIds": agentIDs})
	if err != nil {
		return nil, err
	}
	if err := (models.EventStore{}).Append(ctx, tx, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// roleHolders lists the agents holding a role.
func roleHolders(ctx context.Context, tx *gorm.DB, roleID int64) ([]int64, error) {
	var ids []int64
	err := tx.WithContext(ctx).Raw("SELECT id FROM agents WHERE role_id = ? ORDER BY id", roleID).Scan(&ids).Error
	return ids, err
}

// publishControl pushes a committed control event (nil is nothing).
func publishControl(ctx context.Context, pub models.EventPublisher, log *slog.Logger, e *models.Event) {
	if e != nil {
		models.PublishCommitted(ctx, pub, log, "revalidate", *e)
	}
}
