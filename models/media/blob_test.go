package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// blobContract is what the inbox needs of any blob store.
type blobContract interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, BlobInfo, error)
	Delete(ctx context.Context, key string) error
}

func testBlobs(t *testing.T, b blobContract, conv int64) {
	ctx := context.Background()
	key := BlobKey(conv, 99, VariantFile)
	data := bytes.Repeat([]byte("struk transfer BCA "), 4000)
	if err := b.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	rc, info, err := b.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close()
	if !bytes.Equal(got, data) || info.Size != int64(len(data)) || info.ContentType != "application/pdf" {
		t.Fatalf("read back %d bytes, info %+v", len(got), info)
	}
	// Overwriting replaces the whole object.
	if err := b.Put(ctx, key, strings.NewReader("v2"), 2, "text/plain"); err != nil {
		t.Fatal(err)
	}
	rc, info, err = b.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	_ = rc.Close()
	if string(got) != "v2" || info.ContentType != "text/plain" {
		t.Fatalf("after overwrite: %q %+v", got, info)
	}
	if _, _, err := b.Open(ctx, BlobKey(conv, 100, VariantFile)); !errors.Is(err, ErrNoBlob) {
		t.Fatalf("missing key: %v", err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Open(ctx, key); !errors.Is(err, ErrNoBlob) {
		t.Fatalf("deleted key: %v", err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	for _, bad := range []string{"../etc/passwd", "/abs", "conv/1/../../x", "Upper", "a b", ""} {
		if err := b.Put(ctx, bad, strings.NewReader("x"), 1, "text/plain"); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}

func TestFSBlobs(t *testing.T) {
	dir := t.TempDir()
	testBlobs(t, FSBlobs{Dir: dir}, 7)
	// A short write leaves nothing behind under the key.
	fs := FSBlobs{Dir: dir}
	if err := fs.Put(context.Background(), "conv/1/x", strings.NewReader("abc"), 10, "text/plain"); err == nil {
		t.Fatal("short write accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "conv", "1", "x")); !os.IsNotExist(err) {
		t.Fatalf("half a file left: %v", err)
	}
}

// s3Port is where scripts/ensure-s3.sh starts SeaweedFS's S3 gateway.
const s3Port = "8333"

// ensureS3 makes sure the S3-compatible server of the repository's script
// (SeaweedFS built from the Go module proxy) answers on loopback.
func ensureS3(t *testing.T) string {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", s3Port)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		return addr
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "ensure-s3.sh"))
	cmd.Env = append(os.Environ(), "S3_PORT="+s3Port)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/ensure-s3.sh: %v\n%s", err, out)
	}
	return addr
}

// The S3 store against a real S3-compatible server (SeaweedFS). The
// bucket is shared by the runs (SeaweedFS gives every bucket volumes of its
// own, so a bucket per run would use up the server), each run under keys
// of its own; NewS3Blobs creates the bucket on the first run.
func TestS3Blobs(t *testing.T) {
	addr := ensureS3(t)
	ctx := context.Background()
	bucket := "scrm-test"
	var b *S3Blobs
	var err error
	// A freshly started SeaweedFS takes a moment before it serves buckets.
	for i := 0; i < 30; i++ {
		if b, err = NewS3Blobs(ctx, S3Config{Endpoint: addr, Bucket: bucket, AccessKey: "scrm", SecretKey: "scrm-secret", Region: "us-east-1"}); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatal(err)
	}
	testBlobs(t, b, time.Now().UnixNano())
	// Connecting again finds the bucket instead of failing to create it.
	if _, err := NewS3Blobs(ctx, S3Config{Endpoint: addr, Bucket: bucket, AccessKey: "scrm", SecretKey: "scrm-secret", Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
}
