package inbox

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Read receipts and typing indicators. Meta marks a message (and every
// earlier one) read when the business posts {"status":"read","message_id"},
// and shows "typing..." for up to 25 s, or until the business replies, when
// the same call carries "typing_indicator":{"type":"text"}. Receipts work
// only for messages received in the last 30 days.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read
// https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators
const (
	receiptMaxAge = 30 * 24 * time.Hour
	// typingEvery is the least time between two typing indicators of a
	// conversation: a new one before the last one's 25 s ran out would only
	// cost a call.
	typingEvery = 20 * time.Second
)

// ReceiptPolicy says which of the two the business sends (config
// inbox_read_receipts and inbox_typing_indicator).
type ReceiptPolicy struct {
	Read, Typing bool
}

// Receipt is one queued mark-as-read call.
type Receipt struct {
	ConversationID int64  `gorm:"column:conversation_id"`
	PhoneNumberID  string `gorm:"column:phone_number_id"`
	WAMID          string `gorm:"column:wamid"`
	Typing         bool   `gorm:"column:typing"`
}

// ReceiptStore is the durable queue of receipts: the api writes a row when
// an agent opens or types in a conversation; the worker relay (only the
// worker calls the Cloud API) claims rows in batches, sends them and
// deletes them.
type ReceiptStore struct {
	DB  *gorm.DB
	Now func() time.Time
}

func (r ReceiptStore) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now().UTC()
}

// Request queues a receipt for the newest inbound message of conversation
// id, inside tx (or its own statement when tx is nil). typing asks for the
// typing indicator too. It reports whether a row was queued: nothing is
// queued when the conversation has no inbound message of the last 30 days,
// when that message was already marked read (a read without typing), or
// when a typing indicator went less than 20 s ago (typing).
func (r ReceiptStore) Request(ctx context.Context, tx *gorm.DB, id int64, typing bool) (bool, error) {
	if tx == nil {
		tx = r.DB.WithContext(ctx)
	}
	now := r.now()
	var c struct {
		Receipted *string    `gorm:"column:receipted"`
		TypingAt  *time.Time `gorm:"column:typing_at"`
		WAMID     *string    `gorm:"column:wamid"`
	}
	if err := tx.Raw(`SELECT c.receipted_wamid AS receipted, c.typing_sent_at AS typing_at,
			(SELECT m.wamid FROM messages m WHERE m.conversation_id = c.id AND m.direction = ? AND m.wamid IS NOT NULL
				AND m.created_at > ? ORDER BY m.id DESC LIMIT 1) AS wamid
		FROM conversations c WHERE c.id = ?`, models.DirIn, now.Add(-receiptMaxAge), id).Scan(&c).Error; err != nil {
		return false, fmt.Errorf("receipt of conversation %d: %w", id, err)
	}
	if c.WAMID == nil {
		return false, nil
	}
	if typing {
		if c.TypingAt != nil && now.Sub(*c.TypingAt) < typingEvery {
			return false, nil
		}
		if err := tx.Exec(`UPDATE conversations SET typing_sent_at = ? WHERE id = ?`, now, id).Error; err != nil {
			return false, err
		}
	} else if c.Receipted != nil && *c.Receipted == *c.WAMID {
		return false, nil
	}
	// A newer message or a typing request replaces the queued one; typing
	// once asked for stays asked for.
	if err := tx.Exec(`INSERT INTO read_receipts (conversation_id, wamid, typing, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET wamid = EXCLUDED.wamid,
			typing = read_receipts.typing OR EXCLUDED.typing, claimed_until = NULL`, id, *c.WAMID, typing, now).Error; err != nil {
		return false, fmt.Errorf("queue receipt of conversation %d: %w", id, err)
	}
	return true, nil
}

// Claim leases up to limit unclaimed (or expired) receipts, oldest first,
// with the number each goes from; rows another relay holds are skipped.
func (r ReceiptStore) Claim(ctx context.Context, limit int, lease time.Duration) ([]Receipt, error) {
	var out []Receipt
	err := r.DB.WithContext(ctx).Raw(`WITH c AS (
			UPDATE read_receipts q SET claimed_until = now() + make_interval(secs => ?)
			FROM (SELECT conversation_id FROM read_receipts WHERE claimed_until IS NULL OR claimed_until < now()
				ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED) p
			WHERE q.conversation_id = p.conversation_id
			RETURNING q.conversation_id, q.wamid, q.typing)
		SELECT c.conversation_id, s.phone_number_id, c.wamid, c.typing
		FROM c JOIN conversations v ON v.id = c.conversation_id JOIN senders s ON s.id = v.sender_id`, lease.Seconds(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim read receipts: %w", err)
	}
	return out, nil
}

// Done deletes sent receipts (only those not replaced meanwhile: a newer
// message or a typing request is sent again) and remembers what was read.
func (r ReceiptStore) Done(ctx context.Context, done []Receipt) error {
	if len(done) == 0 {
		return nil
	}
	conv := make([]int64, len(done))
	wamids := make([]string, len(done))
	typing := make([]bool, len(done))
	for i, d := range done {
		conv[i], wamids[i], typing[i] = d.ConversationID, d.WAMID, d.Typing
	}
	return r.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE conversations c SET receipted_wamid = d.wamid
			FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[])) AS d(conv, wamid) WHERE c.id = d.conv`,
			models.Int64List(conv), models.StringList(wamids)).Error; err != nil {
			return fmt.Errorf("remember read receipts: %w", err)
		}
		if err := tx.Exec(`DELETE FROM read_receipts q USING unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS BOOLEAN[])) AS d(conv, wamid, typing)
			WHERE q.conversation_id = d.conv AND q.wamid = d.wamid AND q.typing = d.typing`,
			models.Int64List(conv), models.StringList(wamids), boolArray(typing)).Error; err != nil {
			return fmt.Errorf("delete sent read receipts: %w", err)
		}
		return nil
	})
}

func boolArray(bs []bool) string {
	out := make([]byte, 0, 2+len(bs)*2)
	out = append(out, '{')
	for i, b := range bs {
		if i > 0 {
			out = append(out, ',')
		}
		if b {
			out = append(out, 't')
		} else {
			out = append(out, 'f')
		}
	}
	return string(append(out, '}'))
}
