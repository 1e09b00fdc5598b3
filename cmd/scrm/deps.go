package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/worker"
)

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	// Records logged inside an activity carry its workflow_id and run_id.
	return slog.New(worker.ActivityLogHandler{Handler: slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})})
}

// reason turns a connection error into the short cause an operator needs.
func reason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i < 120 {
		return msg[i+2:]
	}
	return msg
}

// openDB connects to PostgreSQL; requireSchema also refuses an unmigrated schema.
func openDB(ctx context.Context, cfg config.Config, requireSchema bool) (*gorm.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := models.OpenDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %s", cfg.DatabaseHost(), reason(err))
	}
	if requireSchema {
		sqlDB, _ := db.DB()
		if err := migrations.Check(ctx, sqlDB); err != nil {
			_ = models.CloseDB(db)
			return nil, err
		}
	}
	return db, nil
}

// ensureDatabase creates the database named in cfg.DatabaseURL when it is
// missing (scrm dev and scrm migrate --create-db).
func ensureDatabase(ctx context.Context, cfg config.Config) (created bool, err error) {
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return false, fmt.Errorf("SCRM_DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return false, errors.New("SCRM_DATABASE_URL names no database")
	}
	u.Path = "/postgres"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	admin, err := models.OpenDB(ctx, u.String())
	if err != nil {
		return false, fmt.Errorf("cannot reach PostgreSQL at %s: %s", cfg.DatabaseHost(), reason(err))
	}
	defer func() { _ = models.CloseDB(admin) }()
	var n int64
	if err := admin.WithContext(ctx).Raw("SELECT count(*) FROM pg_database WHERE datname = ?", name).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("look up database %q: %w", name, err)
	}
	if n > 0 {
		return false, nil
	}
	if err := admin.WithContext(ctx).Exec(`CREATE DATABASE "` + strings.ReplaceAll(name, `"`, `""`) + `"`).Error; err != nil {
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}

func dialAMQP(cfg config.Config) (*amqp.Connection, error) {
	conn, err := amqp.DialConfig(cfg.AMQPURL, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second), Heartbeat: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("cannot reach RabbitMQ at %s: %s", cfg.AMQPHost(), reason(err))
	}
	return conn, nil
}

func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		MetricsHandler: metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %q): %s", cfg.TemporalAddress, cfg.TemporalNamespace, reason(err))
	}
	return c, nil
}
