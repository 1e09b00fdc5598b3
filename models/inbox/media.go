package inbox

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/media"
)

// Blobs is where the inbox keeps files (a directory or an S3 bucket).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, media.BlobInfo, error)
}

// ThreadPage is a page of a conversation's messages with the files of its
// media messages, each with links that work for a few minutes.
type ThreadPage struct {
	MessagesPage
	Media map[int64]media.View `json:"media"`
}

// Thread returns a page of messages of a conversation the principal may
// see, with their files' signed links (no links for anyone else: the scope
// check of Messages comes first).
func (d Desk) Thread(ctx context.Context, p models.Principal, convID, before int64, limit int) (ThreadPage, error) {
	page, err := d.Store.Messages(ctx, p, convID, before, limit)
	if err != nil {
		return ThreadPage{}, err
	}
	out := ThreadPage{MessagesPage: page, Media: map[int64]media.View{}}
	ids := make([]int64, 0, len(page.Items))
	for _, m := range page.Items {
		if media.IsMedia(m.Type) {
			ids = append(ids, m.ID)
		}
	}
	rows, err := d.Media.ForMessages(ctx, ids)
	if err != nil {
		return ThreadPage{}, err
	}
	for id, m := range rows {
		out.Media[id] = d.Links.ViewOf(m)
	}
	return out, nil
}

// MediaFile is a stored file opened for a browser.
type MediaFile struct {
	Body        io.ReadCloser
	Size        int64
	ContentType string
	Filename    string
	// Inline says the browser may show it in the page (images, audio,
	// video); everything else is a download.
	Inline bool
}

// OpenSigned opens a file's variant for a link signed by Thread; an
// altered, forged or expired link is refused before any lookup.
func (d Desk) OpenSigned(ctx context.Context, id int64, variant, exp, sig string) (MediaFile, error) {
	if variant != media.VariantFile && variant != media.VariantThumb {
		return MediaFile{}, models.Errorf(models.ENotFound, "no such file")
	}
	if err := d.Links.Verify(id, variant, exp, sig); err != nil {
		return MediaFile{}, err
	}
	m, err := d.Media.Get(ctx, id)
	if err != nil {
		return MediaFile{}, err
	}
	key := m.BlobKey
	if variant == media.VariantThumb {
		key = m.ThumbKey
	}
	if m.Status != media.StatusStored || key == "" {
		return MediaFile{}, models.Errorf(models.ENotFound, "the file is no longer kept")
	}
	body, info, err := d.Blobs.Open(ctx, key)
	if err == media.ErrNoBlob {
		return MediaFile{}, models.Errorf(models.ENotFound, "the file is no longer kept")
	}
	if err != nil {
		return MediaFile{}, &models.Error{Code: models.EUnavailable, Message: "the file store does not answer", Err: err}
	}
	f := MediaFile{Body: body, Size: info.Size, ContentType: m.MimeType, Filename: m.Filename}
	if variant == media.VariantThumb {
		f.ContentType, f.Filename = "image/jpeg", ""
	}
	switch m.Kind {
	case media.KindImage, media.KindSticker, media.KindAudio, media.KindVideo:
		f.Inline = true
	}
	return f, nil
}

// MediaUploader uploads a file to a business number (the Cloud API client).
type MediaUploader interface {
	UploadMedia(ctx context.Context, phoneNumberID, filename, mimeType string, r io.Reader) (string, error)
}

// Upload is an agent's file for a conversation.
type Upload struct {
	Kind, Filename, ContentType string
	Size                        int64
	Body                        io.ReadSeeker
}

