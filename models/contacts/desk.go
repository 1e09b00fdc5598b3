package contacts

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/wabascrm/scrm/models"
)

// AddTags adds tags to a contact p may see (Update normalises and dedupes).
func (s ContactStore) AddTags(ctx context.Context, p models.Principal, id int64, add []string) (ContactRecord, error) {
	ct, err := s.Get(ctx, p, id)
	if err != nil {
		return ct, err
	}
	tags := append([]string(ct.Tags), add...)
	return s.Update(ctx, p, id, ContactInput{Tags: &tags})
}

// RemoveTag removes one tag from a contact p may see.
func (s ContactStore) RemoveTag(ctx context.Context, p models.Principal, id int64, tag string) (ContactRecord, error) {
	ct, err := s.Get(ctx, p, id)
	if err != nil {
		return ct, err
	}
	tags := []string{}
	for _, t := range ct.Tags {
		if t != tag {
			tags = append(tags, t)
		}
	}
	return s.Update(ctx, p, id, ContactInput{Tags: &tags})
}

// IntakeStarter starts and cancels ContactIntakeWorkflows (package worker
// implements it). Starting the same job twice runs it once.
type IntakeStarter interface {
	StartIntake(ctx context.Context, jobID int64) error
	CancelIntake(ctx context.Context, jobID int64) error
}

// CheckBatchKey is the rule that an external system's batch carries an
// idempotency key: the same key twice creates one job.
func CheckBatchKey(idemKey string) error {
	if idemKey == "" || len(idemKey) > 200 {
		return models.FieldError(models.EInvalid, "Idempotency-Key", "Idempotency-Key header (1-200 characters) is required")
	}
	return nil
}

// CheckBatchRows is the rule that a batch holds 1 to MaxIntakeAPIRows rows.
func CheckBatchRows(rows int) error {
	if rows == 0 {
		return models.FieldError(models.EInvalid, "rows", "rows must hold at least one row")
	}
	if rows > MaxIntakeAPIRows {
		return models.FieldError(models.ETooLarge, "rows", "at most %d rows per batch", MaxIntakeAPIRows)
	}
	return nil
}

// Imports runs contact imports: the stored job and its ContactIntakeWorkflow
// move together.
type Imports struct {
	Store IntakeStore
	// Starter is nil when the role runs without Temporal (imports answer 503).
	Starter IntakeStarter
	Log     *slog.Logger
}

// Start stores the job (or finds the one of the same idempotency key,
// created false) and starts its workflow.
func (im Imports) Start(ctx context.Context, p models.Principal, in NewIntakeJob) (IntakeJob, IntakeProgress, bool, error) {
	if im.Starter == nil {
		return IntakeJob{}, IntakeProgress{}, false, models.Errorf(models.EUnavailable, "imports are not available: no workflow engine configured")
	}
	job, created, err := im.Store.CreateJob(ctx, p, in)
	if err != nil {
		return job, IntakeProgress{}, false, err
	}
	// Started on every call: a replay of the same key heals a start that
	// failed the first time, and the workflow ID makes it run once.
	if err := im.Starter.StartIntake(ctx, job.ID); err != nil {
		return job, IntakeProgress{}, false, &models.Error{Code: models.EUnavailable, Message: "job stored but not started; retry with the same Idempotency-Key", Err: err}
	}
	pr, err := im.Store.Progress(ctx, job.ID)
	return job, pr, created, err
}

// Cancel marks a job p may see cancelled (the next chunk sees it and stops)
// and signals the workflow so it ends promptly. A finished job cannot be
// cancelled.
func (im Imports) Cancel(ctx context.Context, p models.Principal, id int64) (IntakeProgress, error) {
	j, err := im.Store.Get(ctx, p, id)
	if err != nil {
		return IntakeProgress{}, err
	}
	if j.Status == IntakeCompleted || j.Status == IntakeFailed {
		return IntakeProgress{}, models.FieldError(models.EConflict, "id", "intake job %d is already %s", j.ID, j.Status)
	}
	if err := im.Store.SetStatus(ctx, j.ID, IntakeCancelled, "cancelled by agent "+strconv.FormatInt(p.AgentID, 10)); err != nil {
		return IntakeProgress{}, err
	}
	if im.Starter != nil {
		if err := im.Starter.CancelIntake(ctx, j.ID); err != nil {
			// The stored status already stops the import at the next chunk.
			im.Log.WarnContext(ctx, "signal intake cancel", "err", err, "job", j.ID)
		}
	}
	return im.Store.Progress(ctx, j.ID)
}

