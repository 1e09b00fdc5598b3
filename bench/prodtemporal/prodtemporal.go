// Package prodtemporal runs the production Temporal server on this machine:
// the real server and its SQL schema tool compiled from the module the
// project pins (go.temporal.io/server, no downloaded binaries), its schema
// created on a PostgreSQL server by that tool from the schema files in the
// module cache, a config with several history shards, and the server as
// its own OS process. The drills and the benches use it so that what they
// measure is Temporal as production runs it, not the SQLite dev server.
package prodtemporal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker"
)

// ServerModule and ServerVersion are the pin in go.mod; Build refuses to
// build anything else.
const (
	ServerModule  = "go.temporal.io/server"
	ServerVersion = "v1.32.1"
)

// Bins are the built tools and the schema directory they apply.
type Bins struct {
	Server, SQLTool string
	// SchemaDir is <module>/schema/postgresql/v12 in the module cache.
	SchemaDir string
}

// Build compiles the server and the SQL tool once into binDir (default
// <root>/bin/temporal-<version>). The server's command packages import a
// CLI library the product does not, so they are built against a copy of
// go.mod in binDir/mod (go get -modfile): the project's own go.mod and
// go.sum are never touched, and every other module stays at its pin.
func Build(ctx context.Context, root, binDir string, logw io.Writer) (Bins, error) {
	if binDir == "" {
		binDir = filepath.Join(root, "bin", "temporal-"+ServerVersion)
	}
	binDir, _ = filepath.Abs(binDir)
	modDir := filepath.Join(binDir, "mod")
	b := Bins{Server: filepath.Join(binDir, "temporal-server"), SQLTool: filepath.Join(binDir, "temporal-sql-tool")}
	if err := os.MkdirAll(modDir, 0o755); err != nil {
		return b, err
	}
	gomod := filepath.Join(modDir, "go.mod")
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = logw, logw
		return cmd
	}
	if _, err := os.Stat(gomod); err != nil || newer(filepath.Join(root, "go.mod"), gomod) {
		for _, f := range []string{"go.mod", "go.sum"} {
			raw, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				return b, err
			}
			if err := os.WriteFile(filepath.Join(modDir, f), raw, 0o644); err != nil {
				return b, err
			}
		}
		if err := goCmd("get", "-modfile="+gomod, ServerModule+"/cmd/server@"+ServerVersion, ServerModule+"/cmd/tools/sql@"+ServerVersion).Run(); err != nil {
			return b, fmt.Errorf("go get -modfile (server command deps): %w", err)
		}
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-modfile="+gomod, "-m", "-f", "{{.Version}} {{.Dir}}", ServerModule).Output()
	if err != nil {
		return b, fmt.Errorf("go list %s: %w", ServerModule, err)
	}
	ver, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if ver != ServerVersion || dir == "" {
		return b, fmt.Errorf("%s resolves to %q (%q), want %s", ServerModule, ver, dir, ServerVersion)
	}
	b.SchemaDir = filepath.Join(dir, "schema", "postgresql", "v12")
	for bin, pkg := range map[string]string{b.Server: "/cmd/server", b.SQLTool: "/cmd/tools/sql"} {
		if _, err := os.Stat(bin); err == nil {
			continue // built once; the version is pinned in the directory name
		}
		fmt.Fprintf(logw, "prodtemporal: building %s (the first build compiles the whole server: minutes)\n", filepath.Base(bin))
		if err := goCmd("build", "-modfile="+gomod, "-o", bin+".tmp", ServerModule+pkg).Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w", pkg, err)
		}
		if err := os.Rename(bin+".tmp", bin); err != nil {
			return b, err
		}
	}
	return b, nil
}

func newer(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && sa.ModTime().After(sb.ModTime())
}

