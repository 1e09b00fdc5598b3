package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// apiErr is a refusal: HTTP status, Meta code and explanation.
type apiErr struct {
	status, code, subcode int
	msg, details          string
}

func badParam(details string) *apiErr {
	return &apiErr{status: 400, code: codeInvalidParameter, msg: "Invalid parameter", details: details}
}

func required(details string) *apiErr {
	return &apiErr{status: 400, code: codeRequiredParam, msg: "Required parameter is missing", details: details}
}

func invalidValue(details string) *apiErr {
	return &apiErr{status: 400, code: codeParamValueInvalid, msg: "Parameter value is not valid", details: details}
}

// unexpected is Graph's answer to a key that does not belong where it is.
func unexpected(key, param string) *apiErr {
	return &apiErr{status: 400, code: codeInvalidParameter, msg: fmt.Sprintf("Unexpected key %q on param %q.", key, param)}
}

// bsuidRE is a business-scoped user id: country code, a dot, alphanumerics
// (e.g. "ID.13491208655302741918").
// https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
var bsuidRE = regexp.MustCompile(`^[A-Z]{2}\.[A-Za-z0-9]{6,64}$`)

func (s *Sim) handleMessages(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(raw) > 1<<20 {
		s.graphError(w, 400, codeInvalidParameter, 0, "Invalid parameter", "request body is unreadable or over 1 MiB")
		return
	}
	var m sendRequest
	if e := strictDecode(raw, &m); e != nil {
		s.refuseUnparsed(r.PathValue("id"), raw, e)
		s.writeErr(w, e)
		return
	}
	pnid := r.PathValue("id")
	if m.Status != "" {
		if e := s.markRead(pnid, &m, raw); e != nil {
			s.writeErr(w, e)
			return
		}
		writeJSON(w, 200, map[string]bool{"success": true})
		return
	}
	res, e := s.send(pnid, m, raw)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	writeJSON(w, 200, res)
}

func (s *Sim) writeErr(w http.ResponseWriter, e *apiErr) {
	s.graphError(w, e.status, e.code, e.subcode, e.msg, e.details)
}

// refuseUnparsed records a body refused before it could be read as a send,
// so tests and the outbox see every refusal.
func (s *Sim) refuseUnparsed(pnid string, raw []byte, e *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	body := json.RawMessage(raw)
	if !json.Valid(raw) {
		body, _ = json.Marshal(string(raw))
	}
	s.outbox = append(s.outbox, OutboxEntry{Seq: s.seq, At: s.opts.Now(), PhoneNumberID: pnid, Body: body, ErrorCode: e.code})
	s.counters.Rejected[strconv.Itoa(e.code)]++
}

