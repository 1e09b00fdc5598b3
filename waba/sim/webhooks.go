package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// user is a WhatsApp user as the simulator knows them: by phone, by
// business-scoped user id, or both. key identifies them for windows, pair
// rate and opt-outs (the phone when known).
type user struct {
	key, phone, bsuid string
}

func (s *Sim) resolveLocked(to, recipient string) user {
	if to != "" {
		p := digits(to)
		return user{key: p, phone: p, bsuid: s.phoneBSUID[p]}
	}
	u := user{key: recipient, bsuid: recipient}
	if p, ok := s.bsuidPhone[recipient]; ok {
		u.key, u.phone = p, p
	}
	return u
}

// envelope wraps one change in Meta's webhook envelope.
func envelope(wabaID, field string, value any) []byte {
	b, _ := json.Marshal(hookEnvelope{Object: "whatsapp_business_account",
		Entry: []hookEntry{{ID: wabaID, Time: time.Now().Unix(), Changes: []hookChange{{Field: field, Value: value}}}}})
	return b
}

func metadataOf(n *Number) hookMetadata {
	return hookMetadata{DisplayPhoneNumber: digits(n.Display), PhoneNumberID: n.PhoneNumberID}
}

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
// Statuses carry the per-message pricing object on sent and delivered.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
func (s *Sim) scheduleStatusesLocked(n *Number, wamid string, u user, bizOpaque string, fail *hookErrorOb, pricing hookPricing, tpl *template) {
	type step struct {
		status string
		delay  time.Duration
	}
	var steps []step
	if fail != nil {
		steps = []step{{"failed", s.opts.SentDelay}}
	} else {
		steps = []step{{"sent", s.opts.SentDelay}, {"delivered", s.opts.DeliveredDelay}}
		if s.rng.Float64() < *s.opts.ReadRate {
			steps = append(steps, step{"read", s.opts.ReadDelay})
		}
	}
	now := s.opts.Now()
	for _, st := range steps {
		status := hookStatus{ID: wamid, Status: st.status, Timestamp: strconv.FormatInt(now.Add(st.delay).Unix(), 10),
			RecipientID: u.phone, RecipientUserID: u.bsuid, BizOpaque: bizOpaque}
		if fail != nil {
			status.Errors = []hookErrorOb{*fail}
		} else if st.status != "read" {
			p := pricing
			status.Pricing = &p
		}
		if s.rng.Float64() < s.opts.Loss {
			s.counters.WebhooksDropped++
			continue
		}
		due := st.delay
		if s.rng.Float64() < s.opts.Reorder {
			due += time.Duration(s.rng.Int64N(int64(2*s.opts.ReadDelay + time.Millisecond)))
		}
		body := envelope(n.WABAID, "messages", hookMessagesValue{MessagingProduct: "whatsapp", Metadata: metadataOf(n), Statuses: []hookStatus{status}})
		s.enqueueLocked(due, body)
		if s.rng.Float64() < s.opts.Duplicate {
			s.enqueueLocked(due+time.Duration(s.rng.Int64N(int64(50*time.Millisecond))), body)
		}
	}
	// A persona may answer once the message was read.
	if p := s.opts.Persona; p != nil && fail == nil && u.phone != "" && s.rng.Float64() < p.ReplyRate {
		in := customerMsg{Type: "text", Name: "Pelanggan " + u.phone[max(0, len(u.phone)-4):]}
		var qr []string
		if tpl != nil {
			qr = quickReplies(tpl.def)
		}
		switch {
		case p.PressButton && len(qr) > 0:
			// The payload is the one the send gave the button (buttons.go).
			tap := customerMsg{Type: "button", Text: qr[s.rng.IntN(len(qr))], Context: wamid}
			if s.tappedLocked(n.PhoneNumberID, u.phone, &tap) == "" {
				in.Type, in.Text, in.Payload = "button", tap.Text, tap.Payload
			} else {
				in.Text = tap.Text
			}
		case len(p.Texts) > 0:
			in.Text = p.Texts[s.rng.IntN(len(p.Texts))]
		default:
			in.Text = "Baik, terima kasih 🙏"
		}
		in.Context = wamid
		body, _ := s.inboundLocked(n, u.phone, in, now.Add(s.opts.ReadDelay+p.Delay))
		s.enqueueLocked(s.opts.ReadDelay+p.Delay, body)
	}
}

