package dispatch

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/outbox"
	"github.com/wabascrm/scrm/models/senders"
	"gorm.io/gorm"
)

// Campaign dispatch modes: "workflow" campaigns (launched before per-number
// dispatch existed) send from their own workflow; "sender" campaigns queue
// their recipients for the numbers' SenderWorkflows.
const (
	DispatchWorkflow = "workflow"
	DispatchSender   = "sender"
)

// portfolioMargin is how close to its messaging limit a portfolio's
// numbers start reserving one at a time. Unlocked, numbers racing in the
// same instant can overshoot by at most one round of all of them (each
// takes at most its per-second share), so the margin only has to exceed
// that: 5,000 covers 60 numbers at 80/s.
const portfolioMargin = 5000

// limitPeriod is the rolling period of Meta's messaging limit (unique users
// reached with business-initiated messages). It is not the customer-service
// window, which is models.ServiceWindow.
const limitPeriod = 24 * time.Hour

// Reasons a number's dispatch is held back.
const (
	BlockNone       = ""
	BlockQuality    = "quality"          // RED quality rating
	BlockStatus     = "status"           // flagged, restricted, disabled, unverified
	BlockWarmup     = "warmup"           // today's warm-up cap is used
	BlockPortfolio  = "portfolio_limit"  // the portfolio's rolling-24h unique-user limit is reached
	BlockThroughput = "throughput_limit" // Meta answered 130429: back off
)

// TierLimit is the number of unique users a messaging-limit tier allows in a
// rolling 24 hours; 0 means unlimited (or unknown: Meta enforces it anyway).
func TierLimit(tier string) int {
	switch tier {
	case "TIER_50":
		return 50
	case "TIER_250", "":
		return 250
	case "TIER_1K":
		return 1000
	case "TIER_2K":
		return 2000
	case "TIER_10K":
		return 10000
	case "TIER_100K":
		return 100000
	}
	return 0
}

// WarmupCap is a number's cap of business-initiated templates for the local
// day containing now: schedule[d] on the d-th day since warm-up started (day
// 0 first), no cap (0) once the schedule is over or without a warm-up.
func WarmupCap(schedule []int, startedAt *time.Time, now time.Time) int {
	if startedAt == nil || len(schedule) == 0 {
		return 0
	}
	loc := models.LoadZone(models.TZWIB)
	y1, m1, d1 := startedAt.In(loc).Date()
	y2, m2, d2 := now.In(loc).Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	if days < 0 {
		days = 0
	}
	if days >= len(schedule) {
		return 0
	}
	return schedule[days]
}

// NextLocalDay is the next midnight in Jakarta after now (warm-up days).
func NextLocalDay(now time.Time) time.Time {
	loc := models.LoadZone(models.TZWIB)
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// PortfolioOf is the key the messaging limit is shared under: the business
// portfolio, or the WABA when the portfolio is not known.
func PortfolioOf(s models.Sender) string {
	if s.BusinessPortfolioID != "" {
		return "pf:" + s.BusinessPortfolioID
	}
	return "waba:" + s.WABAID
}

// DispatchBlock says whether a number may send business-initiated messages
// now: RED quality and a flagged/restricted/disabled/unverified status hold it.
func DispatchBlock(s models.Sender) (block, reason string) {
	switch {
	case s.Status != models.SenderActive:
		_, why := s.Usable()
		if why == "" {
			why = "sender " + s.DisplayNumber + " is " + s.Status
		}
		return BlockStatus, why
	case s.Quality == models.QualityRed:
		return BlockQuality, "sender " + s.DisplayNumber + " has RED quality"
	}
	return BlockNone, ""
}

// DueSend is a queued campaign recipient that a number may send now.
type DueSend struct {
	RecipientID int64
	CampaignID  int64
	ContactID   int64
	MessageID   int64
	Zone        string
	QuietHours  models.QuietHours
	WindowOpen  bool // the customer wrote within 24h: no messaging-limit use
}

// Dispatch is the per-number send queue and budget of SenderWorkflows.
type DispatchStore struct {
	DB  *gorm.DB
	Now func() time.Time
}

func (d DispatchStore) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now().UTC()
}

