package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/outbox"
	"github.com/wabascrm/scrm/waba"
)

// DispatchBackend is the per-number queue and budget (models.Dispatch).
type DispatchBackend interface {
	Sender(ctx context.Context, id int64) (models.Sender, error)
	Due(ctx context.Context, senderID int64, limit int) ([]dispatch.DueSend, error)
	NextDue(ctx context.Context, senderID int64) (time.Time, error)
	Defer(ctx context.Context, recipientIDs []int64, until time.Time) error
	ReservePortfolio(ctx context.Context, b dispatch.Budget, cands []dispatch.DueSend) (dispatch.Grant, error)
	ReserveSecond(ctx context.Context, b dispatch.Budget, cands []dispatch.DueSend) (dispatch.Grant, error)
	PruneSlots(ctx context.Context, senderID int64) error
	MarkDraining(ctx context.Context, senderID int64, until time.Time) error
	ClearDraining(ctx context.Context, senderID int64) error
	MoveQueued(ctx context.Context, from int64) ([]int64, int, error)
}

// OutcomeRecorder copies send results onto campaign recipients.
type OutcomeRecorder interface {
	RecordOutcomes(ctx context.Context, campaignID int64, outs []campaigns.SendOutcome) error
}

// SenderWaker tells numbers' SenderWorkflows that work is queued, starting
// them when they do not run yet (package worker implements it).
type SenderWaker interface {
	Wake(ctx context.Context, senderIDs []int64, force bool) error
}

// SenderDispatch holds the SenderWorkflow's activities: the only code that
// sends campaign templates, one drain per number at a time.
type SenderDispatch struct {
	Store    DispatchBackend
	Sender   WABASender
	Outcomes OutcomeRecorder
	Waker    SenderWaker
	// Warmup is the daily template cap of a new number, day by day.
	Warmup []int
	// Parallel sends within one second (16 when zero).
	Parallel int
	// Headroom is the share of each second left for inbox sends (1/20 of
	// the throughput, at least 1, when zero).
	Headroom int
	// SendWindow is how far into a second sends may start, so the last of
	// them still land in that second (600 ms when zero).
	SendWindow time.Duration
	// Cutoff is how far into its second a round may still start a send
	// (750 ms when zero): later ones wait for the next round.
	Cutoff time.Duration
	Log    *slog.Logger
}

// DrainInput asks for up to MaxDuration of sending.
type DrainInput struct {
	SenderID    int64
	MaxDuration time.Duration
}

// DrainResult tells the workflow what happened and what to wait for.
type DrainResult struct {
	Sent     int
	Failed   int
	Deferred int
	// Idle: nothing is due now. NextDue is the earliest queued moment in
	// the future (zero: the queue is empty).
	Idle    bool
	NextDue time.Time
	// Block holds the number back (models.Block*) until Until (zero: until
	// the number's state changes).
	Block  string
	Reason string
	Until  time.Time
}

