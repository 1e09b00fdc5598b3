package messaging

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// mountInbox registers conversations, messages, notes and canned responses.
func mountInbox(rt httpx.Routes, h handlers, needWABA gin.HandlerFunc) {
	read, send, assign := models.PermInboxRead, models.PermInboxSend, models.PermInboxAssign
	rt.JSON(http.MethodGet, "/conversations", read, h.listConversations)
	rt.JSON(http.MethodPost, "/conversations", send, h.startConversation)
	rt.JSON(http.MethodGet, "/conversations/:id", read, h.getConversation)
	rt.JSON(http.MethodGet, "/conversations/:id/messages", read, h.messages)
	rt.JSON(http.MethodPost, "/conversations/:id/messages", send, h.send)
	rt.JSON(http.MethodPost, "/conversations/:id/media", send, h.uploadMedia, needWABA, h.Uploads.WithMax(maxMediaBody).Handler())
	rt.JSON(http.MethodPost, "/conversations/:id/assign", assign, h.assign)
	rt.JSON(http.MethodPost, "/conversations/:id/resolve", send, h.action("resolve"))
	rt.JSON(http.MethodPost, "/conversations/:id/reopen", send, h.action("reopen"))
	rt.JSON(http.MethodPost, "/conversations/:id/read", read, h.action("read"))
	rt.JSON(http.MethodPost, "/conversations/:id/snooze", send, h.snooze)
	rt.JSON(http.MethodPut, "/conversations/:id/labels", send, h.labels)
	rt.JSON(http.MethodGet, "/conversations/:id/notes", read, h.notes)
	rt.JSON(http.MethodPost, "/conversations/:id/notes", send, h.addNote)
	rt.JSON(http.MethodGet, "/canned-responses", read, h.cannedList)
	rt.JSON(http.MethodPost, "/canned-responses", assign, h.cannedCreate)
	rt.JSON(http.MethodDelete, "/canned-responses/:id", assign, h.cannedDelete)
}

func (h handlers) listConversations(c *gin.Context) (int, any, error) {
	f := inbox.InboxFilter{
		View: c.Query("view"), Status: c.Query("status"), Label: c.Query("label"), Window: c.Query("window"),
		Query: c.Query("q"), Sort: c.Query("sort"), Cursor: c.Query("cursor"),
	}
	var err error
	if f.SenderID, err = httpx.QueryInt64(c, "senderId"); err != nil {
		return 0, nil, err
	}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 100 {
			return 0, nil, models.FieldError(models.EInvalid, "limit", "must be 1-100")
		}
	}
	page, err := h.Inbox.Store.List(c.Request.Context(), httpx.Principal(c), f)
	return http.StatusOK, page, err
}

