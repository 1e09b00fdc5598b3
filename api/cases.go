package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/identity"
)

// CaseWorkflows talks to the CaseWorkflows on Temporal (worker package
// implements it). Update waits until the workflow has applied the change
// and returns its rejection or rule violation as *models.Error.
type CaseWorkflows interface {
	Start(ctx context.Context, caseID, teamID int64) error
	Update(ctx context.Context, caseID int64, name string, arg any) error
	// Redistribute starts a RedistributeWorkflow over a team's or an
	// agent's open cases and returns its workflow ID.
	Redistribute(ctx context.Context, teamID, agentID, by int64) (string, error)
	// RedistributeProgress answers the progress query of that workflow.
	RedistributeProgress(ctx context.Context, id string) (cases.RedistributeProgress, error)
	// CustomerReplied tells the cases' workflows that their debtor wrote.
	CustomerReplied(ctx context.Context, caseIDs []int64, messageID int64) error
}

type caseHandlers struct {
	s     *Server
	store cases.CaseStore
}

// mountCases registers the case pool API.
func (s *Server) mountCases(v1 *gin.RouterGroup) {
	h := &caseHandlers{s: s, store: cases.CaseStore{DB: s.deps.DB, Events: models.EventStore{DB: s.deps.DB}, Publisher: s.deps.Events, Log: s.deps.Logger}}
	read, write, assign := models.Permission("cases:read"), models.Permission("cases:write"), models.Permission("cases:assign")
	s.handle(v1, http.MethodGet, "/cases", read, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/cases", write, s.needDB, h.create)
	s.handle(v1, http.MethodPost, "/cases/redistribute", assign, s.needDB, h.redistribute)
	s.handle(v1, http.MethodGet, "/cases/redistribute/:wid", assign, s.needDB, h.redistributeProgress)
	s.handle(v1, http.MethodGet, "/cases/:id", read, s.needDB, h.get)
	s.handle(v1, http.MethodPost, "/cases/:id/assign", assign, s.needDB, h.assign)
	s.handle(v1, http.MethodPost, "/cases/:id/recall", assign, s.needDB, h.recall)
	s.handle(v1, http.MethodPost, "/cases/:id/transfer", assign, s.needDB, h.transfer)
	s.handle(v1, http.MethodPost, "/cases/:id/close", write, s.needDB, h.close)
	s.handle(v1, http.MethodPost, "/cases/:id/outcome", write, s.needDB, h.outcome)
}

func (h *caseHandlers) fail(c *gin.Context, err error) { WriteError(c, h.s.deps.Logger, err) }

func (h *caseHandlers) workflows() (CaseWorkflows, error) {
	if h.s.deps.Cases == nil {
		return nil, models.Errorf(models.EUnavailable, "case workflows are not configured")
	}
	return h.s.deps.Cases, nil
}

func (h *caseHandlers) list(c *gin.Context) {
	pg, err := pageQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := cases.CaseFilter{Status: c.Query("status"), Bucket: c.Query("bucket")}
	if f.TeamID, err = queryInt64(c, "teamId"); err != nil {
		h.fail(c, err)
		return
	}
	if f.AgentID, err = queryInt64(c, "agentId"); err != nil {
		h.fail(c, err)
		return
	}
	if f.ContactID, err = queryInt64(c, "contactId"); err != nil {
		h.fail(c, err)
		return
	}
	if raw := c.Query("overdue"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			h.fail(c, models.FieldError(models.EInvalid, "overdue", "overdue must be true or false"))
			return
		}
		f.Overdue = &b
	}
	items, total, err := h.store.List(c.Request.Context(), principal(c), f, pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, pg))
}

func (h *caseHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	cs, err := h.store.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cs)
}

// create stores the case and starts its CaseWorkflow, which puts it in the
// pool and assigns it by the team's strategy.
func (h *caseHandlers) create(c *gin.Context) {
	var in cases.CaseInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	if _, _, _, err := in.Validate(); err != nil {
		h.fail(c, err)
		return
	}
	p := principal(c)
	if !p.SeesTeamMembers(in.TeamID) {
		h.fail(c, models.FieldError(models.EForbidden, "teamId", "you may only create cases in teams you supervise"))
		return
	}
	wf, err := h.workflows()
	if err != nil {
		h.fail(c, err)
		return
	}
	cs, err := h.store.Create(c.Request.Context(), p.AgentID, in)
	if models.CodeOf(err) == models.EConflict {
		// A create whose workflow start failed is resumed by sending it again.
		prev, ok, lerr := h.store.Unstarted(c.Request.Context(), in.Reference)
		if lerr != nil {
			err = lerr
		} else if ok && prev.TeamID == in.TeamID {
			cs, err = prev, nil
		}
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := wf.Start(c.Request.Context(), cs.ID, cs.TeamID); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, cs)
}

// action checks scope, sends the update and answers the case as stored.
func (h *caseHandlers) action(c *gin.Context, name string, arg func(p models.Principal) (any, error)) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	p := principal(c)
	a, err := arg(p)
	if err != nil {
		h.fail(c, err)
		return
	}
	cur, err := h.store.Visible(c.Request.Context(), p, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if cur.Status == cases.CaseExited {
		// Its workflow has ended: say why instead of "no such workflow".
		reason := ""
		if cur.ExitReason != nil {
			reason = " (" + *cur.ExitReason + ")"
		}
		h.fail(c, models.Errorf(models.EConflict, "case %d has exited%s", id, reason))
		return
	}
	wf, err := h.workflows()
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := wf.Update(c.Request.Context(), id, name, a); err != nil {
		h.fail(c, err)
		return
	}
	cs, err := h.store.Get(c.Request.Context(), models.Principal{AllScope: true}, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cs)
}

