package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"gorm.io/gorm"
)

// Contact audit actions.
const (
	AuditContactExport = "contact.export"
	AuditContactDelete = "contact.delete"
	AuditIntakeCreate  = "intake.create"
)

// ContactRecord is a contact with every column the contacts area manages
// (Contact in waba.go is the narrow view the messaging paths use).
type ContactRecord struct {
	ID              int64             `json:"id" gorm:"primaryKey"`
	PhoneE164       *string           `json:"phoneE164,omitempty" gorm:"column:phone_e164"`
	WAID            string            `json:"waId" gorm:"column:wa_id"`
	BSUID           *string           `json:"bsuid,omitempty" gorm:"column:bsuid"`
	Name            string            `json:"name"`
	Attributes      json.RawMessage   `json:"attributes" gorm:"type:jsonb"`
	Tags            models.StringList `json:"tags" gorm:"type:text[]"`
	OptedOut        bool              `json:"optedOut"`
	OwnerAgentID    *int64            `json:"ownerAgentId,omitempty"`
	LastContactedAt *time.Time        `json:"lastContactedAt,omitempty"`
	CreatedAt       time.Time         `json:"createdAt"`
	UpdatedAt       time.Time         `json:"updatedAt"`
}

// TableName implements gorm's Tabler.
func (ContactRecord) TableName() string { return "contacts" }

// ContactInput creates or patches a contact; nil fields are left unchanged.
type ContactInput struct {
	Phone        *string         `json:"phone"`
	Name         *string         `json:"name"`
	Attributes   *map[string]any `json:"attributes"`
	Tags         *[]string       `json:"tags"`
	OptedOut     *bool           `json:"optedOut"`
	OwnerAgentID *int64          `json:"ownerAgentId"`
}

// ContactFilter selects contacts; zero fields do not filter.
type ContactFilter struct {
	Query        string            // name substring or any spelling of a phone number
	Tag          string            // contacts carrying this tag
	Attributes   map[string]string // attributes->>key = value
	OptedOut     *bool
	OwnerAgentID int64
}

// ContactStore reads and writes contacts within a principal's data scope:
// agents see the contacts they own, AllScope principals see all.
type ContactStore struct{ DB *gorm.DB }

// contactScope is the kernel's contact scope rule (models.ContactScope).
func contactScope(p models.Principal) func(*gorm.DB) *gorm.DB { return models.ContactScope(p) }

// PhoneForContact normalises a phone for a contact, as a 422 naming "phone".
func PhoneForContact(raw string) (string, error) {
	e164, err := models.NormalizePhone(raw)
	if err != nil {
		var me *models.Error
		msg := err.Error()
		if errors.As(err, &me) {
			msg = me.Message
		}
		return "", &models.Error{Code: models.EUnprocessable, Field: "phone", Message: msg, Err: err}
	}
	return e164, nil
}

