package messaging

import (
	"context"
	"io"

	"github.com/wabascrm/scrm/waba"
)

// WABAClient is the part of the Cloud API client the api role calls
// (sender sync and template submission; sends happen in activities).
type WABAClient interface {
	PhoneNumber(ctx context.Context, phoneNumberID string) (waba.PhoneNumberInfo, error)
	CreateTemplate(ctx context.Context, wabaID string, t waba.TemplateDef) (waba.TemplateCreated, error)
	UploadMedia(ctx context.Context, phoneNumberID, filename, mimeType string, r io.Reader) (string, error)
	UploadHandle(ctx context.Context, appID, filename, mimeType string, data []byte) (string, error)
}
