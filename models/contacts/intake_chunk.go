package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RowResult is the outcome of one row.
type RowResult struct {
	RowNo     int    `json:"row_no"`
	Result    string `json:"result"`
	Reason    string `json:"reason"`
	PhoneE164 string `json:"phone_e164,omitempty"`
	ContactID int64  `json:"contact_id,omitempty"`
	record    IntakeRecord
	owner     *int64
}

// ChunkOutcome is what one chunk did.
type ChunkOutcome struct {
	LastRowNo int            // the chunk's last row number; the next chunk starts after it
	Rows      int            // rows in the chunk (0: the job is done)
	Progress  IntakeProgress // the whole job after this chunk
	Event     *models.Event  // intake.progress, stored with the chunk; publish after commit
}

// ProcessChunk handles up to limit rows of the job after row afterRowNo:
// validate, normalise, dedupe (within the job and against contacts), upsert
// contacts and store each row's result, all in one transaction. Rows that
// already have a result are left alone, so a chunk processed twice (a
// retried activity, a crashed worker) changes nothing.
func (s IntakeStore) ProcessChunk(ctx context.Context, jobID int64, afterRowNo, limit int) (ChunkOutcome, error) {
	var out ChunkOutcome
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var job IntakeJob
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&job, jobID).Error; err != nil {
			return fmt.Errorf("lock intake job %d: %w", jobID, err)
		}
		if job.Status == IntakeCancelled || job.Status == IntakeFailed {
			// Cancelled through the API: stop at the next chunk boundary.
			p, err := s.progress(ctx, tx, jobID)
			out.Progress, out.LastRowNo = p, afterRowNo
			return err
		}
		var rows []IntakeRow
		if err := tx.Where("job_id = ? AND row_no > ?", jobID, afterRowNo).Order("row_no").Limit(limit).Find(&rows).Error; err != nil {
			return fmt.Errorf("read intake rows: %w", err)
		}
		out.Rows = len(rows)
		if len(rows) == 0 {
			p, err := s.progress(ctx, tx, jobID)
			out.Progress, out.LastRowNo = p, afterRowNo
			return err
		}
		out.LastRowNo = rows[len(rows)-1].RowNo
		var todo []IntakeRow
		for _, r := range rows {
			if r.Result == nil {
				todo = append(todo, r)
			}
		}
		if len(todo) > 0 {
			results, err := s.classify(ctx, tx, jobID, todo)
			if err != nil {
				return err
			}
			if err := s.upsertContacts(ctx, tx, results); err != nil {
				return err
			}
			if err := s.storeResults(ctx, tx, jobID, results); err != nil {
				return err
			}
			if err := s.count(ctx, tx, jobID, results); err != nil {
				return err
			}
		}
		if job.Status == IntakePending {
			if err := tx.Model(&job).Updates(map[string]any{"status": IntakeRunning, "updated_at": time.Now().UTC()}).Error; err != nil {
				return fmt.Errorf("start intake job: %w", err)
			}
		}
		p, err := s.progress(ctx, tx, jobID)
		if err != nil {
			return err
		}
		out.Progress = p
		if len(todo) == 0 {
			return nil
		}
		ev, err := models.NewEvent(models.EventIntakeProgress, models.Audience{AgentIDs: []int64{job.CreatedBy}}, p)
		if err != nil {
			return err
		}
		if err := s.Events.Append(ctx, tx, &ev); err != nil {
			return err
		}
		out.Event = &ev
		return nil
	})
	return out, err
}

