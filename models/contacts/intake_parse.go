package contacts

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
	"github.com/xuri/excelize/v2"
)

// Intake limits: every dimension a file can blow up in memory is bounded
// (issue #17 finding 5: the column bound applied to the header only, so a
// 17 kB workbook with one cell in column XFD per row cost hundreds of MiB).
const (
	MaxIntakeFileBytes = 50 << 20
	MaxIntakeRows      = 200_000
	MaxIntakeAPIRows   = 10_000
	maxIntakeColumns   = 200
	// maxIntakeCellBytes is Excel's own cell limit (32,767 characters).
	maxIntakeCellBytes = 32 << 10
	// maxIntakeTextBytes bounds the text of all cells a table keeps.
	maxIntakeTextBytes = 128 << 20
	// maxIntakeLineBytes bounds one CSV line (a quoted field may span lines).
	maxIntakeLineBytes = 1 << 20
	// XLSX: the workbook's total uncompressed size (zip bomb), its number
	// of parts, and the shared-string table that excelize holds in memory.
	maxXLSXUnzipped      = 256 << 20
	maxXLSXEntries       = 1000
	maxXLSXSharedStrings = 64 << 20
	// maxXLSXInMemoryXML: a worksheet larger than this is spilled to a
	// temporary file by excelize instead of held in memory.
	maxXLSXInMemoryXML = 16 << 20
)

// IntakeRecord is one input row after column mapping: the same shape for
// file rows and API batch rows.
type IntakeRecord struct {
	Phone      string            `json:"phone"`
	Name       string            `json:"name,omitempty"`
	CaseRef    string            `json:"caseRef,omitempty"`
	Amount     string            `json:"amount,omitempty"`
	DueDate    string            `json:"dueDate,omitempty"`
	Team       string            `json:"team,omitempty"`
	Agent      string            `json:"agent,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Blank reports a row with nothing in it.
func (r IntakeRecord) Blank() bool {
	if strings.TrimSpace(r.Phone+r.Name+r.CaseRef+r.Amount+r.DueDate+r.Team+r.Agent) != "" {
		return false
	}
	for _, v := range r.Attributes {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// HasCase reports a row that also describes a case (left for the cases area).
func (r IntakeRecord) HasCase() bool {
	return strings.TrimSpace(r.CaseRef+r.Amount+r.DueDate) != ""
}

// IntakeMapping says which source column holds which field (by header
// name, compared case-insensitively). Attributes maps attribute key to column.
type IntakeMapping struct {
	Phone      string            `json:"phone"`
	Name       string            `json:"name,omitempty"`
	CaseRef    string            `json:"caseRef,omitempty"`
	Amount     string            `json:"amount,omitempty"`
	DueDate    string            `json:"dueDate,omitempty"`
	Team       string            `json:"team,omitempty"`
	Agent      string            `json:"agent,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// SourceRow is one data row of a file with its 1-based line/row number in
// the file (the header is row 1), so reports point at what users see.
type SourceRow struct {
	RowNo  int
	Fields []string
}

// Table is a parsed upload: header plus data rows.
type Table struct {
	Headers []string
	Rows    []SourceRow
	// Sheets lists a workbook's sheets and Sheet the one read (XLSX only).
	Sheets []string
	Sheet  string
	text   int // bytes of cell text kept, bounded by maxIntakeTextBytes
}

// ParseUpload reads a CSV or XLSX upload (detected from content, not the
// name). Binary or non-UTF-8 CSV, empty files and oversize tables are 4xx
// errors naming "file".
func ParseUpload(data []byte) (Table, string, error) { return ParseUploadSheet(data, "") }

// ParseUploadSheet is ParseUpload reading the named sheet of a workbook
// ("" : the first); a name the workbook lacks is refused, naming those it has.
func ParseUploadSheet(data []byte, sheet string) (Table, string, error) {
	if len(data) > MaxIntakeFileBytes {
		return Table{}, "", models.FieldError(models.ETooLarge, "file", "file is larger than %d MB", MaxIntakeFileBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Table{}, "", models.FieldError(models.EInvalid, "file", "file is empty")
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		t, err := parseXLSX(data, sheet)
		return t, "xlsx", err
	}
	if sheet != "" {
		return Table{}, "", models.FieldError(models.EInvalid, "sheet", "a CSV file has no sheets")
	}
	t, err := ParseCSV(data)
	return t, "csv", err
}

// ParseCSV reads UTF-8 CSV with a header line; the delimiter (comma,
// semicolon as Indonesian Excel writes, or tab) is taken from the header.
func ParseCSV(data []byte) (Table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(data, 0) >= 0 {
		return Table{}, models.FieldError(models.EUnprocessable, "file", "file is binary, not CSV or XLSX")
	}
	if !utf8.Valid(data) {
		return Table{}, models.FieldError(models.EUnprocessable, "file", "file is not UTF-8 text; save it as CSV UTF-8")
	}
	first, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
	r := csv.NewReader(&lineLimit{r: bytes.NewReader(data), max: maxIntakeLineBytes})
	r.Comma = sniffDelimiter(string(first))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var t Table
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errLineTooLong) {
			return Table{}, models.FieldError(models.EUnprocessable, "file", "a line of the file is longer than %d bytes", maxIntakeLineBytes)
		}
		if err != nil {
			return Table{}, models.FieldError(models.EUnprocessable, "file", "CSV is malformed: %v", err)
		}
		line, _ := r.FieldPos(0)
		if t.Headers == nil {
			if err := t.setHeaders(rec); err != nil {
				return Table{}, err
			}
			continue
		}
		if err := t.add(line, rec); err != nil {
			return Table{}, err
		}
	}
	if t.Headers == nil {
		return Table{}, models.FieldError(models.EInvalid, "file", "file has no header row")
	}
	return t, nil
}

