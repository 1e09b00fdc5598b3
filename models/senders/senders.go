package senders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
)

// ReasonQualityRed is the status reason of a number flagged for WhatsApp's
// RED quality (the web app shows it in its language, reasons.js).
const ReasonQualityRed = "quality RED reported by WhatsApp"

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
func (in SenderInput) Apply(s *models.Sender) error {
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
		e164, err := models.NormalizePhone(*in.DisplayNumber)
		if err != nil {
			return models.FieldError(models.EInvalid, "displayNumber", "%s", err.(*models.Error).Message)
		}
		s.DisplayNumber = e164
	}
	if in.Quality != nil {
		q := strings.ToUpper(*in.Quality)
		if q != models.QualityGreen && q != models.QualityYellow && q != models.QualityRed {
			return models.FieldError(models.EInvalid, "quality", "must be GREEN, YELLOW or RED")
		}
		s.Quality = q
	}
	if in.ThroughputMPS != nil {
		if *in.ThroughputMPS <= 0 || *in.ThroughputMPS > 10000 {
			return models.FieldError(models.EInvalid, "throughputMps", "must be between 1 and 10000")
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
		case models.SenderActive, models.SenderFlagged, models.SenderRestricted, models.SenderDisabled, models.SenderUnverified:
			s.Status = *in.Status
		default:
			return models.FieldError(models.EInvalid, "status", "must be active, flagged, restricted, disabled or unverified")
		}
	}
	if s.PhoneNumberID == "" || strings.Trim(s.PhoneNumberID, "0123456789") != "" {
		return models.FieldError(models.EInvalid, "phoneNumberId", "must be Meta's numeric phone number id")
	}
	if s.WABAID == "" {
		return models.FieldError(models.EInvalid, "wabaId", "is required")
	}
	if s.DisplayNumber == "" {
		return models.FieldError(models.EInvalid, "displayNumber", "is required")
	}
	return nil
}

// Create stores a new sender.
func (st SenderStore) Create(ctx context.Context, in SenderInput) (models.Sender, error) {
	s := models.Sender{Quality: models.QualityGreen, ThroughputMPS: 80, MessagingLimitTier: "TIER_250", Status: models.SenderActive}
	if err := in.Apply(&s); err != nil {
		return models.Sender{}, err
	}
	if err := st.DB.WithContext(ctx).Create(&s).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return models.Sender{}, models.FieldError(models.EConflict, "phoneNumberId", "a sender with this phone number id exists")
		}
		return models.Sender{}, fmt.Errorf("create sender: %w", err)
	}
	return s, nil
}

// Get returns one sender.
func (st SenderStore) Get(ctx context.Context, id int64) (models.Sender, error) {
	var s models.Sender
	err := st.DB.WithContext(ctx).First(&s, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Sender{}, models.Errorf(models.ENotFound, "sender %d not found", id)
	}
	if err != nil {
		return models.Sender{}, fmt.Errorf("get sender %d: %w", id, err)
	}
	return s, nil
}

// List returns senders, optionally of one status.
func (st SenderStore) List(ctx context.Context, status string) ([]models.Sender, error) {
	q := st.DB.WithContext(ctx).Order("id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	out := []models.Sender{}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	return out, nil
}

// Update applies in to sender id.
func (st SenderStore) Update(ctx context.Context, id int64, in SenderInput) (models.Sender, error) {
	s, err := st.Get(ctx, id)
	if err != nil {
		return models.Sender{}, err
	}
	if err := in.Apply(&s); err != nil {
		return models.Sender{}, err
	}
	if err := st.DB.WithContext(ctx).Save(&s).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return models.Sender{}, models.FieldError(models.EConflict, "phoneNumberId", "a sender with this phone number id exists")
		}
		return models.Sender{}, fmt.Errorf("update sender %d: %w", id, err)
	}
	return s, nil
}

