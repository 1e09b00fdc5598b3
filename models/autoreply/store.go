package autoreply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Limits of a rule. The reply is a text message (Meta: at most 4096
// characters); keywords are words a customer types, not paragraphs.
const (
	MaxReply       = 4096
	MaxKeywords    = 20
	MaxKeywordLen  = 60
	MaxName        = 100
	MaxCooldownMin = 7 * 24 * 60
)

// RuleInput is a rule as the API writes it (the whole rule: PUT replaces).
type RuleInput struct {
	TeamID          *int64            `json:"teamId"`
	Kind            string            `json:"kind"`
	Name            string            `json:"name"`
	Enabled         *bool             `json:"enabled"` // nil: enabled
	Keywords        []string          `json:"keywords"`
	Reply           string            `json:"reply"`
	Hours           models.QuietHours `json:"hours"`
	Zone            string            `json:"zone"`
	CooldownMinutes int               `json:"cooldownMinutes"`
	RouteTeamID     *int64            `json:"routeTeamId"`
	Handover        bool              `json:"handover"`
	Menu            *Menu             `json:"menu"`
	Marketing       bool              `json:"marketing"`
	Priority        int               `json:"priority"`
}

// Validate checks a rule and returns it normalised (trimmed, lower-case
// keywords without duplicates, the zone's default), or the first field error.
func (in RuleInput) Validate() (RuleInput, error) {
	in.Kind = strings.TrimSpace(in.Kind)
	switch in.Kind {
	case KindWelcome, KindAway, KindKeyword:
	case "":
		return in, models.FieldError(models.EInvalid, "kind", "is required (welcome, away, keyword)")
	default:
		return in, models.FieldError(models.EInvalid, "kind", "%q is not welcome, away or keyword", in.Kind)
	}
	in.Name = strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(in.Name) > MaxName {
		return in, models.FieldError(models.EInvalid, "name", "must be at most %d characters", MaxName)
	}
	in.Reply = strings.TrimSpace(in.Reply)
	if in.Reply == "" {
		return in, models.FieldError(models.EInvalid, "reply", "is required")
	}
	if utf8.RuneCountInString(in.Reply) > MaxReply {
		return in, models.FieldError(models.EInvalid, "reply", "is longer than 4096 characters")
	}
	var kws []string
	seen := map[string]bool{}
	for _, k := range in.Keywords {
		k = strings.Join(Words(k), " ")
		if k == "" {
			continue
		}
		if utf8.RuneCountInString(k) > MaxKeywordLen {
			return in, models.FieldError(models.EInvalid, "keywords", "keyword %q is longer than %d characters", k, MaxKeywordLen)
		}
		if !seen[k] {
			seen[k] = true
			kws = append(kws, k)
		}
	}
	if len(kws) > MaxKeywords {
		return in, models.FieldError(models.EInvalid, "keywords", "at most %d keywords", MaxKeywords)
	}
	in.Keywords = kws
	if in.Kind == KindKeyword && len(kws) == 0 {
		return in, models.FieldError(models.EInvalid, "keywords", "a keyword rule needs at least one keyword")
	}
	if in.Kind != KindKeyword && (len(kws) > 0 || in.RouteTeamID != nil || in.Handover) {
		return in, models.FieldError(models.EInvalid, "keywords", "only a keyword rule has keywords, a route or a hand-over")
	}
	if in.Zone = strings.TrimSpace(in.Zone); in.Zone == "" {
		in.Zone = models.TZWIB
	}
	if _, err := time.LoadLocation(in.Zone); err != nil {
		return in, models.FieldError(models.EInvalid, "zone", "%q is not a time zone", in.Zone)
	}
	if err := in.Hours.Validate(); err != nil {
		var me *models.Error
		if errors.As(err, &me) {
			me.Field = strings.Replace(me.Field, "quietHours.", "hours.", 1)
		}
		return in, err
	}
	if in.Menu != nil {
		if in.Kind != KindKeyword {
			return in, models.FieldError(models.EInvalid, "menu", "only a keyword rule has a menu")
		}
		m, err := in.Menu.validate(in.Reply)
		if err != nil {
			return in, err
		}
		in.Menu = &m
	}
	if in.CooldownMinutes < 0 || in.CooldownMinutes > MaxCooldownMin {
		return in, models.FieldError(models.EInvalid, "cooldownMinutes", "%s must be an integer between 0 and %d", "cooldownMinutes", MaxCooldownMin)
	}
	return in, nil
}

// RuleStore keeps auto_reply_rules. Every call names the number: a rule is
// found only through its own number, so one number's id never reaches
// another's rule.
type RuleStore struct {
	DB *gorm.DB
}

func (s RuleStore) senderExists(tx *gorm.DB, senderID int64) error {
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM senders WHERE id = ?`, senderID).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return models.Errorf(models.ENotFound, "sender %d not found", senderID)
	}
	return nil
}

func teamExists(tx *gorm.DB, field string, id *int64) error {
	if id == nil {
		return nil
	}
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM teams WHERE id = ?`, *id).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return models.FieldError(models.EUnprocessable, field, "team %d does not exist", *id)
	}
	return nil
}

