package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/workflows"
)

type senderHandlers struct {
	s     *Server
	store senders.SenderStore
}

// mountSenders registers business-number management and allocation.
func (s *Server) mountSenders(v1 *gin.RouterGroup) {
	h := &senderHandlers{s: s, store: senders.SenderStore{DB: s.deps.DB}}
	r, w := models.Permission("senders:read"), models.Permission("senders:write")
	s.handle(v1, http.MethodGet, "/senders", r, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/senders", w, s.needDB, h.create)
	s.handle(v1, http.MethodGet, "/senders/:id", r, s.needDB, h.get)
	s.handle(v1, http.MethodPatch, "/senders/:id", w, s.needDB, h.update)
	s.handle(v1, http.MethodDelete, "/senders/:id", w, s.needDB, h.delete)
	s.handle(v1, http.MethodPost, "/senders/:id/sync", w, s.needDB, s.needWABA, h.sync)
	s.handle(v1, http.MethodGet, "/senders/:id/dispatch", r, s.needDB, h.dispatch)
	s.handle(v1, http.MethodGet, "/senders/:id/allocations", r, s.needDB, h.allocations)
	s.handle(v1, http.MethodPost, "/senders/:id/allocations", w, s.needDB, h.allocate)
	s.handle(v1, http.MethodDelete, "/senders/:id/allocations/:allocId", w, s.needDB, h.deallocate)
}

// needDB answers 503 when the role runs without PostgreSQL.
// needWABA answers 503 on routes that call the Cloud API when no client is configured.
func (s *Server) needWABA(c *gin.Context) {
	if s.deps.WABA == nil {
		WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "WhatsApp client is not configured"))
		return
	}
	c.Next()
}

func (s *Server) needDB(c *gin.Context) {
	if s.deps.DB == nil {
		WriteError(c, s.deps.Logger, models.Errorf(models.EUnavailable, "database is not configured"))
		return
	}
	c.Next()
}

func (h *senderHandlers) list(c *gin.Context) {
	out, err := h.store.List(c.Request.Context(), c.Query("status"))
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

func (h *senderHandlers) create(c *gin.Context) {
	var in senders.SenderInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.store.Create(c.Request.Context(), in)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (h *senderHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		var out models.Sender
		if out, err = h.store.Get(c.Request.Context(), id); err == nil {
			c.JSON(http.StatusOK, out)
			return
		}
	}
	WriteError(c, h.s.deps.Logger, err)
}

func (h *senderHandlers) update(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	var in senders.SenderInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.store.Update(c.Request.Context(), id, in)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h *senderHandlers) delete(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		err = h.store.Delete(c.Request.Context(), id)
	}
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *senderHandlers) sync(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.store.SyncFromAPI(c.Request.Context(), h.s.deps.WABA, id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h *senderHandlers) allocations(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		if _, err = h.store.Get(c.Request.Context(), id); err == nil {
			var out []models.SenderAllocation
			if out, err = h.store.Allocations(c.Request.Context(), id); err == nil {
				c.JSON(http.StatusOK, gin.H{"data": out})
				return
			}
		}
	}
	WriteError(c, h.s.deps.Logger, err)
}

func (h *senderHandlers) allocate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	var in senders.AllocationInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.store.Allocate(c.Request.Context(), id, in)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (h *senderHandlers) deallocate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	allocID, err := idParam(c, "allocId")
	if err == nil {
		err = h.store.Deallocate(c.Request.Context(), id, allocID)
	}
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// SenderStates reads a number's SenderWorkflow state (package worker).
type SenderStates interface {
	State(ctx context.Context, id int64) (workflows.SenderState, error)
}

// senderDispatch answers GET /senders/:id/dispatch.
type senderDispatch struct {
	Dispatcher *workflows.SenderState `json:"dispatcher,omitempty"`
	Usage      dispatch.DispatchUsage `json:"usage"`
}

func (h *senderHandlers) dispatch(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	u, err := dispatch.DispatchStore{DB: h.s.deps.DB}.Usage(c.Request.Context(), id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out := senderDispatch{Usage: u}
	if h.s.deps.Senders != nil {
		st, err := h.s.deps.Senders.State(c.Request.Context(), id)
		if err != nil {
			WriteError(c, h.s.deps.Logger, err)
			return
		}
		out.Dispatcher = &st
	}
	c.JSON(http.StatusOK, out)
}
