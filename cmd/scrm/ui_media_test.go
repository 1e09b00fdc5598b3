package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/worker"
)

// testJPEG is a real 800x600 photo-like JPEG (a gradient with a band).
func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for x := 0; x < 800; x++ {
		for y := 0; y < 600; y++ {
			c := color.RGBA{uint8(x * 255 / 800), uint8(y * 255 / 600), 160, 255}
			if y > 260 && y < 340 {
				c = color.RGBA{20, 60, 140, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// customerFile makes the simulated customer send a file (the simulator's
// media hook): the webhook carries only the media id, as Meta's does.
func (st *stack) customerFile(kind, name, mimeType, caption string, data []byte) {
	st.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("type", kind)
	_ = w.WriteField("caption", caption)
	_ = w.WriteField("name", "Siti Nurhaliza")
	_ = w.WriteField("phoneNumberId", e2ePNID)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", mimeType)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	resp, err := http.Post(st.simURL+"/sim/customers/"+e2eCustomer+"/media", w.FormDataContentType(), &body)
	if err != nil {
		st.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"webhookStatus":200`) {
		st.t.Fatalf("customer file: %d %s", resp.StatusCode, raw)
	}
}

// getRaw fetches a URL of the api without a token.
func (st *stack) getRaw(path string) (int, []byte, http.Header) {
	st.t.Helper()
	resp, err := http.Get(st.apiURL + path)
	if err != nil {
		st.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header
}

// Files both ways in a real browser against the whole stack: a customer's
// photo is fetched from Graph (id -> URL -> bytes with the token), stored
// with a thumbnail and shown inline, with a viewer; only an agent who may
// see the conversation gets links to it, and the links cannot be bent to
// another file. Ayu drops a PDF on the thread, adds a caption, sends it
// with Enter, and the simulator receives the document with its bytes. A
// location and a contact card render; a file over WhatsApp's limit is
// refused before any upload; retention removes stored files.
func TestWebUIMedia(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	exe := chromium(t)
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	photo := testJPEG(t)
	pdf := append([]byte("%PDF-1.4\n% surat keterangan lunas\n"), bytes.Repeat([]byte("0 0 0 RG\n"), 3000)...)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 120*time.Second)
	defer cancel()
	var errs browserErrors
	chromedp.ListenTarget(ctx, errs.listen)
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (browser errors: %v)", step, err, errs.list())
		}
	}

	run("login", chromedp.EmulateViewport(1366, 768), chromedp.Navigate(st.apiURL+"/"),
		chromedp.WaitVisible("#login-email", chromedp.ByQuery),
		chromedp.SendKeys("#login-email", "ayu@e2e.id", chromedp.ByQuery),
		chromedp.SendKeys("#login-password", "agent-password-1", chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#conv-list", chromedp.ByQuery))
	waitUntil(t, 10*time.Second, "ayu online", func() bool {
		var p string
		db.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})

	// 1. The customer sends a photo of a bank transfer.
	st.customerFile("image", "bukti-transfer.jpg", "image/jpeg", "Bukti transfer BCA", photo)
	run("the photo in the thread",
		waitJS("Siti in the list", `[...document.querySelectorAll('.conv-item')].some(e => e.textContent.includes('Siti Nurhaliza'))`, 20*time.Second),
		clickLive(".conv-item"),
		waitJS("the image shown", `(() => { const i = document.querySelector('.msg.in .media-image img'); return !!i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second),
		waitJS("its caption", `document.querySelector('.msg.in .media-image .caption')?.textContent === 'Bukti transfer BCA'`, 2*time.Second),
		waitJS("the thumbnail, not the original", `document.querySelector('.msg.in .media-image img').naturalWidth === 320`, 2*time.Second),
		screenshot(t, "ui-media-image-1366x768.png"),
		chromedp.Click(".msg.in .media-thumb", chromedp.ByQuery),
		waitJS("the viewer at full size", `(() => { const i = document.querySelector('#media-viewer img'); return !!i && i.complete && i.naturalWidth === 800; })()`, 10*time.Second),
		screenshot(t, "ui-media-viewer-1366x768.png"),
		chromedp.KeyEvent("\x1b"),
		waitJS("viewer closed by Escape", `!document.querySelector('#media-viewer')`, 2*time.Second))

	var row media.Media
	db.Raw(`SELECT * FROM media WHERE direction = 'in'`).Scan(&row)
	if row.Status != media.StatusStored || row.SizeBytes != int64(len(photo)) || row.Width != 800 || row.Height != 600 || row.MimeType != "image/jpeg" || row.ThumbKey == "" {
		t.Fatalf("stored media row: %+v", row)
	}

	// 2. Links: Ayu's thread carries them; the file comes back byte for
	// byte without a token; Budi (same team, not the assignee) gets no
	// thread and so no links; a link bent to another file, variant or
	// expiry is refused.
	var thread struct {
		Items []struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		} `json:"items"`
		Media map[string]media.View `json:"media"`
	}
	convID := row.ConversationID
	if code := st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), seed.ayu, nil, &thread); code != 200 {
		t.Fatalf("thread: %d", code)
	}
	view := thread.Media[fmt.Sprint(*row.MessageID)]
	if view.URL == "" || view.ThumbURL == "" {
		t.Fatalf("no links in the thread: %+v", thread.Media)
	}
	code, body, hdr := st.getRaw(view.URL)
	if code != 200 || !bytes.Equal(body, photo) || hdr.Get("Content-Type") != "image/jpeg" || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("file by its link: %d %d bytes %v", code, len(body), hdr)
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), seed.budi, nil, nil); code != 404 {
		t.Fatalf("another agent's thread (and links): %d, want 404", code)
	}
	bent := []string{
		strings.Replace(view.URL, fmt.Sprintf("/media/%d/", row.ID), fmt.Sprintf("/media/%d/", row.ID+1), 1),
		strings.Replace(view.URL, "/file?", "/thumb?", 1),
		strings.Replace(view.URL, "exp=", "exp=9", 1),
		strings.Split(view.URL, "?")[0],
	}
	for _, u := range bent {
		if code, _, _ := st.getRaw(u); code != 403 {
			t.Fatalf("bent link %s: %d, want 403", u, code)
		}
	}

	// 3. A location and a contact card from the customer.
	st.simPost("/sim/customers/"+e2eCustomer+"/media", map[string]any{"type": "location", "phoneNumberId": e2ePNID,
		"location": map[string]any{"latitude": -6.2088, "longitude": 106.8456, "name": "Kantor Cabang Sudirman", "address": "Jl. Jend. Sudirman No. 1, Jakarta"}})
	st.simPost("/sim/customers/"+e2eCustomer+"/media", map[string]any{"type": "contacts", "phoneNumberId": e2ePNID,
		"contacts": []map[string]any{{"name": map[string]any{"formatted_name": "Rudi Hartono"}, "phones": []map[string]any{{"phone": "+62 812 7777 8888", "wa_id": "6281277778888"}}}}})
	run("location and contact card",
		waitJS("map link", `(() => { const a = document.querySelector('.msg.in .location .map-link'); return !!a && a.href.includes('mlat=-6.2088') && a.href.includes('mlon=106.8456'); })()`, 10*time.Second),
		waitJS("contact card", `[...document.querySelectorAll('.msg.in .contact-card')].some(c => c.textContent.includes('Rudi Hartono') && c.textContent.includes('+62 812 7777 8888'))`, 10*time.Second))

	// 4. A 6 MB PNG dropped on the thread is refused before any upload.
	uploadsBefore := countMedia(t, st, "out")
	run("too large", dropFile("#thread", "besar.png", "image/png", "new Uint8Array(6 * 1024 * 1024)"),
		waitJS("refused in the preview", `document.querySelector('#attachment.invalid .attachment-error')?.textContent.includes('5 MB')`, 5*time.Second),
		chromedp.Click("#attachment-remove", chromedp.ByQuery),
		waitJS("attachment removed", `!document.querySelector('#attachment')`, 2*time.Second))
	if n := countMedia(t, st, "out"); n != uploadsBefore {
		t.Fatalf("a refused file was uploaded (%d uploads)", n)
	}

	// 5. Ayu drops a PDF on the thread, writes a caption, presses Enter.
	pdfJS := fmt.Sprintf("Uint8Array.from(atob(%q), c => c.charCodeAt(0))", base64.StdEncoding.EncodeToString(pdf))
	run("send a PDF by drag-and-drop",
		dropFile("#thread", "surat-lunas.pdf", "application/pdf", pdfJS),
		waitJS("the preview", `document.querySelector('#attachment')?.textContent.includes('surat-lunas.pdf') && !document.querySelector('#attachment.invalid')`, 5*time.Second),
		screenshot(t, "ui-media-attachment-1366x768.png"),
		chromedp.SendKeys("#composer-text", "Surat keterangan lunas terlampir", chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		waitJS("the document in the thread", `[...document.querySelectorAll('.msg.out .doc')].some(d => d.textContent.includes('surat-lunas.pdf') && d.getAttribute('href')?.startsWith('/media/'))`, 15*time.Second),
		waitJS("composer cleared", `!document.querySelector('#attachment') && document.querySelector('#composer-text').value === ''`, 2*time.Second),
		chromedp.ActionFunc(func(ctx context.Context) error {
			err := waitJS("document delivered", `[...document.querySelectorAll('.msg.out')].some(m => m.dataset.type === 'document' && ['delivered', 'read'].includes(m.querySelector('.msg-status')?.dataset.status))`, 15*time.Second).Do(ctx)
			if err != nil { // what the page and the database say, for the log
				var page string
				_ = chromedp.Evaluate(`JSON.stringify([...document.querySelectorAll('.msg.out')].map(m => [m.dataset.id, m.dataset.type, m.querySelector('.msg-status')?.dataset.status]))`, &page).Do(ctx)
				var rows []struct {
					ID     int64
					Type   string
					Status string
				}
				db.Raw(`SELECT id, type, status FROM messages WHERE direction = 'out' ORDER BY id`).Scan(&rows)
				t.Logf("page %s; database %+v", page, rows)
			}
			return err
		}),
		screenshot(t, "ui-media-thread-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-media-thread-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	var docs int
	for _, e := range st.sim.Outbox() {
		if e.Type != "document" {
			continue
		}
		docs++
		var sent struct {
			Document struct{ ID, Caption, Filename string }
		}
		_ = json.Unmarshal(e.Body, &sent)
		data, mt, ok := st.sim.MediaFile(sent.Document.ID)
		if !ok || mt != "application/pdf" || !bytes.Equal(data, pdf) || sent.Document.Filename != "surat-lunas.pdf" || sent.Document.Caption != "Surat keterangan lunas terlampir" {
			t.Fatalf("document at the simulator: %+v (%v %q %d bytes)", sent, ok, mt, len(data))
		}
	}
	if docs != 1 {
		t.Fatalf("simulator received %d documents, want 1", docs)
	}

	// 6. Retention: files stored longer than the setting are removed; the
	// messages stay and say so, and old links stop working.
	blobs := media.FSBlobs{Dir: st.cfg.MediaDirPath()}
	n, err := worker.MediaRetention{Store: media.MediaStore{DB: db}, Blobs: blobs, Keep: time.Hour}.SweepOnce(context.Background(), time.Now().Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("retention removed %d files: %v", n, err)
	}
	if _, _, err := blobs.Open(context.Background(), row.BlobKey); err != media.ErrNoBlob {
		t.Fatalf("blob after retention: %v", err)
	}
	if code, _, _ := st.getRaw(view.URL); code != 404 {
		t.Fatalf("link after retention: %d", code)
	}
	run("expired files say so", chromedp.Reload(), chromedp.WaitVisible("#conv-list", chromedp.ByQuery),
		waitJS("expired notice", `document.querySelectorAll('[data-media="expired"]').length === 2`, 10*time.Second))

	if e := errs.list(); len(e) > 0 {
		t.Fatalf("browser console errors:\n%s", strings.Join(e, "\n"))
	}
}

func countMedia(t *testing.T, st *stack, dir string) int64 {
	t.Helper()
	var n int64
	st.db.Gorm.Raw(`SELECT count(*) FROM media WHERE direction = ?`, dir).Scan(&n)
	return n
}

// dropFile drags a file built in the page (bytesJS evaluates to a
// Uint8Array) onto sel, as the browser does for a file from the desktop.
func dropFile(sel, name, mimeType, bytesJS string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([%s], %q, { type: %q }));
		const el = document.querySelector(%q);
		el.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
		el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
		el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`, bytesJS, name, mimeType, sel), nil)
}
