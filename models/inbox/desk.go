package inbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/senders"
)

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
	q, err := d.Store.QueueOutbound(ctx, convID, p.AgentID, idemKey, req)
	if err != nil {
		return models.Message{}, false, err
	}
	d.publish(ctx, q.Events)
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

// MediaLimit is WhatsApp's size limit for a media kind (image, audio,
// video, document); ok is false for any other kind.
func MediaLimit(kind string) (limit int64, ok bool) {
	switch kind {
	case "image":
		return 5 << 20, true
	case "audio", "video":
		return 16 << 20, true
	case "document":
		return 100 << 20, true
	}
	return 0, false
}

// CheckMedia is the rule for an upload of kind: within its size limit and
// of a content type that fits it (a document may be any type).
func CheckMedia(kind, mime string, size int64) error {
	limit, ok := MediaLimit(kind)
	if !ok {
		return models.FieldError(models.EInvalid, "type", "must be image, audio, video or document")
	}
	if size > limit {
		return &models.Error{Code: models.ETooLarge, Field: "file", Message: fmt.Sprintf("%s files may be at most %d MB", kind, limit>>20)}
	}
	if mime == "" || (kind != "document" && !strings.HasPrefix(mime, kind+"/")) {
		return models.FieldError(models.EUnprocessable, "file", "content type %q does not fit %s", mime, kind)
	}
	return nil
}

// MediaUploader uploads a file to a business number (the Cloud API client).
type MediaUploader interface {
	UploadMedia(ctx context.Context, phoneNumberID, filename, mimeType string, r io.Reader) (string, error)
}

// UploadMedia checks a file against the media rule and uploads it to the
// number of a conversation (senderID); the media id it returns is sent
// with {"type":..., "mediaId":...}.
func (d Desk) UploadMedia(ctx context.Context, up MediaUploader, senderID int64, kind, filename, mime string, size int64, r io.Reader) (string, error) {
	if err := CheckMedia(kind, mime, size); err != nil {
		return "", err
	}
	pnid, err := d.Store.PhoneNumberID(ctx, senderID)
	if err != nil {
		return "", err
	}
	mediaID, err := up.UploadMedia(ctx, pnid, filename, mime, r)
	if err != nil {
		return "", &models.Error{Code: models.EUnavailable, Message: "WhatsApp did not accept the upload: " + err.Error(), Err: err}
	}
	return mediaID, nil
}
