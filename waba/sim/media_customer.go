package sim

// The control hook that makes a simulated customer send a file (image,
// document, audio, video, sticker), a location or a contact card: the file
// becomes a media object the business must fetch through GET /{media-id}
// and its URL, and the webhook carries only its id, as Meta's does.

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Inbound webhook wire types for the messages this hook sends.
type (
	simHookEnvelope struct {
		Object string         `json:"object"`
		Entry  []simHookEntry `json:"entry"`
	}
	simHookEntry struct {
		ID      string          `json:"id"`
		Changes []simHookChange `json:"changes"`
	}
	simHookChange struct {
		Field string       `json:"field"`
		Value simHookValue `json:"value"`
	}
	simHookValue struct {
		MessagingProduct string `json:"messaging_product"`
		Metadata         struct {
			DisplayPhoneNumber string `json:"display_phone_number"`
			PhoneNumberID      string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts []simHookContact `json:"contacts"`
		Messages []simHookMessage `json:"messages"`
	}
	simHookContact struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WAID string `json:"wa_id"`
	}
	simHookMessage struct {
		From      string          `json:"from"`
		ID        string          `json:"id"`
		Timestamp string          `json:"timestamp"`
		Type      string          `json:"type"`
		Image     *simHookMedia   `json:"image,omitempty"`
		Document  *simHookMedia   `json:"document,omitempty"`
		Audio     *simHookMedia   `json:"audio,omitempty"`
		Video     *simHookMedia   `json:"video,omitempty"`
		Sticker   *simHookMedia   `json:"sticker,omitempty"`
		Location  json.RawMessage `json:"location,omitempty"`
		Contacts  json.RawMessage `json:"contacts,omitempty"`
	}
	simHookMedia struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		Caption  string `json:"caption,omitempty"`
		Filename string `json:"filename,omitempty"`
		Voice    bool   `json:"voice,omitempty"`
		Animated *bool  `json:"animated,omitempty"`
	}
)

// customerShare is the JSON form of the hook (location or contacts).
type customerShare struct {
	Type          string          `json:"type"` // location | contacts
	Location      json.RawMessage `json:"location"`
	Contacts      json.RawMessage `json:"contacts"`
	Name          string          `json:"name"`
	PhoneNumberID string          `json:"phoneNumberId"`
}

// handleCustomerMedia is POST /sim/customers/{phone}/media: multipart
// (file, type, caption, filename, name, phoneNumberId) for a file, or JSON
// (customerShare) for a location or contact card.
func (s *Sim) handleCustomerMedia(w http.ResponseWriter, r *http.Request) {
	from := digits(r.PathValue("phone"))
	if len(from) < 6 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "phone must be digits (E.164 without +)"})
		return
	}
	var msg simHookMessage
	var name, pnid string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in customerShare
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON: " + err.Error()})
			return
		}
		switch {
		case in.Type == "location" && json.Valid(in.Location):
			msg.Location = in.Location
		case in.Type == "contacts" && json.Valid(in.Contacts):
			msg.Contacts = in.Contacts
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "type must be location (with location) or contacts (with contacts)"})
			return
		}
		msg.Type, name, pnid = in.Type, in.Name, in.PhoneNumberID
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, 101<<20)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "multipart form with a file is required: " + err.Error()})
			return
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		f, hdr, err := r.FormFile("file")
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "field file is required"})
			return
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil || len(data) == 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the file is empty or unreadable"})
			return
		}
		ct := hdr.Header.Get("Content-Type")
		kind := r.FormValue("type")
		if kind == "" {
			rule, ok := mediaKindOf(ct)
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "give type: " + ct + " is no WhatsApp media type"})
				return
			}
			kind = rule.kind
		}
		filename := r.FormValue("filename")
		if filename == "" && kind == "document" {
			filename = hdr.Filename
		}
		name, pnid = r.FormValue("name"), r.FormValue("phoneNumberId")
		sf := &simFile{MimeType: ct, Filename: filename, Data: data, Created: s.opts.Now()}
		md := &simHookMedia{MimeType: ct, Caption: r.FormValue("caption"), Filename: filename}
		switch kind {
		case "image":
			msg.Image = md
		case "document":
			msg.Document = md
		case "audio":
			msg.Audio, md.Voice = md, strings.HasPrefix(ct, "audio/ogg")
		case "video":
			msg.Video = md
		case "sticker":
			animated := false
			msg.Sticker, md.Animated, md.Caption = md, &animated, ""
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "type must be image, document, audio, video or sticker"})
			return
		}
		msg.Type = kind
		// The file belongs to the business number it is sent to.
		sf.PhoneNumberID = pnid
		if sf.PhoneNumberID == "" {
			s.mu.Lock()
			if n := s.numberOrFirstLocked(""); n != nil {
				sf.PhoneNumberID = n.PhoneNumberID
			}
			s.mu.Unlock()
		}
		s.vault.add(sf)
		md.ID, md.SHA256 = sf.ID, sf.SHA256
	}

	s.mu.Lock()
	n := s.numbers[pnid]
	if n == nil && pnid == "" {
		n = s.numberOrFirstLocked("")
	}
	if n == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such business number"})
		return
	}
	at := s.opts.Now()
	msg.From, msg.ID, msg.Timestamp = from, s.wamidLocked(), strconv.FormatInt(at.Unix(), 10)
	s.windows[n.PhoneNumberID+"|"+from] = at
	s.counters.Inbound++
	v := simHookValue{MessagingProduct: "whatsapp", Messages: []simHookMessage{msg}}
	v.Metadata.DisplayPhoneNumber, v.Metadata.PhoneNumberID = digits(n.Display), n.PhoneNumberID
	ct := simHookContact{WAID: from}
	ct.Profile.Name = name
	v.Contacts = []simHookContact{ct}
	wabaID := n.WABAID
	s.mu.Unlock()

	body, _ := json.Marshal(simHookEnvelope{Object: "whatsapp_business_account",
		Entry: []simHookEntry{{ID: wabaID, Changes: []simHookChange{{Field: "messages", Value: v}}}}})
	out := map[string]any{"id": msg.ID}
	if md := firstMedia(&msg); md != nil {
		out["mediaId"] = md.ID
	}
	if s.opts.WebhookURL != "" {
		code, err := s.post(r.Context(), body)
		if err != nil {
			out["error"] = err.Error()
			writeJSON(w, http.StatusBadGateway, out)
			return
		}
		s.mu.Lock()
		if code < 300 {
			s.counters.WebhooksDelivered++
		} else {
			s.counters.WebhooksFailed++
		}
		s.mu.Unlock()
		out["webhookStatus"] = code
	}
	writeJSON(w, http.StatusOK, out)
}

func firstMedia(m *simHookMessage) *simHookMedia {
	for _, md := range []*simHookMedia{m.Image, m.Document, m.Audio, m.Video, m.Sticker} {
		if md != nil {
			return md
		}
	}
	return nil
}
