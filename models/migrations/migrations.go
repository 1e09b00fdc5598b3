// Package migrations holds the versioned SQL schema and applies it with goose.
//
// Version ranges keep parallel work apart: 1-9 foundation, 10-19 identity,
// 20-29 WhatsApp (senders, templates, contacts, conversations, messages),
// 30-39 realtime events, 40-49 inbox, 50-59 contacts/intake/cases, 60-69 campaigns,
// 110-119 reports (rollups, rate card).
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

func provider(db *sql.DB) (*goose.Provider, error) {
	// Out-of-order is allowed because version ranges are assigned per area and
	// a dev database may have seen a later range before an earlier one landed.
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Up applies every pending migration and returns how many ran.
func Up(ctx context.Context, db *sql.DB) (int, error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrations: apply: %w", err)
	}
	return len(res), nil
}

// Hash is a hex SHA-256 over every migration's name and content, so it
// changes whenever the schema they build may change. Tests key their
// migrated template database by it.
func Hash() (string, error) {
	names, err := fs.Glob(files, "*.sql") // sorted, so the hash is stable
	if err != nil {
		return "", fmt.Errorf("migrations: %w", err)
	}
	h := sha256.New()
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return "", fmt.Errorf("migrations: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ErrNotMigrated says the schema is behind the binary.
var ErrNotMigrated = errors.New("database schema is not migrated")

// Check returns ErrNotMigrated (wrapped, with the count) when migrations are pending.
func Check(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: check: %w", err)
	}
	if pending {
		cur, _ := p.GetDBVersion(ctx)
		return fmt.Errorf("%w (database at version %d, binary wants %d): run `scrm migrate`", ErrNotMigrated, cur, latest(p))
	}
	return nil
}

func latest(p *goose.Provider) int64 {
	var v int64
	for _, s := range p.ListSources() {
		if s.Version > v {
			v = s.Version
		}
	}
	return v
}
