package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/wabascrm/scrm/api"
)

// The served description is a valid OpenAPI 3.1 document (checked against
// the specification's schema by libopenapi-validator), documents every
// registered route with a summary, and documents no route that does not
// exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := http.Get(e.http.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", res.StatusCode)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, ve := range verrs {
			t.Errorf("not valid OpenAPI: %s %s", ve.Message, ve.Reason)
		}
	}
	var spec struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil || spec.OpenAPI != "3.1.0" {
		t.Fatalf("spec: %v %q", err, spec.OpenAPI)
	}
	documented := 0
	for path, ops := range spec.Paths {
		for method, op := range ops {
			documented++
			s, _ := op["summary"].(string)
			if s == "" || strings.HasPrefix(s, strings.ToUpper(method)+" ") {
				t.Errorf("%s %s has no summary in api/openapi_ops.go", strings.ToUpper(method), path)
			}
		}
	}
	if n := len(e.srv.Routes()); documented != n {
		t.Errorf("%d operations documented, %d routes registered", documented, n)
	}
	// Every documented entry is a route (no stale documentation).
	routes := map[string]bool{}
	for _, r := range e.srv.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	for _, k := range api.OperationKeys() {
		if !routes[k] {
			t.Errorf("api/openapi_ops.go documents %s, which is no route", k)
		}
	}
	// The reference page is served.
	if res, err := http.Get(e.http.URL + "/api/reference"); err != nil || res.StatusCode != 200 {
		t.Fatalf("reference page: %v %v", err, res)
	}
}
