package templates

import (
	"slices"
	"strings"

	"github.com/wabascrm/scrm/models"
)

// A media header's sample file, uploaded with the Resumable Upload API for
// example.header_handle: the upload takes application/pdf, image/jpeg,
// image/jpg, image/png or video/mp4, and a header's sample must be of its
// format, within the size WhatsApp accepts for that media.
// https://developers.facebook.com/docs/graph-api/guides/upload
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components (media headers)
// https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media (supported media types)
var sampleRules = map[string]struct {
	types []string
	max   int64
}{
	"IMAGE":    {[]string{"image/jpeg", "image/png"}, 5 << 20},
	"VIDEO":    {[]string{"video/mp4"}, 16 << 20},
	"DOCUMENT": {[]string{"application/pdf"}, 100 << 20},
}

// SampleMax is the largest sample a header format takes (0: not a media format).
func SampleMax(format string) int64 { return sampleRules[strings.ToUpper(format)].max }

// CheckHeaderSample refuses a sample WhatsApp would not take for a header
// of format: contentType is what the bytes are (sniffed, not claimed).
func CheckHeaderSample(format, contentType string, size int64) error {
	r, ok := sampleRules[strings.ToUpper(format)]
	if !ok {
		return models.FieldError(models.EInvalid, "format", "must be IMAGE, VIDEO or DOCUMENT")
	}
	if size <= 0 {
		return models.FieldError(models.EInvalid, "file", "is empty")
	}
	if size > r.max {
		return models.FieldError(models.ETooLarge, "file", "a %s header sample may be at most %d MB", strings.ToUpper(format), r.max>>20)
	}
	if !slices.Contains(r.types, contentType) {
		return models.FieldError(models.EUnprocessable, "file", "a %s header sample must be %s, not %s", strings.ToUpper(format), strings.Join(r.types, " or "), contentType)
	}
	return nil
}
