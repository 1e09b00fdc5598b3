// Package crm is the HTTP face of the customer data: contacts, segments
// and contact imports (intake).
package crm

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

// Deps are the stores and services the contact routes call.
type Deps struct {
	Log      *slog.Logger
	Contacts contacts.ContactStore
	Segments contacts.SegmentStore
	Imports  contacts.Imports
	// Uploads bounds the file upload's body (size, read time, how many at once).
	Uploads *httpx.BodyGate
}

type handlers struct{ Deps }

// Mount registers contacts, segments and intake.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	read, write, del := models.PermContactsRead, models.PermContactsWrite, models.PermContactsDel
	rt.JSON(http.MethodGet, "/contacts", read, h.list)
	rt.Stream(http.MethodGet, "/contacts/export", models.PermContactsExp, h.export)
	rt.JSON(http.MethodPost, "/contacts", write, h.create)
	rt.JSON(http.MethodGet, "/contacts/:id", read, h.get)
	rt.JSON(http.MethodPatch, "/contacts/:id", write, h.update)
	rt.JSON(http.MethodDelete, "/contacts/:id", del, h.delete)
	rt.JSON(http.MethodPost, "/contacts/:id/tags", write, h.addTags)
	rt.JSON(http.MethodDelete, "/contacts/:id/tags/:tag", write, h.removeTag)

	// Segments are campaign audiences: changing one changes who a scheduled
	// campaign messages, so writes need the campaign right, not contacts:write.
	segWrite := models.PermCampaignsWr
	rt.JSON(http.MethodGet, "/segments", read, h.segList)
	rt.JSON(http.MethodPost, "/segments", segWrite, h.segCreate)
	rt.JSON(http.MethodGet, "/segments/:id", read, h.segGet)
	rt.JSON(http.MethodPatch, "/segments/:id", segWrite, h.segUpdate)
	rt.JSON(http.MethodDelete, "/segments/:id", segWrite, h.segDelete)
	rt.JSON(http.MethodGet, "/segments/:id/contacts", read, h.segContacts)

	mountIntake(rt, h)
}

// contactFilter reads q, tag, attr=key=value (repeatable), optedOut, ownerAgentId.
func contactFilter(c *gin.Context) (contacts.ContactFilter, error) {
	f := contacts.ContactFilter{Query: c.Query("q"), Tag: c.Query("tag")}
	for _, kv := range c.QueryArray("attr") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return f, models.FieldError(models.EInvalid, "attr", "attr must be key=value")
		}
		if f.Attributes == nil {
			f.Attributes = map[string]string{}
		}
		f.Attributes[k] = v
	}
	if raw := c.Query("optedOut"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return f, models.FieldError(models.EInvalid, "optedOut", "optedOut must be true or false")
		}
		f.OptedOut = &b
	}
	var err error
	f.OwnerAgentID, err = httpx.QueryInt64(c, "ownerAgentId")
	return f, err
}

func (h handlers) list(c *gin.Context) (int, any, error) {
	f, err := contactFilter(c)
	if err != nil {
		return 0, nil, err
	}
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	items, n, err := h.Contacts.List(c.Request.Context(), httpx.Principal(c), f, pg)
	return http.StatusOK, httpx.ListCounted(items, n, pg), err
}

func (h handlers) create(c *gin.Context) (int, any, error) {
	var in contacts.ContactInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	ct, err := h.Contacts.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, ct, err
}

func (h handlers) get(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ct, err := h.Contacts.Get(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, ct, err
}

func (h handlers) update(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in contacts.ContactInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	ct, err := h.Contacts.Update(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, ct, err
}

func (h handlers) delete(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Contacts.Delete(c.Request.Context(), httpx.Principal(c), id)
}

func (h handlers) addTags(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := httpx.BindJSON(c, &body); err != nil {
		return 0, nil, err
	}
	ct, err := h.Contacts.AddTags(c.Request.Context(), httpx.Principal(c), id, body.Tags)
	return http.StatusOK, ct, err
}

func (h handlers) removeTag(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ct, err := h.Contacts.RemoveTag(c.Request.Context(), httpx.Principal(c), id, c.Param("tag"))
	return http.StatusOK, ct, err
}

// export streams the contacts the caller may see as CSV. The export is
// audited before the first byte is sent.
//
// Streaming: it writes the response itself (not a httpx.Handler); errors
// before the first byte still go through httpx.WriteError.
func (h handlers) export(c *gin.Context) {
	f, err := contactFilter(c)
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	ctx, p := c.Request.Context(), httpx.Principal(c)
	if err := h.Contacts.RecordExport(ctx, p, f); err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	out := httpx.StartCSV(c, "contacts.csv", []string{"id", "phone", "name", "tags", "opted_out", "owner_agent_id", "attributes", "created_at"})
	_, err = h.Contacts.Export(ctx, p, f, func(ct contacts.ContactRecord) error {
		phone, owner := "", ""
		if ct.PhoneE164 != nil {
			phone = *ct.PhoneE164
		}
		if ct.OwnerAgentID != nil {
			owner = strconv.FormatInt(*ct.OwnerAgentID, 10)
		}
		return out.Row([]string{strconv.FormatInt(ct.ID, 10), phone, ct.Name, strings.Join(ct.Tags, ";"),
			strconv.FormatBool(ct.OptedOut), owner, string(ct.Attributes), ct.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	})
	if n, err := out.Close(err); err != nil {
		// Headers are gone: all we can do is stop and log.
		h.Log.ErrorContext(ctx, "contact export aborted", "err", err, "rows", n)
	}
}

func (h handlers) segList(c *gin.Context) (int, any, error) {
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	items, total, err := h.Segments.List(c.Request.Context(), pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

func (h handlers) segCreate(c *gin.Context) (int, any, error) {
	var in contacts.SegmentInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sg, err := h.Segments.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, sg, err
}

func (h handlers) segGet(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	sg, err := h.Segments.Get(c.Request.Context(), id)
	return http.StatusOK, sg, err
}

func (h handlers) segUpdate(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in contacts.SegmentInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sg, err := h.Segments.Update(c.Request.Context(), id, in)
	return http.StatusOK, sg, err
}

func (h handlers) segDelete(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Segments.Delete(c.Request.Context(), id)
}

func (h handlers) segContacts(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	after, err := httpx.QueryInt64(c, "after")
	if err != nil {
		return 0, nil, err
	}
	limit := models.DefaultPageLimit
	if raw := c.Query("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil {
			limit = -1 // refused by the page rule with its message
		}
	}
	page, err := h.Segments.ContactsPage(c.Request.Context(), httpx.Principal(c), id, after, limit)
	return http.StatusOK, page, err
}
