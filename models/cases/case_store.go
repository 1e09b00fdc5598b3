package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"gorm.io/gorm"
)

// CaseStore is the PostgreSQL side of cases: the transitions the
// CaseWorkflow's activities make (each idempotent, each writing case_history
// and a case.updated event in its transaction) and the API's reads.
type CaseStore struct {
	DB     *gorm.DB
	Events models.EventStore
	// Publisher, when set, receives the events after commit; a failed
	// publish is logged, not returned (clients resync from PostgreSQL).
	Publisher models.EventPublisher
	Log       *slog.Logger
	Now       func() time.Time
}

func (s CaseStore) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Audit actions of cases.
const (
	AuditCaseCreate     = "case.create"
	AuditCaseTransition = "case.transition"
)

// caseLoadSQL is the open-case load per agent (kept by a trigger).
const caseLoadSQL = `SELECT agent_id, n FROM case_loads`

// CaseInput creates a case.
type CaseInput struct {
	Reference    string          `json:"reference"`
	ContactID    *int64          `json:"contactId"`
	Amount       int64           `json:"amount"`
	Outstanding  *int64          `json:"outstanding"`
	DueDate      string          `json:"dueDate"` // YYYY-MM-DD
	Product      string          `json:"product"`
	CustomFields json.RawMessage `json:"customFields"`
	TeamID       int64           `json:"teamId"`
}