// Sender loads one number's current state.
func (d DispatchStore) Sender(ctx context.Context, id int64) (models.Sender, error) {
	return senders.SenderStore{DB: d.DB}.Get(ctx, id)
}

// Due returns up to limit queued recipients of running sender-dispatched
// campaigns on number senderID whose moment has come, oldest first. A row
// whose previous attempt may still be in flight (attempted within
// AmbiguousAfter) waits for its status webhook instead.
func (d DispatchStore) Due(ctx context.Context, senderID int64, limit int) ([]DueSend, error) {
	now := d.now()
	var rows []struct {
		RecipientID   int64
		CampaignID    int64
		ContactID     int64
		MessageID     int64
		Zone          string
		QuietHours    models.QuietHours `gorm:"serializer:json"`
		LastInboundAt *time.Time
	}
	err := d.DB.WithContext(ctx).Raw(`
		SELECT r.id AS recipient_id, r.campaign_id, r.contact_id, r.message_id, r.zone, c.quiet_hours, cv.last_inbound_at
		FROM campaign_recipients r
		JOIN campaigns c ON c.id = r.campaign_id
		JOIN messages m ON m.id = r.message_id
		JOIN conversations cv ON cv.id = m.conversation_id
		WHERE r.sender_id = ? AND r.status = 'queued' AND r.not_before <= ?
		  AND c.status = 'running' AND c.dispatch = 'sender'
		  AND NOT (m.send_state = 'attempted' AND m.attempted_at > ?)
		ORDER BY r.not_before, r.id
		LIMIT ?`, senderID, now, now.Add(-outbox.AmbiguousAfter), limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("due sends of sender %d: %w", senderID, err)
	}
	out := make([]DueSend, len(rows))
	for i, r := range rows {
		out[i] = DueSend{RecipientID: r.RecipientID, CampaignID: r.CampaignID, ContactID: r.ContactID, MessageID: r.MessageID,
			Zone: r.Zone, QuietHours: r.QuietHours, WindowOpen: models.WindowOpen(r.LastInboundAt, now, 0)}
	}
	return out, nil
}

// NextDue is the earliest moment a queued recipient of a running campaign
// becomes due on the number (zero: nothing queued).
func (d DispatchStore) NextDue(ctx context.Context, senderID int64) (time.Time, error) {
	var t sql.NullTime
	err := d.DB.WithContext(ctx).Raw(`SELECT min(r.not_before) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
		WHERE r.sender_id = ? AND r.status = 'queued' AND c.status = 'running' AND c.dispatch = 'sender'`, senderID).Row().Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("next due of sender %d: %w", senderID, err)
	}
	return t.Time, nil
}

// Defer moves recipients' next moment to until (quiet hours began, pair
// rate limit).
func (d DispatchStore) Defer(ctx context.Context, recipientIDs []int64, until time.Time) error {
	if len(recipientIDs) == 0 {
		return nil
	}
	return d.DB.WithContext(ctx).Exec(`UPDATE campaign_recipients SET not_before = ?, updated_at = ? WHERE id IN ? AND status = 'queued'`,
		until, d.now(), recipientIDs).Error
}

// Budget is what a grant is measured against.
type Budget struct {
	SenderID  int64
	Second    int64 // Unix second the sends go out in
	PerSecond int   // the number's share of that second
	DailyCap  int   // warm-up cap for today, 0 = none
	Portfolio string
	Limit     int // portfolio unique users per rolling 24h, 0 = unlimited
}

