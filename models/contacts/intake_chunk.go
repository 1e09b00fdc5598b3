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
	// ContactResult is what the row did to its contact (created, updated or
	// nothing): for case rows it is kept beside the case outcome.
	ContactResult string `json:"contact_result,omitempty"`
	record        IntakeRecord
	owner         *int64
	key           string // dedupe key the row claims ("" for none)
	caseErr       string // the case part's error; the contact is still saved
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

// classify plans a chunk's rows (see plan) against the rows earlier chunks
// of the job stored.
func (s IntakeStore) classify(ctx context.Context, db *gorm.DB, jobID int64, rows []IntakeRow) ([]RowResult, error) {
	results := make([]RowResult, len(rows))
	for i, r := range rows {
		results[i] = RowResult{RowNo: r.RowNo}
		if err := json.Unmarshal(r.Raw, &results[i].record); err != nil {
			results[i].Result, results[i].Reason = RowError, "unreadable row"
		}
	}
	prior := func(keys []string) (map[string]int, error) {
		seen := map[string]int{}
		if len(keys) == 0 {
			return seen, nil
		}
		var got []struct {
			DedupeKey string
			RowNo     int
		}
		if err := db.WithContext(ctx).Raw(`SELECT dedupe_key, min(row_no) AS row_no FROM intake_rows
			WHERE job_id = ? AND row_no < ? AND dedupe_key = ANY(?::text[])
			GROUP BY dedupe_key`, jobID, rows[0].RowNo, models.StringList(keys)).Scan(&got).Error; err != nil {
			return nil, fmt.Errorf("intake dedupe: %w", err)
		}
		for _, g := range got {
			seen[g.DedupeKey] = g.RowNo
		}
		return seen, nil
	}
	if err := s.plan(ctx, db, results, prior); err != nil {
		return nil, err
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

// upsertContacts writes the planned rows' contacts in one statement and
// settles their results. Rows of one phone (a debtor's several loans) are
// one contact: the statement gets each phone once, names of later rows win
// when given, attributes merge in row order. The first row of a phone
// created or updated the contact; later rows of the chunk updated it.
func (s IntakeStore) upsertContacts(ctx context.Context, db *gorm.DB, results []RowResult) error {
	type in struct {
		Phone string            `json:"phone"`
		WAID  string            `json:"wa_id"`
		Name  string            `json:"name"`
		Attrs map[string]string `json:"attrs"`
		Owner *int64            `json:"owner"`
	}
	var batch []in
	byPhone := map[string]int{}
	for _, r := range results {
		if r.Result != rowPending {
			continue
		}
		name := strings.TrimSpace(r.record.Name)
		if j, ok := byPhone[r.PhoneE164]; ok {
			b := &batch[j]
			if name != "" {
				b.Name = name
			}
			for k, v := range r.record.Attributes {
				b.Attrs[k] = v
			}
			if r.owner != nil {
				b.Owner = r.owner
			}
			continue
		}
		attrs := map[string]string{}
		for k, v := range r.record.Attributes {
			attrs[k] = v
		}
		byPhone[r.PhoneE164] = len(batch)
		batch = append(batch, in{Phone: r.PhoneE164, WAID: models.WAIDFromE164(r.PhoneE164), Name: name, Attrs: attrs, Owner: r.owner})
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
	type outcome struct {
		id       int64
		inserted bool
	}
	saved := map[string]*outcome{}
	for _, g := range got {
		saved[g.PhoneE164] = &outcome{g.ID, g.Inserted}
	}
	for i := range results {
		r := &results[i]
		if r.Result != rowPending {
			continue
		}
		o, ok := saved[r.PhoneE164]
		if !ok {
			return fmt.Errorf("intake upsert: no contact returned for row %d", r.RowNo)
		}
		r.ContactID = o.id
		r.settle(o.inserted)
		o.inserted = false // the phone's later rows updated what the first made
	}
	return nil
}

func (s IntakeStore) storeResults(ctx context.Context, db *gorm.DB, jobID int64, results []RowResult) error {
	type stored struct {
		RowNo         int    `json:"row_no"`
		Result        string `json:"result"`
		Reason        string `json:"reason"`
		PhoneE164     string `json:"phone_e164"`
		ContactID     int64  `json:"contact_id"`
		ContactResult string `json:"contact_result"`
		Key           string `json:"dedupe_key"`
	}
	rows := make([]stored, len(results))
	for i, r := range results {
		rows[i] = stored{r.RowNo, r.Result, r.Reason, r.PhoneE164, r.ContactID, r.ContactResult, ""}
		if r.Result != RowDuplicate && r.Result != RowEmpty {
			rows[i].Key = r.key
		}
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("intake results: %w", err)
	}
	err = db.WithContext(ctx).Exec(`UPDATE intake_rows r SET result = x.result, reason = x.reason,
			phone_e164 = NULLIF(x.phone_e164, ''), contact_id = NULLIF(x.contact_id, 0),
			contact_result = NULLIF(x.contact_result, ''), dedupe_key = NULLIF(x.dedupe_key, '')
		FROM jsonb_to_recordset(?::jsonb) AS x(row_no int, result text, reason text, phone_e164 text, contact_id bigint,
			contact_result text, dedupe_key text)
		WHERE r.job_id = ? AND r.row_no = x.row_no AND r.result IS NULL`, string(raw), jobID).Error
	if err != nil {
		return fmt.Errorf("store intake results: %w", err)
	}
	return nil
}

// dryRunChunk is the chunk size of a dry run, as of the import it mirrors
// (ContactIntakeWorkflow's default).
const dryRunChunk = 500

// DryRun reports what importing records would do, writing nothing. It plans
// the rows with the import's own checks (plan: phone, name, agent, every
// case check, duplicates within the file) and, where the import learns from
// its upsert whether a contact is new, reads whether the phone is already a
// contact (or an earlier row of the file makes it).
func (s IntakeStore) DryRun(ctx context.Context, rowNos []int, records []IntakeRecord) (IntakeProgress, []RowResult, error) {
	results := make([]RowResult, len(records))
	for i, r := range records {
		n := i + 1
		if rowNos != nil {
			n = rowNos[i]
		}
		results[i] = RowResult{RowNo: n, record: r}
	}
	claimed := map[string]int{}
	seen := func([]string) (map[string]int, error) { return claimed, nil }
	made := map[string]bool{} // phones the file itself creates
	for start := 0; start < len(results); start += dryRunChunk {
		chunk := results[start:min(start+dryRunChunk, len(results))]
		if err := s.plan(ctx, s.DB, chunk, seen); err != nil {
			return IntakeProgress{}, nil, fmt.Errorf("intake dry run: %w", err)
		}
		var phones []string
		for _, r := range chunk {
			if r.Result == rowPending {
				phones = append(phones, r.PhoneE164)
			}
		}
		existing := map[string]bool{}
		if len(phones) > 0 {
			var found []string
			if err := s.DB.WithContext(ctx).Table("contacts").Where("phone_e164 = ANY(?::text[])", models.StringList(phones)).
				Pluck("phone_e164", &found).Error; err != nil {
				return IntakeProgress{}, nil, fmt.Errorf("intake dry run: %w", err)
			}
			for _, f := range found {
				existing[f] = true
			}
		}
		for i := range chunk {
			r := &chunk[i]
			if r.Result != rowPending {
				continue
			}
			r.settle(!existing[r.PhoneE164] && !made[r.PhoneE164])
			made[r.PhoneE164] = true
		}
	}
	p := tally(results)
	p.Total = len(records)
	p.Status = "dry_run"
	return p, results, nil
}