// Create inserts a pooled case; the caller starts its CaseWorkflow, whose
// first activity (EnterPool) writes the history row.
func (s CaseStore) Create(ctx context.Context, by int64, in CaseInput) (Case, error) {
	due, cf, out, err := in.Validate()
	if err != nil {
		return Case{}, err
	}
	in.Reference = strings.TrimSpace(in.Reference)
	var c Case
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM teams WHERE id = ?`, in.TeamID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return models.FieldError(models.EUnprocessable, "teamId", "team %d does not exist", in.TeamID)
		}
		if in.ContactID != nil {
			if err := tx.Raw(`SELECT count(*) FROM contacts WHERE id = ?`, *in.ContactID).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return models.FieldError(models.EUnprocessable, "contactId", "contact %d does not exist", *in.ContactID)
			}
		}
		if err := tx.Raw(`INSERT INTO cases (reference, contact_id, amount, outstanding, due_date, product, custom_fields, team_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reference) DO NOTHING RETURNING *`,
			in.Reference, in.ContactID, in.Amount, out, due, in.Product, string(cf), in.TeamID).Scan(&c).Error; err != nil {
			return fmt.Errorf("insert case: %w", err)
		}
		if c.ID == 0 {
			return models.FieldError(models.EConflict, "reference", "a case with reference %q already exists", in.Reference)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(by, AuditCaseCreate, "case", c.ID, map[string]any{"reference": c.Reference, "teamId": c.TeamID}))
	})
	c.derive(s.now())
	return c, err
}

// ContactVisible reports whether p may see contact id (the contact scope of
// the kernel): a case names a contact only through it.
func (s CaseStore) ContactVisible(ctx context.Context, p models.Principal, id int64) (bool, error) {
	var n int64
	err := s.DB.WithContext(ctx).Table("contacts").Scopes(models.ContactScope(p)).Where("contacts.id = ?", id).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find contact %d: %w", id, err)
	}
	return n > 0, nil
}

// Validate checks the input and returns the parsed due date, custom fields
// and outstanding amount (the amount when not given).
func (in CaseInput) Validate() (due *time.Time, cf json.RawMessage, out int64, err error) {
	ref := strings.TrimSpace(in.Reference)
	if ref == "" || len(ref) > 100 {
		return nil, nil, 0, models.FieldError(models.EInvalid, "reference", "reference is required (at most 100 characters)")
	}
	if in.TeamID <= 0 {
		return nil, nil, 0, models.FieldError(models.EInvalid, "teamId", "teamId is required")
	}
	if in.Amount < 0 {
		return nil, nil, 0, models.FieldError(models.EInvalid, "amount", "amount must not be negative")
	}
	out = in.Amount
	if in.Outstanding != nil {
		if *in.Outstanding < 0 {
			return nil, nil, 0, models.FieldError(models.EInvalid, "outstanding", "outstanding must not be negative")
		}
		out = *in.Outstanding
	}
	if in.DueDate != "" {
		d, perr := time.Parse(time.DateOnly, in.DueDate)
		if perr != nil {
			return nil, nil, 0, models.FieldError(models.EInvalid, "dueDate", "dueDate must be a date like 2026-01-31")
		}
		due = &d
	}
	cf = in.CustomFields
	if len(cf) == 0 || string(cf) == "null" {
		cf = json.RawMessage(`{}`)
	} else if cf[0] != '{' {
		return nil, nil, 0, models.FieldError(models.EInvalid, "customFields", "customFields must be a JSON object")
	}
	return due, cf, out, nil
}

// CaseFilter narrows List.
type CaseFilter struct {
	Status    string
	TeamID    int64
	AgentID   int64
	ContactID int64
	Bucket    string
	Overdue   *bool
	// Q searches the reference (prefix, any case), the customer's name
	// (substring) and, when it holds digits, the customer's phone.
	Q string
}

// caseWithContact reads cases with their customer and latest conversation.
func caseWithContact(db *gorm.DB) *gorm.DB {
	return db.Select(`cases.*, COALESCE(ct.name, '') AS contact_name, COALESCE(ct.phone_e164, '') AS contact_phone,
		(SELECT cv.id FROM conversations cv WHERE cv.contact_id = cases.contact_id
			ORDER BY cv.last_message_at DESC NULLS LAST, cv.id DESC LIMIT 1) AS conversation_id`).
		Joins("LEFT JOIN contacts ct ON ct.id = cases.contact_id")
}

// List returns the cases p may see, newest first.
func (s CaseStore) List(ctx context.Context, p models.Principal, f CaseFilter, pg models.Page) ([]Case, int64, error) {
	pg = pg.Normal()
	q := s.DB.WithContext(ctx).Model(&Case{}).Scopes(caseScope(p))
	if f.Status != "" {
		switch f.Status {
		case CasePooled, CaseAssigned, CaseInProgress, CaseExited:
		default:
			return nil, 0, models.FieldError(models.EInvalid, "status", "status must be one of pooled, assigned, in_progress, exited")
		}
		q = q.Where("cases.status = ?", f.Status)
	}
	if f.TeamID > 0 {
		q = q.Where("cases.team_id = ?", f.TeamID)
	}
	if f.AgentID > 0 {
		q = q.Where("cases.agent_id = ?", f.AgentID)
	}
	if f.ContactID > 0 {
		q = q.Where("cases.contact_id = ?", f.ContactID)
	}
	if f.Overdue != nil {
		q = q.Where("cases.overdue = ?", *f.Overdue)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if len(qs) > 100 {
			return nil, 0, models.FieldError(models.EInvalid, "q", "q is at most 100 characters")
		}
		like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(qs))
		cond, args := "lower(cases.reference) LIKE ? OR lower(ct.name) LIKE ?", []any{like + "%", "%" + like + "%"}
		if digits := models.DigitsOnly(qs); len(digits) >= 4 {
			// A phone in any spelling (0812-..., +62 812...) matches its digits.
			if strings.HasPrefix(digits, "0") {
				digits = "62" + digits[1:]
			}
			cond, args = cond+" OR ct.phone_e164 LIKE ?", append(args, "%"+digits+"%")
		}
		q = q.Where("EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = cases.contact_id AND ("+cond+")) OR lower(cases.reference) LIKE ?",
			append(args, like+"%")...)
	}
	if f.Bucket != "" {
		lo, hi, ok := BucketDPD(f.Bucket)
		if !ok {
			return nil, 0, models.FieldError(models.EInvalid, "bucket", "bucket must be one of %v", CaseBuckets)
		}
		// DPD = today - due_date, so a DPD range is a due_date range.
		today := s.now().Truncate(24 * time.Hour)
		switch f.Bucket {
		case "B0":
			q = q.Where("(cases.due_date IS NULL OR cases.due_date >= ?)", today.AddDate(0, 0, -hi))
		case CaseBuckets[len(CaseBuckets)-1]:
			q = q.Where("cases.due_date <= ?", today.AddDate(0, 0, -lo))
		default:
			q = q.Where("cases.due_date <= ? AND cases.due_date >= ?", today.AddDate(0, 0, -lo), today.AddDate(0, 0, -hi))
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	var out []Case
	if err := q.Scopes(caseWithContact).Order("cases.id DESC").Limit(pg.Limit).Offset(pg.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list cases: %w", err)
	}
	now := s.now()
	for i := range out {
		out[i].derive(now)
	}
	return out, total, nil
}

// caseScope is what p may see of cases: its data scope and, holding
// cases:claim, the pooled cases of its own teams (the pool it takes from;
// an assigned case of a teammate stays out of sight).
func caseScope(p models.Principal) func(*gorm.DB) *gorm.DB {
	base := models.ScopeFilter(p, "cases.agent_id", "cases.team_id")
	if p.AllScope || !p.Can(models.PermCasesClaim) || len(p.TeamIDs) == 0 {
		return base
	}
	return func(db *gorm.DB) *gorm.DB {
		// ScopeFilter's rule, OR the pools of p's teams.
		if len(p.SupervisedTeamIDs) > 0 {
			return db.Where("(cases.agent_id = ? OR cases.team_id IN ? OR (cases.status = ? AND cases.team_id IN ?))",
				p.AgentID, p.SupervisedTeamIDs, CasePooled, p.TeamIDs)
		}
		return db.Where("(cases.agent_id = ? OR (cases.status = ? AND cases.team_id IN ?))", p.AgentID, CasePooled, p.TeamIDs)
	}
}

// Get returns one case with its history, within p's scope.
func (s CaseStore) Get(ctx context.Context, p models.Principal, id int64) (Case, error) {
	var c Case
	err := s.DB.WithContext(ctx).Scopes(caseScope(p), caseWithContact).Where("cases.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, models.Errorf(models.ENotFound, "case %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("get case %d: %w", id, err)
	}
	if err := s.DB.WithContext(ctx).Where("case_id = ?", id).Order("id").Find(&c.History).Error; err != nil {
		return c, fmt.Errorf("case %d history: %w", id, err)
	}
	c.derive(s.now())
	return c, nil
}

// Unstarted returns the case with this reference when its workflow never
// entered it in the pool (no history yet), so a retried create can start it.
func (s CaseStore) Unstarted(ctx context.Context, reference string) (Case, bool, error) {
	var c Case
	err := s.DB.WithContext(ctx).Where("reference = ? AND NOT EXISTS (SELECT 1 FROM case_history h WHERE h.case_id = cases.id)",
		strings.TrimSpace(reference)).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("case %q: %w", reference, err)
	}
	c.derive(s.now())
	return c, true, nil
}

// AssignedCasesOfContact returns the contact's assigned or in-progress
// cases (the ones a customer reply counts as progress on).
func (s CaseStore) AssignedCasesOfContact(ctx context.Context, contactID int64) ([]int64, error) {
	var ids []int64
	err := s.DB.WithContext(ctx).Raw(`SELECT id FROM cases WHERE contact_id = ? AND status IN ('assigned','in_progress') ORDER BY id`, contactID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("cases of contact %d: %w", contactID, err)
	}
	return ids, nil
}

// Visible reports whether p may see case id (ENotFound otherwise).
func (s CaseStore) Visible(ctx context.Context, p models.Principal, id int64) (Case, error) {
	var c Case
	err := s.DB.WithContext(ctx).Scopes(caseScope(p)).Where("cases.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, models.Errorf(models.ENotFound, "case %d not found", id)
	}
	c.derive(s.now())
	return c, err
}

// OpenCaseIDs pages through the non-exited cases of a team or an agent
// (id > after, ascending) for bulk operations.
func (s CaseStore) OpenCaseIDs(ctx context.Context, teamID, agentID, after int64, limit int) ([]Case, error) {
	q := s.DB.WithContext(ctx).Model(&Case{}).Where("status <> ? AND id > ?", CaseExited, after)
	if teamID > 0 {
		q = q.Where("team_id = ?", teamID)
	}
	if agentID > 0 {
		q = q.Where("agent_id = ? AND status IN ?", agentID, []string{CaseAssigned, CaseInProgress})
	}
	var out []Case
	err := q.Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// change is one transition: fn edits c (the locked row) and returns the
// history row to write, or nil when there is nothing to do (idempotency).
type caseFn func(tx *gorm.DB, c *Case) (*CaseHistory, error)

func (s CaseStore) mutate(ctx context.Context, id int64, by int64, fn caseFn) (Case, error) {
	var c Case
	var evs []models.Event
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT * FROM cases WHERE id = ? FOR UPDATE`, id).Scan(&c).Error; err != nil {
			return fmt.Errorf("lock case: %w", err)
		}
		if c.ID == 0 {
			return models.Errorf(models.ENotFound, "case %d not found", id)
		}
		before := c
		h, err := fn(tx, &c)
		if err != nil || h == nil {
			return err
		}
		now := s.now()
		c.UpdatedAt = now
		if err := tx.Exec(`UPDATE cases SET team_id = ?, agent_id = ?, status = ?, exit_reason = ?, follow_up_at = ?, overdue = ?,
			outcome = ?, outcome_note = ?, promise_date = ?, assigned_at = ?, exited_at = ?, updated_at = ? WHERE id = ?`,
			c.TeamID, c.AgentID, c.Status, c.ExitReason, c.FollowUpAt, c.Overdue, c.Outcome, c.OutcomeNote, c.PromiseDate,
			c.AssignedAt, c.ExitedAt, now, id).Error; err != nil {
			return fmt.Errorf("update case: %w", err)
		}
		h.CaseID, h.FromStatus, h.ToStatus, h.At = id, before.Status, c.Status, now
		h.FromAgent, h.ToAgent = before.AgentID, c.AgentID
		if before.TeamID != c.TeamID {
			h.FromTeam, h.ToTeam = &before.TeamID, &c.TeamID
		} else {
			h.ToTeam = &c.TeamID
		}
		if by != 0 {
			h.ByAgentID = &by
		}
		if err := tx.Create(h).Error; err != nil {
			return fmt.Errorf("case history: %w", err)
		}
		if err := s.syncOwner(tx, before, c); err != nil {
			return err
		}
		if by != 0 { // people's actions are audited; the workflow's own moves are in the history
			if err := identity.WriteAudit(ctx, tx, identity.Audit(by, AuditCaseTransition, "case", id, map[string]any{
				"from": before.Status, "to": c.Status, "reason": h.Reason, "agentId": c.AgentID, "teamId": c.TeamID,
			})); err != nil {
				return err
			}
		}
		aud := c.Audience()
		if before.AgentID != nil && (c.AgentID == nil || *before.AgentID != *c.AgentID) {
			aud.AgentIDs = append(aud.AgentIDs, *before.AgentID)
		}
		if before.TeamID != c.TeamID {
			aud.TeamIDs = append(aud.TeamIDs, before.TeamID)
		}
		ev, err := models.NewEvent(models.EventCaseUpdated, aud, map[string]any{
			"id": id, "change": h.Reason, "status": c.Status, "agentId": c.AgentID, "teamId": c.TeamID,
			"exitReason": c.ExitReason, "overdue": c.Overdue, "reference": c.Reference, "contactId": c.ContactID,
			"outcome": c.Outcome, "promiseDate": c.PromiseDate,
		})
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		evs = append(evs, ev)
		return nil
	})
	if err == nil {
		models.PublishCommitted(ctx, s.Publisher, s.Log, "case", evs...)
		// The team's timings as they are now (after a transfer: the new team's).
		if terr := s.DB.WithContext(ctx).Raw(`SELECT COALESCE(case_expiry_hours, 0) AS expiry_hours,
			COALESCE(case_follow_up_hours, 0) AS follow_up_hours FROM teams WHERE id = ?`, c.TeamID).Scan(&c.teamTimings).Error; terr != nil {
			return c, fmt.Errorf("case %d: team timings: %w", id, terr)
		}
	}
	c.derive(s.now())
	return c, err
}

