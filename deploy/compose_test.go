package deploy

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Command     []string       `yaml:"command"`
	Entrypoint  []string       `yaml:"entrypoint"`
	Environment map[string]any `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Ports       []string `yaml:"ports"`
	Volumes     []string `yaml:"volumes"`
	Restart     string   `yaml:"restart"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

func (s composeService) env(key string) (string, bool) {
	v, ok := s.Environment[key]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}

// role is the scrm subcommand a service runs, "" for other images.
func (s composeService) role() string {
	if s.Image != "scrm:local" || len(s.Command) == 0 {
		return ""
	}
	return s.Command[0]
}

// listenPort is the port the scrm role listens on inside its container.
func (s composeService) listenPort(t *testing.T, name string) int {
	t.Helper()
	role := s.role()
	if role == "wabasim" {
		for i, a := range s.Command {
			if a == "--addr" && i+1 < len(s.Command) {
				return addrPort(t, name, "--addr", s.Command[i+1])
			}
		}
		t.Errorf("%s: wabasim without --addr listens on the loopback default", name)
		return 0
	}
	if role == "worker" {
		return s.portOf(t, name, map[string]string{"worker": "SCRM_HTTP_ADDR"}) // /metrics and /healthz only
	}
	return s.portOf(t, name, roleAddrKey)
}

// internalPort is the port of the role's internal listener (0: none).
func (s composeService) internalPort(t *testing.T, name string) int {
	t.Helper()
	return s.portOf(t, name, roleInternalKey)
}

func (s composeService) portOf(t *testing.T, name string, keys map[string]string) int {
	t.Helper()
	role := s.role()
	key, ok := keys[role]
	if !ok {
		return 0
	}
	v, set := s.env(key)
	if !set {
		v = knownEnv()[key]
	}
	return addrPort(t, name, key, v)
}

// interpolate applies compose's ${VAR:-default} with an empty environment,
// which is what `docker compose up` does when nothing is exported.
var reInterp = regexp.MustCompile(`\$\{(\w+)(?::?-([^}]*))?\}`)

func interpolate(s string) string {
	return reInterp.ReplaceAllString(s, "$2")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "docker-compose.yml")), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return c
}

