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

// hookHistory is the value of a history webhook: the past chats of a
// coexistence number, in chunks of threads.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/history
type hookHistory struct {
	MessagingProduct string             `json:"messaging_product"`
	Metadata         hookMetadata       `json:"metadata"`
	History          []hookHistoryChunk `json:"history"`
}

type hookHistoryChunk struct {
	Metadata struct {
		Phase      int `json:"phase"`
		ChunkOrder int `json:"chunk_order"`
		Progress   int `json:"progress"`
	} `json:"metadata"`
	Threads []hookHistoryThread `json:"threads"`
}

type hookHistoryThread struct {
	ID       string               `json:"id"`
	Messages []hookHistoryMessage `json:"messages"`
}

type hookHistoryMessage struct {
	From           string    `json:"from"`
	ID             string    `json:"id"`
	Timestamp      string    `json:"timestamp"`
	Type           string    `json:"type"`
	Text           *hookText `json:"text,omitempty"`
	HistoryContext struct {
		Status string `json:"status"`
	} `json:"history_context"`
}

// handleHistory sends one history chunk for a number:
// {"progress":100,"threads":[{"user":"628...","messages":[{"fromBusiness":true,"text":"...","secondsAgo":3600,"status":"READ"}]}]}.
func (s *Sim) handleHistory(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phase, ChunkOrder, Progress int
		Threads                     []struct {
			User     string
			Messages []struct {
				FromBusiness bool
				Text         string
				SecondsAgo   int64
				Status       string
			}
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Threads) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "threads required"})
		return
	}
	s.mu.Lock()
	n := s.numbers[r.PathValue("id")]
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such number"})
		return
	}
	chunk := hookHistoryChunk{}
	chunk.Metadata.Phase, chunk.Metadata.ChunkOrder, chunk.Metadata.Progress = in.Phase, in.ChunkOrder, in.Progress
	now := s.opts.Now()
	for _, th := range in.Threads {
		ht := hookHistoryThread{ID: digits(th.User)}
		for _, m := range th.Messages {
			hm := hookHistoryMessage{From: digits(th.User), ID: s.wamidLocked(), Type: "text", Text: &hookText{Body: m.Text},
				Timestamp: strconv.FormatInt(now.Unix()-m.SecondsAgo, 10)}
			if m.FromBusiness {
				hm.From = digits(n.Display)
				hm.HistoryContext.Status = m.Status
				if hm.HistoryContext.Status == "" {
					hm.HistoryContext.Status = "DELIVERED"
				}
			}
			ht.Messages = append(ht.Messages, hm)
		}
		chunk.Threads = append(chunk.Threads, ht)
	}
	body := envelope(n.WABAID, "history", hookHistory{MessagingProduct: "whatsapp", Metadata: metadataOf(n), History: []hookHistoryChunk{chunk}})
	s.mu.Unlock()
	s.deliverNow(w, r, body, "")
}
