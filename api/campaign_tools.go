package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// previewTemplate renders a template for a real contact: text, per-component
// lengths against WhatsApp's limits, missing variables (always 200; the
// answer says whether it is sendable).
func (h *campaignHandlers) previewTemplate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	var in campaigns.PreviewInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	pv, err := h.store.PreviewTemplate(c.Request.Context(), principal(c), id, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pv)
}

// templateStats reports the last ?days= (default 30) of a template's sends.
func (h *campaignHandlers) templateStats(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	days := 30
	if raw := c.Query("days"); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			h.fail(c, models.FieldError(models.EInvalid, "days", "must be a whole number of days (1-%d)", campaigns.MaxStatsDays))
			return
		}
	}
	st, err := h.store.TemplateStats(c.Request.Context(), id, days)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// duplicate copies a campaign into a new draft, validated like create.
func (h *campaignHandlers) duplicate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	camp, pv, err := h.store.Duplicate(c.Request.Context(), principal(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdCampaign{Campaign: camp, Audience: pv})
}

// testSend queues one template message of the campaign to a number through
// the inbox path and hands it to the ConversationWorkflow, like an agent's
// send (Idempotency-Key honoured).
func (h *campaignHandlers) testSend(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	var in campaigns.TestSendInput
	if err := bindJSON(c, &in); err != nil {
		h.fail(c, err)
		return
	}
	if h.s.deps.Conversations == nil {
		h.fail(c, models.Errorf(models.EUnavailable, "sending is not configured (no Temporal)"))
		return
	}
	ctx := c.Request.Context()
	ts, err := h.store.QueueTestSend(ctx, principal(c), h.s.inboxStore(), id, strings.TrimSpace(c.GetHeader("Idempotency-Key")), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	models.PublishCommitted(pctx, h.s.deps.Events, h.s.deps.Logger, "campaign test send", ts.Events...)
	cancel()
	// As in the inbox: a replay of a row still queued is signalled again
	// (the workflow ignores a row already sent).
	if ts.Created || ts.Message.Status == models.MsgQueued {
		if err := h.s.deps.Conversations.Send(ctx, ts.Conversation, ts.Message.ID); err != nil {
			h.fail(c, &models.Error{Code: models.EUnavailable,
				Message: "message stored but not handed to the sender yet; retry with the same Idempotency-Key", Err: err})
			return
		}
	}
	status := http.StatusAccepted
	if !ts.Created {
		status = http.StatusOK
	}
	c.JSON(status, ts)
}

// recipients pages a campaign's recipients (?status=&cursor=&limit=).
func (h *campaignHandlers) recipients(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	limit := 0
	if raw := c.Query("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > campaigns.MaxRecipientPage {
			h.fail(c, models.FieldError(models.EInvalid, "limit", "must be 1-%d", campaigns.MaxRecipientPage))
			return
		}
	}
	page, err := h.store.Recipients(c.Request.Context(), id, c.Query("status"), c.Query("cursor"), limit)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

var exportHeader = []string{"recipient_id", "contact_id", "contact_name", "phone", "sender_number", "status", "wamid",
	"error_code", "reason", "sent_at", "delivered_at", "read_at", "replied_at"}

func exportTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func exportRow(r campaigns.RecipientRow) []string {
	code := ""
	if r.ErrorCode != nil {
		code = strconv.Itoa(*r.ErrorCode)
	}
	return []string{strconv.FormatInt(r.ID, 10), strconv.FormatInt(r.ContactID, 10), csvSafe(r.ContactName), r.Phone, r.SenderNumber,
		r.Status, r.WAMID, code, csvSafe(r.Reason), exportTime(r.SentAt), exportTime(r.DeliveredAt), exportTime(r.ReadAt), exportTime(r.RepliedAt)}
}

// export streams every recipient row (?format=csv|xlsx, ?status=). CSV goes
// out row by row; XLSX rows go through excelize's StreamWriter (spilled to
// a temporary file, not held in memory) plus a Funnel summary sheet.
func (h *campaignHandlers) export(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		h.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "xlsx" {
		h.fail(c, models.FieldError(models.EInvalid, "format", "must be csv or xlsx"))
		return
	}
	ctx, status := c.Request.Context(), c.Query("status")
	camp, err := h.store.StartExport(ctx, principal(c), id, format, status)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := fmt.Sprintf("campaign-%d-recipients.%s", id, format)
	if format == "xlsx" {
		h.exportXLSX(c, camp, status, name)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(exportHeader)
	n := 0
	_, err = h.store.EachRecipient(ctx, id, status, func(r campaigns.RecipientRow) error {
		if err := w.Write(exportRow(r)); err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			w.Flush()
			c.Writer.Flush()
		}
		return w.Error()
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// Headers are gone: all we can do is stop and log.
		h.s.deps.Logger.ErrorContext(ctx, "campaign export aborted", "err", err, "campaign", id, "rows", n)
	}
}

func (h *campaignHandlers) exportXLSX(c *gin.Context, camp campaigns.Campaign, status, name string) {
	ctx := c.Request.Context()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }() // removes the stream writer's temporary file
	err := func() error {
		if err := f.SetSheetName("Sheet1", "Recipients"); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter("Recipients")
		if err != nil {
			return err
		}
		row := make([]any, len(exportHeader))
		for i, v := range exportHeader {
			row[i] = v
		}
		if err := sw.SetRow("A1", row); err != nil {
			return err
		}
		line := 1
		if _, err := h.store.EachRecipient(ctx, camp.ID, status, func(r campaigns.RecipientRow) error {
			line++
			cells := exportRow(r)
			cells[2], cells[8] = r.ContactName, r.Reason // a cell value is never a formula in XLSX
			for i, v := range cells {
				row[i] = v
			}
			cell, err := excelize.CoordinatesToCellName(1, line)
			if err != nil {
				return err
			}
			return sw.SetRow(cell, row)
		}); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return h.funnelSheet(ctx, f, camp)
	}()
	if err != nil {
		h.fail(c, fmt.Errorf("campaign %d xlsx export: %w", camp.ID, err))
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	if err := f.Write(c.Writer); err != nil {
		h.s.deps.Logger.ErrorContext(ctx, "campaign xlsx export aborted", "err", err, "campaign", camp.ID)
	}
}

// funnelSheet adds the campaign's funnel as a "Funnel" sheet.
func (h *campaignHandlers) funnelSheet(ctx context.Context, f *excelize.File, camp campaigns.Campaign) error {
	fn, err := h.store.Funnel(ctx, camp.ID)
	if err != nil {
		return err
	}
	if _, err := f.NewSheet("Funnel"); err != nil {
		return err
	}
	share := func(n int64) float64 {
		if fn.Recipients == 0 {
			return 0
		}
		return float64(n) / float64(fn.Recipients)
	}
	rows := [][]any{
		{"campaign", camp.Name},
		{"campaign_id", camp.ID},
		{"status", camp.Status},
		{},
		{"stage", "count", "share_of_recipients"},
		{"recipients", fn.Recipients, share(fn.Recipients)},
		{"queued", fn.Queued, share(fn.Queued)},
		{"sent", fn.Sent, share(fn.Sent)},
		{"delivered", fn.Delivered, share(fn.Delivered)},
		{"read", fn.Read, share(fn.Read)},
		{"replied", fn.Replied, share(fn.Replied)},
		{"failed", fn.Failed, share(fn.Failed)},
		{"skipped", fn.Skipped, share(fn.Skipped)},
	}
	for _, reason := range slices.Sorted(maps.Keys(fn.SkipReason)) {
		rows = append(rows, []any{"skipped: " + reason, fn.SkipReason[reason], share(fn.SkipReason[reason])})
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow("Funnel", cell, &r); err != nil {
			return err
		}
	}
	return nil
}
