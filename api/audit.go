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
	// SLA policies: before and after in the policy's transaction (models/sla).
	"PUT /api/v1/teams/:id/sla": true, "DELETE /api/v1/teams/:id/sla": true,
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
	snap := auditSnapshotSQL(entity)
	return func(c *gin.Context) {
		id := int64(0)
		if v := c.Param("id"); v != "" {
			id, _ = strconv.ParseInt(v, 10, 64)
		}
		var before map[string]any
		if snap != "" && s.deps.Stores != nil {
			before = s.snapshot(c.Request.Context(), snap, id)
		}
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
		params := map[string]string{}
		for _, prm := range c.Params {
			params[prm.Key] = prm.Value
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
		if before != nil {
			b, a := changed(before, s.snapshot(ctx, snap, id))
			details["before"], details["after"] = b, a
		}
		if err := identity.WriteAudit(ctx, s.deps.Stores.Audit.DB, identity.Audit(p.AgentID, entity+"."+action, entity, id, details)); err != nil {
			s.deps.Logger.ErrorContext(ctx, "audit row not written", "route", key, "err", err)
		}
	}
}

// auditSnapshotSQL reads the record a middleware-audited route of entity
// changes, as one JSON object, so its row can say what changed from what
// (before/after of the changed fields). "" for entities without one (their
// request body is what the row keeps). A number's snapshot carries its
// allocations and the rate card is one record: those are what their routes
// change. The reads are outside the change's transaction: a concurrent
// change of the same record can show in the pair.
func auditSnapshotSQL(entity string) string {
	switch entity {
	case "sender":
		return `SELECT to_jsonb(t) || jsonb_build_object('allocations', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
			'teamId', a.team_id, 'agentId', a.agent_id, 'role', a.role) ORDER BY a.id), '[]') FROM sender_allocations a WHERE a.sender_id = t.id))
			FROM senders t WHERE t.id = @id`
	case "report":
		return `SELECT jsonb_build_object('rateCard', (SELECT COALESCE(jsonb_agg(to_jsonb(r) - 'updated_at' ORDER BY r.market, r.category), '[]') FROM rate_card r),
			'prefixes', (SELECT COALESCE(jsonb_agg(to_jsonb(p) ORDER BY p.prefix), '[]') FROM rate_card_prefixes p))`
	}
	if table, ok := map[string]string{"template": "templates", "campaign": "campaigns", "journey": "journeys", "contact": "contacts", "segment": "segments",
		"canned_response": "canned_responses", "conversation": "conversations", "intake_job": "intake_jobs"}[entity]; ok {
		return `SELECT to_jsonb(t) FROM ` + table + ` t WHERE t.id = @id`
	}
	return ""
}

// snapshot runs a snapshot query; nil when there is nothing to read (no
// such record: a create, or after a delete, reads as an empty object).
func (s *Server) snapshot(ctx context.Context, sql string, id int64) map[string]any {
	var args []any
	if strings.Contains(sql, "@id") {
		args = append(args, map[string]any{"id": id})
	}
	var raw []byte
	if err := s.deps.Stores.Audit.DB.WithContext(ctx).Raw(sql, args...).Row().Scan(&raw); err != nil || len(raw) == 0 {
		return map[string]any{}
	}
	out := map[string]any{}
	if json.Unmarshal(raw, &out) != nil {
		return map[string]any{}
	}
	return out
}

// auditValueMax bounds one field's value in a before/after pair; a longer
// one is named by its size (the record itself is the full copy).
const auditValueMax = 1 << 10

// changed returns the fields that differ between two snapshots, each side
// holding its value (a field absent on one side is absent there: a create
// has no before, a delete no after). Bookkeeping times are left out; secret
// looking fields are masked; status is always kept (below).
func changed(before, after map[string]any) (map[string]any, map[string]any) {
	b, a := map[string]any{}, map[string]any{}
	for _, side := range []map[string]any{before, after} {
		for k := range side {
			if k == "updated_at" {
				continue
			}
			bv, bok := before[k]
			av, aok := after[k]
			bj, _ := json.Marshal(bv)
			aj, _ := json.Marshal(av)
			// status is kept on both sides even unchanged: most actions are
			// about it, and an asynchronous one (a campaign's pause goes
			// through its workflow) changes it after the answer.
			if k != "status" && bok == aok && bytes.Equal(bj, aj) {
				continue
			}
			if bok {
				b[k] = auditValue(k, bv, bj)
			}
			if aok {
				a[k] = auditValue(k, av, aj)
			}
		}
	}
	return b, a
}

func auditValue(key string, v any, raw []byte) any {
	lk := strings.ToLower(key)
	for _, f := range secretFields {
		if strings.Contains(lk, f) {
			return "***"
		}
	}
	if len(raw) > auditValueMax {
		return map[string]any{"bytes": len(raw)}
	}
	return v
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
	// A number's auto-reply rules: sender.auto_reply_create/update/delete on
	// the number (the generic names would read "auto-replie_set").
	if len(segs) >= 3 && segs[0] == "senders" && segs[2] == "auto-replies" {
		return "sender", "auto_reply_" + map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete"}[method]
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