// Grant is how many of the candidates may be sent now, in order.
type Grant struct {
	N      int
	Block  string    // why fewer than asked (warmup, portfolio_limit), "" when only the second is full
	Reason string    // human-readable
	Until  time.Time // when the block may lift
}

// ReservePortfolio takes units of the portfolio's rolling-24h messaging
// limit for the candidates, in order: a customer whose window is open, or
// who was already reached within 24h, uses none. Near the limit the
// portfolio's numbers take turns (advisory lock); the reach is recorded at
// once, so a candidate not sent in this round needs no new unit later. It
// comes before the second is chosen: waiting for a turn must not eat the
// second the sends go out in.
func (d DispatchStore) ReservePortfolio(ctx context.Context, b Budget, cands []DueSend) (Grant, error) {
	g := Grant{N: len(cands)}
	if b.Limit <= 0 || len(cands) == 0 {
		return g, nil
	}
	now := d.now()
	err := d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		count, err := portfolioReached(tx, b.Portfolio, now)
		if err != nil {
			return err
		}
		// Far from the limit no round of every number together could
		// overshoot; a lock would only make the numbers queue.
		if int64(b.Limit)-count <= portfolioMargin {
			h := fnv.New64a()
			h.Write([]byte(b.Portfolio))
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64()>>1)).Error; err != nil {
				return err
			}
			if count, err = portfolioReached(tx, b.Portfolio, now); err != nil {
				return err
			}
		}
		since := now.Add(-limitPeriod)
		ids := make([]int64, 0, len(cands))
		for _, c := range cands {
			ids = append(ids, c.ContactID)
		}
		var reached []int64
		if err := tx.Raw(`SELECT contact_id FROM portfolio_reach WHERE portfolio = ? AND contact_id IN ? AND reached_at > ?`,
			b.Portfolio, ids, since).Scan(&reached).Error; err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range reached {
			seen[id] = true
		}
		var fresh []int64 // contacts that use a unit
		left := int64(b.Limit) - count
		for i, c := range cands {
			if c.WindowOpen || seen[c.ContactID] {
				continue
			}
			if left <= 0 {
				g.N = i
				var oldest sql.NullTime
				if err := tx.Raw(`SELECT min(hour) FROM portfolio_reach_hourly WHERE portfolio = ? AND hour >= ? AND n > 0`,
					b.Portfolio, now.Add(-25*time.Hour).Truncate(time.Hour)).Row().Scan(&oldest); err != nil {
					return err
				}
				g.Block, g.Reason = BlockPortfolio, fmt.Sprintf("portfolio messaging limit: %d unique users reached in 24h (limit %d)", count, b.Limit)
				// The oldest hour's users have all aged out 25h after it began.
				g.Until = oldest.Time.Add(25 * time.Hour)
				break
			}
			left--
			seen[c.ContactID] = true
			fresh = append(fresh, c.ContactID)
		}
		return recordReach(tx, b.Portfolio, fresh, now)
	})
	if err != nil {
		return Grant{}, fmt.Errorf("reserve portfolio units of sender %d: %w", b.SenderID, err)
	}
	return g, nil
}