// startConversation answers 201 for a new conversation, 200 for an existing one.
func (h handlers) startConversation(c *gin.Context) (int, any, error) {
	var in struct {
		ContactID int64 `json:"contactId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	conv, created, err := h.Inbox.Start(c.Request.Context(), httpx.Principal(c), in.ContactID)
	if created {
		return http.StatusCreated, conv, err
	}
	return http.StatusOK, conv, err
}

func (h handlers) getConversation(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	it, err := h.Inbox.Store.GetScoped(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, it, err
}

func (h handlers) messages(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	before, err := httpx.QueryInt64(c, "before")
	if err != nil {
		return 0, nil, err
	}
	limit, _ := strconv.Atoi(c.Query("limit"))
	page, err := h.Inbox.Store.Messages(c.Request.Context(), httpx.Principal(c), id, before, limit)
	return http.StatusOK, page, err
}

// send answers 202 for a newly queued message and 200 for the replay of an
// Idempotency-Key (the first row; nothing is sent twice).
func (h handlers) send(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var req inbox.OutboundRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	msg, created, err := h.Inbox.Send(c.Request.Context(), httpx.Principal(c), id, strings.TrimSpace(c.GetHeader("Idempotency-Key")), req)
	if !created {
		return http.StatusOK, msg, err
	}
	return http.StatusAccepted, msg, err
}

func (h handlers) change(c *gin.Context, ch inbox.ConversationChange) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	conv, err := h.Inbox.Change(c.Request.Context(), httpx.Principal(c), id, ch)
	return http.StatusOK, conv, err
}

func (h handlers) action(name string) httpx.Handler {
	return func(c *gin.Context) (int, any, error) { return h.change(c, inbox.ConversationChange{Action: name}) }
}

func (h handlers) assign(c *gin.Context) (int, any, error) {
	var in struct {
		AgentID *int64 `json:"agentId"`
		TeamID  *int64 `json:"teamId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	return h.change(c, inbox.ConversationChange{Action: "assign", AgentID: in.AgentID, TeamID: in.TeamID})
}

func (h handlers) snooze(c *gin.Context) (int, any, error) {
	var in struct {
		Until time.Time `json:"until"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	return h.change(c, inbox.ConversationChange{Action: "snooze", Until: in.Until})
}

func (h handlers) labels(c *gin.Context) (int, any, error) {
	var in struct {
		Labels []string `json:"labels"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	return h.change(c, inbox.ConversationChange{Action: "labels", Labels: in.Labels})
}

func (h handlers) notes(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ns, err := h.Inbox.Store.Notes(c.Request.Context(), httpx.Principal(c), id)
	if ns == nil {
		ns = []inbox.Note{}
	}
	return http.StatusOK, gin.H{"items": ns}, err
}

func (h handlers) addNote(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	n, err := h.Inbox.AddNote(c.Request.Context(), httpx.Principal(c), id, in.Body)
	return http.StatusCreated, n, err
}

func (h handlers) cannedList(c *gin.Context) (int, any, error) {
	out, err := h.Canned.List(c.Request.Context(), c.Query("prefix"))
	if out == nil {
		out = []inbox.CannedResponse{}
	}
	return http.StatusOK, gin.H{"items": out}, err
}

func (h handlers) cannedCreate(c *gin.Context) (int, any, error) {
	var in struct {
		Shortcut string `json:"shortcut"`
		Title    string `json:"title"`
		Body     string `json:"body"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Canned.Create(c.Request.Context(), httpx.Principal(c).AgentID, inbox.CannedResponse{Shortcut: in.Shortcut, Title: in.Title, Body: in.Body})
	return http.StatusCreated, out, err
}

func (h handlers) cannedDelete(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Canned.Delete(c.Request.Context(), id)
}

// maxMediaBody bounds the media upload's request: the largest kind
// (documents, 100 MB) plus room for the multipart framing.
const maxMediaBody = 101 << 20

// uploadMedia uploads a file to the conversation's number (multipart field
// "type": image|audio|video|document, then the file in field "file") and
// returns the media id to send with {"type":..., "mediaId":...}. The file
// streams from the request to the Cloud API: it is never held in memory or
// on disk here (a 95 MB document used to be buffered twice), and the body
// gate (Deps.Uploads) caps its size, read time and how many run at once.
func (h handlers) uploadMedia(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	conv, err := h.Inbox.Store.GetScoped(ctx, httpx.Principal(c), id)
	if err != nil {
		return 0, nil, err
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return 0, nil, models.FieldError(models.EInvalid, "file", "send the file as multipart/form-data")
	}
	kind := ""
	for {
		part, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = models.FieldError(models.EInvalid, "file", "a multipart file is required")
			}
			return 0, nil, uploadErr(err)
		}
		switch part.FormName() {
		case "type":
			raw, _ := io.ReadAll(io.LimitReader(part, 32))
			kind = strings.TrimSpace(string(raw))
		case "file":
			limit, ok := inbox.MediaLimit(kind)
			if !ok {
				return 0, nil, models.FieldError(models.EInvalid, "type", "send the type field (image, audio, video or document) before the file")
			}
			body := &capped{r: part, left: limit}
			filename, mime := part.FileName(), part.Header.Get("Content-Type")
			mediaID, err := h.Inbox.UploadMedia(ctx, h.WABA, conv.SenderID, kind, filename, mime, 0, body)
			switch {
			case body.over:
				return 0, nil, inbox.CheckMedia(kind, mime, limit+1)
			case body.err != nil:
				return 0, nil, uploadErr(body.err)
			case err != nil:
				return 0, nil, err
			}
			return http.StatusCreated, gin.H{"mediaId": mediaID, "type": kind, "filename": filename}, nil
		}
		_ = part.Close()
	}
}

// capped reads at most left bytes of an upload and remembers why it
// stopped, so the handler can tell "too large" and "the client went away"
// from the Cloud API refusing.
type capped struct {
	r    io.Reader
	left int64
	over bool
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		c.over = true
		return 0, errors.New("upload exceeds its size limit")
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// uploadErr is a body that could not be read: too large for the gate, cut
// off by the read deadline, or malformed.
func uploadErr(err error) error {
	var me *models.Error
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		return me
	case errors.As(err, &big):
		return models.FieldError(models.ETooLarge, "file", "upload is larger than %d bytes", big.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return models.FieldError(models.EInvalid, "file", "upload was not received in time")
	}
	return &models.Error{Code: models.EInvalid, Field: "file", Message: "upload is malformed", Err: err}
}