func cleanTags(tags []string) (models.StringList, error) {
	out := models.StringList{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if len(t) > 64 {
			return nil, models.FieldError(models.EInvalid, "tags", "tag %q is longer than 64 characters", t)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func (s ContactStore) checkOwner(ctx context.Context, p models.Principal, owner *int64) error {
	if owner == nil {
		return nil
	}
	if !p.AllScope && *owner != p.AgentID {
		var inTeams int64
		if len(p.SupervisedTeamIDs) > 0 {
			if err := s.DB.WithContext(ctx).Table("team_members").Where("agent_id = ? AND team_id IN ?", *owner, p.SupervisedTeamIDs).
				Count(&inTeams).Error; err != nil {
				return fmt.Errorf("check owner: %w", err)
			}
		}
		if inTeams == 0 {
			return models.FieldError(models.EForbidden, "ownerAgentId", "you may only give contacts to yourself or members of teams you supervise")
		}
	}
	var n int64
	if err := s.DB.WithContext(ctx).Table("agents").Where("id = ?", *owner).Count(&n).Error; err != nil {
		return fmt.Errorf("check owner: %w", err)
	}
	if n == 0 {
		return models.FieldError(models.EUnprocessable, "ownerAgentId", "agent %d does not exist", *owner)
	}
	return nil
}

func contactConflict(err error) error {
	if code, constraint := models.PGError(err); code == models.PGUniqueViolation && constraint == "contacts_phone_e164_key" {
		return &models.Error{Code: models.EConflict, Field: "phone", Message: "a contact with this phone number already exists", Err: err}
	}
	return err
}

// Create adds a contact. The phone is required and unique once normalised;
// an agent's new contact is owned by the agent.
func (s ContactStore) Create(ctx context.Context, p models.Principal, in ContactInput) (ContactRecord, error) {
	if in.Phone == nil {
		return ContactRecord{}, models.FieldError(models.EInvalid, "phone", "phone is required")
	}
	e164, err := PhoneForContact(*in.Phone)
	if err != nil {
		return ContactRecord{}, err
	}
	c := ContactRecord{PhoneE164: &e164, WAID: models.WAIDFromE164(e164), Attributes: json.RawMessage("{}"), Tags: models.StringList{}}
	if err := s.apply(ctx, p, &c, in); err != nil {
		return ContactRecord{}, err
	}
	if c.OwnerAgentID == nil && !p.AllScope {
		c.OwnerAgentID = &p.AgentID
	}
	if err := s.DB.WithContext(ctx).Create(&c).Error; err != nil {
		return ContactRecord{}, s.duplicate(ctx, p, e164, contactConflict(fmt.Errorf("create contact: %w", err)))
	}
	return c, nil
}

// duplicate turns "phone already taken" into an answer the caller can act
// on within its scope: the existing contact's id when the caller may see
// it (open it instead), otherwise a conflict that names nothing of the
// other team's customer (no id, name, owner or team). Phone numbers are
// unique across the business, so that the number is taken cannot be
// hidden from someone allowed to create contacts; who holds it is.
func (s ContactStore) duplicate(ctx context.Context, p models.Principal, e164 string, err error) error {
	if models.CodeOf(err) != models.EConflict {
		return err
	}
	var id int64
	if qerr := s.DB.WithContext(ctx).Raw("SELECT id FROM contacts WHERE phone_e164 = ?", e164).Scan(&id).Error; qerr != nil || id == 0 {
		return err
	}
	if _, gerr := s.Get(ctx, p, id); gerr != nil {
		return &models.Error{Code: models.EConflict, Field: "phone",
			Message: "this phone number cannot be added as a new contact; ask a supervisor to assign its contact to you"}
	}
	return &models.Error{Code: models.EConflict, Field: "phone", Message: "a contact with this phone number already exists",
		Details: map[string]any{"contactId": id}}
}

// apply copies the set fields of in onto c (the phone is handled by callers).
func (s ContactStore) apply(ctx context.Context, p models.Principal, c *ContactRecord, in ContactInput) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if len(n) > 200 {
			return models.FieldError(models.EInvalid, "name", "name is longer than 200 characters")
		}
		c.Name = n
	}
	if in.Attributes != nil {
		raw, err := json.Marshal(*in.Attributes)
		if err != nil || *in.Attributes == nil {
			return models.FieldError(models.EInvalid, "attributes", "attributes must be a JSON object")
		}
		c.Attributes = raw
	}
	if in.Tags != nil {
		t, err := cleanTags(*in.Tags)
		if err != nil {
			return err
		}
		c.Tags = t
	}
	if in.OptedOut != nil {
		c.OptedOut = *in.OptedOut
	}
	if in.OwnerAgentID != nil {
		if err := s.checkOwner(ctx, p, in.OwnerAgentID); err != nil {
			return err
		}
		c.OwnerAgentID = in.OwnerAgentID
	}
	return nil
}

// Get returns one contact p may see.
func (s ContactStore) Get(ctx context.Context, p models.Principal, id int64) (ContactRecord, error) {
	var c ContactRecord
	err := s.DB.WithContext(ctx).Scopes(contactScope(p)).Where("contacts.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, models.FieldError(models.ENotFound, "id", "contact %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("get contact %d: %w", id, err)
	}
	return c, nil
}

// Update patches a contact p may see.
func (s ContactStore) Update(ctx context.Context, p models.Principal, id int64, in ContactInput) (ContactRecord, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return c, err
	}
	if in.OwnerAgentID != nil && (c.OwnerAgentID == nil || *c.OwnerAgentID != *in.OwnerAgentID) {
		if err := s.checkOwned(ctx, p, id); err != nil {
			return c, err
		}
	}
	if in.Phone != nil {
		e164, err := PhoneForContact(*in.Phone)
		if err != nil {
			return c, err
		}
		c.PhoneE164, c.WAID = &e164, models.WAIDFromE164(e164)
	}
	if err := s.apply(ctx, p, &c, in); err != nil {
		return c, err
	}
	c.UpdatedAt = time.Now().UTC()
	err = s.DB.WithContext(ctx).Model(&ContactRecord{ID: id}).Select(
		"phone_e164", "wa_id", "name", "attributes", "tags", "opted_out", "owner_agent_id", "updated_at").Updates(&c).Error
	if err != nil {
		return c, contactConflict(fmt.Errorf("update contact %d: %w", id, err))
	}
	return c, nil
}

// checkOwned refuses (403) to hand over a contact p sees only because it
// serves one of its conversations or cases: a new owner needs the ownership
// scope (models.ContactOwnedSQL).
func (s ContactStore) checkOwned(ctx context.Context, p models.Principal, id int64) error {
	cond, args := models.ContactOwnedSQL(p, "contacts.owner_agent_id")
	if cond == "" {
		return nil
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&ContactRecord{}).Where(cond, args).Where("contacts.id = ?", id).Count(&n).Error; err != nil {
		return fmt.Errorf("check ownership of contact %d: %w", id, err)
	}
	if n == 0 {
		return models.FieldError(models.EForbidden, "ownerAgentId", "only the owner (or a supervisor of the owner) hands a contact over")
	}
	return nil
}

