package media

import (
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/wabascrm/scrm/models"
)

// Kinds of media messages.
const (
	KindImage    = "image"
	KindDocument = "document"
	KindAudio    = "audio"
	KindVideo    = "video"
	KindSticker  = "sticker"
)

// Limit is WhatsApp's rule for one kind: the largest file and the content
// types Meta accepts (Cloud API "Supported media types").
type Limit struct {
	Kind     string   `json:"kind"`
	MaxBytes int64    `json:"maxBytes"`
	Types    []string `json:"types"`
}

// limits are Meta's: images 5 MB (JPEG, PNG), video 16 MB (MP4, 3GPP; H.264
// and AAC), audio 16 MB (AAC, AMR, MP3, M4A, OGG Opus), documents 100 MB
// (text, PDF, Office), stickers 500 KB (WebP; 100 KB when static — the
// animated limit is checked since an upload does not say which it is).
var limits = []Limit{
	{KindImage, 5 << 20, []string{"image/jpeg", "image/png"}},
	{KindVideo, 16 << 20, []string{"video/mp4", "video/3gpp", "video/3gp"}},
	{KindAudio, 16 << 20, []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}},
	{KindDocument, 100 << 20, []string{"text/plain", "application/pdf",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"}},
	{KindSticker, 500 << 10, []string{"image/webp"}},
}

// Limits lists the rule of every kind (the web composer checks files with
// it before uploading; the server checks again).
func Limits() []Limit { return slices.Clone(limits) }

// LimitOf returns the rule of kind; ok is false for a kind that is no media.
func LimitOf(kind string) (Limit, bool) {
	for _, l := range limits {
		if l.Kind == kind {
			return l, true
		}
	}
	return Limit{}, false
}

// BaseType is a content type without parameters, lower case
// ("audio/ogg; codecs=opus" -> "audio/ogg").
func BaseType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
}

// Check is the rule for a file of kind: a type WhatsApp accepts for it and
// within its size. Both directions use it: an agent's upload before it is
// sent, a customer's file before it is stored.
func Check(kind, contentType string, size int64) error {
	l, ok := LimitOf(kind)
	if !ok {
		return models.FieldError(models.EInvalid, "type", "must be image, video, audio, document or sticker")
	}
	if size <= 0 {
		return models.FieldError(models.EInvalid, "file", "is empty")
	}
	if size > l.MaxBytes {
		return models.FieldError(models.ETooLarge, "file", "%s files may be at most %s", kind, HumanSize(l.MaxBytes))
	}
	if !slices.Contains(l.Types, BaseType(contentType)) {
		return models.FieldError(models.EUnprocessable, "file", "WhatsApp does not accept %q as %s (allowed: %s)", contentType, kind, strings.Join(l.Types, ", "))
	}
	return nil
}

// HumanSize writes a byte count the way the limits are documented.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// IsMedia says whether an inbound message type carries a file.
func IsMedia(msgType string) bool {
	_, ok := LimitOf(msgType)
	return ok
}
