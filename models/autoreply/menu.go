package autoreply

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/waba"
)

// Meta's limits of interactive messages (messages/interactive-reply-buttons,
// interactive-list): a body of at most 1024 characters, 1-3 reply buttons
// with titles of at most 20, a list of at most 10 rows with titles of at
// most 24 and a button label of at most 20.
const (
	MaxMenuBody     = 1024
	MaxButtons      = 3
	MaxButtonTitle  = 20
	MaxListRows     = 10
	MaxRowTitle     = 24
	DefaultListOpen = "Pilih"
)

var choiceIDRE = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

// validate checks a menu whose body is body and returns it trimmed.
func (m Menu) validate(body string) (Menu, error) {
	maxChoices, maxTitle := MaxButtons, MaxButtonTitle
	switch m.Type {
	case MenuButtons:
		m.Button = ""
	case MenuList:
		maxChoices, maxTitle = MaxListRows, MaxRowTitle
		if m.Button = strings.TrimSpace(m.Button); m.Button == "" {
			m.Button = DefaultListOpen
		}
		if utf8.RuneCountInString(m.Button) > MaxButtonTitle {
			return m, models.FieldError(models.EInvalid, "menu.button", "must be at most %d characters", MaxButtonTitle)
		}
	default:
		return m, models.FieldError(models.EInvalid, "menu.type", "%q is not buttons or list", m.Type)
	}
	if utf8.RuneCountInString(body) > MaxMenuBody {
		return m, models.FieldError(models.EInvalid, "reply", "must be at most %d characters", MaxMenuBody)
	}
	if len(m.Choices) == 0 || len(m.Choices) > maxChoices {
		return m, models.FieldError(models.EInvalid, "menu.choices", "a %s menu has 1 to %d choices", m.Type, maxChoices)
	}
	seen := map[string]bool{}
	out := make([]Choice, len(m.Choices))
	for i, c := range m.Choices {
		c.ID, c.Title, c.Reply = strings.TrimSpace(c.ID), strings.TrimSpace(c.Title), strings.TrimSpace(c.Reply)
		if !choiceIDRE.MatchString(c.ID) || seen[c.ID] {
			return m, models.FieldError(models.EInvalid, "menu.choices", "choice id %q must be 1-40 of a-z, 0-9, _ or - and unique", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || utf8.RuneCountInString(c.Title) > maxTitle {
			return m, models.FieldError(models.EInvalid, "menu.choices", "choice %q needs a title of at most %d characters", c.ID, maxTitle)
		}
		if utf8.RuneCountInString(c.Reply) > MaxReply {
			return m, models.FieldError(models.EInvalid, "menu.choices", "the answer of choice %q is longer than %d characters", c.ID, MaxReply)
		}
		if c.Reply == "" && c.RouteTeamID == nil && !c.Handover {
			return m, models.FieldError(models.EInvalid, "menu.choices", "choice %q must answer, route or hand over", c.ID)
		}
		out[i] = c
	}
	m.Choices = out
	return m, nil
}

// MenuMessage is the interactive message of rule ruleID's menu with body:
// its choices' ids are the taps' (TapID), built like any interactive send.
func MenuMessage(ruleID int64, body string, m Menu) waba.OutboundMessage {
	req := models.InteractiveRequest{Kind: models.InteractiveButtons, Body: body}
	if m.Type == MenuList {
		req.Kind, req.Button = models.InteractiveList, m.Button
	}
	for _, c := range m.Choices {
		req.Choices = append(req.Choices, models.InteractiveChoice{ID: TapID(ruleID, c.ID), Title: c.Title})
	}
	return waba.OutboundMessage{Type: "interactive", Interactive: inbox.WABAInteractive(req)}
}
