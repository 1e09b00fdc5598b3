package sim

import "encoding/json"

// The simulator's own wire types, written from Meta's reference pages and
// not shared with the product's client (package waba): a type shared by
// both sides would let a wrong key pass on both (the product once sent
// reply-to as context.id because the send reused the webhook's type, and the
// simulator decoded it with the same type). Every request type is decoded
// strictly (strict.go): a key not listed here is refused like Graph does.

// Graph error codes the simulator answers with. Sources per code:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
const (
	codeInvalidParameter   = 100
	codeAccessToken        = 190
	codePolicyBlocked      = 368 // temporarily blocked for policies violations
	codeUnknownPath        = 2500
	codeGenericUser        = 131000
	codeRequiredParam      = 131008 // required parameter is missing
	codeParamValueInvalid  = 131009
	codeUndeliverable      = 131026
	codeAccountLocked      = 131031
	codeReEngagement       = 131047
	codeSpamRate           = 131048
	codeMarketingOptOut    = 131050
	codeUnsupportedType    = 131051
	codeMediaUpload        = 131053
	codePairRate           = 131056
	codeThroughput         = 130429
	codeParamCount         = 132000
	codeTemplateMissing    = 132001
	codeTextTooLong        = 132005
	codeParamFormat        = 132012
	codeTemplatePaused     = 132015
	codeTemplateDisabled   = 132016
	codeParamCharacters    = 132018 // newline, tab or more than 4 consecutive spaces in a parameter
	codeServiceUnavailable = 133004
)

// graphErrorBody is Meta's error envelope {"error":{...}}.
type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	ErrorData struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	} `json:"error_data"`
	FBTraceID string `json:"fbtrace_id"`
}

// --- POST /{phone-number-id}/messages ---------------------------------------
// https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api

type sendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	// To is a phone number / wa_id; Recipient is a business-scoped user id
	// (BSUID) for users known without a phone. Exactly one is given.
	To        string       `json:"to,omitempty"`
	Recipient string       `json:"recipient,omitempty"`
	Type      string       `json:"type,omitempty"`
	Context   *sendContext `json:"context,omitempty"`
	BizOpaque string       `json:"biz_opaque_callback_data,omitempty"`

	Text        *sendText        `json:"text,omitempty"`
	Image       *captionedMedia  `json:"image,omitempty"`
	Video       *captionedMedia  `json:"video,omitempty"`
	Document    *documentMedia   `json:"document,omitempty"`
	Audio       *plainMedia      `json:"audio,omitempty"`
	Sticker     *plainMedia      `json:"sticker,omitempty"`
	Location    *sendLocation    `json:"location,omitempty"`
	Template    *sendTemplate    `json:"template,omitempty"`
	Interactive *sendInteractive `json:"interactive,omitempty"`
	Reaction    *sendReaction    `json:"reaction,omitempty"`

	// Mark as read (and show the typing indicator):
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators
	Status          string           `json:"status,omitempty"`
	MessageID       string           `json:"message_id,omitempty"`
	TypingIndicator *typingIndicator `json:"typing_indicator,omitempty"`
}

// sendContext: a reply quotes the message it answers by message_id (the
// inbound webhook's context has id/from: a different shape).
type sendContext struct {
	MessageID string `json:"message_id"`
}

type sendText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Media objects per type: caption only on image, video and document,
// filename only on document (media messages reference).
type captionedMedia struct {
	ID      string `json:"id,omitempty"`
	Link    string `json:"link,omitempty"`
	Caption string `json:"caption,omitempty"`
}

type documentMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type plainMedia struct {
	ID   string `json:"id,omitempty"`
	Link string `json:"link,omitempty"`
}

type sendLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

type sendReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

type sendTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code   string `json:"code"`
		Policy string `json:"policy,omitempty"`
	} `json:"language"`
	Components []sendComponent `json:"components,omitempty"`
}

type sendComponent struct {
	Type       string          `json:"type"`
	SubType    string          `json:"sub_type,omitempty"`
	Index      json.RawMessage `json:"index,omitempty"` // "0" (Meta documents a string; a number is accepted too)
	Parameters []sendParameter `json:"parameters,omitempty"`
}

// sendParameter is any template parameter; which keys may appear depends
// on the component (checked in tplsend.go).
type sendParameter struct {
	Type          string          `json:"type"`
	ParameterName string          `json:"parameter_name,omitempty"`
	Text          *string         `json:"text,omitempty"`
	Payload       *string         `json:"payload,omitempty"`
	CouponCode    *string         `json:"coupon_code,omitempty"`
	Currency      *sendCurrency   `json:"currency,omitempty"`
	DateTime      *sendDateTime   `json:"date_time,omitempty"`
	Image         *plainMedia     `json:"image,omitempty"`
	Video         *plainMedia     `json:"video,omitempty"`
	Document      *documentHeader `json:"document,omitempty"`
	Location      *sendLocation   `json:"location,omitempty"`
}