func TestComposeReferences(t *testing.T) {
	c := loadCompose(t)
	known := knownEnv()
	apiPaths, rtPaths, workerPaths := rolePaths(t, "api"), rolePaths(t, "realtime"), rolePaths(t, "worker")
	roles := map[string][]string{} // role -> services

	for name, s := range c.Services {
		// Start order: targets exist, conditions are meaningful.
		for dep, d := range s.DependsOn {
			target, ok := c.Services[dep]
			if !ok {
				t.Errorf("%s depends_on %q: no such service", name, dep)
				continue
			}
			switch d.Condition {
			case "service_healthy":
				if target.Healthcheck == nil {
					t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case "service_completed_successfully":
				if target.Restart != "no" {
					t.Errorf("%s waits for one-shot %s to complete, but its restart policy is %q", name, dep, target.Restart)
				}
			case "service_started":
			default:
				t.Errorf("%s depends_on %s: condition %q", name, dep, d.Condition)
			}
		}
		// Every SCRM_* variable is one config.Load reads.
		for k := range s.Environment {
			if strings.HasPrefix(k, "SCRM_") {
				if _, ok := known[k]; !ok {
					t.Errorf("%s sets %s: config.Keys() has no such key", name, k)
				}
			}
		}
		for _, v := range s.Volumes {
			if src, _, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Clean(src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			}
		}
		checkTemporalImage(t, name, s.Image)
		if s.Healthcheck != nil && len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s: empty healthcheck", name)
		}

		role := s.role()
		if role == "" {
			continue
		}
		if !knownRoles[role] {
			t.Errorf("%s runs scrm %q: no such role", name, role)
		}
		roles[role] = append(roles[role], name)
		port := s.listenPort(t, name)
		// Published ports point at the port the role listens on.
		for _, p := range s.Ports {
			cp, _ := strconv.Atoi(p[strings.LastIndex(p, ":")+1:])
			if cp != port {
				t.Errorf("%s publishes container port %d, the role listens on %d", name, cp, port)
			}
		}
		// Health checks hit an endpoint the role serves, on its port.
		paths := map[string]map[string]bool{"api": apiPaths, "realtime": rtPaths, "worker": workerPaths}[role]
		internal := internalPaths(t, role)
		if s.Healthcheck != nil {
			u := healthURL(s.Healthcheck.Test)
			if u == nil {
				t.Errorf("%s: health check %v calls no URL", name, s.Healthcheck.Test)
			} else {
				want := port
				if internal[u.Path] {
					want = s.internalPort(t, name)
				} else if !paths[u.Path] {
					t.Errorf("%s: health check path %s is not served by scrm %s", name, u.Path, role)
				}
				if p, _ := strconv.Atoi(u.Port()); p != want {
					t.Errorf("%s: health check on port %s, the role serves it on %d", name, u.Port(), want)
				}
			}
		} else if role == "api" || role == "realtime" {
			t.Errorf("%s: a serving role without a health check", name)
		}
		// Secrets the api and worker refuse to start without.
		if role == "api" || role == "worker" {
			for _, k := range []string{"SCRM_JWT_SECRET", "SCRM_WABA_APP_SECRET", "SCRM_WABA_VERIFY_TOKEN"} {
				if v, _ := s.env(k); interpolate(v) == "" {
					t.Errorf("%s: %s is empty; scrm %s would refuse to start", name, k, role)
				}
			}
			if v, _ := s.env("SCRM_JWT_SECRET"); len(interpolate(v)) < 32 {
				t.Errorf("%s: SCRM_JWT_SECRET default is shorter than 32 bytes; config.Validate rejects it", name)
			}
		}
		// Dependencies named in URLs are services of this file.
		for _, k := range []string{"SCRM_DATABASE_URL", "SCRM_AMQP_URL", "SCRM_WABA_BASE_URL"} {
			if v, ok := s.env(k); ok {
				checkURLTarget(t, c, name, k, interpolate(v))
			}
		}
		if v, ok := s.env("SCRM_TEMPORAL_ADDRESS"); ok {
			checkURLTarget(t, c, name, "SCRM_TEMPORAL_ADDRESS", "grpc://"+v)
		}
		for i, a := range s.Command {
			if a == "--webhook-url" && i+1 < len(s.Command) {
				checkURLTarget(t, c, name, a, s.Command[i+1])
				if u, _ := url.Parse(s.Command[i+1]); u != nil && !apiPaths[u.Path] {
					if hasPrefix(apiPaths, "/webhooks/") {
						t.Errorf("%s: webhook URL path %s is not an api route", name, u.Path)
					} else {
						// The receiver lands with the waba branch; once any
						// webhook route exists this check is strict.
						t.Logf("note: api serves no /webhooks/ route on this branch yet (%s)", u.Path)
					}
				}
			}
		}
	}

	for _, want := range []string{"migrate", "api", "worker", "realtime", "wabasim"} {
		if len(roles[want]) == 0 {
			t.Errorf("no service runs scrm %s", want)
		}
	}
	if len(roles["realtime"]) < 2 {
		t.Errorf("want two realtime replicas, got %v", roles["realtime"])
	}
	// api, worker and realtime start only after the schema is migrated.
	for _, role := range []string{"api", "worker", "realtime"} {
		for _, name := range roles[role] {
			if !dependsOnRole(c, name, "migrate", map[string]bool{}) {
				t.Errorf("%s (scrm %s) does not wait for scrm migrate", name, role)
			}
		}
	}
	for _, role := range []string{"api", "worker"} {
		for _, name := range roles[role] {
			if c.Services[name].DependsOn["temporal-setup"].Condition != "service_completed_successfully" {
				t.Errorf("%s does not wait for the search attributes to be registered", name)
			}
		}
	}
	if cycle := dependencyCycle(c); cycle != "" {
		t.Errorf("depends_on cycle: %s", cycle)
	}
}

func dependsOnRole(c composeFile, name, role string, seen map[string]bool) bool {
	if seen[name] {
		return false
	}
	seen[name] = true
	for dep := range c.Services[name].DependsOn {
		if c.Services[dep].role() == role || dependsOnRole(c, dep, role, seen) {
			return true
		}
	}
	return false
}

