package access

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func (h handlers) listAgents(c *gin.Context) (int, any, error) {
	page, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	f := identity.AgentFilter{Status: c.Query("status"), Presence: c.Query("presence"), Page: page}
	if f.RoleID, err = httpx.QueryInt64(c, "roleId"); err != nil {
		return 0, nil, err
	}
	if f.TeamID, err = httpx.QueryInt64(c, "teamId"); err != nil {
		return 0, nil, err
	}
	items, total, err := h.Agents.List(c.Request.Context(), httpx.Principal(c), f)
	return http.StatusOK, httpx.List(items, total, page), err
}

func (h handlers) createAgent(c *gin.Context) (int, any, error) {
	var in identity.AgentInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	a, err := h.Agents.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, a, err
}

func (h handlers) getAgent(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	a, err := h.Agents.Get(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, a, err
}

func (h handlers) updateAgent(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in identity.AgentPatch
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	a, err := h.Agents.Update(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, a, err
}

func (h handlers) setAgentStatus(status string) httpx.Handler {
	return func(c *gin.Context) (int, any, error) {
		id, err := httpx.IDParam(c, "id")
		if err != nil {
			return 0, nil, err
		}
		a, err := h.Cases.SetAgentStatus(c.Request.Context(), httpx.Principal(c), id, status)
		return http.StatusOK, a, err
	}
}

func (h handlers) resetPassword(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Agents.ResetPassword(c.Request.Context(), httpx.Principal(c), id, in.Password)
}

func (h handlers) listPermissions(*gin.Context) (int, any, error) {
	return http.StatusOK, gin.H{"items": models.PermissionCatalog()}, nil
}

func (h handlers) listRoles(c *gin.Context) (int, any, error) {
	roles, err := h.Roles.List(c.Request.Context())
	return http.StatusOK, gin.H{"items": roles}, err
}

func (h handlers) createRole(c *gin.Context) (int, any, error) {
	var in identity.RoleInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	r, err := h.Roles.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, r, err
}

func (h handlers) getRole(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	r, err := h.Roles.Get(c.Request.Context(), id)
	return http.StatusOK, r, err
}

func (h handlers) updateRole(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in identity.RolePatch
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	r, err := h.Roles.Update(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, r, err
}

func (h handlers) deleteRole(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Roles.Delete(c.Request.Context(), httpx.Principal(c), id)
}

func (h handlers) listTeams(c *gin.Context) (int, any, error) {
	teams, err := h.Teams.List(c.Request.Context(), httpx.Principal(c))
	return http.StatusOK, gin.H{"items": teams}, err
}

func (h handlers) createTeam(c *gin.Context) (int, any, error) {
	var in identity.TeamInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.Teams.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, t, err
}

func (h handlers) getTeam(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	t, err := h.Teams.Get(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, t, err
}

func (h handlers) updateTeam(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in identity.TeamPatch
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.Teams.Update(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, t, err
}

func (h handlers) deleteTeam(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Teams.Delete(c.Request.Context(), httpx.Principal(c), id)
}

// teamMember reads the team and agent ids of a membership route.
func teamMember(c *gin.Context) (teamID, agentID int64, err error) {
	if teamID, err = httpx.IDParam(c, "id"); err == nil {
		agentID, err = httpx.IDParam(c, "agentId")
	}
	return teamID, agentID, err
}

func (h handlers) setTeamMember(c *gin.Context) (int, any, error) {
	teamID, agentID, err := teamMember(c)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		TeamRole string `json:"teamRole"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.Teams.SetMember(c.Request.Context(), httpx.Principal(c), teamID, agentID, in.TeamRole)
	return http.StatusOK, t, err
}

func (h handlers) removeTeamMember(c *gin.Context) (int, any, error) {
	teamID, agentID, err := teamMember(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Teams.RemoveMember(c.Request.Context(), httpx.Principal(c), teamID, agentID)
}
