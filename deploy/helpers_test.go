package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/workflows"
)

// repoRoot is the module root as seen from this package's directory.
const repoRoot = ".."

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// knownEnv maps every SCRM_* variable config.Load understands to its default.
func knownEnv() map[string]string {
	out := map[string]string{}
	for _, k := range config.Keys() {
		out["SCRM_"+strings.ToUpper(k.Name)] = fmt.Sprint(k.Default)
	}
	return out
}

// secretKeys are the variables that belong in a Secret, never in plain config.
var secretKeys = []string{
	"SCRM_DATABASE_URL", "SCRM_AMQP_URL", "SCRM_JWT_SECRET",
	"SCRM_WABA_APP_SECRET", "SCRM_WABA_VERIFY_TOKEN", "SCRM_WABA_ACCESS_TOKEN",
}

// roleAddrKey is the variable holding each serving role's listen address.
var roleAddrKey = map[string]string{
	"api":      "SCRM_HTTP_ADDR",
	"realtime": "SCRM_REALTIME_ADDR",
}

// roleInternalKey is the variable holding a role's internal listener
// (/metrics, /readyz, /healthz, pprof: api/internal.go), which probes and
// Prometheus use instead of the public port.
var roleInternalKey = map[string]string{"api": "SCRM_INTERNAL_ADDR"}

// reInternalRoute finds the internal listener's routes (api/internal.go).
var reInternalRoute = regexp.MustCompile(`e\.GET\("(/[^"]*)"`)

// internalPaths returns the paths of a role's internal listener.
func internalPaths(t *testing.T, role string) map[string]bool {
	t.Helper()
	paths := map[string]bool{}
	if _, ok := roleInternalKey[role]; !ok {
		return paths
	}
	for _, m := range reInternalRoute.FindAllStringSubmatch(readFile(t, filepath.Join(repoRoot, "api", "internal.go")), -1) {
		paths[m[1]] = true
	}
	if !paths["/readyz"] || !paths["/metrics"] {
		t.Fatal("found no /readyz and /metrics in api/internal.go: the route pattern is out of date")
	}
	return paths
}

// knownRoles are the scrm subcommands a container may run.
var knownRoles = map[string]bool{"api": true, "worker": true, "realtime": true, "migrate": true, "wabasim": true, "admin": true}

var (
	reAPIRoute      = regexp.MustCompile(`s\.handle\([^,]+,\s*http\.Method\w+,\s*"(/[^"]*)"`)
	reRealtimeRoute = regexp.MustCompile(`\.Handle(?:Func)?\("(?:[A-Z]+ )?(/[^"]*)"`)
)

// rolePaths returns the HTTP paths a role's code registers, read from the
// non-test sources of its package, so probes and health checks can only
// name endpoints that exist.
func rolePaths(t *testing.T, role string) map[string]bool {
	t.Helper()
	var dir string
	var re *regexp.Regexp
	switch role {
	case "api":
		dir, re = "api", reAPIRoute
	case "realtime":
		dir, re = "realtime", reRealtimeRoute
	case "worker":
		dir, re = "worker", reRealtimeRoute // /metrics and /healthz (worker/metrics.go)
	default:
		return map[string]bool{} // migrate, wabasim: no health endpoints
	}
	paths := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(readFile(t, f), -1) {
			paths[m[1]] = true
		}
	}
	if len(paths) == 0 {
		t.Fatalf("found no routes in %s: the route pattern is out of date", dir)
	}
	return paths
}

// addrPort checks a listen address is reachable from other containers (not
// loopback) and returns its port.
func addrPort(t *testing.T, where, key, addr string) int {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: %s=%q is not host:port", where, key, addr)
		return 0
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		t.Errorf("%s: %s=%q binds loopback: nothing outside the container can reach it (use 0.0.0.0:%s)", where, key, addr, port)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// wantSearchAttributes is workflows.SearchAttributes() as "Name Type" lines
// in the temporal CLI's spelling.
func wantSearchAttributes(t *testing.T) []string {
	t.Helper()
	cli := map[enumspb.IndexedValueType]string{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
		enumspb.INDEXED_VALUE_TYPE_TEXT:         "Text",
		enumspb.INDEXED_VALUE_TYPE_INT:          "Int",
		enumspb.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
		enumspb.INDEXED_VALUE_TYPE_BOOL:         "Bool",
		enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
		enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
	}
	var out []string
	for name, typ := range workflows.SearchAttributes() {
		s, ok := cli[typ]
		if !ok {
			t.Fatalf("search attribute %s has type %v the test does not know", name, typ)
		}
		out = append(out, name+" "+s)
	}
	sort.Strings(out)
	return out
}

var reSACreate = regexp.MustCompile(`temporal operator search-attribute create\b[^\n]*?--name\s+(\w+)\s+--type\s+(\w+)`)

// checkSearchAttributeScript asserts a shell script registers exactly the
// project's search attributes.
func checkSearchAttributeScript(t *testing.T, where, script string) {
	t.Helper()
	var got []string
	for _, m := range reSACreate.FindAllStringSubmatch(script, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	sort.Strings(got)
	want := wantSearchAttributes(t)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s registers search attributes %v, workflows.SearchAttributes() is %v", where, got, want)
	}
}

var reRequire = regexp.MustCompile(`(?m)^\s*([\w./-]+)\s+(v\S+)`)

// goModVersion returns the version go.mod requires for module path.
func goModVersion(t *testing.T, path string) string {
	t.Helper()
	for _, m := range reRequire.FindAllStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")), -1) {
		if m[1] == path {
			return strings.TrimPrefix(m[2], "v")
		}
	}
	t.Fatalf("go.mod does not require %s", path)
	return ""
}

// checkTemporalImage asserts Temporal images track the versions in go.mod,
// so compose and Kubernetes run the server the tests and `scrm dev` use.
func checkTemporalImage(t *testing.T, where, image string) {
	t.Helper()
	name, tag, _ := strings.Cut(image, ":")
	var want string
	switch name {
	case "temporalio/server", "temporalio/admin-tools":
		want = goModVersion(t, "go.temporal.io/server")
	case "temporalio/ui":
		want = goModVersion(t, "github.com/temporalio/ui-server/v2")
	default:
		return
	}
	if tag != want {
		t.Errorf("%s: image %s, want tag %s (go.mod)", where, image, want)
	}
}

// yamlDocs decodes every document of a multi-document YAML file.
func yamlDocs(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(readFile(t, path))))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind == 0 {
			continue // empty document
		}
		docs = append(docs, &n)
	}
}

// goSourceLiterals returns every string literal in the repository's non-test
// Go files.
func goSourceLiterals(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`"([A-Za-z_:][A-Za-z0-9_:]*)"`)
	out := map[string]bool{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".scrm", "bin", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, m := range re.FindAllStringSubmatch(readFile(t, path), -1) {
			out[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
