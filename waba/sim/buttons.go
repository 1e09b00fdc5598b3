package sim

import (
	"encoding/json"
	"strconv"
)

// Button taps. A customer can only tap a button of a message it received,
// so a tap names that message (context) and the button, and the webhook
// carries what Meta would, not what the caller made up:
//
//   - type "button": a quick-reply button of a template message. "Triggers: a
//     WhatsApp user taps a quick-reply button in a template message"; the
//     webhook has context.id (the template message's wamid), button.text (the
//     button's label) and button.payload: the payload the send gave that
//     button (component type button, sub_type quick_reply, a parameter of
//     type payload), else the label itself.
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/button
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
//   - type "interactive": a reply button of an interactive button message;
//     button_reply carries that button's id and title.
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
//
// The caller picks a quick-reply button by its label (text), a reply button
// by its id (payload) or title (text); a payload that is not the one the
// send gave is refused, as is a message that was not sent to this customer
// from this number, never reached it, or has no such button.

// tappedLocked resolves in (type button or interactive) against the message
// in.Context and fills in.Text and in.Payload from it; the string says why
// the tap is impossible.
func (s *Sim) tappedLocked(pnid, from string, in *customerMsg) string {
	if in.Context == "" {
		return in.Type + " needs context: the wamid of the message whose button the customer taps"
	}
	var m sendRequest
	found := false
	for i := len(s.outbox) - 1; i >= 0; i-- {
		e := s.outbox[i]
		if e.WAMID != in.Context {
			continue
		}
		if e.PhoneNumberID != pnid || digits(e.To) != from || e.ErrorCode != 0 {
			return "message " + in.Context + " was not delivered to this customer from this number"
		}
		if json.Unmarshal(e.Body, &m) != nil {
			return "message " + in.Context + " cannot be read"
		}
		found = true
		break
	}
	if !found {
		return "no message " + in.Context
	}
	if in.Type == "interactive" {
		if m.Interactive == nil || m.Interactive.Type != "button" || m.Interactive.Action == nil {
			return "message " + in.Context + " has no reply buttons (it is not an interactive button message)"
		}
		for _, b := range m.Interactive.Action.Buttons {
			if (in.Payload != "" && b.Reply.ID == in.Payload) || (in.Payload == "" && in.Text != "" && b.Reply.Title == in.Text) {
				in.Payload, in.Text = b.Reply.ID, b.Reply.Title
				return ""
			}
		}
		return "message " + in.Context + " has no reply button " + strconv.Quote(in.Payload+in.Text)
	}
	if m.Template == nil {
		return "message " + in.Context + " is not a template (quick-reply buttons are a template's)"
	}
	var tpl *template
	n := s.numbers[pnid]
	for _, t := range s.templates {
		if n != nil && t.WABAID == n.WABAID && t.Name == m.Template.Name && t.Language == m.Template.Language.Code {
			tpl = t
		}
	}
	if tpl == nil {
		return "template " + m.Template.Name + " of message " + in.Context + " is gone"
	}
	for _, c := range tpl.def {
		for i, b := range c.Buttons {
			if b.Type != "QUICK_REPLY" || b.Text != in.Text || in.Text == "" {
				continue
			}
			payload := b.Text
			if p := quickReplyPayload(m.Template.Components, i); p != "" {
				payload = p
			}
			if in.Payload != "" && in.Payload != payload {
				return "button " + strconv.Quote(b.Text) + " carries payload " + strconv.Quote(payload) + " (the send's), not " + strconv.Quote(in.Payload)
			}
			in.Payload = payload
			return ""
		}
	}
	return "template " + tpl.Name + " has no quick-reply button labelled " + strconv.Quote(in.Text) + " (tap a button by its label, text)"
}

// quickReplyPayload is the payload a template send gave its button at
// index, "" when it gave none.
func quickReplyPayload(comps []sendComponent, index int) string {
	for _, c := range comps {
		if c.Type != "button" || c.SubType != "quick_reply" {
			continue
		}
		idx, err := strconv.Unquote(string(c.Index))
		if err != nil {
			idx = string(c.Index)
		}
		if idx == strconv.Itoa(index) && len(c.Parameters) == 1 && c.Parameters[0].Payload != nil {
			return *c.Parameters[0].Payload
		}
	}
	return ""
}
