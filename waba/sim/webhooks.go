package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/wabascrm/scrm/waba"
)

// enqueueLocked is enqueue for callers holding s.mu.
func (s *Sim) enqueueLocked(d time.Duration, body []byte) {
	if s.opts.WebhookURL == "" {
		return
	}
	s.seq++
	s.queue = append(s.queue, webhookItem{due: time.Now().Add(d), seq: s.seq, body: body})
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// scheduleStatusesLocked queues sent -> delivered -> read (or failed)
// webhooks with the configured delays, loss, duplication and reordering.
func (s *Sim) scheduleStatusesLocked(n *Number, wamid, to string, m *waba.OutboundMessage, failCode int, failTitle, failDetails string, windowOpen bool, tpl *template) {
	type step struct {
		status string
		delay  time.Duration
	}
	var steps []step
	if failCode != 0 {
		steps = []step{{"failed", s.opts.SentDelay}}
	} else {
		steps = []step{{"sent", s.opts.SentDelay}, {"delivered", s.opts.DeliveredDelay}}
		if s.rng.Float64() < *s.opts.ReadRate {
			steps = append(steps, step{"read", s.opts.ReadDelay})
		}
	}
	now := s.opts.Now()
	category := "service"
	if tpl != nil {
		category = map[string]string{"MARKETING": "marketing", "UTILITY": "utility", "AUTHENTICATION": "authentication"}[tpl.Category]
	}
	billable := tpl != nil && (category != "utility" || !windowOpen)
	for _, st := range steps {
		status := waba.Status{ID: wamid, Status: st.status, Timestamp: strconv.FormatInt(now.Add(st.delay).Unix(), 10),
			RecipientID: to, BizOpaqueCallbackData: m.BizOpaqueCallbackData}
		if st.status == "failed" {
			e := waba.ErrorObject{Code: failCode, Title: failTitle, Message: failTitle}
			e.ErrorData.Details = failDetails
			status.Errors = []waba.ErrorObject{e}
		} else if st.status != "read" {
			status.Pricing = &waba.Pricing{Billable: billable, PricingModel: "PMP", Category: category, Type: "regular"}
		}
		if s.rng.Float64() < s.opts.Loss {
			s.counters.WebhooksDropped++
			continue
		}
		due := st.delay
		if s.rng.Float64() < s.opts.Reorder {
			due += time.Duration(s.rng.Int64N(int64(2*s.opts.ReadDelay + time.Millisecond)))
		}
		body := envelope(n.WABAID, waba.FieldMessages, waba.MessagesValue{MessagingProduct: "whatsapp",
			Metadata: waba.Metadata{DisplayPhoneNumber: digits(n.Display), PhoneNumberID: n.PhoneNumberID}, Statuses: []waba.Status{status}})
		s.enqueueLocked(due, body)
		if s.rng.Float64() < s.opts.Duplicate {
			s.enqueueLocked(due+time.Duration(s.rng.Int64N(int64(50*time.Millisecond))), body)
		}
	}
	// A persona may answer once the message was read.
	if p := s.opts.Persona; p != nil && failCode == 0 && s.rng.Float64() < p.ReplyRate {
		in := customerMsg{Type: "text", Name: "Pelanggan " + to[max(0, len(to)-4):]}
		qr := quickReplies(nil)
		if tpl != nil {
			qr = quickReplies(tpl.Components)
		}
		switch {
		case p.PressButton && len(qr) > 0:
			pick := qr[s.rng.IntN(len(qr))]
			in.Type, in.Text, in.Payload = "button", pick, pick
		case len(p.Texts) > 0:
			in.Text = p.Texts[s.rng.IntN(len(p.Texts))]
		default:
			in.Text = "Baik, terima kasih 🙏"
		}
		in.Context = wamid
		body, _ := s.inboundLocked(n, to, in, now.Add(s.opts.ReadDelay+p.Delay))
		s.enqueueLocked(s.opts.ReadDelay+p.Delay, body)
	}
}

// quickReplies lists the quick-reply button texts of template components.
func quickReplies(components json.RawMessage) []string {
	var comps []struct {
		Type    string `json:"type"`
		Buttons []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"buttons"`
	}
	_ = json.Unmarshal(components, &comps)
	var out []string
	for _, c := range comps {
		for _, b := range c.Buttons {
			if b.Type == "QUICK_REPLY" {
				out = append(out, b.Text)
			}
		}
	}
	return out
}

// customerMsg is the body of POST /sim/customers/{phone}/messages.
type customerMsg struct {
	Type          string `json:"type"` // text (default), button, interactive, reaction, image
	Text          string `json:"text"`
	Payload       string `json:"payload"` // button payload or interactive reply id
	Name          string `json:"name"`
	PhoneNumberID string `json:"phoneNumberId"` // business number (default: the first)
	Context       string `json:"context"`       // wamid being answered
	UserID        string `json:"userId"`        // BSUID
	HidePhone     bool   `json:"hidePhone"`     // send only the BSUID
}

// inboundLocked builds a signed-ready inbound webhook and opens the window.
func (s *Sim) inboundLocked(n *Number, from string, in customerMsg, at time.Time) ([]byte, string) {
	wamid := s.wamidLocked()
	s.windows[n.PhoneNumberID+"|"+from] = at
	s.counters.Inbound++
	msg := waba.InboundMessage{From: from, ID: wamid, Timestamp: strconv.FormatInt(at.Unix(), 10), Type: in.Type}
	if in.Context != "" {
		msg.Context = &waba.MessageContext{From: digits(n.Display), ID: in.Context}
	}
	switch in.Type {
	case "button":
		msg.Button = &waba.ButtonReply{Payload: in.Payload, Text: in.Text}
	case "interactive":
		msg.Interactive = &waba.InteractiveReply{Type: "button_reply", ButtonReply: &waba.ReplyRow{ID: in.Payload, Title: in.Text}}
	case "reaction":
		msg.Reaction = &waba.Reaction{MessageID: in.Context, Emoji: in.Text}
		msg.Context = nil
	case "image":
		msg.Image = &waba.Media{ID: strconv.FormatInt(2_000_000_000_000+s.seq, 10), MimeType: "image/jpeg", Caption: in.Text}
	default:
		msg.Type = "text"
		msg.Text = &waba.Text{Body: in.Text}
	}
	contact := waba.WebhookContact{WAID: from, UserID: in.UserID}
	contact.Profile.Name = in.Name
	if in.HidePhone && in.UserID != "" {
		contact.WAID, msg.From, msg.FromUserID = "", "", in.UserID
	}
	v := waba.MessagesValue{MessagingProduct: "whatsapp", Metadata: waba.Metadata{DisplayPhoneNumber: digits(n.Display), PhoneNumberID: n.PhoneNumberID},
		Contacts: []waba.WebhookContact{contact}, Messages: []waba.InboundMessage{msg}}
	return envelope(n.WABAID, waba.FieldMessages, v), wamid
}

// handleCustomerMessage makes a simulated customer write to the business.
// The webhook is delivered before the answer, which reports its status.
func (s *Sim) handleCustomerMessage(w http.ResponseWriter, r *http.Request) {
	var in customerMsg
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON: " + err.Error()})
		return
	}
	from := digits(r.PathValue("phone"))
	if len(from) < 6 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "phone must be digits (E.164 without +)"})
		return
	}
	if in.Type == "" {
		in.Type = "text"
	}
	s.mu.Lock()
	n := s.numbers[in.PhoneNumberID]
	if n == nil && in.PhoneNumberID == "" {
		n = s.firstNumberLocked()
	}
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such business number"})
		return
	}
	body, wamid := s.inboundLocked(n, from, in, s.opts.Now())
	s.mu.Unlock()
	status := 0
	if s.opts.WebhookURL != "" {
		code, err := s.post(r.Context(), body)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]any{"id": wamid, "error": err.Error()})
			return
		}
		status = code
		s.mu.Lock()
		if code < 300 {
			s.counters.WebhooksDelivered++
		} else {
			s.counters.WebhooksFailed++
		}
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": wamid, "webhookStatus": status})
}

func (s *Sim) firstNumberLocked() *Number {
	var best *Number
	for _, n := range s.numbers {
		if best == nil || n.PhoneNumberID < best.PhoneNumberID {
			best = n
		}
	}
	return best
}