type documentHeader struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type sendCurrency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    int64  `json:"amount_1000"`
}

type sendDateTime struct {
	FallbackValue string `json:"fallback_value"`
}

// Interactive messages:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages
type sendInteractive struct {
	Type   string             `json:"type"`
	Header *interactiveHeader `json:"header,omitempty"`
	Body   *interactiveText   `json:"body,omitempty"`
	Footer *interactiveText   `json:"footer,omitempty"`
	Action *interactiveAction `json:"action"`
}

type interactiveHeader struct {
	Type     string         `json:"type"`
	Text     string         `json:"text,omitempty"`
	Image    *plainMedia    `json:"image,omitempty"`
	Video    *plainMedia    `json:"video,omitempty"`
	Document *documentMedia `json:"document,omitempty"`
}

type interactiveText struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Buttons    []replyButton `json:"buttons,omitempty"`
	Button     string        `json:"button,omitempty"`
	Sections   []listSection `json:"sections,omitempty"`
	Name       string        `json:"name,omitempty"`
	Parameters *ctaURL       `json:"parameters,omitempty"`
}

type replyButton struct {
	Type  string `json:"type"`
	Reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"reply"`
}

type listSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []listRow `json:"rows"`
}

type listRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type ctaURL struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// --- POST /{waba-id}/message_templates --------------------------------------
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components

type templateCreate struct {
	Name                 string       `json:"name"`
	Language             string       `json:"language"`
	Category             string       `json:"category"`
	ParameterFormat      string       `json:"parameter_format,omitempty"`
	AllowCategoryChange  bool         `json:"allow_category_change,omitempty"`
	MessageSendTTLSecond int          `json:"message_send_ttl_seconds,omitempty"`
	Components           []tplCompDef `json:"components"`
}

type tplCompDef struct {
	Type    string       `json:"type"`
	Format  string       `json:"format,omitempty"`
	Text    *string      `json:"text,omitempty"`
	Example *tplExample  `json:"example,omitempty"`
	Buttons []tplButtonD `json:"buttons,omitempty"`
	// AUTHENTICATION templates only.
	AddSecurityRecommendation *bool `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     *int  `json:"code_expiration_minutes,omitempty"`
}

type tplExample struct {
	HeaderText            []string     `json:"header_text,omitempty"`
	HeaderHandle          []string     `json:"header_handle,omitempty"`
	BodyText              [][]string   `json:"body_text,omitempty"`
	HeaderTextNamedParams []namedParam `json:"header_text_named_params,omitempty"`
	BodyTextNamedParams   []namedParam `json:"body_text_named_params,omitempty"`
}

type namedParam struct {
	ParamName string `json:"param_name"`
	Example   string `json:"example"`
}

type tplButtonD struct {
	Type        string          `json:"type"`
	Text        string          `json:"text,omitempty"`
	URL         string          `json:"url,omitempty"`
	PhoneNumber string          `json:"phone_number,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"` // URL: ["https://..."]; COPY_CODE: "CODE"
	// OTP buttons (AUTHENTICATION).
	OTPType       string          `json:"otp_type,omitempty"`
	AutofillText  string          `json:"autofill_text,omitempty"`
	PackageName   string          `json:"package_name,omitempty"`
	SignatureHash string          `json:"signature_hash,omitempty"`
	SupportedApps json.RawMessage `json:"supported_apps,omitempty"`
	ZeroTapTerms  *bool           `json:"zero_tap_terms_accepted,omitempty"`
}

// --- webhooks (what the simulator sends) -----------------------------------
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages

type hookEnvelope struct {
	Object string      `json:"object"`
	Entry  []hookEntry `json:"entry"`
}

type hookEntry struct {
	ID      string       `json:"id"`
	Time    int64        `json:"time,omitempty"`
	Changes []hookChange `json:"changes"`
}

type hookChange struct {
	Field string `json:"field"`
	Value any    `json:"value"`
}

type hookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type hookMessagesValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         hookMetadata     `json:"metadata"`
	Contacts         []hookContact    `json:"contacts,omitempty"`
	Messages         []hookMessage    `json:"messages,omitempty"`
	Statuses         []hookStatus     `json:"statuses,omitempty"`
	UserPreferences  []hookPreference `json:"user_preferences,omitempty"`
	MessageEchoes    []hookEcho       `json:"message_echoes,omitempty"`
}