// UploadMedia checks an agent's file against WhatsApp's rule and its
// content against its type, keeps a copy (with a thumbnail for images) so
// the thread can show what was sent, and uploads it to the conversation's
// number. The media id it returns is sent with {"type":..., "mediaId":...};
// the message that sends it is tied to the copy (Send).
func (d Desk) UploadMedia(ctx context.Context, up MediaUploader, p models.Principal, convID int64, u Upload) (media.View, string, error) {
	conv, err := d.Store.GetScoped(ctx, p, convID)
	if err != nil {
		return media.View{}, "", err
	}
	if d.Blobs == nil {
		return media.View{}, "", models.Errorf(models.EUnavailable, "file storage is not configured")
	}
	if err := media.Check(u.Kind, u.ContentType, u.Size); err != nil {
		return media.View{}, "", err
	}
	head := make([]byte, 16)
	n, _ := io.ReadFull(u.Body, head)
	if err := media.Sniff(u.ContentType, head[:n]); err != nil {
		return media.View{}, "", err
	}
	row := media.Media{ConversationID: conv.ID, Kind: u.Kind, MimeType: media.BaseType(u.ContentType),
		Filename: cleanFilename(u.Filename), SizeBytes: u.Size}
	var thumb *media.Thumb
	if media.Thumbnailed(u.Kind) {
		if _, err := u.Body.Seek(0, io.SeekStart); err != nil {
			return media.View{}, "", err
		}
		t, err := media.Thumbnail(u.Body)
		if err != nil {
			return media.View{}, "", models.FieldError(models.EUnprocessable, "file", "the image cannot be read: %v", err)
		}
		thumb, row.Width, row.Height = &t, t.Width, t.Height
	}
	pnid, err := d.Store.PhoneNumberID(ctx, conv.SenderID)
	if err != nil {
		return media.View{}, "", err
	}
	if _, err := u.Body.Seek(0, io.SeekStart); err != nil {
		return media.View{}, "", err
	}
	waID, err := up.UploadMedia(ctx, pnid, row.Filename, row.MimeType, u.Body)
	if err != nil {
		return media.View{}, "", &models.Error{Code: models.EUnavailable, Message: "WhatsApp did not accept the upload: " + err.Error(), Err: err}
	}
	row.WAMediaID = waID
	if err := d.Media.CreateUpload(ctx, &row); err != nil {
		return media.View{}, "", err
	}
	row.BlobKey = media.BlobKey(conv.ID, row.ID, media.VariantFile)
	if _, err := u.Body.Seek(0, io.SeekStart); err != nil {
		return media.View{}, "", err
	}
	if err := d.Blobs.Put(ctx, row.BlobKey, u.Body, u.Size, row.MimeType); err != nil {
		return media.View{}, "", &models.Error{Code: models.EUnavailable, Message: "the file store does not answer", Err: err}
	}
	if thumb != nil {
		row.ThumbKey = media.BlobKey(conv.ID, row.ID, media.VariantThumb)
		if err := d.Blobs.Put(ctx, row.ThumbKey, strings.NewReader(string(thumb.JPEG)), int64(len(thumb.JPEG)), "image/jpeg"); err != nil {
			return media.View{}, "", &models.Error{Code: models.EUnavailable, Message: "the file store does not answer", Err: err}
		}
	}
	if err := d.Media.SetKeys(ctx, row.ID, row.BlobKey, row.ThumbKey); err != nil {
		return media.View{}, "", fmt.Errorf("record upload keys: %w", err)
	}
	return d.Links.ViewOf(row), waID, nil
}

// linkUpload ties a queued media message to the agent's copy of its file.
func (d Desk) linkUpload(ctx context.Context, convID int64, req OutboundRequest, msg models.Message) {
	if req.MediaID == "" || !media.IsMedia(req.Type) {
		return
	}
	if err := d.Media.LinkOutbound(ctx, convID, req.MediaID, msg.ID); err != nil {
		// The send goes on; the thread then shows the message without a preview.
		d.Log.WarnContext(ctx, "link upload to its message", "err", err, "message", msg.ID)
	}
}

// cleanFilename keeps a file's base name, printable and short.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		name = "file"
	}
	return name
}
