package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wabascrm/scrm/waba"
)

// apiErr is a refusal of a send: HTTP status, Meta code and explanation.
type apiErr struct {
	status, code, subcode int
	msg, details          string
}

func badParam(details string) *apiErr {
	return &apiErr{status: 400, code: waba.CodeInvalidParameter, msg: "Invalid parameter", details: details}
}

func (s *Sim) handleMessages(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(r)
	if err != nil {
		s.graphError(w, 400, waba.CodeInvalidParameter, 0, "Invalid parameter", err.Error())
		return
	}
	var m waba.OutboundMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		s.graphError(w, 400, waba.CodeInvalidParameter, 0, "Invalid parameter", "request body is not valid JSON: "+err.Error())
		return
	}
	pnid := r.PathValue("id")
	if m.Status == "read" { // mark as read
		if s.number(pnid) == nil {
			s.graphError(w, 400, waba.CodeInvalidParameter, 33, "Object with ID '"+pnid+"' does not exist", "")
			return
		}
		if m.MessageID == "" {
			s.graphError(w, 400, waba.CodeInvalidParameter, 0, "Invalid parameter", "message_id is required")
			return
		}
		writeJSON(w, 200, map[string]bool{"success": true})
		return
	}
	res, e := s.send(pnid, m, raw)
	if e != nil {
		s.graphError(w, e.status, e.code, e.subcode, e.msg, e.details)
		return
	}
	writeJSON(w, 200, res)
}

func readBody(r *http.Request) ([]byte, error) {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if b.Len() > 1<<20 {
			return nil, fmt.Errorf("body too large")
		}
		if err != nil {
			break
		}
	}
	return []byte(b.String()), nil
}

// send validates and accepts one message, recording it in the outbox and
// scheduling its status webhooks.
func (s *Sim) send(pnid string, m waba.OutboundMessage, raw []byte) (map[string]any, *apiErr) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.numbers[pnid]
	if n == nil {
		return nil, &apiErr{400, waba.CodeInvalidParameter, 33, "Unsupported post request. Object with ID '" + pnid + "' does not exist", ""}
	}
	entry := OutboxEntry{At: now, PhoneNumberID: pnid, To: m.To, Type: m.Type, BizOpaque: m.BizOpaqueCallbackData, Body: json.RawMessage(raw)}
	refuse := func(e *apiErr) (map[string]any, *apiErr) {
		s.seq++
		entry.Seq, entry.ErrorCode = s.seq, e.code
		s.outbox = append(s.outbox, entry)
		s.counters.Rejected[strconv.Itoa(e.code)]++
		return nil, e
	}
	if e := validateMessage(&m, s.media); e != nil {
		return refuse(e)
	}
	to := digits(m.To)
	// Throughput: sends per number per 1-second window.
	sec := now.Unix()
	per := s.counters.PerSecond[pnid]
	if per == nil {
		per = map[int64]int{}
		s.counters.PerSecond[pnid] = per
	}
	if per[sec] >= n.ThroughputMPS {
		return refuse(&apiErr{400, waba.CodeThroughput, 0, "Rate limit hit", fmt.Sprintf("more than %d messages per second from this number", n.ThroughputMPS)})
	}
	// Pair rate: too many messages to the same user too fast.
	pairKey := pnid + "|" + to
	var recent []time.Time
	for _, t := range s.pairSends[pairKey] {
		if now.Sub(t) < s.opts.PairWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= s.opts.PairLimit {
		s.pairSends[pairKey] = recent
		return refuse(&apiErr{400, waba.CodePairRate, 0, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."})
	}
	var tpl *template
	if m.Type == "template" {
		var e *apiErr
		if tpl, e = s.checkTemplateLocked(n, m.Template); e != nil {
			return refuse(e)
		}
	}
	windowOpen := false
	if t, ok := s.windows[pnid+"|"+to]; ok && now.Sub(t) < 24*time.Hour {
		windowOpen = true
	}
	// Portfolio messaging limit: unique users reached with business-initiated
	// messages in a rolling 24h, shared by the portfolio's numbers.
	if tpl != nil && !windowOpen {
		users := s.reached[n.PortfolioID]
		if users == nil {
			users = map[string]time.Time{}
			s.reached[n.PortfolioID] = users
		}
		count := 0
		for _, t := range users {
			if now.Sub(t) < 24*time.Hour {
				count++
			}
		}
		if t, seen := users[to]; (!seen || now.Sub(t) >= 24*time.Hour) && count >= tierLimit(n.LimitTier) {
			return refuse(&apiErr{400, waba.CodeSpamRate, 0, "Spam Rate limit hit", fmt.Sprintf("portfolio messaging limit %s reached (%d unique users in 24h)", n.LimitTier, count)})
		}
		users[to] = now
	}
	per[sec]++
	if per[sec] > s.counters.MaxPerSecond[pnid] {
		s.counters.MaxPerSecond[pnid] = per[sec]
	}
	s.pairSends[pairKey] = append(recent, now)

	wamid := s.wamidLocked()
	s.seq++
	entry.Seq, entry.WAMID = s.seq, wamid
	s.counters.Accepted++
	s.counters.ByType[m.Type]++
	// Asynchronous failures arrive as a failed status, like Meta.
	asyncCode, asyncTitle, asyncDetails := 0, "", ""
	switch {
	case s.notOnWA[to]:
		asyncCode, asyncTitle, asyncDetails = waba.CodeUndeliverable, "Message undeliverable", "Message Undeliverable."
	case m.Type != "template" && m.Type != "reaction" && !windowOpen:
		asyncCode, asyncTitle = waba.CodeReEngagement, "Re-engagement message"
		asyncDetails = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
	}
	if asyncCode != 0 {
		entry.ErrorCode, entry.FailedAsync = asyncCode, true
		s.counters.FailedAsync[strconv.Itoa(asyncCode)]++
	}
	s.outbox = append(s.outbox, entry)
	info := sentInfo{number: pnid, to: to}
	if tpl != nil {
		info.quickReply = quickReplies(tpl.Components)
	}
	s.sentMsgs[wamid] = info
	s.scheduleStatusesLocked(n, wamid, to, &m, asyncCode, asyncTitle, asyncDetails, windowOpen, tpl)

	res := map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": m.To, "wa_id": to}},
	}
	msg := map[string]string{"id": wamid}
	if m.Type == "template" {
		msg["message_status"] = "accepted"
	}
	res["messages"] = []map[string]string{msg}
	return res, nil
}

func tierLimit(tier string) int {
	switch tier {
	case "TIER_50":
		return 50
	case "TIER_250", "":
		return 250
	case "TIER_1K":
		return 1000
	case "TIER_2K":
		return 2000
	case "TIER_10K":
		return 10000
	case "TIER_100K":
		return 100000
	}
	return 1 << 30 // TIER_UNLIMITED
}

// validateMessage applies Meta's request validation for each type.
func validateMessage(m *waba.OutboundMessage, media map[string]string) *apiErr {
	if m.MessagingProduct != "whatsapp" {
		return badParam("messaging_product must be \"whatsapp\"")
	}
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return badParam("recipient_type must be individual")
	}
	if d := digits(m.To); d == "" || len(d) < 6 || len(d) > 15 {
		return &apiErr{400, waba.CodeParamValueInvalid, 0, "(#131009) Parameter value is not valid", "to: recipient phone number is not valid"}
	}
	if len(m.BizOpaqueCallbackData) > 512 {
		return badParam("biz_opaque_callback_data must be at most 512 characters")
	}
	switch m.Type {
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Body) == "" {
			return badParam("text.body is required")
		}
		if utf8.RuneCountInString(m.Text.Body) > 4096 {
			return &apiErr{400, waba.CodeParamValueInvalid, 0, "Parameter value is not valid", "text.body is longer than 4096 characters"}
		}
	case "image", "video", "audio", "document", "sticker":
		md := m.MediaOf()
		if md == nil {
			return badParam(m.Type + " object is required")
		}
		if e := checkMedia(m.Type, md, media); e != nil {
			return e
		}
	case "template":
		if m.Template == nil || m.Template.Name == "" || m.Template.Language.Code == "" {
			return badParam("template.name and template.language.code are required")
		}
	case "interactive":
		return checkInteractive(m.Interactive)
	case "reaction":
		if m.Reaction == nil || m.Reaction.MessageID == "" {
			return badParam("reaction.message_id is required")
		}
	case "":
		return badParam("type is required")
	default:
		return &apiErr{400, waba.CodeUnsupportedType, 0, "Message type unknown", "type " + m.Type + " is not supported"}
	}
	return nil
}