// List returns the rules of number senderID, in trying order of kind.
func (s RuleStore) List(ctx context.Context, senderID int64) ([]Rule, error) {
	db := s.DB.WithContext(ctx)
	if err := s.senderExists(db, senderID); err != nil {
		return nil, err
	}
	out := []Rule{}
	if err := db.Where("sender_id = ?", senderID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("auto-reply rules of sender %d: %w", senderID, err)
	}
	return out, nil
}

// Get returns rule id of number senderID.
func (s RuleStore) Get(ctx context.Context, senderID, id int64) (Rule, error) {
	return getRule(s.DB.WithContext(ctx), senderID, id)
}

func getRule(db *gorm.DB, senderID, id int64) (Rule, error) {
	var r Rule
	err := db.Where("id = ? AND sender_id = ?", id, senderID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, models.Errorf(models.ENotFound, "auto-reply rule %d not found", id)
	}
	return r, err
}

// Create stores a new rule of number senderID.
func (s RuleStore) Create(ctx context.Context, senderID int64, in RuleInput) (Rule, error) {
	in, err := in.Validate()
	if err != nil {
		return Rule{}, err
	}
	var r Rule
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkRefs(tx, senderID, in); err != nil {
			return err
		}
		r = fromInput(senderID, in)
		return tx.Create(&r).Error
	})
	return r, err
}

// Update replaces rule id of number senderID.
func (s RuleStore) Update(ctx context.Context, senderID, id int64, in RuleInput) (Rule, error) {
	in, err := in.Validate()
	if err != nil {
		return Rule{}, err
	}
	var r Rule
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkRefs(tx, senderID, in); err != nil {
			return err
		}
		old, err := getRule(tx, senderID, id)
		if err != nil {
			return err
		}
		r = fromInput(senderID, in)
		r.ID, r.CreatedAt = old.ID, old.CreatedAt
		return tx.Select("*").Omit("created_at").Save(&r).Error
	})
	return r, err
}

// Delete removes rule id of number senderID.
func (s RuleStore) Delete(ctx context.Context, senderID, id int64) error {
	res := s.DB.WithContext(ctx).Exec(`DELETE FROM auto_reply_rules WHERE id = ? AND sender_id = ?`, id, senderID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENotFound, "auto-reply rule %d not found", id)
	}
	return nil
}

func (s RuleStore) checkRefs(tx *gorm.DB, senderID int64, in RuleInput) error {
	if err := s.senderExists(tx, senderID); err != nil {
		return err
	}
	if err := teamExists(tx, "teamId", in.TeamID); err != nil {
		return err
	}
	if err := teamExists(tx, "routeTeamId", in.RouteTeamID); err != nil {
		return err
	}
	if in.Menu != nil {
		for _, c := range in.Menu.Choices {
			if err := teamExists(tx, "menu.choices", c.RouteTeamID); err != nil {
				return err
			}
		}
	}
	return nil
}

func fromInput(senderID int64, in RuleInput) Rule {
	enabled := in.Enabled == nil || *in.Enabled
	kws := models.StringList(in.Keywords)
	if kws == nil {
		kws = models.StringList{}
	}
	return Rule{SenderID: senderID, TeamID: in.TeamID, Kind: in.Kind, Name: in.Name, Enabled: enabled, Keywords: kws,
		Reply: in.Reply, Hours: in.Hours, Zone: in.Zone, CooldownMinutes: in.CooldownMinutes, RouteTeamID: in.RouteTeamID,
		Handover: in.Handover, Menu: in.Menu, Marketing: in.Marketing, Priority: in.Priority}
}
