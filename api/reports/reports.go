// Package reports is the HTTP face of the reports: the report of a date
// range within the caller's scope, its CSV/XLSX export, and the rate card
// that prices messages.
package reports

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/csat"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/models/sla"
)

// Deps are what the report routes call.
type Deps struct {
	Log   *slog.Logger
	Store reports.ReportStore
	SLA   sla.PolicyStore
	Floor sla.FloorStore
	CSAT  csat.SettingsStore
}

type handlers struct{ Deps }

// Mount registers the reports API. The rate card is read with the
// reports and written by whoever manages the numbers.
func Mount(r httpx.Router, d Deps) {
	h := handlers{d}
	rt := httpx.Routes{Router: r, Log: d.Log}
	rt.JSON(http.MethodGet, "/reports", models.PermReportsRead, h.report)
	rt.Stream(http.MethodGet, "/reports/export", models.PermReportsRead, h.export)
	rt.JSON(http.MethodGet, "/reports/rate-card", models.PermReportsRead, h.rateCard)
	// The floor names customers and what they wrote: for those who assign
	// conversations (inbox:assign), not for every reader of reports.
	rt.JSON(http.MethodGet, "/reports/floor", models.PermInboxAssign, h.floor)
	rt.JSON(http.MethodPut, "/reports/rate-card", models.PermSendersWrite, h.putRateCard)
	// SLA targets are set by whoever runs the team's floor (inbox:assign;
	// the store also requires supervising that team, or all scope).
	rt.JSON(http.MethodGet, "/sla-policies", models.PermTeamsRead, h.slaPolicies)
	rt.JSON(http.MethodPut, "/teams/:id/sla", models.PermInboxAssign, h.putSLA)
	rt.JSON(http.MethodDelete, "/teams/:id/sla", models.PermInboxAssign, h.deleteSLA)
	// The CSAT survey after resolve: read with the reports, switched on and
	// off per team by whoever manages the teams.
	rt.JSON(http.MethodGet, "/reports/csat-settings", models.PermReportsRead, h.csatSettings)
	rt.JSON(http.MethodPut, "/reports/csat-settings", models.PermTeamsWrite, h.putCSATSettings)
}

func (h handlers) slaPolicies(c *gin.Context) (int, any, error) {
	ps, err := h.SLA.List(c.Request.Context(), httpx.Principal(c))
	return http.StatusOK, map[string]any{"items": ps}, err
}

