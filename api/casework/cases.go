// Package casework is the HTTP face of the case pool: cases, their
// assignment, recall, transfer, outcomes and exits, and redistribution.
package casework

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
)

// Deps are what the case routes call.
type Deps struct {
	Log  *slog.Logger
	Desk cases.CaseDesk
}

type handlers struct{ Deps }

// Mount registers the case pool API.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	read, write, assign := models.PermCasesRead, models.PermCasesWrite, models.PermCasesAssign
	rt.JSON(http.MethodGet, "/cases", read, h.list)
	rt.JSON(http.MethodPost, "/cases", write, h.create)
	rt.JSON(http.MethodPost, "/cases/redistribute", assign, h.redistribute)
	rt.JSON(http.MethodGet, "/cases/redistribute/:wid", assign, h.redistributeProgress)
	rt.JSON(http.MethodGet, "/cases/:id", read, h.get)
	rt.JSON(http.MethodPost, "/cases/:id/assign", assign, h.update(cases.CaseUpdateAssign, assignArg))
	rt.JSON(http.MethodPost, "/cases/:id/claim", models.PermCasesClaim, h.claim)
	rt.JSON(http.MethodPost, "/cases/:id/recall", assign, h.update(cases.CaseUpdateRecall, recallArg))
	rt.JSON(http.MethodPost, "/cases/:id/transfer", assign, h.update(cases.CaseUpdateTransfer, transferArg))
	rt.JSON(http.MethodPost, "/cases/:id/close", write, h.update(cases.CaseUpdateClose, closeArg))
	rt.JSON(http.MethodPost, "/cases/:id/outcome", write, h.update(cases.CaseUpdateOutcome, outcomeArg))
}

func (h handlers) list(c *gin.Context) (int, any, error) {
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	f := cases.CaseFilter{Status: c.Query("status"), Bucket: c.Query("bucket"), Q: c.Query("q")}
	if f.TeamID, err = httpx.QueryInt64(c, "teamId"); err != nil {
		return 0, nil, err
	}
	if f.AgentID, err = httpx.QueryInt64(c, "agentId"); err != nil {
		return 0, nil, err
	}
	if f.ContactID, err = httpx.QueryInt64(c, "contactId"); err != nil {
		return 0, nil, err
	}
	if raw := c.Query("overdue"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return 0, nil, models.FieldError(models.EInvalid, "overdue", "overdue must be true or false")
		}
		f.Overdue = &b
	}
	items, total, err := h.Desk.Store.List(c.Request.Context(), httpx.Principal(c), f, pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

func (h handlers) get(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	cs, err := h.Desk.Store.Get(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, cs, err
}

func (h handlers) create(c *gin.Context) (int, any, error) {
	var in cases.CaseInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	cs, err := h.Desk.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, cs, err
}

// updateArg binds an action's body and builds its CaseWorkflow update.
type updateArg func(c *gin.Context, by int64) (any, error)

// update binds the action's argument and sends it to a case the caller
// may see; it answers the case as stored afterwards.
func (h handlers) update(name string, arg updateArg) httpx.Handler {
	return func(c *gin.Context) (int, any, error) {
		id, err := httpx.IDParam(c, "id")
		if err != nil {
			return 0, nil, err
		}
		p := httpx.Principal(c)
		a, err := arg(c, p.AgentID)
		if err != nil {
			return 0, nil, err
		}
		cs, err := h.Desk.Update(c.Request.Context(), p, id, name, a)
		return http.StatusOK, cs, err
	}
}

func assignArg(c *gin.Context, by int64) (any, error) {
	var in struct {
		AgentID int64 `json:"agentId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return nil, err
	}
	return cases.AssignUpdate(in.AgentID, by)
}

// recallArg takes an optional body.
func recallArg(c *gin.Context, by int64) (any, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.OptionalJSON(c, &in); err != nil {
		return nil, err
	}
	return cases.RecallUpdate(in.Reason, by)
}

func transferArg(c *gin.Context, by int64) (any, error) {
	var in struct {
		TeamID int64 `json:"teamId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return nil, err
	}
	return cases.TransferUpdate(in.TeamID, by)
}

func closeArg(c *gin.Context, by int64) (any, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return nil, err
	}
	return cases.CloseUpdate(in.Reason, by)
}

func outcomeArg(c *gin.Context, by int64) (any, error) {
	var in struct {
		Outcome     string `json:"outcome"`
		PromiseDate string `json:"promiseDate"`
		Note        string `json:"note"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return nil, err
	}
	return cases.OutcomeUpdate(in.Outcome, in.PromiseDate, in.Note, by)
}

// redistribute recalls every open case of a team or an agent and re-runs
// assignment, as a workflow whose progress can be polled.
func (h handlers) redistribute(c *gin.Context) (int, any, error) {
	var in struct {
		TeamID  int64 `json:"teamId"`
		AgentID int64 `json:"agentId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	id, err := h.Desk.Redistribute(c.Request.Context(), httpx.Principal(c), in.TeamID, in.AgentID)
	return http.StatusAccepted, gin.H{"workflowId": id}, err
}

func (h handlers) redistributeProgress(c *gin.Context) (int, any, error) {
	pr, err := h.Desk.RedistributeProgress(c.Request.Context(), httpx.Principal(c), c.Param("wid"))
	return http.StatusOK, pr, err
}

// claim: the caller takes a pooled case of its own team.
func (h handlers) claim(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	cs, err := h.Desk.Claim(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, cs, err
}
