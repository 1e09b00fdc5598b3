package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/waba"
)

// SenderStore keeps business numbers and their allocations.
type SenderStore struct{ DB *gorm.DB }

// SenderInput is what an admin sets on a sender; nil fields stay unchanged on update.
type SenderInput struct {
	PhoneNumberID       *string `json:"phoneNumberId"`
	WABAID              *string `json:"wabaId"`
	DisplayNumber       *string `json:"displayNumber"`
	VerifiedName        *string `json:"verifiedName"`
	BusinessPortfolioID *string `json:"businessPortfolioId"`
	Quality             *string `json:"quality"`
	ThroughputMPS       *int    `json:"throughputMps"`
	MessagingLimitTier  *string `json:"messagingLimitTier"`
	Status              *string `json:"status"`
	StatusReason        *string `json:"statusReason"`
	// Warmup true starts the warm-up ramp today (false ends it).
	Warmup *bool `json:"warmup"`
}

// Apply validates in and copies it onto s.
func (in SenderInput) Apply(s *Sender) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&s.PhoneNumberID, in.PhoneNumberID)
	set(&s.WABAID, in.WABAID)
	set(&s.VerifiedName, in.VerifiedName)
	set(&s.BusinessPortfolioID, in.BusinessPortfolioID)
	set(&s.MessagingLimitTier, in.MessagingLimitTier)
	set(&s.StatusReason, in.StatusReason)
	if in.DisplayNumber != nil {
		e164, err := NormalizePhone(*in.DisplayNumber)
		if err != nil {
			return FieldError(EInvalid, "displayNumber", "%s", err.(*Error).Message)
		}
		s.DisplayNumber = e164
	}
	if in.Quality != nil {
		q := strings.ToUpper(*in.Quality)
		if q != QualityGreen && q != QualityYellow && q != QualityRed {
			return FieldError(EInvalid, "quality", "must be GREEN, YELLOW or RED")
		}
		s.Quality = q
	}
	if in.ThroughputMPS != nil {
		if *in.ThroughputMPS <= 0 || *in.ThroughputMPS > 10000 {
			return FieldError(EInvalid, "throughputMps", "must be between 1 and 10000")
		}
		s.ThroughputMPS = *in.ThroughputMPS
	}
	if in.Warmup != nil {
		s.WarmupStartedAt = nil
		if *in.Warmup {
			now := time.Now().UTC()
			s.WarmupStartedAt = &now
		}
	}
	if in.Status != nil {
		switch *in.Status {
		case SenderActive, SenderFlagged, SenderRestricted, SenderDisabled, SenderUnverified:
			s.Status = *in.Status
		default:
			return FieldError(EInvalid, "status", "must be active, flagged, restricted, disabled or unverified")
		}
	}
	if s.PhoneNumberID == "" || strings.Trim(s.PhoneNumberID, "0123456789") != "" {
		return FieldError(EInvalid, "phoneNumberId", "must be Meta's numeric phone number id")
	}
	if s.WABAID == "" {
		return FieldError(EInvalid, "wabaId", "is required")
	}
	if s.DisplayNumber == "" {
		return FieldError(EInvalid, "displayNumber", "is required")
	}
	return nil
}

// Create stores a new sender.
func (st SenderStore) Create(ctx context.Context, in SenderInput) (Sender, error) {
	s := Sender{Quality: QualityGreen, ThroughputMPS: 80, MessagingLimitTier: "TIER_250", Status: SenderActive}
	if err := in.Apply(&s); err != nil {
		return Sender{}, err
	}
	if err := st.DB.WithContext(ctx).Create(&s).Error; err != nil {
		if IsUniqueViolation(err) {
			return Sender{}, FieldError(EConflict, "phoneNumberId", "a sender with this phone number id exists")
		}
		return Sender{}, fmt.Errorf("create sender: %w", err)
	}
	return s, nil
}

// Get returns one sender.
func (st SenderStore) Get(ctx context.Context, id int64) (Sender, error) {
	var s Sender
	err := st.DB.WithContext(ctx).First(&s, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Sender{}, Errorf(ENotFound, "sender %d not found", id)
	}
	if err != nil {
		return Sender{}, fmt.Errorf("get sender %d: %w", id, err)
	}
	return s, nil
}

