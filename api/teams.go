package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func (s *Server) mountTeams(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/teams", models.PermTeamsRead, s.listTeams)
	s.handle(v1, http.MethodPost, "/teams", models.PermTeamsWrite, s.createTeam)
	s.handle(v1, http.MethodGet, "/teams/:id", models.PermTeamsRead, s.getTeam)
	s.handle(v1, http.MethodPatch, "/teams/:id", models.PermTeamsWrite, s.updateTeam)
	s.handle(v1, http.MethodDelete, "/teams/:id", models.PermTeamsDelete, s.deleteTeam)
	s.handle(v1, http.MethodPut, "/teams/:id/members/:agentId", models.PermTeamsWrite, s.setTeamMember)
	s.handle(v1, http.MethodDelete, "/teams/:id/members/:agentId", models.PermTeamsWrite, s.removeTeamMember)
}

func (s *Server) teamStore() identity.TeamStore { return identity.TeamStore{DB: s.deps.DB} }

func (s *Server) listTeams(c *gin.Context) {
	teams, err := s.teamStore().List(c.Request.Context(), principal(c))
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": teams})
}

func (s *Server) createTeam(c *gin.Context) {
	var in identity.TeamInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	t, err := s.teamStore().Create(c.Request.Context(), principal(c), in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (s *Server) getTeam(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	t, err := s.teamStore().Get(c.Request.Context(), principal(c), id)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *Server) updateTeam(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	var in identity.TeamPatch
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	t, err := s.teamStore().Update(c.Request.Context(), principal(c), id, in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *Server) deleteTeam(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if err := s.teamStore().Delete(c.Request.Context(), principal(c), id); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type memberRequest struct {
	TeamRole string `json:"teamRole"`
}

func (s *Server) setTeamMember(c *gin.Context) {
	teamID, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	agentID, err := idParam(c, "agentId")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	var in memberRequest
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	t, err := s.teamStore().SetMember(c.Request.Context(), principal(c), teamID, agentID, in.TeamRole)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *Server) removeTeamMember(c *gin.Context) {
	teamID, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	agentID, err := idParam(c, "agentId")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if err := s.teamStore().RemoveMember(c.Request.Context(), principal(c), teamID, agentID); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}
