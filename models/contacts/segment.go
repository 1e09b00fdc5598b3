package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// SegmentFilter is a saved filter over contacts. Every set field must hold
// (AND); Tags requires all listed tags, AnyTags at least one.
type SegmentFilter struct {
	Tags                []string          `json:"tags,omitempty"`
	AnyTags             []string          `json:"anyTags,omitempty"`
	Attributes          map[string]string `json:"attributes,omitempty"`
	OwnerAgentID        *int64            `json:"ownerAgentId,omitempty"`
	OptedOut            *bool             `json:"optedOut,omitempty"`
	LastContactedBefore *time.Time        `json:"lastContactedBefore,omitempty"`
	LastContactedAfter  *time.Time        `json:"lastContactedAfter,omitempty"`
	NeverContacted      bool              `json:"neverContacted,omitempty"`
}

// Validate checks the filter is coherent.
func (f SegmentFilter) Validate() error {
	for _, t := range append(append([]string{}, f.Tags...), f.AnyTags...) {
		if strings.TrimSpace(t) == "" {
			return models.FieldError(models.EInvalid, "filter.tags", "tags must not be empty")
		}
	}
	for k := range f.Attributes {
		if strings.TrimSpace(k) == "" {
			return models.FieldError(models.EInvalid, "filter.attributes", "attribute keys must not be empty")
		}
	}
	if f.NeverContacted && (f.LastContactedAfter != nil || f.LastContactedBefore != nil) {
		return models.FieldError(models.EInvalid, "filter.neverContacted", "neverContacted excludes lastContactedBefore/After")
	}
	if f.LastContactedAfter != nil && f.LastContactedBefore != nil && !f.LastContactedAfter.Before(*f.LastContactedBefore) {
		return models.FieldError(models.EInvalid, "filter.lastContactedAfter", "lastContactedAfter must be before lastContactedBefore")
	}
	return nil
}

// Apply adds the filter's conditions to a contacts query.
func (f SegmentFilter) Apply(db *gorm.DB) *gorm.DB {
	if len(f.Tags) > 0 {
		db = db.Where("contacts.tags @> ?::text[]", models.StringList(f.Tags))
	}
	if len(f.AnyTags) > 0 {
		db = db.Where("contacts.tags && ?::text[]", models.StringList(f.AnyTags))
	}
	if len(f.Attributes) > 0 {
		raw, _ := json.Marshal(f.Attributes)
		db = db.Where("contacts.attributes @> ?::jsonb", string(raw))
	}
	if f.OwnerAgentID != nil {
		db = db.Where("contacts.owner_agent_id = ?", *f.OwnerAgentID)
	}
	if f.OptedOut != nil {
		db = db.Where("contacts.opted_out = ?", *f.OptedOut)
	}
	if f.LastContactedBefore != nil {
		db = db.Where("contacts.last_contacted_at < ?", *f.LastContactedBefore)
	}
	if f.LastContactedAfter != nil {
		db = db.Where("contacts.last_contacted_at >= ?", *f.LastContactedAfter)
	}
	if f.NeverContacted {
		db = db.Where("contacts.last_contacted_at IS NULL")
	}
	return db
}

