package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
)

// OutboundRequest is what an agent asks to send.
type OutboundRequest struct {
	Type string `json:"type"` // text | template | image | document | audio | video | interactive
	Text string `json:"text,omitempty"`
	// Template sends: name + language of an APPROVED template and the values
	// of its variables ("body.1", "header.name", ...). Values not given are
	// filled from the contact (contact.name, contact.phone, attributes).
	Template  string            `json:"template,omitempty"`
	Language  string            `json:"language,omitempty"`
	Variables map[string]string `json:"variables,omitempty"`
	// Media sends: a media id from an upload, or a link.
	MediaID   string `json:"mediaId,omitempty"`
	MediaLink string `json:"mediaLink,omitempty"`
	Caption   string `json:"caption,omitempty"`
	Filename  string `json:"filename,omitempty"`
	// Interactive sends (inside the window): reply buttons or a list.
	Interactive *models.InteractiveRequest `json:"interactive,omitempty"`
	// ReplyTo is the id of a message of this conversation being answered.
	ReplyTo int64 `json:"replyTo,omitempty"`
	// Automated marks a send no agent wrote (a journey's): stored with
	// origin auto. Never from a request body.
	Automated bool `json:"-"`
}

// QueuedSend is the stored row plus whether it is new (false: an earlier
// request with the same idempotency key).
type QueuedSend struct {
	Message models.Message
	Created bool
	Events  []models.Event
}

// templateBrief lists a usable template in the 409 a free-form send gets outside the window.
type templateBrief struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language"`
	Category string `json:"category"`
}

// QueueOutbound validates req against the conversation (window, template
// status and variables, media) BEFORE anything is sent, and stores a queued
// row with the Meta request body. A repeated idempotency key returns the
// first row. The caller then hands the row to the ConversationWorkflow.
func (ib ConversationStore) QueueOutbound(ctx context.Context, convID, agentID int64, idemKey string, req OutboundRequest) (QueuedSend, error) {
	return ib.QueueOutboundScoped(ctx, convID, agentID, models.AgentIdempotencyScope(agentID), idemKey, req)
}

// QueueOutboundScoped is QueueOutbound with the caller the key belongs to
// (models.IdempotencyScope): the same key from another caller is another request.
func (ib ConversationStore) QueueOutboundScoped(ctx context.Context, convID, agentID int64, scope, idemKey string, req OutboundRequest) (QueuedSend, error) {
	var out QueuedSend
	if len(idemKey) > 200 {
		return out, models.FieldError(models.EInvalid, "Idempotency-Key", "must be at most 200 characters")
	}
	fp := ""
	if idemKey != "" { // only a keyed request is ever compared
		var err error
		if fp, err = models.RequestFingerprint(req); err != nil {
			return out, err
		}
	}
	err := ib.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if idemKey != "" {
			var prev models.Message
			err := tx.Where("idempotency_scope = ? AND idempotency_key = ?", scope, idemKey).Take(&prev).Error
			if err == nil {
				if prev.ConversationID != convID || !models.SameRequest(prev.IdempotencyFingerprint, fp) {
					return models.ErrIdempotencyMismatch() // another conversation or another body: another request
				}
				out = QueuedSend{Message: prev}
				return nil
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		var c models.Conversation
		if err := tx.Raw(`SELECT * FROM conversations WHERE id = ? FOR UPDATE`, convID).Scan(&c).Error; err != nil {
			return err
		}
		if c.ID == 0 {
			return models.Errorf(models.ENotFound, "conversation %d not found", convID)
		}
		msg, preview, err := ib.buildOutbound(ctx, tx, c, req)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		row := models.Message{ConversationID: c.ID, Direction: models.DirOut, Type: msg.Type, Body: preview, Payload: raw, Status: models.MsgQueued, CreatedAt: ib.now()}
		if req.Automated {
			row.Origin = models.OriginAuto
		}
		if idemKey != "" {
			row.IdempotencyKey, row.IdempotencyFingerprint, row.IdempotencyScope = &idemKey, &fp, scope
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store outbound message: %w", err)
		}
		replyTo := ""
		if msg.Context != nil {
			replyTo = msg.Context.MessageID
		}
		if err := tx.Exec(`UPDATE messages SET send_state = 'pending', author_agent_id = ?, biz_opaque = ?, reply_to_wamid = ? WHERE id = ?`,
			nullID(agentID), strconv.FormatInt(row.ID, 10), replyTo, row.ID).Error; err != nil {
			return err
		}
		row.BizOpaque = strconv.FormatInt(row.ID, 10)
		if err := tx.Exec(`UPDATE conversations SET last_message_at = ?, last_preview = ?, updated_at = ?,
			status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END WHERE id = ?`,
			row.CreatedAt, models.Ellipsize(preview, 140), row.CreatedAt, c.ID).Error; err != nil {
			return err
		}
		ev, err := models.NewEvent(models.EventMessageCreated, c.Audience(), map[string]any{"message": row, "conversationId": c.ID})
		if err != nil {
			return err
		}
		if err := ib.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		out = QueuedSend{Message: row, Created: true, Events: []models.Event{ev}}
		return nil
	})
	if err != nil && models.IsUniqueViolation(err) && idemKey != "" {
		// Two identical requests raced: the other one stored it.
		var prev models.Message
		if e := ib.DB.WithContext(ctx).Where("idempotency_scope = ? AND idempotency_key = ?", scope, idemKey).Take(&prev).Error; e == nil {
			if prev.ConversationID != convID || !models.SameRequest(prev.IdempotencyFingerprint, fp) {
				return out, models.ErrIdempotencyMismatch()
			}
			return QueuedSend{Message: prev}, nil
		}
	}
	return out, err
}

