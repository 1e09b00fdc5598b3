package inbox

import (
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestCheckMedia(t *testing.T) {
	for _, tc := range []struct {
		kind, mime string
		size       int64
		want       models.ErrorCode // "" when accepted
	}{
		{"image", "image/jpeg", 5 << 20, ""},
		{"image", "image/jpeg", 5<<20 + 1, models.ETooLarge},
		{"image", "application/pdf", 10, models.EUnprocessable},
		{"image", "", 10, models.EUnprocessable},
		{"audio", "audio/ogg", 16 << 20, ""},
		{"video", "video/mp4", 16<<20 + 1, models.ETooLarge},
		{"video", "image/png", 1, models.EUnprocessable},
		{"document", "application/pdf", 100 << 20, ""},
		{"document", "text/csv", 1, ""},
		{"document", "", 1, models.EUnprocessable},
		{"sticker", "image/webp", 1, models.EInvalid},
		{"", "", 0, models.EInvalid},
	} {
		err := CheckMedia(tc.kind, tc.mime, tc.size)
		if (tc.want == "") != (err == nil) || (err != nil && models.CodeOf(err) != tc.want) {
			t.Errorf("%s %q %d: %v, want %q", tc.kind, tc.mime, tc.size, err, tc.want)
		}
	}
}
