package waba_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
	"time"

	"github.com/wabascrm/scrm/waba"
)

// customerSends makes the simulated customer send a file; it returns the
// media id the webhook carried.
func (e *env) customerSends(t *testing.T, phone, kind, filename, mimeType string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("type", kind)
	_ = w.WriteField("caption", "bukti transfer")
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", mimeType)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	resp, err := http.Post(e.srv.URL+"/sim/customers/"+phone+"/media", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("customer media: %d", resp.StatusCode)
	}
	var id string
	eventually(t, "the media webhook", func() bool {
		e.rc.mu.Lock()
		defer e.rc.mu.Unlock()
		for _, m := range e.rc.messages {
			if m.Type == kind {
				for _, md := range []*waba.Media{m.Image, m.Document, m.Audio, m.Video, m.Sticker} {
					if md != nil {
						id = md.ID
					}
				}
			}
		}
		return id != ""
	})
	return id
}

// A customer's file is fetched the way Meta serves it: the id gives a URL
// and the file's hash and size, the URL needs the bearer token and stops
// working after five minutes, and another number cannot read the file.
func TestMediaRetrieveAndDownload(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	jpeg := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("x"), 2000)...)
	id := e.customerSends(t, "6281234567890", "image", "ktp.jpg", "image/jpeg", jpeg)

	info, err := e.client.MediaInfo(ctx, id, pnid)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(jpeg)
	if info.ID != id || info.MimeType != "image/jpeg" || info.Size() != int64(len(jpeg)) || info.SHA256 != hex.EncodeToString(sum[:]) || info.MessagingProduct != "whatsapp" {
		t.Fatalf("media info: %+v", info)
	}
	got, ct, err := e.client.Download(ctx, info.URL, 5<<20)
	if err != nil || !bytes.Equal(got, jpeg) || ct != "image/jpeg" {
		t.Fatalf("download: %v %q %d bytes", err, ct, len(got))
	}
	if _, _, err := e.client.Download(ctx, info.URL, 100); !errors.Is(err, waba.ErrMediaTooLarge) {
		t.Fatalf("download over the limit: %v", err)
	}
	// Without the token the URL is refused.
	resp, err := http.Get(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("download without token: %d", resp.StatusCode)
	}
	// Another business number may not read it.
	if _, err := e.client.MediaInfo(ctx, id, "100000000000999"); apiCode(t, err).Code != 100 {
		t.Fatalf("media of another number: %v", err)
	}
	// Five minutes later the URL is dead; a fresh one works.
	e.clock.Add(5*time.Minute + time.Second)
	if _, _, err := e.client.Download(ctx, info.URL, 5<<20); apiCode(t, err).HTTPStatus != 404 {
		t.Fatalf("expired url: %v", err)
	}
	info2, err := e.client.MediaInfo(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := e.client.Download(ctx, info2.URL, 5<<20); err != nil || !bytes.Equal(got, jpeg) {
		t.Fatalf("fresh url: %v", err)
	}
	if _, err := e.client.MediaInfo(ctx, "3999999999999", ""); apiCode(t, err).Code != 100 {
		t.Fatalf("unknown media id: %v", err)
	}
}

// Uploads follow Meta's types and sizes: a PNG of over 5 MB, an SVG and a
// file of another type than claimed for a kind are refused with 131053;
// an uploaded document can be sent and read back.
func TestMediaUploadLimits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	big := bytes.Repeat([]byte{0x89}, 5<<20+1)
	if _, err := e.client.UploadMedia(ctx, pnid, "besar.png", "image/png", bytes.NewReader(big)); apiCode(t, err).Code != waba.CodeMediaUpload {
		t.Fatalf("6 MB png: %v", err)
	}
	if _, err := e.client.UploadMedia(ctx, pnid, "logo.svg", "image/svg+xml", bytes.NewReader([]byte("<svg/>"))); apiCode(t, err).Code != waba.CodeMediaUpload {
		t.Fatalf("svg: %v", err)
	}
	if _, err := e.client.UploadMedia(ctx, pnid, "kosong.pdf", "application/pdf", bytes.NewReader(nil)); apiCode(t, err).Code != waba.CodeMediaUpload {
		t.Fatalf("empty: %v", err)
	}
	pdf := []byte("%PDF-1.4 surat keterangan lunas")
	id, err := e.client.UploadMedia(ctx, pnid, "lunas.pdf", "application/pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if data, mt, ok := e.sim.MediaFile(id); !ok || mt != "application/pdf" || !bytes.Equal(data, pdf) {
		t.Fatalf("uploaded file in the simulator: %v %q", ok, mt)
	}
	info, err := e.client.MediaInfo(ctx, id, pnid)
	if err != nil || info.Size() != int64(len(pdf)) {
		t.Fatalf("info of an upload: %+v %v", info, err)
	}
}
