package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

type contactHandlers struct {
	s        *Server
	contacts contacts.ContactStore
	segments contacts.SegmentStore
}

// mountContacts registers contacts, segments and intake.
func (s *Server) mountContacts(v1 *gin.RouterGroup) {
	h := &contactHandlers{s: s, contacts: contacts.ContactStore{DB: s.deps.DB}, segments: contacts.SegmentStore{DB: s.deps.DB}}
	read, write, del, export := models.Permission("contacts:read"), models.Permission("contacts:write"),
		models.Permission("contacts:delete"), models.Permission("contacts:export")
	s.handle(v1, http.MethodGet, "/contacts", read, s.needDB, h.list)
	s.handle(v1, http.MethodGet, "/contacts/export", export, s.needDB, h.export)
	s.handle(v1, http.MethodPost, "/contacts", write, s.needDB, h.create)
	s.handle(v1, http.MethodGet, "/contacts/:id", read, s.needDB, h.get)
	s.handle(v1, http.MethodPatch, "/contacts/:id", write, s.needDB, h.update)
	s.handle(v1, http.MethodDelete, "/contacts/:id", del, s.needDB, h.delete)
	s.handle(v1, http.MethodPost, "/contacts/:id/tags", write, s.needDB, h.addTags)
	s.handle(v1, http.MethodDelete, "/contacts/:id/tags/:tag", write, s.needDB, h.removeTag)

	s.handle(v1, http.MethodGet, "/segments", read, s.needDB, h.segList)
	s.handle(v1, http.MethodPost, "/segments", write, s.needDB, h.segCreate)
	s.handle(v1, http.MethodGet, "/segments/:id", read, s.needDB, h.segGet)
	s.handle(v1, http.MethodPatch, "/segments/:id", write, s.needDB, h.segUpdate)
	s.handle(v1, http.MethodDelete, "/segments/:id", write, s.needDB, h.segDelete)
	s.handle(v1, http.MethodGet, "/segments/:id/contacts", read, s.needDB, h.segContacts)

	s.mountIntake(v1)
}

func (h *contactHandlers) fail(c *gin.Context, err error) { WriteError(c, h.s.deps.Logger, err) }

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
	f.OwnerAgentID, err = queryInt64(c, "ownerAgentId")
	return f, err
}

func (h *contactHandlers) list(c *gin.Context) {
	f, err := contactFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	pg, err := pageQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	items, total, err := h.contacts.List(c.Request.Context(), principal(c), f, pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, pg))
}

func (h *contactHandlers) create(c *gin.Context) {
	var in contacts.ContactInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	ct, err := h.contacts.Create(c.Request.Context(), principal(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ct)
}

func (h *contactHandlers) get(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	ct, err := h.contacts.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ct)
}

func (h *contactHandlers) update(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	var in contacts.ContactInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	ct, err := h.contacts.Update(c.Request.Context(), principal(c), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ct)
}

func (h *contactHandlers) delete(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.contacts.Delete(c.Request.Context(), principal(c), id); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *contactHandlers) addTags(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := bindJSON(c, &body); err != nil {
		h.fail(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	ct, err := h.contacts.Get(ctx, p, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	tags := append([]string(ct.Tags), body.Tags...)
	ct, err = h.contacts.Update(ctx, p, id, contacts.ContactInput{Tags: &tags})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ct)
}

func (h *contactHandlers) removeTag(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	ct, err := h.contacts.Get(ctx, p, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	tags := []string{}
	for _, t := range ct.Tags {
		if t != c.Param("tag") {
			tags = append(tags, t)
		}
	}
	ct, err = h.contacts.Update(ctx, p, id, contacts.ContactInput{Tags: &tags})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ct)
}

// csvSafe defuses spreadsheet formulas in user-supplied cells (phone
// numbers like +62 812-... are left as they are).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && strings.Trim(s, "+-0123456789 ()") != "" {
		return "'" + s
	}
	return s
}

// export streams the contacts the caller may see as CSV. The export is
// audited before the first byte is sent.
func (h *contactHandlers) export(c *gin.Context) {
	f, err := contactFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	if err := h.contacts.RecordExport(ctx, p, f); err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="contacts.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"id", "phone", "name", "tags", "opted_out", "owner_agent_id", "attributes", "created_at"})
	n := 0
	_, err = h.contacts.Export(ctx, p, f, func(ct contacts.ContactRecord) error {
		phone, owner := "", ""
		if ct.PhoneE164 != nil {
			phone = *ct.PhoneE164
		}
		if ct.OwnerAgentID != nil {
			owner = strconv.FormatInt(*ct.OwnerAgentID, 10)
		}
		if err := w.Write([]string{strconv.FormatInt(ct.ID, 10), phone, csvSafe(ct.Name), csvSafe(strings.Join(ct.Tags, ";")),
			strconv.FormatBool(ct.OptedOut), owner, string(ct.Attributes), ct.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}); err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			w.Flush()
			c.Writer.Flush()
		}
		return w.Error()
	})
	w.Flush()
	if err != nil {
		// Headers are gone: all we can do is stop and log.
		h.s.deps.Logger.ErrorContext(ctx, "contact export aborted", "err", err, "rows", n)
	}
}

func (h *contactHandlers) segList(c *gin.Context) {
	pg, err := pageQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	items, total, err := h.segments.List(c.Request.Context(), pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, pg))
}

func (h *contactHandlers) segCreate(c *gin.Context) {
	var in contacts.SegmentInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	sg, err := h.segments.Create(c.Request.Context(), principal(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sg)
}

func (h *contactHandlers) segGet(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	sg, err := h.segments.Get(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sg)
}

func (h *contactHandlers) segUpdate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	var in contacts.SegmentInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	sg, err := h.segments.Update(c.Request.Context(), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sg)
}

func (h *contactHandlers) segDelete(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.segments.Delete(c.Request.Context(), id); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// segmentPage is one keyset page: pass next as after for the following page.
type segmentPage struct {
	Items []contacts.ContactRecord `json:"items"`
	Next  int64                    `json:"next,omitempty"`
}

func (h *contactHandlers) segContacts(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	after, err := queryInt64(c, "after")
	if err != nil {
		h.fail(c, err)
		return
	}
	limit := models.DefaultPageLimit
	if raw := c.Query("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > 1000 {
			h.fail(c, models.FieldError(models.EInvalid, "limit", "limit must be 1-1000"))
			return
		}
	}
	items, err := h.segments.PageScoped(c.Request.Context(), principal(c), id, after, limit)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := segmentPage{Items: items}
	if out.Items == nil {
		out.Items = []contacts.ContactRecord{}
	}
	if len(items) == limit {
		out.Next = items[len(items)-1].ID
	}
	c.JSON(http.StatusOK, out)
}
