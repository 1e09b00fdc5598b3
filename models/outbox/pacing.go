package outbox

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
)

// Template pacing: Meta may accept a template send and hold it
// (message_status held_for_quality_assessment) until early feedback on the
// template is in. Good feedback: the held messages go out and their
// statuses follow. Bad feedback: the template is paused and every held
// message fails with 132015.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing
//
// The product marks a held message (held_at, shown to agents and managers)
// and the campaign template it was sent with (paced_since): the campaigns of
// that template wait (templates.Held) instead of pouring the rest of their
// audience into a queue that may be dropped whole. The first status of a
// held message that is not a failure ends the pacing; the template's pause
// webhook ends it too (paused, its campaigns stay held by the pause).

// pacedTemplate is a template that pacing started holding.
type pacedTemplate struct {
	ID             int64
	Name, Language string
}

// MarkHeld records that Meta holds the messages ids (accepted at now) and
// paces the campaign templates they were sent with, holding those
// templates' campaigns, in the caller's transaction.
func MarkHeld(ctx context.Context, tx *gorm.DB, events models.EventStore, ids models.Int64List, now time.Time) ([]models.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if err := tx.Exec(`UPDATE messages SET held_at = COALESCE(held_at, ?) WHERE id = ANY(?::bigint[])`, now, ids).Error; err != nil {
		return nil, fmt.Errorf("mark %d held messages: %w", len(ids), err)
	}
	var paced []pacedTemplate
	if err := tx.Raw(`UPDATE templates t SET paced_since = ?, updated_at = now()
		WHERE t.paced_since IS NULL AND t.id IN (
			SELECT c.template_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE r.message_id = ANY(?::bigint[]))
		RETURNING t.id, t.name, t.language`, now, ids).Scan(&paced).Error; err != nil {
		return nil, fmt.Errorf("pace templates of held messages: %w", err)
	}
	var evs []models.Event
	for _, t := range paced {
		if _, err := templates.HoldCampaigns(tx, []int64{t.ID}, templates.TplPaced, templates.PacedReason(t.Name, t.Language)); err != nil {
			return nil, err
		}
		ev, err := models.NewEvent(models.EventTemplateUpdated, models.Audience{}, map[string]any{
			"id": t.ID, "name": t.Name, "language": t.Language, "paced": true,
			"reason": "WhatsApp holds its messages for a quality assessment (template pacing)",
		})
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	if len(evs) > 0 {
		if err := events.AppendAll(ctx, tx, evs); err != nil {
			return nil, err
		}
	}
	return evs, nil
}
