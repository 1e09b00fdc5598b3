package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
)

// MigrateRole is `scrm migrate`: apply pending migrations (idempotent).
type MigrateRole struct {
	Cfg config.Config
	// CreateDB creates the database first when it does not exist.
	CreateDB bool
	// Out receives the count of applied migrations.
	Out io.Writer
}

// Run migrates once and returns.
func (r MigrateRole) Run(ctx context.Context) error {
	if r.CreateDB {
		if _, err := ensureDatabase(ctx, r.Cfg); err != nil {
			return err
		}
	}
	n, err := migrate(ctx, r.Cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "migrations applied: %d\n", n)
	return nil
}

// migrate applies pending migrations to cfg's database (scrm migrate and
// scrm dev).
func migrate(ctx context.Context, cfg config.Config) (int, error) {
	db, err := openDB(ctx, cfg, false)
	if err != nil {
		return 0, err
	}
	defer func() { _ = models.CloseDB(db) }()
	sqlDB, _ := db.DB()
	return migrations.Up(ctx, sqlDB)
}

func newMigrateCmd(f *rootFlags) *cobra.Command {
	var createDB bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "apply pending database migrations (idempotent)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			return MigrateRole{Cfg: cfg, CreateDB: createDB, Out: cmd.OutOrStdout()}.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&createDB, "create-db", false, "create the database first when it does not exist")
	return cmd
}
