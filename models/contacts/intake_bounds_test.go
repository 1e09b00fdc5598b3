package contacts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models"
)

// farColumnWorkbook is issue #17 finding 5's file: rows whose last cell is
// in column col (XFD is the 16,384th). The sheet XML is written by hand
// (inline strings) into a workbook excelize made: excelize itself would
// hold every row's 16,384 cells while writing.
func farColumnWorkbook(t *testing.T, rows int, col, value string) []byte {
	t.Helper()
	f := excelize.NewFile()
	var base bytes.Buffer
	if err := f.Write(&base); err != nil {
		t.Fatal(err)
	}
	var sheet strings.Builder
	cell := func(ref, v string) string { return `<c r="` + ref + `" t="inlineStr"><is><t>` + v + `</t></is></c>` }
	sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	sheet.WriteString(`<row r="1">` + cell("A1", "phone") + cell("B1", "name") + `</row>`)
	for i := 2; i <= rows+1; i++ {
		n := strconv.Itoa(i)
		far := `<c r="` + col + n + `"/>`
		if value != "" {
			far = cell(col+n, value)
		}
		sheet.WriteString(`<row r="` + n + `">` + cell("A"+n, fmt.Sprintf("+62812%07d", i)) + cell("B"+n, "Nasabah "+n) + far + `</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	return replacePart(t, base.Bytes(), "xl/worksheets/sheet1.xml", []byte(sheet.String()))
}

// replacePart rewrites one part of a zip.
func replacePart(t *testing.T, data []byte, name string, content []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allocated runs fn and returns the bytes it allocated.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func wantFileError(t *testing.T, err error, code models.ErrorCode, text string) {
	t.Helper()
	var me *models.Error
	if !errors.As(err, &me) || me.Code != code || me.Field != "file" || !strings.Contains(me.Message, text) {
		t.Fatalf("got %v, want %s on file containing %q", err, code, text)
	}
}

func TestIntakeXLSXFarColumnIsBounded(t *testing.T) {
	data := farColumnWorkbook(t, 3000, "XFD", "x")
	var err error
	n := allocated(func() { _, _, err = ParseUpload(data) })
	wantFileError(t, err, models.EUnprocessable, "row 2 has a value in column 16384")
	// Before the fix the same file parsed into 3,000 rows of 16,384 cells
	// (over 1 GiB); now it is refused at its first row.
	if n > 64<<20 {
		t.Fatalf("parsing allocated %d MiB", n>>20)
	}

	// Blank far cells (formatting) are no data: the rows keep the header's width.
	data = farColumnWorkbook(t, 3000, "XFD", "")
	var tb Table
	n = allocated(func() { tb, _, err = ParseUpload(data) })
	if err != nil || len(tb.Rows) != 3000 || len(tb.Headers) != 2 {
		t.Fatalf("blank far cells: %v, %d rows, headers %v", err, len(tb.Rows), tb.Headers)
	}
	for _, r := range tb.Rows {
		if len(r.Fields) > 2 || cap(r.Fields) > 2 {
			t.Fatalf("row %d keeps %d cells", r.RowNo, cap(r.Fields))
		}
	}
	if n > 256<<20 {
		t.Fatalf("parsing blank far cells allocated %d MiB", n>>20)
	}
}

func TestIntakeXLSXZipBomb(t *testing.T) {
	// A real workbook plus a shared-string table that inflates from a few
	// hundred kB to 80 MB.
	var sst bytes.Buffer
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`)
	sst.Write(bytes.Repeat([]byte("A"), 80<<20))
	sst.WriteString(`</t></si></sst>`)
	bomb := replacePart(t, farColumnWorkbook(t, 1, "B", ""), "xl/sharedStrings.xml", sst.Bytes())
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	_, _, err := ParseUpload(bomb)
	wantFileError(t, err, models.ETooLarge, "shared strings")
}

func TestIntakeCSVBounds(t *testing.T) {
	// One endless line (an unclosed quote swallows the rest of the file).
	long := "phone,name\n+628123456789,\"" + strings.Repeat("x", 2<<20) + "\n"
	_, err := ParseCSV([]byte(long))
	wantFileError(t, err, models.EUnprocessable, "longer than")

	// A cell above Excel's own limit.
	_, err = ParseCSV([]byte("phone,name\n+628123456789," + strings.Repeat("y", 40<<10) + "\n"))
	wantFileError(t, err, models.EUnprocessable, "row 2, column 2 holds more than")

	// Fields beyond the header: values are refused, empty ones dropped.
	_, err = ParseCSV([]byte("phone,name\n+628123456789,Sari," + strings.Repeat(",", 5000) + "z\n"))
	wantFileError(t, err, models.EUnprocessable, "beyond the header's 2 columns")
	tb, err := ParseCSV([]byte("phone;name\n+628123456789;Sari;;;;;;\n"))
	if err != nil || len(tb.Rows) != 1 || len(tb.Rows[0].Fields) != 2 {
		t.Fatalf("empty tail: %v %+v", err, tb)
	}
}
