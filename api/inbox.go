package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/senders"
)

// ConversationSignaler hands conversation events to Temporal (worker
// package implements it with signal-with-start).
type ConversationSignaler interface {
	Send(ctx context.Context, c models.Conversation, messageID int64) error
	WindowOpened(ctx context.Context, o inbox.OpenedWindow) error
	Changed(ctx context.Context, c models.Conversation) error
}

type inboxHandlers struct {
	s      *Server
	inbox  inbox.ConversationStore
	canned inbox.CannedResponseStore
}

func (s *Server) inboxStore() inbox.ConversationStore {
	return inbox.ConversationStore{DB: s.deps.DB, Events: models.EventStore{DB: s.deps.DB}, Window: s.deps.Window}
}

// mountInbox registers conversations, messages, notes and canned responses.
func (s *Server) mountInbox(v1 *gin.RouterGroup) {
	h := &inboxHandlers{s: s, inbox: s.inboxStore(), canned: inbox.CannedResponseStore{DB: s.deps.DB}}
	read, send, assign := models.Permission("inbox:read"), models.Permission("inbox:send"), models.Permission("inbox:assign")
	s.handle(v1, http.MethodGet, "/conversations", read, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/conversations", send, s.needDB, h.start)
	s.handle(v1, http.MethodGet, "/conversations/:id", read, s.needDB, h.get)
	s.handle(v1, http.MethodGet, "/conversations/:id/messages", read, s.needDB, h.messages)
	s.handle(v1, http.MethodPost, "/conversations/:id/messages", send, s.needDB, h.send)
	s.handle(v1, http.MethodPost, "/conversations/:id/media", send, s.needDB, s.needWABA, h.uploadMedia)
	s.handle(v1, http.MethodPost, "/conversations/:id/assign", assign, s.needDB, h.assign)
	s.handle(v1, http.MethodPost, "/conversations/:id/resolve", send, s.needDB, h.action("resolve"))
	s.handle(v1, http.MethodPost, "/conversations/:id/reopen", send, s.needDB, h.action("reopen"))
	s.handle(v1, http.MethodPost, "/conversations/:id/read", read, s.needDB, h.action("read"))
	s.handle(v1, http.MethodPost, "/conversations/:id/snooze", send, s.needDB, h.snooze)
	s.handle(v1, http.MethodPut, "/conversations/:id/labels", send, s.needDB, h.labels)
	s.handle(v1, http.MethodGet, "/conversations/:id/notes", read, s.needDB, h.notes)
	s.handle(v1, http.MethodPost, "/conversations/:id/notes", send, s.needDB, h.addNote)
	s.handle(v1, http.MethodGet, "/canned-responses", read, s.needDB, h.cannedList)
	s.handle(v1, http.MethodPost, "/canned-responses", assign, s.needDB, h.cannedCreate)
	s.handle(v1, http.MethodDelete, "/canned-responses/:id", assign, s.needDB, h.cannedDelete)
}

func (h *inboxHandlers) publish(c *gin.Context, evs []models.Event) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	models.PublishCommitted(ctx, h.s.deps.Events, h.s.deps.Logger, "inbox", evs...)
}

func (h *inboxHandlers) list(c *gin.Context) {
	f := inbox.InboxFilter{
		View: c.Query("view"), Status: c.Query("status"), Label: c.Query("label"), Window: c.Query("window"),
		Query: c.Query("q"), Sort: c.Query("sort"), Cursor: c.Query("cursor"),
	}
	var err error
	if f.SenderID, err = queryInt64(c, "senderId"); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 100 {
			WriteError(c, h.s.deps.Logger, models.FieldError(models.EInvalid, "limit", "must be 1-100"))
			return
		}
	}
	page, err := h.inbox.List(c.Request.Context(), principal(c), f)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