func (a *SenderDispatch) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// SenderDrain sends the number's due campaign recipients for up to
// MaxDuration: each second it takes the due rows, re-checks their quiet
// hours, reserves the second's budget (throughput share, warm-up cap,
// portfolio limit) and sends what was granted in parallel, starting only in
// the first part of the second so every send lands in it. It heartbeats, so a
// lost worker is noticed in seconds; a retry resumes from the database.
func (a *SenderDispatch) SenderDrain(ctx context.Context, in DrainInput) (DrainResult, error) {
	var res DrainResult
	window := a.SendWindow
	if window <= 0 {
		window = 600 * time.Millisecond
	}
	deadline := time.Now().Add(in.MaxDuration)
	if err := a.Store.PruneSlots(ctx, in.SenderID); err != nil {
		return res, businessOrRetry(err)
	}
	// While marked, campaigns that queue work for this number do not wake
	// it (no signal, no history event); the mark is cleared on the way out.
	if err := a.Store.MarkDraining(ctx, in.SenderID, deadline.Add(5*time.Second)); err != nil {
		return res, businessOrRetry(err)
	}
	defer func() {
		if err := a.Store.ClearDraining(context.WithoutCancel(ctx), in.SenderID); err != nil {
			a.log().Warn("drain mark not cleared: it expires by itself", "sender_id", in.SenderID, "err", err)
		}
	}()
	// A stopping worker hands the number back at once: the workflow's next
	// drain runs on a worker that stays.
	stopping := activity.GetWorkerStopChannel(ctx)
	lastRound := int64(0) // the calendar second of the last round
	for time.Now().Before(deadline) {
		select {
		case <-stopping:
			return res, nil
		default:
		}
		activity.RecordHeartbeat(ctx, res.Sent+res.Failed)
		s, err := a.Store.Sender(ctx, in.SenderID)
		if err != nil {
			return res, businessOrRetry(err)
		}
		if b, why := dispatch.DispatchBlock(s); b != dispatch.BlockNone {
			res.Block, res.Reason = b, why
			return res, nil
		}
		mps := s.ThroughputMPS
		if mps <= 0 {
			mps = 80
		}
		share := mps - a.headroom(mps)
		// The next round's rows are read before its second starts, so the
		// round spends its second sending.
		due, err := a.Store.Due(ctx, in.SenderID, share)
		if err != nil {
			return res, businessOrRetry(err)
		}
		if len(due) == 0 {
			// Clear the mark, then look once more: rows committed before a
			// campaign saw the mark are found here, rows after it wake us.
			if err := a.Store.ClearDraining(ctx, in.SenderID); err != nil {
				return res, businessOrRetry(err)
			}
			if due, err = a.Store.Due(ctx, in.SenderID, share); err != nil {
				return res, businessOrRetry(err)
			}
			if len(due) > 0 {
				if err := a.Store.MarkDraining(ctx, in.SenderID, deadline.Add(5*time.Second)); err != nil {
					return res, businessOrRetry(err)
				}
			}
		}
		if len(due) == 0 {
			next, err := a.Store.NextDue(ctx, in.SenderID)
			if err != nil {
				return res, businessOrRetry(err)
			}
			res.Idle, res.NextDue = true, next
			return res, nil
		}
		// The portfolio's units first: a turn near its limit may take a
		// while and must not eat the second the sends go out in.
		budget := dispatch.Budget{SenderID: s.ID, PerSecond: share, Portfolio: dispatch.PortfolioOf(s), Limit: dispatch.TierLimit(s.MessagingLimitTier)}
		pg, err := a.Store.ReservePortfolio(ctx, budget, due)
		if err != nil {
			return res, businessOrRetry(err)
		}
		due = due[:pg.N]
		now := time.Now()
		if now.Unix() == lastRound || now.Sub(now.Truncate(time.Second)) > window {
			if err := sleepCtx(ctx, now.Truncate(time.Second).Add(time.Second).Sub(now)); err != nil {
				return res, err
			}
			now = time.Now()
		}
		due, deferred, err := a.quietHours(ctx, due, now)
		if err != nil {
			return res, err
		}
		res.Deferred += deferred
		budget.Second, budget.DailyCap = now.Unix(), dispatch.WarmupCap(a.Warmup, s.WarmupStartedAt, now)
		g, err := a.Store.ReserveSecond(ctx, budget, due)
		if err != nil {
			return res, businessOrRetry(err)
		}
		lastRound = now.Unix()
		if g.N > 0 {
			// Sends not started by the cut-off wait for the next round: a
			// request that leaves late could land in the next second.
			cutoff := now.Truncate(time.Second).Add(a.cutoff())
			backoff, err := a.sendAll(ctx, due[:g.N], cutoff, &res)
			if err != nil {
				return res, err
			}
			if res.Block != dispatch.BlockNone {
				return res, nil // an account-level refusal paused the number
			}
			if backoff != nil {
				res.Block, res.Reason, res.Until = dispatch.BlockThroughput, backoff.Error(), time.Now().Add(backoff.RetryAfter())
				return res, nil
			}
		}
		if g.Block == dispatch.BlockNone && pg.Block != dispatch.BlockNone {
			g = pg
		}
		if g.Block != dispatch.BlockNone {
			res.Block, res.Reason, res.Until = g.Block, g.Reason, g.Until
			return res, nil
		}
	}
	return res, nil
}

