package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func (s *Server) mountAgents(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/agents", models.PermAgentsRead, s.listAgents)
	s.handle(v1, http.MethodPost, "/agents", models.PermAgentsWrite, s.createAgent)
	s.handle(v1, http.MethodGet, "/agents/:id", models.PermAgentsRead, s.getAgent)
	s.handle(v1, http.MethodPatch, "/agents/:id", models.PermAgentsWrite, s.updateAgent)
	s.handle(v1, http.MethodPost, "/agents/:id/disable", models.PermAgentsDelete, s.setAgentStatus(models.AgentDisabled))
	s.handle(v1, http.MethodPost, "/agents/:id/enable", models.PermAgentsDelete, s.setAgentStatus(models.AgentActive))
	s.handle(v1, http.MethodPost, "/agents/:id/password", models.PermAgentsWrite, s.resetPassword)
}

func (s *Server) listAgents(c *gin.Context) {
	page, err := pageQuery(c)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	f := identity.AgentFilter{Status: c.Query("status"), Presence: c.Query("presence"), Page: page}
	if f.RoleID, err = queryInt64(c, "roleId"); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if f.TeamID, err = queryInt64(c, "teamId"); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	items, total, err := s.agentStore().List(c.Request.Context(), principal(c), f)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, page))
}

func (s *Server) createAgent(c *gin.Context) {
	var in identity.AgentInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	a, err := s.agentStore().Create(c.Request.Context(), principal(c), in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, a)
}

func (s *Server) getAgent(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	a, err := s.agentStore().Get(c.Request.Context(), principal(c), id)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) updateAgent(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	var in identity.AgentPatch
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	a, err := s.agentStore().Update(c.Request.Context(), principal(c), id, in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) setAgentStatus(status string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id")
		if err != nil {
			WriteError(c, s.deps.Logger, err)
			return
		}
		a, err := s.agentStore().SetStatus(c.Request.Context(), principal(c), id, status)
		if err != nil {
			WriteError(c, s.deps.Logger, err)
			return
		}
		if status == models.AgentDisabled && s.deps.Cases != nil {
			// A disabled agent's open cases go back to the pool and to others.
			if _, err := s.deps.Cases.Redistribute(c.Request.Context(), 0, id, principal(c).AgentID); err != nil {
				s.deps.Logger.ErrorContext(c.Request.Context(), "redistribute cases of disabled agent", "agent", id, "err", err)
			}
		}
		c.JSON(http.StatusOK, a)
	}
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (s *Server) resetPassword(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	var in passwordRequest
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if err := s.agentStore().ResetPassword(c.Request.Context(), principal(c), id, in.Password); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}
