package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RetentionTable is one table the retention workflow prunes (issue #21).
// Its predicate names what is no longer needed: rows older than the
// period, and never what another part still reads (see each rule).
type RetentionTable struct {
	Name string
	// sql deletes (or clears) at most @limit rows older than @before.
	sql string
}

// RetentionTables are the pruned tables, in the order a round visits them.
func RetentionTables() []RetentionTable {
	return []RetentionTable{
		// events: older than the period AND already fanned out to the outbound
		// webhooks (the relay's cursor); realtime resync reads only recent ids.
		{"events", `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < @before
		AND id <= COALESCE((SELECT event_id FROM webhook_relay_cursor WHERE id = 1), 0) ORDER BY ts LIMIT @limit)`},
		// message_statuses: the status history and raw status payloads; the
		// message row keeps its current status and timestamps.
		{"message_statuses", `DELETE FROM message_statuses WHERE ctid = ANY(ARRAY(SELECT ctid FROM message_statuses
		WHERE received_at < @before LIMIT @limit))`},
		// idempotency keys: the key and fingerprint are cleared from the message
		// (the message stays); a retry after the period is a new request.
		{"idempotency_keys", `UPDATE messages SET idempotency_key = NULL, idempotency_fingerprint = NULL
		WHERE id IN (SELECT id FROM messages WHERE idempotency_key IS NOT NULL AND created_at < @before LIMIT @limit)`},
		// sessions: ended (expired or revoked) longer ago than the period; a
		// live session is never touched.
		{"sessions", `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < @before
		UNION ALL SELECT id FROM sessions WHERE revoked_at < @before LIMIT @limit)`},
		{"webhook_dead_letters", `DELETE FROM webhook_dead_letters WHERE id IN (SELECT id FROM webhook_dead_letters
		WHERE created_at < @before LIMIT @limit)`},
		// webhook_deliveries: finished (delivered or failed) rows only; a pending
		// delivery is still owed.
		{"webhook_deliveries", `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE status <> 'pending' AND created_at < @before LIMIT @limit)`},
		{"audit_log", `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < @before LIMIT @limit)`},
	}
}

// RetentionTableNames are the names of RetentionTables, in round order.
func RetentionTableNames() []string {
	var out []string
	for _, t := range RetentionTables() {
		out = append(out, t.Name)
	}
	return out
}

// RetentionStore prunes the RetentionTables in bounded batches.
type RetentionStore struct {
	DB *gorm.DB
}

// PruneBatch removes at most limit rows of table older than before and
// says how many went; fewer than limit means the table is done for now.
func (s RetentionStore) PruneBatch(ctx context.Context, table string, before time.Time, limit int) (int64, error) {
	for _, t := range RetentionTables() {
		if t.Name == table {
			res := s.DB.WithContext(ctx).Exec(t.sql, map[string]any{"before": before, "limit": limit})
			return res.RowsAffected, res.Error
		}
	}
	return 0, fmt.Errorf("retention: unknown table %q", table)
}
