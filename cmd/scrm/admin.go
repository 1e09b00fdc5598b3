package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

func newAdminCmd(f *rootFlags) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "administrative tasks on the database",
	}
	var in identity.AdminInput
	create := &cobra.Command{
		Use:   "create",
		Short: "create an agent with the Admin role",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			db, err := openDB(cmd.Context(), cfg, true)
			if err != nil {
				return err
			}
			defer func() { _ = models.CloseDB(db) }()
			in.Hasher = passwordHasher(cfg)
			a, err := identity.CreateAdmin(cmd.Context(), db, in)
			if err != nil {
				return fmt.Errorf("create admin: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "admin created: id %d, %s\n", a.ID, a.Email)
			return nil
		},
	}
	create.Flags().StringVar(&in.Email, "email", "", "login e-mail (required)")
	create.Flags().StringVar(&in.Password, "password", "", "password, at least 10 characters (required)")
	create.Flags().StringVar(&in.Name, "name", "Administrator", "display name")
	_ = create.MarkFlagRequired("email")
	_ = create.MarkFlagRequired("password")
	admin.AddCommand(create)
	return admin
}

// ensureDevAdmin creates the first Admin from cfg.AdminEmail/AdminPassword
// unless an agent with that email exists (scrm dev calls it after migrating).
func ensureDevAdmin(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer func() { _ = models.CloseDB(db) }()
	created, err := identity.EnsureAdmin(ctx, db, identity.AdminInput{Name: "Administrator", Email: cfg.AdminEmail, Password: cfg.AdminPassword, Hasher: passwordHasher(cfg)})
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if created {
		log.Info("first admin created", "email", cfg.AdminEmail)
	}
	return nil
}
