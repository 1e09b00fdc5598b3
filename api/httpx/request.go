package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// MaxJSONBody bounds request bodies of JSON endpoints.
const MaxJSONBody = 1 << 20

// BindJSON decodes the body into dst strictly: unknown fields, trailing data,
// wrong types and malformed JSON are 400 errors naming the field where known.
func BindJSON(c *gin.Context, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return JSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return models.Errorf(models.EInvalid, "request body must hold a single JSON object")
	}
	return nil
}

func JSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return models.Errorf(models.EInvalid, "request body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EInvalid, "malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return models.Errorf(models.EInvalid, "malformed JSON at offset %d", syn.Offset).WithErr(err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &models.Error{Code: models.EInvalid, Message: "request body must be a JSON object", Err: err}
		}
		return models.FieldError(models.EInvalid, field, "%s must be %s", field, jsonType(typ.Type.String())).WithErr(err)
	case errors.As(err, &big):
		return models.Errorf(models.ETooLarge, "request body is larger than %d bytes", big.Limit)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return models.FieldError(models.EInvalid, f, "unknown field %q", f)
	}
	return &models.Error{Code: models.EInvalid, Message: "invalid JSON body", Err: err}
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string", strings.HasSuffix(goType, ".Permission"):
		return "a string"
	case goType == "bool":
		return "a boolean"
	}
	return "a " + goType
}

// IDParam reads a positive int64 path parameter.
func IDParam(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, models.FieldError(models.EInvalid, name, "%s must be a positive integer", name)
	}
	return v, nil
}

// QueryInt64 reads an optional positive int64 query parameter (0 if absent).
func QueryInt64(c *gin.Context, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v <= 0 {
		return 0, models.FieldError(models.EInvalid, name, "%s must be a positive integer", name)
	}
	return v, nil
}

// QueryTime reads an optional RFC 3339 query parameter.
func QueryTime(c *gin.Context, name string) (time.Time, error) {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, models.FieldError(models.EInvalid, name, "%s must be an RFC 3339 time like 2026-01-02T15:04:05Z", name)
	}
	return t, nil
}

// PageQuery reads limit and offset.
func PageQuery(c *gin.Context) (models.Page, error) {
	var p models.Page
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &p.Limit, models.MaxPageLimit}, {"offset", &p.Offset, 1 << 30}} {
		raw := c.Query(f.name)
		if raw == "" {
			continue
		}
		v, err := strconv.Atoi(raw)
		if err != nil || v < 0 || v > f.max {
			return p, models.FieldError(models.EInvalid, f.name, "%s must be an integer between 0 and %d", f.name, f.max)
		}
		*f.dst = v
	}
	return p.Normal(), nil
}

// ListBody is the JSON shape of every paginated list.
type ListBody[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
	// TotalEstimated: total is the planner's estimate (models.CountCap).
	TotalEstimated bool `json:"totalEstimated,omitempty"`
	// HasMore: a row follows this page.
	HasMore bool `json:"hasMore"`
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
}

func List[T any](items []T, total int64, p models.Page) ListBody[T] {
	if items == nil {
		items = []T{}
	}
	return ListBody[T]{Items: items, Total: total, HasMore: int64(p.Offset+len(items)) < total, Limit: p.Limit, Offset: p.Offset}
}

// ListCounted is List with a models.Count (an estimated total, a "more"
// read past the page).
func ListCounted[T any](items []T, c models.Count, p models.Page) ListBody[T] {
	b := List(items, c.Total, p)
	b.TotalEstimated, b.HasMore = c.Estimated, c.More
	return b
}

// OptionalJSON binds a body when one is sent (for actions whose body is optional).
func OptionalJSON(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return BindJSON(c, dst)
}

// CSVSafe defuses spreadsheet formulas in user-supplied cells by OWASP's
// rule (CSV Injection): a field is prefixed with a single quote when it, or
// any part of it after a separator a spreadsheet may split on (comma,
// semicolon as in the id-ID locale, tab, CR, LF, pipe), starts with = + - @
// tab or CR. Numbers such as "-5" and phones such as "+62 812..." are
// prefixed too: "+1+1" and "-2+3" are formulas as well, and the quote only
// makes the spreadsheet keep the text as text. CSVDownload also quotes every
// field, so a ";" inside it never starts a new cell. It is the one place
// both export formats (CSV and XLSX) neutralise cells.
func CSVSafe(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}

// FormulaLike reports whether a spreadsheet could read s, or a cell split
// from it, as a formula.
func FormulaLike(s string) bool {
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case start && strings.IndexByte("=+-@\t\r", c) >= 0:
			return true
		case start && c == ' ':
			// " =1" after a separator is still read as a formula by some
			// spreadsheets: spaces keep the cell start open.
		default:
			start = strings.IndexByte(",;\t\r\n|", c) >= 0
		}
	}
	return false
}
