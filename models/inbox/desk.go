package inbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/models/senders"
)

// ConversationSignaler hands conversation events to Temporal (package worker
// implements it); it is declared beside the webhook ingest that signals too.
type ConversationSignaler = ingest.ConversationSignaler

// Desk is what an agent does in the inbox, each action whole: the change
// is stored, its events are published after commit, and the
// ConversationWorkflow hears what concerns it.
type Desk struct {
	Store   ConversationStore
	Senders senders.SenderStore
	// Conversations is nil when the role runs without Temporal: sending
	// answers 503, other changes are picked up by the workflow's timers.
	Conversations ConversationSignaler
	Publisher     models.EventPublisher
	Log           *slog.Logger
	// Media, Blobs and Links serve files (media.go): the rows, the store of
	// their bytes and the signer of their short-lived links.
	Media media.MediaStore
	Blobs Blobs
	Links media.Signer
}

func (d Desk) publish(ctx context.Context, evs []models.Event) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	models.PublishCommitted(ctx, d.Publisher, d.Log, "inbox", evs...)
}

// Start opens a business-initiated conversation with a contact from the
// sender the rules choose for the agent (primary, else a usable secondary);
// created is false when it existed already.
func (d Desk) Start(ctx context.Context, p models.Principal, contactID int64) (models.Conversation, bool, error) {
	if contactID <= 0 {
		return models.Conversation{}, false, models.FieldError(models.EInvalid, "contactId", "is required")
	}
	conv, created, evs, err := d.Store.StartConversation(ctx, p, contactID, d.Senders)
	if err != nil {
		return conv, false, err
	}
	d.publish(ctx, evs)
	return conv, created, nil
}

// Send validates (window, template, media) before anything is sent, stores
// the queued row, and hands it to the ConversationWorkflow. A retry with the
// same idempotency key returns the first row (created false) and never
// sends twice.
func (d Desk) Send(ctx context.Context, p models.Principal, convID int64, idemKey string, req OutboundRequest) (models.Message, bool, error) {
	conv, err := d.Store.GetScoped(ctx, p, convID)
	if err != nil {
		return models.Message{}, false, err
	}
	if d.Conversations == nil {
		return models.Message{}, false, models.Errorf(models.EUnavailable, "sending is not configured (no Temporal)")
	}
	q, err := d.Store.QueueOutboundScoped(ctx, convID, p.AgentID, models.IdempotencyScope(p), idemKey, req)
	if err != nil {
		return models.Message{}, false, err
	}
	d.publish(ctx, q.Events)
	if q.Created {
		d.linkUpload(ctx, convID, req, q.Message)
	}
	return q.Message, q.Created, HandOff(ctx, d.Conversations, conv.Conversation, q.Message, q.Created)
}

// HandOff gives a stored outbound row to its ConversationWorkflow, which
// sends it in order, exactly once. New rows and replays of rows still
// queued are signalled (the workflow ignores a row it sent already, so a
// repeated signal is harmless); a failure says to retry with the same key.
// Agents' sends and campaign test sends both end here.
func HandOff(ctx context.Context, sig ConversationSignaler, conv models.Conversation, msg models.Message, created bool) error {
	if !created && msg.Status != models.MsgQueued {
		return nil
	}
	if err := sig.Send(ctx, conv, msg.ID); err != nil {
		return &models.Error{Code: models.EUnavailable,
			Message: "message stored but not handed to the sender yet; retry with the same Idempotency-Key", Err: err}
	}
	return nil
}

// Change applies an agent's action to a conversation and tells its workflow.
func (d Desk) Change(ctx context.Context, p models.Principal, convID int64, ch ConversationChange) (models.Conversation, error) {
	conv, evs, err := d.Store.Change(ctx, p, convID, ch)
	if err != nil {
		return conv, err
	}
	d.publish(ctx, evs)
	if d.Conversations != nil {
		if err := d.Conversations.Changed(ctx, conv); err != nil {
			// The workflow re-reads PostgreSQL on its next timer anyway.
			d.Log.WarnContext(ctx, "signal conversation change", "err", err, "conversation", convID)
		}
		if ch.Action == "resolve" {
			if err := d.handOffSurveys(ctx, conv); err != nil {
				return conv, err
			}
		}
	}
	return conv, nil
}

// handOffSurveys gives the CSAT survey a resolve queued to the workflow. A
// failure says to resolve again: the survey exists already, so a second
// resolve queues nothing new and hands this one off.
func (d Desk) handOffSurveys(ctx context.Context, conv models.Conversation) error {
	msgs, err := d.Store.QueuedSurveys(ctx, conv.ID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := d.Conversations.Send(ctx, conv, m.ID); err != nil {
			return &models.Error{Code: models.EUnavailable, Message: "resolved, but the satisfaction survey is not handed to the sender yet; resolve again", Err: err}
		}
	}
	return nil
}

// Take gives an unassigned conversation of p's team queue to p (409 when
// another agent was first) and tells its workflow.
func (d Desk) Take(ctx context.Context, p models.Principal, convID int64) (models.Conversation, error) {
	conv, evs, err := d.Store.Take(ctx, p, convID)
	return d.assigned(ctx, conv, evs, err)
}

// Transfer hands p's conversation to a teammate (toAgent) or back to the
// team queue (nil) and tells its workflow.
func (d Desk) Transfer(ctx context.Context, p models.Principal, convID int64, toAgent *int64) (models.Conversation, error) {
	conv, evs, err := d.Store.Transfer(ctx, p, convID, toAgent)
	return d.assigned(ctx, conv, evs, err)
}

func (d Desk) assigned(ctx context.Context, conv models.Conversation, evs []models.Event, err error) (models.Conversation, error) {
	if err != nil {
		return conv, err
	}
	d.publish(ctx, evs)
	if d.Conversations != nil {
		if err := d.Conversations.Changed(ctx, conv); err != nil {
			d.Log.WarnContext(ctx, "signal conversation change", "err", err, "conversation", conv.ID)
		}
	}
	return conv, nil
}

// AddNote stores an internal note and publishes it.
func (d Desk) AddNote(ctx context.Context, p models.Principal, convID int64, body string) (Note, error) {
	n, evs, err := d.Store.AddNote(ctx, p, convID, body)
	if err != nil {
		return n, err
	}
	d.publish(ctx, evs)
	return n, nil
}