// List returns senders, optionally of one status.
func (st SenderStore) List(ctx context.Context, status string) ([]Sender, error) {
	q := st.DB.WithContext(ctx).Order("id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	out := []Sender{}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	return out, nil
}

// Update applies in to sender id.
func (st SenderStore) Update(ctx context.Context, id int64, in SenderInput) (Sender, error) {
	s, err := st.Get(ctx, id)
	if err != nil {
		return Sender{}, err
	}
	if err := in.Apply(&s); err != nil {
		return Sender{}, err
	}
	if err := st.DB.WithContext(ctx).Save(&s).Error; err != nil {
		if IsUniqueViolation(err) {
			return Sender{}, FieldError(EConflict, "phoneNumberId", "a sender with this phone number id exists")
		}
		return Sender{}, fmt.Errorf("update sender %d: %w", id, err)
	}
	return s, nil
}

// Delete removes a sender that has no conversations.
func (st SenderStore) Delete(ctx context.Context, id int64) error {
	res := st.DB.WithContext(ctx).Delete(&Sender{}, id)
	if res.Error != nil {
		var pe *pgconn.PgError
		if errors.As(res.Error, &pe) && pe.Code == "23503" {
			return Errorf(EConflict, "sender %d has conversations; disable it instead", id)
		}
		return fmt.Errorf("delete sender %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return Errorf(ENotFound, "sender %d not found", id)
	}
	return nil
}

// PhoneInfoReader reads a number's state from Meta (the waba client).
type PhoneInfoReader interface {
	PhoneNumber(ctx context.Context, phoneNumberID string) (waba.PhoneNumberInfo, error)
}

// SyncFromAPI refreshes quality, throughput, tier and name from Meta. RED
// quality flags an active number; a recovered one becomes active again.
func (st SenderStore) SyncFromAPI(ctx context.Context, r PhoneInfoReader, id int64) (Sender, error) {
	s, err := st.Get(ctx, id)
	if err != nil {
		return Sender{}, err
	}
	info, err := r.PhoneNumber(ctx, s.PhoneNumberID)
	if err != nil {
		return Sender{}, &Error{Code: EUnavailable, Message: "cannot read the number from WhatsApp", Err: err}
	}
	ApplyPhoneInfo(&s, info)
	if err := st.DB.WithContext(ctx).Save(&s).Error; err != nil {
		return Sender{}, fmt.Errorf("save synced sender %d: %w", id, err)
	}
	return s, nil
}

// ApplyPhoneInfo copies Meta's view of a number onto s.
func ApplyPhoneInfo(s *Sender, info waba.PhoneNumberInfo) {
	if q := strings.ToUpper(info.QualityRating); q == QualityGreen || q == QualityYellow || q == QualityRed {
		s.Quality = q
	}
	s.ThroughputMPS = info.ThroughputMPS()
	if info.MessagingLimitTier != "" {
		s.MessagingLimitTier = info.MessagingLimitTier
	}
	if info.VerifiedName != "" {
		s.VerifiedName = info.VerifiedName
	}
	switch {
	case s.Quality == QualityRed && s.Status == SenderActive:
		s.Status, s.StatusReason = SenderFlagged, "quality RED reported by WhatsApp"
	case s.Quality != QualityRed && s.Status == SenderFlagged:
		s.Status, s.StatusReason = SenderActive, ""
	}
}

// AllocationInput gives a sender to exactly one agent or team.
type AllocationInput struct {
	AgentID *int64 `json:"agentId"`
	TeamID  *int64 `json:"teamId"`
	Role    string `json:"role"`
}

// Allocate stores an allocation; an agent has at most one primary.
func (st SenderStore) Allocate(ctx context.Context, senderID int64, in AllocationInput) (SenderAllocation, error) {
	if (in.AgentID == nil) == (in.TeamID == nil) {
		return SenderAllocation{}, FieldError(EInvalid, "agentId", "set exactly one of agentId or teamId")
	}
	if in.Role != AllocPrimary && in.Role != AllocSecondary {
		return SenderAllocation{}, FieldError(EInvalid, "role", "must be primary or secondary")
	}
	if _, err := st.Get(ctx, senderID); err != nil {
		return SenderAllocation{}, err
	}
	a := SenderAllocation{SenderID: senderID, AgentID: in.AgentID, TeamID: in.TeamID, Role: in.Role}
	if err := st.DB.WithContext(ctx).Create(&a).Error; err != nil {
		if IsUniqueViolation(err) {
			var pe *pgconn.PgError
			errors.As(err, &pe)
			if strings.Contains(pe.ConstraintName, "primary") {
				return SenderAllocation{}, FieldError(EConflict, "role", "the agent already has a primary sender")
			}
			return SenderAllocation{}, FieldError(EConflict, "senderId", "already allocated to this agent or team")
		}
		return SenderAllocation{}, fmt.Errorf("allocate sender %d: %w", senderID, err)
	}
	return a, nil
}

// Allocations lists a sender's allocations.
func (st SenderStore) Allocations(ctx context.Context, senderID int64) ([]SenderAllocation, error) {
	out := []SenderAllocation{}
	if err := st.DB.WithContext(ctx).Where("sender_id = ?", senderID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list allocations: %w", err)
	}
	return out, nil
}

// Deallocate removes one allocation of a sender.
func (st SenderStore) Deallocate(ctx context.Context, senderID, allocID int64) error {
	res := st.DB.WithContext(ctx).Where("sender_id = ?", senderID).Delete(&SenderAllocation{}, allocID)
	if res.Error != nil {
		return fmt.Errorf("deallocate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return Errorf(ENotFound, "allocation %d of sender %d not found", allocID, senderID)
	}
	return nil
}

// SenderFor picks the sender for a send by agent agentID in conversation
// convID (0: none yet), applying SelectSender to the stored candidates.
func (st SenderStore) SenderFor(ctx context.Context, agentID, convID int64) (SenderChoice, error) {
	db := st.DB.WithContext(ctx)
	var existing *Sender
	if convID != 0 {
		var s Sender
		err := db.Raw(`SELECT s.* FROM senders s JOIN conversations c ON c.sender_id = s.id WHERE c.id = ?`, convID).Scan(&s).Error
		if err != nil {
			return SenderChoice{}, fmt.Errorf("conversation sender: %w", err)
		}
		if s.ID != 0 {
			existing = &s
		}
	}
	var cands []struct {
		Sender
		Role string
	}
	err := db.Raw(`SELECT s.*, a.role FROM sender_allocations a JOIN senders s ON s.id = a.sender_id
		WHERE a.agent_id = ? ORDER BY a.role, a.id`, agentID).Scan(&cands).Error
	if err != nil {
		return SenderChoice{}, fmt.Errorf("agent senders: %w", err)
	}
	var primary *Sender
	var secondaries []Sender
	for i := range cands {
		if cands[i].Role == AllocPrimary {
			primary = &cands[i].Sender
		} else {
			secondaries = append(secondaries, cands[i].Sender)
		}
	}
	return SelectSender(existing, primary, secondaries)
}
