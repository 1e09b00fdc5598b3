package httpx

import (
	"encoding/csv"
	"net/http"

	"github.com/gin-gonic/gin"
)

// csvFlushEvery rows a CSV download is pushed to the client, so a long
// export streams instead of sitting in the writer's buffer.
const csvFlushEvery = 1000

// CSVDownload streams a CSV attachment row by row. It is the one place the
// exports (contacts, intake reports, campaign recipients) write CSV, so each
// flushes as it goes and reports the writer's last error the same way.
// Cells are written as given: callers defuse user text with CSVSafe.
type CSVDownload struct {
	c    *gin.Context
	w    *csv.Writer
	rows int
}

// StartCSV sends the headers (200, text/csv, attachment filename) and the
// header row. After it, errors can only be logged: the status is gone.
func StartCSV(c *gin.Context, filename string, header []string) *CSVDownload {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Status(http.StatusOK)
	d := &CSVDownload{c: c, w: csv.NewWriter(c.Writer)}
	_ = d.w.Write(header)
	return d
}

// Row writes one record, flushing to the client every csvFlushEvery rows.
func (d *CSVDownload) Row(rec []string) error {
	if err := d.w.Write(rec); err != nil {
		return err
	}
	if d.rows++; d.rows%csvFlushEvery == 0 {
		d.w.Flush()
		d.c.Writer.Flush()
	}
	return d.w.Error()
}

// Close flushes what is left; err is the export's own error or, when that
// is nil, the writer's. rows counts the records after the header.
func (d *CSVDownload) Close(err error) (rows int, _ error) {
	d.w.Flush()
	if err == nil {
		err = d.w.Error()
	}
	return d.rows, err
}
