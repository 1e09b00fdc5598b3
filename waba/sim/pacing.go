package sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Template pacing, as Meta describes it: "messages will be sent normally
// until an unspecified threshold is reached. Once this threshold is
// reached, subsequent messages using that template will be held to allow
// enough time for customer feedback. Once Meta receives a good quality
// signal, subsequent messages using that template will be scaled to the
// entire target audience. If Meta receives a bad quality signal, subsequent
// messages using that template will be dropped." A held send is answered
// with message_status held_for_quality_assessment and gets no status until
// the verdict; on a bad verdict the template is PAUSED
// (message_template_status_update) and every held message fails with 132015.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing
// https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api (message_status)

// pacing is one template's: how many sends still go out before holding
// starts, and what is held.
type pacing struct {
	left int
	held []heldSend
}

type heldSend struct {
	n         *Number
	wamid     string
	u         user
	bizOpaque string
	pricing   hookPricing
	tpl       *template
}

// holdLocked reports whether the accepted send wamid of tpl is held by its
// template's pacing, and keeps it if so.
func (s *Sim) holdLocked(n *Number, tpl *template, wamid string, u user, bizOpaque string, p hookPricing) bool {
	if tpl == nil {
		return false
	}
	pc := s.paced[tpl.ID]
	if pc == nil {
		return false
	}
	if pc.left > 0 {
		pc.left--
		return false
	}
	pc.held = append(pc.held, heldSend{n: n, wamid: wamid, u: u, bizOpaque: bizOpaque, pricing: p, tpl: tpl})
	s.counters.Held++
	return true
}

// handlePacing starts a template's pacing ({"threshold": n}: n more sends
// go out, the rest are held) or gives Meta's verdict ({"verdict": "good"}:
// the held messages go out and later sends are no longer held; "bad": the
// template is paused and the held messages fail with 132015).
func (s *Sim) handlePacing(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Threshold *int   `json:"threshold"`
		Verdict   string `json:"verdict"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || (in.Threshold == nil) == (in.Verdict == "") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "threshold or verdict (good|bad) required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.templateByLocked(r.PathValue("id"))
	if t == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such template"})
		return
	}
	if in.Threshold != nil {
		s.paced[t.ID] = &pacing{left: max(0, *in.Threshold)}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return
	}
	pc := s.paced[t.ID]
	if pc == nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "template is not paced"})
		return
	}
	delete(s.paced, t.ID)
	switch strings.ToLower(in.Verdict) {
	case "good":
		for _, h := range pc.held {
			s.scheduleStatusesLocked(h.n, h.wamid, h.u, h.bizOpaque, nil, h.pricing, h.tpl)
		}
	case "bad":
		s.reviewLocked(t, "PAUSED", "LOW_QUALITY", 0)
		for _, h := range pc.held {
			fail := hookError(codeTemplatePaused, "Template is Paused",
				"The message was held by template pacing and dropped: early feedback on the template was bad.")
			s.counters.FailedAsync["132015"]++
			s.scheduleStatusesLocked(h.n, h.wamid, h.u, h.bizOpaque, fail, h.pricing, h.tpl)
		}
	default:
		s.paced[t.ID] = pc
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "verdict must be good or bad"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "held": len(pc.held)})
}
