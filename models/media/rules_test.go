package media

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		kind, mime string
		size       int64
		want       models.ErrorCode // "" when accepted
	}{
		{"image", "image/jpeg", 5 << 20, ""},
		{"image", "image/png", 1, ""},
		{"image", "image/jpeg", 5<<20 + 1, models.ETooLarge},
		{"image", "image/webp", 10, models.EUnprocessable}, // webp is a sticker
		{"image", "image/svg+xml", 10, models.EUnprocessable},
		{"image", "application/pdf", 10, models.EUnprocessable},
		{"image", "", 10, models.EUnprocessable},
		{"image", "image/jpeg", 0, models.EInvalid},
		{"audio", "audio/ogg; codecs=opus", 16 << 20, ""},
		{"audio", "audio/wav", 1, models.EUnprocessable},
		{"video", "video/mp4", 16<<20 + 1, models.ETooLarge},
		{"video", "video/quicktime", 1, models.EUnprocessable},
		{"document", "application/pdf", 100 << 20, ""},
		{"document", "application/pdf", 100<<20 + 1, models.ETooLarge},
		{"document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 1, ""},
		{"document", "application/x-msdownload", 1, models.EUnprocessable},
		{"document", "text/html", 1, models.EUnprocessable},
		{"sticker", "image/webp", 500 << 10, ""},
		{"sticker", "image/webp", 500<<10 + 1, models.ETooLarge},
		{"", "", 0, models.EInvalid},
		{"location", "", 1, models.EInvalid},
	} {
		err := Check(tc.kind, tc.mime, tc.size)
		if (tc.want == "") != (err == nil) || (err != nil && models.CodeOf(err) != tc.want) {
			t.Errorf("%s %q %d: %v, want %q", tc.kind, tc.mime, tc.size, err, tc.want)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		mime string
		head string
		ok   bool
	}{
		{"image/jpeg", "\xff\xd8\xff\xe0JFIF", true},
		{"image/jpeg", "\x89PNG\r\n\x1a\n", false},
		{"image/png", "\x89PNG\r\n\x1a\nIHDR", true},
		{"application/pdf", "%PDF-1.7", true},
		{"application/pdf", "MZ\x90\x00", false}, // an executable calling itself a PDF
		{"image/webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", true},
		{"image/webp", "RIFF\x00\x00\x00\x00WAVE", false},
		{"text/plain", "anything", true},
	} {
		if err := Sniff(tc.mime, []byte(tc.head)); (err == nil) != tc.ok {
			t.Errorf("%s %q: %v", tc.mime, tc.head, err)
		}
	}
}

func TestThumbnail(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1200, 800))
	for x := 0; x < 1200; x++ {
		for y := 0; y < 800; y++ {
			src.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	th, err := Thumbnail(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, format, err := image.Decode(bytes.NewReader(th.JPEG))
	if err != nil || format != "jpeg" {
		t.Fatalf("thumbnail decodes as %q: %v", format, err)
	}
	if b := got.Bounds(); b.Dx() != ThumbEdge || b.Dy() != ThumbEdge*800/1200 || th.Width != 1200 || th.Height != 800 {
		t.Fatalf("thumbnail %v of %dx%d", got.Bounds(), th.Width, th.Height)
	}
	// A small image keeps its size; garbage is refused.
	small := image.NewRGBA(image.Rect(0, 0, 40, 90))
	buf.Reset()
	_ = png.Encode(&buf, small)
	if th, err := Thumbnail(bytes.NewReader(buf.Bytes())); err != nil || th.Width != 40 {
		t.Fatalf("small: %+v %v", th, err)
	}
	if _, err := Thumbnail(bytes.NewReader([]byte("\xff\xd8\xff not really"))); err == nil {
		t.Fatal("garbage made a thumbnail")
	}
	// A PNG header claiming 100,000 x 100,000 pixels is not decoded.
	bomb := image.NewGray(image.Rect(0, 0, 1, 1))
	buf.Reset()
	_ = png.Encode(&buf, bomb)
	raw := buf.Bytes()
	// IHDR width and height are bytes 16-23 (big endian); the CRC is not
	// checked by DecodeConfig.
	copy(raw[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	if _, err := Thumbnail(bytes.NewReader(raw)); err == nil {
		t.Fatal("decompression bomb decoded")
	}
}
