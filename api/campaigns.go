package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// CampaignWorkflows starts and signals CampaignWorkflows (package worker
// implements it). Start is idempotent per campaign; Signal answers
// ENotFound when no workflow runs for the campaign.
type CampaignWorkflows interface {
	Start(ctx context.Context, id int64) error
	Signal(ctx context.Context, id int64, action string) error
	Retry(ctx context.Context, id int64) error
}

type campaignHandlers struct {
	s     *Server
	store campaigns.CampaignStore
}

func (s *Server) mountCampaigns(v1 *gin.RouterGroup) {
	h := &campaignHandlers{s: s, store: campaigns.CampaignStore{DB: s.deps.DB, Holidays: s.deps.CampaignHolidays, ReplyWindow: s.deps.CampaignReplyWindow}}
	r, w, l := models.Permission("campaigns:read"), models.Permission("campaigns:write"), models.Permission("campaigns:launch")
	s.handle(v1, http.MethodGet, "/campaigns", r, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/campaigns", w, s.needDB, h.create)
	s.handle(v1, http.MethodGet, "/campaigns/:id", r, s.needDB, h.get)
	s.handle(v1, http.MethodPost, "/campaigns/:id/launch", l, s.needDB, h.launch)
	s.handle(v1, http.MethodPost, "/campaigns/:id/pause", l, s.needDB, h.action(campaigns.CampaignActionPause))
	s.handle(v1, http.MethodPost, "/campaigns/:id/resume", l, s.needDB, h.action(campaigns.CampaignActionResume))
	s.handle(v1, http.MethodPost, "/campaigns/:id/cancel", l, s.needDB, h.action(campaigns.CampaignActionCancel))
	s.handle(v1, http.MethodPost, "/campaigns/:id/retry-failed", l, s.needDB, h.retryFailed)
	s.handle(v1, http.MethodPost, "/campaigns/:id/duplicate", w, s.needDB, h.duplicate)
	s.handle(v1, http.MethodPost, "/campaigns/:id/test-send", l, s.needDB, h.testSend)
	s.handle(v1, http.MethodGet, "/campaigns/:id/recipients", r, s.needDB, h.recipients)
	s.handle(v1, http.MethodGet, "/campaigns/:id/export", r, s.needDB, h.export)
	s.handle(v1, http.MethodPost, "/templates/:id/preview", models.Permission("templates:read"), s.needDB, h.previewTemplate)
	s.handle(v1, http.MethodGet, "/templates/:id/stats", models.Permission("templates:read"), s.needDB, h.templateStats)
}

func (h *campaignHandlers) fail(c *gin.Context, err error) { WriteError(c, h.s.deps.Logger, err) }

func (h *campaignHandlers) workflows() (CampaignWorkflows, error) {
	if h.s.deps.Campaigns == nil {
		return nil, models.Errorf(models.EUnavailable, "campaign workflows are not configured")
	}
	return h.s.deps.Campaigns, nil
}

// target reads the campaign id of an action route and the workflows that
// carry the action out; it answers the error itself when either is missing.
func (h *campaignHandlers) target(c *gin.Context) (int64, CampaignWorkflows, bool) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return 0, nil, false
	}
	wf, err := h.workflows()
	if err != nil {
		h.fail(c, err)
		return 0, nil, false
	}
	return id, wf, true
}

// createdCampaign answers POST /campaigns with the audience checks.
type createdCampaign struct {
	Campaign campaigns.Campaign        `json:"campaign"`
	Audience campaigns.AudiencePreview `json:"audience"`
}

func (h *campaignHandlers) create(c *gin.Context) {
	var in campaigns.CampaignInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	camp, pv, err := h.store.Create(c.Request.Context(), principal(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdCampaign{Campaign: camp, Audience: pv})
}

func (h *campaignHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	v, err := h.store.Get(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *campaignHandlers) list(c *gin.Context) {
	pg, err := pageQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	items, total, err := h.store.List(c.Request.Context(), pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, pg))
}

// launch marks a draft scheduled and starts its workflow; the workflow
// moves it to running at start_at. Launching again is harmless.
func (h *campaignHandlers) launch(c *gin.Context) {
	id, wf, ok := h.target(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	cur, err := h.store.Get(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if cur.Status == campaigns.CampaignDraft {
		if _, err := h.store.SetStatus(ctx, id, campaigns.CampaignScheduled, "launched"); err != nil {
			h.fail(c, err)
			return
		}
	} else if cur.Status != campaigns.CampaignScheduled && cur.Status != campaigns.CampaignRunning {
		h.fail(c, &models.Error{Code: models.EConflict, Field: "status", Message: "campaign is " + cur.Status + ": only a draft can be launched"})
		return
	}
	if err := wf.Start(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, id, http.StatusAccepted)
}

func (h *campaignHandlers) action(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, wf, ok := h.target(c)
		if !ok {
			return
		}
		ctx := c.Request.Context()
		cur, err := h.store.Get(ctx, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		active := cur.Status == campaigns.CampaignScheduled || cur.Status == campaigns.CampaignRunning || cur.Status == campaigns.CampaignPaused
		if action == campaigns.CampaignActionCancel && cur.Status == campaigns.CampaignDraft {
			// Never launched: no workflow to stop.
			if _, err := h.store.SetStatus(ctx, id, campaigns.CampaignCancelled, "cancelled before launch"); err != nil {
				h.fail(c, err)
				return
			}
			h.respond(c, id, http.StatusOK)
			return
		}
		if !active {
			h.fail(c, &models.Error{Code: models.EConflict, Field: "status", Message: "campaign is " + cur.Status + ": cannot " + action})
			return
		}
		err = wf.Signal(ctx, id, action)
		var me *models.Error
		if errors.As(err, &me) && me.Code == models.ENotFound && action == campaigns.CampaignActionCancel {
			// The workflow is gone (e.g. never started after a failed
			// launch): cancelling is a status change only.
			_, err = h.store.SetStatus(ctx, id, campaigns.CampaignCancelled, "cancelled")
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		h.respond(c, id, http.StatusAccepted)
	}
}

func (h *campaignHandlers) respond(c *gin.Context, id int64, code int) {
	v, err := h.store.Get(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(code, v)
}

// retryFailed requeues the recipients that failed with a retryable reason
// and runs the campaign for them.
func (h *campaignHandlers) retryFailed(c *gin.Context) {
	id, wf, ok := h.target(c)
	if !ok {
		return
	}
	n, err := h.store.RequeueFailed(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := wf.Retry(c.Request.Context(), id); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"requeued": n})
}
