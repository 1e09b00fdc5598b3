package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models/media"
)

// blobStore is what the roles do with files: the api puts uploads and
// serves links, the worker puts fetched files and retention deletes them.
type blobStore interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, media.BlobInfo, error)
	Delete(ctx context.Context, key string) error
}

// openBlobs builds the configured store of files (media_store).
func openBlobs(ctx context.Context, cfg config.Config) (blobStore, error) {
	if cfg.MediaStore == "s3" {
		b, err := media.NewS3Blobs(ctx, media.S3Config{Endpoint: cfg.MediaS3Endpoint, Bucket: cfg.MediaS3Bucket,
			AccessKey: cfg.MediaS3AccessKey, SecretKey: cfg.MediaS3SecretKey, Region: cfg.MediaS3Region, Secure: cfg.MediaS3Secure})
		if err != nil {
			return nil, fmt.Errorf("SCRM_MEDIA_S3_ENDPOINT: %w", err)
		}
		return b, nil
	}
	return media.FSBlobs{Dir: cfg.MediaDirPath()}, nil
}

// mediaSigner signs links to files with a key derived from the JWT secret
// (one secret to rotate; the derivation keeps a file link from ever being
// a valid token and the other way round).
func mediaSigner(cfg config.Config) media.Signer {
	m := hmac.New(sha256.New, []byte(cfg.JWTSecret))
	m.Write([]byte("scrm media links v1"))
	key := m.Sum(nil)
	if cfg.JWTSecret == "" {
		key = nil // no secret: every link is refused
	}
	return media.Signer{Key: key, TTL: cfg.MediaLinkTTL}
}