func sniffDelimiter(header string) rune {
	best, n := ',', strings.Count(header, ",")
	for _, d := range []rune{';', '\t'} {
		if c := strings.Count(header, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

func (t *Table) setHeaders(rec []string) error {
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1] // a formatted but empty cell far right is no column
	}
	if len(rec) > maxIntakeColumns {
		return models.FieldError(models.EUnprocessable, "file", "file has more than %d columns", maxIntakeColumns)
	}
	t.Headers = make([]string, len(rec))
	for i, h := range rec {
		t.Headers[i] = strings.TrimSpace(h)
	}
	return nil
}

// add keeps one data row after checking its every dimension: cells beyond
// the header's columns must be empty (they could map to nothing) and are
// dropped, each cell is at most maxIntakeCellBytes, and all rows together
// stay under MaxIntakeRows and maxIntakeTextBytes.
func (t *Table) add(rowNo int, rec []string) error {
	if len(t.Rows) >= MaxIntakeRows {
		return models.FieldError(models.ETooLarge, "file", "file has more than %d rows", MaxIntakeRows)
	}
	if len(rec) > len(t.Headers) {
		for i, v := range rec[len(t.Headers):] {
			if strings.TrimSpace(v) != "" {
				return models.FieldError(models.EUnprocessable, "file", "row %d has a value in column %d, beyond the header's %d columns",
					rowNo, len(t.Headers)+i+1, len(t.Headers))
			}
		}
		rec = rec[:len(t.Headers):len(t.Headers)] // drop the empty tail, and let its backing array go
		rec = append([]string(nil), rec...)
	}
	for i, v := range rec {
		if len(v) > maxIntakeCellBytes {
			return models.FieldError(models.EUnprocessable, "file", "row %d, column %d holds more than %d bytes", rowNo, i+1, maxIntakeCellBytes)
		}
		t.text += len(v)
	}
	if t.text > maxIntakeTextBytes {
		return models.FieldError(models.ETooLarge, "file", "file holds more than %d MB of text", maxIntakeTextBytes>>20)
	}
	t.Rows = append(t.Rows, SourceRow{RowNo: rowNo, Fields: rec})
	return nil
}

var errLineTooLong = errors.New("line too long")

// lineLimit fails a read once more than max bytes pass without a newline,
// so one endless line (or an unclosed quote) cannot grow a CSV record
// without bound.
type lineLimit struct {
	r   io.Reader
	max int
	run int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
		} else if l.run++; l.run > l.max {
			return 0, errLineTooLong
		}
	}
	return n, err
}

