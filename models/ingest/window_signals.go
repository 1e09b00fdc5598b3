package ingest

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// WindowSignalStore is the durable outbox of "a window opened" signals for
// Temporal (see migrations 00040 and 00091): a row is written with the
// inbound message that opened the window, in the webhook's transaction;
// the workers' relay claims rows in batches, signals, and deletes them.
type WindowSignalStore struct{ DB *gorm.DB }

// Claim leases up to limit unclaimed (or expired) rows, oldest first, for
// lease; rows another relay holds are skipped, not waited for.
func (w WindowSignalStore) Claim(ctx context.Context, limit int, lease time.Duration) ([]OpenedWindow, error) {
	var out []OpenedWindow
	err := w.DB.WithContext(ctx).Raw(`UPDATE window_signals s SET claimed_until = now() + make_interval(secs => ?)
		FROM (SELECT conversation_id FROM window_signals
			WHERE claimed_until IS NULL OR claimed_until < now()
			ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED) c
		WHERE s.conversation_id = c.conversation_id
		RETURNING s.conversation_id, s.sender_id, s.contact_id, s.message_id`, lease.Seconds(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim window signals: %w", err)
	}
	return out, nil
}

// Done removes delivered rows in one statement (only those no newer
// message replaced meanwhile: a replaced row is signalled again).
func (w WindowSignalStore) Done(ctx context.Context, done []OpenedWindow) error {
	if len(done) == 0 {
		return nil
	}
	conv := make([]int64, len(done))
	msg := make([]int64, len(done))
	for i, o := range done {
		conv[i], msg[i] = o.ConversationID, o.MessageID
	}
	err := w.DB.WithContext(ctx).Exec(`DELETE FROM window_signals s USING unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS d(conv, msg)
		WHERE s.conversation_id = d.conv AND s.message_id = d.msg`, models.Int64List(conv), models.Int64List(msg)).Error
	if err != nil {
		return fmt.Errorf("delete delivered window signals: %w", err)
	}
	return nil
}