type hookContact struct {
	Profile struct {
		Name string `json:"name,omitempty"`
	} `json:"profile"`
	WAID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type hookMessage struct {
	From        string           `json:"from,omitempty"`
	FromUserID  string           `json:"from_user_id,omitempty"`
	ID          string           `json:"id"`
	Timestamp   string           `json:"timestamp"`
	Type        string           `json:"type"`
	Context     *hookContext     `json:"context,omitempty"`
	Text        *hookText        `json:"text,omitempty"`
	Image       *hookMedia       `json:"image,omitempty"`
	Button      *hookButton      `json:"button,omitempty"`
	Interactive *hookInteractive `json:"interactive,omitempty"`
	Reaction    *hookReaction    `json:"reaction,omitempty"`
	System      *hookSystem      `json:"system,omitempty"`
	Referral    *hookReferral    `json:"referral,omitempty"`
}

// hookContext is the inbound shape: id and from (not message_id).
type hookContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type hookText struct {
	Body string `json:"body"`
}

type hookMedia struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256,omitempty"`
	Caption  string `json:"caption,omitempty"`
}

type hookButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type hookInteractive struct {
	Type        string   `json:"type"`
	ButtonReply *hookRow `json:"button_reply,omitempty"`
	ListReply   *hookRow `json:"list_reply,omitempty"`
}

// hookRow is a tapped reply button or list row (a list row's description
// comes along when it has one).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive
type hookRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type hookReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// hookSystem: user_changed_number carries the new wa_id, user_changed_user_id the new BSUID.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system
type hookSystem struct {
	Body   string `json:"body"`
	WAID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
	Type   string `json:"type"`
}

// hookReferral: a click-to-WhatsApp ad the user came from.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text (referral)
type hookReferral struct {
	SourceURL  string `json:"source_url"`
	SourceID   string `json:"source_id"`
	SourceType string `json:"source_type"`
	Headline   string `json:"headline,omitempty"`
	Body       string `json:"body,omitempty"`
	MediaType  string `json:"media_type,omitempty"`
	ImageURL   string `json:"image_url,omitempty"`
	CTWAClid   string `json:"ctwa_clid,omitempty"`
}

// hookStatus: recipient_id is the phone; recipient_user_id the BSUID.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
type hookStatus struct {
	ID              string        `json:"id"`
	Status          string        `json:"status"`
	Timestamp       string        `json:"timestamp"`
	RecipientID     string        `json:"recipient_id,omitempty"`
	RecipientUserID string        `json:"recipient_user_id,omitempty"`
	BizOpaque       string        `json:"biz_opaque_callback_data,omitempty"`
	Pricing         *hookPricing  `json:"pricing,omitempty"`
	Errors          []hookErrorOb `json:"errors,omitempty"`
}

// hookPricing is the per-message pricing object (pricing_model PMP since 2025-07):
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
type hookPricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type"` // regular, free_customer_service, free_entry_point
	Category     string `json:"category"`
}

type hookErrorOb struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href,omitempty"`
}

// hookPreference is a user_preferences item (marketing stop/resume):
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
type hookPreference struct {
	WAID      string `json:"wa_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	Detail    string `json:"detail"`
	Category  string `json:"category"`
	Value     string `json:"value"`
	Timestamp int64  `json:"timestamp"`
}

// hookEcho is a message the business sent from the WhatsApp Business app on
// a coexistence number (smb_message_echoes):
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
type hookEcho struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	ID        string    `json:"id"`
	Timestamp string    `json:"timestamp"`
	Type      string    `json:"type"`
	Text      *hookText `json:"text,omitempty"`
}

// hookTemplateStatus is message_template_status_update.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
type hookTemplateStatus struct {
	Event                   string `json:"event"`
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	Reason                  string `json:"reason"`
}

// hookTemplateCategory is template_category_update.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
type hookTemplateCategory struct {
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	PreviousCategory        string `json:"previous_category"`
	NewCategory             string `json:"new_category"`
}

// hookPhoneQuality is phone_number_quality_update in today's shape:
// current_limit/old_limit were removed in 2026-02; the portfolio's limit is
// max_daily_conversations_per_business.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update
type hookPhoneQuality struct {
	DisplayPhoneNumber               string `json:"display_phone_number"`
	Event                            string `json:"event"`
	MaxDailyConversationsPerBusiness string `json:"max_daily_conversations_per_business,omitempty"`
}

// hookAccountUpdate is account_update (restrictions, bans, violations).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
type hookAccountUpdate struct {
	PhoneNumber     string            `json:"phone_number,omitempty"`
	Event           string            `json:"event"`
	RestrictionInfo []hookRestriction `json:"restriction_info,omitempty"`
	BanInfo         *hookBan          `json:"ban_info,omitempty"`
	ViolationInfo   *hookViolation    `json:"violation_info,omitempty"`
}

type hookRestriction struct {
	RestrictionType string `json:"restriction_type"`
	Expiration      int64  `json:"expiration"`
}

type hookBan struct {
	WABABanState []string `json:"waba_ban_state"`
	WABABanDate  string   `json:"waba_ban_date"`
}

type hookViolation struct {
	ViolationType string `json:"violation_type"`
}
