package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func (s *Server) mountRoles(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/permissions", models.PermRolesRead, s.listPermissions)
	s.handle(v1, http.MethodGet, "/roles", models.PermRolesRead, s.listRoles)
	s.handle(v1, http.MethodPost, "/roles", models.PermRolesWrite, s.createRole)
	s.handle(v1, http.MethodGet, "/roles/:id", models.PermRolesRead, s.getRole)
	s.handle(v1, http.MethodPatch, "/roles/:id", models.PermRolesWrite, s.updateRole)
	s.handle(v1, http.MethodDelete, "/roles/:id", models.PermRolesDelete, s.deleteRole)
}

func (s *Server) roleStore() identity.RoleStore { return identity.RoleStore{DB: s.deps.DB} }

func (s *Server) listPermissions(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": models.PermissionCatalog()})
}

func (s *Server) listRoles(c *gin.Context) {
	roles, err := s.roleStore().List(c.Request.Context())
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": roles})
}

func (s *Server) createRole(c *gin.Context) {
	var in identity.RoleInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	r, err := s.roleStore().Create(c.Request.Context(), principal(c), in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

func (s *Server) getRole(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	r, err := s.roleStore().Get(c.Request.Context(), id)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) updateRole(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	var in identity.RolePatch
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	r, err := s.roleStore().Update(c.Request.Context(), principal(c), id, in)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) deleteRole(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	if err := s.roleStore().Delete(c.Request.Context(), principal(c), id); err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}
