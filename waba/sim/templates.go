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
	"unicode/utf8"

	"github.com/wabascrm/scrm/waba"
)

type tplComponent struct {
	Type    string `json:"type"`
	Format  string `json:"format,omitempty"`
	Text    string `json:"text,omitempty"`
	Buttons []struct {
		Type string `json:"type"`
		Text string `json:"text"`
		URL  string `json:"url,omitempty"`
	} `json:"buttons,omitempty"`
	Example json.RawMessage `json:"example,omitempty"`
}

var templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

func (s *Sim) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	wabaID := r.PathValue("id")
	var def waba.TemplateDef
	if err := json.NewDecoder(r.Body).Decode(&def); err != nil {
		s.graphError(w, 400, waba.CodeInvalidParameter, 0, "Invalid parameter", "body is not valid JSON")
		return
	}
	if !s.knownWABA(wabaID) {
		s.graphError(w, 400, waba.CodeInvalidParameter, 33, "Object with ID '"+wabaID+"' does not exist", "")
		return
	}
	if e := validateTemplateDef(def); e != nil {
		s.graphError(w, e.status, e.code, e.subcode, e.msg, e.details)
		return
	}
	s.mu.Lock()
	for _, t := range s.templates {
		if t.WABAID == wabaID && t.Name == def.Name && t.Language == def.Language {
			s.mu.Unlock()
			s.graphError(w, 400, waba.CodeInvalidParameter, 2388024, "Invalid parameter", "Content in this language already exists")
			return
		}
	}
	s.seq++
	t := &template{ID: strconv.FormatInt(1_800_000_000_000+s.seq, 10), WABAID: wabaID, Name: def.Name, Language: def.Language,
		Category: def.Category, Status: "PENDING", ParameterFormat: def.ParameterFormat, Components: def.Components}
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
	writeJSON(w, 200, waba.TemplateCreated{ID: t.ID, Status: "PENDING", Category: t.Category})
}

