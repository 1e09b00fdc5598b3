package waba

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// UploadHandle uploads a sample file with the Resumable Upload API and
// returns the handle a media-header template needs in
// example.header_handle at creation: POST /{app-id}/uploads opens a
// session, POST /{upload-session-id} with file_offset 0 sends the bytes and
// answers {"h": handle}. mimeType is application/pdf, image/jpeg, image/png
// or video/mp4.
// https://developers.facebook.com/docs/graph-api/guides/upload
func (c *Client) UploadHandle(ctx context.Context, appID, filename, mimeType string, data []byte) (string, error) {
	if appID == "" {
		return "", fmt.Errorf("waba: the Resumable Upload API needs the Meta app id")
	}
	q := url.Values{"file_name": {filename}, "file_length": {strconv.Itoa(len(data))}, "file_type": {mimeType}}
	var session struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(appID)+"/uploads?"+q.Encode(), nil, &session); err != nil {
		return "", err
	}
	if !strings.HasPrefix(session.ID, "upload:") {
		return "", fmt.Errorf("waba: unexpected upload session id %q", session.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/"+c.version+"/"+session.ID, bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("waba: build upload: %w", err)
	}
	// The upload step takes the token as "OAuth", per Meta's guide.
	req.Header.Set("Authorization", "OAuth "+c.token)
	req.Header.Set("file_offset", "0")
	var out struct {
		H string `json:"h"`
	}
	if err := c.send(req, &out); err != nil {
		return "", err
	}
	if out.H == "" {
		return "", fmt.Errorf("waba: upload of %s gave no handle", filename)
	}
	return out.H, nil
}
