package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/devtemporal"
	"github.com/wabascrm/scrm/workflows"
)

func newDevCmd(f *rootFlags) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "run everything on loopback with an embedded Temporal server and Web UI",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
			}
			// The WhatsApp simulator stands in for Meta unless a real API is configured.
			useSim := os.Getenv("SCRM_WABA_BASE_URL") == ""
			return DevRole{Cfg: cfg, Simulator: useSim, Out: cmd.OutOrStdout()}.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "state directory (default SCRM_DATA_DIR or .scrm)")
	cmd.AddCommand(newDevTemporalCmd(f))
	return cmd
}

// newDevTemporalCmd runs only the embedded Temporal server and Web UI, so
// the roles can run as separate processes against it (bench/drills).
func newDevTemporalCmd(f *rootFlags) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:    "temporal",
		Short:  "run only the embedded Temporal dev server and Web UI",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
			}
			return DevTemporalRole{Cfg: cfg, Out: cmd.OutOrStdout()}.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "state directory (default SCRM_DATA_DIR or .scrm)")
	return cmd
}

// devSecrets are generated on first start and kept in the data dir so that
// tokens and webhook signatures stay valid across restarts.
type devSecrets struct {
	JWTSecret       string `json:"jwt_secret"`
	WABAAppSecret   string `json:"waba_app_secret"`
	WABAVerifyToken string `json:"waba_verify_token"`
	WABAAccessToken string `json:"waba_access_token"`
	AdminPassword   string `json:"admin_password"`
}