// quickReplies lists the quick-reply button texts of template components.
func quickReplies(def []tplCompDef) []string {
	var out []string
	for _, c := range def {
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
	// list_reply taps row Payload of the list message Context (which must
	// be a list this number sent this customer; title from the row); button
	// taps the quick-reply button labelled Text of the template Context,
	// interactive the reply button Payload (id) or Text (title) of the
	// button message Context (buttons.go).
	Type          string `json:"type"` // text (default), button, interactive, list_reply, reaction, image
	Text          string `json:"text"`
	Payload       string `json:"payload"` // button payload or interactive reply id
	Name          string `json:"name"`
	PhoneNumberID string `json:"phoneNumberId"` // business number (default: the first)
	Context       string `json:"context"`       // wamid being answered
	UserID        string `json:"userId"`        // BSUID
	HidePhone     bool   `json:"hidePhone"`     // send only the BSUID
	// Referral: the user came from a click-to-WhatsApp ad (a reply within
	// 24 h opens a 72 h free entry point).
	Referral *struct {
		SourceID string `json:"sourceId"`
		Headline string `json:"headline"`
		Body     string `json:"body"`
		URL      string `json:"url"`
	} `json:"referral"`
	description string // of a tapped list row
}

// inboundLocked builds an inbound webhook and opens the window.
func (s *Sim) inboundLocked(n *Number, from string, in customerMsg, at time.Time) ([]byte, string) {
	wamid := s.wamidLocked()
	if in.UserID != "" {
		s.bsuidPhone[in.UserID], s.phoneBSUID[from] = from, in.UserID
	}
	s.windows[n.PhoneNumberID+"|"+from] = at
	s.inbound[wamid] = inboundInfo{number: n.PhoneNumberID, from: from}
	s.counters.Inbound++
	msg := hookMessage{From: from, ID: wamid, Timestamp: strconv.FormatInt(at.Unix(), 10), Type: in.Type}
	if in.Context != "" {
		msg.Context = &hookContext{From: digits(n.Display), ID: in.Context}
	}
	switch in.Type {
	case "button":
		msg.Button = &hookButton{Payload: in.Payload, Text: in.Text}
	case "interactive":
		msg.Interactive = &hookInteractive{Type: "button_reply", ButtonReply: &hookRow{ID: in.Payload, Title: in.Text}}
	case "list_reply":
		msg.Type = "interactive"
		msg.Interactive = &hookInteractive{Type: "list_reply", ListReply: &hookRow{ID: in.Payload, Title: in.Text, Description: in.description}}
	case "reaction":
		msg.Reaction = &hookReaction{MessageID: in.Context, Emoji: in.Text}
		msg.Context = nil
	case "image":
		id := strconv.FormatInt(2_000_000_000_000+s.seq, 10)
		s.media[id] = "image/jpeg"
		msg.Image = &hookMedia{ID: id, MimeType: "image/jpeg", Caption: in.Text}
	default:
		msg.Type = "text"
		msg.Text = &hookText{Body: in.Text}
	}
	if r := in.Referral; r != nil {
		s.referrals[n.PhoneNumberID+"|"+from] = at
		msg.Referral = &hookReferral{SourceURL: r.URL, SourceID: r.SourceID, SourceType: "ad", Headline: r.Headline, Body: r.Body,
			MediaType: "image", CTWAClid: "ARA" + strconv.FormatInt(s.seq, 36)}
	}
	contact := hookContact{WAID: from, UserID: in.UserID}
	contact.Profile.Name = in.Name
	if in.HidePhone && in.UserID != "" {
		contact.WAID, msg.From, msg.FromUserID = "", "", in.UserID
	} else if in.UserID != "" {
		msg.FromUserID = in.UserID
	}
	v := hookMessagesValue{MessagingProduct: "whatsapp", Metadata: metadataOf(n), Contacts: []hookContact{contact}, Messages: []hookMessage{msg}}
	return envelope(n.WABAID, "messages", v), wamid
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
	if in.UserID != "" && !bsuidRE.MatchString(in.UserID) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "userId must be a BSUID like ID.1234567890"})
		return
	}
	if in.Type == "" {
		in.Type = "text"
	}
	s.mu.Lock()
	n := s.numberOrFirstLocked(in.PhoneNumberID)
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such business number"})
		return
	}
	if in.Type == "list_reply" {
		row, msg := s.listRowLocked(n.PhoneNumberID, from, in.Context, in.Payload) // interactive.go
		if row == nil {
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		in.Text, in.description = row.Title, row.Description
	}
	if in.Type == "button" || in.Type == "interactive" {
		if msg := s.tappedLocked(n.PhoneNumberID, from, &in); msg != "" { // buttons.go
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
	}
	body, wamid := s.inboundLocked(n, from, in, s.opts.Now())
	s.mu.Unlock()
	s.deliverNow(w, r, body, wamid)
}

// deliverNow posts a webhook synchronously and answers with its status.
func (s *Sim) deliverNow(w http.ResponseWriter, r *http.Request, body []byte, id string) {
	status := 0
	if s.opts.WebhookURL != "" {
		code, err := s.post(r.Context(), body)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]any{"id": id, "error": err.Error()})
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
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "webhookStatus": status})
}

