package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/campaigns"
)

// dispatch runs a campaign whose recipients the numbers' SenderWorkflows
// send: this workflow claims audience pages into the numbers' queues, keeps
// about Lookahead recipients queued ahead of them, and watches the queue
// until every recipient is sent, failed or skipped. Pause and cancel take
// effect through the campaign's stored status, which every drain checks.
// History grows per page and per poll, never per recipient.
func (r *campaignRun) dispatch(ctx workflow.Context) (CampaignProgress, error) {
	poll := r.in.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	lookahead := int64(r.in.Lookahead)
	if lookahead <= 0 {
		for _, s := range r.plan.Senders {
			lookahead += int64(s.ThroughputMPS) * 10
		}
		lookahead = max(lookahead, int64(r.in.PageSize))
	}
	if !r.p.Dispatching {
		if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignUseSenders, r.in.CampaignID).Get(ctx, nil); err != nil {
			return *r.p, err
		}
		r.p.Dispatching = true
	}
	senders := make([]int64, 0, len(r.plan.Senders))
	for _, s := range r.plan.Senders {
		senders = append(senders, s.ID)
	}
	lastDone, stalls := int64(-1), 0
	// A campaign its template's pause holds polls slowly and wakes nobody;
	// when the hold ends its numbers are woken at once.
	holdAware := workflow.GetVersion(ctx, "template-hold", workflow.DefaultVersion, 1) == 1
	for loop := 0; ; loop++ {
		ok, err := r.gate(ctx)
		if err != nil {
			return *r.p, err
		}
		if !ok {
			return r.finish(ctx, campaigns.CampaignCancelled, "cancelled by user")
		}
		if r.resumed {
			r.resumed = false
			if err := r.wake(ctx, senders, true); err != nil {
				return *r.p, err
			}
		}
		if r.plan.EndAt != nil && !workflow.Now(ctx).Before(*r.plan.EndAt) {
			return r.finish(ctx, campaigns.CampaignCompleted, "end time reached")
		}
		if loop >= r.in.PagesPerRun*4 || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			next := r.in
			next.Progress = *r.p
			return *r.p, workflow.NewContinueAsNewError(ctx, CampaignWorkflow, next)
		}
		var q campaigns.CampaignQueue
		if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignQueue, r.in.CampaignID).Get(ctx, &q); err != nil {
			return *r.p, err
		}
		r.p.Polls++
		r.p.Queued, r.p.Sent, r.p.Failed, r.p.Skipped = q.Queued, int(q.Sent), int(q.Failed), int(q.Skipped)
		if holdAware && q.Held {
			r.p.Held = true
			if err := r.sleep(ctx, workflow.Now(ctx).Add(max(poll, holdPoll)), true); err != nil {
				return *r.p, err
			}
			continue
		}
		if holdAware && r.p.Held {
			r.p.Held = false
			if err := r.wake(ctx, senders, true); err != nil {
				return *r.p, err
			}
		}
		if !r.p.Exhausted && q.Queued < lookahead {
			var pc activities.PageClaim
			if err := workflow.ExecuteActivity(r.short(ctx), r.acts.CampaignClaimNext, r.in.CampaignID, r.p.After, r.in.PageSize).Get(ctx, &pc); err != nil {
				return *r.p, err
			}
			if pc.Held {
				// The template is paused but the campaign not (yet) held:
				// look again after a while rather than at once.
				if err := r.sleep(ctx, workflow.Now(ctx).Add(max(poll, holdPoll)), true); err != nil {
					return *r.p, err
				}
				continue
			}
			if pc.Contacts == 0 {
				r.p.Exhausted = true
			} else {
				r.p.After, r.p.Claimed = pc.Last, r.p.Claimed+pc.Queued
				r.p.Pages++
			}
			continue
		}
		if r.p.Exhausted && q.Queued == 0 {
			return r.finish(ctx, campaigns.CampaignCompleted, "")
		}

		// Due work that did not move for three polls: a wake-up may have
		// been lost, so wake the numbers holding it whatever they report.
		now := workflow.Now(ctx)
		done := q.Sent + q.Failed + q.Skipped
		if done == lastDone && !q.NextDue.IsZero() && !q.NextDue.After(now) {
			if stalls++; stalls >= 3 {
				stalls = 0
				if err := r.wake(ctx, q.Senders, true); err != nil {
					return *r.p, err
				}
			}
		} else {
			stalls = 0
		}
		lastDone = done
		until := now.Add(poll)
		if q.NextDue.After(until) {
			until = q.NextDue // quiet hours: nothing is due before then
		}
		if err := r.sleep(ctx, until, true); err != nil {
			return *r.p, err
		}
	}
}

func (r *campaignRun) wake(ctx workflow.Context, senders []int64, force bool) error {
	if len(senders) == 0 {
		return nil
	}
	var sd *activities.SenderDispatch
	return workflow.ExecuteActivity(r.short(ctx), sd.SenderWake, senders, force).Get(ctx, nil)
}
