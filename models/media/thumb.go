package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // decoders the thumbnailer reads
	"io"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/wabascrm/scrm/models"
)

// ThumbEdge is the longer edge of a thumbnail in pixels (the thread shows
// images at most 280 px wide; 320 leaves room for high-density screens).
const ThumbEdge = 320

// maxPixels bounds what is decoded: a 5 MB PNG can claim 100,000 x 100,000
// pixels (a decompression bomb), far beyond any photo a phone sends.
const maxPixels = 50_000_000

// magic are the first bytes of the types whose content is checked against
// their claim (a "PDF" that is an executable is refused, not stored).
var magic = map[string][]string{
	"image/jpeg":      {"\xff\xd8\xff"},
	"image/png":       {"\x89PNG\r\n\x1a\n"},
	"application/pdf": {"%PDF-"},
}

// Sniff checks that the first bytes of a file fit its claimed type, for
// the types that have a signature.
func Sniff(contentType string, head []byte) error {
	base := BaseType(contentType)
	if base == "image/webp" {
		if len(head) < 12 || string(head[:4]) != "RIFF" || string(head[8:12]) != "WEBP" {
			return models.FieldError(models.EUnprocessable, "file", "the content is not a WebP image")
		}
		return nil
	}
	sigs, ok := magic[base]
	if !ok {
		return nil
	}
	for _, s := range sigs {
		if bytes.HasPrefix(head, []byte(s)) {
			return nil
		}
	}
	return models.FieldError(models.EUnprocessable, "file", "the content is not %s", base)
}

// Thumb is a JPEG thumbnail and the original's size in pixels.
type Thumb struct {
	JPEG          []byte
	Width, Height int // of the original
}

// Thumbnail scales an image (JPEG, PNG or WebP) so its longer edge is at
// most ThumbEdge and encodes it as JPEG. Smaller images keep their size.
func Thumbnail(r io.ReadSeeker) (Thumb, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return Thumb{}, fmt.Errorf("thumbnail: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return Thumb{}, fmt.Errorf("thumbnail: %dx%d pixels is out of bounds", cfg.Width, cfg.Height)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Thumb{}, err
	}
	src, _, err := image.Decode(r)
	if err != nil {
		return Thumb{}, fmt.Errorf("thumbnail: %w", err)
	}
	w, h := cfg.Width, cfg.Height
	tw, th := w, h
	if w > ThumbEdge || h > ThumbEdge {
		if w >= h {
			tw, th = ThumbEdge, max(1, h*ThumbEdge/w)
		} else {
			tw, th = max(1, w*ThumbEdge/h), ThumbEdge
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	// White under transparent PNG/WebP pixels (JPEG has no alpha).
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return Thumb{}, err
	}
	return Thumb{JPEG: buf.Bytes(), Width: w, Height: h}, nil
}

// Thumbnailed says whether files of kind get a thumbnail.
func Thumbnailed(kind string) bool { return kind == KindImage || kind == KindSticker }
