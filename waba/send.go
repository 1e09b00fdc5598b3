package waba

import (
	"fmt"
	"regexp"
)

// bsuidRE is a business-scoped user id: a two-letter country code, a dot
// and an alphanumeric string ("ID.13491208655302741918").
// https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
var bsuidRE = regexp.MustCompile(`^[A-Z]{2}\.[A-Za-z0-9]+$`)

// IsBSUID reports whether v is a business-scoped user id (not a phone).
func IsBSUID(v string) bool { return bsuidRE.MatchString(v) }

// The outbound wire types: the body of POST /{phone_number_id}/messages.
// They are deliberately separate from the webhook types in webhook.go:
// the two sides use different shapes for the same ideas (a reply's
// context is {"message_id"} on a send and {"id","from"} in a webhook; a
// send's media has no mime_type or sha256), and sharing a type once made
// every reply-to go out as context.id, which Meta ignores.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api

// OutboundMessage is the body of POST /{phone_number_id}/messages.
type OutboundMessage struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	// To is the customer's phone number (wa_id); Recipient their
	// business-scoped user id (BSUID), used when no phone is known. Send
	// sets exactly one of them.
	To        string        `json:"to,omitempty"`
	Recipient string        `json:"recipient,omitempty"`
	Type      string        `json:"type,omitempty"`
	Context   *ReplyContext `json:"context,omitempty"`

	Text        *OutboundText     `json:"text,omitempty"`
	Image       *OutboundMedia    `json:"image,omitempty"`
	Video       *OutboundMedia    `json:"video,omitempty"`
	Audio       *OutboundMedia    `json:"audio,omitempty"`
	Document    *OutboundMedia    `json:"document,omitempty"`
	Sticker     *OutboundMedia    `json:"sticker,omitempty"`
	Template    *Template         `json:"template,omitempty"`
	Interactive *Interactive      `json:"interactive,omitempty"`
	Reaction    *OutboundReaction `json:"reaction,omitempty"`

	// BizOpaqueCallbackData is echoed in status webhooks (our message id).
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

// ReplyContext quotes the message being answered.
type ReplyContext struct {
	MessageID string `json:"message_id"`
}

// OutboundText is a text body.
type OutboundText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// OutboundMedia is a media object by uploaded ID or by Link. Caption is
// allowed on image, video and document; Filename on document only.
type OutboundMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// OutboundReaction reacts to a message (empty Emoji removes the reaction).
type OutboundReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// MediaOf returns the media object for media types (image, video, ...).
func (m *OutboundMessage) MediaOf() *OutboundMedia {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

// check refuses what Meta would refuse for the shape alone (a caption on
// audio, a filename on an image): such a body is a bug of ours, not a
// reason to spend a request.
func (m *OutboundMessage) check() error {
	if md := m.MediaOf(); md != nil {
		if (md.ID == "") == (md.Link == "") {
			return fmt.Errorf("waba: %s needs exactly one of id or link", m.Type)
		}
		if md.Caption != "" && (m.Type == "audio" || m.Type == "sticker") {
			return fmt.Errorf("waba: %s takes no caption", m.Type)
		}
		if md.Filename != "" && m.Type != "document" {
			return fmt.Errorf("waba: only a document takes a filename, not %s", m.Type)
		}
	}
	if (m.To == "") == (m.Recipient == "") {
		return fmt.Errorf("waba: a send needs exactly one of to (phone) or recipient (BSUID)")
	}
	return nil
}

// Template is a template send.
type Template struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage names the translation to send.
type TemplateLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

// TemplateComponent fills one component's variables. For buttons SubType
// is url, quick_reply or copy_code and Index the button's position.
type TemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"`
	Index      string              `json:"index,omitempty"`
	Parameters []TemplateParameter `json:"parameters,omitempty"`
}

// TemplateParameter is one variable value. ParameterName is set for
// templates created with parameter_format NAMED (header and body only).
// Header media parameters use Image, Video or Document; a COPY_CODE
// button takes {"type":"coupon_code","coupon_code":...}; a quick reply
// button {"type":"payload","payload":...}.
type TemplateParameter struct {
	Type          string       `json:"type"`
	ParameterName string       `json:"parameter_name,omitempty"`
	Text          string       `json:"text,omitempty"`
	Payload       string       `json:"payload,omitempty"`
	CouponCode    string       `json:"coupon_code,omitempty"`
	Currency      *Currency    `json:"currency,omitempty"`
	DateTime      *DateTime    `json:"date_time,omitempty"`
	Image         *HeaderMedia `json:"image,omitempty"`
	Document      *HeaderMedia `json:"document,omitempty"`
	Video         *HeaderMedia `json:"video,omitempty"`
}

// HeaderMedia is a template header's media by id or link (Filename only
// for documents).
type HeaderMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Currency is a currency parameter (amount_1000 = amount x 1000).
type Currency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    int64  `json:"amount_1000"`
}

// DateTime is a date_time parameter.
type DateTime struct {
	FallbackValue string `json:"fallback_value"`
}

// Interactive is a reply-button, list or cta_url message.
type Interactive struct {
	Type   string             `json:"type"`
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   *InteractiveText   `json:"body,omitempty"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action InteractiveAction  `json:"action"`
}

// InteractiveHeader is a text or media header.
type InteractiveHeader struct {
	Type     string       `json:"type"`
	Text     string       `json:"text,omitempty"`
	Image    *HeaderMedia `json:"image,omitempty"`
	Video    *HeaderMedia `json:"video,omitempty"`
	Document *HeaderMedia `json:"document,omitempty"`
}

// InteractiveText is a body or footer.
type InteractiveText struct {
	Text string `json:"text"`
}

// InteractiveAction holds buttons (type button), sections (type list) or
// the URL parameters (type cta_url).
type InteractiveAction struct {
	Buttons    []ReplyButton `json:"buttons,omitempty"`
	Button     string        `json:"button,omitempty"`
	Sections   []ListSection `json:"sections,omitempty"`
	Name       string        `json:"name,omitempty"`
	Parameters *CTAURL       `json:"parameters,omitempty"`
}

// ReplyButton is one reply button (Type "reply", title <= 20 characters).
type ReplyButton struct {
	Type  string      `json:"type"`
	Reply ButtonTitle `json:"reply"`
}

// ButtonTitle is a reply button's id and title.
type ButtonTitle struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ListSection is one section of a list message.
type ListSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []ListRow `json:"rows"`
}

// ListRow is one row of a list message.
type ListRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// CTAURL is the parameters of a cta_url message.
type CTAURL struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// readReceipt marks an inbound message read, optionally showing the
// typing indicator until the next send (at most 25 s).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators
type readReceipt struct {
	MessagingProduct string           `json:"messaging_product"`
	Status           string           `json:"status"`
	MessageID        string           `json:"message_id"`
	TypingIndicator  *typingIndicator `json:"typing_indicator,omitempty"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

// SendResult is the answer to a send.
type SendResult struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input  string `json:"input"`
		WAID   string `json:"wa_id,omitempty"`
		UserID string `json:"user_id,omitempty"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	} `json:"messages"`
}

// WAMID is the id of the sent message.
// MessageStatusHeld is the message_status of a template send that Meta's
// template pacing holds: accepted, but sent only if early feedback on the
// template is good, else dropped (a failed status with 132015).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing
const MessageStatusHeld = "held_for_quality_assessment"

// Held reports whether Meta holds the message for its template's quality
// assessment (pacing).
func (r SendResult) Held() bool {
	return len(r.Messages) > 0 && r.Messages[0].MessageStatus == MessageStatusHeld
}

func (r SendResult) WAMID() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[0].ID
}
