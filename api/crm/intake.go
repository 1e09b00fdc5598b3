package crm

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
)

// maxIntakeJSONBody bounds POST /intake (10,000 rows).
const maxIntakeJSONBody = 16 << 20

func mountIntake(rt httpx.Routes, h handlers) {
	imp := models.PermContactsImp
	rt.JSON(http.MethodGet, "/intake", imp, h.listJobs)
	rt.JSON(http.MethodPost, "/intake", imp, h.batch)
	rt.JSON(http.MethodPost, "/intake/files", imp, h.upload, h.Uploads.WithMax(contacts.MaxIntakeFileBytes+1<<20).Handler())
	rt.JSON(http.MethodGet, "/intake/:id", imp, h.getJob)
	rt.Stream(http.MethodGet, "/intake/:id/report.csv", imp, h.report)
	rt.JSON(http.MethodPost, "/intake/:id/cancel", imp, h.cancel)
}

// jobBody answers job creation and GET.
type jobBody struct {
	Job      contacts.IntakeJob      `json:"job"`
	Progress contacts.IntakeProgress `json:"progress"`
}

// batch takes up to 10,000 rows from an external system. The
// Idempotency-Key header is required: the same key twice creates one job.
func (h handlers) batch(c *gin.Context) (int, any, error) {
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if err := contacts.CheckBatchKey(key); err != nil {
		return 0, nil, err
	}
	var body struct {
		Rows []contacts.IntakeRecord `json:"rows"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxIntakeJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return 0, nil, httpx.JSONError(err)
	}
	if err := contacts.CheckBatchRows(len(body.Rows)); err != nil {
		return 0, nil, err
	}
	return h.start(c, contacts.NewIntakeJob{Source: "api", IdempotencyKey: key, Records: body.Rows})
}

// start answers 202 for a new job, 200 for the replay of its key.
func (h handlers) start(c *gin.Context, in contacts.NewIntakeJob) (int, any, error) {
	job, pr, created, err := h.Imports.Start(c.Request.Context(), httpx.Principal(c), in)
	if !created {
		return http.StatusOK, jobBody{Job: job, Progress: pr}, err
	}
	return http.StatusAccepted, jobBody{Job: job, Progress: pr}, err
}

// uploadForm is the multipart upload: file, optional mapping (JSON), dryRun.
type uploadForm struct {
	name    string
	data    []byte
	mapping *contacts.IntakeMapping
	dryRun  bool
	sheet   string
}

func readUpload(c *gin.Context) (uploadForm, error) {
	var f uploadForm
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
		case "sheet":
			raw, _ := io.ReadAll(io.LimitReader(part, 256))
			f.sheet = strings.TrimSpace(string(raw))
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
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return models.FieldError(models.EInvalid, "file", "upload was not received in time")
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return models.FieldError(models.ETooLarge, "file", "upload is too large")
	}
	return &models.Error{Code: models.EInvalid, Field: "file", Message: "upload is malformed", Err: err}
}

// upload takes a CSV/XLSX file with a column mapping. With dryRun=true it
// answers the report (200); otherwise the import starts (202, or 200 for
// the replay of its Idempotency-Key).
func (h handlers) upload(c *gin.Context) (int, any, error) {
	form, err := readUpload(c)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.Imports.Upload(c.Request.Context(), httpx.Principal(c), contacts.UploadInput{FileName: form.name, Data: form.data,
		Mapping: form.mapping, DryRun: form.dryRun, Sheet: form.sheet, IdempotencyKey: strings.TrimSpace(c.GetHeader("Idempotency-Key"))})
	switch {
	case err != nil:
		return 0, nil, err
	case res.DryRun != nil:
		// Each row's reason in the caller's language (stored reasons are English).
		tr := httpx.NewTextLocalizer(c)
		for i := range res.DryRun.Rows {
			res.DryRun.Rows[i].Reason = tr.Text(res.DryRun.Rows[i].Reason)
		}
		return http.StatusOK, res.DryRun, nil
	case !res.Created:
		return http.StatusOK, jobBody{Job: res.Job, Progress: res.Progress}, nil
	}
	return http.StatusAccepted, jobBody{Job: res.Job, Progress: res.Progress}, nil
}

// job reads the job of an :id route that the caller may see.
func (h handlers) job(c *gin.Context) (contacts.IntakeJob, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return contacts.IntakeJob{}, err
	}
	return h.Imports.Store.Get(c.Request.Context(), httpx.Principal(c), id)
}

func (h handlers) listJobs(c *gin.Context) (int, any, error) {
	pg, err := httpx.PageQuery(c)
	if err != nil {
		return 0, nil, err
	}
	items, total, err := h.Imports.Store.List(c.Request.Context(), httpx.Principal(c), pg)
	return http.StatusOK, httpx.List(items, total, pg), err
}

func (h handlers) getJob(c *gin.Context) (int, any, error) {
	j, err := h.job(c)
	if err != nil {
		return 0, nil, err
	}
	p, err := h.Imports.Store.Progress(c.Request.Context(), j.ID)
	return http.StatusOK, jobBody{Job: j, Progress: p}, err
}

func (h handlers) cancel(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	p, err := h.Imports.Cancel(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, p, err
}

// report streams the per-row results as CSV.
//
// Streaming: it writes the response itself (not a httpx.Handler); errors
// before the first byte still go through httpx.WriteError.
func (h handlers) report(c *gin.Context) {
	j, err := h.job(c)
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	ctx := c.Request.Context()
	out := httpx.StartCSV(c, "intake-"+strconv.FormatInt(j.ID, 10)+"-report.csv",
		[]string{"row", "phone", "name", "result", "reason", "phone_e164", "contact_id", "contact", "case_ref"})
	tr := httpx.NewTextLocalizer(c)
	err = h.Imports.Store.ReportRows(ctx, j.ID, func(r contacts.IntakeRow) error {
		var rec contacts.IntakeRecord
		_ = json.Unmarshal(r.Raw, &rec)
		result, e164, cid, contact := "pending", "", "", ""
		if r.Result != nil {
			result = *r.Result
		}
		if r.PhoneE164 != nil {
			e164 = *r.PhoneE164
		}
		if r.ContactID != nil {
			cid = strconv.FormatInt(*r.ContactID, 10)
		}
		if r.ContactResult != nil {
			contact = *r.ContactResult
		}
		return out.Row([]string{strconv.Itoa(r.RowNo), rec.Phone, rec.Name, result, tr.Text(r.Reason), e164, cid, contact, rec.CaseRef})
	})
	if n, err := out.Close(err); err != nil {
		h.Log.ErrorContext(ctx, "intake report aborted", "err", err, "job", j.ID, "rows", n)
	}
}
