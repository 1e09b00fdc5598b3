package ingest

// Delivery statuses of our messages, template review results and number
// quality changes: the non-message items of a webhook delivery.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
	"gorm.io/gorm"
)

type statusRow struct {
	ID              int64
	ConversationID  int64
	AssigneeAgentID *int64
	TeamID          *int64
	WasHeld         bool
}

func (s *InboundStore) applyStatus(ctx context.Context, tx *gorm.DB, st *StatusUpdate, res *IngestResult) error {
	col := map[string]string{models.MsgSent: "sent_at", models.MsgDelivered: "delivered_at", models.MsgRead: "read_at", models.MsgFailed: "failed_at"}[st.Status]
	if col == "" || st.WAMID == "" {
		return nil // unknown status names are logged by the receiver
	}
	payload := st.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	ins := tx.Exec(`INSERT INTO message_statuses (wamid, status, ts, recipient, error_code, payload)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.WAMID, st.Status, st.Timestamp, st.RecipientID, st.ErrorCode, string(payload))
	if ins.Error != nil {
		return fmt.Errorf("record status: %w", ins.Error)
	}
	if ins.RowsAffected == 0 {
		res.Duplicates++
		return nil
	}
	update := func() ([]statusRow, error) {
		var rows []statusRow
		// held_at ends with any status: sent/delivered/read mean pacing
		// released the message, failed that it dropped it. (old is the row
		// before this update: was it held?)
		err := tx.Raw(`UPDATE messages m SET status = ?, `+col+` = ?,
				error_code = COALESCE(?, m.error_code),
				error_reason = CASE WHEN ? <> '' THEN ? ELSE m.error_reason END,
				held_at = NULL
			FROM conversations c, messages old
			WHERE m.wamid = ? AND m.direction = 'out' AND m.status IN ? AND c.id = m.conversation_id AND old.id = m.id
			RETURNING m.id, m.conversation_id, c.assignee_agent_id, c.team_id, old.held_at IS NOT NULL AS was_held`,
			st.Status, st.Timestamp, st.ErrorCode, st.ErrorReason, st.ErrorReason, st.WAMID, models.StatusPredecessors(st.Status)).Scan(&rows).Error
		if err == nil && st.Pricing != nil && st.Pricing.Category != "" {
			// Pricing is stored once, from the first status that carries it
			// (also when that status arrives after a later one, out of order).
			err = tx.Exec(`UPDATE messages SET pricing_model = ?, pricing_type = ?, pricing_category = ?, billable = ?
				WHERE wamid = ? AND direction = 'out' AND pricing_category IS NULL`,
				st.Pricing.Model, st.Pricing.Type, strings.ToLower(st.Pricing.Category), st.Pricing.Billable, st.WAMID).Error
		}
		return rows, err
	}
	rows, err := update()
	if err != nil {
		return fmt.Errorf("apply status %s: %w", st.Status, err)
	}
	if len(rows) == 0 {
		// An ambiguous send (timed out before we stored the wamid) is
		// reconciled through our id echoed in biz_opaque_callback_data.
		if id, perr := strconv.ParseInt(st.BizOpaque, 10, 64); perr == nil && id > 0 {
			r := tx.Exec(`UPDATE messages SET wamid = ? WHERE id = ? AND wamid IS NULL AND direction = 'out'
				AND NOT EXISTS (SELECT 1 FROM messages WHERE wamid = ?)`, st.WAMID, id, st.WAMID)
			if r.Error != nil {
				return fmt.Errorf("reconcile wamid: %w", r.Error)
			}
			// Applied again even when nothing was reconciled: the send may
			// have stored this wamid while we waited for its row lock (the
			// webhook raced the send's own commit), and then the status
			// applies by wamid now.
			if rows, err = update(); err != nil {
				return fmt.Errorf("apply status %s: %w", st.Status, err)
			}
		}
	}
	for _, r := range rows {
		if r.WasHeld && st.Status != models.MsgFailed {
			if err := s.releasePaced(ctx, tx, r.ID, res); err != nil { // pacing.go
				return err
			}
		}
		if st.ErrorCode != nil && *st.ErrorCode == waba.CodeMarketingOptOut {
			if err := optOutOnFailure(ctx, tx, r.ID); err != nil {
				return fmt.Errorf("opt out after 131050: %w", err)
			}
		}
		ev, err := models.NewEvent(models.EventMessageStatus, models.AudienceOf(r.AssigneeAgentID, r.TeamID), map[string]any{
			"id": r.ID, "conversationId": r.ConversationID, "wamid": st.WAMID, "status": st.Status,
			"ts": st.Timestamp, "errorCode": st.ErrorCode, "errorReason": st.ErrorReason,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		res.Events = append(res.Events, ev)
		res.StatusesApplied++
	}
	return nil
}

func (s *InboundStore) applyTemplate(ctx context.Context, tx *gorm.DB, t *TemplateStatusChange, res *IngestResult) error {
	var ids []int64
	var err error
	if t.Edit != nil {
		return s.applyTemplateEdit(ctx, tx, t, res)
	}
	if t.Category != "" || t.UpcomingCategory != "" {
		// A completed change moves the category (keeping the earlier one);
		// an announced one only records what is coming and when.
		err = tx.Raw(`UPDATE templates SET
				previous_category = CASE WHEN ? <> '' AND ? <> category THEN category ELSE previous_category END,
				category = COALESCE(NULLIF(?, ''), category),
				upcoming_category = NULLIF(?, ''), upcoming_category_at = ?, updated_at = now()
			WHERE meta_id = ? OR (name = ? AND language = ?) RETURNING id`,
			t.Category, t.Category, t.Category, t.UpcomingCategory, t.UpcomingAt, t.MetaID, t.Name, t.Language).Scan(&ids).Error
	} else if t.Quality != "" {
		err = tx.Raw(`UPDATE templates SET quality = ?, updated_at = now()
			WHERE meta_id = ? OR (name = ? AND language = ?) RETURNING id`,
			t.Quality, t.MetaID, t.Name, t.Language).Scan(&ids).Error
	} else {
		// A status from WhatsApp also ends what pacing told us: paused is its
		// bad verdict, approved starts afresh (a new held send paces again).
		err = tx.Raw(`UPDATE templates SET status = ?, reason = ?, meta_id = COALESCE(meta_id, NULLIF(?, '')), paced_since = NULL, updated_at = now()
			WHERE meta_id = ? OR (name = ? AND language = ? AND (meta_id IS NULL OR meta_id = ?)) RETURNING id`,
			t.Status, t.Reason, t.MetaID, t.MetaID, t.Name, t.Language, t.MetaID).Scan(&ids).Error
	}
	if err != nil {
		return fmt.Errorf("apply template update %s: %w", t.Name, err)
	}
	if t.Status != "" {
		// WhatsApp's pause or disable stops the template's campaigns in
		// this same transaction; its approval lets them go on.
		held, err := templates.HoldCampaigns(tx, ids, t.Status, templates.HoldReason(t.Name, t.Language, t.Status, t.Reason))
		if err != nil {
			return err
		}
		res.CampaignsHeld = append(res.CampaignsHeld, held...)
	}
	for _, id := range ids {
		ev, err := models.NewEvent(models.EventTemplateUpdated, models.Audience{}, map[string]any{
			"id": id, "name": t.Name, "language": t.Language, "status": t.Status, "reason": t.Reason, "quality": t.Quality,
			"category": t.Category, "previousCategory": t.PreviousCategory, "upcomingCategory": t.UpcomingCategory,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		res.Events = append(res.Events, ev)
	}
	return nil
}

// applyTemplateEdit rewrites the stored components of a template edited in
// WhatsApp Manager, so renders and sends use what Meta now holds.
func (s *InboundStore) applyTemplateEdit(ctx context.Context, tx *gorm.DB, t *TemplateStatusChange, res *IngestResult) error {
	var rows []struct {
		ID         int64
		Components json.RawMessage
	}
	if err := tx.Raw(`SELECT id, components FROM templates WHERE meta_id = ? OR (name = ? AND language = ? AND (meta_id IS NULL OR meta_id = ?)) FOR UPDATE`,
		t.MetaID, t.Name, t.Language, t.MetaID).Scan(&rows).Error; err != nil {
		return fmt.Errorf("template of components update %s: %w", t.Name, err)
	}
	for _, r := range rows {
		comps, err := templates.ApplyEdit(r.Components, *t.Edit)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE templates SET components = ?, updated_at = now() WHERE id = ?`, string(comps), r.ID).Error; err != nil {
			return fmt.Errorf("store edited template %s: %w", t.Name, err)
		}
		ev, err := models.NewEvent(models.EventTemplateUpdated, models.Audience{}, map[string]any{
			"id": r.ID, "name": t.Name, "language": t.Language, "edited": true,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		res.Events = append(res.Events, ev)
	}
	return nil
}

// SenderQualityFromEvent maps a phone_number_quality_update to the sender
// status and quality it implies ("" = unchanged). FLAGGED means the number
// dropped to low quality and is at risk; UNFLAGGED that it recovered.
func SenderQualityFromEvent(event, quality string) (status, newQuality string) {
	switch strings.ToUpper(event) {
	case "FLAGGED":
		status, newQuality = models.SenderFlagged, models.QualityRed
	case "UNFLAGGED":
		status, newQuality = models.SenderActive, models.QualityGreen
	}
	switch q := strings.ToUpper(quality); q {
	case models.QualityGreen, models.QualityYellow, models.QualityRed:
		newQuality = q
	}
	return status, newQuality
}

func (s *InboundStore) applySenderQuality(ctx context.Context, tx *gorm.DB, q *SenderQualityChange, res *IngestResult) error {
	status, quality := SenderQualityFromEvent(q.Event, q.Quality)
	digits := models.DigitsOnly(q.DisplayNumber)
	if digits == "" {
		return nil
	}
	var ids []int64
	// Only flagged<->active moves here: disabled/restricted/unverified are
	// set by people or account updates and must not be undone by quality.
	err := tx.Raw(`UPDATE senders SET
			quality = COALESCE(NULLIF(?, ''), quality),
			messaging_limit_tier = COALESCE(NULLIF(?, ''), messaging_limit_tier),
			status = CASE WHEN ? <> '' AND status IN ('active','flagged') THEN ? ELSE status END,
			updated_at = now()
		WHERE regexp_replace(display_number, '\D', '', 'g') = ? RETURNING id`,
		quality, q.LimitTier, status, status, digits).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("apply phone quality update: %w", err)
	}
	for _, id := range ids {
		ev, err := models.NewEvent(models.EventSenderUpdated, models.Audience{}, map[string]any{
			"id": id, "event": q.Event, "quality": quality, "messagingLimitTier": q.LimitTier, "status": status,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		res.Events = append(res.Events, ev)
	}
	return nil
}