func (ib ConversationStore) buildOutbound(ctx context.Context, tx *gorm.DB, c models.Conversation, req OutboundRequest) (waba.OutboundMessage, string, error) {
	var m waba.OutboundMessage
	now := ib.now()
	windowOpen := models.WindowOpen(c.LastInboundAt, now, ib.Window)
	switch req.Type {
	case "text", "image", "document", "audio", "video", "interactive":
		if !windowOpen {
			return m, "", ib.windowClosed(ctx, tx, c)
		}
	case "template":
	case "":
		return m, "", models.FieldError(models.EInvalid, "type", "is required (text, template, image, document, audio, video, interactive)")
	default:
		return m, "", models.FieldError(models.EInvalid, "type", "%q is not one of text, template, image, document, audio, video, interactive", req.Type)
	}
	preview := ""
	switch req.Type {
	case "text":
		body := strings.TrimSpace(req.Text)
		if body == "" {
			return m, "", models.FieldError(models.EInvalid, "text", "is required")
		}
		if utf8.RuneCountInString(req.Text) > 4096 {
			return m, "", models.FieldError(models.EInvalid, "text", "is longer than 4096 characters")
		}
		m = waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: req.Text}}
		preview = req.Text
	case "image", "document", "audio", "video", "sticker":
		if (req.MediaID == "") == (req.MediaLink == "") {
			return m, "", models.FieldError(models.EInvalid, "mediaId", "give exactly one of mediaId or mediaLink")
		}
		if req.MediaLink != "" && !strings.HasPrefix(req.MediaLink, "https://") && !strings.HasPrefix(req.MediaLink, "http://") {
			return m, "", models.FieldError(models.EInvalid, "mediaLink", "must be an http(s) URL")
		}
		media := &waba.OutboundMedia{ID: req.MediaID, Link: req.MediaLink}
		if req.Type != "audio" && req.Type != "sticker" {
			media.Caption = req.Caption
		}
		if req.Type == "document" {
			media.Filename = req.Filename
		}
		m = waba.OutboundMessage{Type: req.Type}
		switch req.Type {
		case "image":
			m.Image = media
		case "document":
			m.Document = media
		case "audio":
			m.Audio = media
		case "video":
			m.Video = media
		case "sticker":
			m.Sticker = media
		}
		preview = "[" + req.Type + "] " + req.Caption
		if req.Caption == "" && req.Filename != "" {
			preview = "[" + req.Type + "] " + req.Filename
		}
	case "interactive":
		if req.Interactive == nil {
			return m, "", models.FieldError(models.EInvalid, "interactive", "is required for an interactive send")
		}
		if err := req.Interactive.Check("interactive"); err != nil {
			return m, "", err
		}
		m, preview = waba.OutboundMessage{Type: "interactive", Interactive: WABAInteractive(*req.Interactive)}, req.Interactive.Preview()
	case "template":
		if req.Template == "" {
			return m, "", models.FieldError(models.EInvalid, "template", "is required for a template send")
		}
		lang := req.Language
		if lang == "" {
			lang = "id"
		}
		var t templates.Template
		err := tx.Where("name = ? AND language = ?", req.Template, lang).Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return m, "", models.FieldError(models.EUnprocessable, "template", "no template %q in language %q", req.Template, lang)
		}
		if err != nil {
			return m, "", err
		}
		if t.Status != templates.TplApproved {
			return m, "", models.FieldError(models.EUnprocessable, "template", "template %q is %s; only APPROVED templates can be sent", t.Name, t.Status)
		}
		values, err := contactValues(tx, c.ContactID)
		if err != nil {
			return m, "", err
		}
		for k, v := range req.Variables {
			values[k] = v
		}
		r, err := templates.RenderTemplate(t, nil, values)
		if err != nil {
			return m, "", err
		}
		wt := r.WABA()
		m = waba.OutboundMessage{Type: "template", Template: &wt}
		preview = r.Preview
	}
	if req.ReplyTo != 0 {
		var wamid *string
		if err := tx.Raw(`SELECT wamid FROM messages WHERE id = ? AND conversation_id = ?`, req.ReplyTo, c.ID).Scan(&wamid).Error; err != nil {
			return m, "", err
		}
		if wamid == nil || *wamid == "" {
			return m, "", models.FieldError(models.EUnprocessable, "replyTo", "message %d is not a delivered message of this conversation", req.ReplyTo)
		}
		m.Context = &waba.ReplyContext{MessageID: *wamid}
	}
	return m, preview, nil
}

