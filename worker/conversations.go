package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/workflows"
)

// ConversationSignaler hands conversation events to their workflows with
// signal-with-start, so the first signal also starts the run.
type ConversationSignaler struct {
	Client    client.Client
	TaskQueue string
	Config    workflows.ConversationConfig
}

func (s ConversationSignaler) start(ctx context.Context, senderID, contactID, convID int64, signal string, arg any) error {
	id := workflows.ConversationWorkflowID(senderID, contactID)
	_, err := s.Client.SignalWithStartWorkflow(ctx, id, signal, arg, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: s.TaskQueue,
		// A finished run (window closed) is replaced by a new one.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.ConversationWorkflow, workflows.ConversationInput{
		ConversationID: convID, SenderID: senderID, ContactID: contactID, Config: s.Config,
	})
	if err != nil {
		return fmt.Errorf("signal %s to %s: %w", signal, id, err)
	}
	return nil
}

// WindowOpened tells (or starts) the conversation's workflow that a
// customer message opened the window.
func (s ConversationSignaler) WindowOpened(ctx context.Context, o inbox.OpenedWindow) error {
	return s.start(ctx, o.SenderID, o.ContactID, o.ConversationID, workflows.SignalConversationInbound,
		workflows.InboundSignal{MessageID: o.MessageID, At: time.Now().UTC()})
}

// Send queues an outbound message row on the conversation's workflow.
func (s ConversationSignaler) Send(ctx context.Context, c models.Conversation, messageID int64) error {
	return s.start(ctx, c.SenderID, c.ContactID, c.ID, workflows.SignalConversationSend, workflows.SendSignal{MessageID: messageID})
}

// Changed tells a running conversation workflow that assignee/team/status
// changed. No run means nothing to update: that is not an error.
func (s ConversationSignaler) Changed(ctx context.Context, c models.Conversation) error {
	err := s.Client.SignalWorkflow(ctx, workflows.ConversationWorkflowID(c.SenderID, c.ContactID), "", workflows.SignalConversationChanged, nil)
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// WindowSignalDrainer re-sends "window opened" signals that the api could
// not deliver (crash between commit and signal, Temporal briefly down).
type WindowSignalDrainer struct {
	Store    inbox.WindowSignalStore
	Signaler ConversationSignaler
	Every    time.Duration
	Logger   *slog.Logger
}

// Run drains until ctx is done.
func (d WindowSignalDrainer) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := d.drainOnce(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Warn("window signal drain", "err", err)
		}
	}
}

func (d WindowSignalDrainer) drainOnce(ctx context.Context) error {
	rows, err := d.Store.Pending(ctx, 5*time.Second, 200)
	if err != nil {
		return err
	}
	for _, o := range rows {
		if err := d.Signaler.WindowOpened(ctx, o); err != nil {
			return err
		}
		if err := d.Store.Done(ctx, o); err != nil {
			return err
		}
	}
	return nil
}
