package campaigns

import (
	"context"
	"fmt"
	"strconv"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// retryLater lists Meta error codes after which the same template may go
// out if tried again later: throughput and pair-rate limits, the spam-rate /
// portfolio limit, the per-user marketing limit (after 24h), a paused
// template (after its pause) and Meta's transient errors. A failure without
// a code (no answer after every retry) is retryable too; undeliverable,
// opted-out, policy and template-definition errors are not.
var retryLater = map[int]bool{130429: true, 131056: true, 131048: true, 131049: true, 132015: true,
	131000: true, 133004: true, 1: true, 2: true, 4: true, 80007: true}

// RetryableFailure reports whether a recipient that failed with code may be
// sent again by "retry failed" (code 0: failed without Meta's answer).
func RetryableFailure(code int) bool { return code == 0 || retryLater[code] }

// RequeueFailed gives every recipient that failed with a retryable reason a
// new queued message (the failed one stays in the conversation's history)
// and queues the recipient again. It returns how many were requeued.
func (s CampaignStore) RequeueFailed(ctx context.Context, id int64) (int, error) {
	n := 0
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Campaign
		if err := tx.Raw(`SELECT * FROM campaigns WHERE id = ? FOR UPDATE`, id).Scan(&c).Error; err != nil {
			return err
		}
		if c.ID == 0 {
			return models.Errorf(models.ENotFound, "campaign %d not found", id)
		}
		if c.Status == CampaignDraft || c.Status == CampaignCancelled {
			return models.FieldError(models.EConflict, "status", "campaign is %s: nothing to retry", c.Status)
		}
		var rows []struct {
			ID        int64
			ContactID int64
			MessageID int64
			ErrorCode *int
			ConvID    int64
			Type      string
			Body      string
			Payload   string
			Zone      string
		}
		if err := tx.Raw(`SELECT r.id, r.contact_id, r.message_id, COALESCE(r.error_code, m.error_code) AS error_code, m.conversation_id AS conv_id,
				m.type, m.body, m.payload::text AS payload, r.zone
			FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
			WHERE r.campaign_id = ? AND (r.status = 'failed' OR m.status = 'failed') AND r.status <> 'skipped'
			ORDER BY r.id FOR UPDATE OF r`, id).Scan(&rows).Error; err != nil {
			return fmt.Errorf("failed recipients of campaign %d: %w", id, err)
		}
		now := s.now()
		for _, r := range rows {
			code := 0
			if r.ErrorCode != nil {
				code = *r.ErrorCode
			}
			if !RetryableFailure(code) {
				continue
			}
			var msgID int64
			if err := tx.Raw(`SELECT nextval(pg_get_serial_sequence('messages', 'id'))`).Scan(&msgID).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO messages (id, conversation_id, direction, type, body, payload, status, send_state, biz_opaque, created_at)
				VALUES (?, ?, 'out', ?, ?, ?::jsonb, 'queued', 'pending', ?, ?)`,
				msgID, r.ConvID, r.Type, r.Body, r.Payload, strconv.FormatInt(msgID, 10), now).Error; err != nil {
				return fmt.Errorf("requeue contact %d: %w", r.ContactID, err)
			}
			notBefore := models.NextAllowed(now, models.LoadZone(r.Zone), c.QuietHours)
			if notBefore.IsZero() {
				notBefore = now
			}
			if err := tx.Exec(`UPDATE campaign_recipients SET status = 'queued', message_id = ?, error_code = NULL, reason = '',
				not_before = ?, updated_at = ? WHERE id = ?`, msgID, notBefore, now, r.ID).Error; err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return &models.Error{Code: models.EUnprocessable, Field: "recipients", Message: "no recipient failed with a reason worth retrying"}
		}
		return nil
	})
	return n, err
}