func dependencyCycle(c composeFile) string {
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(string) string
	visit = func(n string) string {
		switch state[n] {
		case 1:
			return strings.Join(append(path, n), " -> ")
		case 2:
			return ""
		}
		state[n] = 1
		path = append(path, n)
		for dep := range c.Services[n].DependsOn {
			if cyc := visit(dep); cyc != "" {
				return cyc
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		return ""
	}
	for n := range c.Services {
		if cyc := visit(n); cyc != "" {
			return cyc
		}
	}
	return ""
}

// checkURLTarget asserts a URL names a compose service and, when that
// service runs an scrm role, the port it listens on.
func checkURLTarget(t *testing.T, c composeFile, name, key, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		t.Errorf("%s: %s=%q is not a URL", name, key, raw)
		return
	}
	target, ok := c.Services[u.Hostname()]
	if !ok {
		t.Errorf("%s: %s points at %q, not a service", name, key, u.Hostname())
		return
	}
	if target.role() != "" && u.Port() != "" {
		if p, _ := strconv.Atoi(u.Port()); p != target.listenPort(t, u.Hostname()) && p != target.internalPort(t, u.Hostname()) {
			t.Errorf("%s: %s uses port %s, %s listens on %d", name, key, u.Port(), u.Hostname(), target.listenPort(t, u.Hostname()))
		}
	}
}

func healthURL(test []string) *url.URL {
	for _, a := range test {
		for _, f := range strings.Fields(a) {
			if strings.HasPrefix(f, "http://") {
				if u, err := url.Parse(f); err == nil {
					return u
				}
			}
		}
	}
	return nil
}

func TestComposeTemporal(t *testing.T) {
	c := loadCompose(t)
	setup, ok := c.Services["temporal-setup"]
	if !ok {
		t.Fatal("no temporal-setup service")
	}
	checkSearchAttributeScript(t, "temporal-setup", strings.Join(setup.Command, "\n"))
	if !strings.Contains(c.Services["rabbitmq"].Image, "management") {
		t.Errorf("rabbitmq image %q lacks the management plugin", c.Services["rabbitmq"].Image)
	}
	if db, _ := c.Services["temporal"].env("DB"); !strings.HasPrefix(db, "postgres") {
		t.Errorf("temporal persistence DB=%q, want PostgreSQL", db)
	}
	if _, ok := c.Services["temporal-ui"]; !ok {
		t.Error("no temporal-ui service")
	}
}

// The realtime proxy forwards websockets to every realtime replica, on the
// port each listens on.
func TestComposeRealtimeProxy(t *testing.T) {
	c := loadCompose(t)
	conf := readFile(t, "nginx/realtime.conf")
	servers := regexp.MustCompile(`(?m)^\s*server\s+([\w.-]+):(\d+)`).FindAllStringSubmatch(conf, -1)
	seen := map[string]bool{}
	for _, m := range servers {
		s, ok := c.Services[m[1]]
		if !ok || s.role() != "realtime" {
			t.Errorf("nginx upstream %s is not a realtime service", m[1])
			continue
		}
		if p, _ := strconv.Atoi(m[2]); p != s.listenPort(t, m[1]) {
			t.Errorf("nginx upstream %s:%s, the service listens on %d", m[1], m[2], s.listenPort(t, m[1]))
		}
		seen[m[1]] = true
	}
	for name, s := range c.Services {
		if s.role() == "realtime" && !seen[name] {
			t.Errorf("realtime replica %s is not in the nginx upstream", name)
		}
	}
	for _, want := range []string{"location = /ws", "proxy_http_version 1.1", "proxy_set_header Upgrade $http_upgrade", "proxy_set_header Connection $connection_upgrade"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx/realtime.conf lacks %q (websocket upgrade)", want)
		}
	}
	if !rolePaths(t, "realtime")["/ws"] {
		t.Log("note: realtime does not serve /ws on this branch yet; the proxy is ready for it")
	}
	var mounted bool
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			if strings.HasPrefix(v, "./nginx/realtime.conf:") {
				mounted = true
				for dep := range s.DependsOn {
					if c.Services[dep].role() != "realtime" {
						t.Errorf("proxy %s depends on %s", name, dep)
					}
				}
			}
		}
	}
	if !mounted {
		t.Error("no service mounts nginx/realtime.conf")
	}
}

func TestInterpolate(t *testing.T) {
	if got := interpolate("a${X:-b c}d${Y}e${Z-f}"); got != "ab cdef" {
		t.Errorf("interpolate: %q", got)
	}
}

func hasPrefix(paths map[string]bool, prefix string) bool {
	for p := range paths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