func (h handlers) putSLA(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in sla.PolicyInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.SLA.Put(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, p, err
}

func (h handlers) deleteSLA(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.SLA.Delete(c.Request.Context(), httpx.Principal(c), id)
}

func (h handlers) csatSettings(c *gin.Context) (int, any, error) {
	st, err := h.CSAT.Get(c.Request.Context())
	return http.StatusOK, st, err
}

func (h handlers) putCSATSettings(c *gin.Context) (int, any, error) {
	var in csat.Settings
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	st, err := h.CSAT.Put(c.Request.Context(), in)
	return http.StatusOK, st, err
}

// filter binds ?from=&to= (YYYY-MM-DD, local days) and the teamId,
// agentId, senderId and label filters.
func (h handlers) filter(c *gin.Context) (reports.Filter, error) {
	var f reports.Filter
	today, err := h.Store.Today(c.Request.Context())
	if err != nil {
		return f, err
	}
	if f.From, f.To, err = reports.ParseRange(c.Query("from"), c.Query("to"), today); err != nil {
		return f, err
	}
	if f.TeamID, err = httpx.QueryInt64(c, "teamId"); err != nil {
		return f, err
	}
	if f.AgentID, err = httpx.QueryInt64(c, "agentId"); err != nil {
		return f, err
	}
	if f.SenderID, err = httpx.QueryInt64(c, "senderId"); err != nil {
		return f, err
	}
	f.Label = c.Query("label")
	return f, nil
}

func (h handlers) load(c *gin.Context) (reports.Report, error) {
	f, err := h.filter(c)
	if err != nil {
		return reports.Report{}, err
	}
	r, err := h.Store.Report(c.Request.Context(), httpx.Principal(c), f)
	if err == nil && httpx.WantsIndonesian(c) {
		r.NameNobody(nobodyID[0], nobodyID[1], nobodyID[2])
	}
	return r, err
}

// nobodyID names the rows of no agent, no team and no number in Indonesian
// (the page and the exports of an Indonesian reader).
var nobodyID = [3]string{"(belum ditugaskan)", "(tanpa tim)", "(tanpa nomor)"}

func (h handlers) report(c *gin.Context) (int, any, error) {
	r, err := h.load(c)
	return http.StatusOK, r, err
}

func (h handlers) floor(c *gin.Context) (int, any, error) {
	f, err := h.Floor.Floor(c.Request.Context(), httpx.Principal(c))
	return http.StatusOK, f, err
}

func (h handlers) rateCard(c *gin.Context) (int, any, error) {
	rc, err := h.Store.RateCard(c.Request.Context())
	return http.StatusOK, rc, err
}

func (h handlers) putRateCard(c *gin.Context) (int, any, error) {
	var in reports.RateCard
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	rc, err := h.Store.ReplaceRateCard(c.Request.Context(), in)
	return http.StatusOK, rc, err
}

// export answers ?format=csv (one table, ?table=activity|cases|campaigns|
// failures|cost|csat, default activity) or xlsx (every table, one sheet each).
// Every cell goes through httpx.CSVSafe, so a name like "=HYPERLINK(...)"
// is text in both.
//
// Streaming: it writes the response itself (not a httpx.Handler); errors
// before the first byte still go through httpx.WriteError.
func (h handlers) export(c *gin.Context) {
	format, table := c.DefaultQuery("format", "csv"), c.DefaultQuery("table", reports.TableActivity)
	if format != "csv" && format != "xlsx" {
		httpx.WriteError(c, h.Log, models.FieldError(models.EInvalid, "format", "must be csv or xlsx"))
		return
	}
	if !slices.Contains(reports.TableNames(), table) {
		httpx.WriteError(c, h.Log, models.FieldError(models.EInvalid, "table", "must be one of %v", reports.TableNames()))
		return
	}
	r, err := h.load(c)
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	tables := r.Tables()
	if format == "xlsx" {
		h.exportXLSX(c.Request.Context(), c, tables, fmt.Sprintf("laporan-%s-%s.xlsx", r.From, r.To))
		return
	}
	for _, t := range tables {
		if t.Name != table {
			continue
		}
		out := httpx.StartCSV(c, fmt.Sprintf("laporan-%s-%s-%s.csv", t.Name, r.From, r.To), t.Header)
		var err error
		for _, row := range t.Rows {
			if err = out.Row(row); err != nil {
				break
			}
		}
		if n, err := out.Close(err); err != nil {
			h.Log.ErrorContext(c.Request.Context(), "report export aborted", "err", err, "rows", n)
		}
	}
}

func (h handlers) exportXLSX(ctx context.Context, c *gin.Context, tables []reports.Table, name string) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	err := func() error {
		for i, t := range tables {
			if i == 0 {
				if err := f.SetSheetName("Sheet1", t.Name); err != nil {
					return err
				}
			} else if _, err := f.NewSheet(t.Name); err != nil {
				return err
			}
			for r, rec := range append([][]string{t.Header}, t.Rows...) {
				row := make([]any, len(rec))
				for j, v := range rec {
					// Numbers are numbers in the sheet; text goes through
					// the same formula rule as the CSV.
					if n, err := strconv.ParseFloat(v, 64); err == nil && r > 0 && v != "" {
						row[j] = n
					} else {
						row[j] = httpx.CSVSafe(v)
					}
				}
				cell, err := excelize.CoordinatesToCellName(1, r+1)
				if err != nil {
					return err
				}
				if err := f.SetSheetRow(t.Name, cell, &row); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if err != nil {
		httpx.WriteError(c, h.Log, err)
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	if _, err := f.WriteTo(c.Writer); err != nil {
		h.Log.ErrorContext(ctx, "report xlsx export aborted", "err", err)
	}
}
