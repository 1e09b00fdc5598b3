package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
)

type templateHandlers struct {
	s     *Server
	store templates.TemplateStore
}

// mountTemplates registers template authoring, submission and preview.
func (s *Server) mountTemplates(v1 *gin.RouterGroup) {
	h := &templateHandlers{s: s, store: templates.TemplateStore{DB: s.deps.DB}}
	r, w := models.Permission("templates:read"), models.Permission("templates:write")
	s.handle(v1, http.MethodGet, "/templates", r, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/templates", w, s.needDB, h.create)
	s.handle(v1, http.MethodGet, "/templates/:id", r, s.needDB, h.get)
	s.handle(v1, http.MethodDelete, "/templates/:id", w, s.needDB, h.delete)
	s.handle(v1, http.MethodPost, "/templates/:id/submit", w, s.needDB, s.needWABA, h.submit)
	s.handle(v1, http.MethodPost, "/templates/:id/render", r, s.needDB, h.render)
}

type templateInput struct {
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	ParameterFormat string          `json:"parameterFormat"`
	Components      json.RawMessage `json:"components"`
	WABAID          string          `json:"wabaId"`
}

func (h *templateHandlers) list(c *gin.Context) {
	out, err := h.store.List(c.Request.Context(), templates.TemplateFilter{Status: c.Query("status"), Name: c.Query("name"), Language: c.Query("language"), Category: c.Query("category")})
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

func (h *templateHandlers) create(c *gin.Context) {
	var in templateInput
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	if len(in.Components) == 0 {
		WriteError(c, h.s.deps.Logger, models.FieldError(models.EInvalid, "components", "is required"))
		return
	}
	out, err := h.store.Create(c.Request.Context(), templates.Template{Name: in.Name, Language: in.Language, Category: in.Category,
		ParameterFormat: in.ParameterFormat, Components: in.Components, WABAID: in.WABAID})
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (h *templateHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		var out templates.Template
		if out, err = h.store.Get(c.Request.Context(), id); err == nil {
			c.JSON(http.StatusOK, out)
			return
		}
	}
	WriteError(c, h.s.deps.Logger, err)
}

func (h *templateHandlers) delete(c *gin.Context) {
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

func (h *templateHandlers) submit(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	out, err := h.store.Submit(c.Request.Context(), h.s.deps.WABA, id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// render previews a template with values and reports missing variables (422).
func (h *templateHandlers) render(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	var in struct {
		Mapping map[string]string `json:"mapping"`
		Values  map[string]string `json:"values"`
	}
	if err := bindJSON(c, &in); err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	t, err := h.store.Get(c.Request.Context(), id)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	r, err := templates.RenderTemplate(t, in.Mapping, in.Values)
	if err != nil {
		WriteError(c, h.s.deps.Logger, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"preview": r.Preview, "template": r.WABA()})
}