// Cluster is one Temporal server on PostgreSQL: its databases, its config
// directory and its ports.
type Cluster struct {
	Bins
	// Dir holds the config, the dynamic config and the server's log.
	Dir string
	// PostgreSQL (trust auth as on this machine's clusters).
	PGHost string
	PGPort int
	PGUser string
	// DB and VisibilityDB are created when missing (default temporal and
	// temporal_visibility).
	DB, VisibilityDB string
	// Shards is numHistoryShards (fixed for the cluster's life; default 4).
	Shards int
	// MaxConns bounds the server's pool to the default store (default 20).
	MaxConns int
	// FrontendAddr is where clients connect (default a free port).
	FrontendAddr string
	// Namespace is registered at Setup (default "default").
	Namespace string
}

func (c *Cluster) defaults() {
	if c.PGHost == "" {
		c.PGHost = "127.0.0.1"
	}
	if c.PGPort == 0 {
		c.PGPort = 5432
	}
	if c.PGUser == "" {
		c.PGUser = "postgres"
	}
	if c.DB == "" {
		c.DB = "temporal"
	}
	if c.VisibilityDB == "" {
		c.VisibilityDB = c.DB + "_visibility"
	}
	if c.Shards == 0 {
		c.Shards = 4
	}
	if c.MaxConns == 0 {
		c.MaxConns = 20
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
}

// CreateSchema creates the two databases when missing and brings both
// schemas to the version of the module's versioned schema files (the same
// steps as Temporal's own auto-setup: create, setup-schema -v 0.0,
// update-schema -d <versioned>). Running it again is a no-op.
func (c *Cluster) CreateSchema(ctx context.Context, logw io.Writer) error {
	c.defaults()
	db, err := models.OpenDB(ctx, fmt.Sprintf("postgres://%s@%s:%d/postgres?sslmode=disable", c.PGUser, c.PGHost, c.PGPort))
	if err != nil {
		return err
	}
	defer func() { _ = models.CloseDB(db) }()
	for _, s := range []struct{ db, dir string }{{c.DB, "temporal"}, {c.VisibilityDB, "visibility"}} {
		var n int64
		if err := db.WithContext(ctx).Raw(`SELECT count(*) FROM pg_database WHERE datname = ?`, s.db).Scan(&n).Error; err != nil {
			return err
		}
		tool := func(args ...string) error {
			base := []string{"--plugin", "postgres12", "--ep", c.PGHost, "-p", strconv.Itoa(c.PGPort), "-u", c.PGUser, "--db", s.db}
			cmd := exec.CommandContext(ctx, c.SQLTool, append(base, args...)...)
			out, err := cmd.CombinedOutput()
			_, _ = logw.Write(out)
			if err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %w: %s", args[0], s.db, err, lastLine(out))
			}
			return nil
		}
		if n == 0 {
			if err := tool("create-database"); err != nil {
				return err
			}
			if err := tool("setup-schema", "-v", "0.0"); err != nil {
				return err
			}
		}
		if err := tool("update-schema", "-d", filepath.Join(c.SchemaDir, s.dir, "versioned")); err != nil {
			return err
		}
	}
	return nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// WriteConfig writes Dir/config.yaml and Dir/dynamic.yaml, choosing free
// loopback ports for every service (the frontend's is FrontendAddr).
func (c *Cluster) WriteConfig() error {
	c.defaults()
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	ports, err := freePorts(9)
	if err != nil {
		return err
	}
	if c.FrontendAddr == "" {
		c.FrontendAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	}
	_, fp, err := net.SplitHostPort(c.FrontendAddr)
	if err != nil {
		return fmt.Errorf("frontend address %q: %w", c.FrontendAddr, err)
	}
	store := func(db string, conns int) string {
		return fmt.Sprintf(`      sql:
        pluginName: postgres12
        databaseName: %q
        connectAddr: "%s:%d"
        connectProtocol: tcp
        user: %q
        password: ""
        maxConns: %d
        maxIdleConns: %d
        maxConnLifetime: 1h
`, db, c.PGHost, c.PGPort, c.PGUser, conns, conns)
	}
	svc := func(name string, grpc, member int, extra string) string {
		return fmt.Sprintf("  %s:\n    rpc:\n      grpcPort: %d\n      membershipPort: %d\n      bindOnIP: 127.0.0.1\n%s", name, grpc, member, extra)
	}
	dyn := filepath.Join(c.Dir, "dynamic.yaml")
	cfg := "log:\n  stdout: true\n  level: warn\n  format: json\n\n" +
		"persistence:\n  defaultStore: pg-default\n  visibilityStore: pg-visibility\n" +
		fmt.Sprintf("  numHistoryShards: %d\n  datastores:\n    pg-default:\n", c.Shards) + store(c.DB, c.MaxConns) +
		"    pg-visibility:\n" + store(c.VisibilityDB, 4) +
		"\nglobal:\n  membership:\n    maxJoinDuration: 30s\n    broadcastAddress: 127.0.0.1\n\nservices:\n" +
		svc("frontend", atoi(fp), ports[1], fmt.Sprintf("      httpPort: %d\n", ports[2])) +
		svc("history", ports[3], ports[4], "") + svc("matching", ports[5], ports[6], "") + svc("worker", ports[7], ports[8], "") +
		"\nclusterMetadata:\n  enableGlobalNamespace: false\n  failoverVersionIncrement: 10\n  masterClusterName: active\n  currentClusterName: active\n" +
		"  clusterInformation:\n    active:\n      enabled: true\n      initialFailoverVersion: 1\n      rpcName: frontend\n" +
		fmt.Sprintf("      rpcAddress: %q\n", c.FrontendAddr) +
		"\ndcRedirectionPolicy:\n  policy: noop\n\narchival:\n  history:\n    state: disabled\n  visibility:\n    state: disabled\n" +
		"\nnamespaceDefaults:\n  archival:\n    history:\n      state: disabled\n    visibility:\n      state: disabled\n" +
		fmt.Sprintf("\npublicClient:\n  hostPort: %q\n", c.FrontendAddr) +
		fmt.Sprintf("\ndynamicConfigClient:\n  filepath: %q\n  pollInterval: 10s\n", dyn)
	// Search attributes registered at run time are visible at once (the
	// worker registers them at start and uses them immediately).
	dynCfg := "system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n    constraints: {}\n"
	if err := os.WriteFile(dyn, []byte(dynCfg), 0o644); err != nil {
		return err
	}
	return os.WriteFile(c.ConfigFile(), []byte(cfg), 0o644)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// ConfigFile is the server's config.
func (c *Cluster) ConfigFile() string { return filepath.Join(c.Dir, "config.yaml") }

// Command is the server's command line (all four services in one process,
// as a small production cluster runs them per host).
func (c *Cluster) Command() []string {
	return []string{c.Server, "--config-file", c.ConfigFile(), "--allow-no-auth", "start"}
}

// Ready waits until the frontend answers and then registers the namespace
// (when missing) and the project's search attributes (worker's own
// RegisterSearchAttributes, the one list in workflows/names.go).
func (c *Cluster) Ready(ctx context.Context, timeout time.Duration) error {
	c.defaults()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		last = c.register(ctx)
		if last == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("temporal at %s not ready after %s: %w", c.FrontendAddr, timeout, last)
}

func (c *Cluster) register(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: c.FrontendAddr, Logger: quiet{}})
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := nc.Describe(rctx, c.Namespace); err != nil {
		err = nc.Register(rctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: c.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
		})
		if err != nil && !strings.Contains(err.Error(), "already") {
			return fmt.Errorf("register namespace %s: %w", c.Namespace, err)
		}
	}
	cl, err := client.Dial(client.Options{HostPort: c.FrontendAddr, Namespace: c.Namespace, Logger: quiet{}})
	if err != nil {
		return err
	}
	defer cl.Close()
	_, err = worker.RegisterSearchAttributes(rctx, cl, c.Namespace)
	return err
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// freePorts picks n free loopback ports below 32768: Temporal keeps its
// cluster membership ports in a smallint column, and this machine's
// ephemeral range (what port 0 gives) starts above it.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("no free loopback ports in 20000-32767")
		}
		p := 20000 + rand.IntN(12768)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		out = append(out, p)
	}
	return out, nil
}
