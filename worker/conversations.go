package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/ingest"
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
	return s.startWith(ctx, workflows.ConversationInput{ConversationID: convID, SenderID: senderID, ContactID: contactID, Config: s.Config}, signal, arg)
}

func (s ConversationSignaler) startWith(ctx context.Context, in workflows.ConversationInput, signal string, arg any) error {
	id := workflows.ConversationWorkflowID(in.SenderID, in.ContactID)
	_, err := s.Client.SignalWithStartWorkflow(ctx, id, signal, arg, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: s.TaskQueue,
		// A finished run (window closed) is replaced by a new one.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.ConversationWorkflow, in)
	if err != nil {
		return fmt.Errorf("signal %s to %s: %w", signal, id, err)
	}
	return nil
}

// WindowOpened tells (or starts) the conversation's workflow that a
// customer message opened the window.
func (s ConversationSignaler) WindowOpened(ctx context.Context, o ingest.OpenedWindow) error {
	return s.start(ctx, o.SenderID, o.ContactID, o.ConversationID, workflows.SignalConversationInbound,
		workflows.InboundSignal{MessageID: o.MessageID, At: time.Now().UTC()})
}

// Send queues an outbound message row on the conversation's workflow.
func (s ConversationSignaler) Send(ctx context.Context, c models.Conversation, messageID int64) error {
	return s.start(ctx, c.SenderID, c.ContactID, c.ID, workflows.SignalConversationSend, workflows.SendSignal{MessageID: messageID})
}

// Changed tells a running conversation workflow that assignee/team/status
// changed. No run means nothing to update: that is not an error, except
// for a snooze, whose wake-up is the workflow's durable timer: that starts
// a run (already routed: a snoozed chat keeps its assignee or queue).
func (s ConversationSignaler) Changed(ctx context.Context, c models.Conversation) error {
	if c.Status == "snoozed" {
		return s.startWith(ctx, workflows.ConversationInput{ConversationID: c.ID, SenderID: c.SenderID, ContactID: c.ContactID,
			Config: s.Config, Routed: true}, workflows.SignalConversationChanged, nil)
	}
	err := s.Client.SignalWorkflow(ctx, workflows.ConversationWorkflowID(c.SenderID, c.ContactID), "", workflows.SignalConversationChanged, nil)
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// WindowSignalDrainer is the relay of the window_signals outbox: the
// webhook only records, in its transaction, which windows a delivery
// opened; this loop (in every worker, side by side: rows are leased) claims
// them in batches, tells the debtor's assigned cases that the customer
// replied, signals the ConversationWorkflow (signal-with-start) and deletes
// the rows. At least once: a worker that dies mid-batch leaves leased rows
// that another claims when the lease runs out; both signals are idempotent
// for their workflows (the same message id).
type WindowSignalDrainer struct {
	Store    ingest.WindowSignalStore
	Signaler ConversationSignaler
	// Cases and Replies may be zero/nil (no case reactions).
	Cases   cases.CaseStore
	Replies CaseWorkflows
	// Every is the poll period when the outbox is empty (200 ms when zero);
	// a full batch is followed by the next at once.
	Every  time.Duration
	Logger *slog.Logger
}

// Relay batch size, concurrent signals and lease.
const (
	windowSignalBatch    = 200
	windowSignalParallel = 8
	windowSignalLease    = 30 * time.Second
)

// Run drains until ctx is done.
func (d WindowSignalDrainer) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	return pollLoop(ctx, every, windowSignalBatch, d.Logger, "window signal relay", d.drainOnce)
}

// drainOnce relays one batch and returns its size.
func (d WindowSignalDrainer) drainOnce(ctx context.Context) (int, error) {
	rows, err := d.Store.Claim(ctx, windowSignalBatch, windowSignalLease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	// A row that failed stays leased: retried when the lease runs out.
	done, first := parallel(ctx, windowSignalParallel, rows, d.relay)
	if err := d.Store.Done(ctx, done); err != nil {
		return len(rows), err
	}
	return len(rows), first
}

func (d WindowSignalDrainer) relay(ctx context.Context, o ingest.OpenedWindow) error {
	// A debtor's first message in a window is progress on their assigned
	// cases; later messages in the same window add nothing for the case.
	if d.Replies.Client != nil {
		ids, err := d.Cases.AssignedCasesOfContact(ctx, o.ContactID)
		if err == nil && len(ids) > 0 {
			err = d.Replies.CustomerReplied(ctx, ids, o.MessageID)
		}
		if err != nil {
			return fmt.Errorf("tell cases of contact %d the customer replied: %w", o.ContactID, err)
		}
	}
	if err := d.Signaler.WindowOpened(ctx, o); err != nil {
		return fmt.Errorf("signal window opened of conversation %d: %w", o.ConversationID, err)
	}
	return nil
}
