package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/models/inbox"
)

// AutoReplyRelay drains the auto_reply_jobs outbox (a trigger writes one
// row per customer message to a number with rules, in the message's own
// transaction): it decides each message's answer in one transaction
// (autoreply.JobStore.Decide), publishes the events, hands the reply to the
// conversation's workflow, routes when the rule says so and deletes the
// job. A relay that dies after the decision leaves the job decided with its
// reply: the next claim only hands the same row off again, and the
// workflow sends a row once.
type AutoReplyRelay struct {
	Store    autoreply.JobStore
	Signaler inbox.ConversationSignaler
	// Route routes a conversation after a rule moved it to a team or the
	// customer asked for a human, so the team's strategy picks the agent
	// (nil: it waits in the team's queue).
	Route  func(ctx context.Context, id int64) error
	Events models.EventPublisher
	// Now is the clock of the decisions (nil: time.Now); the business hours
	// of an away rule are read against it.
	Now    func() time.Time
	Every  time.Duration // idle poll period (200 ms when zero)
	Logger *slog.Logger
}

// Relay batch, concurrency and lease of the auto-replies.
const (
	autoReplyBatch    = 200
	autoReplyParallel = 8
	autoReplyLease    = 30 * time.Second
)

// Run relays until ctx is done.
func (r AutoReplyRelay) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	return pollLoop(ctx, every, autoReplyBatch, r.Logger, "auto-reply relay", r.once)
}

func (r AutoReplyRelay) once(ctx context.Context) (int, error) {
	jobs, err := r.Store.Claim(ctx, autoReplyBatch, autoReplyLease)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	// One conversation's messages keep their order (a keyword, then "agen"):
	// they go in one task, in id order.
	groups := groupInOrder(jobs, func(j autoreply.Job) int64 { return j.ConversationID })
	var done []int64
	finished, first := parallel(ctx, autoReplyParallel, groups, func(ctx context.Context, g []autoreply.Job) error {
		for _, j := range g {
			if err := r.handle(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
	for _, g := range finished {
		for _, j := range g {
			done = append(done, j.ID)
		}
	}
	// A failed group stays leased and is tried again when the lease runs out.
	if err := r.Store.Done(ctx, done); err != nil {
		return len(jobs), err
	}
	return len(jobs), first
}

func (r AutoReplyRelay) handle(ctx context.Context, j autoreply.Job) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	out, err := r.Store.Decide(ctx, j, now())
	if err != nil {
		return fmt.Errorf("decide auto-reply to message %d: %w", j.MessageID, err)
	}
	models.PublishCommitted(ctx, r.Events, r.Logger, "auto-reply", out.Events...)
	if out.Reply != nil {
		if err := inbox.HandOff(ctx, r.Signaler, out.Conversation, *out.Reply, out.Created); err != nil {
			return fmt.Errorf("hand off auto-reply %d: %w", out.Reply.ID, err)
		}
	}
	if out.Route {
		if r.Route != nil {
			if err := r.Route(ctx, out.Conversation.ID); err != nil {
				return fmt.Errorf("route conversation %d: %w", out.Conversation.ID, err)
			}
		}
		if err := r.Signaler.Changed(ctx, out.Conversation); err != nil {
			// The workflow re-reads PostgreSQL on its next timer anyway.
			r.Logger.WarnContext(ctx, "signal conversation change", "err", err, "conversation", out.Conversation.ID)
		}
	}
	return nil
}
