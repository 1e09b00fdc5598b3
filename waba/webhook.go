package waba

import (
	"encoding/json"
)

// Webhook field names (entry[].changes[].field).
const (
	FieldMessages              = "messages"
	FieldTemplateStatusUpdate  = "message_template_status_update"
	FieldTemplateQualityUpdate = "message_template_quality_update"
	FieldPhoneQualityUpdate    = "phone_number_quality_update"
	FieldAccountUpdate         = "account_update"
	FieldUserPreferences       = "user_preferences"
	FieldTemplateCategory      = "template_category_update"
	FieldTemplateComponents    = "message_template_components_update"
	FieldEchoes                = "smb_message_echoes" // coexistence: sent from the Business app
	FieldHistory               = "history"            // coexistence: past chats synced once
)

// Envelope is the body of every webhook POST.
type Envelope struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WABA's batch of changes; ID is the WABA id.
type Entry struct {
	ID      string   `json:"id"`
	Time    int64    `json:"time,omitempty"`
	Changes []Change `json:"changes"`
}

// Change is one typed change; decode Value according to Field.
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// MessagesValue is the value of a "messages" change: inbound messages
// and/or statuses of messages we sent.
type MessagesValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         Metadata         `json:"metadata"`
	Contacts         []WebhookContact `json:"contacts,omitempty"`
	Messages         []InboundMessage `json:"messages,omitempty"`
	Statuses         []Status         `json:"statuses,omitempty"`
	Errors           []ErrorObject    `json:"errors,omitempty"`
	// UserPreferences arrive in a user_preferences change (marketing stop/resume).
	UserPreferences []UserPreference `json:"user_preferences,omitempty"`
	// MessageEchoes arrive in a smb_message_echoes change.
	MessageEchoes []MessageEcho `json:"message_echoes,omitempty"`
	// History arrives in a history change: the past chats of a
	// coexistence number, in chunks.
	History []HistoryChunk `json:"history,omitempty"`
}

// HistoryChunk is one chunk of a history sync: threads (one per customer,
// ID their number) of past messages, both directions; Metadata says the
// phase (0: day 0-1, 1: day 1-90, 2: day 90-180), the chunk's order and the
// overall progress (100: done). Errors report a declined sharing.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/history
type HistoryChunk struct {
	Metadata struct {
		Phase      int `json:"phase"`
		ChunkOrder int `json:"chunk_order"`
		Progress   int `json:"progress"`
	} `json:"metadata"`
	Threads []struct {
		ID       string           `json:"id"`
		Messages []InboundMessage `json:"messages"`
	} `json:"threads,omitempty"`
	Errors []ErrorObject `json:"errors,omitempty"`
}

