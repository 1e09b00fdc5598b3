package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// CampaignInput starts (or continues) a campaign. The audience is never in
// the history: only the keyset cursor travels across continue-as-new.
type CampaignInput struct {
	CampaignID  int64
	PageSize    int // contacts per claim, 500 when zero
	PagesPerRun int // pages before continue-as-new, 50 when zero
	// Poll is how often a dispatching campaign reads its queue (5 s when zero).
	Poll time.Duration
	// Lookahead is how many queued recipients a dispatching campaign keeps
	// ahead of its numbers (10 s of their throughput, at least a page, when zero).
	Lookahead int
	// Retry runs a finished campaign again for the recipients "retry
	// failed" requeued: no audience paging, only the queue.
	Retry bool
	// Carried across continue-as-new.
	Progress CampaignProgress
}

// CampaignProgress is what the progress query returns.
type CampaignProgress struct {
	CampaignID   int64
	Status       string
	After        int64 // keyset cursor: last contact id claimed
	Pages        int
	Runs         int
	Claimed      int
	Sent         int
	Failed       int
	Skipped      int
	WaitingUntil time.Time // quiet hours or schedule
	Paused       bool
	// LastRound ended the last send round: the next one starts at least a
	// second later, also across continue-as-new.
	LastRound time.Time
	// Dispatching: recipients are sent by the numbers' SenderWorkflows.
	Dispatching bool
	// Exhausted: every audience page is claimed.
	Exhausted bool
	Queued    int64
	Polls     int
	// Held: WhatsApp paused the template and the campaign waits for it.
	Held bool
}

// holdPoll is how often a campaign held by its template's pause looks
// whether the template was approved again (the webhook resumes it in the
// database; this only wakes its numbers).
const holdPoll = 15 * time.Second

type campaignRun struct {
	in        CampaignInput
	acts      *activities.Campaign
	plan      campaigns.CampaignPlan
	p         *CampaignProgress
	pauseCh   workflow.ReceiveChannel
	resumeCh  workflow.ReceiveChannel
	cancelCh  workflow.ReceiveChannel
	cancelled bool
	resumed   bool // a pause ended: the numbers must be woken
}

// CampaignWorkflow sends a campaign's template to its segment, page by
// page: claim (recipient rows + message rows in one transaction), then
// send through the exactly-once outbox, paced per sender and held back by
// quiet hours in the recipient's local time.
//
// Pacing is done here, not in the activity: each round sends at most
// throughput_mps rows per sender and the next round starts at least one
// workflow second after the previous one ended, so no calendar second ever
// sees more than mps sends from this campaign on one number. The pause is a
// durable timer, it survives worker restarts, and needs no state shared
// between activity workers (an in-memory rate.Limiter would be per process).
func CampaignWorkflow(ctx workflow.Context, in CampaignInput) (CampaignProgress, error) {
	if in.PageSize <= 0 {
		in.PageSize = 500
	}
	if in.PagesPerRun <= 0 {
		in.PagesPerRun = 50
	}
	p := in.Progress
	p.CampaignID = in.CampaignID
	p.Runs++
	r := &campaignRun{in: in, p: &p,
		pauseCh:  workflow.GetSignalChannel(ctx, SignalCampaignPause),
		resumeCh: workflow.GetSignalChannel(ctx, SignalCampaignResume),
		cancelCh: workflow.GetSignalChannel(ctx, SignalCampaignCancel)}
	if err := workflow.SetQueryHandler(ctx, QueryCampaignProgress, func() (CampaignProgress, error) { return p, nil }); err != nil {
		return p, err
	}
	// Ops find a campaign's workflow by CampaignID in the Web UI; runs
	// recorded before this was added have no such command.
	if workflow.GetVersion(ctx, "campaign-search-attribute", workflow.DefaultVersion, 1) == 1 {
		if err := workflow.UpsertTypedSearchAttributes(ctx,
			temporal.NewSearchAttributeKeyKeyword(SACampaignID).ValueSet(strconv.FormatInt(in.CampaignID, 10))); err != nil {
			return p, err
		}
	}
	return r.run(ctx)
}

func (r *campaignRun) short(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
	})
}

func (r *campaignRun) setStatus(ctx workflow.Context, status, reason string) error {
	// Disconnected: the final status is stored even if the run is being cancelled.
	dctx, _ := workflow.NewDisconnectedContext(r.short(ctx))
	if err := workflow.ExecuteActivity(dctx, r.acts.CampaignSetStatus, r.in.CampaignID, status, reason).Get(dctx, nil); err != nil {
		return err
	}
	r.p.Status = status
	return nil
}

