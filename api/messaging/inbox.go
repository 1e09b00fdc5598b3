package messaging

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/media"
)

// mountInbox registers conversations, messages, notes and canned responses.
func mountInbox(rt httpx.Routes, h handlers, needWABA gin.HandlerFunc) {
	read, send, assign, take := models.PermInboxRead, models.PermInboxSend, models.PermInboxAssign, models.PermInboxTake
	rt.JSON(http.MethodGet, "/conversations", read, h.listConversations)
	rt.JSON(http.MethodGet, "/conversations/counts", read, h.conversationCounts)
	rt.JSON(http.MethodPost, "/conversations", send, h.startConversation)
	rt.JSON(http.MethodGet, "/conversations/:id", read, h.getConversation)
	rt.JSON(http.MethodGet, "/conversations/:id/messages", read, h.messages)
	rt.JSON(http.MethodPost, "/conversations/:id/messages", send, h.send)
	rt.JSON(http.MethodPost, "/conversations/:id/media", send, h.uploadMedia, needWABA, h.Uploads.WithMax(maxMediaBody).Handler())
	rt.JSON(http.MethodPost, "/conversations/:id/assign", assign, h.assign)
	rt.JSON(http.MethodPost, "/conversations/:id/take", take, h.take)
	rt.JSON(http.MethodPost, "/conversations/:id/transfer", take, h.transfer)
	rt.JSON(http.MethodGet, "/conversations/:id/teammates", take, h.teammates)
	rt.JSON(http.MethodPost, "/conversations/:id/resolve", send, h.action("resolve"))
	rt.JSON(http.MethodPost, "/conversations/:id/reopen", send, h.action("reopen"))
	rt.JSON(http.MethodPost, "/conversations/:id/read", read, h.action("read"))
	rt.JSON(http.MethodPost, "/conversations/:id/typing", send, h.typing)
	rt.JSON(http.MethodPost, "/conversations/:id/snooze", send, h.snooze)
	rt.JSON(http.MethodPut, "/conversations/:id/labels", send, h.labels)
	rt.JSON(http.MethodGet, "/conversations/:id/notes", read, h.notes)
	rt.JSON(http.MethodPost, "/conversations/:id/notes", send, h.addNote)
	rt.JSON(http.MethodGet, "/messages/search", read, h.searchMessages)
	rt.JSON(http.MethodGet, "/canned-responses", read, h.cannedList)
	// Anyone who answers keeps personal responses; sharing them with a team
	// or everyone takes inbox:assign (checked in the store).
	rt.JSON(http.MethodPost, "/canned-responses", send, h.cannedCreate)
	rt.JSON(http.MethodPatch, "/canned-responses/:id", send, h.cannedUpdate)
	rt.JSON(http.MethodDelete, "/canned-responses/:id", send, h.cannedDelete)
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
	if f.ContactID, err = httpx.QueryInt64(c, "contactId"); err != nil {
		return 0, nil, err
	}
	if v := c.Query("ids"); v != "" {
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 || len(f.IDs) == 100 {
				return 0, nil, models.FieldError(models.EInvalid, "ids", "must be up to 100 comma-separated conversation ids")
			}
			f.IDs = append(f.IDs, id)
		}
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
	page, err := h.Inbox.Thread(c.Request.Context(), httpx.Principal(c), id, before, limit)
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

// typing shows the customer "typing..." (Meta: up to 25 s or until the
// reply); the web app calls it while the agent types, the server keeps it
// to one call per 20 s per conversation.
func (h handlers) typing(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	queued, err := h.Inbox.Store.Typing(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusAccepted, map[string]bool{"queued": queued}, err
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

// searchMessages finds message text in the conversations the caller sees.
func (h handlers) searchMessages(c *gin.Context) (int, any, error) {
	before, err := httpx.QueryInt64(c, "before")
	if err != nil {
		return 0, nil, err
	}
	limit, _ := strconv.Atoi(c.Query("limit"))
	page, err := h.Inbox.Store.SearchMessages(c.Request.Context(), httpx.Principal(c), c.Query("q"), before, limit)
	if page.Items == nil {
		page.Items = []inbox.MessageHit{}
	}
	return http.StatusOK, page, err
}

// take gives an unassigned conversation of the caller's team queue to the
// caller; 409 when someone else took it first.
func (h handlers) take(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	conv, err := h.Inbox.Take(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, conv, err
}

// transfer hands the caller's conversation to a teammate ({"agentId"}) or
// back to the team queue ({"queue": true}).
func (h handlers) transfer(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		AgentID *int64 `json:"agentId"`
		Queue   bool   `json:"queue"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	if (in.AgentID == nil) == !in.Queue {
		return 0, nil, models.FieldError(models.EInvalid, "agentId", "give agentId or queue: true")
	}
	conv, err := h.Inbox.Transfer(c.Request.Context(), httpx.Principal(c), id, in.AgentID)
	return http.StatusOK, conv, err
}

// teammates lists who the conversation may be transferred to.
func (h handlers) teammates(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Inbox.Store.TransferTargets(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, gin.H{"items": out}, err
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
	out, err := h.Canned.List(c.Request.Context(), httpx.Principal(c), c.Query("prefix"))
	return http.StatusOK, gin.H{"items": out}, err
}

func (h handlers) cannedCreate(c *gin.Context) (int, any, error) {
	var in struct {
		Shortcut string `json:"shortcut"`
		Title    string `json:"title"`
		Body     string `json:"body"`
		Personal bool   `json:"personal"`
		TeamID   *int64 `json:"teamId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Canned.Create(c.Request.Context(), httpx.Principal(c), inbox.CannedResponse{Shortcut: in.Shortcut, Title: in.Title, Body: in.Body,
		Personal: in.Personal, TeamID: in.TeamID})
	return http.StatusCreated, out, err
}

func (h handlers) cannedUpdate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Shortcut *string `json:"shortcut"`
		Title    *string `json:"title"`
		Body     *string `json:"body"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Canned.Update(c.Request.Context(), httpx.Principal(c), id, in.Shortcut, in.Title, in.Body)
	return http.StatusOK, out, err
}

func (h handlers) cannedDelete(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Canned.Delete(c.Request.Context(), httpx.Principal(c), id)
}

// maxMediaBody bounds the media upload's request at the body gate: the
// largest kind (documents, 100 MB) plus room for the multipart framing;
// the kind's own limit is applied below.
const maxMediaBody = 101 << 20

// uploadMedia takes an agent's file for a conversation (multipart field
// "file", field "type": image|audio|video|document|sticker), keeps a copy
// and uploads it to the conversation's number; the answer's mediaId is sent
// with {"type":..., "mediaId":...}. The body is bounded by the kind's limit.
func (h handlers) uploadMedia(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	kind := c.PostForm("type")
	limit, ok := media.LimitOf(kind)
	if !ok {
		return 0, nil, media.Check(kind, "", 0)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit.MaxBytes+1<<20)
	fh, err := c.FormFile("file")
	if err != nil {
		return 0, nil, models.FieldError(models.EInvalid, "file", "a multipart file is required (at most %s for %s)", media.HumanSize(limit.MaxBytes), kind)
	}
	f, err := fh.Open()
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = f.Close() }()
	view, mediaID, err := h.Inbox.UploadMedia(c.Request.Context(), h.WABA, httpx.Principal(c), id, inbox.Upload{
		Kind: kind, Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: fh.Size, Body: f,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, gin.H{"mediaId": mediaID, "type": kind, "filename": view.Filename, "media": view}, nil
}

// conversationCounts answers the open and pending conversations of each
// view (the inbox's tab counts), narrowed like the list by ?senderId=,
// ?label= and ?window=.
func (h handlers) conversationCounts(c *gin.Context) (int, any, error) {
	f := inbox.InboxFilter{Label: c.Query("label"), Window: c.Query("window")}
	var err error
	if f.SenderID, err = httpx.QueryInt64(c, "senderId"); err != nil {
		return 0, nil, err
	}
	out, err := h.Inbox.Store.Counts(c.Request.Context(), httpx.Principal(c), f)
	return http.StatusOK, out, err
}