// Segment is a named saved filter.
type Segment struct {
	ID        int64         `json:"id" gorm:"primaryKey"`
	Name      string        `json:"name"`
	Filter    SegmentFilter `json:"filter" gorm:"serializer:json;type:jsonb"`
	CreatedBy *int64        `json:"createdBy,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// SegmentInput creates or renames/refilters a segment.
type SegmentInput struct {
	Name   *string        `json:"name"`
	Filter *SegmentFilter `json:"filter"`
}

// SegmentStore keeps segments and pages their contacts.
type SegmentStore struct{ DB *gorm.DB }

func segmentConflict(err error) error {
	if code, constraint := models.PGError(err); code == models.PGUniqueViolation && constraint == "segments_name_key" {
		return &models.Error{Code: models.EConflict, Field: "name", Message: "a segment with this name already exists", Err: err}
	}
	return err
}

func (in SegmentInput) applyTo(sg *Segment) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len(n) > 200 {
			return models.FieldError(models.EInvalid, "name", "name must be 1-200 characters")
		}
		sg.Name = n
	}
	if in.Filter != nil {
		if err := in.Filter.Validate(); err != nil {
			return err
		}
		sg.Filter = *in.Filter
	}
	return nil
}

// Create saves a new segment.
func (s SegmentStore) Create(ctx context.Context, p models.Principal, in SegmentInput) (Segment, error) {
	if in.Name == nil {
		return Segment{}, models.FieldError(models.EInvalid, "name", "name is required")
	}
	var sg Segment
	if err := in.applyTo(&sg); err != nil {
		return sg, err
	}
	if p.AgentID != 0 {
		sg.CreatedBy = &p.AgentID
	}
	if err := s.DB.WithContext(ctx).Create(&sg).Error; err != nil {
		return sg, segmentConflict(fmt.Errorf("create segment: %w", err))
	}
	return sg, nil
}

// Get returns one segment.
func (s SegmentStore) Get(ctx context.Context, id int64) (Segment, error) {
	var sg Segment
	err := s.DB.WithContext(ctx).Take(&sg, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sg, models.FieldError(models.ENotFound, "id", "segment %d not found", id)
	}
	if err != nil {
		return sg, fmt.Errorf("get segment %d: %w", id, err)
	}
	return sg, nil
}

// List returns segments by name.
func (s SegmentStore) List(ctx context.Context, pg models.Page) ([]Segment, int64, error) {
	pg = pg.Normal()
	var total int64
	if err := s.DB.WithContext(ctx).Model(&Segment{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count segments: %w", err)
	}
	var out []Segment
	if err := s.DB.WithContext(ctx).Order("name").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list segments: %w", err)
	}
	return out, total, nil
}

// Update patches a segment.
func (s SegmentStore) Update(ctx context.Context, id int64, in SegmentInput) (Segment, error) {
	sg, err := s.Get(ctx, id)
	if err != nil {
		return sg, err
	}
	if err := in.applyTo(&sg); err != nil {
		return sg, err
	}
	sg.UpdatedAt = time.Now().UTC()
	if err := s.DB.WithContext(ctx).Select("name", "filter", "updated_at").Updates(&sg).Error; err != nil {
		return sg, segmentConflict(fmt.Errorf("update segment %d: %w", id, err))
	}
	return sg, nil
}

// Delete removes a segment.
func (s SegmentStore) Delete(ctx context.Context, id int64) error {
	res := s.DB.WithContext(ctx).Delete(&Segment{}, id)
	if res.Error != nil {
		if code, _ := models.PGError(res.Error); code == models.PGForeignKeyViolation {
			return models.Errorf(models.EConflict, "segment %d is the audience of a campaign; it cannot be deleted", id)
		}
		return fmt.Errorf("delete segment %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return models.FieldError(models.ENotFound, "id", "segment %d not found", id)
	}
	return nil
}

// MaxSegmentPage bounds one page of segment contacts.
const MaxSegmentPage = 5000

// Page returns up to limit contacts of the segment with id > afterContactID,
// in id order (keyset pagination: stable while contacts are added). It is
// unscoped: the campaign engine reads whole segments.
func (s SegmentStore) Page(ctx context.Context, segmentID, afterContactID int64, limit int) ([]models.Contact, error) {
	sg, err := s.Get(ctx, segmentID)
	if err != nil {
		return nil, err
	}
	var out []models.Contact
	err = s.pageQuery(ctx, sg, afterContactID, limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("page segment %d: %w", segmentID, err)
	}
	return out, nil
}

// PageScoped is Page restricted to the contacts p may see (the API view).
func (s SegmentStore) PageScoped(ctx context.Context, p models.Principal, segmentID, afterContactID int64, limit int) ([]ContactRecord, error) {
	sg, err := s.Get(ctx, segmentID)
	if err != nil {
		return nil, err
	}
	var out []ContactRecord
	err = s.pageQuery(ctx, sg, afterContactID, limit).Scopes(contactScope(p)).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("page segment %d: %w", segmentID, err)
	}
	return out, nil
}

func (s SegmentStore) pageQuery(ctx context.Context, sg Segment, after int64, limit int) *gorm.DB {
	if limit <= 0 {
		limit = models.DefaultPageLimit
	}
	if limit > MaxSegmentPage {
		limit = MaxSegmentPage
	}
	return sg.Filter.Apply(s.DB.WithContext(ctx).Table("contacts")).
		Where("contacts.id > ?", after).Order("contacts.id").Limit(limit)
}
