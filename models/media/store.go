package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Statuses of a media row.
const (
	StatusPending = "pending" // inbound, not fetched yet
	StatusStored  = "stored"
	StatusFailed  = "failed"  // could not be fetched or refused by the rule
	StatusExpired = "expired" // removed by retention
)

// Media is one file of a message.
type Media struct {
	ID             int64      `json:"id" gorm:"primaryKey"`
	ConversationID int64      `json:"conversationId"`
	MessageID      *int64     `json:"messageId,omitempty"`
	Direction      string     `json:"direction"`
	Kind           string     `json:"kind"`
	WAMediaID      string     `json:"-" gorm:"column:wa_media_id"`
	MimeType       string     `json:"mimeType"`
	Filename       string     `json:"filename,omitempty"`
	SizeBytes      int64      `json:"size"`
	SHA256         string     `json:"-" gorm:"column:sha256"`
	Width          int        `json:"width,omitempty"`
	Height         int        `json:"height,omitempty"`
	BlobKey        string     `json:"-"`
	ThumbKey       string     `json:"-"`
	Status         string     `json:"status"`
	Error          string     `json:"error,omitempty"`
	FetchStartedAt *time.Time `json:"-"`
	StoredAt       *time.Time `json:"storedAt,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
}

// TableName is the media table.
func (Media) TableName() string { return "media" }

// View is a media row as an authorised browser sees it: links that work
// for a few minutes.
type View struct {
	Media
	URL      string `json:"url,omitempty"`
	ThumbURL string `json:"thumbUrl,omitempty"`
}

// ViewOf signs the links of a stored row (none for other statuses).
func (s Signer) ViewOf(m Media) View {
	v := View{Media: m}
	if m.Status == StatusStored {
		v.URL = s.Path(m.ID, VariantFile)
		if m.ThumbKey != "" {
			v.ThumbURL = s.Path(m.ID, VariantThumb)
		}
	}
	return v
}

// EventMessageMedia tells agents who see a conversation that a file of one
// of its messages was stored (or could not be): the thread shows it.
const EventMessageMedia = models.EventMessageMedia

// MediaStore reads and writes media rows.
type MediaStore struct {
	DB     *gorm.DB
	Events models.EventStore
}

// InboundFile is what a customer's media message says about its file.
type InboundFile struct {
	Kind, WAMediaID, MimeType, Filename, SHA256 string
}

// InsertPending records, inside the ingest transaction tx, that message
// msgID carries a file to fetch; the worker picks the row up.
func InsertPending(tx *gorm.DB, convID, msgID int64, f InboundFile) error {
	err := tx.Exec(`INSERT INTO media (conversation_id, message_id, direction, kind, wa_media_id, mime_type, filename, sha256, status)
		VALUES (?, ?, 'in', ?, ?, ?, ?, ?, 'pending') ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING`,
		convID, msgID, f.Kind, f.WAMediaID, f.MimeType, f.Filename, f.SHA256).Error
	if err != nil {
		return fmt.Errorf("record media of message %d: %w", msgID, err)
	}
	return nil
}

// Get returns one row.
func (s MediaStore) Get(ctx context.Context, id int64) (Media, error) {
	var m Media
	err := s.DB.WithContext(ctx).Take(&m, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, models.Errorf(models.ENotFound, "media %d not found", id)
	}
	return m, err
}

// ToFetch claims up to limit pending inbound rows whose fetch was not
// started (marking them started), oldest first.
func (s MediaStore) ToFetch(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := s.DB.WithContext(ctx).Raw(`UPDATE media SET fetch_started_at = now() WHERE id IN (
			SELECT id FROM media WHERE status = 'pending' AND fetch_started_at IS NULL
			ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING id`, limit).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("media to fetch: %w", err)
	}
	return ids, nil
}

// Unclaim gives a row back to the fetcher (its workflow could not be started).
func (s MediaStore) Unclaim(ctx context.Context, id int64) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE media SET fetch_started_at = NULL WHERE id = ? AND status = 'pending'`, id).Error
}

// MarkStored records a stored file and appends the event that tells the
// conversation's agents, in one transaction.
func (s MediaStore) MarkStored(ctx context.Context, m Media) (models.Event, error) {
	return s.settle(ctx, m.ID, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE media SET status = 'stored', error = '', mime_type = ?, size_bytes = ?, sha256 = ?,
			width = ?, height = ?, blob_key = ?, thumb_key = ?, stored_at = now() WHERE id = ?`,
			m.MimeType, m.SizeBytes, m.SHA256, m.Width, m.Height, m.BlobKey, m.ThumbKey, m.ID).Error
	})
}

// MarkFailed records why a file could not be had (and tells the agents).
func (s MediaStore) MarkFailed(ctx context.Context, id int64, reason string) (models.Event, error) {
	return s.settle(ctx, id, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE media SET status = 'failed', error = ? WHERE id = ? AND status = 'pending'`,
			models.Ellipsize(reason, 300), id).Error
	})
}