// ReserveSecond takes up to len(cands) sends from the number's own budget
// in one short transaction: this second's throughput share and today's
// warm-up cap.
func (d DispatchStore) ReserveSecond(ctx context.Context, b Budget, cands []DueSend) (Grant, error) {
	var g Grant
	if len(cands) == 0 {
		return g, nil
	}
	now := d.now()
	day := now.In(models.LoadZone(models.TZWIB)).Format(time.DateOnly)
	err := d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO sender_second_slots (sender_id, second, used) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`,
			b.SenderID, b.Second).Error; err != nil {
			return err
		}
		var used int
		if err := tx.Raw(`SELECT used FROM sender_second_slots WHERE sender_id = ? AND second = ? FOR UPDATE`, b.SenderID, b.Second).
			Scan(&used).Error; err != nil {
			return err
		}
		n := min(len(cands), b.PerSecond-used)
		if n <= 0 {
			return nil
		}
		if b.DailyCap > 0 {
			var sent int
			if err := tx.Raw(`SELECT COALESCE((SELECT templates FROM sender_daily_usage WHERE sender_id = ? AND day = ?), 0)`,
				b.SenderID, day).Scan(&sent).Error; err != nil {
				return err
			}
			if left := b.DailyCap - sent; left < n {
				n = max(left, 0)
				g.Block, g.Reason, g.Until = BlockWarmup, fmt.Sprintf("warm-up: %d of %d templates sent today", sent, b.DailyCap), NextLocalDay(now)
			}
		}
		if n <= 0 {
			return nil
		}
		g.N = n
		if err := tx.Exec(`UPDATE sender_second_slots SET used = used + ? WHERE sender_id = ? AND second = ?`, n, b.SenderID, b.Second).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO sender_daily_usage (sender_id, day, templates) VALUES (?, ?, ?)
			ON CONFLICT (sender_id, day) DO UPDATE SET templates = sender_daily_usage.templates + EXCLUDED.templates`, b.SenderID, day, n).Error
	})
	if err != nil {
		return Grant{}, fmt.Errorf("reserve sends of sender %d: %w", b.SenderID, err)
	}
	return g, nil
}

// TakeSlot takes one send from the number's budget for second (inbox sends
// share the throughput with campaigns); false when the second is full.
func (d DispatchStore) TakeSlot(ctx context.Context, senderID, second int64, perSecond int) (bool, error) {
	var used []int
	err := d.DB.WithContext(ctx).Raw(`INSERT INTO sender_second_slots (sender_id, second, used) VALUES (?, ?, 1)
		ON CONFLICT (sender_id, second) DO UPDATE SET used = sender_second_slots.used + 1 WHERE sender_second_slots.used < ?
		RETURNING used`, senderID, second, perSecond).Scan(&used).Error
	if err != nil {
		return false, fmt.Errorf("take a send slot of sender %d: %w", senderID, err)
	}
	return len(used) == 1, nil
}

// PruneSlots forgets per-second counters older than a minute.
func (d DispatchStore) PruneSlots(ctx context.Context, senderID int64) error {
	return d.DB.WithContext(ctx).Exec(`DELETE FROM sender_second_slots WHERE sender_id = ? AND second < ?`,
		senderID, d.now().Add(-time.Minute).Unix()).Error
}

