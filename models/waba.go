package models

import (
	"encoding/json"
	"time"
)

// Sender statuses and quality ratings.
const (
	SenderActive     = "active"
	SenderFlagged    = "flagged"
	SenderRestricted = "restricted"
	SenderDisabled   = "disabled"
	SenderUnverified = "unverified"

	QualityGreen  = "GREEN"
	QualityYellow = "YELLOW"
	QualityRed    = "RED"

	AllocPrimary   = "primary"
	AllocSecondary = "secondary"

	// EventSenderUnverified tells admins that a message arrived on a number
	// that is not registered (it was stored against an unverified sender).
	EventSenderUnverified = "sender.unverified"
	// EventSenderUpdated reports quality/limit/status changes of a number.
	EventSenderUpdated = "sender.updated"
	// EventTemplateUpdated reports a template review or quality change.
	EventTemplateUpdated = "template.updated"
)

// Sender is a business phone number on a WABA.
type Sender struct {
	ID                  int64  `json:"id" gorm:"primaryKey"`
	PhoneNumberID       string `json:"phoneNumberId"`
	WABAID              string `json:"wabaId" gorm:"column:waba_id"`
	DisplayNumber       string `json:"displayNumber"`
	VerifiedName        string `json:"verifiedName"`
	BusinessPortfolioID string `json:"businessPortfolioId"`
	Quality             string `json:"quality"`
	ThroughputMPS       int    `json:"throughputMps" gorm:"column:throughput_mps"`
	MessagingLimitTier  string `json:"messagingLimitTier"`
	Status              string `json:"status"`
	StatusReason        string `json:"statusReason"`
	// WarmupStartedAt starts a new number's warm-up ramp (daily template
	// caps from config); nil for established numbers.
	WarmupStartedAt *time.Time `json:"warmupStartedAt,omitempty"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

// SenderAllocation gives a sender to an agent or a team as primary or secondary.
type SenderAllocation struct {
	ID        int64     `json:"id" gorm:"primaryKey"`
	SenderID  int64     `json:"senderId"`
	AgentID   *int64    `json:"agentId,omitempty"`
	TeamID    *int64    `json:"teamId,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
}

// Usable reports whether new conversations may start on s, and why not.
func (s Sender) Usable() (bool, string) {
	switch {
	case s.Status == SenderFlagged, s.Status == SenderDisabled, s.Status == SenderRestricted, s.Status == SenderUnverified:
		why := "sender " + s.DisplayNumber + " is " + s.Status
		if s.StatusReason != "" { // e.g. WhatsApp's restriction from account_update
			why += ": " + s.StatusReason
		}
		return false, why
	case s.Quality == QualityRed:
		return false, "sender " + s.DisplayNumber + " has RED quality"
	}
	return true, ""
}

// SenderChoice is the result of SelectSender.
type SenderChoice struct {
	Sender Sender
	// Reason says why this sender was chosen (e.g. the primary was unusable).
	Reason string
}

// SelectSender picks the number to send from: the conversation's existing
// sender (conversations stick to the number they started on); else the
// agent's primary; else, when the primary is unusable, the secondary.
// secondaries are tried in order. Pure: the caller loads the candidates.
func SelectSender(existing *Sender, primary *Sender, secondaries []Sender) (SenderChoice, error) {
	if existing != nil {
		return SenderChoice{Sender: *existing, Reason: "conversation sender"}, nil
	}
	why := "agent has no primary sender"
	if primary != nil {
		ok, reason := primary.Usable()
		if ok {
			return SenderChoice{Sender: *primary, Reason: "primary sender"}, nil
		}
		why = reason
	}
	for _, s := range secondaries {
		if ok, _ := s.Usable(); ok {
			return SenderChoice{Sender: s, Reason: "secondary sender: " + why}, nil
		}
	}
	return SenderChoice{}, &Error{Code: EUnprocessable, Field: "sender", Message: "no usable sender: " + why}
}

// Contact is a customer (minimal; the contacts area extends it).
type Contact struct {
	ID           int64           `json:"id" gorm:"primaryKey"`
	PhoneE164    *string         `json:"phoneE164,omitempty" gorm:"column:phone_e164"`
	WAID         string          `json:"waId" gorm:"column:wa_id"`
	BSUID        *string         `json:"bsuid,omitempty" gorm:"column:bsuid"`
	Name         string          `json:"name"`
	Attributes   json.RawMessage `json:"attributes" gorm:"type:jsonb"`
	OptedOut     bool            `json:"optedOut"`
	OwnerAgentID *int64          `json:"ownerAgentId,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
}

// Conversation is one thread per (sender, contact).
type Conversation struct {
	ID              int64      `json:"id" gorm:"primaryKey"`
	SenderID        int64      `json:"senderId"`
	ContactID       int64      `json:"contactId"`
	Status          string     `json:"status"`
	AssigneeAgentID *int64     `json:"assigneeAgentId,omitempty"`
	TeamID          *int64     `json:"teamId,omitempty"`
	LastInboundAt   *time.Time `json:"lastInboundAt,omitempty"`
	LastMessageAt   *time.Time `json:"lastMessageAt,omitempty"`
	UnreadCount     int        `json:"unreadCount"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
	// Referral is the click-to-WhatsApp ad the customer last came from
	// (Meta's referral object: source_id, headline, ...), at ReferralAt;
	// EntryPointUntil ends the free entry point the business's reply opened
	// (window.go, EntryPointFrom).
	Referral        json.RawMessage `json:"referral,omitempty" gorm:"type:jsonb"`
	ReferralAt      *time.Time      `json:"referralAt,omitempty"`
	EntryPointUntil *time.Time      `json:"entryPointUntil,omitempty"`
}