func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func loadDevSecrets(dir string) (devSecrets, error) {
	path := filepath.Join(dir, "dev-secrets.json")
	var s devSecrets
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, fmt.Errorf("read %s: %w (delete it to regenerate)", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	changed := false
	fill := func(v *string, n int) {
		if *v == "" {
			*v, changed = randomSecret(n), true
		}
	}
	fill(&s.JWTSecret, 32)
	fill(&s.WABAAppSecret, 24)
	fill(&s.WABAVerifyToken, 12)
	fill(&s.WABAAccessToken, 24)
	fill(&s.AdminPassword, 12)
	if changed {
		raw, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return s, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return s, nil
}

// applyDevSecrets fills every secret the user did not set.
func applyDevSecrets(cfg *config.Config, s devSecrets) {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&cfg.JWTSecret, s.JWTSecret)
	set(&cfg.WABAAppSecret, s.WABAAppSecret)
	set(&cfg.WABAVerifyToken, s.WABAVerifyToken)
	set(&cfg.WABAAccessToken, s.WABAAccessToken)
	set(&cfg.AdminPassword, s.AdminPassword)
}

// DevTemporalRole is `scrm dev temporal`: only the embedded Temporal dev
// server and its Web UI, so the roles can run as separate processes
// against it (bench, drills).
type DevTemporalRole struct {
	Cfg  config.Config
	Opts Options
	Out  io.Writer
}

// Run serves until ctx is done.
func (r DevTemporalRole) Run(ctx context.Context) error {
	cfg := r.Cfg
	tsrv, err := devtemporal.Start(ctx, devtemporal.Options{
		DataDir: filepath.Join(cfg.DataDir, "temporal"), FrontendAddr: cfg.TemporalAddress, UIAddr: cfg.TemporalUIAddr,
		Namespace: cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributes(), Logger: r.Opts.logger(cfg, "dev-temporal"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "temporal on %s, Web UI http://%s\n", cfg.TemporalAddress, cfg.TemporalUIAddr)
	<-ctx.Done()
	return tsrv.Stop()
}

// DevRole is `scrm dev`: every role in one process on loopback, sharing one
// set of connections, with an embedded Temporal dev server.
type DevRole struct {
	Cfg  config.Config
	Opts Options
	// Simulator runs the WhatsApp simulator on Cfg.WABASimAddr and points
	// the product at it (the command sets it unless a real API is configured).
	Simulator bool
	// Out receives the banner.
	Out io.Writer
}

// Run starts everything, proves the chain and serves until ctx is done.
func (r DevRole) Run(ctx context.Context) error {
	cfg, out, useSim := r.Cfg, r.Out, r.Simulator
	started := time.Now()
	log := r.Opts.logger(cfg, "dev")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	secrets, err := loadDevSecrets(cfg.DataDir)
	if err != nil {
		return err
	}
	applyDevSecrets(&cfg, secrets)
	cfg.IntegrationsAllowPrivateTargets = true // dev delivers to receivers on this machine
	if cfg.WABAAppID == "" {
		cfg.WABAAppID = sim.DefaultAppID // the embedded simulator's uploads
	}
	if cfg.PublicRealtimeURL == "ws://127.0.0.1:8081/ws" {
		// Follow a moved gateway unless the user set the public URL.
		cfg.PublicRealtimeURL = "ws://" + cfg.RealtimeAddr + "/ws"
	}
	if useSim {
		cfg.WABABaseURL = "http://" + cfg.WABASimAddr
	}

	// PostgreSQL and RabbitMQ are real servers; say exactly what to start.
	if _, err := ensureDatabase(ctx, cfg); err != nil {
		return fmt.Errorf("%w; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or scripts/ensure-services.sh)", err)
	}
	probeConn, err := dialAMQP(cfg)
	if err != nil {
		return fmt.Errorf("%w; start it with: rabbitmq-server -detached (or scripts/ensure-services.sh)", err)
	}
	_ = probeConn.Close()

	n, err := migrate(ctx, cfg)
	if err != nil {
		return err
	}
	log.Info("database migrated", "applied", n)
	if err := ensureDevAdmin(ctx, cfg, log); err != nil {
		return err
	}

	tsrv, err := devtemporal.Start(ctx, devtemporal.Options{
		DataDir:          filepath.Join(cfg.DataDir, "temporal"),
		FrontendAddr:     cfg.TemporalAddress,
		UIAddr:           cfg.TemporalUIAddr,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := tsrv.Stop(); err != nil {
			log.Warn("temporal stop", "err", err)
		}
	}()

	in, err := connect(ctx, cfg, log, needsAll())
	if err != nil {
		return err
	}
	defer in.close()
	if added, err := worker.RegisterSearchAttributes(ctx, in.temporal, cfg.TemporalNamespace); err != nil {
		return err
	} else if len(added) > 0 {
		log.Info("search attributes registered", "added", added)
	}

	// Each role names itself in its records (role=api, role=worker, ...).
	opts := r.Opts
	if opts.Logger == nil {
		opts.Logger = newLogger(cfg.LogLevel)
	}
	var simRole *WABASimRole
	if useSim {
		// The simulator keeps its numbers, templates and customers in the data
		// dir, so a restart of scrm dev finds what the product still holds.
		if simRole, err = NewWABASim(cfg, opts, sim.Options{Seed: 1, StateFile: filepath.Join(cfg.DataDir, "wabasim.json")}); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return APIRole{Cfg: cfg, Opts: opts, Conns: in}.Run(gctx) })
	if simRole != nil {
		g.Go(func() error { return simRole.Run(gctx) })
	}
	g.Go(func() error { return RealtimeRole{Cfg: cfg, Opts: opts, Conns: in}.Run(gctx) })
	g.Go(func() error { return WorkerRole{Cfg: cfg, Opts: opts, Conns: in}.Run(gctx) })

	// Prove the whole chain before telling the user it is up.
	g.Go(func() error {
		pctx, cancel := context.WithTimeout(gctx, 30*time.Second)
		defer cancel()
		key := fmt.Sprintf("dev-start-%d", time.Now().UnixNano())
		run, err := in.temporal.ExecuteWorkflow(pctx, clientStartOptions(workflows.ProbeWorkflowID(key), cfg.TemporalTaskQueue), workflows.ProbeWorkflow, activities.ProbeInput{Key: key})
		if err != nil {
			return fmt.Errorf("start probe workflow: %w", err)
		}
		var res activities.ProbeResult
		if err := run.Get(pctx, &res); err != nil {
			return fmt.Errorf("probe workflow: %w", err)
		}
		fmt.Fprintf(out, `
SCRM dev is up (%.1fs; worker round-trip through Temporal and PostgreSQL OK)
  app + API        http://%s
  readiness        http://%s/readyz
  realtime (ws)    ws://%s/ws
  Temporal Web UI  http://%s/namespaces/%s/workflows
  Temporal gRPC    %s
  WhatsApp API     %s
  customer phone   %s
  data dir         %s
  admin login      %s / %s
Ctrl-C stops everything.
`, time.Since(started).Seconds(), cfg.HTTPAddr, cfg.HTTPAddr, cfg.RealtimeAddr, cfg.TemporalUIAddr, cfg.TemporalNamespace,
			cfg.TemporalAddress, cfg.WABABaseURL, phoneURL(cfg, useSim), cfg.DataDir, cfg.AdminEmail, cfg.AdminPassword)
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	log.Info("dev stopped")
	return err
}

// phoneURL is the simulator's customer phone page (dev only), or a note
// when the real Cloud API is configured.
func phoneURL(cfg config.Config, useSim bool) string {
	if !useSim {
		return "(none: the real WhatsApp Cloud API is configured)"
	}
	return "http://" + cfg.WABASimAddr + "/sim/phone  (play a customer)"
}
