package media

import (
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, ...).
type S3Config struct {
	Endpoint  string // host:port, no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	Secure    bool // https
}

// S3Blobs keeps blobs as objects of one bucket (production: every api and
// worker machine sees the same files).
type S3Blobs struct {
	client *minio.Client
	bucket string
}

// NewS3Blobs connects to the bucket and creates it when missing.
func NewS3Blobs(ctx context.Context, c S3Config) (*S3Blobs, error) {
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.Secure, Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("media: s3 client: %w", err)
	}
	ok, err := cl.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("media: s3 bucket %q at %s: %w", c.Bucket, c.Endpoint, err)
	}
	if !ok {
		if err := cl.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: c.Region}); err != nil {
			return nil, fmt.Errorf("media: create s3 bucket %q: %w", c.Bucket, err)
		}
	}
	return &S3Blobs{client: cl, bucket: c.Bucket}, nil
}

// Put stores r (size bytes; -1 streams in parts) under key.
func (s *S3Blobs) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := validKey(key); err != nil {
		return err
	}
	if _, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType}); err != nil {
		return fmt.Errorf("media: s3 put %s: %w", key, err)
	}
	return nil
}

// Open returns the object under key.
func (s *S3Blobs) Open(ctx context.Context, key string) (io.ReadCloser, BlobInfo, error) {
	if err := validKey(key); err != nil {
		return nil, BlobInfo{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("media: s3 get %s: %w", key, err)
	}
	// GetObject is lazy: Stat makes the request and reports a missing key.
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, BlobInfo{}, ErrNoBlob
		}
		return nil, BlobInfo{}, fmt.Errorf("media: s3 stat %s: %w", key, err)
	}
	return obj, BlobInfo{Size: st.Size, ContentType: st.ContentType}, nil
}

// Delete removes the object under key; a missing one is no error.
func (s *S3Blobs) Delete(ctx context.Context, key string) error {
	if err := validKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("media: s3 delete %s: %w", key, err)
	}
	return nil
}
