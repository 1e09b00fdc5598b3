package templates

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Edit is what a message_template_components_update says an edited
// template now reads: its body, text header and footer, and its URL and
// phone-number buttons in order (Meta lists only those).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_components_update
type Edit struct {
	Body, Header, Footer string
	Buttons              []EditButton
}

// EditButton is one URL or PHONE_NUMBER button of an Edit.
type EditButton struct{ Type, Text, URL, PhoneNumber string }

// ApplyEdit returns the stored components with the edit applied, so the
// copy the product renders and fills parameters from reads as Meta's does
// (a send built from the old body would be refused with 132000 when the
// edit changed its variables). Keys it does not touch are kept as stored.
func ApplyEdit(components json.RawMessage, e Edit) (json.RawMessage, error) {
	var comps []map[string]any
	if len(components) > 0 {
		if err := json.Unmarshal(components, &comps); err != nil {
			return nil, fmt.Errorf("stored components: %w", err)
		}
	}
	kind := func(c map[string]any, k string) string { s, _ := c[k].(string); return strings.ToUpper(s) }
	hasFooter := false
	for _, c := range comps {
		switch kind(c, "type") {
		case "BODY":
			if e.Body != "" {
				c["text"] = e.Body
			}
		case "HEADER":
			if f := kind(c, "format"); e.Header != "" && (f == "" || f == "TEXT") {
				c["text"] = e.Header
			}
		case "FOOTER":
			hasFooter = true
			if e.Footer != "" {
				c["text"] = e.Footer
			}
		case "BUTTONS":
			btns, _ := c["buttons"].([]any)
			next := 0
			for _, b := range btns {
				bm, ok := b.(map[string]any)
				if !ok || next >= len(e.Buttons) {
					continue
				}
				t := kind(bm, "type")
				if t != "URL" && t != "PHONE_NUMBER" {
					continue
				}
				eb := e.Buttons[next]
				next++
				if eb.Text != "" {
					bm["text"] = eb.Text
				}
				if eb.URL != "" {
					bm["url"] = eb.URL
				}
				if eb.PhoneNumber != "" {
					bm["phone_number"] = eb.PhoneNumber
				}
			}
		}
	}
	if !hasFooter && e.Footer != "" {
		// A footer added by the edit goes before the buttons, as Meta orders them.
		at := len(comps)
		for i, c := range comps {
			if kind(c, "type") == "BUTTONS" {
				at = i
			}
		}
		comps = append(comps[:at], append([]map[string]any{{"type": "FOOTER", "text": e.Footer}}, comps[at:]...)...)
	}
	return json.Marshal(comps)
}
