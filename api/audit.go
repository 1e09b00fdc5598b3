package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func (s *Server) mountAudit(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/audit", models.PermAuditRead, s.listAudit)
}

// listAudit filters by actorId, action, entity, entityId, from, to (RFC 3339), limit, offset.
func (s *Server) listAudit(c *gin.Context) {
	f := identity.AuditFilter{Action: c.Query("action"), Entity: c.Query("entity")}
	var err error
	if f.Page, err = pageQuery(c); err == nil {
		if f.ActorID, err = queryInt64(c, "actorId"); err == nil {
			if f.EntityID, err = queryInt64(c, "entityId"); err == nil {
				if f.From, err = queryTime(c, "from"); err == nil {
					f.To, err = queryTime(c, "to")
				}
			}
		}
	}
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	items, total, err := identity.AuditStore{DB: s.deps.DB}.List(c.Request.Context(), f)
	if err != nil {
		WriteError(c, s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, f.Page))
}