// errLate marks a row whose send would have started after its round's cut-off.
var errLate = errors.New("round cut-off passed")

func (a *SenderDispatch) cutoff() time.Duration {
	if a.Cutoff > 0 {
		return a.Cutoff
	}
	return 750 * time.Millisecond
}

func (a *SenderDispatch) headroom(mps int) int {
	if a.Headroom > 0 {
		return min(a.Headroom, mps-1)
	}
	return min(max(1, mps/20), mps-1)
}

// quietHours defers the rows whose local time is not allowed now.
func (a *SenderDispatch) quietHours(ctx context.Context, due []dispatch.DueSend, now time.Time) ([]dispatch.DueSend, int, error) {
	ok := due[:0:0]
	later := map[time.Time][]int64{}
	for _, d := range due {
		next := models.NextAllowed(now, models.LoadZone(d.Zone), d.QuietHours)
		if next.After(now) {
			later[next] = append(later[next], d.RecipientID)
			continue
		}
		ok = append(ok, d)
	}
	n := 0
	for t, ids := range later {
		if err := a.Store.Defer(ctx, ids, t); err != nil {
			return nil, 0, businessOrRetry(err)
		}
		n += len(ids)
	}
	return ok, n, nil
}

// sendAll sends a round: its rows are marked attempted in one transaction,
// sent in parallel, and the accepted ones completed in one transaction
// (wamids, events) and published together. A throughput refusal (130429)
// is returned for the workflow to back off; a pair-rate refusal (131056)
// defers only that recipient; a lost answer leaves the row for its status
// webhook (Due skips it meanwhile); rows not started by the cutoff, and
// refused ones, go back to pending in one statement.
func (a *SenderDispatch) sendAll(ctx context.Context, rows []dispatch.DueSend, cutoff time.Time, res *DrainResult) (*waba.APIError, error) {
	par := a.Parallel
	if par <= 0 {
		par = 16
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.MessageID
	}
	jobs, err := a.Sender.Outbox.BeginSendBatch(ctx, ids)
	if err != nil {
		return nil, businessOrRetry(err)
	}
	type result struct {
		row   dispatch.DueSend
		r     SendResult
		wamid string
		err   error
	}
	results := make([]result, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(par, len(rows)) {
		wg.Go(func() {
			for i := range next {
				row := rows[i]
				job, ok := jobs[row.MessageID]
				switch {
				case !ok:
					results[i] = result{row: row, err: fmt.Errorf("message %d of recipient %d not found", row.MessageID, row.RecipientID)}
				case job.AlreadyDone:
					results[i] = result{row: row, r: SendResult{MessageID: job.MessageID, Wamid: job.WAMID, Status: sendStatusOf(job.Status)}}
				case job.Ambiguous:
					results[i] = result{row: row, err: errAwaitingWebhook}
				case job.NoAddress:
					ev, ferr := a.Sender.Outbox.FailSend(ctx, job.MessageID, 0, "the contact has no WhatsApp id, phone or business-scoped user id")
					if ferr == nil {
						publishAfterCommit(ctx, a.Sender.Events, a.Sender.Log, ev)
					}
					results[i] = result{row: row, r: SendResult{MessageID: job.MessageID, Status: "failed", ErrorReason: "no WhatsApp id or phone"}}
				case time.Now().After(cutoff):
					results[i] = result{row: row, err: errLate}
				default:
					r, wamid, err := a.Sender.deliver(ctx, job, true, false)
					results[i] = result{row: row, r: r, wamid: wamid, err: err}
				}
			}
		})
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()

	outs := map[int64][]campaigns.SendOutcome{}
	var sent []outbox.Sent
	var release, pairLimited []int64
	var backoff *waba.APIError
	var hard error
	for _, r := range results {
		var ae *waba.APIError
		switch {
		case r.err == nil:
			if r.wamid != "" {
				sent = append(sent, outbox.Sent{MessageID: r.row.MessageID, WAMID: r.wamid, Held: r.r.Held})
			}
			outs[r.row.CampaignID] = append(outs[r.row.CampaignID], campaigns.SendOutcome{MessageID: r.row.MessageID,
				Status: r.r.Status, ErrorCode: r.r.ErrorCode, Reason: r.r.ErrorReason})
			if r.r.Status == campaigns.RecipientFailed {
				res.Failed++
			} else {
				res.Sent++
			}
		case errors.Is(r.err, errLate):
			release = append(release, r.row.MessageID) // the next round takes it
		case errors.As(r.err, &ae) && ae.Holds():
			// The number or the template cannot send (deliver paused
			// the number or held the campaigns): the row waits.
			release = append(release, r.row.MessageID)
			if waba.Explain(ae.Code).Kind == waba.KindAccount && res.Block == dispatch.BlockNone {
				res.Block, res.Reason = dispatch.BlockStatus, "WhatsApp refused sends ("+strconv.Itoa(ae.Code)+"): "+waba.Explain(ae.Code).EN
			}
		case errors.As(r.err, &ae) && ae.Code == waba.CodePairRate:
			release = append(release, r.row.MessageID)
			pairLimited = append(pairLimited, r.row.RecipientID)
		case errors.As(r.err, &ae):
			release = append(release, r.row.MessageID)
			if backoff == nil || ae.RetryAfter() > backoff.RetryAfter() {
				backoff = ae
			}
		case errors.Is(r.err, errAwaitingWebhook):
			// Still in doubt: Due leaves it alone until its webhook or AmbiguousAfter.
		case ctx.Err() != nil:
			hard = ctx.Err()
		default:
			a.log().Warn("campaign send without an answer: left for its status webhook", "message_id", r.row.MessageID, "err", r.err)
		}
	}
	// Accepted sends are stored before anything else: Meta has them.
	evs, err := a.Sender.Outbox.CompleteSends(context.WithoutCancel(ctx), sent)
	if err != nil {
		return nil, fmt.Errorf("complete %d sends (their status webhooks will store them): %w", len(sent), err)
	}
	publishAfterCommit(ctx, a.Sender.Events, a.Sender.Log, evs...)
	if err := a.Sender.Outbox.ReleaseSends(ctx, release); err != nil {
		return nil, businessOrRetry(err)
	}
	campaigns := make([]int64, 0, len(outs))
	for id := range outs {
		campaigns = append(campaigns, id)
	}
	sort.Slice(campaigns, func(i, j int) bool { return campaigns[i] < campaigns[j] })
	for _, id := range campaigns {
		if err := a.Outcomes.RecordOutcomes(ctx, id, outs[id]); err != nil {
			return nil, businessOrRetry(err)
		}
	}
	if len(pairLimited) > 0 {
		if err := a.Store.Defer(ctx, pairLimited, time.Now().Add(time.Minute)); err != nil {
			return nil, businessOrRetry(err)
		}
		res.Deferred += len(pairLimited)
	}
	return backoff, hard
}

// SenderMoveQueued hands the number's queued campaign recipients to the
// other usable numbers of their campaigns and wakes those numbers.
func (a *SenderDispatch) SenderMoveQueued(ctx context.Context, senderID int64) (int, error) {
	to, n, err := a.Store.MoveQueued(ctx, senderID)
	if err != nil {
		return 0, businessOrRetry(err)
	}
	if len(to) > 0 && a.Waker != nil {
		if err := a.Waker.Wake(ctx, to, true); err != nil {
			return n, fmt.Errorf("wake senders %v: %w", to, err)
		}
	}
	return n, nil
}

// SenderWake wakes the given numbers' SenderWorkflows (force: even those
// that report they are sending).
func (a *SenderDispatch) SenderWake(ctx context.Context, senderIDs []int64, force bool) error {
	if a.Waker == nil || len(senderIDs) == 0 {
		return nil
	}
	return a.Waker.Wake(ctx, senderIDs, force)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