func (h *caseHandlers) assign(c *gin.Context) {
	h.action(c, cases.CaseUpdateAssign, func(p models.Principal) (any, error) {
		var in struct {
			AgentID int64 `json:"agentId"`
		}
		if err := bindJSON(c, &in); err != nil {
			return nil, err
		}
		if in.AgentID <= 0 {
			return nil, models.FieldError(models.EInvalid, "agentId", "agentId is required")
		}
		return cases.CaseAssign{AgentID: in.AgentID, By: p.AgentID}, nil
	})
}

// optionalJSON binds a body when one is sent (recall takes an optional one).
func optionalJSON(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return bindJSON(c, dst)
}

func (h *caseHandlers) recall(c *gin.Context) {
	h.action(c, cases.CaseUpdateRecall, func(p models.Principal) (any, error) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := optionalJSON(c, &in); err != nil {
			return nil, err
		}
		if len(in.Reason) > 200 {
			return nil, models.FieldError(models.EInvalid, "reason", "reason is at most 200 characters")
		}
		return cases.CaseRecall{Reason: in.Reason, By: p.AgentID}, nil
	})
}

func (h *caseHandlers) transfer(c *gin.Context) {
	h.action(c, cases.CaseUpdateTransfer, func(p models.Principal) (any, error) {
		var in struct {
			TeamID int64 `json:"teamId"`
		}
		if err := bindJSON(c, &in); err != nil {
			return nil, err
		}
		if in.TeamID <= 0 {
			return nil, models.FieldError(models.EInvalid, "teamId", "teamId is required")
		}
		return cases.CaseTransfer{TeamID: in.TeamID, By: p.AgentID}, nil
	})
}

func (h *caseHandlers) close(c *gin.Context) {
	h.action(c, cases.CaseUpdateClose, func(p models.Principal) (any, error) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := bindJSON(c, &in); err != nil {
			return nil, err
		}
		if !cases.ValidExitReason(in.Reason) {
			return nil, models.FieldError(models.EInvalid, "reason", "reason must be one of %v", cases.CaseExitReasons)
		}
		return cases.CaseClose{Reason: in.Reason, By: p.AgentID}, nil
	})
}

func (h *caseHandlers) outcome(c *gin.Context) {
	h.action(c, cases.CaseUpdateOutcome, func(p models.Principal) (any, error) {
		var in struct {
			Outcome     string `json:"outcome"`
			PromiseDate string `json:"promiseDate"`
			Note        string `json:"note"`
		}
		if err := bindJSON(c, &in); err != nil {
			return nil, err
		}
		if !cases.ValidOutcome(in.Outcome) {
			return nil, models.FieldError(models.EInvalid, "outcome", "outcome must be one of %v", cases.CaseOutcomes)
		}
		if len(in.Note) > 2000 {
			return nil, models.FieldError(models.EInvalid, "note", "note is at most 2000 characters")
		}
		var pd time.Time
		if in.PromiseDate != "" {
			var err error
			if pd, err = time.Parse(time.DateOnly, in.PromiseDate); err != nil {
				return nil, models.FieldError(models.EInvalid, "promiseDate", "promiseDate must be a date like 2026-01-31")
			}
		}
		if in.Outcome == "promise_to_pay" && pd.IsZero() {
			return nil, models.FieldError(models.EInvalid, "promiseDate", "promiseDate is required for promise_to_pay")
		}
		return cases.CaseOutcome{Outcome: in.Outcome, PromiseDate: pd, Note: in.Note, By: p.AgentID}, nil
	})
}

// redistribute recalls every open case of a team or an agent and re-runs
// assignment, as a workflow whose progress can be polled.
func (h *caseHandlers) redistribute(c *gin.Context) {
	var in struct {
		TeamID  int64 `json:"teamId"`
		AgentID int64 `json:"agentId"`
	}
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	if (in.TeamID > 0) == (in.AgentID > 0) || in.TeamID < 0 || in.AgentID < 0 {
		h.fail(c, models.FieldError(models.EInvalid, "teamId", "give exactly one of teamId or agentId"))
		return
	}
	p := principal(c)
	if in.TeamID > 0 && !p.SeesTeamMembers(in.TeamID) {
		h.fail(c, models.FieldError(models.ENotFound, "teamId", "team %d not found", in.TeamID))
		return
	}
	if in.AgentID > 0 {
		var n int64
		if err := h.s.deps.DB.WithContext(c.Request.Context()).Model(&identity.Agent{}).Scopes(models.AgentScope(p)).
			Where("agents.id = ?", in.AgentID).Count(&n).Error; err != nil {
			h.fail(c, err)
			return
		}
		if n == 0 {
			h.fail(c, models.FieldError(models.ENotFound, "agentId", "agent %d not found", in.AgentID))
			return
		}
	}
	wf, err := h.workflows()
	if err != nil {
		h.fail(c, err)
		return
	}
	id, err := wf.Redistribute(c.Request.Context(), in.TeamID, in.AgentID, p.AgentID)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"workflowId": id})
}

func (h *caseHandlers) redistributeProgress(c *gin.Context) {
	wf, err := h.workflows()
	if err != nil {
		h.fail(c, err)
		return
	}
	pr, err := wf.RedistributeProgress(c.Request.Context(), c.Param("wid"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pr)
}
