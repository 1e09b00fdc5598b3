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
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
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

// Hasher hashes passwords at bcrypt's minimum cost: tests create many
// agents and log in often, and the production cost makes each hash cost
// tens of milliseconds (far more under -race) for no test value.
func Hasher() identity.Hasher { return identity.Hasher{Cost: bcrypt.MinCost} }

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
	return withDatabase(base, name), func() { dropDatabase(base, name) }, nil
}

// MaxConns caps each test database's pool. The server allows 100
// connections in all, shared by every test binary that `go test ./...` runs
// at once (and by other checkouts testing on the same server), so a test
// that runs in parallel with others must not hold many.
const MaxConns = 4

// NewDB clones a fresh database from the migrated template (see
// templateDatabase) and drops it at cleanup. Cloning costs a file copy,
// migrating every test's database cost all goose migrations each time.
// Call it once per test (or once in a parent test and share it).
func NewDB(tb testing.TB) *DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := BaseDatabaseURL()
	admin, err := models.OpenDB(ctx, base)
	if err != nil {
		tb.Fatalf("testenv: cannot reach PostgreSQL at %s: %v (run scripts/ensure-services.sh)", base, err)
	}
	defer func() { _ = models.CloseDB(admin) }()
	tpl, err := templateDatabase(ctx, admin)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	name := UniqueName("scrm_t_")
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl).Error; err != nil {
		tb.Fatalf("testenv: create database %s from %s: %v", name, tpl, err)
	}
	tb.Cleanup(func() { dropDatabase(base, name) })
	dsn := withDatabase(base, name)
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		tb.Fatalf("testenv: open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { _ = models.CloseDB(db) }) // runs before the drop
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	sqlDB.SetMaxOpenConns(MaxConns)
	sqlDB.SetMaxIdleConns(MaxConns)
	return &DB{Gorm: db, URL: dsn, Name: name}
}

// templateDatabase returns the name of a database migrated to exactly the
// embedded migrations, creating it when missing. It is named after a hash
// of the migrations, so a changed migration gets a new template and
// checkouts with different migrations can share the server; it is left in
// place for later runs. Creation happens under an advisory lock so test
// binaries starting at once migrate it only once, into a build database
// renamed when complete: an interrupted run never leaves a half-migrated
// template behind.
func templateDatabase(ctx context.Context, admin *gorm.DB) (string, error) {
	hash, err := migrations.Hash()
	if err != nil {
		return "", err
	}
	tpl := "scrm_tpl_" + hash[:16]
	exists := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (bool, error) {
		var n int
		err := q.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", tpl).Scan(&n)
		return n > 0, err
	}
	sqlDB, err := admin.DB()
	if err != nil {
		return "", err
	}
	if ok, err := exists(sqlDB); err != nil || ok {
		return tpl, err
	}
	// Advisory locks belong to a session: lock and unlock on one connection.
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	const lockKey = 0x5c7a_7e51 // any constant shared by every test binary
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey) }()
	if ok, err := exists(conn); err != nil || ok { // another binary made it meanwhile
		return tpl, err
	}
	build := "scrm_tpb_" + hash[:16]
	for _, q := range []string{"DROP DATABASE IF EXISTS " + build + " WITH (FORCE)", "CREATE DATABASE " + build} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return "", fmt.Errorf("template: %s: %w", q, err)
		}
	}
	if err := migrateDatabase(ctx, withDatabase(BaseDatabaseURL(), build)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+build+" RENAME TO "+tpl); err != nil {
		return "", fmt.Errorf("template: rename: %w", err)
	}
	return tpl, nil
}

// migrateDatabase applies every migration to the database at dsn and
// closes its connections (a template must have none when cloned).
func migrateDatabase(ctx context.Context, dsn string) error {
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		return fmt.Errorf("template: open: %w", err)
	}
	defer func() { _ = models.CloseDB(db) }()
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		return fmt.Errorf("template: migrate: %w", err)
	}
	return nil
}

// dropDatabase drops name on the server of base, ending its connections.
func dropDatabase(base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := models.OpenDB(ctx, base)
	if err != nil {
		return
	}
	defer func() { _ = models.CloseDB(admin) }()
	_ = admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
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

// SQL runs a test's fixture statements, failing the test on an error.
type SQL struct {
	T  testing.TB
	DB *gorm.DB
}

// Exec runs q.
func (f SQL) Exec(q string, args ...any) {
	f.T.Helper()
	if err := f.DB.Exec(q, args...).Error; err != nil {
		f.T.Fatalf("%s: %v", q, err)
	}
}

// ID runs q and returns its one integer (an id or a count).
func (f SQL) ID(q string, args ...any) int64 {
	f.T.Helper()
	var n int64
	if err := f.DB.Raw(q, args...).Scan(&n).Error; err != nil {
		f.T.Fatalf("%s: %v", q, err)
	}
	return n
}
