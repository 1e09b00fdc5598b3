package messaging

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models/templates"
)

func (h handlers) listTemplates(c *gin.Context) (int, any, error) {
	out, err := h.Templates.List(c.Request.Context(), templates.TemplateFilter{Status: c.Query("status"), Name: c.Query("name"),
		Language: c.Query("language"), Category: c.Query("category")})
	return http.StatusOK, gin.H{"data": out}, err
}

func (h handlers) createTemplate(c *gin.Context) (int, any, error) {
	var in struct {
		Name            string          `json:"name"`
		Language        string          `json:"language"`
		Category        string          `json:"category"`
		ParameterFormat string          `json:"parameterFormat"`
		Components      json.RawMessage `json:"components"`
		WABAID          string          `json:"wabaId"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.Templates.Create(c.Request.Context(), templates.Template{Name: in.Name, Language: in.Language, Category: in.Category,
		ParameterFormat: in.ParameterFormat, Components: in.Components, WABAID: in.WABAID})
	return http.StatusCreated, out, err
}

func (h handlers) getTemplate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Templates.Get(c.Request.Context(), id)
	return http.StatusOK, out, err
}

func (h handlers) deleteTemplate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Templates.Delete(c.Request.Context(), id)
}

func (h handlers) submitTemplate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Templates.Submit(c.Request.Context(), h.WABA, id)
	return http.StatusOK, out, err
}

// renderTemplate previews a template with values and reports missing variables (422).
func (h handlers) renderTemplate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Mapping map[string]string `json:"mapping"`
		Values  map[string]string `json:"values"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	r, err := h.Templates.Render(c.Request.Context(), id, in.Mapping, in.Values)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"preview": r.Preview, "adjusted": r.Adjusted, "template": r.WABA()}, nil
}
