package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

// IntakeStarter starts and cancels ContactIntakeWorkflows (package worker
// implements it). Starting the same job twice runs it once.
type IntakeStarter interface {
	StartIntake(ctx context.Context, jobID int64) error
	CancelIntake(ctx context.Context, jobID int64) error
}

// maxIntakeJSONBody bounds POST /intake (10,000 rows).
const maxIntakeJSONBody = 16 << 20

type intakeHandlers struct {
	s      *Server
	intake contacts.IntakeStore
}

func (s *Server) mountIntake(v1 *gin.RouterGroup) {
	h := &intakeHandlers{s: s, intake: contacts.IntakeStore{DB: s.deps.DB, Events: models.EventStore{DB: s.deps.DB}}}
	imp := models.Permission("contacts:import")
	s.handle(v1, http.MethodGet, "/intake", imp, s.needDB, h.list)
	s.handle(v1, http.MethodPost, "/intake", imp, s.needDB, h.batch)
	s.handle(v1, http.MethodPost, "/intake/files", imp, s.needDB, h.upload)
	s.handle(v1, http.MethodGet, "/intake/:id", imp, s.needDB, h.get)
	s.handle(v1, http.MethodGet, "/intake/:id/report.csv", imp, s.needDB, h.report)
	s.handle(v1, http.MethodPost, "/intake/:id/cancel", imp, s.needDB, h.cancel)
}

func (h *intakeHandlers) fail(c *gin.Context, err error) { WriteError(c, h.s.deps.Logger, err) }

// intakeBody is the external API batch.
type intakeBody struct {
	Rows []contacts.IntakeRecord `json:"rows"`
}

// jobBody answers job creation and GET.
type jobBody struct {
	Job      contacts.IntakeJob      `json:"job"`
	Progress contacts.IntakeProgress `json:"progress"`
}

// batch takes up to 10,000 rows from an external system. The
// Idempotency-Key header is required: the same key twice creates one job.
func (h *intakeHandlers) batch(c *gin.Context) {
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if key == "" || len(key) > 200 {
		h.fail(c, models.FieldError(models.EInvalid, "Idempotency-Key", "Idempotency-Key header (1-200 characters) is required"))
		return
	}
	var body intakeBody
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxIntakeJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		h.fail(c, jsonError(err))
		return
	}
	if len(body.Rows) == 0 {
		h.fail(c, models.FieldError(models.EInvalid, "rows", "rows must hold at least one row"))
		return
	}
	if len(body.Rows) > contacts.MaxIntakeAPIRows {
		h.fail(c, models.FieldError(models.ETooLarge, "rows", "at most %d rows per batch", contacts.MaxIntakeAPIRows))
		return
	}
	h.createAndStart(c, contacts.NewIntakeJob{Source: "api", IdempotencyKey: key, Records: body.Rows})
}

func (h *intakeHandlers) createAndStart(c *gin.Context, in contacts.NewIntakeJob) {
	if h.s.deps.Intake == nil {
		h.fail(c, models.Errorf(models.EUnavailable, "imports are not available: no workflow engine configured"))
		return
	}
	ctx := c.Request.Context()
	job, created, err := h.intake.CreateJob(ctx, principal(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Started on every call: a replay of the same key heals a start that
	// failed the first time, and the workflow ID makes it run once.
	if err := h.s.deps.Intake.StartIntake(ctx, job.ID); err != nil {
		h.fail(c, &models.Error{Code: models.EUnavailable, Message: "job stored but not started; retry with the same Idempotency-Key", Err: err})
		return
	}
	p, err := h.intake.Progress(ctx, job.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, jobBody{Job: job, Progress: p})
}

// uploadForm is the multipart upload: file, optional mapping (JSON), dryRun.
type uploadForm struct {
	name    string
	data    []byte
	mapping *contacts.IntakeMapping
	dryRun  bool
}

func readUpload(c *gin.Context) (uploadForm, error) {
	var f uploadForm
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, contacts.MaxIntakeFileBytes+1<<20)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return f, models.FieldError(models.EInvalid, "file", "send the file as multipart/form-data")
	}
	gotFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, uploadErr(err)
		}
		switch part.FormName() {
		case "file":
			f.name = part.FileName()
			f.data, err = io.ReadAll(io.LimitReader(part, contacts.MaxIntakeFileBytes+1))
			if err != nil {
				return f, uploadErr(err)
			}
			gotFile = true
		case "mapping":
			raw, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return f, uploadErr(err)
			}
			var m contacts.IntakeMapping
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				return f, models.FieldError(models.EInvalid, "mapping", "mapping must be a JSON object like {\"phone\":\"No HP\",\"name\":\"Nama\"}")
			}
			f.mapping = &m
		case "dryRun":
			raw, _ := io.ReadAll(io.LimitReader(part, 16))
			b, err := strconv.ParseBool(strings.TrimSpace(string(raw)))
			if err != nil {
				return f, models.FieldError(models.EInvalid, "dryRun", "dryRun must be true or false")
			}
			f.dryRun = b
		}
		_ = part.Close()
	}
	if !gotFile {
		return f, models.FieldError(models.EInvalid, "file", "file is required")
	}
	return f, nil
}

