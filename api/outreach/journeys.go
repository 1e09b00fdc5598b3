package outreach

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/journeys"
)

// JourneyDeps are what the journey routes call. Journeys are authored and
// run by the campaign managers, under the campaign permissions.
type JourneyDeps struct {
	Log   *slog.Logger
	Store journeys.JourneyStore
}

type journeyHandlers struct{ JourneyDeps }

// MountJourneys registers the journey routes.
func MountJourneys(r httpx.Router, d JourneyDeps) {
	h := journeyHandlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	rd, wr, launch := models.PermCampaignsRead, models.PermCampaignsWr, models.PermCampaignsLnch
	rt.JSON(http.MethodGet, "/journeys", rd, h.list)
	rt.JSON(http.MethodPost, "/journeys", wr, h.create)
	rt.JSON(http.MethodGet, "/journeys/:id", rd, h.get)
	rt.JSON(http.MethodPatch, "/journeys/:id", wr, h.update)
	rt.JSON(http.MethodGet, "/journeys/:id/versions/:version", rd, h.version)
	for _, a := range []string{journeys.ActionLaunch, journeys.ActionPause, journeys.ActionResume, journeys.ActionCancel} {
		rt.JSON(http.MethodPost, "/journeys/:id/"+a, launch, h.act(a))
	}
	rt.JSON(http.MethodPost, "/journeys/:id/enroll", launch, h.enroll)
	rt.JSON(http.MethodGet, "/journeys/:id/enrollments", rd, h.enrollments)
	rt.JSON(http.MethodPost, "/journeys/:id/enrollments/:eid/exit", launch, h.cancelEnrollment)
	rt.JSON(http.MethodGet, "/journeys/:id/funnel", rd, h.funnel)
}

// journeyInput is POST /journeys.
type journeyInput struct {
	Name         string                 `json:"name"`
	SenderID     int64                  `json:"senderId"`
	QuietHours   models.QuietHours      `json:"quietHours"`
	FrequencyCap campaigns.FrequencyCap `json:"frequencyCap"`
	Definition   journeys.Definition    `json:"definition"`
}

func (h journeyHandlers) create(c *gin.Context) (int, any, error) {
	var in journeyInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	j, _, err := h.Store.Create(ctx, journeys.NewJourney{Name: in.Name, SenderID: in.SenderID, QuietHours: in.QuietHours,
		FrequencyCap: in.FrequencyCap, Definition: in.Definition, By: httpx.Principal(c).AgentID})
	if err != nil {
		return 0, nil, err
	}
	d, err := h.Store.Detail(ctx, j.ID)
	return http.StatusCreated, d, err
}

func (h journeyHandlers) list(c *gin.Context) (int, any, error) {
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	items, total, err := h.Store.List(c.Request.Context(), pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

func (h journeyHandlers) get(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	d, err := h.Store.Detail(c.Request.Context(), id)
	return http.StatusOK, d, err
}

// update changes settings; a definition is stored as the next version.
func (h journeyHandlers) update(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in journeys.Settings
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	if _, err := h.Store.Update(ctx, id, in, httpx.Principal(c).AgentID); err != nil {
		return 0, nil, err
	}
	d, err := h.Store.Detail(ctx, id)
	return http.StatusOK, d, err
}

func (h journeyHandlers) version(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	v, err := httpx.IDParam(c, "version")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Store.Version(c.Request.Context(), id, int(v))
	return http.StatusOK, out, err
}

func (h journeyHandlers) act(action string) httpx.Handler {
	return func(c *gin.Context) (int, any, error) {
		id, err := httpx.IDParam(c, "id")
		if err != nil {
			return 0, nil, err
		}
		ctx := c.Request.Context()
		if _, err := h.Store.Act(ctx, id, action); err != nil {
			return 0, nil, err
		}
		d, err := h.Store.Detail(ctx, id)
		return http.StatusOK, d, err
	}
}

// enroll writes the audience's enrollments; the workers start them within
// seconds (202: accepted, running soon).
func (h journeyHandlers) enroll(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in journeys.Audience
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	res, err := h.Store.EnrollAudience(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusAccepted, res, err
}

var enrollmentStatuses = []string{"", journeys.EnrollmentRunning, journeys.EnrollmentCompleted, journeys.EnrollmentExited, journeys.EnrollmentCancelled}

func (h journeyHandlers) enrollments(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	status := c.Query("status")
	if !slices.Contains(enrollmentStatuses, status) {
		return 0, nil, models.FieldError(models.EInvalid, "status", "%q is not an enrollment status (running, completed, exited, cancelled)", status)
	}
	items, total, err := h.Store.Enrollments(c.Request.Context(), httpx.Principal(c), id, status, pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

func (h journeyHandlers) cancelEnrollment(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	eid, err := httpx.IDParam(c, "eid")
	if err != nil {
		return 0, nil, err
	}
	e, err := h.Store.CancelEnrollment(c.Request.Context(), httpx.Principal(c), id, eid)
	return http.StatusAccepted, e, err
}

// funnelBody is GET /journeys/{id}/funnel.
type funnelBody struct {
	JourneyID int64                `json:"journeyId"`
	Rows      []journeys.FunnelRow `json:"rows"`
}

func (h journeyHandlers) funnel(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	if _, err := h.Store.Get(ctx, id); err != nil {
		return 0, nil, err
	}
	rows, err := h.Store.Funnel(ctx, id)
	if rows == nil {
		rows = []journeys.FunnelRow{}
	}
	return http.StatusOK, funnelBody{JourneyID: id, Rows: rows}, err
}
