package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
)

// TestEveryEventTypeHasAPermission reads the product's sources: every string
// constant named Event* (an event type) must be in the event -> permission
// map, and every models.NewEvent call must name such a constant, so a new
// event type fails here until it says who may receive it.
func TestEveryEventTypeHasAPermission(t *testing.T) {
	t.Parallel()
	known := models.EventTypes()
	fset := token.NewFileSet()
	consts := map[string]string{} // name -> value
	var calls []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || d.Name() == "web" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for i, name := range x.Names {
					if !strings.HasPrefix(name.Name, "Event") || i >= len(x.Values) {
						continue
					}
					if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						consts[name.Name] = v
					}
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewEvent" && len(x.Args) > 0 {
					switch a := x.Args[0].(type) {
					case *ast.SelectorExpr:
						calls = append(calls, a.Sel.Name)
					case *ast.Ident:
						calls = append(calls, a.Name)
					default:
						t.Errorf("%s: NewEvent with a computed type; name an Event* constant", fset.Position(x.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(consts) < 10 || len(calls) < 10 {
		t.Fatalf("found %d event constants and %d NewEvent calls: the scan is broken", len(consts), len(calls))
	}
	for name, v := range consts {
		if !slices.Contains(known, v) {
			t.Errorf("event type %s = %q has no entry in the event -> permission map (models/event_access.go)", name, v)
		}
	}
	for _, c := range calls {
		if _, ok := consts[c]; !ok && c != "typ" {
			t.Errorf("NewEvent(%s, ...): not an Event* string constant", c)
		}
	}
	if _, err := models.NewEvent("made.up", models.Audience{}, nil); err == nil {
		t.Error("NewEvent accepted a type without an entry in the map")
	}
}

// TestMayReceive: permission AND data scope; control and unknown types reach nobody.
func TestMayReceive(t *testing.T) {
	t.Parallel()
	own := models.Audience{AgentIDs: []int64{1}, TeamIDs: []int64{7}}
	cm := models.Principal{AgentID: 5, AllScope: true, Permissions: []models.Permission{models.PermCampaignsRead}}
	agent := models.Principal{AgentID: 1, Permissions: []models.Permission{models.PermInboxRead}}
	other := models.Principal{AgentID: 2, Permissions: []models.Permission{models.PermInboxRead}}
	ev := func(typ string) models.Event { return models.Event{Type: typ, Audience: own} }
	cases := []struct {
		p    models.Principal
		e    models.Event
		want bool
	}{
		{cm, ev(models.EventMessageCreated), false},
		{cm, ev(models.EventCampaignProgress), true},
		{agent, ev(models.EventMessageCreated), true},
		{other, ev(models.EventMessageCreated), false},
		{agent, ev(models.EventCampaignProgress), false},
		{agent, ev(models.EventAgentDisabled), false},
		{cm, ev("made.up"), false},
	}
	for i, c := range cases {
		if got := c.p.MayReceive(c.e); got != c.want {
			t.Errorf("%d: %+v receives %s = %v, want %v", i, c.p.Permissions, c.e.Type, got, c.want)
		}
	}
}
