package ingest

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/waba"
)

// accountFrom reads an account_update change.
func accountFrom(wabaID string, u *waba.AccountUpdate) senders.AccountChange {
	a := senders.AccountChange{WABAID: wabaID, PhoneDigits: models.DigitsOnly(u.PhoneNumber), Event: u.Event}
	var rs []string
	for _, r := range u.RestrictionInfo {
		rs = append(rs, r.RestrictionType)
		if r.Expiration > 0 {
			t := time.Unix(r.Expiration, 0).UTC()
			a.Until = &t
		}
	}
	a.Restriction = strings.Join(rs, ", ")
	if u.BanInfo != nil {
		a.BanState = strings.Join(u.BanInfo.WABABanState, ", ")
	}
	if u.ViolationInfo != nil {
		a.Violation = u.ViolationInfo.ViolationType
	}
	return a
}

// applyAccount pauses or reinstates the numbers an account_update names and
// tells the screens (sender.updated with the reason).
func (s *InboundStore) applyAccount(ctx context.Context, tx *gorm.DB, a senders.AccountChange, res *IngestResult) error {
	ids, status, reason, err := senders.ApplyAccountChange(tx, a)
	if err != nil {
		return err
	}
	for _, id := range ids {
		ev, err := models.NewEvent(models.EventSenderUpdated, models.Audience{}, map[string]any{
			"id": id, "event": a.Event, "status": status, "statusReason": reason,
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
