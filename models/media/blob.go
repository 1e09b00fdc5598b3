package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoBlob is returned for a key that holds nothing (never stored, or
// deleted by retention).
var ErrNoBlob = errors.New("media: no such blob")

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Size        int64
	ContentType string
}

// validKey keeps keys to what the stores make ("conv/12/media/34/file"):
// no "..", no absolute paths, nothing a directory store could escape with.
func validKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") {
		return fmt.Errorf("media: bad blob key %q", key)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '/' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("media: bad blob key %q", key)
		}
	}
	return nil
}

// BlobKey is where a media row's variant is kept.
func BlobKey(convID, mediaID int64, variant string) string {
	return fmt.Sprintf("conv/%d/media/%d/%s", convID, mediaID, variant)
}

// FSBlobs keeps blobs as files under Dir (the default of `scrm dev` and a
// single-machine install; several api/worker machines need S3Blobs or a
// shared volume).
type FSBlobs struct{ Dir string }

func (f FSBlobs) path(key string) (string, error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	return filepath.Join(f.Dir, filepath.FromSlash(key)), nil
}

// Put writes r (size bytes) under key: to a temporary file first, renamed
// into place, so a reader never sees half a file.
func (f FSBlobs) Put(_ context.Context, key string, r io.Reader, size int64, contentType string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("media: blob dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("media: blob: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("media: write blob: %w", err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("media: blob %s: wrote %d of %d bytes", key, n, size)
	}
	if err := os.WriteFile(p+".type", []byte(contentType), 0o640); err != nil {
		return fmt.Errorf("media: blob type: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("media: blob: %w", err)
	}
	return nil
}

// Open returns the blob under key.
func (f FSBlobs) Open(_ context.Context, key string) (io.ReadCloser, BlobInfo, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, BlobInfo{}, err
	}
	fh, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, BlobInfo{}, ErrNoBlob
	}
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("media: open blob: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, BlobInfo{}, err
	}
	ct, _ := os.ReadFile(p + ".type")
	return fh, BlobInfo{Size: st.Size(), ContentType: string(ct)}, nil
}

// Delete removes the blob under key; a missing one is no error.
func (f FSBlobs) Delete(_ context.Context, key string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	for _, q := range []string{p, p + ".type"} {
		if err := os.Remove(q); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("media: delete blob: %w", err)
		}
	}
	return nil
}
