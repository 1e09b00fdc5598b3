package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// template is a stored template as Meta lists it.
type template struct {
	ID              string          `json:"id"`
	WABAID          string          `json:"-"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	Status          string          `json:"status"`
	ParameterFormat string          `json:"parameter_format"`
	RejectedReason  string          `json:"rejected_reason,omitempty"`
	Components      json.RawMessage `json:"components"`
	def             []tplCompDef
}

// Template creation rules, from the templates pages:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates
var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	namedParamRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	languageRE     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
)

func (s *Sim) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	wabaID := r.PathValue("id")
	raw, err := readLimited(r, 1<<20)
	if err != nil {
		s.writeErr(w, badParam(err.Error()))
		return
	}
	var def templateCreate
	if e := strictDecode(raw, &def); e != nil {
		s.writeErr(w, e)
		return
	}
	if !s.knownWABA(wabaID) {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 33, "Unsupported post request. Object with ID '" + wabaID + "' does not exist", ""})
		return
	}
	s.mu.Lock()
	e := validateTemplateDef(def, s.handles)
	s.mu.Unlock()
	if e != nil {
		s.writeErr(w, e)
		return
	}
	comps, _ := json.Marshal(def.Components)
	s.mu.Lock()
	for _, t := range s.templates {
		if t.WABAID == wabaID && t.Name == def.Name && t.Language == def.Language {
			s.mu.Unlock()
			s.writeErr(w, &apiErr{400, codeInvalidParameter, 2388024, "Invalid parameter", "Content in this language already exists"})
			return
		}
	}
	s.seq++
	t := &template{ID: strconv.FormatInt(1_800_000_000_000+s.seq, 10), WABAID: wabaID, Name: def.Name, Language: def.Language,
		Category: def.Category, Status: "PENDING", ParameterFormat: def.ParameterFormat, Components: comps, def: def.Components}
	if t.ParameterFormat == "" {
		t.ParameterFormat = "POSITIONAL"
	}
	s.templates[t.ID] = t
	// Review: names starting with "reject" are rejected, the rest approved.
	if strings.HasPrefix(def.Name, "reject") {
		s.reviewLocked(t, "REJECTED", "INVALID_FORMAT", s.opts.TemplateReviewDelay)
	} else {
		s.reviewLocked(t, "APPROVED", "NONE", s.opts.TemplateReviewDelay)
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": t.ID, "status": "PENDING", "category": t.Category})
}

func readLimited(r *http.Request, max int64) ([]byte, error) {
	b := make([]byte, 0, 4096)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b = append(b, buf[:n]...)
		if int64(len(b)) > max {
			return nil, fmt.Errorf("body over %d bytes", max)
		}
		if err != nil {
			return b, nil
		}
	}
}

// reviewLocked changes a template's status after d and sends the webhook.
func (s *Sim) reviewLocked(t *template, status, reason string, d time.Duration) {
	id := t.ID
	upd := hookTemplateStatus{Event: status, MessageTemplateName: t.Name, MessageTemplateLanguage: t.Language, Reason: reason}
	upd.MessageTemplateID, _ = strconv.ParseInt(t.ID, 10, 64)
	body := envelope(t.WABAID, "message_template_status_update", upd)
	apply := func() {
		if cur := s.templates[id]; cur != nil {
			cur.Status = status
			if status == "REJECTED" {
				cur.RejectedReason = reason
			}
		}
		s.enqueueLocked(0, body)
	}
	if d <= 0 {
		apply()
		return
	}
	time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		apply()
	})
}

func (s *Sim) knownWABA(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.numbers {
		if n.WABAID == id {
			return true
		}
	}
	return false
}

func (s *Sim) handleListTemplates(w http.ResponseWriter, r *http.Request) {
	wabaID := r.PathValue("id")
	q := r.URL.Query()
	s.mu.Lock()
	var out []template
	for _, t := range s.templates {
		if t.WABAID == wabaID && (q.Get("name") == "" || t.Name == q.Get("name")) && (q.Get("status") == "" || t.Status == q.Get("status")) {
			out = append(out, *t)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	start := 0
	if a := q.Get("after"); a != "" {
		for i, t := range out {
			if t.ID == a {
				start = i + 1
			}
		}
	}
	page := out[min(start, len(out)):min(start+limit, len(out))]
	resp := map[string]any{"data": page}
	if start+limit < len(out) && len(page) > 0 {
		last := page[len(page)-1].ID
		resp["paging"] = map[string]any{"cursors": map[string]string{"before": page[0].ID, "after": last}, "next": "more"}
	}
	writeJSON(w, 200, resp)
}

func (s *Sim) handleDeleteTemplate(w http.ResponseWriter, r *http.Request) {
	wabaID, name := r.PathValue("id"), r.URL.Query().Get("name")
	if name == "" {
		s.writeErr(w, required("name is required"))
		return
	}
	s.mu.Lock()
	deleted := 0
	for id, t := range s.templates {
		if t.WABAID == wabaID && t.Name == name {
			delete(s.templates, id)
			deleted++
		}
	}
	s.mu.Unlock()
	if deleted == 0 {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 2593002, "Message template not found", "no template named " + name})
		return
	}
	writeJSON(w, 200, map[string]bool{"success": true})
}

// handleReview sets a template's status now (APPROVED, REJECTED, PAUSED,
// DISABLED) and sends message_template_status_update.
func (s *Sim) handleReview(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, 400, map[string]string{"error": "bad json"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.templateByLocked(r.PathValue("id"))
	if t == nil {
		writeJSON(w, 404, map[string]string{"error": "no such template"})
		return
	}
	if in.Reason == "" {
		in.Reason = "NONE"
	}
	s.reviewLocked(t, strings.ToUpper(in.Status), in.Reason, 0)
	writeJSON(w, 200, map[string]bool{"success": true})
}

// handleCategory changes a template's category (Meta recategorises
// templates) and sends template_category_update.
func (s *Sim) handleCategory(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Category string `json:"category"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Category == "" {
		writeJSON(w, 400, map[string]string{"error": "category required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.templateByLocked(r.PathValue("id"))
	if t == nil {
		writeJSON(w, 404, map[string]string{"error": "no such template"})
		return
	}
	upd := hookTemplateCategory{MessageTemplateName: t.Name, MessageTemplateLanguage: t.Language, PreviousCategory: t.Category, NewCategory: strings.ToUpper(in.Category)}
	upd.MessageTemplateID, _ = strconv.ParseInt(t.ID, 10, 64)
	t.Category = upd.NewCategory
	s.enqueueLocked(0, envelope(t.WABAID, "template_category_update", upd))
	writeJSON(w, 200, map[string]bool{"success": true})
}

func (s *Sim) templateByLocked(idOrName string) *template {
	var t *template
	for _, c := range s.templates {
		if c.ID == idOrName || c.Name == idOrName {
			t = c
		}
	}
	return t
}

func (s *Sim) handleSimTemplates(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var out []template
	for _, t := range s.templates {
		out = append(out, *t)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, 200, map[string]any{"data": out})
}
