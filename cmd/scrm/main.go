// Command scrm is the only binary of the product and its composition root:
// it reads the configuration, opens the real dependencies and wires every
// role. Nothing else in the tree reads config or holds globals.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		// One line, so an operator sees the reason at once.
		fmt.Fprintln(os.Stderr, "scrm:", err)
		os.Exit(1)
	}
}

type rootFlags struct {
	configPath string
}

func newRoot() *cobra.Command {
	f := &rootFlags{}
	root := &cobra.Command{
		Use:           "scrm",
		Short:         "WhatsApp Business SCRM: inbox, case pool, campaigns on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&f.configPath, "config", "", "YAML config file (values below SCRM_* environment variables)")
	root.AddCommand(
		newAPICmd(f),
		newWorkerCmd(f),
		newRealtimeCmd(f),
		newMigrateCmd(f),
		newDevCmd(f),
		newAdminCmd(f),
		newWABASimCmd(f),
	)
	return root
}

// load reads and validates the configuration.
func (f *rootFlags) load() (config.Config, error) {
	cfg, err := config.Load(f.configPath)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
