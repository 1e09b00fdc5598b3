package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// CampaignBackend is the campaign data the activities need
// (models.CampaignStore implements it).
type CampaignBackend interface {
	Plan(ctx context.Context, id int64) (campaigns.CampaignPlan, error)
	NextContacts(ctx context.Context, campaignID, after int64, limit int) ([]int64, error)
	Claim(ctx context.Context, campaignID int64, contactIDs []int64) (campaigns.ClaimResult, error)
	RecordOutcomes(ctx context.Context, campaignID int64, outs []campaigns.SendOutcome) error
	SetStatus(ctx context.Context, id int64, status, reason string) (campaigns.Campaign, error)
	Queue(ctx context.Context, id int64) (campaigns.CampaignQueue, error)
	RecordProgress(ctx context.Context, id int64, q campaigns.CampaignQueue) (models.Event, error)
	UseSenderDispatch(ctx context.Context, id int64) error
}

// QueuedSender sends one stored outbound row exactly once (WABASender).
type QueuedSender interface {
	SendQueued(ctx context.Context, id int64) (SendResult, error)
}

// Campaign holds the CampaignWorkflow's activities. Method names carry the
// Campaign prefix: activity names are global on the worker.
type Campaign struct {
	Store  CampaignBackend
	Sender QueuedSender
	// Parallel sends per batch (8 when zero). The workflow already bounds a
	// batch to one sender's per-second throughput.
	Parallel int
	// Waker tells the numbers' SenderWorkflows that a claimed page waits.
	Waker SenderWaker
	// Events, when set, receives a campaign.progress event per look at the
	// queue (the progress page updates live).
	Events models.EventPublisher
	Log    *slog.Logger
}

// PageClaim is a compact account of one claimed page (the rows stay in
// PostgreSQL, not in the workflow history).
type PageClaim struct {
	Contacts int   // audience contacts in the page (0: the audience is done)
	Last     int64 // keyset cursor after the page
	Queued   int   // recipients queued for sending (skips are counted from the queue)
	// Held: the template is paused by WhatsApp, nothing was claimed.
	Held bool
}

// CampaignUseSenders switches the campaign to per-number dispatch.
func (a *Campaign) CampaignUseSenders(ctx context.Context, id int64) error {
	return businessOrRetry(a.Store.UseSenderDispatch(ctx, id))
}

// CampaignClaimNext claims the next audience page after the cursor (its
// recipients join their numbers' queues) and wakes those numbers' senders.
// Idempotent: a retry claims the same contacts and creates nothing twice.
func (a *Campaign) CampaignClaimNext(ctx context.Context, id, after int64, limit int) (PageClaim, error) {
	ids, err := a.Store.NextContacts(ctx, id, after, limit)
	if err != nil {
		return PageClaim{}, businessOrRetry(err)
	}
	pc := PageClaim{Contacts: len(ids), Last: after}
	if len(ids) == 0 {
		return pc, nil
	}
	claim, err := a.Store.Claim(ctx, id, ids)
	if errors.Is(err, campaigns.ErrTemplateHeld) {
		// Nothing claimed, the cursor stays: the page is claimed again
		// once the template is approved.
		pc.Held = true
		return pc, nil
	}
	if err != nil {
		return PageClaim{}, businessOrRetry(err)
	}
	pc.Last, pc.Queued = ids[len(ids)-1], len(claim.Sends)
	seen := map[int64]bool{}
	var senders []int64
	for _, s := range claim.Sends {
		if !seen[s.SenderID] {
			seen[s.SenderID] = true
			senders = append(senders, s.SenderID)
		}
	}
	if a.Waker != nil && len(senders) > 0 {
		if err := a.Waker.Wake(ctx, senders, false); err != nil {
			return PageClaim{}, fmt.Errorf("wake senders of campaign %d: %w", id, err)
		}
	}
	return pc, nil
}

// CampaignQueue reads the campaign's recipients by state.
func (a *Campaign) CampaignQueue(ctx context.Context, id int64) (campaigns.CampaignQueue, error) {
	q, err := a.Store.Queue(ctx, id)
	if err != nil {
		return q, businessOrRetry(err)
	}
	if a.Events != nil {
		ev, err := a.Store.RecordProgress(ctx, id, q)
		if err != nil {
			return q, businessOrRetry(err)
		}
		publishAfterCommit(ctx, a.Events, a.Log, ev)
	}
	return q, nil
}

// CampaignBatchResult counts the outcomes of one batch.
type CampaignBatchResult struct {
	Sent, Failed int
}

// CampaignPlan loads the campaign's schedule, quiet hours and senders.
func (a *Campaign) CampaignPlan(ctx context.Context, id int64) (campaigns.CampaignPlan, error) {
	p, err := a.Store.Plan(ctx, id)
	return p, businessOrRetry(err)
}

// CampaignNextContacts returns the next page of audience contact ids after
// the keyset cursor.
func (a *Campaign) CampaignNextContacts(ctx context.Context, id, after int64, limit int) ([]int64, error) {
	ids, err := a.Store.NextContacts(ctx, id, after, limit)
	return ids, businessOrRetry(err)
}

// CampaignClaim claims a page of recipients and creates their message rows
// (idempotent: a retry returns the same rows).
func (a *Campaign) CampaignClaim(ctx context.Context, id int64, contactIDs []int64) (campaigns.ClaimResult, error) {
	r, err := a.Store.Claim(ctx, id, contactIDs)
	return r, businessOrRetry(err)
}

// CampaignSendBatch sends message rows through the exactly-once outbox.
// Rows already sent by an earlier attempt come back as done without a
// second request to Meta. When some row hits a retryable error (130429,
// 131056, 5xx, lost answer) the outcomes of the others are recorded and that
// error is returned, so the activity retry (with Meta's back-off delay)
// resends only what did not go out.
func (a *Campaign) CampaignSendBatch(ctx context.Context, id int64, messageIDs []int64) (CampaignBatchResult, error) {
	par := a.Parallel
	if par <= 0 {
		par = 8
	}
	var (
		mu       sync.Mutex
		outs     []campaigns.SendOutcome
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int64)
	for range min(par, len(messageIDs)) {
		wg.Go(func() {
			for mid := range next {
				r, err := a.Sender.SendQueued(ctx, mid)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					outs = append(outs, campaigns.SendOutcome{MessageID: mid, Status: r.Status, ErrorCode: r.ErrorCode, Reason: r.ErrorReason})
				}
				mu.Unlock()
			}
		})
	}
	for _, mid := range messageIDs {
		next <- mid
	}
	close(next)
	wg.Wait()
	var res CampaignBatchResult
	for _, o := range outs {
		if o.Status == campaigns.RecipientFailed {
			res.Failed++
		} else {
			res.Sent++
		}
	}
	if err := a.Store.RecordOutcomes(ctx, id, outs); err != nil {
		return res, errors.Join(err, firstErr)
	}
	if firstErr != nil {
		return res, firstErr
	}
	return res, nil
}

// CampaignSetStatus moves the campaign's stored status.
func (a *Campaign) CampaignSetStatus(ctx context.Context, id int64, status, reason string) error {
	_, err := a.Store.SetStatus(ctx, id, status, reason)
	return businessOrRetry(err)
}