func uploadErr(err error) error {
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return models.FieldError(models.ETooLarge, "file", "file is larger than %d MB", contacts.MaxIntakeFileBytes>>20)
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return models.FieldError(models.ETooLarge, "file", "upload is too large")
	}
	return &models.Error{Code: models.EInvalid, Field: "file", Message: "upload is malformed", Err: err}
}

// dryRunBody reports what an import would do: the columns found, the
// mapping used (guessed when none was sent) and the per-row outcome.
type dryRunBody struct {
	Format   string                  `json:"format"`
	Headers  []string                `json:"headers"`
	Mapping  contacts.IntakeMapping  `json:"mapping"`
	Progress contacts.IntakeProgress `json:"progress"`
	Rows     []contacts.RowResult    `json:"rows"` // the first 200
}

// upload takes a CSV/XLSX file with a column mapping. With dryRun=true it
// only reports; otherwise it stores the rows and starts the import.
func (h *intakeHandlers) upload(c *gin.Context) {
	form, err := readUpload(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	table, format, err := contacts.ParseUpload(form.data)
	if err != nil {
		h.fail(c, err)
		return
	}
	mapping := contacts.GuessMapping(table.Headers)
	if form.mapping != nil {
		mapping = *form.mapping
	}
	rowNos, records, err := mapping.Apply(table)
	if err != nil {
		h.fail(c, err)
		return
	}
	if form.dryRun {
		p, rows, err := h.intake.DryRun(c.Request.Context(), rowNos, records)
		if err != nil {
			h.fail(c, err)
			return
		}
		if len(rows) > 200 {
			rows = rows[:200]
		}
		c.JSON(http.StatusOK, dryRunBody{Format: format, Headers: table.Headers, Mapping: mapping, Progress: p, Rows: rows})
		return
	}
	if len(records) == 0 {
		h.fail(c, models.FieldError(models.EUnprocessable, "file", "file has a header but no rows"))
		return
	}
	h.createAndStart(c, contacts.NewIntakeJob{Source: format, FileName: form.name, Mapping: mapping, RowNos: rowNos, Records: records,
		IdempotencyKey: strings.TrimSpace(c.GetHeader("Idempotency-Key"))})
}

func (h *intakeHandlers) job(c *gin.Context) (contacts.IntakeJob, bool) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return contacts.IntakeJob{}, false
	}
	j, err := h.intake.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		h.fail(c, err)
		return j, false
	}
	return j, true
}

func (h *intakeHandlers) list(c *gin.Context) {
	pg, err := pageQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	items, total, err := h.intake.List(c.Request.Context(), principal(c), pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(items, total, pg))
}

func (h *intakeHandlers) get(c *gin.Context) {
	j, ok := h.job(c)
	if !ok {
		return
	}
	p, err := h.intake.Progress(c.Request.Context(), j.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, jobBody{Job: j, Progress: p})
}

// cancel marks the job cancelled (the next chunk sees it and stops) and
// signals the workflow so it ends promptly.
func (h *intakeHandlers) cancel(c *gin.Context) {
	j, ok := h.job(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if j.Status == contacts.IntakeCompleted || j.Status == contacts.IntakeFailed {
		h.fail(c, models.FieldError(models.EConflict, "id", "intake job %d is already %s", j.ID, j.Status))
		return
	}
	if err := h.intake.SetStatus(ctx, j.ID, contacts.IntakeCancelled, "cancelled by agent "+strconv.FormatInt(principal(c).AgentID, 10)); err != nil {
		h.fail(c, err)
		return
	}
	if h.s.deps.Intake != nil {
		if err := h.s.deps.Intake.CancelIntake(ctx, j.ID); err != nil {
			// The stored status already stops the import at the next chunk.
			h.s.deps.Logger.WarnContext(ctx, "signal intake cancel", "err", err, "job", j.ID)
		}
	}
	p, err := h.intake.Progress(ctx, j.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// report streams the per-row results as CSV.
func (h *intakeHandlers) report(c *gin.Context) {
	j, ok := h.job(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="intake-`+strconv.FormatInt(j.ID, 10)+`-report.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"row", "phone", "name", "result", "reason", "phone_e164", "contact_id"})
	err := h.intake.ReportRows(ctx, j.ID, func(r contacts.IntakeRow) error {
		var rec contacts.IntakeRecord
		_ = json.Unmarshal(r.Raw, &rec)
		result, e164, cid := "pending", "", ""
		if r.Result != nil {
			result = *r.Result
		}
		if r.PhoneE164 != nil {
			e164 = *r.PhoneE164
		}
		if r.ContactID != nil {
			cid = strconv.FormatInt(*r.ContactID, 10)
		}
		if err := w.Write([]string{strconv.Itoa(r.RowNo), csvSafe(rec.Phone), csvSafe(rec.Name), result, r.Reason, e164, cid}); err != nil {
			return err
		}
		return w.Error()
	})
	w.Flush()
	if err != nil {
		h.s.deps.Logger.ErrorContext(ctx, "intake report aborted", "err", err, "job", j.ID)
	}
}