// windowClosed builds the 409: when it closed and which templates can be used.
func (ib ConversationStore) windowClosed(ctx context.Context, tx *gorm.DB, c models.Conversation) error {
	var tpls []templateBrief
	if err := tx.WithContext(ctx).Raw(`SELECT id, name, language, category FROM templates WHERE status = 'APPROVED' ORDER BY name, language`).Scan(&tpls).Error; err != nil {
		return err
	}
	details := map[string]any{"templates": tpls}
	if c.LastInboundAt == nil {
		details["closedAt"] = nil
		return models.Errorf(models.EWindowClosed, "the customer has not written in the last 24 hours: only an approved template can be sent").WithDetails(details)
	}
	closed := models.WindowEnd(c.LastInboundAt, ib.Window)
	details["closedAt"] = closed
	return models.Errorf(models.EWindowClosed, "the 24-hour window closed at %s: only an approved template can be sent", closed.Format(time.RFC3339)).WithDetails(details)
}

// contactValues are the fields a template variable may come from.
func contactValues(tx *gorm.DB, contactID int64) (map[string]string, error) {
	var ct models.Contact
	if err := tx.Where("id = ?", contactID).Take(&ct).Error; err != nil {
		return nil, fmt.Errorf("contact %d: %w", contactID, err)
	}
	v := map[string]string{"contact.name": ct.Name}
	if ct.PhoneE164 != nil {
		v["contact.phone"] = *ct.PhoneE164
	}
	var attrs map[string]any
	if len(ct.Attributes) > 0 && json.Unmarshal(ct.Attributes, &attrs) == nil {
		for k, a := range attrs {
			v["contact."+k] = fmt.Sprint(a)
		}
	}
	return v, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// WABAInteractive is a checked InteractiveRequest as Meta's message object
// (the inbox's sends, the auto-replies' menus).
func WABAInteractive(r models.InteractiveRequest) *waba.Interactive {
	in := &waba.Interactive{Type: "button", Body: &waba.InteractiveText{Text: r.Body}}
	if r.Header != "" {
		in.Header = &waba.InteractiveHeader{Type: "text", Text: r.Header}
	}
	if r.Footer != "" {
		in.Footer = &waba.InteractiveText{Text: r.Footer}
	}
	if r.Kind == models.InteractiveList {
		rows := make([]waba.ListRow, len(r.Choices))
		for i, c := range r.Choices {
			rows[i] = waba.ListRow{ID: c.ID, Title: c.Title, Description: c.Description}
		}
		in.Type, in.Action = "list", waba.InteractiveAction{Button: r.Button, Sections: []waba.ListSection{{Rows: rows}}}
		return in
	}
	for _, c := range r.Choices {
		in.Action.Buttons = append(in.Action.Buttons, waba.ReplyButton{Type: "reply", Reply: waba.ButtonTitle{ID: c.ID, Title: c.Title}})
	}
	return in
}
