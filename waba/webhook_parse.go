package waba

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParsedChange is one decoded change. Exactly one of the pointers is set
// for known fields; Unknown is true for fields this package does not know.
type ParsedChange struct {
	WABAID          string
	Field           string
	Messages        *MessagesValue
	TemplateStatus  *TemplateStatusUpdate
	TemplateQuality *TemplateQualityUpdate
	PhoneQuality    *PhoneQualityUpdate
	Account         *AccountUpdate
	// Preferences and Echoes reuse MessagesValue (their values have its shape).
	Preferences      *MessagesValue
	Echoes           *MessagesValue
	History          *MessagesValue
	TemplateCategory *TemplateCategoryUpdate
	// TemplateComponents: the template was edited.
	TemplateComponents *TemplateComponentsUpdate
	Unknown            bool
}

// Parsed is a decoded webhook. Warnings list what was ignored (unknown
// fields, unknown change types, undecodable values) so the receiver can log
// it while still acknowledging the delivery.
type Parsed struct {
	Object   string
	Changes  []ParsedChange
	Warnings []string
}

// ErrMalformed is returned when the body is not a webhook envelope at all.
var ErrMalformed = errors.New("waba: malformed webhook body")

// ParseWebhook decodes a raw webhook body. It fails only when the body is
// not a JSON envelope; a change that cannot be decoded becomes a warning.
func ParseWebhook(body []byte) (*Parsed, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p := &Parsed{Object: env.Object}
	if env.Object != "" && env.Object != "whatsapp_business_account" {
		p.Warnings = append(p.Warnings, "unexpected object "+strconv.Quote(env.Object))
	}
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			pc := ParsedChange{WABAID: e.ID, Field: ch.Field}
			var target any
			switch ch.Field {
			case FieldMessages:
				pc.Messages = &MessagesValue{}
				target = pc.Messages
			case FieldTemplateStatusUpdate:
				pc.TemplateStatus = &TemplateStatusUpdate{}
				target = pc.TemplateStatus
			case FieldTemplateQualityUpdate:
				pc.TemplateQuality = &TemplateQualityUpdate{}
				target = pc.TemplateQuality
			case FieldPhoneQualityUpdate:
				pc.PhoneQuality = &PhoneQualityUpdate{}
				target = pc.PhoneQuality
			case FieldAccountUpdate:
				pc.Account = &AccountUpdate{}
				target = pc.Account
			case FieldUserPreferences:
				pc.Preferences = &MessagesValue{}
				target = pc.Preferences
			case FieldEchoes:
				pc.Echoes = &MessagesValue{}
				target = pc.Echoes
			case FieldHistory:
				pc.History = &MessagesValue{}
				target = pc.History
			case FieldTemplateCategory:
				pc.TemplateCategory = &TemplateCategoryUpdate{}
				target = pc.TemplateCategory
			case FieldTemplateComponents:
				pc.TemplateComponents = &TemplateComponentsUpdate{}
				target = pc.TemplateComponents
			default:
				pc.Unknown = true
				p.Warnings = append(p.Warnings, "unknown change field "+strconv.Quote(ch.Field))
				p.Changes = append(p.Changes, pc)
				continue
			}
			if len(ch.Value) == 0 || string(ch.Value) == "null" {
				p.Warnings = append(p.Warnings, "empty value for field "+ch.Field)
				continue
			}
			if err := json.Unmarshal(ch.Value, target); err != nil {
				p.Warnings = append(p.Warnings, fmt.Sprintf("field %s: cannot decode value: %v", ch.Field, err))
				continue
			}
			if w := unknownKeys(ch.Value, target); w != "" {
				p.Warnings = append(p.Warnings, fmt.Sprintf("field %s: %s", ch.Field, w))
			}
			p.Changes = append(p.Changes, pc)
		}
	}
	return p, nil
}

// unknownKeys re-decodes strictly to report the first field we do not
// model (Meta adds fields; we log them rather than fail).
func unknownKeys(raw json.RawMessage, like any) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	fresh := newLike(like)
	if fresh == nil {
		return ""
	}
	if err := dec.Decode(fresh); err != nil && strings.Contains(err.Error(), "unknown field") {
		return err.Error()
	}
	return ""
}

func newLike(v any) any {
	switch v.(type) {
	case *MessagesValue:
		return &MessagesValue{}
	case *TemplateStatusUpdate:
		return &TemplateStatusUpdate{}
	case *TemplateQualityUpdate:
		return &TemplateQualityUpdate{}
	case *PhoneQualityUpdate:
		return &PhoneQualityUpdate{}
	case *AccountUpdate:
		return &AccountUpdate{}
	case *TemplateCategoryUpdate:
		return &TemplateCategoryUpdate{}
	}
	return nil
}

// ParseTimestamp reads Meta's unix-seconds string; zero or junk gives fallback.
func ParseTimestamp(s string, fallback time.Time) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return fallback
	}
	return time.Unix(n, 0).UTC()
}

// KnownMessageType reports whether t is an inbound type this package
// models; anything else is stored as "unsupported" with its raw payload.
func KnownMessageType(t string) bool {
	switch t {
	case "text", "image", "video", "audio", "document", "sticker", "button", "interactive",
		"reaction", "location", "contacts", "order", "system", "unsupported", "request_welcome":
		return true
	}
	return false
}

// Summary is the human text of an inbound message for previews and search.
func (m InboundMessage) Summary() string {
	switch {
	case m.Text != nil:
		return m.Text.Body
	case m.Button != nil:
		return m.Button.Text
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		return m.Interactive.ButtonReply.Title
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		return m.Interactive.ListReply.Title
	case m.Reaction != nil:
		return m.Reaction.Emoji
	case m.Location != nil:
		if m.Location.Name != "" {
			return m.Location.Name
		}
		return m.Location.Address
	}
	for _, md := range []*Media{m.Image, m.Video, m.Document, m.Audio, m.Sticker} {
		if md != nil {
			if md.Caption != "" {
				return md.Caption
			}
			return md.Filename
		}
	}
	return ""
}