// Delete removes a contact p may see. Contacts with conversations or cases
// are kept (409): their history must stay readable.
func (s ContactStore) Delete(ctx context.Context, p models.Principal, id int64) error {
	if _, err := s.Get(ctx, p, id); err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Delete(&ContactRecord{}, id).Error; err != nil {
			if code, _ := models.PGError(err); code == models.PGForeignKeyViolation {
				return &models.Error{Code: models.EConflict, Field: "id", Message: "contact has conversations or cases and cannot be deleted", Err: err}
			}
			return fmt.Errorf("delete contact %d: %w", id, err)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(p.AgentID, AuditContactDelete, "contact", id, nil))
	})
}

// filter applies f to a contacts query.
func (f ContactFilter) apply(db *gorm.DB) *gorm.DB {
	if q := strings.TrimSpace(f.Query); q != "" {
		if e164, err := models.NormalizePhone(q); err == nil {
			db = db.Where("contacts.phone_e164 = ?", e164)
		} else {
			like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
			digits := models.DigitsOnly(q)
			if len(digits) >= 4 {
				// A partial number: match the national digits whatever spelling was typed.
				digits = strings.TrimPrefix(strings.TrimPrefix(digits, "62"), "0")
				db = db.Where("(contacts.name ILIKE ? OR contacts.phone_e164 LIKE ?)", like, "%"+digits+"%")
			} else {
				// ILIKE, not lower() LIKE: the trigram index of 00190
				// (contacts_name_trgm) serves ILIKE on the column itself.
				db = db.Where("contacts.name ILIKE ?", like)
			}
		}
	}
	if f.Tag != "" {
		// Containment, not "= ANY": only @> can use contacts_tags_idx (GIN).
		db = db.Where("contacts.tags @> ARRAY[?]::text[]", f.Tag)
	}
	for k, v := range f.Attributes {
		raw, _ := json.Marshal(map[string]string{k: v})
		db = db.Where("contacts.attributes @> ?::jsonb", string(raw))
	}
	if f.OptedOut != nil {
		db = db.Where("contacts.opted_out = ?", *f.OptedOut)
	}
	if f.OwnerAgentID != 0 {
		db = db.Where("contacts.owner_agent_id = ?", f.OwnerAgentID)
	}
	return db
}

// List returns a page of contacts p may see, newest first, and their
// count (exact up to models.CountCap, else estimated; More from one row
// read past the page).
func (s ContactStore) List(ctx context.Context, p models.Principal, f ContactFilter, pg models.Page) ([]ContactRecord, models.Count, error) {
	pg = pg.Normal()
	q := f.apply(s.DB.WithContext(ctx).Model(&ContactRecord{}).Scopes(contactScope(p)))
	var out []ContactRecord
	if err := q.Session(&gorm.Session{}).Order("contacts.id DESC").Limit(pg.Limit + 1).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, models.Count{}, fmt.Errorf("list contacts: %w", err)
	}
	return pageCount(q, out, pg)
}

// pageCount trims the row read past the page and counts: a first page that
// is not full is its own count.
func pageCount[T any](q *gorm.DB, rows []T, pg models.Page) ([]T, models.Count, error) {
	more := len(rows) > pg.Limit
	if more {
		rows = rows[:pg.Limit]
	}
	if pg.Offset == 0 && !more {
		return rows, models.Count{Total: int64(len(rows))}, nil
	}
	c, err := models.CountRows(q)
	c.More = more
	if !c.Estimated && c.Total < int64(pg.Offset+len(rows)) {
		c.Total = int64(pg.Offset + len(rows)) // rows added between the two reads
	}
	return rows, c, err
}

// exportBatch is how many rows Export reads per query.
const exportBatch = 1000

// Export calls fn for every contact p may see that matches f, in id order,
// reading by keyset so memory stays flat however many contacts there are.
func (s ContactStore) Export(ctx context.Context, p models.Principal, f ContactFilter, fn func(ContactRecord) error) (int, error) {
	var after int64
	n := 0
	for {
		var batch []ContactRecord
		q := f.apply(s.DB.WithContext(ctx).Model(&ContactRecord{}).Scopes(contactScope(p)))
		if err := q.Where("contacts.id > ?", after).Order("contacts.id").Limit(exportBatch).Find(&batch).Error; err != nil {
			return n, fmt.Errorf("export contacts: %w", err)
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return n, err
			}
			n++
		}
		if len(batch) < exportBatch {
			return n, nil
		}
		after = batch[len(batch)-1].ID
	}
}

// RecordExport writes the audit row of an export (before streaming, so an
// export that was started is on record even if the client drops).
func (s ContactStore) RecordExport(ctx context.Context, p models.Principal, f ContactFilter) error {
	return identity.WriteAudit(ctx, s.DB, identity.Audit(p.AgentID, AuditContactExport, "contact", 0, map[string]any{
		"query": f.Query, "tag": f.Tag, "attributes": f.Attributes, "ownerAgentId": f.OwnerAgentID,
	}))
}
