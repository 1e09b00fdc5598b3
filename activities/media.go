package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/waba"
)

// MediaFetchInput names the media row of a customer's file.
type MediaFetchInput struct {
	MediaID int64
}

// MediaFetchResult is how the fetch ended: stored, or failed with a reason
// (a file WhatsApp's rule refuses is a result, not an error to retry).
type MediaFetchResult struct {
	Status string
	Error  string
}

// MediaAPI is the part of the Cloud API client that fetches media.
type MediaAPI interface {
	MediaInfo(ctx context.Context, mediaID, phoneNumberID string) (waba.MediaInfo, error)
	Download(ctx context.Context, mediaURL string, max int64) ([]byte, string, error)
}

// BlobWriter stores file bytes (media.FSBlobs, media.S3Blobs).
type BlobWriter interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
}

// MediaFetch holds what the media activities need.
type MediaFetch struct {
	Store  media.MediaStore
	API    MediaAPI
	Blobs  BlobWriter
	Events models.EventPublisher
	Log    *slog.Logger
}

// refused ends a fetch for good: the file breaks WhatsApp's rule or Graph
// says it does not exist. It is recorded and not retried.
func (a *MediaFetch) refused(ctx context.Context, id int64, reason string) (MediaFetchResult, error) {
	ev, err := a.Store.MarkFailed(ctx, id, reason)
	if err != nil {
		return MediaFetchResult{}, err
	}
	publishAfterCommit(ctx, a.Events, a.Log, ev)
	return MediaFetchResult{Status: media.StatusFailed, Error: reason}, nil
}

// FetchInboundMedia downloads a customer's file: media id -> a URL valid
// for minutes -> the bytes (with the token), checked against the media
// rule and Meta's hash, stored with a thumbnail for images. Each attempt
// asks for a fresh URL, so a retry after the URL expired still works;
// network trouble and Graph's 5xx/429 are retried by the workflow's policy.
func (a *MediaFetch) FetchInboundMedia(ctx context.Context, in MediaFetchInput) (MediaFetchResult, error) {
	row, err := a.Store.Get(ctx, in.MediaID)
	if err != nil {
		return MediaFetchResult{}, businessOrRetry(err)
	}
	if row.Status != media.StatusPending {
		return MediaFetchResult{Status: row.Status, Error: row.Error}, nil
	}
	limit, ok := media.LimitOf(row.Kind)
	if !ok {
		return a.refused(ctx, row.ID, "not a media kind: "+row.Kind)
	}
	pnid, err := a.Store.PhoneNumberOf(ctx, row.ID)
	if err != nil {
		return MediaFetchResult{}, businessOrRetry(err)
	}
	info, err := a.API.MediaInfo(ctx, row.WAMediaID, pnid)
	if err != nil {
		if permanentGraph(err) {
			return a.refused(ctx, row.ID, "WhatsApp does not give the file: "+err.Error())
		}
		return MediaFetchResult{}, err
	}
	ct := info.MimeType
	if ct == "" {
		ct = row.MimeType
	}
	if err := media.Check(row.Kind, ct, max(info.Size(), 1)); err != nil {
		return a.refused(ctx, row.ID, err.Error())
	}
	data, _, err := a.API.Download(ctx, info.URL, limit.MaxBytes)
	if errors.Is(err, waba.ErrMediaTooLarge) {
		return a.refused(ctx, row.ID, fmt.Sprintf("%s files may be at most %s", row.Kind, media.HumanSize(limit.MaxBytes)))
	}
	if err != nil {
		return MediaFetchResult{}, err // expired URL (404) included: the next attempt asks for a new one
	}
	if err := media.Check(row.Kind, ct, int64(len(data))); err != nil {
		return a.refused(ctx, row.ID, err.Error())
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if want := info.SHA256; want != "" && want != hash {
		return MediaFetchResult{}, fmt.Errorf("media %d: downloaded %d bytes whose sha256 is not the one Graph named", row.ID, len(data))
	}
	if err := media.Sniff(ct, data[:min(len(data), 16)]); err != nil {
		return a.refused(ctx, row.ID, err.Error())
	}
	row.MimeType, row.SizeBytes, row.SHA256 = media.BaseType(ct), int64(len(data)), hash
	row.BlobKey = media.BlobKey(row.ConversationID, row.ID, media.VariantFile)
	var thumb []byte
	if media.Thumbnailed(row.Kind) {
		t, err := media.Thumbnail(bytes.NewReader(data))
		if err != nil {
			return a.refused(ctx, row.ID, "the image cannot be read: "+err.Error())
		}
		thumb, row.Width, row.Height = t.JPEG, t.Width, t.Height
		row.ThumbKey = media.BlobKey(row.ConversationID, row.ID, media.VariantThumb)
	}
	if err := a.Blobs.Put(ctx, row.BlobKey, bytes.NewReader(data), int64(len(data)), row.MimeType); err != nil {
		return MediaFetchResult{}, err
	}
	if thumb != nil {
		if err := a.Blobs.Put(ctx, row.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/jpeg"); err != nil {
			return MediaFetchResult{}, err
		}
	}
	ev, err := a.Store.MarkStored(ctx, row)
	if err != nil {
		return MediaFetchResult{}, err
	}
	publishAfterCommit(ctx, a.Events, a.Log, ev)
	return MediaFetchResult{Status: media.StatusStored}, nil
}

// MarkMediaFailed records a fetch that ran out of attempts.
func (a *MediaFetch) MarkMediaFailed(ctx context.Context, in MediaFailedInput) error {
	_, err := a.refused(ctx, in.MediaID, in.Reason)
	return err
}

// MediaFailedInput is the row and the reason of a fetch given up.
type MediaFailedInput struct {
	MediaID int64
	Reason  string
}

// permanentGraph says a Graph error will not change on retry (the id is
// unknown, of another number, or the token is refused: a person must act).
func permanentGraph(err error) bool {
	var ae *waba.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != http.StatusTooManyRequests && !ae.Retryable()
}