// reviewLocked changes a template's status after d and sends the webhook.
func (s *Sim) reviewLocked(t *template, status, reason string, d time.Duration) {
	id := t.ID
	upd := waba.TemplateStatusUpdate{Event: status, MessageTemplateName: t.Name, MessageTemplateLanguage: t.Language, Reason: reason}
	upd.MessageTemplateID, _ = strconv.ParseInt(t.ID, 10, 64)
	body := envelope(t.WABAID, waba.FieldTemplateStatusUpdate, upd)
	apply := func() {
		s.mu.Lock()
		if cur := s.templates[id]; cur != nil {
			cur.Status = status
			if status == "REJECTED" {
				cur.RejectedReason = reason
			}
		}
		s.enqueueLocked(0, body)
		s.mu.Unlock()
	}
	if d <= 0 {
		if cur := s.templates[id]; cur != nil {
			cur.Status = status
			if status == "REJECTED" {
				cur.RejectedReason = reason
			}
		}
		s.enqueueLocked(0, body)
		return
	}
	time.AfterFunc(d, apply)
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

func validateTemplateDef(def waba.TemplateDef) *apiErr {
	if !templateNameRE.MatchString(def.Name) {
		return &apiErr{400, waba.CodeInvalidParameter, 2388043, "Invalid parameter", "name must be lowercase letters, digits and underscores"}
	}
	switch def.Category {
	case "MARKETING", "UTILITY", "AUTHENTICATION":
	default:
		return badParam("category must be MARKETING, UTILITY or AUTHENTICATION")
	}
	if def.Language == "" {
		return badParam("language is required")
	}
	var comps []tplComponent
	if err := json.Unmarshal(def.Components, &comps); err != nil {
		return badParam("components must be an array of components")
	}
	hasBody := false
	for _, c := range comps {
		vars := waba.Placeholders(c.Text)
		switch strings.ToUpper(c.Type) {
		case "BODY":
			hasBody = true
			if utf8.RuneCountInString(c.Text) > 1024 {
				return &apiErr{400, waba.CodeInvalidParameter, 2388040, "Invalid parameter", "body text is longer than 1024 characters"}
			}
		case "HEADER", "FOOTER", "BUTTONS":
		default:
			return badParam("unknown component type " + c.Type)
		}
		if len(vars) > 0 && len(c.Example) == 0 {
			return &apiErr{400, waba.CodeInvalidParameter, 2388043, "Invalid parameter", "variables need example values in " + c.Type}
		}
		if def.ParameterFormat != "NAMED" {
			for i, v := range vars {
				if v != strconv.Itoa(i+1) {
					return &apiErr{400, waba.CodeInvalidParameter, 2388043, "Invalid parameter", "variables in " + c.Type + " must be {{1}}..{{n}} in order"}
				}
			}
		}
	}
	if !hasBody {
		return badParam("a BODY component is required")
	}
	return nil
}

// checkTemplateLocked finds the approved template and checks the send's
// parameters against it: 132001 unknown/unapproved, 132015 paused, 132016
// disabled, 132000 wrong count, 132012 wrong parameter type.
func (s *Sim) checkTemplateLocked(n *Number, send *waba.Template) (*template, *apiErr) {
	var t *template
	for _, c := range s.templates {
		if c.WABAID == n.WABAID && c.Name == send.Name && c.Language == send.Language.Code {
			t = c
			break
		}
	}
	missing := &apiErr{400, waba.CodeTemplateMissing, 0, "Template name does not exist in the translation",
		fmt.Sprintf("template name (%s) does not exist in %s", send.Name, send.Language.Code)}
	if t == nil {
		return nil, missing
	}
	switch t.Status {
	case "APPROVED":
	case "PAUSED":
		return nil, &apiErr{400, waba.CodeTemplatePaused, 0, "Template is paused", "template " + t.Name + " is paused because of low quality"}
	case "DISABLED":
		return nil, &apiErr{400, waba.CodeTemplateDisabled, 0, "Template has been disabled", "template " + t.Name + " is disabled"}
	default:
		missing.details = "template " + t.Name + " is " + t.Status + ", not approved"
		return nil, missing
	}
	var comps []tplComponent
	_ = json.Unmarshal(t.Components, &comps)
	sent := map[string][]waba.TemplateParameter{}
	for _, c := range send.Components {
		key := strings.ToLower(c.Type)
		if key == "button" {
			key += ":" + c.Index
		}
		sent[key] = c.Parameters
	}
	mismatch := func(what string, want, got int) *apiErr {
		return &apiErr{400, waba.CodeParamCount, 0, "Number of parameters does not match the expected number of params",
			fmt.Sprintf("%s: number of localizable_params (%d) does not match the expected number of params (%d)", what, got, want)}
	}
	format := func(d string) *apiErr {
		return &apiErr{400, waba.CodeParamFormat, 0, "Parameter format does not match format in the created template", d}
	}
	for _, c := range comps {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			got := sent["header"]
			f := strings.ToUpper(c.Format)
			if f == "" || f == "TEXT" {
				vars := waba.Placeholders(c.Text)
				if len(got) != len(vars) {
					return nil, mismatch("header", len(vars), len(got))
				}
				for _, p := range got {
					if p.Type != "text" {
						return nil, format("header parameter must be text")
					}
				}
				continue
			}
			if f == "LOCATION" {
				continue
			}
			if len(got) != 1 {
				return nil, mismatch("header", 1, len(got))
			}
			if got[0].Type != strings.ToLower(f) {
				return nil, format("header parameter must be " + strings.ToLower(f))
			}
		case "BODY":
			vars := waba.Placeholders(c.Text)
			got := sent["body"]
			if len(got) != len(vars) {
				return nil, mismatch("body", len(vars), len(got))
			}
			for i, p := range got {
				switch p.Type {
				case "text", "currency", "date_time":
				default:
					return nil, format("body parameter " + strconv.Itoa(i+1) + " must be text, currency or date_time")
				}
				if p.Type == "text" && strings.TrimSpace(p.Text) == "" {
					return nil, format("body parameter " + strconv.Itoa(i+1) + " is empty")
				}
				if t.ParameterFormat == "NAMED" {
					found := false
					for _, v := range vars {
						found = found || v == p.ParameterName
					}
					if !found {
						return nil, mismatch("body parameter_name "+strconv.Quote(p.ParameterName), len(vars), len(got))
					}
				}
			}
		case "BUTTONS":
			for i, b := range c.Buttons {
				key := "button:" + strconv.Itoa(i)
				switch b.Type {
				case "URL":
					want := len(waba.Placeholders(b.URL))
					if len(sent[key]) != want {
						return nil, mismatch("button "+strconv.Itoa(i), want, len(sent[key]))
					}
				case "COPY_CODE":
					if len(sent[key]) != 1 || sent[key][0].Type != "coupon_code" {
						return nil, mismatch("button "+strconv.Itoa(i)+" coupon_code", 1, len(sent[key]))
					}
				}
			}
		}
	}
	return t, nil
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
		s.graphError(w, 400, waba.CodeInvalidParameter, 0, "Invalid parameter", "name is required")
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
		s.graphError(w, 400, waba.CodeInvalidParameter, 2593002, "Message template not found", "no template named "+name)
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
	var t *template
	for _, c := range s.templates {
		if c.ID == r.PathValue("id") || c.Name == r.PathValue("id") {
			t = c
		}
	}
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
