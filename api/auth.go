package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// mountIdentity registers auth, me, agents, roles, teams and audit routes.
func (s *Server) mountIdentity(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodPost, "/auth/login", Public, s.login)
	s.handle(v1, http.MethodPost, "/auth/refresh", Public, s.refresh)
	s.handle(v1, http.MethodPost, "/auth/logout", models.PermProfileWrite, s.logout)
	s.handle(v1, http.MethodGet, "/me", models.PermProfileRead, s.me)
	s.handle(v1, http.MethodPut, "/me/presence", models.PermProfileWrite, s.setPresence)
	s.mountAgents(v1)
	s.mountRoles(v1)
	s.mountTeams(v1)
	s.mountAudit(v1)
}

func (s *Server) agentStore() identity.AgentStore {
	return identity.AgentStore{DB: s.deps.DB, Events: s.deps.Events, Log: s.deps.Logger, Hasher: s.deps.Hasher}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(c *gin.Context) {
	var in loginRequest
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if s.deps.Tokens == nil {
		WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "authentication is not configured"))
		return
	}
	out, err := s.deps.Tokens.Login(c.Request.Context(), in.Email, in.Password,
		identity.ClientMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (s *Server) refresh(c *gin.Context) {
	var in refreshRequest
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if s.deps.Tokens == nil {
		WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "authentication is not configured"))
		return
	}
	out, err := s.deps.Tokens.Refresh(c.Request.Context(), in.RefreshToken)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) logout(c *gin.Context) {
	if s.deps.Tokens == nil {
		WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "authentication is not configured"))
		return
	}
	if err := s.deps.Tokens.Logout(c.Request.Context(), principal(c)); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type meBody struct {
	Agent             identity.Agent      `json:"agent"`
	Permissions       []models.Permission `json:"permissions"`
	AllScope          bool                `json:"allScope"`
	TeamIDs           []int64             `json:"teamIds"`
	SupervisedTeamIDs []int64             `json:"supervisedTeamIds"`
}

func (s *Server) me(c *gin.Context) {
	p := principal(c)
	a, err := s.agentStore().Get(c.Request.Context(), p, p.AgentID)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, meBody{Agent: a, Permissions: p.Permissions, AllScope: p.AllScope,
		TeamIDs: p.TeamIDs, SupervisedTeamIDs: p.SupervisedTeamIDs})
}

type presenceRequest struct {
	Presence string `json:"presence"`
}

func (s *Server) setPresence(c *gin.Context) {
	var in presenceRequest
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	a, err := s.agentStore().SetPresence(c.Request.Context(), principal(c), in.Presence)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, a)
}
