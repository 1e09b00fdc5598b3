package docs

// The import rules of docs/architecture.md (and ../shared/DESIGN.md §2) as a
// test: it reads the real import graph with `go list` and fails on any
// import a package may not make, so the layering cannot erode one
// convenient import at a time.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/wabascrm/scrm"

// domains lists the domain packages under models/, lowest first: each may
// import the kernel, the waba protocol and the domains before it, never a
// later one (so there can be no cycle among them).
var domains = []string{
	"models/throttle",
	"models/identity",
	"models/apikeys",
	"models/templates",
	"models/senders",
	"models/cases",
	"models/contacts",
	"models/media",
	"models/outbox",
	"models/csat",
	"models/ingest",
	"models/inbox",
	"models/dispatch",
	"models/campaigns",
	"models/journeys",
	"models/reports",
	"models/sla",
	"models/integrations",
	"models/autoreply",
}

// apiAreas are the handler packages under api/, one per part of the product.
var apiAreas = []string{"api/access", "api/casework", "api/crm", "api/messaging", "api/outreach", "api/reports"}

// rules returns, for every package of the module, the packages of the
// module it may import (production code; test files are checked by
// testRules). A package missing here fails the test: a new package needs a
// place in the layering before it can land.
func rules() map[string][]string {
	kernel := []string{"models"}
	r := map[string][]string{
		"waba":                       nil,        // the protocol: wire types, client, signature; nothing of ours
		"waba/sim":                   {"models"}, // its own wire types; the kernel's phone helpers at most
		"config":                     nil,
		"models":                     nil, // the kernel imports no domain and not the protocol
		"models/migrations":          nil,
		"realtime":                   kernel,
		"worker/devtemporal":         nil,
		"worker/testenv":             {"models", "models/migrations", "models/identity"}, // identity: the tests' cheap password hasher
		"worker/testenv/temporalenv": {"worker", "worker/testenv"},
		"deploy":                     nil,
		"docs":                       nil,
	}
	for i, d := range domains {
		r[d] = append([]string{"models", "waba"}, domains[:i]...)
	}
	lower := append([]string{"models", "waba"}, domains...)
	r["activities"] = lower
	r["workflows"] = append(slices.Clone(lower), "activities")
	r["workflows/journeys"] = append(slices.Clone(lower), "activities", "workflows")
	r["worker"] = append(slices.Clone(lower), "activities", "workflows", "workflows/journeys")
	// api/httpx is the HTTP edge's core (the (status, body, error) adapter,
	// the one error mapping, request helpers): the kernel only. Each area
	// package (handlers of one part of the product) builds on it and the
	// domains, never on another area; api (router, middleware, Deps) mounts them.
	r["api/httpx"] = kernel
	web := append(slices.Clone(lower), "activities", "workflows", "api/httpx")
	for _, area := range apiAreas {
		r[area] = web
	}
	r["api"] = append(slices.Clone(web), apiAreas...)
	return r
}

// wired are the packages that may import anything of ours: the one place
// that wires the product, and the benches and drills that start it.
func wired(pkg string) bool {
	return pkg == "cmd/scrm" || strings.HasPrefix(pkg, "bench/")
}

// testRules: module packages that only some test files may import, and
// which packages' tests may. temporalenv links the Temporal server: only
// test binaries that link it anyway may import it, so the others stay small.
var testRules = map[string][]string{
	"worker/testenv/temporalenv": {"cmd/scrm", "worker/devtemporal"},
}

// forbidden third-party imports per layer (prefix match).
func forbidden(pkg string) []string {
	switch {
	case pkg == "models" || strings.HasPrefix(pkg, "models/"):
		// Domain rules and stores know nothing of HTTP, Temporal, AMQP or config.
		return []string{"github.com/gin-gonic/", "go.temporal.io/", "github.com/rabbitmq/", "github.com/gorilla/websocket", "github.com/spf13/viper", "net/http"}
	case pkg == "workflows":
		// Deterministic code: no I/O of any kind (workflowcheck checks calls too).
		return []string{"gorm.io/", "github.com/jackc/", "database/sql", "github.com/rabbitmq/", "github.com/gin-gonic/", "net/http", "os"}
	case pkg == "activities":
		return []string{"github.com/gin-gonic/", "github.com/gorilla/websocket", "github.com/spf13/viper"}
	case pkg == "realtime":
		return []string{"go.temporal.io/", "github.com/gin-gonic/", "github.com/spf13/viper"}
	case pkg == "api" || pkg == "worker" || pkg == "waba" || pkg == "waba/sim":
		return []string{"github.com/spf13/viper"}
	}
	return nil
}

