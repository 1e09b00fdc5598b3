// Package access is the HTTP face of identity: login and sessions, the
// caller's own account, agents, roles, teams and the audit log.
package access

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/integrations"
)

// Deps are the stores and services the identity routes call.
type Deps struct {
	Log *slog.Logger
	// Tokens logs agents in, refreshes and ends sessions (nil: 503).
	Tokens *identity.Tokens
	Agents identity.AgentStore
	Roles  identity.RoleStore
	Teams  identity.TeamStore
	Audit  identity.AuditStore
	// Cases takes a disabled agent's open cases back to the pool.
	Cases cases.CaseDesk
	// APIKeys and Webhooks are the integrations with the business's systems.
	APIKeys  apikeys.APIKeyStore
	Webhooks integrations.Store
	// Cookies say how the browser's refresh-token cookie is set.
	Cookies SessionCookies
}

type handlers struct{ Deps }

// Mount registers auth, me, agents, roles, teams and audit routes.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	rt.JSON(http.MethodPost, "/auth/login", models.PermPublic, h.login)
	rt.JSON(http.MethodPost, "/auth/refresh", models.PermPublic, h.refresh)
	rt.JSON(http.MethodPost, "/auth/logout", models.PermProfileWrite, h.logout)
	rt.JSON(http.MethodPost, "/auth/logout-all", models.PermProfileWrite, h.logoutEverywhere)
	rt.JSON(http.MethodGet, "/me", models.PermProfileRead, h.me)
	rt.JSON(http.MethodPost, "/me/password", models.PermProfileWrite, h.changePassword)
	rt.JSON(http.MethodPost, "/me/totp", models.PermProfileWrite, h.enrollTOTP)
	rt.JSON(http.MethodPost, "/me/totp/confirm", models.PermProfileWrite, h.confirmTOTP)
	rt.JSON(http.MethodPut, "/me/presence", models.PermProfileWrite, h.setPresence)

	rt.JSON(http.MethodGet, "/agents", models.PermAgentsRead, h.listAgents)
	rt.JSON(http.MethodPost, "/agents", models.PermAgentsWrite, h.createAgent)
	rt.JSON(http.MethodGet, "/agents/:id", models.PermAgentsRead, h.getAgent)
	rt.JSON(http.MethodPatch, "/agents/:id", models.PermAgentsWrite, h.updateAgent)
	rt.JSON(http.MethodPost, "/agents/:id/disable", models.PermAgentsDelete, h.setAgentStatus(models.AgentDisabled))
	rt.JSON(http.MethodPost, "/agents/:id/enable", models.PermAgentsDelete, h.setAgentStatus(models.AgentActive))
	rt.JSON(http.MethodPost, "/agents/:id/password", models.PermAgentsWrite, h.resetPassword)
	rt.JSON(http.MethodPost, "/agents/:id/totp/reset", models.PermAgentsWrite, h.resetTOTP)

	rt.JSON(http.MethodGet, "/permissions", models.PermRolesRead, h.listPermissions)
	rt.JSON(http.MethodGet, "/roles", models.PermRolesRead, h.listRoles)
	rt.JSON(http.MethodPost, "/roles", models.PermRolesWrite, h.createRole)
	rt.JSON(http.MethodGet, "/roles/:id", models.PermRolesRead, h.getRole)
	rt.JSON(http.MethodPatch, "/roles/:id", models.PermRolesWrite, h.updateRole)
	rt.JSON(http.MethodDelete, "/roles/:id", models.PermRolesDelete, h.deleteRole)
	rt.JSON(http.MethodPut, "/roles/:id/totp", models.PermRolesWrite, h.setRoleTOTP)

	rt.JSON(http.MethodGet, "/teams", models.PermTeamsRead, h.listTeams)
	rt.JSON(http.MethodPost, "/teams", models.PermTeamsWrite, h.createTeam)
	rt.JSON(http.MethodGet, "/teams/:id", models.PermTeamsRead, h.getTeam)
	rt.JSON(http.MethodPatch, "/teams/:id", models.PermTeamsWrite, h.updateTeam)
	rt.JSON(http.MethodDelete, "/teams/:id", models.PermTeamsDelete, h.deleteTeam)
	rt.JSON(http.MethodPut, "/teams/:id/members/:agentId", models.PermTeamsWrite, h.setTeamMember)
	rt.JSON(http.MethodDelete, "/teams/:id/members/:agentId", models.PermTeamsWrite, h.removeTeamMember)

	rt.JSON(http.MethodGet, "/audit", models.PermAuditRead, h.listAudit)

	mountIntegrations(rt, h)
}

func (h handlers) tokens() (*identity.Tokens, error) {
	if h.Tokens == nil {
		return nil, models.Errorf(models.EUnavailable, "authentication is not configured")
	}
	return h.Tokens, nil
}

type meBody struct {
	Agent             identity.Agent      `json:"agent"`
	Permissions       []models.Permission `json:"permissions"`
	AllScope          bool                `json:"allScope"`
	TeamIDs           []int64             `json:"teamIds"`
	SupervisedTeamIDs []int64             `json:"supervisedTeamIds"`
}

func (h handlers) me(c *gin.Context) (int, any, error) {
	p := httpx.Principal(c)
	a, err := h.Agents.Get(c.Request.Context(), p, p.AgentID)
	return http.StatusOK, meBody{Agent: a, Permissions: p.Permissions, AllScope: p.AllScope,
		TeamIDs: p.TeamIDs, SupervisedTeamIDs: p.SupervisedTeamIDs}, err
}

func (h handlers) setPresence(c *gin.Context) (int, any, error) {
	var in struct {
		Presence string `json:"presence"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	a, err := h.Agents.SetPresence(c.Request.Context(), httpx.Principal(c), in.Presence)
	return http.StatusOK, a, err
}

// listAudit filters by actorId, action, entity, entityId, from, to (RFC 3339), limit, offset.
func (h handlers) listAudit(c *gin.Context) (int, any, error) {
	f := identity.AuditFilter{Action: c.Query("action"), Entity: c.Query("entity")}
	var err error
	if f.Page, err = httpx.PageQuery(c); err == nil {
		if f.ActorID, err = httpx.QueryInt64(c, "actorId"); err == nil {
			if f.EntityID, err = httpx.QueryInt64(c, "entityId"); err == nil {
				if f.From, err = httpx.QueryTime(c, "from"); err == nil {
					f.To, err = httpx.QueryTime(c, "to")
				}
			}
		}
	}
	if err != nil {
		return 0, nil, err
	}
	items, n, err := h.Audit.List(c.Request.Context(), f)
	return http.StatusOK, httpx.ListCounted(items, n, f.Page.Normal()), err
}