// syncOwner makes the case's agent the contact's owner (so the contact's
// conversations route to that agent) and releases ownership when the agent
// no longer holds any open case of the contact.
func (s CaseStore) syncOwner(tx *gorm.DB, before, after Case) error {
	if after.ContactID == nil {
		return nil
	}
	open := after.Status == CaseAssigned || after.Status == CaseInProgress
	if open && after.AgentID != nil {
		// The case's agent takes over the contact only from nobody or from a
		// member of the case's team: a case never takes another team's
		// customer from its owner (that owner's conversations and scope stay).
		if err := tx.Exec(`UPDATE contacts SET owner_agent_id = ?, updated_at = now() WHERE id = ? AND owner_agent_id IS DISTINCT FROM ?
			AND (owner_agent_id IS NULL OR owner_agent_id IN (SELECT agent_id FROM team_members WHERE team_id = ?))`,
			*after.AgentID, *after.ContactID, *after.AgentID, after.TeamID).Error; err != nil {
			return fmt.Errorf("contact owner: %w", err)
		}
	}
	if before.AgentID != nil && (!open || after.AgentID == nil || *after.AgentID != *before.AgentID) {
		if err := tx.Exec(`UPDATE contacts SET owner_agent_id = NULL, updated_at = now() WHERE id = ? AND owner_agent_id = ?
			AND NOT EXISTS (SELECT 1 FROM cases WHERE contact_id = ? AND agent_id = ? AND status IN ('assigned','in_progress'))`,
			*after.ContactID, *before.AgentID, *after.ContactID, *before.AgentID).Error; err != nil {
			return fmt.Errorf("release contact owner: %w", err)
		}
	}
	return nil
}

