package outreach

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
)

// exportHeader names the export columns (a function: no shared mutable slice).
func exportHeader() []string {
	return []string{"recipient_id", "contact_id", "contact_name", "phone", "sender_number", "status", "wamid",
		"error_code", "reason", "sent_at", "delivered_at", "read_at", "replied_at"}
}

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
	return []string{strconv.FormatInt(r.ID, 10), strconv.FormatInt(r.ContactID, 10), r.ContactName, r.Phone, r.SenderNumber,
		r.Status, r.WAMID, code, r.Reason, exportTime(r.SentAt), exportTime(r.DeliveredAt), exportTime(r.ReadAt), exportTime(r.RepliedAt)}
}

// export streams every recipient row (?format=csv|xlsx, ?status=). CSV goes
// out row by row; XLSX rows go through excelize's StreamWriter (spilled to
// a temporary file, not held in memory) plus a Funnel summary sheet.
//
// Streaming: it writes the response itself (not a httpx.Handler); errors
// before the first byte still go through httpx.WriteError.
func (h handlers) export(c *gin.Context) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "xlsx" {
		httpx.WriteError(c, h.Log, models.FieldError(models.EInvalid, "format", "must be csv or xlsx"))
		return
	}
	ctx, status := c.Request.Context(), c.Query("status")
	camp, err := h.Control.Store.StartExport(ctx, httpx.Principal(c), id, format, status)
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	name := fmt.Sprintf("campaign-%d-recipients.%s", id, format)
	if format == "xlsx" {
		h.exportXLSX(c, camp, status, name)
		return
	}
	out := httpx.StartCSV(c, name, exportHeader())
	_, err = h.Control.Store.EachRecipient(ctx, httpx.Principal(c), id, status, func(r campaigns.RecipientRow) error {
		return out.Row(exportRow(r))
	})
	if n, err := out.Close(err); err != nil {
		// Headers are gone: all we can do is stop and log.
		h.Log.ErrorContext(ctx, "campaign export aborted", "err", err, "campaign", id, "rows", n)
	}
}

func (h handlers) exportXLSX(c *gin.Context, camp campaigns.Campaign, status, name string) {
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
		header := exportHeader()
		row := make([]any, len(header))
		for i, v := range header {
			row[i] = v
		}
		if err := sw.SetRow("A1", row); err != nil {
			return err
		}
		line := 1
		if _, err := h.Control.Store.EachRecipient(ctx, httpx.Principal(c), camp.ID, status, func(r campaigns.RecipientRow) error {
			line++
			cells := exportRow(r)
			// The same rule as the CSV: an XLSX string cell is not a formula,
			// but the same text saved as CSV or pasted into a sheet would be.
			for i, v := range cells {
				row[i] = httpx.CSVSafe(v)
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
		httpx.WriteError(c, h.Log, fmt.Errorf("campaign %d xlsx export: %w", camp.ID, err))
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	if err := f.Write(c.Writer); err != nil {
		h.Log.ErrorContext(ctx, "campaign xlsx export aborted", "err", err, "campaign", camp.ID)
	}
}

// funnelSheet adds the campaign's funnel as a "Funnel" sheet.
func (h handlers) funnelSheet(ctx context.Context, f *excelize.File, camp campaigns.Campaign) error {
	fn, err := h.Control.Store.Funnel(ctx, camp.ID)
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