func (s *Sim) numberOrFirstLocked(id string) *Number {
	if id != "" {
		return s.numbers[id]
	}
	var best *Number
	for _, n := range s.numbers {
		if best == nil || n.PhoneNumberID < best.PhoneNumberID {
			best = n
		}
	}
	return best
}

// handlePreference: the customer stops or resumes marketing messages
// (user_preferences webhook); while stopped, marketing templates to them
// fail with 131050 like Meta's.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
func (s *Sim) handlePreference(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Value         string `json:"value"` // stop | resume
		PhoneNumberID string `json:"phoneNumberId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || (in.Value != "stop" && in.Value != "resume") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `value must be "stop" or "resume"`})
		return
	}
	from := digits(r.PathValue("phone"))
	s.mu.Lock()
	n := s.numberOrFirstLocked(in.PhoneNumberID)
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such business number"})
		return
	}
	s.optedOut[from] = in.Value == "stop"
	detail := "User requested to stop marketing messages"
	if in.Value == "resume" {
		detail = "User requested to resume marketing messages"
	}
	pref := hookPreference{WAID: from, UserID: s.phoneBSUID[from], Detail: detail, Category: "marketing_messages", Value: in.Value, Timestamp: s.opts.Now().Unix()}
	v := hookMessagesValue{MessagingProduct: "whatsapp", Metadata: metadataOf(n), Contacts: []hookContact{{WAID: from, UserID: s.phoneBSUID[from]}},
		UserPreferences: []hookPreference{pref}}
	body := envelope(n.WABAID, "user_preferences", v)
	s.mu.Unlock()
	s.deliverNow(w, r, body, "")
}

// handleChangeNumber: the customer moved to a new phone number
// (user_changed_number, system.wa_id = the new number; a new number gets a
// new BSUID, sent as user_changed_user_id when newUserId is given).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system
func (s *Sim) handleChangeNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		NewPhone      string `json:"newPhone"`
		NewUserID     string `json:"newUserId"`
		PhoneNumberID string `json:"phoneNumberId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || (in.NewPhone == "" && in.NewUserID == "") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "newPhone or newUserId required"})
		return
	}
	if in.NewUserID != "" && !bsuidRE.MatchString(in.NewUserID) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "newUserId must be a BSUID"})
		return
	}
	from := digits(r.PathValue("phone"))
	s.mu.Lock()
	n := s.numberOrFirstLocked(in.PhoneNumberID)
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such business number"})
		return
	}
	wamid := s.wamidLocked()
	ts := strconv.FormatInt(s.opts.Now().Unix(), 10)
	oldUser := s.phoneBSUID[from]
	msg := hookMessage{From: from, FromUserID: oldUser, ID: wamid, Timestamp: ts, Type: "system"}
	if in.NewPhone != "" {
		np := digits(in.NewPhone)
		msg.System = &hookSystem{Type: "user_changed_number", WAID: np, Body: "User " + from + " changed from " + from + " to " + np}
		// The window and the ids follow the user to the new number.
		if t, ok := s.windows[n.PhoneNumberID+"|"+from]; ok {
			s.windows[n.PhoneNumberID+"|"+np] = t
		}
		if in.NewUserID != "" {
			s.phoneBSUID[np], s.bsuidPhone[in.NewUserID] = in.NewUserID, np
		}
	} else {
		msg.System = &hookSystem{Type: "user_changed_user_id", UserID: in.NewUserID, Body: "User " + from + " changed their business-scoped user id"}
		s.phoneBSUID[from], s.bsuidPhone[in.NewUserID] = in.NewUserID, from
	}
	v := hookMessagesValue{MessagingProduct: "whatsapp", Metadata: metadataOf(n), Contacts: []hookContact{{WAID: from, UserID: oldUser}}, Messages: []hookMessage{msg}}
	body := envelope(n.WABAID, "messages", v)
	s.mu.Unlock()
	s.deliverNow(w, r, body, wamid)
}

