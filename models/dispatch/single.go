package dispatch

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// ReserveOne takes what one business-initiated template sent outside the
// numbers' SenderWorkflow queues (a journey's step) needs of the number's
// budgets, the same rules as a campaign's: the number may send now
// (DispatchBlock), a unit of the portfolio's messaging limit unless the
// customer's window is open or it was reached within 24h (ReservePortfolio),
// and a place in today's warm-up cap, which it uses at once. Throughput is
// not reserved here: the send takes a slot of its second when it goes out
// (TakeSlot). A Grant of N 0 says why and, when known, until when (zero:
// look again later).
func (d DispatchStore) ReserveOne(ctx context.Context, s models.Sender, contactID int64, windowOpen bool, warmup []int) (Grant, error) {
	if b, why := DispatchBlock(s); b != BlockNone {
		return Grant{Block: b, Reason: why}, nil
	}
	g, err := d.ReservePortfolio(ctx, Budget{SenderID: s.ID, Portfolio: PortfolioOf(s), Limit: TierLimit(s.MessagingLimitTier)},
		[]DueSend{{ContactID: contactID, WindowOpen: windowOpen}})
	if err != nil || g.N == 0 {
		return g, err
	}
	now := d.now()
	daily := WarmupCap(warmup, s.WarmupStartedAt, now)
	day := now.In(models.LoadZone(models.TZWIB)).Format(time.DateOnly)
	err = d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if daily > 0 {
			// The day's row is locked so that concurrent sends of the
			// number cannot both take the last place.
			if err := tx.Exec(`INSERT INTO sender_daily_usage (sender_id, day, templates) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, s.ID, day).Error; err != nil {
				return err
			}
			var sent int
			if err := tx.Raw(`SELECT templates FROM sender_daily_usage WHERE sender_id = ? AND day = ? FOR UPDATE`, s.ID, day).Scan(&sent).Error; err != nil {
				return err
			}
			if sent >= daily {
				g = Grant{Block: BlockWarmup, Reason: fmt.Sprintf("warm-up: %d of %d templates sent today", sent, daily), Until: NextLocalDay(now)}
				return nil
			}
		}
		return tx.Exec(`INSERT INTO sender_daily_usage (sender_id, day, templates) VALUES (?, ?, 1)
			ON CONFLICT (sender_id, day) DO UPDATE SET templates = sender_daily_usage.templates + 1`, s.ID, day).Error
	})
	if err != nil {
		return Grant{}, fmt.Errorf("reserve a template of sender %d: %w", s.ID, err)
	}
	return g, nil
}