// Delete removes a sender that has no conversations.
func (st SenderStore) Delete(ctx context.Context, id int64) error {
	res := st.DB.WithContext(ctx).Delete(&models.Sender{}, id)
	if res.Error != nil {
		var pe *pgconn.PgError
		if errors.As(res.Error, &pe) && pe.Code == "23503" {
			return models.Errorf(models.EConflict, "sender %d has conversations; disable it instead", id)
		}
		return fmt.Errorf("delete sender %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENotFound, "sender %d not found", id)
	}
	return nil
}

// PhoneInfoReader reads a number's state from Meta (the waba client).
type PhoneInfoReader interface {
	PhoneNumber(ctx context.Context, phoneNumberID string) (waba.PhoneNumberInfo, error)
}

// SyncFromAPI refreshes quality, throughput, tier and name from Meta. RED
// quality flags an active number; a recovered one becomes active again.
func (st SenderStore) SyncFromAPI(ctx context.Context, r PhoneInfoReader, id int64) (models.Sender, error) {
	s, err := st.Get(ctx, id)
	if err != nil {
		return models.Sender{}, err
	}
	info, err := r.PhoneNumber(ctx, s.PhoneNumberID)
	if err != nil {
		return models.Sender{}, &models.Error{Code: models.EUnavailable, Message: "cannot read the number from WhatsApp", Err: err}
	}
	ApplyPhoneInfo(&s, info)
	if err := st.DB.WithContext(ctx).Save(&s).Error; err != nil {
		return models.Sender{}, fmt.Errorf("save synced sender %d: %w", id, err)
	}
	return s, nil
}

// ApplyPhoneInfo copies Meta's view of a number onto s.
func ApplyPhoneInfo(s *models.Sender, info waba.PhoneNumberInfo) {
	if q := strings.ToUpper(info.QualityRating); q == models.QualityGreen || q == models.QualityYellow || q == models.QualityRed {
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
	case s.Quality == models.QualityRed && s.Status == models.SenderActive:
		s.Status, s.StatusReason = models.SenderFlagged, ReasonQualityRed
	case s.Quality != models.QualityRed && s.Status == models.SenderFlagged:
		s.Status, s.StatusReason = models.SenderActive, ""
	}
}

// AllocationInput gives a sender to exactly one agent or team.
type AllocationInput struct {
	AgentID *int64 `json:"agentId"`
	TeamID  *int64 `json:"teamId"`
	Role    string `json:"role"`
}

// Allocate stores an allocation; an agent has at most one primary.
func (st SenderStore) Allocate(ctx context.Context, senderID int64, in AllocationInput) (models.SenderAllocation, error) {
	if (in.AgentID == nil) == (in.TeamID == nil) {
		return models.SenderAllocation{}, models.FieldError(models.EInvalid, "agentId", "set exactly one of agentId or teamId")
	}
	if in.Role != models.AllocPrimary && in.Role != models.AllocSecondary {
		return models.SenderAllocation{}, models.FieldError(models.EInvalid, "role", "must be primary or secondary")
	}
	if _, err := st.Get(ctx, senderID); err != nil {
		return models.SenderAllocation{}, err
	}
	a := models.SenderAllocation{SenderID: senderID, AgentID: in.AgentID, TeamID: in.TeamID, Role: in.Role}
	if err := st.DB.WithContext(ctx).Create(&a).Error; err != nil {
		if models.IsUniqueViolation(err) {
			var pe *pgconn.PgError
			errors.As(err, &pe)
			if strings.Contains(pe.ConstraintName, "primary") {
				return models.SenderAllocation{}, models.FieldError(models.EConflict, "role", "the agent already has a primary sender")
			}
			return models.SenderAllocation{}, models.FieldError(models.EConflict, "senderId", "already allocated to this agent or team")
		}
		return models.SenderAllocation{}, fmt.Errorf("allocate sender %d: %w", senderID, err)
	}
	return a, nil
}

// Allocations lists a sender's allocations.
func (st SenderStore) Allocations(ctx context.Context, senderID int64) ([]models.SenderAllocation, error) {
	out := []models.SenderAllocation{}
	if err := st.DB.WithContext(ctx).Where("sender_id = ?", senderID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list allocations: %w", err)
	}
	return out, nil
}

// AllocationsOf is Allocations of a sender that must exist (404 otherwise,
// rather than an empty list for a mistyped id).
func (st SenderStore) AllocationsOf(ctx context.Context, senderID int64) ([]models.SenderAllocation, error) {
	if _, err := st.Get(ctx, senderID); err != nil {
		return nil, err
	}
	return st.Allocations(ctx, senderID)
}

// Deallocate removes one allocation of a sender.
func (st SenderStore) Deallocate(ctx context.Context, senderID, allocID int64) error {
	res := st.DB.WithContext(ctx).Where("sender_id = ?", senderID).Delete(&models.SenderAllocation{}, allocID)
	if res.Error != nil {
		return fmt.Errorf("deallocate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENotFound, "allocation %d of sender %d not found", allocID, senderID)
	}
	return nil
}

// SenderFor picks the sender for a send by agent agentID in conversation
// convID (0: none yet), applying SelectSender to the stored candidates.
func (st SenderStore) SenderFor(ctx context.Context, agentID, convID int64) (models.SenderChoice, error) {
	db := st.DB.WithContext(ctx)
	var existing *models.Sender
	if convID != 0 {
		var s models.Sender
		err := db.Raw(`SELECT s.* FROM senders s JOIN conversations c ON c.sender_id = s.id WHERE c.id = ?`, convID).Scan(&s).Error
		if err != nil {
			return models.SenderChoice{}, fmt.Errorf("conversation sender: %w", err)
		}
		if s.ID != 0 {
			existing = &s
		}
	}
	var cands []struct {
		models.Sender
		Role string
	}
	err := db.Raw(`SELECT s.*, a.role FROM sender_allocations a JOIN senders s ON s.id = a.sender_id
		WHERE a.agent_id = ? ORDER BY a.role, a.id`, agentID).Scan(&cands).Error
	if err != nil {
		return models.SenderChoice{}, fmt.Errorf("agent senders: %w", err)
	}
	var primary *models.Sender
	var secondaries []models.Sender
	for i := range cands {
		if cands[i].Role == models.AllocPrimary {
			primary = &cands[i].Sender
		} else {
			secondaries = append(secondaries, cands[i].Sender)
		}
	}
	return models.SelectSender(existing, primary, secondaries)
}
