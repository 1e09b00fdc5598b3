package campaigns

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// CampaignWorkflows starts and signals CampaignWorkflows (package worker
// implements it). Start is idempotent per campaign; Signal answers
// ENotFound when no workflow runs for the campaign.
type CampaignWorkflows interface {
	Start(ctx context.Context, id int64) error
	Signal(ctx context.Context, id int64, action string) error
	Retry(ctx context.Context, id int64) error
}

// CampaignActionLaunch is the operator's launch; it is not a signal (the
// workflow is started), so it sits apart from the signal names.
const CampaignActionLaunch = "launch"

// CampaignStep is what an operator action does to a campaign in a given
// status: store a status first (or only), and start or signal the workflow.
type CampaignStep struct {
	// SetStatus, when not empty, is stored (with Reason) before the workflow call.
	SetStatus, Reason string
	// Start starts the campaign's workflow; Signal sends it the action.
	Start, Signal bool
}

// PlanCampaignAction is the rule for launch, pause, resume and cancel: what
// each does from each status, or the 409 that explains why it cannot.
// Launching again is harmless (the workflow start is idempotent); a draft
// that is cancelled never had a workflow, so it only changes status.
func PlanCampaignAction(status, action string) (CampaignStep, error) {
	active := status == CampaignScheduled || status == CampaignRunning || status == CampaignPaused
	switch {
	case action == CampaignActionLaunch && status == CampaignDraft:
		return CampaignStep{SetStatus: CampaignScheduled, Reason: "launched", Start: true}, nil
	case action == CampaignActionLaunch && (status == CampaignScheduled || status == CampaignRunning):
		return CampaignStep{Start: true}, nil
	case action == CampaignActionLaunch:
		return CampaignStep{}, models.FieldError(models.EConflict, "status", "campaign is %s: only a draft can be launched", status)
	case action == CampaignActionCancel && status == CampaignDraft:
		return CampaignStep{SetStatus: CampaignCancelled, Reason: "cancelled before launch"}, nil
	case (action == CampaignActionPause || action == CampaignActionResume || action == CampaignActionCancel) && active:
		return CampaignStep{Signal: true}, nil
	}
	return CampaignStep{}, models.FieldError(models.EConflict, "status", "campaign is %s: cannot %s", status, action)
}

// CampaignControl carries out operator actions on campaigns: the stored
// status and the CampaignWorkflow move together.
type CampaignControl struct {
	Store CampaignStore
	// Workflows is nil when the role runs without Temporal (actions answer 503).
	Workflows CampaignWorkflows
	// Conversations hands test sends to their ConversationWorkflow (nil: 503).
	Conversations inbox.ConversationSignaler
	Inbox         inbox.ConversationStore
	Publisher     models.EventPublisher
	Log           *slog.Logger
}

func (cc CampaignControl) workflows() (CampaignWorkflows, error) {
	if cc.Workflows == nil {
		return nil, models.Errorf(models.EUnavailable, "campaign workflows are not configured")
	}
	return cc.Workflows, nil
}

// Act applies action (launch, pause, resume, cancel) and returns the
// campaign as stored afterwards; async says a workflow now carries the
// action out (the answer is 202 rather than 200).
func (cc CampaignControl) Act(ctx context.Context, id int64, action string) (v CampaignView, async bool, err error) {
	wf, err := cc.workflows()
	if err != nil {
		return v, false, err
	}
	cur, err := cc.Store.Get(ctx, id)
	if err != nil {
		return v, false, err
	}
	if action == CampaignActionResume && cur.TemplateHoldFrom != nil {
		// Resuming cannot help: WhatsApp refuses the template's sends.
		return v, false, &models.Error{Code: models.EConflict, Field: "status", Message: cur.StatusReason}
	}
	step, err := PlanCampaignAction(cur.Status, action)
	if err != nil {
		return v, false, err
	}
	if step.SetStatus != "" {
		if _, err := cc.Store.SetStatus(ctx, id, step.SetStatus, step.Reason); err != nil {
			return v, false, err
		}
	}
	switch {
	case step.Start:
		err = wf.Start(ctx, id)
	case step.Signal:
		err = wf.Signal(ctx, id, action)
		if models.CodeOf(err) == models.ENotFound && action == CampaignActionCancel {
			// The workflow is gone (e.g. never started after a failed
			// launch): cancelling is a status change only.
			_, err = cc.Store.SetStatus(ctx, id, CampaignCancelled, "cancelled")
		}
	}
	if err != nil {
		return v, false, err
	}
	v, err = cc.Store.Get(ctx, id)
	return v, step.Start || step.Signal, err
}

// RetryFailed requeues the recipients that failed with a retryable reason
// and runs the campaign for them; it returns how many were requeued.
func (cc CampaignControl) RetryFailed(ctx context.Context, id int64) (int, error) {
	wf, err := cc.workflows()
	if err != nil {
		return 0, err
	}
	n, err := cc.Store.RequeueFailed(ctx, id)
	if err != nil {
		return 0, err
	}
	return n, wf.Retry(ctx, id)
}

// TestSend queues one template message of the campaign to a number through
// the inbox path and hands it to the ConversationWorkflow, like an agent's
// send; created is false for a replay of the same idempotency key.
func (cc CampaignControl) TestSend(ctx context.Context, p models.Principal, id int64, idemKey string, in TestSendInput) (TestSend, error) {
	if cc.Conversations == nil {
		return TestSend{}, models.Errorf(models.EUnavailable, "sending is not configured (no Temporal)")
	}
	ts, err := cc.Store.QueueTestSend(ctx, p, cc.Inbox, id, idemKey, in)
	if err != nil {
		return ts, err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	models.PublishCommitted(pctx, cc.Publisher, cc.Log, "campaign test send", ts.Events...)
	cancel()
	return ts, inbox.HandOff(ctx, cc.Conversations, ts.Conversation, ts.Message, ts.Created)
}