// UserPreference is a user's marketing-message choice: Category
// "marketing_messages", Value "stop" or "resume".
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
type UserPreference struct {
	WAID      string `json:"wa_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Category  string `json:"category"`
	Value     string `json:"value"`
	Timestamp int64  `json:"timestamp,omitempty"`
}

// MessageEcho is a message the business sent from the WhatsApp Business
// app (or a linked device) on a coexistence number. Its content object has
// the shape of a send of that type (text.body, image.caption, ...).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
type MessageEcho struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	ID        string    `json:"id"`
	Timestamp string    `json:"timestamp"`
	Type      string    `json:"type"`
	Text      *Text     `json:"text,omitempty"`
	Image     *Media    `json:"image,omitempty"`
	Video     *Media    `json:"video,omitempty"`
	Audio     *Media    `json:"audio,omitempty"`
	Document  *Media    `json:"document,omitempty"`
	Sticker   *Media    `json:"sticker,omitempty"`
	Location  *Location `json:"location,omitempty"`
	// Raw is the echo exactly as received (types not modelled are kept).
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes e and keeps a copy of the raw bytes in e.Raw.
func (e *MessageEcho) UnmarshalJSON(b []byte) error {
	type plain MessageEcho
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Summary is the echo's text for previews, as InboundMessage.Summary.
func (e MessageEcho) Summary() string {
	return InboundMessage{Text: e.Text, Image: e.Image, Video: e.Video, Audio: e.Audio, Document: e.Document,
		Sticker: e.Sticker, Location: e.Location}.Summary()
}

// Metadata names the business number the change is about.
type Metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// WebhookContact is the sender's profile. WAID may be absent when the user
// is known only by a business-scoped user id (UserID, BSUID).
type WebhookContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WAID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// InboundMessage is one message from a customer.
type InboundMessage struct {
	From       string          `json:"from,omitempty"`
	FromUserID string          `json:"from_user_id,omitempty"`
	ID         string          `json:"id"`
	Timestamp  string          `json:"timestamp"`
	Type       string          `json:"type"`
	Context    *MessageContext `json:"context,omitempty"`

	Text        *Text             `json:"text,omitempty"`
	Image       *Media            `json:"image,omitempty"`
	Video       *Media            `json:"video,omitempty"`
	Audio       *Media            `json:"audio,omitempty"`
	Document    *Media            `json:"document,omitempty"`
	Sticker     *Media            `json:"sticker,omitempty"`
	Button      *ButtonReply      `json:"button,omitempty"`
	Interactive *InteractiveReply `json:"interactive,omitempty"`
	Reaction    *Reaction         `json:"reaction,omitempty"`
	Location    *Location         `json:"location,omitempty"`
	Contacts    []json.RawMessage `json:"contacts,omitempty"`
	Order       json.RawMessage   `json:"order,omitempty"`
	System      *SystemMessage    `json:"system,omitempty"`
	Referral    *Referral         `json:"referral,omitempty"`
	Errors      []ErrorObject     `json:"errors,omitempty"`
	// HistoryContext is set on messages of a history sync (their delivery
	// status at the time: DELIVERED, READ, ...).
	HistoryContext *struct {
		Status string `json:"status"`
	} `json:"history_context,omitempty"`

	// Raw is the message exactly as received, kept so types this package
	// does not model are stored without loss.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes m and keeps a copy of the raw bytes in m.Raw.
func (m *InboundMessage) UnmarshalJSON(b []byte) error {
	type plain InboundMessage
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	m.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// SystemMessage is a change of the user's identity: Type
// user_changed_number (WAID is the new number) or user_changed_user_id
// (UserID is the new BSUID).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system
type SystemMessage struct {
	Body   string `json:"body,omitempty"`
	Type   string `json:"type"`
	WAID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
	// Identity and Customer appear in older payloads.
	Identity string `json:"identity,omitempty"`
	Customer string `json:"customer,omitempty"`
}

// Referral is the click-to-WhatsApp ad a message came from.
type Referral struct {
	SourceURL    string `json:"source_url,omitempty"`
	SourceID     string `json:"source_id,omitempty"`
	SourceType   string `json:"source_type,omitempty"`
	Headline     string `json:"headline,omitempty"`
	Body         string `json:"body,omitempty"`
	MediaType    string `json:"media_type,omitempty"`
	ImageURL     string `json:"image_url,omitempty"`
	VideoURL     string `json:"video_url,omitempty"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	CTWAClid     string `json:"ctwa_clid,omitempty"`
}

// MessageContext links an inbound reply to the message it answers (the
// webhook shape; sends use ReplyContext).
type MessageContext struct {
	From                string `json:"from,omitempty"`
	ID                  string `json:"id,omitempty"`
	Forwarded           bool   `json:"forwarded,omitempty"`
	FrequentlyForwarded bool   `json:"frequently_forwarded,omitempty"`
}

// Text is a text body.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Media is an inbound media object (or an outbound one by ID or Link).
type Media struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Voice    bool   `json:"voice,omitempty"`
	Animated bool   `json:"animated,omitempty"`
}

// ButtonReply is a tap on a template quick-reply button.
type ButtonReply struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// InteractiveReply is a reply to an interactive message.
type InteractiveReply struct {
	Type        string          `json:"type"`
	ButtonReply *ReplyRow       `json:"button_reply,omitempty"`
	ListReply   *ReplyRow       `json:"list_reply,omitempty"`
	NFMReply    json.RawMessage `json:"nfm_reply,omitempty"`
}

// ReplyRow is the chosen button or list row.
type ReplyRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Reaction is an emoji on a message (empty Emoji removes it).
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// Location is a shared location.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
	URL       string  `json:"url,omitempty"`
}

// Status is the delivery state of a message we sent.
type Status struct {
	ID                    string        `json:"id"`
	Status                string        `json:"status"`
	Timestamp             string        `json:"timestamp"`
	RecipientID           string        `json:"recipient_id,omitempty"`
	RecipientUserID       string        `json:"recipient_user_id,omitempty"`
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *Conversation `json:"conversation,omitempty"`
	Pricing               *Pricing      `json:"pricing,omitempty"`
	Errors                []ErrorObject `json:"errors,omitempty"`
}

// Conversation is Meta's billing conversation attached to a status.
type Conversation struct {
	ID                  string `json:"id"`
	ExpirationTimestamp string `json:"expiration_timestamp,omitempty"`
	Origin              struct {
		Type string `json:"type"`
	} `json:"origin"`
}

// Pricing is the billing information of a status.
type Pricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type,omitempty"`
}

