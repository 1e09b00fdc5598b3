package ingest

import (
	"context"
	"fmt"

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

// releasePaced: a held message got a status that is not a failure, so
// pacing released it. Its campaign template is no longer paced and, when
// WhatsApp has it approved, the campaigns pacing held go on.
func (s *InboundStore) releasePaced(ctx context.Context, tx *gorm.DB, messageID int64, res *IngestResult) error {
	var released []struct {
		ID                     int64
		Name, Language, Status string
	}
	if err := tx.Raw(`UPDATE templates t SET paced_since = NULL, updated_at = now()
		WHERE t.paced_since IS NOT NULL AND t.id IN (
			SELECT c.template_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE r.message_id = ?)
		RETURNING t.id, t.name, t.language, t.status`, messageID).Scan(&released).Error; err != nil {
		return fmt.Errorf("end pacing of the template of message %d: %w", messageID, err)
	}
	for _, t := range released {
		if t.Status == templates.TplApproved {
			resumed, err := templates.HoldCampaigns(tx, []int64{t.ID}, templates.TplApproved, "")
			if err != nil {
				return err
			}
			res.CampaignsHeld = append(res.CampaignsHeld, resumed...)
		}
		ev, err := models.NewEvent(models.EventTemplateUpdated, models.Audience{}, map[string]any{
			"id": t.ID, "name": t.Name, "language": t.Language, "paced": false, "status": t.Status,
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