func (r *campaignRun) finish(ctx workflow.Context, status, reason string) (CampaignProgress, error) {
	if err := r.setStatus(ctx, status, reason); err != nil {
		return *r.p, err
	}
	return *r.p, nil
}

// drain reads pending signals without blocking.
func (r *campaignRun) drain() {
	for r.cancelCh.ReceiveAsync(nil) {
		r.cancelled = true
	}
	for {
		switch {
		case r.pauseCh.ReceiveAsync(nil):
			r.p.Paused = true
		case r.resumeCh.ReceiveAsync(nil):
			r.p.Paused = false
		default:
			return
		}
	}
}

// gate holds the campaign while paused; it reports false when cancelled.
func (r *campaignRun) gate(ctx workflow.Context) (bool, error) {
	r.drain()
	if r.cancelled {
		return false, nil
	}
	if !r.p.Paused {
		return true, nil
	}
	if err := r.setStatus(ctx, campaigns.CampaignPaused, campaigns.ReasonPausedByUser); err != nil {
		return false, err
	}
	for r.p.Paused && !r.cancelled {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.resumeCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.p.Paused = false })
		sel.AddReceive(r.pauseCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.AddReceive(r.cancelCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.cancelled = true })
		sel.Select(ctx)
	}
	if r.cancelled {
		return false, nil
	}
	r.resumed = true
	return true, r.setStatus(ctx, campaigns.CampaignRunning, "")
}

// sleepUntil waits durably for t; a cancel signal cuts it short (pause and
// resume are remembered and handled by the next gate).
func (r *campaignRun) sleepUntil(ctx workflow.Context, t time.Time) error {
	return r.sleep(ctx, t, false)
}

// sleep is sleepUntil that, with wakeOnPause, also returns when a pause
// arrives (a dispatching campaign stores its paused status at once).
func (r *campaignRun) sleep(ctx workflow.Context, t time.Time, wakeOnPause bool) error {
	for {
		d := t.Sub(workflow.Now(ctx))
		if d <= 0 || r.cancelled || (wakeOnPause && r.p.Paused) {
			r.p.WaitingUntil = time.Time{}
			return nil
		}
		r.p.WaitingUntil = t
		tctx, stop := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(tctx, d)
		sel := workflow.NewSelector(ctx)
		var terr error
		sel.AddFuture(timer, func(f workflow.Future) { terr = f.Get(ctx, nil) })
		sel.AddReceive(r.cancelCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.cancelled = true })
		sel.AddReceive(r.pauseCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.p.Paused = true })
		sel.AddReceive(r.resumeCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.p.Paused = false })
		sel.Select(ctx)
		stop()
		if terr != nil && !temporal.IsCanceledError(terr) {
			return terr
		}
	}
}

func (r *campaignRun) run(ctx workflow.Context) (CampaignProgress, error) {
	if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignPlan, r.in.CampaignID).Get(ctx, &r.plan); err != nil {
		return *r.p, err
	}
	if r.p.Runs == 1 && r.in.Retry {
		r.p.Exhausted, r.resumed = true, true // the queue is all there is; wake its numbers
		if err := r.setStatus(ctx, campaigns.CampaignRunning, campaigns.ReasonRetrying); err != nil {
			return *r.p, err
		}
	} else if r.p.Runs == 1 {
		if r.plan.StartAt != nil && r.plan.StartAt.After(workflow.Now(ctx)) {
			if err := r.setStatus(ctx, campaigns.CampaignScheduled, ""); err != nil {
				return *r.p, err
			}
			if err := r.sleepUntil(ctx, *r.plan.StartAt); err != nil {
				return *r.p, err
			}
		}
		if !r.cancelled {
			if err := r.setStatus(ctx, campaigns.CampaignRunning, ""); err != nil {
				return *r.p, err
			}
		}
	}
	// Per-number dispatch (SenderWorkflow) replaced sending from this
	// workflow; histories recorded before it keep the old path.
	if workflow.GetVersion(ctx, "sender-dispatch", workflow.DefaultVersion, 1) == 1 {
		return r.dispatch(ctx)
	}
	mps := map[int64]int{}
	for _, s := range r.plan.Senders {
		mps[s.ID] = s.ThroughputMPS
	}
	for runPages := 0; ; runPages++ {
		ok, err := r.gate(ctx)
		if err != nil {
			return *r.p, err
		}
		if !ok {
			return r.finish(ctx, campaigns.CampaignCancelled, "cancelled by user")
		}
		if r.plan.EndAt != nil && !workflow.Now(ctx).Before(*r.plan.EndAt) {
			return r.finish(ctx, campaigns.CampaignCompleted, "end time reached")
		}
		if runPages >= r.in.PagesPerRun {
			next := r.in
			next.Progress = *r.p
			return *r.p, workflow.NewContinueAsNewError(ctx, CampaignWorkflow, next)
		}
		var ids []int64
		if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignNextContacts, r.in.CampaignID, r.p.After, r.in.PageSize).Get(ctx, &ids); err != nil {
			return *r.p, err
		}
		if len(ids) == 0 {
			return r.finish(ctx, campaigns.CampaignCompleted, "")
		}
		var claim campaigns.ClaimResult
		if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignClaim, r.in.CampaignID, ids).Get(ctx, &claim); err != nil {
			return *r.p, err
		}
		// A sum does not depend on the map's iteration order.
		//workflowcheck:ignore
		for _, n := range claim.Skipped {
			r.p.Skipped += n
		}
		r.p.Claimed += len(claim.Sends)
		if err := r.sendPage(ctx, claim.Sends, mps); err != nil {
			return *r.p, err
		}
		if r.cancelled {
			return r.finish(ctx, campaigns.CampaignCancelled, "cancelled by user")
		}
		r.p.After = ids[len(ids)-1]
		r.p.Pages++
	}
}

