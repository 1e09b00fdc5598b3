package httpx

import (
	"log/slog"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// Handler is the shape of every JSON handler: bind, call one domain
// function, return. Wrap writes the answer, so the status codes, bodies and
// error shapes of all routes come from one place. A nil body answers the
// status alone (204 and friends).
type Handler func(c *gin.Context) (status int, body any, err error)

// Wrap turns a Handler into a gin handler that writes its JSON or, on
// error, the mapped error response.
func Wrap(log *slog.Logger, h Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := h(c)
		switch {
		case err != nil:
			WriteError(c, log, err)
		case body == nil:
			c.Status(status)
		default:
			c.JSON(status, body)
		}
	}
}

// Router registers one route behind the permission it requires
// (models.PermPublic: no login). The api package implements it, so each area
// declares its routes without importing the server.
type Router interface {
	Handle(method, path string, perm models.Permission, h ...gin.HandlerFunc)
}

// Routes registers an area's routes with its logger: JSON routes as
// Handlers, streaming routes (CSV/XLSX exports, file downloads) as plain
// gin handlers that write the response themselves.
type Routes struct {
	Router Router
	Log    *slog.Logger
}

// JSON registers a Handler after optional guards (such as Need).
func (r Routes) JSON(method, path string, perm models.Permission, h Handler, guards ...gin.HandlerFunc) {
	r.Router.Handle(method, path, perm, slices.Concat(guards, []gin.HandlerFunc{Wrap(r.Log, h)})...)
}

// Stream registers a handler that writes its own response.
func (r Routes) Stream(method, path string, perm models.Permission, h gin.HandlerFunc, guards ...gin.HandlerFunc) {
	r.Router.Handle(method, path, perm, slices.Concat(guards, []gin.HandlerFunc{h})...)
}

// Need answers 503 with msg when a dependency is missing (ok false), so a
// role that runs without it says why instead of failing later.
func Need(log *slog.Logger, ok bool, msg string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !ok {
			WriteError(c, log, models.Errorf(models.EUnavailable, "%s", msg))
			return
		}
		c.Next()
	}
}

const (
	principalKey = "principal"
	requestIDKey = "request_id"
)

// SetPrincipal records the authenticated principal of the request.
func SetPrincipal(c *gin.Context, p models.Principal) { c.Set(principalKey, p) }

// PrincipalOf returns the authenticated principal of the request.
func PrincipalOf(c *gin.Context) (models.Principal, bool) {
	v, ok := c.Get(principalKey)
	if !ok {
		return models.Principal{}, false
	}
	p, ok := v.(models.Principal)
	return p, ok
}

// Principal returns the request's principal; the api's auth middleware
// guarantees it on every protected route.
func Principal(c *gin.Context) models.Principal {
	p, _ := PrincipalOf(c)
	return p
}

// SetRequestID records the request's id (the api's request id middleware).
func SetRequestID(c *gin.Context, id string) { c.Set(requestIDKey, id) }

// RequestID returns the id of the request.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }
