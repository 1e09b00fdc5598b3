package inbox

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// WindowSignals is the durable to-do list of "a window opened" signals for
// Temporal (see migration 00040): written with the inbound message, removed
// once Temporal has the signal.
type WindowSignalStore struct{ DB *gorm.DB }

// Pending returns rows older than age (so the api's own immediate signal
// is not raced), oldest first.
func (w WindowSignalStore) Pending(ctx context.Context, age time.Duration, limit int) ([]OpenedWindow, error) {
	var out []OpenedWindow
	err := w.DB.WithContext(ctx).Raw(`SELECT conversation_id, sender_id, contact_id, message_id FROM window_signals
		WHERE created_at < now() - make_interval(secs => ?) ORDER BY created_at LIMIT ?`, age.Seconds(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("pending window signals: %w", err)
	}
	return out, nil
}

// Done removes the row once its signal was delivered (only if no newer
// message replaced it meanwhile).
func (w WindowSignalStore) Done(ctx context.Context, o OpenedWindow) error {
	return w.DB.WithContext(ctx).Exec(`DELETE FROM window_signals WHERE conversation_id = ? AND message_id = ?`,
		o.ConversationID, o.MessageID).Error
}
