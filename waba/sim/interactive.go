package sim

import (
	"encoding/json"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// checkInteractive applies the documented limits of interactive messages:
// reply buttons (1-3 buttons of type reply, unique ids <= 256, titles <= 20),
// list (button label <= 20, <= 10 sections and <= 10 rows in all, row title
// <= 24, id <= 200, description <= 72, section titles required when there
// is more than one section; text header only) and cta_url (display_text
// <= 20, an http(s) url). Body <= 1024, header text and footer <= 60.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages
func checkInteractive(in *sendInteractive, media map[string]string) *apiErr {
	if in.Action == nil {
		return required("interactive.action is required")
	}
	if in.Body == nil || in.Body.Text == "" {
		return required("interactive.body.text is required")
	}
	if utf8.RuneCountInString(in.Body.Text) > 1024 {
		return invalidValue("interactive.body.text is longer than 1024 characters")
	}
	if in.Footer != nil && utf8.RuneCountInString(in.Footer.Text) > 60 {
		return invalidValue("interactive.footer.text is longer than 60 characters")
	}
	if h := in.Header; h != nil {
		if e := checkInteractiveHeader(in.Type, h, media); e != nil {
			return e
		}
	}
	a := in.Action
	switch in.Type {
	case "button":
		if a.Button != "" || len(a.Sections) > 0 || a.Name != "" || a.Parameters != nil {
			return unexpected(firstSet(map[string]bool{"button": a.Button != "", "sections": len(a.Sections) > 0, "name": a.Name != "", "parameters": a.Parameters != nil}), "interactive['action']")
		}
		if len(a.Buttons) == 0 || len(a.Buttons) > 3 {
			return invalidValue("interactive button messages need 1 to 3 buttons")
		}
		ids := map[string]bool{}
		for i, b := range a.Buttons {
			p := "interactive.action.buttons[" + strconv.Itoa(i) + "]"
			if b.Type != "reply" {
				return invalidValue(p + ".type must be reply")
			}
			if b.Reply.ID == "" || utf8.RuneCountInString(b.Reply.ID) > 256 {
				return invalidValue(p + ".reply.id is required, at most 256 characters")
			}
			if b.Reply.Title == "" || utf8.RuneCountInString(b.Reply.Title) > 20 {
				return invalidValue(p + ".reply.title is required, at most 20 characters")
			}
			if ids[b.Reply.ID] {
				return invalidValue("button ids must be unique")
			}
			ids[b.Reply.ID] = true
		}
	case "list":
		if len(a.Buttons) > 0 || a.Name != "" || a.Parameters != nil {
			return unexpected(firstSet(map[string]bool{"buttons": len(a.Buttons) > 0, "name": a.Name != "", "parameters": a.Parameters != nil}), "interactive['action']")
		}
		if a.Button == "" || utf8.RuneCountInString(a.Button) > 20 {
			return invalidValue("interactive list needs action.button of at most 20 characters")
		}
		if len(a.Sections) == 0 || len(a.Sections) > 10 {
			return invalidValue("interactive list needs 1 to 10 sections")
		}
		rows := 0
		ids := map[string]bool{}
		for _, sec := range a.Sections {
			if len(a.Sections) > 1 && sec.Title == "" {
				return required("every section needs a title when there is more than one section")
			}
			if utf8.RuneCountInString(sec.Title) > 24 {
				return invalidValue("section title is longer than 24 characters")
			}
			for _, row := range sec.Rows {
				if row.ID == "" || utf8.RuneCountInString(row.ID) > 200 || ids[row.ID] {
					return invalidValue("each list row needs a unique id of at most 200 characters")
				}
				ids[row.ID] = true
				if row.Title == "" || utf8.RuneCountInString(row.Title) > 24 {
					return invalidValue("each list row needs a title of at most 24 characters")
				}
				if utf8.RuneCountInString(row.Description) > 72 {
					return invalidValue("list row description is longer than 72 characters")
				}
				rows++
			}
		}
		if rows == 0 || rows > 10 {
			return invalidValue("interactive list needs 1 to 10 rows in all")
		}
	case "cta_url":
		if len(a.Buttons) > 0 || a.Button != "" || len(a.Sections) > 0 {
			return unexpected(firstSet(map[string]bool{"buttons": len(a.Buttons) > 0, "button": a.Button != "", "sections": len(a.Sections) > 0}), "interactive['action']")
		}
		p := a.Parameters
		if a.Name != "cta_url" || p == nil {
			return required("cta_url needs action.name cta_url and action.parameters")
		}
		if p.DisplayText == "" || utf8.RuneCountInString(p.DisplayText) > 20 {
			return invalidValue("cta_url display_text is required, at most 20 characters")
		}
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalidValue("cta_url url must be an http(s) URL")
		}
	case "":
		return required("interactive.type is required")
	default:
		return invalidValue("interactive.type must be button, list or cta_url")
	}
	return nil
}

func checkInteractiveHeader(kind string, h *interactiveHeader, media map[string]string) *apiErr {
	if kind == "list" && h.Type != "text" {
		return invalidValue("a list message header must be text")
	}
	switch h.Type {
	case "text":
		if h.Image != nil || h.Video != nil || h.Document != nil {
			return unexpected(firstSet(map[string]bool{"image": h.Image != nil, "video": h.Video != nil, "document": h.Document != nil}), "interactive['header']")
		}
		if h.Text == "" || utf8.RuneCountInString(h.Text) > 60 {
			return invalidValue("interactive.header.text is required, at most 60 characters")
		}
	case "image", "video", "document":
		if h.Text != "" {
			return unexpected("text", "interactive['header']")
		}
		var id, link string
		switch {
		case h.Type == "image" && h.Image != nil:
			id, link = h.Image.ID, h.Image.Link
		case h.Type == "video" && h.Video != nil:
			id, link = h.Video.ID, h.Video.Link
		case h.Type == "document" && h.Document != nil:
			id, link = h.Document.ID, h.Document.Link
		default:
			return required("interactive.header." + h.Type + " is required")
		}
		return checkMedia("interactive.header."+h.Type, id, link, media)
	default:
		return invalidValue("interactive.header.type must be text, image, video or document")
	}
	return nil
}

func firstSet(m map[string]bool) string {
	best := ""
	for k, v := range m {
		if v && (best == "" || k < best) {
			best = k
		}
	}
	return best
}

// listRowLocked finds row id of the interactive list message wamid that
// number pnid sent to customer from: a customer can only tap a row of a
// list it received. The string says why there is none.
func (s *Sim) listRowLocked(pnid, from, wamid, id string) (*listRow, string) {
	if wamid == "" || id == "" {
		return nil, "list_reply needs context (the list message's wamid) and payload (the row id)"
	}
	for i := len(s.outbox) - 1; i >= 0; i-- {
		e := s.outbox[i]
		if e.WAMID != wamid {
			continue
		}
		if e.PhoneNumberID != pnid || digits(e.To) != from || e.ErrorCode != 0 {
			return nil, "message " + wamid + " was not sent to this customer from this number"
		}
		var m sendRequest
		if json.Unmarshal(e.Body, &m) != nil || m.Interactive == nil || m.Interactive.Type != "list" || m.Interactive.Action == nil {
			return nil, "message " + wamid + " is not an interactive list"
		}
		for _, sec := range m.Interactive.Action.Sections {
			for j := range sec.Rows {
				if sec.Rows[j].ID == id {
					return &sec.Rows[j], ""
				}
			}
		}
		return nil, "list " + wamid + " has no row " + strconv.Quote(id)
	}
	return nil, "no message " + wamid
}