// markRead: {"messaging_product","status":"read","message_id",
// "typing_indicator":{"type":"text"}}; nothing else may be in the body.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read
// https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators
func (s *Sim) markRead(pnid string, m *sendRequest, raw []byte) *apiErr {
	if s.number(pnid) == nil {
		return &apiErr{400, codeInvalidParameter, 33, "Unsupported post request. Object with ID '" + pnid + "' does not exist", ""}
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys)
	for k := range keys {
		switch k {
		case "messaging_product", "status", "message_id", "typing_indicator":
		default:
			return unexpected(k, "body")
		}
	}
	if m.MessagingProduct != "whatsapp" {
		return required("messaging_product must be \"whatsapp\"")
	}
	if m.Status != "read" {
		return invalidValue("status must be \"read\"")
	}
	if m.MessageID == "" {
		return required("message_id is required")
	}
	if m.TypingIndicator != nil && m.TypingIndicator.Type != "text" {
		return invalidValue("typing_indicator.type must be \"text\"")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.inbound[m.MessageID]
	if !ok || in.number != pnid {
		return invalidValue("message_id " + m.MessageID + " is not a message this number received")
	}
	s.counters.Reads++
	if m.TypingIndicator != nil {
		s.counters.Typing++
	}
	s.reads = append(s.reads, ReadEntry{At: s.opts.Now(), PhoneNumberID: pnid, MessageID: m.MessageID, Typing: m.TypingIndicator != nil})
	return nil
}

// send validates and accepts one message, recording it in the outbox and
// scheduling its status webhooks.
func (s *Sim) send(pnid string, m sendRequest, raw []byte) (map[string]any, *apiErr) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.numbers[pnid]
	if n == nil {
		return nil, &apiErr{400, codeInvalidParameter, 33, "Unsupported post request. Object with ID '" + pnid + "' does not exist", ""}
	}
	input := m.To
	if input == "" {
		input = m.Recipient
	}
	entry := OutboxEntry{At: now, PhoneNumberID: pnid, To: input, Type: m.Type, BizOpaque: m.BizOpaque, Body: json.RawMessage(raw)}
	if m.Context != nil {
		entry.ReplyTo = m.Context.MessageID
	}
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
	u := s.resolveLocked(m.To, m.Recipient)
	// Account state (account_update): a banned or locked number sends
	// nothing; a restricted one no business-initiated messages.
	if n.Banned {
		return refuse(&apiErr{400, codeAccountLocked, 0, "Access denied", "the WhatsApp Business Account is disabled (account_update DISABLED_UPDATE)"})
	}
	if m.Context != nil {
		if e := s.checkContextLocked(pnid, u, m.Context.MessageID); e != nil {
			return refuse(e)
		}
	}
	// Throughput: sends per number per 1-second window.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
	sec := now.Unix()
	per := s.counters.PerSecond[pnid]
	if per == nil {
		per = map[int64]int{}
		s.counters.PerSecond[pnid] = per
	}
	if per[sec] >= n.ThroughputMPS {
		return refuse(&apiErr{400, codeThroughput, 0, "Rate limit hit", fmt.Sprintf("more than %d messages per second from this number", n.ThroughputMPS)})
	}
	// Pair rate: 1 message per 6 s to one user, bursts up to 45 that are
	// paid back at that rate (a leaky bucket).
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits (pair rate limits)
	pairKey := pnid + "|" + u.key
	level := s.pairLevelLocked(pairKey, now)
	if level+1 > float64(s.opts.PairLimit) {
		return refuse(&apiErr{400, codePairRate, 0, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."})
	}
	var tpl *template
	if m.Type == "template" {
		var e *apiErr
		if tpl, e = s.checkTemplateLocked(n, m.Template); e != nil {
			return refuse(e)
		}
	}
	windowOpen := false
	if t, ok := s.windows[pnid+"|"+u.key]; ok && now.Sub(t) < 24*time.Hour {
		windowOpen = true
	}
	if tpl != nil && !windowOpen && n.Restricted {
		return refuse(&apiErr{400, codePolicyBlocked, 0, "Temporarily blocked for policies violations",
			"business-initiated messaging is restricted on this account (account_update ACCOUNT_RESTRICTION)"})
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
		if t, seen := users[u.key]; (!seen || now.Sub(t) >= 24*time.Hour) && count >= tierLimit(n.LimitTier) {
			return refuse(&apiErr{400, codeSpamRate, 0, "Spam Rate limit hit", fmt.Sprintf("portfolio messaging limit %s reached (%d unique users in 24h)", n.LimitTier, count)})
		}
		users[u.key] = now
	}
	per[sec]++
	if per[sec] > s.counters.MaxPerSecond[pnid] {
		s.counters.MaxPerSecond[pnid] = per[sec]
	}
	s.pairs[pairKey] = pairState{level: level + 1, at: now}

	wamid := s.wamidLocked()
	s.seq++
	entry.Seq, entry.WAMID = s.seq, wamid
	s.counters.Accepted++
	s.counters.ByType[m.Type]++
	// Asynchronous failures arrive as a failed status, like Meta.
	var fail *hookErrorOb
	switch {
	case u.phone != "" && s.notOnWA[u.phone]:
		fail = hookError(codeUndeliverable, "Message undeliverable", "Message Undeliverable.")
	case m.Type != "template" && m.Type != "reaction" && !windowOpen:
		fail = hookError(codeReEngagement, "Re-engagement message",
			"Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
	case tpl != nil && tpl.Category == "MARKETING" && s.optedOut[u.key]:
		// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes (131050)
		fail = hookError(codeMarketingOptOut, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
			"The user stopped marketing messages from this business (user_preferences stop).")
	}
	if fail != nil {
		entry.ErrorCode, entry.FailedAsync = fail.Code, true
		s.counters.FailedAsync[strconv.Itoa(fail.Code)]++
	}
	// Free entry point: the business's first message within 24 h of a
	// customer's message from a click-to-WhatsApp ad opens 72 h, from that
	// message, in which every message is free (templates too); later
	// replies to the same referral do not extend it.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing (free entry point)
	epKey := pnid + "|" + u.key
	if ref, ok := s.referrals[epKey]; ok && fail == nil && !now.Before(ref) && now.Sub(ref) < 24*time.Hour {
		if opened, ok := s.entryPoints[epKey]; !ok || opened.Before(ref) {
			s.entryPoints[epKey] = now
		}
	}
	entryPoint := false
	if t, ok := s.entryPoints[epKey]; ok && now.Sub(t) < 72*time.Hour {
		entryPoint = true
	}
	s.outbox = append(s.outbox, entry)
	info := sentInfo{number: pnid, user: u}
	if tpl != nil {
		info.quickReply = quickReplies(tpl.def)
	}
	s.sentMsgs[wamid] = info
	held := fail == nil && s.holdLocked(n, tpl, wamid, u, m.BizOpaque, pricingOf(tpl, windowOpen, entryPoint)) // pacing.go
	if !held {
		s.scheduleStatusesLocked(n, wamid, u, m.BizOpaque, fail, pricingOf(tpl, windowOpen, entryPoint), tpl)
	}

	contact := map[string]string{"input": input}
	if u.phone != "" {
		contact["wa_id"] = u.phone
	}
	if u.bsuid != "" {
		contact["user_id"] = u.bsuid
	}
	msg := map[string]string{"id": wamid}
	if m.Type == "template" {
		msg["message_status"] = "accepted"
		if held {
			msg["message_status"] = "held_for_quality_assessment"
		}
	}
	return map[string]any{"messaging_product": "whatsapp", "contacts": []map[string]string{contact}, "messages": []map[string]string{msg}}, nil
}

// pricingOf is the per-message pricing of a send: templates are charged
// (utility ones free inside the customer-service window), free-form replies
// inside the window are free_customer_service, and everything inside a
// click-to-WhatsApp ad's 72h entry point is free_entry_point.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
func pricingOf(tpl *template, windowOpen, entryPoint bool) hookPricing {
	category := "service"
	if tpl != nil {
		category = strings.ToLower(tpl.Category)
	}
	p := hookPricing{PricingModel: "PMP", Category: category}
	switch {
	case entryPoint:
		p.Type = "free_entry_point"
	case tpl == nil || (category == "utility" && windowOpen):
		p.Type = "free_customer_service"
	default:
		p.Type, p.Billable = "regular", true
	}
	return p
}

func hookError(code int, title, details string) *hookErrorOb {
	e := &hookErrorOb{Code: code, Title: title, Message: title,
		Href: "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes"}
	e.ErrorData.Details = details
	return e
}

// pairLevelLocked is the pair bucket's level now (drained at one message
// per PairWindow).
func (s *Sim) pairLevelLocked(key string, now time.Time) float64 {
	p, ok := s.pairs[key]
	if !ok {
		return 0
	}
	level := p.level - float64(now.Sub(p.at))/float64(s.opts.PairWindow)
	if level < 0 {
		level = 0
	}
	return level
}

// checkContextLocked: a reply quotes a message of this conversation.
func (s *Sim) checkContextLocked(pnid string, u user, wamid string) *apiErr {
	if wamid == "" {
		return required("context.message_id is required")
	}
	if in, ok := s.inbound[wamid]; ok && in.number == pnid {
		return nil
	}
	if out, ok := s.sentMsgs[wamid]; ok && out.number == pnid {
		return nil
	}
	return invalidValue("context.message_id " + wamid + " is not a message of this business number")
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

// validateMessage applies Meta's request rules per message type (the
// strict decoder already refused unknown keys and keys on the wrong media
// type, e.g. caption on audio or filename on image).
func validateMessage(m *sendRequest, media map[string]string) *apiErr {
	if m.MessagingProduct != "whatsapp" {
		return required("messaging_product must be \"whatsapp\"")
	}
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return invalidValue("recipient_type must be individual")
	}
	switch {
	case m.To != "" && m.Recipient != "":
		return badParam("give either to (phone number) or recipient (business-scoped user id), not both")
	case m.To != "":
		if d := digits(m.To); d != strings.TrimPrefix(m.To, "+") || len(d) < 6 || len(d) > 15 {
			return invalidValue("to: recipient phone number is not valid")
		}
	case m.Recipient != "":
		if !bsuidRE.MatchString(m.Recipient) {
			return invalidValue("recipient: not a business-scoped user id (CC.alphanumeric)")
		}
	default:
		return required("to or recipient is required")
	}
	if len(m.BizOpaque) > 512 {
		return invalidValue("biz_opaque_callback_data must be at most 512 characters")
	}
	// Exactly the object named by type may be present.
	present := map[string]bool{"text": m.Text != nil, "image": m.Image != nil, "video": m.Video != nil, "document": m.Document != nil,
		"audio": m.Audio != nil, "sticker": m.Sticker != nil, "location": m.Location != nil, "template": m.Template != nil,
		"interactive": m.Interactive != nil, "reaction": m.Reaction != nil}
	if m.Type == "" {
		m.Type = "text" // Meta's default type
	}
	if _, known := present[m.Type]; !known {
		return &apiErr{400, codeUnsupportedType, 0, "Message type unknown", "type " + m.Type + " is not supported"}
	}
	for k, p := range present {
		if p && k != m.Type {
			return unexpected(k, "body")
		}
	}
	if !present[m.Type] {
		return required(m.Type + " object is required for type " + m.Type)
	}
	if m.Type == "reaction" && m.Context != nil {
		return unexpected("context", "body")
	}
	switch m.Type {
	case "text":
		if strings.TrimSpace(m.Text.Body) == "" {
			return required("text.body is required")
		}
		if utf8.RuneCountInString(m.Text.Body) > 4096 {
			return invalidValue("text.body is longer than 4096 characters")
		}
	case "image", "video":
		md := m.Image
		if m.Type == "video" {
			md = m.Video
		}
		if e := checkMedia(m.Type, md.ID, md.Link, media); e != nil {
			return e
		}
		if utf8.RuneCountInString(md.Caption) > 1024 {
			return invalidValue(m.Type + ".caption is longer than 1024 characters")
		}
	case "document":
		if e := checkMedia("document", m.Document.ID, m.Document.Link, media); e != nil {
			return e
		}
		if utf8.RuneCountInString(m.Document.Caption) > 1024 {
			return invalidValue("document.caption is longer than 1024 characters")
		}
	case "audio":
		return checkMedia("audio", m.Audio.ID, m.Audio.Link, media)
	case "sticker":
		return checkMedia("sticker", m.Sticker.ID, m.Sticker.Link, media)
	case "location":
		if m.Location.Latitude < -90 || m.Location.Latitude > 90 || m.Location.Longitude < -180 || m.Location.Longitude > 180 {
			return invalidValue("location latitude/longitude out of range")
		}
	case "template":
		if m.Template.Name == "" || m.Template.Language.Code == "" {
			return required("template.name and template.language.code are required")
		}
		if p := m.Template.Language.Policy; p != "" && p != "deterministic" {
			return invalidValue("template.language.policy must be deterministic")
		}
	case "interactive":
		return checkInteractive(m.Interactive, media)
	case "reaction":
		if m.Reaction.MessageID == "" {
			return required("reaction.message_id is required")
		}
	}
	return nil
}

// checkMedia: a media object has exactly one of id (an uploaded media id)
// or link (an http(s) URL).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/image-messages
func checkMedia(kind, id, link string, media map[string]string) *apiErr {
	switch {
	case id != "" && link != "":
		return badParam(kind + ": use either id or link, not both")
	case id != "":
		if _, ok := media[id]; !ok {
			return invalidValue(kind + ".id " + id + " is not an uploaded media id")
		}
	case link != "":
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalidValue(kind + ".link must be an http(s) URL")
		}
	default:
		return required(kind + ": id or link is required")
	}
	return nil
}
