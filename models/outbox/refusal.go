package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
)

// RefusalEffect is what a send refusal changed beyond the message.
type RefusalEffect struct {
	// SenderPaused: the number is paused (restricted) with Reason.
	SenderPaused bool
	// TemplateStatus is PAUSED or DISABLED when the refusal said so.
	TemplateStatus string
	// CampaignsHeld are the campaigns the template's pause stopped.
	CampaignsHeld []int64
	Reason        string
	Events        []models.Event
}

// ApplyRefusal records what an answer of WhatsApp says about the number or
// the template rather than about one recipient, in one transaction with
// its events:
//   - an account-level code (368 policy block, 131031 locked, 131042
//     payment, 133010 not registered, 190 token, ...: waba.KindAccount)
//     pauses the number (status restricted, reason "WhatsApp refused sends:
//     ..."), so dispatch stops and campaign recipients wait or move per
//     SCRM_SENDER_ON_PAUSE instead of failing one by one until the
//     account_update webhook arrives (it may come later, or never for a
//     payment or token problem). Reinstatement lifts it like an
//     account_update does (the reason starts with "WhatsApp ");
//   - 132015 / 132016 mark the template PAUSED / DISABLED and hold its
//     campaigns (templates.HoldCampaigns), as the status webhook would.
//
// Other codes change nothing here (the zero RefusalEffect).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
func (o OutboxStore) ApplyRefusal(ctx context.Context, job OutboundJob, ae *waba.APIError) (RefusalEffect, error) {
	var eff RefusalEffect
	info := waba.Explain(ae.Code)
	tplStatus := ""
	switch ae.Code {
	case waba.CodeTemplatePaused:
		tplStatus = templates.TplPaused
	case waba.CodeTemplateDisabled:
		tplStatus = templates.TplDisabled
	}
	if info.Kind != waba.KindAccount && tplStatus == "" {
		return eff, nil
	}
	err := o.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if info.Kind == waba.KindAccount {
			eff.Reason = "WhatsApp refused sends (" + strconv.Itoa(ae.Code) + "): " + info.EN
			ids, err := senders.PauseForRefusal(tx, job.Conversation.SenderID, eff.Reason)
			if err != nil {
				return err
			}
			for _, id := range ids {
				eff.SenderPaused = true
				ev, err := models.NewEvent(models.EventSenderUpdated, models.Audience{}, map[string]any{
					"id": id, "event": "SEND_REFUSED", "status": models.SenderRestricted, "statusReason": eff.Reason, "errorCode": ae.Code,
				})
				if err != nil {
					return err
				}
				if err := o.Events.Append(ctx, tx, &ev); err != nil {
					return err
				}
				eff.Events = append(eff.Events, ev)
			}
			return nil
		}
		var m waba.OutboundMessage
		if err := json.Unmarshal(job.Request, &m); err != nil || m.Template == nil {
			return nil // not a template send: nothing to learn about a template
		}
		name, lang := m.Template.Name, m.Template.Language.Code
		var tpls []int64
		if err := tx.Raw(`UPDATE templates t SET status = ?, updated_at = now()
			FROM senders s WHERE s.id = ? AND t.waba_id = s.waba_id AND t.name = ? AND t.language = ? AND t.status <> ?
			RETURNING t.id`, tplStatus, job.Conversation.SenderID, name, lang, tplStatus).Scan(&tpls).Error; err != nil {
			return fmt.Errorf("mark template %s %s: %w", name, tplStatus, err)
		}
		eff.TemplateStatus = tplStatus
		eff.Reason = templates.HoldReason(name, lang, tplStatus, "")
		held, err := templates.HoldCampaigns(tx, tpls, tplStatus, eff.Reason)
		if err != nil {
			return err
		}
		eff.CampaignsHeld = held
		for _, id := range tpls {
			ev, err := models.NewEvent(models.EventTemplateUpdated, models.Audience{}, map[string]any{
				"id": id, "name": name, "language": lang, "status": tplStatus, "reason": "send refused with " + strconv.Itoa(ae.Code),
			})
			if err != nil {
				return err
			}
			if err := o.Events.Append(ctx, tx, &ev); err != nil {
				return err
			}
			eff.Events = append(eff.Events, ev)
		}
		return nil
	})
	return eff, err
}
