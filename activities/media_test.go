package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker/testenv"
)

// FetchInboundMedia against the simulator's Graph: a photo is stored with
// its thumbnail; a "PDF" that is an executable and a file of a type
// WhatsApp does not allow for its kind are refused for good (failed, with
// the reason, no retry), and nothing of theirs is stored.
func TestFetchInboundMedia(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	s := sim.New(sim.Options{AppSecret: "s", AccessToken: "tok", Numbers: []sim.Number{{PhoneNumberID: "PN-M", Display: "+62 21 5000 0007", WABAID: "W"}}})
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	send := func(kind, name, ct string, data []byte) string {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("type", kind)
		_ = w.WriteField("phoneNumberId", "PN-M")
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		h.Set("Content-Type", ct)
		part, _ := w.CreatePart(h)
		_, _ = part.Write(data)
		_ = w.Close()
		resp, err := http.Post(srv.URL+"/sim/customers/6281299990000/media", w.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ MediaID string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out.MediaID
	}
	var sender, contact, conv int64
	db.Raw(`INSERT INTO senders (phone_number_id) VALUES ('PN-M') RETURNING id`).Scan(&sender)
	db.Raw(`INSERT INTO contacts (phone_e164, wa_id) VALUES ('+6281299990000', '6281299990000') RETURNING id`).Scan(&contact)
	db.Raw(`INSERT INTO conversations (sender_id, contact_id) VALUES (?, ?) RETURNING id`, sender, contact).Scan(&conv)
	row := func(kind, waID, ct string) int64 {
		var msg int64
		db.Raw(`INSERT INTO messages (conversation_id, direction, type, body, payload, status) VALUES (?, 'in', ?, '', '{}', 'received') RETURNING id`, conv, kind).Scan(&msg)
		if err := media.InsertPending(db, conv, msg, media.InboundFile{Kind: kind, WAMediaID: waID, MimeType: ct}); err != nil {
			t.Fatal(err)
		}
		var id int64
		db.Raw(`SELECT id FROM media WHERE message_id = ?`, msg).Scan(&id)
		return id
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	var pngData bytes.Buffer
	_ = png.Encode(&pngData, img)

	blobs := media.FSBlobs{Dir: t.TempDir()}
	store := media.MediaStore{DB: db, Events: models.EventStore{DB: db}}
	a := &activities.MediaFetch{Store: store, API: waba.NewClient(srv.URL, "v23.0", "tok", nil), Blobs: blobs}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	fetch := func(id int64) activities.MediaFetchResult {
		t.Helper()
		v, err := env.ExecuteActivity(a.FetchInboundMedia, activities.MediaFetchInput{MediaID: id})
		if err != nil {
			t.Fatalf("fetch %d: %v", id, err)
		}
		var res activities.MediaFetchResult
		_ = v.Get(&res)
		return res
	}

	photo := row("image", send("image", "ktp.png", "image/png", pngData.Bytes()), "image/png")
	if res := fetch(photo); res.Status != media.StatusStored {
		t.Fatalf("photo: %+v", res)
	}
	m, _ := store.Get(ctx, photo)
	if m.Width != 640 || m.Height != 480 || m.SizeBytes != int64(pngData.Len()) || m.ThumbKey == "" {
		t.Fatalf("stored photo: %+v", m)
	}
	if rc, _, err := blobs.Open(ctx, m.BlobKey); err != nil {
		t.Fatal(err)
	} else {
		_ = rc.Close()
	}
	// Fetching again changes nothing (a retried activity).
	if res := fetch(photo); res.Status != media.StatusStored {
		t.Fatalf("again: %+v", res)
	}

	exe := row("document", send("document", "tagihan.pdf", "application/pdf", []byte("MZ\x90\x00 not a pdf")), "application/pdf")
	if res := fetch(exe); res.Status != media.StatusFailed || res.Error == "" {
		t.Fatalf("executable as PDF: %+v", res)
	}
	html := row("document", send("document", "x.html", "text/html", []byte("<script>alert(1)</script>")), "text/html")
	if res := fetch(html); res.Status != media.StatusFailed {
		t.Fatalf("html document: %+v", res)
	}
	for _, id := range []int64{exe, html} {
		m, _ := store.Get(ctx, id)
		if m.Status != media.StatusFailed || m.BlobKey != "" {
			t.Fatalf("refused file kept: %+v", m)
		}
	}
}