// ErrorObject is an error as it appears in webhooks and API responses.
type ErrorObject struct {
	Code      int    `json:"code"`
	Title     string `json:"title,omitempty"`
	Message   string `json:"message,omitempty"`
	ErrorData struct {
		Details string `json:"details,omitempty"`
	} `json:"error_data,omitempty"`
	Href string `json:"href,omitempty"`
}

// TemplateStatusUpdate is the value of message_template_status_update.
type TemplateStatusUpdate struct {
	Event                   string `json:"event"`
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	Reason                  string `json:"reason"`
	OtherInfo               *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info,omitempty"`
}

// TemplateQualityUpdate is the value of message_template_quality_update.
type TemplateQualityUpdate struct {
	PreviousQualityScore    string `json:"previous_quality_score"`
	NewQualityScore         string `json:"new_quality_score"`
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
}

// PhoneQualityUpdate is the value of phone_number_quality_update. Event is
// e.g. THROUGHPUT_UPGRADE, ONBOARDING, FLAGGED, UNFLAGGED, DOWNGRADE or
// UPGRADE; MaxDailyConversationsPerBusiness is the business portfolio's
// messaging limit tier (TIER_250, TIER_2K, ...). CurrentLimit/OldLimit were
// removed in 2026-02 and are read only from older deliveries.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update
type PhoneQualityUpdate struct {
	DisplayPhoneNumber               string `json:"display_phone_number"`
	Event                            string `json:"event"`
	MaxDailyConversationsPerBusiness string `json:"max_daily_conversations_per_business,omitempty"`
	CurrentLimit                     string `json:"current_limit,omitempty"`
	OldLimit                         string `json:"old_limit,omitempty"`
	QualityRating                    string `json:"quality_rating,omitempty"`
}

// LimitTier is the portfolio's messaging limit tier the update carries.
func (q PhoneQualityUpdate) LimitTier() string {
	if q.MaxDailyConversationsPerBusiness != "" {
		return q.MaxDailyConversationsPerBusiness
	}
	return q.CurrentLimit
}

// TemplateCategoryUpdate is the value of template_category_update (Meta
// recategorised a template).
type TemplateCategoryUpdate struct {
	MessageTemplateID       int64  `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	PreviousCategory        string `json:"previous_category"`
	NewCategory             string `json:"new_category"`
	// CorrectCategory and CategoryUpdateTimestamp come only on an impending
	// change: NewCategory is then still the current category, and the
	// template becomes CorrectCategory at that time.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
	CorrectCategory         string `json:"correct_category,omitempty"`
	CategoryUpdateTimestamp int64  `json:"category_update_timestamp,omitempty"`
}

// TemplateComponentsUpdate is the value of
// message_template_components_update: the template was edited; its body
// (Element), text header (Title), footer and URL / phone buttons now read so.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_components_update
type TemplateComponentsUpdate struct {
	MessageTemplateID       int64                     `json:"message_template_id"`
	MessageTemplateName     string                    `json:"message_template_name"`
	MessageTemplateLanguage string                    `json:"message_template_language"`
	MessageTemplateElement  string                    `json:"message_template_element"`
	MessageTemplateTitle    string                    `json:"message_template_title,omitempty"`
	MessageTemplateFooter   string                    `json:"message_template_footer,omitempty"`
	MessageTemplateButtons  []TemplateComponentButton `json:"message_template_buttons,omitempty"`
}

// TemplateComponentButton is one button of a components update.
type TemplateComponentButton struct {
	Type        string `json:"message_template_button_type"`
	Text        string `json:"message_template_button_text"`
	URL         string `json:"message_template_button_url,omitempty"`
	PhoneNumber string `json:"message_template_button_phone_number,omitempty"`
}

// AccountUpdate is the value of account_update: restrictions, bans and
// violations of the business account (Event ACCOUNT_RESTRICTION,
// DISABLED_UPDATE, ACCOUNT_VIOLATION, REINSTATED, ...).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
type AccountUpdate struct {
	PhoneNumber     string        `json:"phone_number,omitempty"`
	Event           string        `json:"event"`
	BanInfo         *BanInfo      `json:"ban_info,omitempty"`
	ViolationInfo   *Violation    `json:"violation_info,omitempty"`
	RestrictionInfo []Restriction `json:"restriction_info,omitempty"`
}

// BanInfo is an account ban state (DISABLE, REINSTATE, SCHEDULE_FOR_DISABLE).
type BanInfo struct {
	WABABanState []string `json:"waba_ban_state"`
	WABABanDate  string   `json:"waba_ban_date,omitempty"`
}

// Violation names a policy violation.
type Violation struct {
	ViolationType string `json:"violation_type"`
}

// Restriction is one restriction with its end (unix seconds).
type Restriction struct {
	RestrictionType string `json:"restriction_type"`
	Expiration      int64  `json:"expiration"`
}