// heavyDeps may appear in the dependencies (transitively) only of these
// packages: the Temporal server costs minutes and GBs to compile and link.
var heavyDeps = map[string][]string{
	"go.temporal.io/server": {"cmd/scrm", "worker/devtemporal", "worker/testenv/temporalenv", "bench/"},
}

type listed struct {
	ImportPath   string
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

type graph map[string]listed // by module-relative path

func loadGraph(t *testing.T) graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	g := graph{}
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		g[rel(p.ImportPath)] = p
	}
	return g
}

func rel(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// check returns every violation of the rules in g, sorted.
func check(g graph) []string {
	var bad []string
	r := rules()
	for pkg, p := range g {
		allowed, known := r[pkg]
		if !known && !wired(pkg) {
			bad = append(bad, fmt.Sprintf("%s: not in the import rules (docs/architecture_test.go): give it a layer", pkg))
			continue
		}
		for _, imp := range p.Imports {
			if ours(imp) {
				to := rel(imp)
				if !wired(pkg) && !slices.Contains(allowed, to) {
					bad = append(bad, fmt.Sprintf("%s imports %s: not allowed (may import %v)", pkg, to, allowed))
				}
				// A bench may use a bench library (bench/prodtemporal runs the
				// production Temporal for the drills and the benches alike).
				if wired(to) && !(strings.HasPrefix(pkg, "bench/") && strings.HasPrefix(to, "bench/")) {
					bad = append(bad, fmt.Sprintf("%s imports %s: nothing imports the wiring or benches", pkg, to))
				}
				if _, testOnly := testRules[to]; testOnly {
					bad = append(bad, fmt.Sprintf("%s imports %s outside tests", pkg, to))
				}
				continue
			}
			for _, f := range forbidden(pkg) {
				if imp == strings.TrimSuffix(f, "/") || strings.HasPrefix(imp, f) && strings.HasSuffix(f, "/") {
					bad = append(bad, fmt.Sprintf("%s imports %s: forbidden in this layer", pkg, imp))
				}
			}
		}
		for _, imp := range append(slices.Clone(p.TestImports), p.XTestImports...) {
			if !ours(imp) {
				continue
			}
			if who, ok := testRules[rel(imp)]; ok && !slices.Contains(who, pkg) {
				bad = append(bad, fmt.Sprintf("%s tests import %s: only %v may", pkg, rel(imp), who))
			}
		}
		for heavy, who := range heavyDeps {
			if !slices.ContainsFunc(p.Deps, func(d string) bool { return d == heavy || strings.HasPrefix(d, heavy+"/") }) {
				continue
			}
			if !slices.ContainsFunc(who, func(w string) bool { return pkg == w || strings.HasSuffix(w, "/") && strings.HasPrefix(pkg, w) }) {
				bad = append(bad, fmt.Sprintf("%s depends on %s: keep the Temporal server out of it", pkg, heavy))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func TestImportRules(t *testing.T) {
	g := loadGraph(t)
	if len(g) < 20 {
		t.Fatalf("go list found only %d packages", len(g))
	}
	for _, d := range domains {
		if _, ok := g[d]; !ok {
			t.Errorf("domain package %s listed in the rules does not exist", d)
		}
	}
	var got []string
	for _, v := range check(g) {
		if exc, ok := knownExceptions[v]; ok {
			t.Logf("known exception (%s): %s", exc, v)
			continue
		}
		got = append(got, v)
	}
	for exc := range knownExceptions {
		if !slices.Contains(check(g), exc) {
			t.Errorf("known exception no longer happens, delete it from knownExceptions: %s", exc)
		}
	}
	for _, v := range got {
		t.Error(v)
	}
}

// knownExceptions are violations that exist today and are owned by an open
// issue; each must disappear with it (the test fails when one stops
// happening, so the list cannot go stale).
var knownExceptions = map[string]string{}

// TestImportRulesCatchWrongImports proves the checker fails: it feeds it the
// real graph with deliberately wrong imports added.
func TestImportRulesCatchWrongImports(t *testing.T) {
	g := loadGraph(t)
	wrong := []struct{ from, to, want string }{
		{"models", module + "/models/inbox", "models imports models/inbox: not allowed"},
		{"models/identity", module + "/models/campaigns", "models/identity imports models/campaigns: not allowed"},
		{"models/inbox", "github.com/gin-gonic/gin", "models/inbox imports github.com/gin-gonic/gin: forbidden"},
		{"workflows", "gorm.io/gorm", "workflows imports gorm.io/gorm: forbidden"},
		{"realtime", module + "/models/inbox", "realtime imports models/inbox: not allowed"},
		{"api", module + "/cmd/scrm", "api imports cmd/scrm: nothing imports the wiring"},
		{"api/crm", module + "/api/outreach", "api/crm imports api/outreach: not allowed"},
		{"api/httpx", module + "/models/inbox", "api/httpx imports models/inbox: not allowed"},
		{"activities", module + "/worker/testenv/temporalenv", "activities imports worker/testenv/temporalenv outside tests"},
		// The simulator is an independent stand-in for Meta: it may not share
		// the product's client or webhook types (nor any other package of ours).
		{"waba/sim", module + "/waba", "waba/sim imports waba: not allowed"},
		{"waba/sim", module + "/models/inbox", "waba/sim imports models/inbox: not allowed"},
	}
	for _, w := range wrong {
		g2 := graph{}
		for k, v := range g {
			g2[k] = v
		}
		p := g2[w.from]
		p.Imports = append(slices.Clone(p.Imports), w.to)
		g2[w.from] = p
		if !slices.ContainsFunc(check(g2), func(v string) bool { return strings.HasPrefix(v, w.want) }) {
			t.Errorf("a wrong import %s -> %s was not caught", w.from, w.to)
		}
	}
	g2 := graph{}
	for k, v := range g {
		g2[k] = v
	}
	g2["models/newdomain"] = listed{ImportPath: module + "/models/newdomain"}
	if !slices.ContainsFunc(check(g2), func(v string) bool { return strings.HasPrefix(v, "models/newdomain: not in the import rules") }) {
		t.Error("an unknown package was not caught")
	}
	p := g2["api"]
	p.Deps = append(slices.Clone(p.Deps), "go.temporal.io/server/common")
	g2["api"] = p
	if !slices.ContainsFunc(check(g2), func(v string) bool { return strings.HasPrefix(v, "api depends on go.temporal.io/server") }) {
		t.Error("the Temporal server in api's deps was not caught")
	}
}

// The size rule (issue #14): no package over maxPackageLines and no file
// over maxFileLines, counting the lines (as wc -l does) of non-test .go
// files; files under bench/ are exempt from the file rule only.
const (
	maxPackageLines = 2500
	maxFileLines    = 600
)

// sizeExceptions are packages over the size rule today, each owned by an
// open issue; like knownExceptions, the test fails when one is back under
// the rule, so the list cannot go stale.
var sizeExceptions = map[string]string{
	"waba/sim": "issue #14: the simulator's wire types and template rules still to move to sub-packages",
}

// sizeViolations walks the module at root and returns every package and
// file over the size rule, sorted.
func sizeViolations(t *testing.T, root string) []string {
	t.Helper()
	pkgLines := map[string]int{}
	var bad []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n := bytes.Count(b, []byte("\n"))
		relPath, _ := filepath.Rel(root, path)
		relPath = filepath.ToSlash(relPath)
		pkg := filepath.ToSlash(filepath.Dir(relPath))
		pkgLines[pkg] += n
		if n > maxFileLines && !strings.HasPrefix(relPath, "bench/") {
			bad = append(bad, fmt.Sprintf("file %s: %d lines (over %d): split it into coherent files", relPath, n, maxFileLines))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, n := range pkgLines {
		if n > maxPackageLines {
			bad = append(bad, fmt.Sprintf("package %s: %d non-test lines (over %d): split it along a domain seam", pkg, n, maxPackageLines))
		}
	}
	sort.Strings(bad)
	return bad
}

func TestSizeRule(t *testing.T) {
	bad := sizeViolations(t, "..")
	for _, v := range bad {
		pkg, known := "", false
		for p := range sizeExceptions {
			if strings.HasPrefix(v, "package "+p+":") {
				pkg, known = p, true
			}
		}
		if known {
			t.Logf("known exception (%s): %s", sizeExceptions[pkg], v)
			continue
		}
		t.Error(v)
	}
	for p := range sizeExceptions {
		if !slices.ContainsFunc(bad, func(v string) bool { return strings.HasPrefix(v, "package "+p+":") }) {
			t.Errorf("package %s is within the size rule now: delete it from sizeExceptions", p)
		}
	}
}
