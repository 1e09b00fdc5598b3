package ingest

import (
	"encoding/json"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models/media"
)

// inboundMediaPayload is the part of an inbound message that names its file.
type inboundMediaPayload struct {
	Image, Document, Audio, Video, Sticker *struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		Filename string `json:"filename"`
	}
}

// recordInboundMedia adds the pending media row of a new customer message
// that carries a file (in the ingest transaction: the row is the durable
// to-do of the fetch, so no file is forgotten when a process dies).
func recordInboundMedia(tx *gorm.DB, convID, msgID int64, m *InboundMessage) error {
	if !media.IsMedia(m.Type) || len(m.Payload) == 0 {
		return nil
	}
	var p inboundMediaPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return nil // stored as a message; nothing to fetch without an id
	}
	f := map[string]*struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		Filename string `json:"filename"`
	}{media.KindImage: p.Image, media.KindDocument: p.Document, media.KindAudio: p.Audio, media.KindVideo: p.Video, media.KindSticker: p.Sticker}[m.Type]
	if f == nil || f.ID == "" {
		return nil
	}
	return media.InsertPending(tx, convID, msgID, media.InboundFile{Kind: m.Type, WAMediaID: f.ID, MimeType: f.MimeType, Filename: f.Filename, SHA256: f.SHA256})
}
