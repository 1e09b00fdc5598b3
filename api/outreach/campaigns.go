// Package outreach is the HTTP face of campaigns: authoring, launch and
// control, test sends, recipients and exports, and template previews and
// statistics for campaign managers.
package outreach

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// Deps are what the campaign routes call.
type Deps struct {
	Log     *slog.Logger
	Control campaigns.CampaignControl
}

type handlers struct{ Deps }

// Mount registers the campaign routes.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	rd, wr, launch := models.PermCampaignsRead, models.PermCampaignsWr, models.PermCampaignsLnch
	rt.JSON(http.MethodGet, "/campaigns", rd, h.list)
	rt.JSON(http.MethodPost, "/campaigns", wr, h.create)
	rt.JSON(http.MethodGet, "/campaigns/:id", rd, h.get)
	rt.JSON(http.MethodPost, "/campaigns/:id/launch", launch, h.act(campaigns.CampaignActionLaunch))
	rt.JSON(http.MethodPost, "/campaigns/:id/pause", launch, h.act(campaigns.CampaignActionPause))
	rt.JSON(http.MethodPost, "/campaigns/:id/resume", launch, h.act(campaigns.CampaignActionResume))
	rt.JSON(http.MethodPost, "/campaigns/:id/cancel", launch, h.act(campaigns.CampaignActionCancel))
	rt.JSON(http.MethodPost, "/campaigns/:id/retry-failed", launch, h.retryFailed)
	rt.JSON(http.MethodPost, "/campaigns/:id/duplicate", wr, h.duplicate)
	rt.JSON(http.MethodPost, "/campaigns/:id/test-send", launch, h.testSend)
	rt.JSON(http.MethodGet, "/campaigns/:id/recipients", rd, h.recipients)
	rt.Stream(http.MethodGet, "/campaigns/:id/export", rd, h.export)
	rt.JSON(http.MethodPost, "/templates/:id/preview", models.PermTemplatesRead, h.previewTemplate)
	rt.JSON(http.MethodGet, "/templates/:id/stats", models.PermTemplatesRead, h.templateStats)
	rt.JSON(http.MethodGet, "/templates/:id/compare/:other", models.PermTemplatesRead, h.compareTemplates)
}

// createdCampaign answers POST /campaigns with the audience checks.
type createdCampaign struct {
	Campaign campaigns.Campaign        `json:"campaign"`
	Audience campaigns.AudiencePreview `json:"audience"`
}

func (h handlers) create(c *gin.Context) (int, any, error) {
	var in campaigns.CampaignInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	camp, pv, err := h.Control.Store.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, createdCampaign{Campaign: camp, Audience: pv}, err
}

func (h handlers) get(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	v, err := h.Control.Store.Get(c.Request.Context(), id)
	return http.StatusOK, v, err
}

func (h handlers) list(c *gin.Context) (int, any, error) {
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	items, total, err := h.Control.Store.List(c.Request.Context(), pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

// act launches, pauses, resumes or cancels (campaigns.PlanCampaignAction
// has the rule); 202 when the workflow carries it out, 200 when the stored
// status alone changed.
func (h handlers) act(action string) httpx.Handler {
	return func(c *gin.Context) (int, any, error) {
		id, err := httpx.IDParam(c, "id")
		if err != nil {
			return 0, nil, err
		}
		v, async, err := h.Control.Act(c.Request.Context(), id, action)
		if async {
			return http.StatusAccepted, v, err
		}
		return http.StatusOK, v, err
	}
}

// retryFailed requeues the recipients that failed with a retryable reason
// and runs the campaign for them.
func (h handlers) retryFailed(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	n, err := h.Control.RetryFailed(c.Request.Context(), id)
	return http.StatusAccepted, gin.H{"requeued": n}, err
}

// previewTemplate renders a template for a real contact: text, per-component
// lengths against WhatsApp's limits, missing variables (always 200; the
// answer says whether it is sendable).
func (h handlers) previewTemplate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in campaigns.PreviewInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	pv, err := h.Control.Store.PreviewTemplate(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, pv, err
}

// templateStats reports the last ?days= (default 30) of a template's sends.
func (h handlers) templateStats(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	days := 30
	if raw := c.Query("days"); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			return 0, nil, models.FieldError(models.EInvalid, "days", "must be a whole number of days (1-%d)", campaigns.MaxStatsDays)
		}
	}
	st, err := h.Control.Store.TemplateStats(c.Request.Context(), id, days)
	return http.StatusOK, st, err
}

// compareTemplates sets two templates' last ?days= (default 30) side by
// side with the reply-rate winner when there is one.
func (h handlers) compareTemplates(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	other, err := httpx.IDParam(c, "other")
	if err != nil {
		return 0, nil, err
	}
	if other == id {
		return 0, nil, models.FieldError(models.EInvalid, "other", "compare a template with another one")
	}
	days := 30
	if raw := c.Query("days"); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			return 0, nil, models.FieldError(models.EInvalid, "days", "must be a whole number of days (1-%d)", campaigns.MaxStatsDays)
		}
	}
	cmp, err := h.Control.Store.CompareTemplates(c.Request.Context(), id, other, days)
	return http.StatusOK, cmp, err
}

// duplicate copies a campaign into a new draft, validated like create.
func (h handlers) duplicate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	camp, pv, err := h.Control.Store.Duplicate(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusCreated, createdCampaign{Campaign: camp, Audience: pv}, err
}

// testSend answers 202 for a new test message, 200 for the replay of its
// Idempotency-Key.
func (h handlers) testSend(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in campaigns.TestSendInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	ts, err := h.Control.TestSend(c.Request.Context(), httpx.Principal(c), id, strings.TrimSpace(c.GetHeader("Idempotency-Key")), in)
	if !ts.Created {
		return http.StatusOK, ts, err
	}
	return http.StatusAccepted, ts, err
}

// recipients pages a campaign's recipients (?status=&cursor=&limit=).
func (h handlers) recipients(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	limit := 0
	if raw := c.Query("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > campaigns.MaxRecipientPage {
			return 0, nil, models.FieldError(models.EInvalid, "limit", "must be 1-%d", campaigns.MaxRecipientPage)
		}
	}
	page, err := h.Control.Store.Recipients(c.Request.Context(), httpx.Principal(c), id, c.Query("status"), c.Query("cursor"), limit)
	return http.StatusOK, page, err
}
