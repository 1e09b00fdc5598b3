package templates

import (
	"errors"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestCheckHeaderSample(t *testing.T) {
	cases := []struct {
		format, ct string
		size       int64
		code       models.ErrorCode
	}{
		{"IMAGE", "image/jpeg", 1000, ""},
		{"image", "image/png", 5 << 20, ""},
		{"IMAGE", "image/png", 5<<20 + 1, models.ETooLarge},
		{"IMAGE", "image/webp", 1000, models.EUnprocessable},
		{"VIDEO", "video/mp4", 16 << 20, ""},
		{"VIDEO", "video/3gpp", 1000, models.EUnprocessable},
		{"DOCUMENT", "application/pdf", 100 << 20, ""},
		{"DOCUMENT", "image/jpeg", 1000, models.EUnprocessable},
		{"DOCUMENT", "application/pdf", 0, models.EInvalid},
		{"TEXT", "text/plain", 10, models.EInvalid},
	}
	for _, c := range cases {
		err := CheckHeaderSample(c.format, c.ct, c.size)
		var me *models.Error
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s %s %d: %v", c.format, c.ct, c.size, err)
		case c.code != "" && (!errors.As(err, &me) || me.Code != c.code):
			t.Errorf("%s %s %d: %v, want %s", c.format, c.ct, c.size, err, c.code)
		}
	}
}
