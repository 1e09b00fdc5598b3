package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// hookTemplateComponents is message_template_components_update: a
// template was edited; its body (element), text header (title) and footer.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_components_update
type hookTemplateComponents struct {
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	MessageTemplateElement  string `json:"message_template_element"`
	MessageTemplateTitle    string `json:"message_template_title,omitempty"`
	MessageTemplateFooter   string `json:"message_template_footer,omitempty"`
}

// handleEdit edits a template as the business would in WhatsApp Manager
// ({"body","header","footer"}): later sends are checked against the new
// text (its variables), and message_template_components_update is sent.
func (s *Sim) handleEdit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body, Header, Footer string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.templateByLocked(r.PathValue("id"))
	if t == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such template"})
		return
	}
	upd := hookTemplateComponents{MessageTemplateName: t.Name, MessageTemplateLanguage: t.Language, MessageTemplateElement: in.Body}
	upd.MessageTemplateID, _ = strconv.ParseInt(t.ID, 10, 64)
	for i := range t.def {
		c := &t.def[i]
		switch c.Type {
		case "BODY":
			body := in.Body
			c.Text = &body
		case "HEADER":
			if c.Format == "TEXT" && in.Header != "" {
				h := in.Header
				c.Text, upd.MessageTemplateTitle = &h, h
			}
		case "FOOTER":
			if in.Footer != "" {
				f := in.Footer
				c.Text, upd.MessageTemplateFooter = &f, f
			}
		}
	}
	t.Components, _ = json.Marshal(t.def)
	s.enqueueLocked(0, envelope(t.WABAID, "message_template_components_update", upd))
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
