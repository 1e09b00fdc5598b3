package api

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// operation is the documentation of one route (openapi_ops.go).
type operation struct {
	Summary string
	// Body is "json", "multipart" or "" (none).
	Body string
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// OpenAPI is the OpenAPI 3.1 description of every registered route: its
// path, summary, the permission it needs (x-permission; the bearer scheme
// unless public), path parameters, the body kind, and the one error shape
// and pagination every route shares (documented once, in components).
// Request and response schemas per route are not described: the summaries
// and the shared shapes are what this file promises.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range s.routes {
		op, ok := operations[r.Method+" "+r.Path]
		if !ok {
			op.Summary = r.Method + " " + r.Path // TestOpenAPICoversEveryRoute fails on it
		}
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		o := map[string]any{
			"summary":     op.Summary,
			"operationId": operationID(r.Method, r.Path),
			"tags":        []string{tagOf(r.Path)},
			"responses": map[string]any{
				"2XX":     map[string]any{"description": "Success (200, 201 created, 202 accepted and running, 204 no content)"},
				"default": map[string]any{"$ref": "#/components/responses/Error"},
			},
		}
		if r.Perm == Public {
			o["security"] = []any{}
		} else {
			o["x-permission"] = string(r.Perm)
		}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if r.Method == http.MethodGet && strings.HasPrefix(op.Summary, "List ") {
			params = append(params, map[string]any{"$ref": "#/components/parameters/Cursor"}, map[string]any{"$ref": "#/components/parameters/Limit"})
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		switch op.Body {
		case "json":
			o["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		case "multipart":
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{
				"type": "object", "properties": map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}}}}}}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "WABA SCRM API",
			"version":     "1",
			"description": "REST API of the WABA SCRM. Bearer access tokens from POST /api/v1/auth/login. Writes that must not repeat take an Idempotency-Key header; a key reused with another body answers 422.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"parameters": map[string]any{
				"Cursor": map[string]any{"name": "cursor", "in": "query", "description": "the nextCursor of the previous page (keyset pagination; lists that page by id take before/after instead)", "schema": map[string]any{"type": "string"}},
				"Limit":  map[string]any{"name": "limit", "in": "query", "description": "page size (each list names its maximum; too large answers 400)", "schema": map[string]any{"type": "integer", "minimum": 1}},
			},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{"error": map[string]any{
					"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
						"code":      map[string]any{"type": "string", "enum": errorCodes()},
						"message":   map[string]any{"type": "string"},
						"field":     map[string]any{"type": "string", "description": "the request field the error is about"},
						"details":   map[string]any{"type": "object"},
						"requestId": map[string]any{"type": "string"},
					}}}},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "An error: 400 invalid, 401 unauthorized, 403 forbidden, 404 not found (also outside the caller's scope), 409 conflict, 413 too large, 422 unprocessable, 429 rate limited, 503 unavailable",
					"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		},
	}
}

func errorCodes() []string {
	out := []string{}
	for _, c := range []models.ErrorCode{models.EInvalid, models.EUnauthorized, models.EForbidden, models.ENotFound, models.EConflict,
		models.EWindowClosed, models.EUnprocessable, models.ERateLimited, models.EUnavailable, models.ETooLarge, models.EInternal} {
		out = append(out, string(c))
	}
	sort.Strings(out)
	return out
}

// tagOf groups an operation by the first segment after /api/v1.
func tagOf(path string) string {
	p := strings.TrimPrefix(path, "/api/v1")
	seg := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
	switch {
	case !strings.HasPrefix(path, "/api/v1"):
		return "edge"
	case seg == "":
		return "api"
	}
	return seg
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/api/v1"), "/") {
		seg = strings.TrimLeft(seg, ":*")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// mountOpenAPI serves the description and a reference page built from it.
func (s *Server) mountOpenAPI(e *gin.Engine, v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/openapi.json", Public, func(c *gin.Context) { c.JSON(http.StatusOK, s.OpenAPI()) })
	s.handle(e, http.MethodGet, "/api/reference", Public, func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.String(http.StatusOK, apiReferencePage)
	})
}

// apiReferencePage renders /api/v1/openapi.json with the app's own script
// (the CSP allows no inline code).
const apiReferencePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>WABA SCRM API reference</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><main class="api-reference" id="api-reference"><h1>WABA SCRM API</h1><p class="muted">Loading /api/v1/openapi.json…</p></main>
<script type="module" src="/assets/apiref.js"></script></body></html>
`

// OperationKeys lists the documented routes ("METHOD /path").
func OperationKeys() []string {
	out := make([]string, 0, len(operations))
	for k := range operations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
