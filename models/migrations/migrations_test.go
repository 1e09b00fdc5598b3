package migrations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/worker/testenv"
)

func TestUpIsIdempotentAndCheckSeesPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := models.OpenDB(ctx, testenv.EmptyDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = models.CloseDB(db) }()
	sqlDB, _ := db.DB()

	if err := migrations.Check(ctx, sqlDB); !errors.Is(err, migrations.ErrNotMigrated) {
		t.Fatalf("empty database: want ErrNotMigrated, got %v", err)
	}
	n, err := migrations.Up(ctx, sqlDB)
	if err != nil || n == 0 {
		t.Fatalf("first Up: n=%d err=%v", n, err)
	}
	if err := migrations.Check(ctx, sqlDB); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	n, err = migrations.Up(ctx, sqlDB)
	if err != nil || n != 0 {
		t.Fatalf("second Up must apply nothing: n=%d err=%v", n, err)
	}
	var tables int
	if err := db.Raw("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('probes','events')").Scan(&tables).Error; err != nil || tables != 2 {
		t.Fatalf("tables: %d %v", tables, err)
	}
}
