package waba

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// MediaInfo is Graph's answer to GET /{media-id}: a download URL valid for
// about five minutes, and what the file is.
type MediaInfo struct {
	MessagingProduct string `json:"messaging_product"`
	URL              string `json:"url"`
	MimeType         string `json:"mime_type"`
	SHA256           string `json:"sha256"`
	// FileSize is a string in Meta's examples and a number in some answers.
	FileSize flexInt `json:"file_size"`
	ID       string  `json:"id"`
}

// Size is the file size in bytes.
func (m MediaInfo) Size() int64 { return int64(m.FileSize) }

// flexInt reads a JSON number or a string of digits.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("file_size %s: %w", b, err)
	}
	*f = flexInt(n)
	return nil
}

// MediaInfo retrieves a media object's URL and metadata. phoneNumberID,
// when set, makes Graph refuse media of another business number.
func (c *Client) MediaInfo(ctx context.Context, mediaID, phoneNumberID string) (MediaInfo, error) {
	path := "/" + url.PathEscape(mediaID)
	if phoneNumberID != "" {
		path += "?phone_number_id=" + url.QueryEscape(phoneNumberID)
	}
	var out MediaInfo
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return MediaInfo{}, err
	}
	if out.URL == "" {
		return MediaInfo{}, fmt.Errorf("waba: media %s: answer without url", mediaID)
	}
	return out, nil
}

// ErrMediaTooLarge is returned by Download for a file over its limit.
var ErrMediaTooLarge = fmt.Errorf("waba: media larger than allowed")

// Download fetches a media URL from MediaInfo with the bearer token (the
// URL alone is refused) and returns at most max bytes (ErrMediaTooLarge
// beyond) and the content type the server named. An expired URL answers
// an *APIError with HTTPStatus 404: ask MediaInfo for a fresh one.
func (c *Client) Download(ctx context.Context, mediaURL string, max int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("waba: media url: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("waba: download media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var env struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(raw, &env) == nil && env.Error != nil {
			env.Error.HTTPStatus = resp.StatusCode
			return nil, "", env.Error
		}
		return nil, "", &APIError{HTTPStatus: resp.StatusCode, Message: "media download: " + strings.TrimSpace(string(raw))}
	}
	if resp.ContentLength > max {
		return nil, "", ErrMediaTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, "", fmt.Errorf("waba: download media: %w", err)
	}
	if int64(len(body)) > max {
		return nil, "", ErrMediaTooLarge
	}
	return body, resp.Header.Get("Content-Type"), nil
}