func snapshot(c Case) CaseSnapshot {
	s := CaseSnapshot{ID: c.ID, Status: c.Status, TeamID: c.TeamID, Bucket: c.Bucket,
		ExpiryHours: c.teamTimings.ExpiryHours, FollowUpHours: c.teamTimings.FollowUpHours}
	if c.AgentID != nil {
		s.AgentID = *c.AgentID
	}
	if c.ExitReason != nil {
		s.ExitReason = *c.ExitReason
	}
	return s
}

func exitedErr(c *Case) error {
	r := ""
	if c.ExitReason != nil {
		r = *c.ExitReason
	}
	return models.Errorf(models.EUnprocessable, "case %d has exited (%s)", c.ID, r)
}

// EnterPool records the case's entry into its team's pool (once).
func (s CaseStore) EnterPool(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(tx *gorm.DB, c *Case) (*CaseHistory, error) {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM case_history WHERE case_id = ?`, c.ID).Scan(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 || c.Status != CasePooled {
			return nil, nil
		}
		if ch.TeamID > 0 && ch.TeamID != c.TeamID {
			return nil, models.FieldError(models.EUnprocessable, "teamId", "case %d belongs to team %d, not %d", c.ID, c.TeamID, ch.TeamID)
		}
		return &CaseHistory{Reason: orDefault(ch.Reason, "entered"), Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// MarkProgress moves an assigned case to in_progress and clears overdue.
func (s CaseStore) MarkProgress(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(_ *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.AgentID == nil || c.Status == CaseExited || (c.Status == CaseInProgress && !c.Overdue) {
			return nil, nil
		}
		c.Status, c.Overdue = CaseInProgress, false
		return &CaseHistory{Reason: orDefault(ch.Reason, "progress"), Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// Recall puts an assigned case back in its team's pool.
func (s CaseStore) Recall(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(_ *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Status == CaseExited {
			return nil, exitedErr(c)
		}
		if c.AgentID == nil {
			return nil, nil
		}
		c.AgentID, c.Status, c.AssignedAt, c.Overdue, c.FollowUpAt = nil, CasePooled, nil, false, nil
		return &CaseHistory{Reason: orDefault(ch.Reason, "recalled"), Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// Transfer moves the case to another team's pool.
func (s CaseStore) Transfer(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(tx *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Status == CaseExited {
			return nil, exitedErr(c)
		}
		if c.TeamID == ch.TeamID && c.Status == CasePooled {
			return nil, nil
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM teams WHERE id = ?`, ch.TeamID).Scan(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, models.FieldError(models.ENotFound, "teamId", "team %d not found", ch.TeamID)
		}
		c.TeamID, c.AgentID, c.Status, c.AssignedAt, c.Overdue, c.FollowUpAt = ch.TeamID, nil, CasePooled, nil, false, nil
		return &CaseHistory{Reason: orDefault(ch.Reason, "transferred"), Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// MarkOverdue flags a missed follow-up on an assigned case.
func (s CaseStore) MarkOverdue(ctx context.Context, caseID int64) error {
	_, err := s.mutate(ctx, caseID, 0, func(_ *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Overdue || c.AgentID == nil || c.Status == CaseExited {
			return nil, nil
		}
		c.Overdue = true
		return &CaseHistory{Reason: "overdue"}, nil
	})
	return err
}

// RecordOutcome stores an agent's outcome; a promise to pay sets the
// follow-up to the day after the promised date. Recording the same outcome
// again (a retried activity) changes nothing.
func (s CaseStore) RecordOutcome(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(tx *gorm.DB, c *Case) (*CaseHistory, error) {
		if c.Status == CaseExited {
			return nil, exitedErr(c)
		}
		if !ValidOutcome(ch.Outcome) {
			return nil, models.FieldError(models.EInvalid, "outcome", "outcome must be one of %v", CaseOutcomes)
		}
		if ch.Outcome == "promise_to_pay" && ch.PromiseDate.IsZero() {
			return nil, models.FieldError(models.EInvalid, "promiseDate", "promiseDate is required for promise_to_pay")
		}
		var pd *time.Time
		if !ch.PromiseDate.IsZero() {
			d := time.Date(ch.PromiseDate.Year(), ch.PromiseDate.Month(), ch.PromiseDate.Day(), 0, 0, 0, 0, time.UTC)
			pd = &d
		}
		var last CaseHistory
		if err := tx.Raw(`SELECT * FROM case_history WHERE case_id = ? ORDER BY id DESC LIMIT 1`, c.ID).Scan(&last).Error; err != nil {
			return nil, err
		}
		samePD := (pd == nil && c.PromiseDate == nil) || (pd != nil && c.PromiseDate != nil && pd.Equal(c.PromiseDate.UTC()))
		if last.Reason == "outcome:"+ch.Outcome && c.Outcome == ch.Outcome && c.OutcomeNote == ch.Note && samePD {
			return nil, nil
		}
		c.Outcome, c.OutcomeNote, c.PromiseDate = ch.Outcome, ch.Note, pd
		if pd != nil {
			f := pd.Add(24 * time.Hour)
			c.FollowUpAt, c.Overdue = &f, false
		}
		if c.Status == CaseAssigned {
			c.Status = CaseInProgress
		}
		return &CaseHistory{Reason: "outcome:" + ch.Outcome, Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// Exit ends the case with a reason; exiting again changes nothing.
func (s CaseStore) Exit(ctx context.Context, ch CaseChange) (CaseSnapshot, error) {
	c, err := s.mutate(ctx, ch.CaseID, ch.By, func(_ *gorm.DB, c *Case) (*CaseHistory, error) {
		if !ValidExitReason(ch.Reason) {
			return nil, models.FieldError(models.EInvalid, "reason", "reason must be one of %v", CaseExitReasons)
		}
		if c.Status == CaseExited {
			return nil, nil
		}
		now := s.now()
		r := ch.Reason
		c.Status, c.ExitReason, c.ExitedAt, c.FollowUpAt = CaseExited, &r, &now, nil
		return &CaseHistory{Reason: "exit:" + r, Note: ch.Note}, nil
	})
	return snapshot(c), err
}

// CaseByReference returns the case with that reference (found=false when none).
func (s CaseStore) CaseByReference(ctx context.Context, reference string) (Case, bool, error) {
	var c Case
	err := s.DB.WithContext(ctx).Where("reference = ?", strings.TrimSpace(reference)).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}
