package httpx

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// Wrap is the one place a handler's result becomes a response.
func TestWrap(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name   string
		h      Handler
		status int
		body   string
	}{
		{"json", func(*gin.Context) (int, any, error) { return http.StatusCreated, gin.H{"id": 7}, nil }, 201, `{"id":7}`},
		{"no body", func(*gin.Context) (int, any, error) { return http.StatusNoContent, nil, nil }, 204, ""},
		{"typed nil body is JSON null", func(*gin.Context) (int, any, error) { return http.StatusOK, []int(nil), nil }, 200, "null"},
		{"error wins over body", func(*gin.Context) (int, any, error) {
			return http.StatusOK, gin.H{"id": 7}, models.FieldError(models.EInvalid, "id", "bad id")
		}, 400, `{"error":{"code":"invalid","message":"bad id","field":"id"}}`},
		{"internal error hidden", func(*gin.Context) (int, any, error) { return http.StatusOK, nil, io.ErrUnexpectedEOF }, 500,
			`{"error":{"code":"internal","message":"internal error"}}`},
	} {
		gin.SetMode(gin.ReleaseMode)
		e := gin.New()
		e.GET("/", Wrap(log, tc.h))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"Sari":            "Sari",
		"=HYPERLINK(1)":   "'=HYPERLINK(1)",
		"@SUM(A1)":        "'@SUM(A1)",
		"+62 812-3456-78": "'+62 812-3456-78",
		"-5":              "'-5",
		"-cmd":            "'-cmd",
		"+1+1":            "'+1+1",
		"-2+3":            "'-2+3",
		"Ani;=1+1;":       "'Ani;=1+1;",
		"Ani, =1+1":       "'Ani, =1+1",
		"a\t=1":           "'a\t=1",
		"\tx":             "'\tx",
		"\r=1":            "'\r=1",
		"a|@SUM(1)":       "'a|@SUM(1)",
		"Budi - Sari":     "Budi - Sari",
		"Rp 1.000,-":      "'Rp 1.000,-",
		"jl. a=b":         "jl. a=b",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
