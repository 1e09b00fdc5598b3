package waba

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the HMAC of the raw webhook body.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks header against HMAC-SHA256(secret, body) over the
// raw bytes, in constant time. An empty secret never verifies.
func VerifySignature(secret, body []byte, header string) bool {
	v, ok := NewSignatureVerifier(secret, header)
	if !ok {
		return false
	}
	_, _ = v.Write(body)
	return v.Valid()
}

// SignatureVerifier checks X-Hub-Signature-256 over a body as it is read
// (it is an io.Writer to tee the body into): a receiver refuses a delivery
// whose header is missing or malformed before reading any of the body, and
// never needs a second pass over it.
type SignatureVerifier struct {
	want []byte
	mac  hash.Hash
}

// NewSignatureVerifier parses the header; ok is false when there is no
// secret or the header is not "sha256=" and 64 hex digits.
func NewSignatureVerifier(secret []byte, header string) (*SignatureVerifier, bool) {
	if len(secret) == 0 {
		return nil, false
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return nil, false
	}
	want, err := hex.DecodeString(hexSig)
	if err != nil || len(want) != sha256.Size {
		return nil, false
	}
	return &SignatureVerifier{want: want, mac: hmac.New(sha256.New, secret)}, true
}

func (v *SignatureVerifier) Write(p []byte) (int, error) { return v.mac.Write(p) }

// Valid reports whether the bytes written so far carry the signature.
func (v *SignatureVerifier) Valid() bool { return hmac.Equal(v.want, v.mac.Sum(nil)) }

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