// classify decides each row's fate without writing contacts. Duplicates are
// rows whose phone already appeared in an earlier row of the same job.
func (s IntakeStore) classify(ctx context.Context, db *gorm.DB, jobID int64, rows []IntakeRow) ([]RowResult, error) {
	results := make([]RowResult, len(rows))
	var phones []string
	agents := map[string]*int64{}
	for i, r := range rows {
		res := RowResult{RowNo: r.RowNo}
		if err := json.Unmarshal(r.Raw, &res.record); err != nil {
			res.Result, res.Reason = RowError, "unreadable row"
			results[i] = res
			continue
		}
		res.Result, res.Reason, res.PhoneE164 = classifyRecord(res.record)
		if res.Result == "" {
			phones = append(phones, res.PhoneE164)
			if a := strings.TrimSpace(res.record.Agent); a != "" {
				agents[a] = nil
			}
		}
		results[i] = res
	}
	if err := s.resolveAgents(ctx, db, agents); err != nil {
		return nil, err
	}
	// Earlier rows of this job (previous chunks) that already claimed a phone.
	seen := map[string]int{}
	if len(phones) > 0 {
		var prior []struct {
			PhoneE164 string
			RowNo     int
		}
		if err := db.WithContext(ctx).Raw(`SELECT phone_e164, min(row_no) AS row_no FROM intake_rows
			WHERE job_id = ? AND row_no < ? AND phone_e164 = ANY(?::text[]) AND result IN ('created','updated','case_pending')
			GROUP BY phone_e164`, jobID, rows[0].RowNo, models.StringList(phones)).Scan(&prior).Error; err != nil {
			return nil, fmt.Errorf("intake dedupe: %w", err)
		}
		for _, p := range prior {
			seen[p.PhoneE164] = p.RowNo
		}
	}
	for i := range results {
		res := &results[i]
		if res.Result != "" {
			continue
		}
		if a := strings.TrimSpace(res.record.Agent); a != "" {
			if agents[a] == nil {
				res.Result, res.Reason = RowError, fmt.Sprintf("agent %q not found", a)
				continue
			}
			res.owner = agents[a]
		}
		if first, dup := seen[res.PhoneE164]; dup {
			res.Result, res.Reason = RowDuplicate, "same phone as row "+strconv.Itoa(first)
			continue
		}
		seen[res.PhoneE164] = res.RowNo
		res.Result = "pending"
	}
	return results, nil
}

// classifyRecord returns a final result for rows that need no database
// ("" plus the E.164 phone for rows to upsert).
func classifyRecord(r IntakeRecord) (result, reason, e164 string) {
	if r.Blank() {
		return RowEmpty, "empty row", ""
	}
	if strings.TrimSpace(r.Phone) == "" {
		return RowError, "phone is empty", ""
	}
	p, err := models.NormalizePhone(r.Phone)
	if err != nil {
		return RowError, describe(err), ""
	}
	if len(r.Name) > 200 {
		return RowError, "name is longer than 200 characters", p
	}
	return "", "", p
}

// resolveAgents maps agent references (id or email) to ids; unknown stay nil.
func (s IntakeStore) resolveAgents(ctx context.Context, db *gorm.DB, agents map[string]*int64) error {
	for ref := range agents {
		var ids []int64
		q := db.WithContext(ctx).Table("agents").Select("id")
		if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
			q = q.Where("id = ?", n)
		} else {
			q = q.Where("lower(email) = lower(?)", ref)
		}
		if err := q.Limit(1).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("resolve agent %q: %w", ref, err)
		}
		if len(ids) == 1 {
			id := ids[0]
			agents[ref] = &id
		}
	}
	return nil
}

