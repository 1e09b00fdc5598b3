// Package testenv gives tests real infrastructure: a fresh, migrated
// PostgreSQL database and a RabbitMQ connection with unique names. It does
// not import the Temporal server (see testenv/temporalenv for that), so test
// binaries that only need PostgreSQL or RabbitMQ stay small.
//
// Locations come from SCRM_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test) and SCRM_TEST_AMQP_URL (default
// amqp://guest:guest@127.0.0.1:5672/). scripts/ensure-services.sh starts both.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
)

// BaseDatabaseURL is the server the tests create their databases on.
func BaseDatabaseURL() string {
	if v := os.Getenv("SCRM_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// AMQPURL is the broker the tests use.
func AMQPURL() string {
	if v := os.Getenv("SCRM_TEST_AMQP_URL"); v != "" {
		return v
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// UniqueName returns prefix plus 8 random hex characters.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// DB is a fresh, migrated database that is dropped when the test ends.
type DB struct {
	Gorm *gorm.DB
	URL  string
	Name string
}

// ScratchDatabase creates an empty, uniquely named database (prefix plus
// random hex) on the server of base and returns its DSN and a func that
// drops it. Tests use NewDB/EmptyDatabaseURL; benchmarks call it directly.
func ScratchDatabase(ctx context.Context, base, prefix string) (dsn string, drop func(), err error) {
	admin, err := models.OpenDB(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w (run scripts/ensure-services.sh)", base, err)
	}
	defer func() { _ = models.CloseDB(admin) }()
	name := UniqueName(prefix)
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := models.OpenDB(ctx, base)
		if err != nil {
			return
		}
		defer func() { _ = models.CloseDB(admin) }()
		_ = admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
	}
	return withDatabase(base, name), drop, nil
}

// NewDB creates a database named after the test, migrates it and drops it
// at cleanup. Call it once per test (or once in a parent test and share it).
func NewDB(tb testing.TB) *DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dsn, drop, err := ScratchDatabase(ctx, BaseDatabaseURL(), "scrm_t_")
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(drop)
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		tb.Fatalf("testenv: open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { _ = models.CloseDB(db) }) // runs before drop
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		tb.Fatalf("testenv: migrate: %v", err)
	}
	u, _ := url.Parse(dsn)
	return &DB{Gorm: db, URL: dsn, Name: strings.TrimPrefix(u.Path, "/")}
}

// EmptyDatabaseURL creates an unmigrated database (for migration tests) and
// drops it at cleanup.
func EmptyDatabaseURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, drop, err := ScratchDatabase(ctx, BaseDatabaseURL(), "scrm_e_")
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(drop)
	return dsn
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("testenv: bad database url %q: %v", dsn, err))
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}

// AMQP is a live broker connection plus names unique to this test.
type AMQP struct {
	Conn     *amqp.Connection
	URL      string
	Exchange string // unique fanout exchange name; not declared yet
}

// NewAMQP dials RabbitMQ and returns a unique exchange name; the exchange is
// deleted (if the test declared it) and the connection closed at cleanup.
func NewAMQP(tb testing.TB) *AMQP {
	tb.Helper()
	conn, err := amqp.Dial(AMQPURL())
	if err != nil {
		tb.Fatalf("testenv: cannot reach RabbitMQ at %s: %v (run scripts/ensure-services.sh)", AMQPURL(), err)
	}
	a := &AMQP{Conn: conn, URL: AMQPURL(), Exchange: UniqueName("scrm.test.")}
	tb.Cleanup(func() {
		if ch, err := conn.Channel(); err == nil {
			_ = ch.ExchangeDelete(a.Exchange, false, false)
			_ = ch.Close()
		}
		_ = conn.Close()
	})
	return a
}