func checkMedia(kind string, md *waba.Media, media map[string]string) *apiErr {
	switch {
	case md.ID != "" && md.Link != "":
		return badParam(kind + ": use either id or link, not both")
	case md.ID != "":
		if _, ok := media[md.ID]; !ok {
			return &apiErr{400, waba.CodeParamValueInvalid, 0, "Parameter value is not valid", kind + ".id " + md.ID + " is not an uploaded media id"}
		}
	case md.Link != "":
		u, err := url.Parse(md.Link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &apiErr{400, waba.CodeParamValueInvalid, 0, "Parameter value is not valid", kind + ".link must be an http(s) URL"}
		}
	default:
		return badParam(kind + ": id or link is required")
	}
	return nil
}

func checkInteractive(in *waba.Interactive) *apiErr {
	if in == nil {
		return badParam("interactive object is required")
	}
	if in.Body == nil || in.Body.Text == "" {
		return badParam("interactive.body.text is required")
	}
	if utf8.RuneCountInString(in.Body.Text) > 1024 {
		return badParam("interactive.body.text is longer than 1024 characters")
	}
	switch in.Type {
	case "button":
		if len(in.Action.Buttons) == 0 || len(in.Action.Buttons) > 3 {
			return badParam("interactive button messages need 1 to 3 buttons")
		}
		ids := map[string]bool{}
		for _, b := range in.Action.Buttons {
			if b.Reply.ID == "" || b.Reply.Title == "" || utf8.RuneCountInString(b.Reply.Title) > 20 {
				return badParam("each button needs an id and a title of at most 20 characters")
			}
			if ids[b.Reply.ID] {
				return badParam("button ids must be unique")
			}
			ids[b.Reply.ID] = true
		}
	case "list":
		if in.Action.Button == "" || utf8.RuneCountInString(in.Action.Button) > 20 {
			return badParam("interactive list needs action.button of at most 20 characters")
		}
		rows := 0
		for _, sec := range in.Action.Sections {
			for _, row := range sec.Rows {
				if row.ID == "" || row.Title == "" || utf8.RuneCountInString(row.Title) > 24 {
					return badParam("each list row needs an id and a title of at most 24 characters")
				}
				rows++
			}
		}
		if rows == 0 || rows > 10 || len(in.Action.Sections) > 10 {
			return badParam("interactive list needs 1 to 10 rows")
		}
	case "cta_url":
		p := in.Action.Parameters
		if in.Action.Name != "cta_url" || p == nil || p.DisplayText == "" || p.URL == "" {
			return badParam("cta_url needs action.name cta_url and parameters display_text and url")
		}
	default:
		return badParam("interactive.type must be button, list or cta_url")
	}
	return nil
}