// handleEcho: the business answered from the WhatsApp Business app on a
// coexistence number (smb_message_echoes).
func (s *Sim) handleEcho(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || digits(in.To) == "" || in.Text == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "to and text required"})
		return
	}
	s.mu.Lock()
	n := s.numbers[r.PathValue("id")]
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such number"})
		return
	}
	wamid := s.wamidLocked()
	echo := hookEcho{From: digits(n.Display), To: digits(in.To), ID: wamid, Timestamp: strconv.FormatInt(s.opts.Now().Unix(), 10), Type: "text", Text: &hookText{Body: in.Text}}
	body := envelope(n.WABAID, "smb_message_echoes", hookMessagesValue{MessagingProduct: "whatsapp", Metadata: metadataOf(n), MessageEchoes: []hookEcho{echo}})
	s.mu.Unlock()
	s.deliverNow(w, r, body, wamid)
}

// handleAccount sends account_update and applies it: ACCOUNT_RESTRICTION
// (restriction_info, e.g. RESTRICTED_BIZ_INITIATED_MESSAGING) refuses
// business-initiated sends with 368; DISABLED_UPDATE (ban) refuses every
// send with 131031; REINSTATED / an empty restriction lifts both.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
func (s *Sim) handleAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Event           string `json:"event"` // ACCOUNT_RESTRICTION, DISABLED_UPDATE, ACCOUNT_VIOLATION, REINSTATED
		RestrictionType string `json:"restrictionType"`
		ViolationType   string `json:"violationType"`
		Hours           int    `json:"hours"`
		// DelaySeconds applies the change at once but delivers its
		// webhook later: Meta's sends answer 368/131031 from the moment of
		// the restriction, and its account_update may come after them.
		DelaySeconds int `json:"delaySeconds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Event == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "event required"})
		return
	}
	s.mu.Lock()
	n := s.numbers[r.PathValue("id")]
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such number"})
		return
	}
	upd := hookAccountUpdate{PhoneNumber: digits(n.Display), Event: strings.ToUpper(in.Event)}
	switch upd.Event {
	case "ACCOUNT_RESTRICTION":
		if in.RestrictionType == "" {
			in.RestrictionType = "RESTRICTED_BIZ_INITIATED_MESSAGING"
		}
		if in.Hours == 0 {
			in.Hours = 24
		}
		upd.RestrictionInfo = []hookRestriction{{RestrictionType: in.RestrictionType, Expiration: s.opts.Now().Add(time.Duration(in.Hours) * time.Hour).Unix()}}
		n.Restricted = true
	case "DISABLED_UPDATE":
		upd.BanInfo = &hookBan{WABABanState: []string{"DISABLE"}, WABABanDate: s.opts.Now().Format("2006-01-02")}
		n.Banned = true
	case "ACCOUNT_VIOLATION":
		if in.ViolationType == "" {
			in.ViolationType = "SPAM"
		}
		upd.ViolationInfo = &hookViolation{ViolationType: in.ViolationType}
	case "REINSTATED":
		upd.BanInfo = &hookBan{WABABanState: []string{"REINSTATE"}, WABABanDate: s.opts.Now().Format("2006-01-02")}
		n.Banned, n.Restricted = false, false
	default:
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "event must be ACCOUNT_RESTRICTION, DISABLED_UPDATE, ACCOUNT_VIOLATION or REINSTATED"})
		return
	}
	body := envelope(n.WABAID, "account_update", upd)
	if in.DelaySeconds > 0 {
		s.enqueueLocked(time.Duration(in.DelaySeconds)*time.Second, body)
		s.mu.Unlock()
		writeJSON(w, http.StatusAccepted, map[string]any{"webhookIn": in.DelaySeconds})
		return
	}
	s.mu.Unlock()
	s.deliverNow(w, r, body, "")
}