// start opens a business-initiated conversation with a contact from the
// sender the rules choose for the agent (primary, else a usable secondary).
func (h *inboxHandlers) start(c *gin.Context) {
	var in struct {
		ContactID int64 `json:"contactId"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if in.ContactID <= 0 {
		WriteError(c, h.s.deps.Logger, models.FieldError(models.EInvalid, "contactId", "is required"))
		return
	}
	conv, created, evs, err := h.inbox.StartConversation(c.Request.Context(), principal(c), in.ContactID, senders.SenderStore{DB: h.s.deps.DB})
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.publish(c, evs)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, conv)
}

func (h *inboxHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	it, err := h.inbox.GetScoped(c.Request.Context(), principal(c), id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, it)
}

func (h *inboxHandlers) messages(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	before, err := queryInt64(c, "before")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	limit, _ := strconv.Atoi(c.Query("limit"))
	page, err := h.inbox.Messages(c.Request.Context(), principal(c), id, before, limit)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

// send validates (window, template, media) before anything is sent, stores
// the queued row, and hands it to the ConversationWorkflow. A retried POST
// with the same Idempotency-Key returns the first row and never sends twice.
func (h *inboxHandlers) send(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	var req inbox.OutboundRequest
	if err := bindJSON(c, &req); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	p := principal(c)
	conv, err := h.inbox.GetScoped(c.Request.Context(), p, id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if h.s.deps.Conversations == nil {
		WriteError(c, h.s.deps.Logger, models.Errorf(models.EUnavailable, "sending is not configured (no Temporal)"))
		return
	}
	q, err := h.inbox.QueueOutbound(c.Request.Context(), id, p.AgentID, strings.TrimSpace(c.GetHeader("Idempotency-Key")), req)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.publish(c, q.Events)
	// Signal for new rows and for replays of rows still queued: the workflow
	// ignores a row that was sent already, so a repeated signal is harmless.
	if q.Created || q.Message.Status == models.MsgQueued {
		if err := h.s.deps.Conversations.Send(c.Request.Context(), conv.Conversation, q.Message.ID); err != nil {
			WriteError(c, h.s.deps.Logger, &models.Error{Code: models.EUnavailable,
				Message: "message stored but not handed to the sender yet; retry with the same Idempotency-Key", Err: err})
			return
		}
	}
	status := http.StatusAccepted
	if !q.Created {
		status = http.StatusOK
	}
	c.JSON(status, q.Message)
}

func (h *inboxHandlers) change(c *gin.Context, ch inbox.ConversationChange) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	conv, evs, err := h.inbox.Change(c.Request.Context(), principal(c), id, ch)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.publish(c, evs)
	if h.s.deps.Conversations != nil {
		if err := h.s.deps.Conversations.Changed(c.Request.Context(), conv); err != nil {
			// The workflow re-reads PostgreSQL on its next timer anyway.
			h.s.deps.Logger.WarnContext(c.Request.Context(), "signal conversation change", "err", err, "conversation", id)
		}
	}
	c.JSON(http.StatusOK, conv)
}

func (h *inboxHandlers) action(name string) gin.HandlerFunc {
	return func(c *gin.Context) { h.change(c, inbox.ConversationChange{Action: name}) }
}

func (h *inboxHandlers) assign(c *gin.Context) {
	var in struct {
		AgentID *int64 `json:"agentId"`
		TeamID  *int64 `json:"teamId"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.change(c, inbox.ConversationChange{Action: "assign", AgentID: in.AgentID, TeamID: in.TeamID})
}

func (h *inboxHandlers) snooze(c *gin.Context) {
	var in struct {
		Until time.Time `json:"until"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.change(c, inbox.ConversationChange{Action: "snooze", Until: in.Until})
}

func (h *inboxHandlers) labels(c *gin.Context) {
	var in struct {
		Labels []string `json:"labels"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.change(c, inbox.ConversationChange{Action: "labels", Labels: in.Labels})
}

func (h *inboxHandlers) notes(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	ns, err := h.inbox.Notes(c.Request.Context(), principal(c), id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if ns == nil {
		ns = []inbox.Note{}
	}
	c.JSON(http.StatusOK, gin.H{"items": ns})
}

func (h *inboxHandlers) addNote(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	n, evs, err := h.inbox.AddNote(c.Request.Context(), principal(c), id, in.Body)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	h.publish(c, evs)
	c.JSON(http.StatusCreated, n)
}

func (h *inboxHandlers) cannedList(c *gin.Context) {
	out, err := h.canned.List(c.Request.Context(), c.Query("prefix"))
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if out == nil {
		out = []inbox.CannedResponse{}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (h *inboxHandlers) cannedCreate(c *gin.Context) {
	var in struct {
		Shortcut string `json:"shortcut"`
		Title    string `json:"title"`
		Body     string `json:"body"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.canned.Create(c.Request.Context(), principal(c).AgentID, inbox.CannedResponse{Shortcut: in.Shortcut, Title: in.Title, Body: in.Body})
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (h *inboxHandlers) cannedDelete(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if err := h.canned.Delete(c.Request.Context(), id); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// mediaLimits are WhatsApp's size limits per media kind.
var mediaLimits = map[string]int64{"image": 5 << 20, "audio": 16 << 20, "video": 16 << 20, "document": 100 << 20}

// uploadMedia uploads a file to the conversation's number (multipart field
// "file", field "type": image|audio|video|document) and returns the media id
// to send with {"type":..., "mediaId":...}.
func (h *inboxHandlers) uploadMedia(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	conv, err := h.inbox.GetScoped(c.Request.Context(), principal(c), id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	kind := c.PostForm("type")
	limit, ok := mediaLimits[kind]
	if !ok {
		WriteError(c, h.s.deps.Logger, models.FieldError(models.EInvalid, "type", "must be image, audio, video or document"))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+1<<20)
	fh, err := c.FormFile("file")
	if err != nil {
		WriteError(c, h.s.deps.Logger, models.FieldError(models.EInvalid, "file", "a multipart file is required (at most %d MB for %s)", limit>>20, kind))
		return
	}
	if fh.Size > limit {
		WriteError(c, h.s.deps.Logger, &models.Error{Code: models.ETooLarge, Field: "file", Message: fmt.Sprintf("%s files may be at most %d MB", kind, limit>>20)})
		return
	}
	mime := fh.Header.Get("Content-Type")
	if mime == "" || (kind != "document" && !strings.HasPrefix(mime, kind+"/")) {
		WriteError(c, h.s.deps.Logger, models.FieldError(models.EUnprocessable, "file", "content type %q does not fit %s", mime, kind))
		return
	}
	f, err := fh.Open()
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	defer func() { _ = f.Close() }()
	pnid, err := h.inbox.PhoneNumberID(c.Request.Context(), conv.SenderID)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	mediaID, err := h.s.deps.WABA.UploadMedia(c.Request.Context(), pnid, fh.Filename, mime, f)
	if err != nil {
		WriteError(c, h.s.deps.Logger, &models.Error{Code: models.EUnavailable, Message: "WhatsApp did not accept the upload: " + err.Error(), Err: err})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"mediaId": mediaID, "type": kind, "filename": fh.Filename})
}
