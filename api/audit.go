package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models/identity"
)

// Every state-changing route is audited: who, what, on which object, with
// the request's fields (secrets masked) as what it asked to become. Stores
// that audit inside their own transaction (with before/after where it
// matters: logins, agents, roles, teams, case transitions, assignments,
// contact deletion, imports) are listed in auditedInStore and skipped here;
// every other write gets its row from auditWrites once it succeeded. That
// row is written just after the change commits, not in its transaction: a
// crash between the two loses the row (the in-store audits cannot).
var auditedInStore = map[string]bool{
	"POST /api/v1/auth/login": true, "POST /api/v1/auth/refresh": true, "POST /api/v1/auth/logout": true, "POST /api/v1/auth/logout-all": true,
	"POST /api/v1/me/password": true, "POST /api/v1/me/totp": true, "POST /api/v1/me/totp/confirm": true,
	"POST /api/v1/agents": true, "PATCH /api/v1/agents/:id": true, "POST /api/v1/agents/:id/disable": true, "POST /api/v1/agents/:id/enable": true,
	"POST /api/v1/agents/:id/password": true, "POST /api/v1/agents/:id/totp/reset": true,
	"POST /api/v1/roles": true, "PATCH /api/v1/roles/:id": true, "DELETE /api/v1/roles/:id": true, "PUT /api/v1/roles/:id/totp": true,
	"POST /api/v1/teams": true, "PATCH /api/v1/teams/:id": true, "DELETE /api/v1/teams/:id": true,
	"PUT /api/v1/teams/:id/members/:agentId": true, "DELETE /api/v1/teams/:id/members/:agentId": true,
	"POST /api/v1/cases": true, "POST /api/v1/cases/:id/assign": true, "POST /api/v1/cases/:id/claim": true, "POST /api/v1/cases/:id/recall": true,
	"POST /api/v1/cases/:id/transfer": true, "POST /api/v1/cases/:id/close": true, "POST /api/v1/cases/:id/outcome": true,
	"DELETE /api/v1/contacts/:id": true, "POST /api/v1/intake": true,
	"POST /api/v1/conversations/:id/assign": true, "POST /api/v1/conversations/:id/take": true, "POST /api/v1/conversations/:id/transfer": true,
	"POST /api/v1/api-keys": true, "POST /api/v1/api-keys/:id/revoke": true,
	"POST /api/v1/webhooks": true, "PATCH /api/v1/webhooks/:id": true, "DELETE /api/v1/webhooks/:id": true,
	"POST /api/v1/webhook-deliveries/:id/replay": true,
	// An import's Start audits intake.create in its own transaction (a dry
	// run changes nothing).
	"POST /api/v1/intake/files": true,
	// Messages and notes are their own record (author, time, text): an audit
	// row would copy every customer conversation into the audit log and add
	// a write to each send.
	"POST /api/v1/conversations": true, "POST /api/v1/conversations/:id/messages": true,
	"POST /api/v1/conversations/:id/notes": true, "POST /api/v1/conversations/:id/media": true,
	// Not changes of the business's data: what an agent reads or signals.
	"POST /api/v1/conversations/:id/read": true, "POST /api/v1/conversations/:id/typing": true, "PUT /api/v1/me/presence": true,
	"POST /api/v1/templates/:id/render": true, "POST /api/v1/templates/:id/preview": true,
}

// auditBodyMax bounds the request copy kept in an audit row.
const auditBodyMax = 8 << 10

// secretFields are masked in audited request bodies.
var secretFields = []string{"password", "secret", "token", "code", "otp", "recovery"}

// auditWrites records a successful write of route key (METHOD path).
func (s *Server) auditWrites(key string) gin.HandlerFunc {
	method, path, _ := strings.Cut(key, " ")
	entity, action := auditName(method, path)
	return func(c *gin.Context) {
		var kept bytes.Buffer
		if strings.HasPrefix(c.ContentType(), "application/json") && c.Request.Body != nil {
			c.Request.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(c.Request.Body, &limitedBuffer{buf: &kept, max: auditBodyMax}), c.Request.Body}
		}
		c.Next()
		status := c.Writer.Status()
		if status >= 400 || s.deps.Stores == nil {
			return
		}
		p, ok := PrincipalOf(c)
		if !ok {
			return
		}
		details := map[string]any{"route": key, "status": status, "requestId": httpx.RequestID(c)}
		if p.APIKeyID != 0 {
			details["apiKeyId"] = p.APIKeyID // a business system, no person (actor null)
		}
		var id int64
		params := map[string]string{}
		for _, prm := range c.Params {
			params[prm.Key] = prm.Value
			if prm.Key == "id" {
				id, _ = strconv.ParseInt(prm.Value, 10, 64)
			}
		}
		if len(params) > 0 {
			details["params"] = params
		}
		if kept.Len() > 0 && kept.Len() < auditBodyMax {
			var body any
			if json.Unmarshal(kept.Bytes(), &body) == nil {
				details["request"] = maskSecrets(body)
			}
		}
		if id == 0 && status == http.StatusCreated {
			details["created"] = true
		}
		// The change is done: its audit must not depend on the client staying.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
		defer cancel()
		if err := identity.WriteAudit(ctx, s.deps.Stores.Audit.DB, identity.Audit(p.AgentID, entity+"."+action, entity, id, details)); err != nil {
			s.deps.Logger.ErrorContext(ctx, "audit row not written", "route", key, "err", err)
		}
	}
}

// auditName names a route's audit row: entity from the first segment after
// /api/v1 (singular), action from the method and the last segment.
func auditName(method, path string) (entity, action string) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v1"), "/"), "/")
	entity = strings.TrimSuffix(strings.ReplaceAll(segs[0], "-", "_"), "s")
	switch segs[0] {
	case "intake":
		entity = "intake_job"
	case "me":
		entity = "agent"
	}
	last := segs[len(segs)-1]
	switch {
	case method == http.MethodPost && (len(segs) == 1 || strings.HasPrefix(last, ":")):
		action = "create"
	case method == http.MethodPatch:
		action = "update"
	case method == http.MethodDelete && len(segs) <= 2:
		action = "delete"
	case method == http.MethodDelete:
		action = strings.TrimSuffix(segs[len(segs)-2], "s") + "_remove"
	case strings.HasPrefix(last, ":"):
		action = strings.TrimSuffix(segs[len(segs)-2], "s") + "_set"
	default:
		action = strings.ReplaceAll(last, "-", "_")
		if method == http.MethodPut {
			action += "_set"
		}
	}
	return entity, action
}

// maskSecrets replaces the values of secret-looking keys.
func maskSecrets(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			lk := strings.ToLower(k)
			secret := false
			for _, f := range secretFields {
				if strings.Contains(lk, f) {
					secret = true
				}
			}
			if secret {
				x[k] = "***"
			} else {
				x[k] = maskSecrets(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = maskSecrets(x[i])
		}
	}
	return v
}

// limitedBuffer keeps at most max bytes (and one more, to tell it was cut).
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
