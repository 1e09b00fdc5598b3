package httpx

import (
	"bufio"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// csvFlushEvery rows a CSV download is pushed to the client, so a long
// export streams instead of sitting in the writer's buffer.
const csvFlushEvery = 1000

// CSVDownload streams a CSV attachment row by row. It is the one place the
// exports (contacts, intake reports, campaign recipients) write CSV, so each
// flushes as it goes and reports the writer's last error the same way.
// Every field is written in double quotes (RFC 4180 allows it): a spreadsheet
// whose list separator is ";" (the id-ID locale) or tab then keeps
// "Ani;=1+1" in one cell instead of splitting a formula out of it, and every
// data cell goes through CSVSafe here, so no export can forget a column.
type CSVDownload struct {
	c    *gin.Context
	w    *bufio.Writer
	err  error
	rows int
}

// StartCSV sends the headers (200, text/csv, attachment filename) and the
// header row. After it, errors can only be logged: the status is gone.
func StartCSV(c *gin.Context, filename string, header []string) *CSVDownload {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Status(http.StatusOK)
	d := &CSVDownload{c: c, w: bufio.NewWriter(c.Writer)}
	d.write(header)
	return d
}

func (d *CSVDownload) write(rec []string) {
	if d.err != nil {
		return
	}
	for i, f := range rec {
		if i > 0 {
			_ = d.w.WriteByte(',')
		}
		_ = d.w.WriteByte('"')
		_, _ = d.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		_ = d.w.WriteByte('"')
	}
	_, d.err = d.w.WriteString("\r\n") // bufio keeps the first write error
}

// Row writes one record, flushing to the client every csvFlushEvery rows.
func (d *CSVDownload) Row(rec []string) error {
	safe := make([]string, len(rec))
	for i, v := range rec {
		safe[i] = CSVSafe(v)
	}
	d.write(safe)
	if d.rows++; d.rows%csvFlushEvery == 0 && d.err == nil {
		d.err = d.w.Flush()
		d.c.Writer.Flush()
	}
	return d.err
}

// Close flushes what is left; err is the export's own error or, when that
// is nil, the writer's. rows counts the records after the header.
func (d *CSVDownload) Close(err error) (rows int, _ error) {
	if d.err == nil {
		d.err = d.w.Flush()
	}
	if err == nil {
		err = d.err
	}
	return d.rows, err
}
