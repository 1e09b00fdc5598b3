// Package throttle slows down password guessing: the login throttle per
// account and address (its own rows), below identity's Login.
package throttle

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// LoginThrottle slows down password guessing with a progressive delay
// instead of a lockout. Failures are counted per account-and-address (so
// guessing one account from one place slows down while its real user, from
// another address, logs in as usual) and per address (one place spraying
// many accounts). After Free failures of a key each further one blocks the
// key for twice as long as the last (BaseDelay 1 s, 2 s, 4 s, ... up to
// MaxDelay);
// a success clears the account-and-address key; a key quiet for Window is
// forgotten. The counts live in PostgreSQL (login_throttle), shared by all
// api replicas: N replicas no longer give N times the guesses.
type LoginThrottle struct {
	AccountIPFree int
	IPFree        int
	BaseDelay     time.Duration
	MaxDelay      time.Duration
	Window        time.Duration
}

// DefaultLoginThrottle allows 5 failures per account and address and 30 per
// address before delays start, delays of at most 15 minutes, and forgets
// after an hour without failures.
func DefaultLoginThrottle() LoginThrottle {
	return LoginThrottle{AccountIPFree: 5, IPFree: 30, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, Window: time.Hour}
}

type Key struct {
	key, field string
	free       int
}

func (l LoginThrottle) Keys(email, ip string) []Key {
	return []Key{{"acct-ip:" + email + "|" + ip, "email", l.AccountIPFree}, {"ip:" + ip, "ip", l.IPFree}}
}

// delay is the block after the n-th failure of a key.
func (l LoginThrottle) delay(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(min(n-free, 30)))) * l.BaseDelay
	return min(d, l.MaxDelay)
}

// Check answers 429 while any key is blocked, naming it and when to retry.
func (l LoginThrottle) Check(ctx context.Context, db *gorm.DB, keys []Key) error {
	var rows []struct {
		Key  string
		Wait float64
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	if err := db.WithContext(ctx).Raw(`SELECT key, EXTRACT(EPOCH FROM blocked_until - now()) AS wait FROM login_throttle
		WHERE key IN ? AND blocked_until > now() AND last_failure > now() - make_interval(secs => ?)`, names, l.Window.Seconds()).
		Scan(&rows).Error; err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	field, wait := "", 0.0
	for _, r := range rows {
		for _, k := range keys {
			if k.key == r.Key && r.Wait > wait {
				field, wait = k.field, r.Wait
			}
		}
	}
	if field == "" {
		return nil
	}
	secs := max(int(math.Ceil(wait)), 1)
	return models.FieldError(models.ERateLimited, field, "too many failed logins for this %s; retry in %d seconds", field, secs).
		WithDetails(map[string]any{"retryAfterSeconds": secs})
}

// Fail counts one failure on every key and blocks those past their budget.
func (l LoginThrottle) Fail(ctx context.Context, db *gorm.DB, keys []Key) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range keys {
			var n int
			if err := tx.Raw(`INSERT INTO login_throttle AS t (key, failures, last_failure, blocked_until) VALUES (?, 1, now(), now())
				ON CONFLICT (key) DO UPDATE SET last_failure = now(),
					failures = CASE WHEN t.last_failure < now() - make_interval(secs => ?) THEN 1 ELSE t.failures + 1 END
				RETURNING failures`, k.key, l.Window.Seconds()).Scan(&n).Error; err != nil {
				return fmt.Errorf("login throttle: %w", err)
			}
			if d := l.delay(n, k.free); d > 0 {
				if err := tx.Exec(`UPDATE login_throttle SET blocked_until = now() + make_interval(secs => ?) WHERE key = ?`,
					d.Seconds(), k.key).Error; err != nil {
					return fmt.Errorf("login throttle: %w", err)
				}
			}
		}
		return nil
	})
}

// Succeed clears the account-and-address key (the address key decays on
// its own) and forgets keys quiet for two windows.
func (l LoginThrottle) Succeed(ctx context.Context, db *gorm.DB, keys []Key) error {
	err := db.WithContext(ctx).Exec(`DELETE FROM login_throttle WHERE key = ? OR last_failure < now() - make_interval(secs => ?)`,
		keys[0].key, 2*l.Window.Seconds()).Error
	if err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}
