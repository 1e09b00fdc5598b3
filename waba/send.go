package waba

// OutboundMessage is the body of POST /{phone_number_id}/messages.
type OutboundMessage struct {
	MessagingProduct string          `json:"messaging_product"`
	RecipientType    string          `json:"recipient_type,omitempty"`
	To               string          `json:"to,omitempty"`
	Type             string          `json:"type,omitempty"`
	Context          *MessageContext `json:"context,omitempty"`

	Text        *Text        `json:"text,omitempty"`
	Image       *Media       `json:"image,omitempty"`
	Video       *Media       `json:"video,omitempty"`
	Audio       *Media       `json:"audio,omitempty"`
	Document    *Media       `json:"document,omitempty"`
	Sticker     *Media       `json:"sticker,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
	Reaction    *Reaction    `json:"reaction,omitempty"`

	// Status and MessageID mark an inbound message as read.
	Status    string `json:"status,omitempty"`
	MessageID string `json:"message_id,omitempty"`

	// BizOpaqueCallbackData is echoed in status webhooks (our message id).
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

// MediaOf returns the media object for media types (image, video, ...).
func (m *OutboundMessage) MediaOf() *Media {
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
// templates created with parameter_format NAMED.
type TemplateParameter struct {
	Type          string    `json:"type"`
	ParameterName string    `json:"parameter_name,omitempty"`
	Text          string    `json:"text,omitempty"`
	Payload       string    `json:"payload,omitempty"`
	CouponCode    string    `json:"coupon_code,omitempty"`
	Currency      *Currency `json:"currency,omitempty"`
	DateTime      *DateTime `json:"date_time,omitempty"`
	Image         *Media    `json:"image,omitempty"`
	Document      *Media    `json:"document,omitempty"`
	Video         *Media    `json:"video,omitempty"`
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
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Image    *Media `json:"image,omitempty"`
	Video    *Media `json:"video,omitempty"`
	Document *Media `json:"document,omitempty"`
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

// ReplyButton is one quick reply button (title <= 20 characters).
type ReplyButton struct {
	Type  string   `json:"type"`
	Reply ReplyRow `json:"reply"`
}

// ListSection is one section of a list message.
type ListSection struct {
	Title string     `json:"title,omitempty"`
	Rows  []ReplyRow `json:"rows"`
}

// CTAURL is the parameters of a cta_url message.
type CTAURL struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// SendResult is the answer to a send.
type SendResult struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WAID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	} `json:"messages"`
}

// WAMID is the id of the sent message.
func (r SendResult) WAMID() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[0].ID
}
