package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
)

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
			if createDB {
				if _, err := ensureDatabase(cmd.Context(), cfg); err != nil {
					return err
				}
			}
			db, err := openDB(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			defer func() { _ = models.CloseDB(db) }()
			sqlDB, _ := db.DB()
			n, err := migrations.Up(cmd.Context(), sqlDB)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrations applied: %d\n", n)
			return nil
		},
	}
	cmd.Flags().BoolVar(&createDB, "create-db", false, "create the database first when it does not exist")
	return cmd
}