// UploadInput is an uploaded CSV/XLSX file and how to read it.
type UploadInput struct {
	FileName string
	Data     []byte
	// Mapping names the columns; nil guesses them from the headers.
	Mapping *IntakeMapping
	// DryRun only reports what the import would do.
	DryRun bool
	// Sheet is the workbook's sheet to read ("" : the first).
	Sheet          string
	IdempotencyKey string
}

// DryRunReport says what an import would do: the columns found, the
// mapping used (guessed when none was sent) and the per-row outcome.
type DryRunReport struct {
	Format string `json:"format"`
	// Sheets are a workbook's sheets, Sheet the one read (choose another
	// with the sheet field).
	Sheets   []string       `json:"sheets,omitempty"`
	Sheet    string         `json:"sheet,omitempty"`
	Headers  []string       `json:"headers"`
	Mapping  IntakeMapping  `json:"mapping"`
	Progress IntakeProgress `json:"progress"`
	Rows     []RowResult    `json:"rows"` // the first MaxDryRunRows
}

// MaxDryRunRows bounds the per-row outcomes a dry run reports.
const MaxDryRunRows = 200

// UploadResult is a dry run's report, or the started job.
type UploadResult struct {
	DryRun   *DryRunReport
	Job      IntakeJob
	Progress IntakeProgress
	Created  bool
}

// Upload reads a CSV/XLSX file with its column mapping. A dry run only
// reports; otherwise the rows are stored and the import starts (a file
// with a header and no rows is refused, 422).
func (im Imports) Upload(ctx context.Context, p models.Principal, in UploadInput) (UploadResult, error) {
	table, format, err := ParseUploadSheet(in.Data, in.Sheet)
	if err != nil {
		return UploadResult{}, err
	}
	mapping := GuessMapping(table.Headers)
	if in.Mapping == nil && in.Sheet == "" && mapping.Phone == "" {
		// Exports often put a summary first: read the first sheet that has
		// a phone column instead (the report names the sheet read).
		for _, name := range table.Sheets[min(1, len(table.Sheets)):min(10, len(table.Sheets))] {
			other, _, err := ParseUploadSheet(in.Data, name)
			if err != nil {
				continue
			}
			if m := GuessMapping(other.Headers); m.Phone != "" {
				table, mapping = other, m
				break
			}
		}
	}
	if in.Mapping != nil {
		mapping = *in.Mapping
	}
	rowNos, records, err := mapping.Apply(table)
	if err != nil {
		return UploadResult{}, err
	}
	if in.DryRun {
		pr, rows, err := im.Store.DryRun(ctx, rowNos, records)
		if err != nil {
			return UploadResult{}, err
		}
		if len(rows) > MaxDryRunRows {
			rows = rows[:MaxDryRunRows]
		}
		return UploadResult{DryRun: &DryRunReport{Format: format, Sheets: table.Sheets, Sheet: table.Sheet, Headers: table.Headers, Mapping: mapping, Progress: pr, Rows: rows}}, nil
	}
	if len(records) == 0 {
		return UploadResult{}, models.FieldError(models.EUnprocessable, "file", "file has a header but no rows")
	}
	job, pr, created, err := im.Start(ctx, p, NewIntakeJob{Source: format, FileName: in.FileName, Mapping: mapping, RowNos: rowNos,
		Records: records, IdempotencyKey: in.IdempotencyKey})
	return UploadResult{Job: job, Progress: pr, Created: created}, err
}

// SegmentPage is one keyset page of a segment's contacts: pass Next as
// after for the following page (0: this was the last).
type SegmentPage struct {
	Items []ContactRecord `json:"items"`
	Next  int64           `json:"next,omitempty"`
}

// MaxAPISegmentPage bounds a page of segment contacts in the API (the
// campaign engine reads larger pages, MaxSegmentPage).
const MaxAPISegmentPage = 1000

// ContactsPage is PageScoped as the API pages it: limit 1-MaxAPISegmentPage,
// and a Next cursor when the page is full.
func (s SegmentStore) ContactsPage(ctx context.Context, p models.Principal, segmentID, after int64, limit int) (SegmentPage, error) {
	if limit < 1 || limit > MaxAPISegmentPage {
		return SegmentPage{}, models.FieldError(models.EInvalid, "limit", "limit must be 1-%d", MaxAPISegmentPage)
	}
	items, err := s.PageScoped(ctx, p, segmentID, after, limit)
	if err != nil {
		return SegmentPage{}, err
	}
	out := SegmentPage{Items: items}
	if out.Items == nil {
		out.Items = []ContactRecord{}
	}
	if len(items) == limit {
		out.Next = items[len(items)-1].ID
	}
	return out, nil
}
