// Package messaging is the HTTP face of the WhatsApp side: business
// numbers and their allocation, message templates, and the shared inbox
// (conversations, messages, notes, canned responses, media).
package messaging

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/workflows"
)

// SenderStates reads a number's SenderWorkflow state (package worker).
type SenderStates interface {
	State(ctx context.Context, id int64) (workflows.SenderState, error)
}

// Deps are the stores and services the messaging routes call.
type Deps struct {
	Log       *slog.Logger
	Senders   senders.SenderStore
	Dispatch  dispatch.DispatchStore
	Templates templates.TemplateStore
	Inbox     inbox.Desk
	Canned    inbox.CannedResponseStore
	// AutoReplies keeps the numbers' auto-reply rules.
	AutoReplies autoreply.RuleStore
	// WABA is the Cloud API client for sender sync, template submission and
	// media upload (nil: those routes answer 503).
	WABA WABAClient
	// States reports the numbers' dispatcher state (nil: usage only).
	States SenderStates
	// Uploads bounds the media upload's body (size, read time, how many at once).
	Uploads *httpx.BodyGate
	// AppID is the Meta app id of the Resumable Upload API ("" : media
	// header samples cannot be uploaded).
	AppID string
}

type handlers struct{ Deps }

// Mount registers senders, templates and the inbox.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	needWABA := httpx.Need(d.Log, d.WABA != nil, "WhatsApp client is not configured")
	rd, wr := models.PermSendersRead, models.PermSendersWrite
	rt.JSON(http.MethodGet, "/senders", rd, h.listSenders)
	rt.JSON(http.MethodPost, "/senders", wr, h.createSender)
	rt.JSON(http.MethodGet, "/senders/:id", rd, h.getSender)
	rt.JSON(http.MethodPatch, "/senders/:id", wr, h.updateSender)
	rt.JSON(http.MethodDelete, "/senders/:id", wr, h.deleteSender)
	rt.JSON(http.MethodPost, "/senders/:id/sync", wr, h.syncSender, needWABA)
	rt.JSON(http.MethodGet, "/senders/:id/dispatch", rd, h.dispatch)
	rt.JSON(http.MethodGet, "/senders/:id/allocations", rd, h.allocations)
	rt.JSON(http.MethodPost, "/senders/:id/allocations", wr, h.allocate)
	rt.JSON(http.MethodDelete, "/senders/:id/allocations/:allocId", wr, h.deallocate)
	mountAutoReplies(rt, h)

	rd, wr = models.PermTemplatesRead, models.PermTemplatesWr
	rt.JSON(http.MethodGet, "/templates", rd, h.listTemplates)
	rt.JSON(http.MethodPost, "/templates", wr, h.createTemplate)
	rt.JSON(http.MethodGet, "/templates/:id", rd, h.getTemplate)
	rt.JSON(http.MethodDelete, "/templates/:id", wr, h.deleteTemplate)
	rt.JSON(http.MethodPost, "/templates/:id/submit", wr, h.submitTemplate, needWABA)
	rt.JSON(http.MethodPost, "/templates/:id/render", rd, h.renderTemplate)
	rt.JSON(http.MethodPost, "/templates/header-sample", wr, h.headerSample, needWABA, h.Uploads.WithMax(maxMediaBody).Handler())

	mountInbox(rt, h, needWABA)
}

func (h handlers) listSenders(c *gin.Context) (int, any, error) {
	out, err := h.Senders.List(c.Request.Context(), c.Query("status"))
	return http.StatusOK, gin.H{"data": out}, err
}

func (h handlers) createSender(c *gin.Context) (int, any, error) {
	var in senders.SenderInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.Create(c.Request.Context(), in)
	return http.StatusCreated, out, err
}

func (h handlers) getSender(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.Get(c.Request.Context(), id)
	return http.StatusOK, out, err
}

func (h handlers) updateSender(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in senders.SenderInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.Update(c.Request.Context(), id, in)
	return http.StatusOK, out, err
}

func (h handlers) deleteSender(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Senders.Delete(c.Request.Context(), id)
}

func (h handlers) syncSender(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.SyncFromAPI(c.Request.Context(), h.WABA, id)
	return http.StatusOK, out, err
}

func (h handlers) allocations(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.AllocationsOf(c.Request.Context(), id)
	return http.StatusOK, gin.H{"data": out}, err
}

func (h handlers) allocate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in senders.AllocationInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Senders.Allocate(c.Request.Context(), id, in)
	return http.StatusCreated, out, err
}

func (h handlers) deallocate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	allocID, err := httpx.IDParam(c, "allocId")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Senders.Deallocate(c.Request.Context(), id, allocID)
}

// senderDispatch answers GET /senders/:id/dispatch.
type senderDispatch struct {
	Dispatcher *workflows.SenderState `json:"dispatcher,omitempty"`
	Usage      dispatch.DispatchUsage `json:"usage"`
}

func (h handlers) dispatch(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Dispatch.Usage(c.Request.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	out := senderDispatch{Usage: u}
	if h.States != nil {
		st, err := h.States.State(c.Request.Context(), id)
		if err != nil {
			return 0, nil, err
		}
		out.Dispatcher = &st
	}
	return http.StatusOK, out, nil
}