// checkZip reads the workbook's central directory before excelize unpacks
// anything: too many parts, a declared total above maxXLSXUnzipped or a
// shared-string table above maxXLSXSharedStrings is refused. excelize's
// UnzipSizeLimit enforces the same total on the bytes actually inflated,
// since a zip may lie about its sizes.
func checkZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return models.FieldError(models.EUnprocessable, "file", "file is not a readable XLSX workbook: %v", err)
	}
	if len(zr.File) > maxXLSXEntries {
		return models.FieldError(models.EUnprocessable, "file", "workbook has more than %d parts", maxXLSXEntries)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > maxXLSXSharedStrings {
			return models.FieldError(models.ETooLarge, "file", "workbook's shared strings are larger than %d MB", maxXLSXSharedStrings>>20)
		}
	}
	if total > maxXLSXUnzipped {
		return models.FieldError(models.ETooLarge, "file", "workbook unpacks to more than %d MB", maxXLSXUnzipped>>20)
	}
	return nil
}

func parseXLSX(data []byte, sheet string) (Table, error) {
	if err := checkZip(data); err != nil {
		return Table{}, err
	}
	// Bound decompression: a small zip can expand to gigabytes.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxXLSXUnzipped, UnzipXMLSizeLimit: maxXLSXInMemoryXML})
	if err != nil {
		return Table{}, models.FieldError(models.EUnprocessable, "file", "file is not a readable XLSX workbook: %v", err)
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Table{}, models.FieldError(models.EUnprocessable, "file", "workbook has no sheets")
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if !slices.Contains(sheets, sheet) {
		return Table{}, models.FieldError(models.EInvalid, "sheet", "the workbook has no sheet %q (it has: %s)", sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return Table{}, models.FieldError(models.EUnprocessable, "file", "cannot read sheet %q: %v", sheet, err)
	}
	defer func() { _ = rows.Close() }()
	t := Table{Sheets: sheets, Sheet: sheet}
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns()
		if err != nil {
			return Table{}, models.FieldError(models.EUnprocessable, "file", "cannot read row %d: %v", n, err)
		}
		if t.Headers == nil {
			if len(rec) == 0 {
				continue // blank lines above the header
			}
			if err := t.setHeaders(rec); err != nil {
				return Table{}, err
			}
			continue
		}
		if err := t.add(n, rec); err != nil {
			return Table{}, err
		}
	}
	if t.Headers == nil {
		return Table{}, models.FieldError(models.EInvalid, "file", "sheet %q has no header row", sheet)
	}
	return t, nil
}

// headerGuesses are the usual Indonesian/English column names per field.
var headerGuesses = map[string][]string{
	"phone":   {"phone", "phone number", "no hp", "no. hp", "nomor hp", "nomor", "hp", "handphone", "whatsapp", "wa", "telepon", "no telepon", "mobile", "msisdn"},
	"name":    {"name", "nama", "nama lengkap", "full name", "customer", "nama nasabah"},
	"caseRef": {"case", "case ref", "case reference", "reference", "no kontrak", "nomor kontrak", "contract", "loan id"},
	"amount":  {"amount", "jumlah", "nominal", "tagihan", "outstanding"},
	"dueDate": {"due date", "jatuh tempo", "tanggal jatuh tempo", "due"},
	"team":    {"team", "tim"},
	"agent":   {"agent", "agen", "collector", "owner"},
}

// GuessMapping proposes a mapping from header names; unmatched columns
// become custom attributes keyed by their header.
func GuessMapping(headers []string) IntakeMapping {
	m := IntakeMapping{Attributes: map[string]string{}}
	used := map[string]bool{}
	set := map[string]*string{"phone": &m.Phone, "name": &m.Name, "caseRef": &m.CaseRef, "amount": &m.Amount,
		"dueDate": &m.DueDate, "team": &m.Team, "agent": &m.Agent}
	for _, field := range []string{"phone", "name", "caseRef", "amount", "dueDate", "team", "agent"} {
		for _, h := range headers {
			norm := strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(strings.TrimSpace(h)))
			if !used[h] && *set[field] == "" && containsString(headerGuesses[field], norm) {
				*set[field] = h
				used[h] = true
			}
		}
	}
	for _, h := range headers {
		if h != "" && !used[h] {
			m.Attributes[h] = h
		}
	}
	return m
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Apply maps the table's rows to records. Every named column must exist; a
// missing phone column is a 422 naming "mapping.phone".
func (m IntakeMapping) Apply(t Table) ([]int, []IntakeRecord, error) {
	idx := map[string]int{}
	for i, h := range t.Headers {
		k := strings.ToLower(h)
		if _, dup := idx[k]; !dup {
			idx[k] = i
		}
	}
	col := func(field, name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := idx[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return -1, models.FieldError(models.EUnprocessable, "mapping."+field, "column %q is not in the file (columns: %s)", name, strings.Join(t.Headers, ", "))
		}
		return i, nil
	}
	if strings.TrimSpace(m.Phone) == "" {
		return nil, nil, models.FieldError(models.EUnprocessable, "mapping.phone", "no phone column: map one of the columns %s to phone", strings.Join(t.Headers, ", "))
	}
	fields := []struct {
		name string
		col  string
	}{{"phone", m.Phone}, {"name", m.Name}, {"caseRef", m.CaseRef}, {"amount", m.Amount}, {"dueDate", m.DueDate}, {"team", m.Team}, {"agent", m.Agent}}
	cols := make([]int, len(fields))
	for i, f := range fields {
		c, err := col(f.name, f.col)
		if err != nil {
			return nil, nil, err
		}
		cols[i] = c
	}
	attrCols := map[string]int{}
	for key, name := range m.Attributes {
		if strings.TrimSpace(key) == "" {
			return nil, nil, models.FieldError(models.EInvalid, "mapping.attributes", "attribute keys must not be empty")
		}
		c, err := col("attributes."+key, name)
		if err != nil {
			return nil, nil, err
		}
		attrCols[key] = c
	}
	get := func(rec []string, c int) string {
		if c < 0 || c >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[c])
	}
	rowNos := make([]int, 0, len(t.Rows))
	out := make([]IntakeRecord, 0, len(t.Rows))
	for _, row := range t.Rows {
		r := IntakeRecord{
			Phone: get(row.Fields, cols[0]), Name: get(row.Fields, cols[1]), CaseRef: get(row.Fields, cols[2]),
			Amount: get(row.Fields, cols[3]), DueDate: get(row.Fields, cols[4]), Team: get(row.Fields, cols[5]),
			Agent: get(row.Fields, cols[6]),
		}
		for key, c := range attrCols {
			if v := get(row.Fields, c); v != "" {
				if r.Attributes == nil {
					r.Attributes = map[string]string{}
				}
				r.Attributes[key] = v
			}
		}
		rowNos = append(rowNos, row.RowNo)
		out = append(out, r)
	}
	return rowNos, out, nil
}

// Describe is a short human label for an error in a report.
func describe(err error) string {
	var me *models.Error
	if errors.As(err, &me) {
		return me.Message
	}
	return fmt.Sprint(err)
}
