package models

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Interactive kinds (InteractiveRequest.Kind).
const (
	InteractiveButtons = "buttons"
	InteractiveList    = "list"
)

// InteractiveRequest is an interactive message as the product composes it
// (an agent in the inbox, a journey's step): a body with 1-3 reply buttons,
// or a body with a list of 1-10 rows opened by a button. Meta sends these
// only inside the customer's 24-hour window. Check holds Meta's limits
// (interactive reply buttons and list messages pages: body 1024, header
// and footer 60, button titles 20 and ids 256, list button 20, row titles
// 24, descriptions 72, ids 200, ids unique) so that a refusal is a field
// error here rather than Meta's 131009 after the row was stored.
type InteractiveRequest struct {
	Kind    string              `json:"kind"`
	Header  string              `json:"header,omitempty"`
	Body    string              `json:"body"`
	Footer  string              `json:"footer,omitempty"`
	Button  string              `json:"button,omitempty"` // the list's button label
	Choices []InteractiveChoice `json:"choices"`
}

// InteractiveChoice is a reply button or a list row: its id comes back in
// the customer's tap (button_reply / list_reply).
type InteractiveChoice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"` // list rows only
}

// Check validates r against Meta's limits; field names are under prefix
// (e.g. "interactive").
func (r InteractiveRequest) Check(prefix string) error {
	f := func(name string) string { return prefix + "." + name }
	long := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	maxChoices, titleMax, idMax := 3, 20, 256
	switch r.Kind {
	case InteractiveButtons:
		if r.Button != "" {
			return FieldError(EInvalid, f("button"), "only a list has a button label")
		}
	case InteractiveList:
		maxChoices, titleMax, idMax = 10, 24, 200
		if strings.TrimSpace(r.Button) == "" || long(r.Button, 20) {
			return FieldError(EInvalid, f("button"), "a list needs a button label of at most %d characters", 20)
		}
	default:
		return FieldError(EInvalid, f("kind"), "%q is not buttons or list", r.Kind)
	}
	if strings.TrimSpace(r.Body) == "" || long(r.Body, 1024) {
		return FieldError(EInvalid, f("body"), "is required, at most %d characters", 1024)
	}
	if long(r.Header, 60) {
		return FieldError(EInvalid, f("header"), "must be at most %d characters", 60)
	}
	if long(r.Footer, 60) {
		return FieldError(EInvalid, f("footer"), "must be at most %d characters", 60)
	}
	if len(r.Choices) == 0 || len(r.Choices) > maxChoices {
		return FieldError(EInvalid, f("choices"), "a %s message has 1 to %d choices", r.Kind, maxChoices)
	}
	seen := map[string]bool{}
	for i, c := range r.Choices {
		p := fmt.Sprintf("%s[%d]", f("choices"), i)
		if c.ID == "" || long(c.ID, idMax) || seen[c.ID] {
			return FieldError(EInvalid, p+".id", "must be 1 to %d characters and unique", idMax)
		}
		seen[c.ID] = true
		if strings.TrimSpace(c.Title) == "" || long(c.Title, titleMax) {
			return FieldError(EInvalid, p+".title", "is required, at most %d characters", titleMax)
		}
		if r.Kind == InteractiveButtons && c.Description != "" {
			return FieldError(EInvalid, p+".description", "only a list row has a description")
		}
		if long(c.Description, 72) {
			return FieldError(EInvalid, p+".description", "must be at most %d characters", 72)
		}
	}
	return nil
}

// Preview is the thread's and the list's line for the message.
func (r InteractiveRequest) Preview() string {
	titles := make([]string, len(r.Choices))
	for i, c := range r.Choices {
		titles[i] = c.Title
	}
	return r.Body + " [" + strings.Join(titles, " | ") + "]"
}
