package messaging

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
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

// headerSample uploads the sample file a media-header template needs
// (multipart "file", field "format": IMAGE, VIDEO or DOCUMENT) with the
// Resumable Upload API and answers the handle for the HEADER component's
// example.header_handle. The bytes are read once, bounded by the format's
// limit, and their type is sniffed rather than taken from the browser.
func (h handlers) headerSample(c *gin.Context) (int, any, error) {
	if h.AppID == "" {
		return 0, nil, models.Errorf(models.EUnavailable, "media-header templates need the Meta app id (SCRM_WABA_APP_ID) to upload their sample file")
	}
	format := strings.ToUpper(c.PostForm("format"))
	max := templates.SampleMax(format)
	if max == 0 {
		return 0, nil, templates.CheckHeaderSample(format, "", 0)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max+1<<20)
	fh, err := c.FormFile("file")
	if err != nil {
		return 0, nil, models.FieldError(models.EInvalid, "file", "a multipart file is required (at most %d MB for %s)", max>>20, format)
	}
	if fh.Size > max {
		return 0, nil, templates.CheckHeaderSample(format, "", fh.Size)
	}
	f, err := fh.Open()
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return 0, nil, err
	}
	ct := media.BaseType(http.DetectContentType(data))
	if err := templates.CheckHeaderSample(format, ct, int64(len(data))); err != nil {
		return 0, nil, err
	}
	handle, err := h.WABA.UploadHandle(c.Request.Context(), h.AppID, fh.Filename, ct, data)
	if err != nil {
		var ae *waba.APIError
		if errors.As(err, &ae) && !ae.Retryable() {
			return 0, nil, models.FieldError(models.EUnprocessable, "file", "WhatsApp refused the sample: %s %s", ae.Message, ae.Details()).WithErr(err)
		}
		return 0, nil, &models.Error{Code: models.EUnavailable, Message: "cannot reach WhatsApp", Err: err}
	}
	return http.StatusCreated, gin.H{"handle": handle, "format": format, "filename": fh.Filename, "contentType": ct, "size": len(data)}, nil
}