// sendPage sends a page zone by zone (quiet hours are local), in rounds of
// at most mps rows per sender with at least a second between rounds.
func (r *campaignRun) sendPage(ctx workflow.Context, sends []campaigns.ClaimedSend, mps map[int64]int) error {
	var zones []string
	byZone := map[string][]campaigns.ClaimedSend{}
	for _, s := range sends {
		if _, ok := byZone[s.Zone]; !ok {
			zones = append(zones, s.Zone)
		}
		byZone[s.Zone] = append(byZone[s.Zone], s)
	}
	for _, z := range zones {
		queue := map[int64][]int64{}
		var senders []int64
		for _, s := range byZone[z] {
			if _, ok := queue[s.SenderID]; !ok {
				senders = append(senders, s.SenderID)
			}
			queue[s.SenderID] = append(queue[s.SenderID], s.MessageID)
		}
		for len(senders) > 0 {
			// Gate (pause/cancel), pacing gap and quiet hours, until all
			// three hold at once: a pause during a quiet-hours sleep or the
			// end of a pause at 19:59 is re-checked.
			for {
				ok, err := r.gate(ctx)
				if err != nil || !ok {
					return err
				}
				if gap := r.p.LastRound.Add(time.Second).Sub(workflow.Now(ctx)); !r.p.LastRound.IsZero() && gap > 0 {
					if err := workflow.Sleep(ctx, gap); err != nil {
						return err
					}
				}
				if err := r.waitAllowed(ctx, z); err != nil {
					return err
				}
				r.drain()
				if r.cancelled {
					return nil
				}
				if !r.p.Paused && r.allowedNow(ctx, z) {
					break
				}
			}
			var futures []workflow.Future
			var rest []int64
			for _, sid := range senders {
				n := mps[sid]
				if n <= 0 {
					n = 1
				}
				q := queue[sid]
				batch := q[:min(n, len(q))]
				queue[sid] = q[len(batch):]
				if len(queue[sid]) > 0 {
					rest = append(rest, sid)
				}
				sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
					// A batch is at most mps sends: a lost worker is
					// noticed (and the batch retried) within seconds.
					StartToCloseTimeout: 20 * time.Second,
					RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
						NonRetryableErrorTypes: []string{activities.BusinessErrorType}},
				})
				futures = append(futures, workflow.ExecuteActivity(sctx, r.acts.CampaignSendBatch, r.in.CampaignID, batch))
			}
			for _, f := range futures {
				var br activities.CampaignBatchResult
				if err := f.Get(ctx, &br); err != nil {
					return err
				}
				r.p.Sent += br.Sent
				r.p.Failed += br.Failed
			}
			r.p.LastRound = workflow.Now(ctx)
			senders = rest
		}
	}
	return nil
}

func (r *campaignRun) allowedNow(ctx workflow.Context, zone string) bool {
	now := workflow.Now(ctx)
	return !models.NextAllowed(now, models.LoadZone(zone), r.plan.QuietHours).After(now)
}

func (r *campaignRun) waitAllowed(ctx workflow.Context, zone string) error {
	now := workflow.Now(ctx)
	next := models.NextAllowed(now, models.LoadZone(zone), r.plan.QuietHours)
	if next.IsZero() || !next.After(now) {
		return nil
	}
	return r.sleepUntil(ctx, next)
}