// Audience of a conversation: its assignee and team.
func (c Conversation) Audience() Audience {
	return AudienceOf(c.AssigneeAgentID, c.TeamID)
}

// AudienceOf is the audience of a conversation's events: its assignee and
// team; unassigned in a team, the team's queue (Audience.Queue).
func AudienceOf(agent, team *int64) Audience {
	var a Audience
	if agent != nil {
		a.AgentIDs = []int64{*agent}
	}
	if team != nil {
		a.TeamIDs = []int64{*team}
		a.Queue = agent == nil
	}
	return a
}

// Message directions and statuses.
const (
	DirIn  = "in"
	DirOut = "out"
	// DirNote is a line of the thread that is neither side writing: an
	// assignment change (who took, transferred or was given the chat).
	DirNote = "note"

	MsgQueued    = "queued"
	MsgSent      = "sent"
	MsgDelivered = "delivered"
	MsgRead      = "read"
	MsgFailed    = "failed"
	// MsgReceived is the status of inbound messages.
	MsgReceived = "received"
)

// Message is one WhatsApp message in a conversation.
type Message struct {
	ID             int64           `json:"id" gorm:"primaryKey"`
	ConversationID int64           `json:"conversationId"`
	Direction      string          `json:"direction"`
	Type           string          `json:"type"`
	Body           string          `json:"body"`
	Payload        json.RawMessage `json:"payload" gorm:"type:jsonb"`
	WAMID          *string         `json:"wamid,omitempty" gorm:"column:wamid"`
	Status         string          `json:"status"`
	ErrorCode      *int            `json:"errorCode,omitempty"`
	ErrorReason    string          `json:"errorReason,omitempty"`
	IdempotencyKey *string         `json:"-"`
	// IdempotencyFingerprint is the digest of the request that first used
	// the key (RequestFingerprint): a different request with it is refused.
	IdempotencyFingerprint *string `json:"-"`
	// IdempotencyScope is the caller the key belongs to (IdempotencyScope).
	IdempotencyScope string     `json:"-"`
	BizOpaque        string     `json:"-"`
	CreatedAt        time.Time  `json:"createdAt"`
	SentAt           *time.Time `json:"sentAt,omitempty"`
	DeliveredAt      *time.Time `json:"deliveredAt,omitempty"`
	ReadAt           *time.Time `json:"readAt,omitempty"`
	FailedAt         *time.Time `json:"failedAt,omitempty"`
	// Origin is OriginBusinessApp for a message the business sent from the
	// WhatsApp Business app on a coexistence number ('' otherwise).
	Origin string `json:"origin,omitempty"`
	// HeldAt: Meta accepted it but holds it for its template's quality
	// assessment (template pacing) since then; cleared by its next status.
	HeldAt *time.Time `json:"heldAt,omitempty"`
}

// Message origins other than this product.
const (
	OriginBusinessApp = "business_app"
	OriginHistory     = "history"
	// OriginAuto is a message this product sent by itself, no agent
	// writing it: an auto-reply (models/autoreply) or a journey's send. The
	// thread marks it "Otomatis" (migration 00290).
	OriginAuto = "auto"
)

// StatusAdvances is the ordering rule of outbound message statuses:
// queued -> sent -> delivered -> read, with failed reachable only before
// delivery. A status only moves forward: a late "sent" never overwrites
// "read", "delivered" may be skipped, and read/failed are final.
func StatusAdvances(from, to string) bool {
	rank := map[string]int{MsgQueued: 0, MsgSent: 1, MsgDelivered: 2, MsgRead: 3}
	switch {
	case from == MsgFailed || from == MsgRead || from == MsgReceived:
		return false
	case to == MsgFailed:
		return from == MsgQueued || from == MsgSent
	}
	f, okf := rank[from]
	t, okt := rank[to]
	return okf && okt && t > f
}

// StatusPredecessors lists the statuses from which to is an advance (so SQL
// can apply the rule with WHERE status IN (...)).
func StatusPredecessors(to string) []string {
	var out []string
	for _, from := range []string{MsgQueued, MsgSent, MsgDelivered, MsgRead, MsgFailed} {
		if StatusAdvances(from, to) {
			out = append(out, from)
		}
	}
	return out
}
