// Command temporal runs the production Temporal server on this machine (see
// package prodtemporal): it builds the server and its SQL tool from the
// pinned module once, creates the schema on PostgreSQL, writes a config
// with several history shards, starts the server as a child process,
// registers the namespace and the project's search attributes, prints the
// frontend address and serves until interrupted (the server gets SIGTERM).
//
//	go run ./bench/temporal [-pg-port 5432] [-db scrm_temporal] [-frontend 127.0.0.1:7433] [-shards 4]
//
// scripts/ensure-temporal-server.sh starts it in the background for the
// benches.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wabascrm/scrm/bench/prodtemporal"
)

func main() {
	var (
		root     = flag.String("root", ".", "repository root (its go.mod pins the server)")
		binDir   = flag.String("bin-dir", "", "where the server is built once (default <root>/bin/temporal-"+prodtemporal.ServerVersion+")")
		dir      = flag.String("dir", "", "config and log directory (default <bin-dir>/run)")
		pgHost   = flag.String("pg-host", "127.0.0.1", "PostgreSQL host")
		pgPort   = flag.Int("pg-port", 5432, "PostgreSQL port")
		pgUser   = flag.String("pg-user", "postgres", "PostgreSQL user (trust auth)")
		db       = flag.String("db", "scrm_temporal", "Temporal's database (the visibility one is <db>_visibility)")
		shards   = flag.Int("shards", 4, "numHistoryShards")
		frontend = flag.String("frontend", "127.0.0.1:7433", "frontend gRPC address")
		ns       = flag.String("namespace", "default", "namespace to register")
		conns    = flag.Int("max-conns", 20, "the server's PostgreSQL pool")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *root, *binDir, *dir, prodtemporal.Cluster{
		PGHost: *pgHost, PGPort: *pgPort, PGUser: *pgUser, DB: *db, Shards: *shards, FrontendAddr: *frontend, Namespace: *ns, MaxConns: *conns,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "temporal:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, root, binDir, dir string, c prodtemporal.Cluster) error {
	bins, err := prodtemporal.Build(ctx, root, binDir, os.Stderr)
	if err != nil {
		return err
	}
	c.Bins = bins
	c.Dir = dir
	if c.Dir == "" {
		c.Dir = filepath.Join(filepath.Dir(bins.Server), "run")
	}
	if err := c.CreateSchema(ctx, os.Stderr); err != nil {
		return err
	}
	if err := c.WriteConfig(); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "temporal-server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	argv := c.Command()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := c.Ready(ctx, 2*time.Minute); err != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		return fmt.Errorf("%w (log %s)", err, logf.Name())
	}
	fmt.Printf("temporal %s on PostgreSQL %s:%d/%s, %d shards: frontend %s (log %s)\n",
		prodtemporal.ServerVersion, c.PGHost, c.PGPort, c.DB, c.Shards, c.FrontendAddr, logf.Name())
	select {
	case err := <-exited:
		return fmt.Errorf("temporal server exited: %v", err)
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		return nil
	}
}