func (s MediaStore) settle(ctx context.Context, id int64, change func(tx *gorm.DB) error) (models.Event, error) {
	var ev models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := change(tx); err != nil {
			return err
		}
		var row struct {
			ConversationID  int64
			MessageID       *int64
			Status, Error   string
			AssigneeAgentID *int64
			TeamID          *int64
		}
		if err := tx.Raw(`SELECT m.conversation_id, m.message_id, m.status, m.error, c.assignee_agent_id, c.team_id
			FROM media m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?`, id).Scan(&row).Error; err != nil {
			return err
		}
		var err error
		ev, err = models.NewEvent(EventMessageMedia, models.AudienceOf(row.AssigneeAgentID, row.TeamID), map[string]any{
			"id": id, "conversationId": row.ConversationID, "messageId": row.MessageID, "status": row.Status, "error": row.Error,
		})
		if err != nil {
			return err
		}
		return s.Events.Append(ctx, tx, &ev)
	})
	return ev, err
}

// PhoneNumberOf returns the business number a media row's conversation is
// on (Graph is asked for the file with it, so another number's is refused).
func (s MediaStore) PhoneNumberOf(ctx context.Context, id int64) (string, error) {
	var pnid string
	err := s.DB.WithContext(ctx).Raw(`SELECT s.phone_number_id FROM media m JOIN conversations c ON c.id = m.conversation_id
		JOIN senders s ON s.id = c.sender_id WHERE m.id = ?`, id).Scan(&pnid).Error
	if err == nil && pnid == "" {
		err = models.Errorf(models.ENotFound, "media %d has no business number", id)
	}
	return pnid, err
}

// CreateUpload records an agent's file, stored already, before its message
// exists; LinkOutbound ties it to the message that sends it.
func (s MediaStore) CreateUpload(ctx context.Context, m *Media) error {
	m.Direction, m.Status = "out", StatusStored
	now := time.Now()
	m.StoredAt = &now
	if err := s.DB.WithContext(ctx).Omit("MessageID", "FetchStartedAt").Create(m).Error; err != nil {
		return fmt.Errorf("record upload: %w", err)
	}
	return nil
}

// SetKeys records where a row's blobs are (they are named after its id).
func (s MediaStore) SetKeys(ctx context.Context, id int64, blobKey, thumbKey string) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE media SET blob_key = ?, thumb_key = ? WHERE id = ?`, blobKey, thumbKey, id).Error
}

// LinkOutbound ties the upload of waMediaID in a conversation to the
// message that sends it (the first message wins; a replay changes nothing).
func (s MediaStore) LinkOutbound(ctx context.Context, convID int64, waMediaID string, msgID int64) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE media SET message_id = ? WHERE id = (
			SELECT id FROM media WHERE conversation_id = ? AND direction = 'out' AND wa_media_id = ? AND message_id IS NULL
			ORDER BY id LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM media WHERE message_id = ?)`, msgID, convID, waMediaID, msgID).Error
}

// ForMessages returns the rows of the given messages by message id.
func (s MediaStore) ForMessages(ctx context.Context, msgIDs []int64) (map[int64]Media, error) {
	out := map[int64]Media{}
	if len(msgIDs) == 0 {
		return out, nil
	}
	var rows []Media
	if err := s.DB.WithContext(ctx).Where("message_id IN ?", msgIDs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("media of messages: %w", err)
	}
	for _, m := range rows {
		out[*m.MessageID] = m
	}
	return out, nil
}

// StoredBefore returns up to limit stored rows stored before t (retention).
func (s MediaStore) StoredBefore(ctx context.Context, t time.Time, limit int) ([]Media, error) {
	var rows []Media
	err := s.DB.WithContext(ctx).Where("status = 'stored' AND stored_at < ?", t).Order("stored_at").Limit(limit).Find(&rows).Error
	return rows, err
}

// MarkExpired records that retention removed a row's blobs.
func (s MediaStore) MarkExpired(ctx context.Context, id int64) error {
	return s.DB.WithContext(ctx).Exec(`UPDATE media SET status = 'expired', blob_key = '', thumb_key = '' WHERE id = ?`, id).Error
}