// MoveQueued hands the not-yet-attempted queued recipients of number from to
// the other usable numbers of each campaign's pool (round robin), moving
// their message rows to the (new number, contact) conversation. It returns
// the numbers that received work. Rows whose campaign has no other usable
// number stay and wait.
func (d DispatchStore) MoveQueued(ctx context.Context, from int64) ([]int64, int, error) {
	var targets []int64
	moved := 0
	used := map[int64]bool{}
	err := d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var camps []struct {
			ID        int64
			SenderIDs models.Int64List
		}
		if err := tx.Raw(`SELECT DISTINCT c.* FROM campaigns c JOIN campaign_recipients r ON r.campaign_id = c.id
			WHERE r.sender_id = ? AND r.status = 'queued' AND c.dispatch = 'sender' AND c.status IN ('running','paused','scheduled')`, from).
			Scan(&camps).Error; err != nil {
			return err
		}
		now := d.now()
		for _, c := range camps {
			var pool []models.Sender
			if err := tx.Where("id IN ? AND id <> ?", []int64(c.SenderIDs), from).Order("id").Find(&pool).Error; err != nil {
				return err
			}
			var ok []int64
			for _, s := range pool {
				if b, _ := DispatchBlock(s); b == BlockNone {
					ok = append(ok, s.ID)
				}
			}
			if len(ok) == 0 {
				continue
			}
			var rows []struct {
				ID        int64
				ContactID int64
				MessageID int64
			}
			if err := tx.Raw(`SELECT r.id, r.contact_id, r.message_id FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
				WHERE r.campaign_id = ? AND r.sender_id = ? AND r.status = 'queued' AND m.send_state = 'pending' AND m.wamid IS NULL
				ORDER BY r.id FOR UPDATE OF r, m`, c.ID, from).Scan(&rows).Error; err != nil {
				return err
			}
			for i, r := range rows {
				to := ok[i%len(ok)]
				var convID int64
				if err := tx.Raw(`INSERT INTO conversations (sender_id, contact_id, created_at, updated_at, last_message_at)
					VALUES (?, ?, ?, ?, ?) ON CONFLICT (sender_id, contact_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
					RETURNING id`, to, r.ContactID, now, now, now).Scan(&convID).Error; err != nil {
					return err
				}
				if err := tx.Exec(`UPDATE messages SET conversation_id = ? WHERE id = ?`, convID, r.MessageID).Error; err != nil {
					return err
				}
				if err := tx.Exec(`UPDATE campaign_recipients SET sender_id = ?, updated_at = ? WHERE id = ?`, to, now, r.ID).Error; err != nil {
					return err
				}
				used[to] = true
				moved++
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("move queued sends off sender %d: %w", from, err)
	}
	for id := range used {
		targets = append(targets, id)
	}
	return targets, moved, nil
}

// DispatchUsage is what a number has used of its budgets.
type DispatchUsage struct {
	SenderID        int64      `json:"senderId"`
	TemplatesToday  int64      `json:"templatesToday"` // business-initiated, Jakarta day
	WarmupStartedAt *time.Time `json:"warmupStartedAt,omitempty"`
	Portfolio       string     `json:"portfolio"`
	ReachedIn24h    int64      `json:"reachedIn24h"`   // unique users, whole portfolio
	PortfolioLimit  int        `json:"portfolioLimit"` // 0 = unlimited
	Queued          int64      `json:"queued"`         // campaign recipients waiting on this number
	Block           string     `json:"block,omitempty"`
	BlockReason     string     `json:"blockReason,omitempty"`
}

// Usage reads a number's budgets and queue.
func (d DispatchStore) Usage(ctx context.Context, senderID int64) (DispatchUsage, error) {
	s, err := d.Sender(ctx, senderID)
	if err != nil {
		return DispatchUsage{}, err
	}
	now := d.now()
	u := DispatchUsage{SenderID: s.ID, WarmupStartedAt: s.WarmupStartedAt, Portfolio: PortfolioOf(s), PortfolioLimit: TierLimit(s.MessagingLimitTier)}
	u.Block, u.BlockReason = DispatchBlock(s)
	db := d.DB.WithContext(ctx)
	if err := db.Raw(`SELECT COALESCE((SELECT templates FROM sender_daily_usage WHERE sender_id = ? AND day = ?), 0)`,
		s.ID, now.In(models.LoadZone(models.TZWIB)).Format(time.DateOnly)).Scan(&u.TemplatesToday).Error; err != nil {
		return u, fmt.Errorf("usage of sender %d: %w", s.ID, err)
	}
	if u.ReachedIn24h, err = portfolioReached(db, u.Portfolio, now); err != nil {
		return u, err
	}
	if err := db.Raw(`SELECT count(*) FROM campaign_recipients WHERE sender_id = ? AND status = 'queued'`, s.ID).Scan(&u.Queued).Error; err != nil {
		return u, fmt.Errorf("queue of sender %d: %w", s.ID, err)
	}
	return u, nil
}

// RecordTemplate accounts for a template an agent sent from the inbox: it
// uses the number's warm-up day and, outside the customer's window, a unit
// of the portfolio's messaging limit, so campaigns' budgets see it.
func (d DispatchStore) RecordTemplate(ctx context.Context, senderID, contactID int64, windowOpen bool) error {
	s, err := d.Sender(ctx, senderID)
	if err != nil {
		return err
	}
	now := d.now()
	return d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO sender_daily_usage (sender_id, day, templates) VALUES (?, ?, 1)
			ON CONFLICT (sender_id, day) DO UPDATE SET templates = sender_daily_usage.templates + 1`,
			senderID, now.In(models.LoadZone(models.TZWIB)).Format(time.DateOnly)).Error; err != nil {
			return fmt.Errorf("count template of sender %d: %w", senderID, err)
		}
		if windowOpen {
			return nil
		}
		var seen int64
		if err := tx.Raw(`SELECT count(*) FROM portfolio_reach WHERE portfolio = ? AND contact_id = ? AND reached_at > ?`,
			PortfolioOf(s), contactID, now.Add(-limitPeriod)).Scan(&seen).Error; err != nil {
			return err
		}
		if seen > 0 {
			return nil
		}
		return recordReach(tx, PortfolioOf(s), []int64{contactID}, now)
	})
}

// portfolioReached is the portfolio's unique users reached in the rolling
// 24 hours, from hourly buckets (the hour that began 25h ago counts whole:
// a little early, never late).
func portfolioReached(tx *gorm.DB, portfolio string, now time.Time) (int64, error) {
	var n int64
	err := tx.Raw(`SELECT COALESCE(sum(n), 0) FROM portfolio_reach_hourly WHERE portfolio = ? AND hour >= ?`,
		portfolio, now.Add(-limitPeriod).Truncate(time.Hour)).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("portfolio %s reach: %w", portfolio, err)
	}
	return n, nil
}

// recordReach stores newly reached users (one statement) and counts them
// in the hour's bucket.
func recordReach(tx *gorm.DB, portfolio string, contactIDs []int64, now time.Time) error {
	if len(contactIDs) == 0 {
		return nil
	}
	if err := tx.Exec(`INSERT INTO portfolio_reach (portfolio, contact_id, reached_at) SELECT ?, id, ? FROM unnest(?::bigint[]) AS u(id)
		ON CONFLICT (portfolio, contact_id) DO UPDATE SET reached_at = EXCLUDED.reached_at`, portfolio, now, models.Int64List(contactIDs)).Error; err != nil {
		return fmt.Errorf("record reach: %w", err)
	}
	return tx.Exec(`INSERT INTO portfolio_reach_hourly (portfolio, hour, n) VALUES (?, ?, ?)
		ON CONFLICT (portfolio, hour) DO UPDATE SET n = portfolio_reach_hourly.n + EXCLUDED.n`, portfolio, now.Truncate(time.Hour), len(contactIDs)).Error
}

// MarkDraining records that the number's drain runs until about until.
func (d DispatchStore) MarkDraining(ctx context.Context, senderID int64, until time.Time) error {
	return d.DB.WithContext(ctx).Exec(`INSERT INTO sender_dispatch (sender_id, draining_until) VALUES (?, ?)
		ON CONFLICT (sender_id) DO UPDATE SET draining_until = EXCLUDED.draining_until`, senderID, until).Error
}

// ClearDraining records that the number's drain stopped looking at its queue.
func (d DispatchStore) ClearDraining(ctx context.Context, senderID int64) error {
	return d.DB.WithContext(ctx).Exec(`UPDATE sender_dispatch SET draining_until = NULL WHERE sender_id = ?`, senderID).Error
}

// Draining returns which of the numbers have a drain running now. A
// drain clears its mark before its last look at the queue, and a campaign
// commits its rows before it asks, so a wake-up is never lost between them.
func (d DispatchStore) Draining(ctx context.Context, senderIDs []int64) (map[int64]bool, error) {
	var ids []int64
	if err := d.DB.WithContext(ctx).Raw(`SELECT sender_id FROM sender_dispatch WHERE sender_id IN ? AND draining_until > ?`,
		senderIDs, d.now()).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("draining senders: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
