package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
)

// Authenticator turns a bearer access token into a Principal. It must refuse
// tokens of disabled agents and revoked sessions.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (models.Principal, error)
}

// Public marks a route that needs no login (login, health, webhook). Such
// routes are listed explicitly so review sees them.
const Public = models.PermPublic

// ErrorBody is the JSON shape of every error response (see httpx).
type ErrorBody = httpx.ErrorBody

// RouteDecl records one route and the permission it requires, so a test can
// walk every route and fail on one that declares nothing.
type RouteDecl struct {
	Method, Path string
	Perm         models.Permission
}

// PrincipalOf returns the authenticated principal of the request.
func PrincipalOf(c *gin.Context) (models.Principal, bool) { return httpx.PrincipalOf(c) }

// handle registers a route with its permission beside it. Every route of the
// product goes through here (or through public for the explicit exceptions).
func (s *Server) handle(g gin.IRoutes, method, path string, perm models.Permission, h ...gin.HandlerFunc) {
	full := path
	if rg, ok := g.(*gin.RouterGroup); ok {
		full = strings.TrimSuffix(rg.BasePath(), "/") + path
	}
	s.routes = append(s.routes, RouteDecl{Method: method, Path: full, Perm: perm})
	chain := make([]gin.HandlerFunc, 0, len(h)+2)
	if perm != Public {
		chain = append(chain, s.require(perm))
		if method != http.MethodGet && !auditedInStore[method+" "+full] {
			chain = append(chain, s.auditWrites(method+" "+full)) // audit.go
		}
	}
	g.Handle(method, path, append(chain, h...)...)
}

// Routes lists every declared route.
func (s *Server) Routes() []RouteDecl { return s.routes }

// area is the httpx.Router an area package registers on: routes land in
// group g, recorded with their permission, behind the guards (such as "a
// database is configured") that every route of the area needs.
type area struct {
	s      *Server
	g      gin.IRoutes
	guards []gin.HandlerFunc
}

func (a area) Handle(method, path string, perm models.Permission, h ...gin.HandlerFunc) {
	a.s.handle(a.g, method, path, perm, slices.Concat(a.guards, h)...)
}

// require authenticates the bearer token and checks perm.
func (s *Server) require(perm models.Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.deps.Auth == nil {
			httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "authentication is not configured"))
			return
		}
		h := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EUnauthorized, "missing bearer token"))
			return
		}
		p, err := s.deps.Auth.Authenticate(c.Request.Context(), token)
		if err != nil {
			httpx.WriteError(c, s.deps.Logger, err)
			return
		}
		if !p.Can(perm) {
			httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EForbidden, "permission %s required", perm))
			return
		}
		httpx.SetPrincipal(c, p)
		c.Next()
	}
}