// upsertContacts writes the pending rows' contacts in one statement and
// fills their results: created, updated, or case_pending for rows that also
// carry a case. Names only overwrite when given; attributes merge.
func (s IntakeStore) upsertContacts(ctx context.Context, db *gorm.DB, results []RowResult) error {
	type in struct {
		Phone string            `json:"phone"`
		WAID  string            `json:"wa_id"`
		Name  string            `json:"name"`
		Attrs map[string]string `json:"attrs"`
		Owner *int64            `json:"owner"`
	}
	var batch []in
	for _, r := range results {
		if r.Result == "pending" {
			attrs := r.record.Attributes
			if attrs == nil {
				attrs = map[string]string{}
			}
			batch = append(batch, in{Phone: r.PhoneE164, WAID: models.WAIDFromE164(r.PhoneE164), Name: strings.TrimSpace(r.record.Name), Attrs: attrs, Owner: r.owner})
		}
	}
	if len(batch) == 0 {
		return nil
	}
	raw, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("intake upsert: %w", err)
	}
	var got []struct {
		ID        int64
		PhoneE164 string
		Inserted  bool
	}
	err = db.WithContext(ctx).Raw(`INSERT INTO contacts (phone_e164, wa_id, name, attributes, owner_agent_id)
		SELECT x.phone, x.wa_id, x.name, x.attrs, x.owner
		FROM jsonb_to_recordset(?::jsonb) AS x(phone text, wa_id text, name text, attrs jsonb, owner bigint)
		ON CONFLICT (phone_e164) DO UPDATE SET
			name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END,
			attributes = contacts.attributes || EXCLUDED.attributes,
			owner_agent_id = COALESCE(EXCLUDED.owner_agent_id, contacts.owner_agent_id),
			updated_at = now()
		RETURNING id, phone_e164, (xmax = 0) AS inserted`, string(raw)).Scan(&got).Error
	if err != nil {
		return fmt.Errorf("intake upsert contacts: %w", err)
	}
	byPhone := map[string]int{}
	for i, g := range got {
		byPhone[g.PhoneE164] = i
	}
	for i := range results {
		r := &results[i]
		if r.Result != "pending" {
			continue
		}
		g, ok := byPhone[r.PhoneE164]
		if !ok {
			return fmt.Errorf("intake upsert: no contact returned for row %d", r.RowNo)
		}
		r.ContactID = got[g].ID
		switch {
		case r.record.HasCase():
			r.Result, r.Reason = RowCasePending, "contact saved; case waits for the cases import"
		case got[g].Inserted:
			r.Result = RowCreated
		default:
			r.Result = RowUpdated
		}
	}
	return nil
}

func (s IntakeStore) storeResults(ctx context.Context, db *gorm.DB, jobID int64, results []RowResult) error {
	raw, err := json.Marshal(results)
	if err != nil {
		return fmt.Errorf("intake results: %w", err)
	}
	err = db.WithContext(ctx).Exec(`UPDATE intake_rows r SET result = x.result, reason = x.reason,
			phone_e164 = NULLIF(x.phone_e164, ''), contact_id = NULLIF(x.contact_id, 0)
		FROM jsonb_to_recordset(?::jsonb) AS x(row_no int, result text, reason text, phone_e164 text, contact_id bigint)
		WHERE r.job_id = ? AND r.row_no = x.row_no AND r.result IS NULL`, string(raw), jobID).Error
	if err != nil {
		return fmt.Errorf("store intake results: %w", err)
	}
	return nil
}

// DryRun reports what importing records would do, writing nothing.
func (s IntakeStore) DryRun(ctx context.Context, rowNos []int, records []IntakeRecord) (IntakeProgress, []RowResult, error) {
	var p IntakeProgress
	results := make([]RowResult, len(records))
	seen := map[string]int{}
	var phones []string
	for i, r := range records {
		n := i + 1
		if rowNos != nil {
			n = rowNos[i]
		}
		res := RowResult{RowNo: n, record: r}
		res.Result, res.Reason, res.PhoneE164 = classifyRecord(r)
		if res.Result == "" {
			if first, dup := seen[res.PhoneE164]; dup {
				res.Result, res.Reason = RowDuplicate, "same phone as row "+strconv.Itoa(first)
			} else {
				seen[res.PhoneE164] = n
				phones = append(phones, res.PhoneE164)
			}
		}
		results[i] = res
	}
	existing := map[string]bool{}
	for start := 0; start < len(phones); start += 5000 {
		end := min(start+5000, len(phones))
		var found []string
		if err := s.DB.WithContext(ctx).Table("contacts").Where("phone_e164 = ANY(?::text[])", models.StringList(phones[start:end])).
			Pluck("phone_e164", &found).Error; err != nil {
			return p, nil, fmt.Errorf("intake dry run: %w", err)
		}
		for _, f := range found {
			existing[f] = true
		}
	}
	for i := range results {
		r := &results[i]
		if r.Result == "" {
			switch {
			case r.record.HasCase():
				r.Result = RowCasePending
			case existing[r.PhoneE164]:
				r.Result = RowUpdated
			default:
				r.Result = RowCreated
			}
		}
		p.add(r.Result, 1)
	}
	p.Total = len(records)
	p.Status = "dry_run"
	return p, results, nil
}
