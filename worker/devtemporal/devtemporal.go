// Package devtemporal embeds a single-process Temporal server (SQLite file
// persistence) and the Temporal Web UI, for `scrm dev` only. Production uses
// a real Temporal cluster; tests use go.temporal.io/server/temporaltest.
//
// Only cmd/scrm imports this package, so the other binaries and test
// packages do not link the Temporal server.
package devtemporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	_ "modernc.org/sqlite" // the driver the server's SQLite plugin uses
)

// Options configure the embedded server.
type Options struct {
	DataDir      string // holds temporal.db; created if missing
	FrontendAddr string // gRPC, e.g. 127.0.0.1:7233
	UIAddr       string // Web UI, e.g. 127.0.0.1:8233; empty disables the UI
	Namespace    string
	// SearchAttributes are created with the namespace on first start.
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           *slog.Logger
}

// Server is a running embedded Temporal (and UI).
type Server struct {
	temporal temporal.Server
	ui       *uiserver.Server
	uiAddr   string
}

// Start creates the SQLite schema on first use, registers the namespace and
// starts the four Temporal services in-process, then the Web UI.
func Start(ctx context.Context, o Options) (*Server, error) {
	host, portStr, err := net.SplitHostPort(o.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("temporal frontend address %q: %w", o.FrontendAddr, err)
	}
	frontendPort, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("temporal frontend port %q: %w", portStr, err)
	}
	if err := portFree(o.FrontendAddr); err != nil {
		return nil, fmt.Errorf("embedded Temporal cannot listen on %s (%w); stop whatever holds it or set SCRM_TEMPORAL_ADDRESS", o.FrontendAddr, err)
	}
	if o.UIAddr != "" {
		if err := portFree(o.UIAddr); err != nil {
			return nil, fmt.Errorf("the Temporal Web UI cannot listen on %s (%w); set SCRM_TEMPORAL_UI_ADDR", o.UIAddr, err)
		}
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", o.DataDir, err)
	}
	dbFile := filepath.Join(o.DataDir, "temporal.db")
	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbFile,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "1",
			// Writers wait for each other instead of failing with SQLITE_BUSY.
			"busy_timeout": "10000",
		},
		MaxConns:     4,
		MaxIdleConns: 4,
	}
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("create Temporal schema in %s: %w", dbFile, err)
		}
	}
	if err := forgetMembership(ctx, dbFile); err != nil {
		return nil, err
	}
	ns, err := sqlite.NewNamespaceConfig("active", o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace config: %w", err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %q: %w", o.Namespace, err)
	}

	ports, err := freePorts(host, 7)
	if err != nil {
		return nil, err
	}
	svc := func(grpcPort, memberPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: memberPort, BindOnIP: host}}
	}
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: o.FrontendAddr},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(frontendPort, ports[0]),
			"history":  svc(ports[1], ports[2]),
			"matching": svc(ports[3], ports[4]),
			"worker":   svc(ports[5], ports[6]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: o.FrontendAddr},
	}
	// The server's own log goes to a file so the dev console stays readable.
	tl := tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{Level: "warn", Format: "json", OutputFile: filepath.Join(o.DataDir, "temporal-server.log")}))
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, tl)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(tl),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Search attributes added at run time are visible at once.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("build embedded Temporal: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start embedded Temporal: %w", err)
	}
	s := &Server{temporal: srv}
	if o.UIAddr != "" {
		if err := s.startUI(o); err != nil {
			_ = srv.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) startUI(o Options) error {
	host, portStr, _ := net.SplitHostPort(o.UIAddr)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("temporal UI port %q: %w", portStr, err)
	}
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: o.FrontendAddr,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		DisableNewsFetch:    true, // no internet here
		HideLogs:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		Distribution:        "scrm-dev",
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(staticUIConfig{cfg}))
	s.uiAddr = o.UIAddr
	go func() {
		if err := s.ui.Start(); err != nil {
			o.Logger.Error("temporal web ui stopped", "err", err)
		}
	}()
	// Wait until the UI answers so the printed URL works when printed.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + o.UIAddr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("temporal web ui did not come up on %s", o.UIAddr)
}

// Stop stops the UI, then the server.
func (s *Server) Stop() error {
	if s.ui != nil {
		s.ui.Stop()
	}
	return s.temporal.Stop()
}

type staticUIConfig struct{ cfg *uiconfig.Config }

func (p staticUIConfig) GetConfig() (*uiconfig.Config, error) { return p.cfg, nil }

// forgetMembership clears the ring membership a previous run left in the
// SQLite file. Its services listened on other (random) ports; without this
// the new ring waits for those dead hosts and never becomes healthy.
func forgetMembership(ctx context.Context, dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", dbFile, err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(ctx, "DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("reset Temporal membership in %s: %w", dbFile, err)
	}
	return nil
}

func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// freePorts asks the kernel for n distinct free ports on host. Holding all
// listeners until the end keeps the ports distinct.
func freePorts(host string, n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port on %s: %w", host, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
