package waba_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
)

const (
	secret = "rahasia-sim"
	token  = "token-akses"
	pnid   = "100000000000001"
	wabaID = "200000000000001"
)

// receiver is the product side: it checks signatures and keeps every change.
type receiver struct {
	mu       sync.Mutex
	statuses []waba.Status
	messages []waba.InboundMessage
	tpl      []waba.TemplateStatusUpdate
	quality  []waba.PhoneQualityUpdate
	badSig   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !waba.VerifySignature([]byte(secret), body, r.Header.Get(waba.SignatureHeader)) {
		rc.badSig++
		w.WriteHeader(401)
		return
	}
	p, err := waba.ParseWebhook(body)
	if err != nil {
		w.WriteHeader(400)
		return
	}
	for _, c := range p.Changes {
		switch {
		case c.Messages != nil:
			rc.statuses = append(rc.statuses, c.Messages.Statuses...)
			rc.messages = append(rc.messages, c.Messages.Messages...)
		case c.TemplateStatus != nil:
			rc.tpl = append(rc.tpl, *c.TemplateStatus)
		case c.PhoneQuality != nil:
			rc.quality = append(rc.quality, *c.PhoneQuality)
		}
	}
}

func (rc *receiver) statusOf(wamid string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, s := range rc.statuses {
		if s.ID == wamid {
			out = append(out, s.Status)
		}
	}
	return out
}

func (rc *receiver) failedCode(wamid string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, s := range rc.statuses {
		if s.ID == wamid && s.Status == "failed" && len(s.Errors) > 0 {
			return s.Errors[0].Code
		}
	}
	return 0
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	sim    *sim.Sim
	srv    *httptest.Server
	rc     *receiver
	client *waba.Client
	clock  *clock
}

func newEnv(t *testing.T, mod func(*sim.Options)) *env {
	t.Helper()
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	ck := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	o := sim.Options{AppSecret: secret, WebhookURL: hook.URL, AccessToken: token, Seed: 7, Now: ck.Now,
		SentDelay: 5 * time.Millisecond, DeliveredDelay: 10 * time.Millisecond, ReadDelay: 15 * time.Millisecond,
		TemplateReviewDelay: 10 * time.Millisecond, NotOnWhatsApp: []string{"+62 899 0000 0000"}}
	if mod != nil {
		mod(&o)
	}
	s := sim.New(o)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{sim: s, srv: srv, rc: rc, client: waba.NewClient(srv.URL, "v23.0", token, nil), clock: ck}
}

// customerWrites opens the 24h window like a real customer message.
func (e *env) customerWrites(t *testing.T, phone, text string) string {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/sim/customers/"+phone+"/messages", "application/json",
		strings.NewReader(fmt.Sprintf(`{"text":%q,"name":"Dewi Ṡartika 🌸"}`, text)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID            string `json:"id"`
		WebhookStatus int    `json:"webhookStatus"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out.WebhookStatus != 200 {
		t.Fatalf("customer webhook status %d", out.WebhookStatus)
	}
	return out.ID
}

func apiCode(t *testing.T, err error) *waba.APIError {
	t.Helper()
	var ae *waba.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *waba.APIError, got %v", err)
	}
	return ae
}

var opts = waba.SendOptions{BizOpaque: "4242"}

func TestClientSendsEveryTypeInsideWindow(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	const to = "6281234567890"
	inbound := e.customerWrites(t, to, "Halo, saya mau bayar 🙏")
	eventually(t, "inbound message", func() bool { e.rc.mu.Lock(); defer e.rc.mu.Unlock(); return len(e.rc.messages) == 1 })

	r, err := e.client.SendText(ctx, pnid, to, "Baik Bu Dewi, ini tautan pembayarannya 😊", false, waba.SendOptions{BizOpaque: "4242", ReplyTo: inbound})
	if err != nil || !strings.HasPrefix(r.WAMID(), "wamid.") || r.Contacts[0].WAID != to {
		t.Fatalf("text: %+v %v", r, err)
	}
	eventually(t, "sent/delivered/read", func() bool { return len(e.rc.statusOf(r.WAMID())) == 3 })
	e.rc.mu.Lock()
	for _, s := range e.rc.statuses {
		if s.BizOpaqueCallbackData != "4242" {
			t.Errorf("biz_opaque not echoed: %+v", s)
		}
	}
	e.rc.mu.Unlock()

	id, err := e.client.UploadMedia(ctx, pnid, "tagihan.pdf", "application/pdf", strings.NewReader("%PDF-1.4 tagihan"))
	if err != nil || id == "" {
		t.Fatalf("upload: %q %v", id, err)
	}
	if _, err := e.client.SendMedia(ctx, pnid, to, "document", waba.OutboundMedia{ID: id, Filename: "tagihan.pdf"}, opts); err != nil {
		t.Fatalf("document by id: %v", err)
	}
	if _, err := e.client.SendMedia(ctx, pnid, to, "image", waba.OutboundMedia{Link: "https://contoh.co.id/struk.jpg", Caption: "Struk"}, opts); err != nil {
		t.Fatalf("image by link: %v", err)
	}
	_, err = e.client.SendMedia(ctx, pnid, to, "video", waba.OutboundMedia{ID: "999"}, opts)
	if ae := apiCode(t, err); ae.Code != waba.CodeParamValueInvalid || ae.Retryable() {
		t.Fatalf("unknown media id: %v", err)
	}
	buttons := waba.Interactive{Type: "button", Body: &waba.InteractiveText{Text: "Pilih cara bayar"}, Action: waba.InteractiveAction{Buttons: []waba.ReplyButton{
		{Type: "reply", Reply: waba.ButtonTitle{ID: "va", Title: "Virtual account"}}, {Type: "reply", Reply: waba.ButtonTitle{ID: "qris", Title: "QRIS"}}}}}
	if _, err := e.client.SendInteractive(ctx, pnid, to, buttons, opts); err != nil {
		t.Fatalf("buttons: %v", err)
	}
	list := waba.Interactive{Type: "list", Body: &waba.InteractiveText{Text: "Pilih tenor"}, Action: waba.InteractiveAction{Button: "Tenor",
		Sections: []waba.ListSection{{Title: "Cicilan", Rows: []waba.ListRow{{ID: "3", Title: "3 bulan"}, {ID: "6", Title: "6 bulan"}}}}}}
	if _, err := e.client.SendInteractive(ctx, pnid, to, list, opts); err != nil {
		t.Fatalf("list: %v", err)
	}
	cta := waba.Interactive{Type: "cta_url", Body: &waba.InteractiveText{Text: "Bayar di sini"}, Action: waba.InteractiveAction{Name: "cta_url",
		Parameters: &waba.CTAURL{DisplayText: "Bayar", URL: "https://contoh.co.id/bayar"}}}
	if _, err := e.client.SendInteractive(ctx, pnid, to, cta, opts); err != nil {
		t.Fatalf("cta_url: %v", err)
	}
	buttons.Action.Buttons = append(buttons.Action.Buttons, buttons.Action.Buttons[0], buttons.Action.Buttons[0])
	_, err = e.client.SendInteractive(ctx, pnid, to, buttons, opts)
	if ae := apiCode(t, err); ae.Code != waba.CodeParamValueInvalid || ae.HTTPStatus != 400 {
		t.Fatalf("4 buttons: %v", err)
	}
	if _, err := e.client.SendReaction(ctx, pnid, to, inbound, "👍", opts); err != nil {
		t.Fatalf("reaction: %v", err)
	}
	if err := e.client.MarkRead(ctx, pnid, inbound, true); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	if _, err := e.client.SendText(ctx, pnid, to, "x", false, waba.SendOptions{}); !errors.Is(err, waba.ErrNoOpaque) {
		t.Fatalf("send without our id: %v", err)
	}
	c := e.sim.Snapshot()
	for _, typ := range []string{"text", "document", "image", "interactive", "reaction"} {
		if c.ByType[typ] == 0 {
			t.Errorf("outbox has no %s", typ)
		}
	}
	for _, o := range e.sim.Outbox() {
		if o.ErrorCode == 0 && o.BizOpaque != "4242" {
			t.Errorf("outbox entry without biz opaque: %+v", o)
		}
	}
}

func TestClientWindowAndUndeliverable(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	r, err := e.client.SendText(ctx, pnid, "6281111111111", "Halo", false, opts)
	if err != nil {
		t.Fatalf("send accepted like Meta, got %v", err)
	}
	eventually(t, "131047", func() bool { return e.rc.failedCode(r.WAMID()) == waba.CodeReEngagement })

	e.customerWrites(t, "6282222222222", "halo")
	e.clock.Add(23 * time.Hour)
	r, _ = e.client.SendText(ctx, pnid, "6282222222222", "masih di dalam jendela", false, opts)
	eventually(t, "delivered", func() bool { return len(e.rc.statusOf(r.WAMID())) >= 2 })
	if e.rc.failedCode(r.WAMID()) != 0 {
		t.Fatal("send inside the window failed")
	}
	e.clock.Add(2 * time.Hour)
	r, _ = e.client.SendText(ctx, pnid, "6282222222222", "sudah lewat 24 jam", false, opts)
	eventually(t, "131047 after 24h", func() bool { return e.rc.failedCode(r.WAMID()) == waba.CodeReEngagement })

	e.customerWrites(t, "6289900000000", "halo")
	r, _ = e.client.SendText(ctx, pnid, "6289900000000", "halo", false, opts)
	eventually(t, "131026", func() bool { return e.rc.failedCode(r.WAMID()) == waba.CodeUndeliverable })
}

func createApproved(t *testing.T, e *env, name string, format string, comps string) {
	t.Helper()
	res, err := e.client.CreateTemplate(context.Background(), wabaID, waba.TemplateDef{Name: name, Language: "id", Category: "UTILITY", ParameterFormat: format, Components: json.RawMessage(comps)})
	if err != nil || res.Status != "PENDING" || res.ID == "" {
		t.Fatalf("create %s: %+v %v", name, res, err)
	}
	eventually(t, "review of "+name, func() bool {
		e.rc.mu.Lock()
		defer e.rc.mu.Unlock()
		for _, u := range e.rc.tpl {
			if u.MessageTemplateName == name {
				return true
			}
		}
		return false
	})
}

const reminder = `[{"type":"HEADER","format":"IMAGE","example":{"header_handle":["HANDLE"]}},
 {"type":"BODY","text":"Halo {{1}}, tagihan Anda {{2}} jatuh tempo.","example":{"body_text":[["Budi","Rp 1.500.000"]]}},
 {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Sudah bayar"},{"type":"URL","text":"Bayar","url":"https://contoh.co.id/b/{{1}}","example":["https://contoh.co.id/b/x"]}]}]`

func TestClientTemplates(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// A media header needs a handle from the Resumable Upload API.
	handle, err := e.client.UploadHandle(ctx, "400000000000001", "logo.png", "image/png", []byte("\x89PNG sample"))
	if err != nil || handle == "" {
		t.Fatalf("upload handle: %q %v", handle, err)
	}
	_, err = e.client.CreateTemplate(ctx, wabaID, waba.TemplateDef{Name: "tanpa_handle", Language: "id", Category: "UTILITY", Components: json.RawMessage(reminder)})
	if ae := apiCode(t, err); ae.Code != waba.CodeParamValueInvalid || !strings.Contains(ae.Details(), "header_handle") {
		t.Fatalf("made-up header_handle: %v", err)
	}
	createApproved(t, e, "pengingat_tagihan", "", strings.Replace(reminder, "HANDLE", handle, 1))
	createApproved(t, e, "sapaan_nama", "NAMED", `[{"type":"BODY","text":"Halo {{nama}} 👋","example":{"body_text_named_params":[{"param_name":"nama","example":"Budi"}]}}]`)
	createApproved(t, e, "reject_promo", "", `[{"type":"BODY","text":"Promo!"}]`)

	list, err := e.client.ListTemplates(ctx, wabaID, "")
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	st := map[string]string{}
	for _, l := range list {
		st[l.Name] = l.Status
	}
	if st["pengingat_tagihan"] != "APPROVED" || st["reject_promo"] != "REJECTED" {
		t.Fatalf("statuses: %v", st)
	}
	good := waba.Template{Name: "pengingat_tagihan", Language: waba.TemplateLanguage{Code: "id"}, Components: []waba.TemplateComponent{
		{Type: "header", Parameters: []waba.TemplateParameter{{Type: "image", Image: &waba.HeaderMedia{Link: "https://contoh.co.id/logo.png"}}}},
		{Type: "body", Parameters: []waba.TemplateParameter{{Type: "text", Text: "Bapak Ñoman"}, {Type: "currency", Currency: &waba.Currency{FallbackValue: "Rp 1.500.000", Code: "IDR", Amount1000: 1500000000}}}},
		{Type: "button", SubType: "url", Index: "1", Parameters: []waba.TemplateParameter{{Type: "text", Text: "INV-77"}}},
	}}
	// Templates may be sent outside the window.
	r, err := e.client.SendTemplate(ctx, pnid, "6283333333333", good, opts)
	if err != nil || r.Messages[0].MessageStatus != "accepted" {
		t.Fatalf("template: %+v %v", r, err)
	}
	eventually(t, "template delivered", func() bool { return len(e.rc.statusOf(r.WAMID())) == 3 })

	named := waba.Template{Name: "sapaan_nama", Language: waba.TemplateLanguage{Code: "id"}, Components: []waba.TemplateComponent{
		{Type: "body", Parameters: []waba.TemplateParameter{{Type: "text", ParameterName: "nama", Text: "Wayan"}}}}}
	if _, err := e.client.SendTemplate(ctx, pnid, "6283333333333", named, opts); err != nil {
		t.Fatalf("named: %v", err)
	}
	check := func(name string, tpl waba.Template, code int) {
		t.Helper()
		_, err := e.client.SendTemplate(ctx, pnid, "6283333333333", tpl, opts)
		ae := apiCode(t, err)
		if ae.Code != code || ae.Retryable() || ae.Details() == "" {
			t.Errorf("%s: got %v", name, err)
		}
	}
	wrongCount := good
	wrongCount.Components = []waba.TemplateComponent{good.Components[0], {Type: "body", Parameters: good.Components[1].Parameters[:1]}, good.Components[2]}
	check("wrong count", wrongCount, waba.CodeParamCount)
	noButton := good
	noButton.Components = good.Components[:2]
	check("missing url button param", noButton, waba.CodeParamCount)
	wrongName := named
	wrongName.Components = []waba.TemplateComponent{{Type: "body", Parameters: []waba.TemplateParameter{{Type: "text", ParameterName: "name", Text: "x"}}}}
	check("wrong parameter name", wrongName, waba.CodeParamCount)
	wrongType := good
	wrongType.Components = []waba.TemplateComponent{{Type: "header", Parameters: []waba.TemplateParameter{{Type: "video", Video: &waba.HeaderMedia{Link: "https://x.id/v.mp4"}}}}, good.Components[1], good.Components[2]}
	check("wrong header type", wrongType, waba.CodeParamFormat)
	check("unknown", waba.Template{Name: "tidak_ada", Language: waba.TemplateLanguage{Code: "id"}}, waba.CodeTemplateMissing)
	check("wrong language", waba.Template{Name: "sapaan_nama", Language: waba.TemplateLanguage{Code: "en_US"}}, waba.CodeTemplateMissing)
	check("rejected", waba.Template{Name: "reject_promo", Language: waba.TemplateLanguage{Code: "id"}}, waba.CodeTemplateMissing)

	review := func(status string) {
		resp, err := http.Post(e.srv.URL+"/sim/templates/sapaan_nama/review", "application/json", strings.NewReader(`{"status":"`+status+`"}`))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("review: %v", err)
		}
		resp.Body.Close()
	}
	review("PAUSED")
	check("paused", named, waba.CodeTemplatePaused)
	review("DISABLED")
	check("disabled", named, waba.CodeTemplateDisabled)

	_, err = e.client.CreateTemplate(ctx, wabaID, waba.TemplateDef{Name: "Bad Name", Language: "id", Category: "UTILITY", Components: json.RawMessage(`[{"type":"BODY","text":"x"}]`)})
	if ae := apiCode(t, err); ae.Code != waba.CodeInvalidParameter {
		t.Errorf("bad name: %v", err)
	}
	if err := e.client.DeleteTemplate(ctx, wabaID, "reject_promo"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if l, _ := e.client.ListTemplates(ctx, wabaID, "reject_promo"); len(l) != 0 {
		t.Fatalf("still listed after delete: %v", l)
	}
}

func TestClientLimits(t *testing.T) {
	e := newEnv(t, func(o *sim.Options) {
		o.Numbers = []sim.Number{{PhoneNumberID: pnid, Display: "+62 21 5000 0001", WABAID: wabaID, PortfolioID: "p1", ThroughputMPS: 5, LimitTier: "TIER_50"}}
		o.PairLimit, o.PairWindow = 3, time.Minute
	})
	ctx := context.Background()
	// Throughput: 5 per second per number (the clock stands still).
	var last error
	for i := 0; i < 6; i++ {
		e.customerWrites(t, fmt.Sprintf("62812000000%02d", i), "hai")
		_, last = e.client.SendText(ctx, pnid, fmt.Sprintf("62812000000%02d", i), "halo", false, opts)
	}
	ae := apiCode(t, last)
	if ae.Code != waba.CodeThroughput || !ae.Retryable() || !waba.Retryable(last) {
		t.Fatalf("throughput: %v", last)
	}
	if c := e.sim.Snapshot(); c.MaxPerSecond[pnid] != 5 {
		t.Fatalf("max per second = %d", c.MaxPerSecond[pnid])
	}
	// Pair rate: 3 messages per minute to the same user.
	e.clock.Add(time.Second)
	e.customerWrites(t, "6281300000000", "hai")
	for i := 0; i < 3; i++ {
		if _, err := e.client.SendText(ctx, pnid, "6281300000000", "halo", false, opts); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.client.SendText(ctx, pnid, "6281300000000", "halo", false, opts)
	if ae := apiCode(t, err); ae.Code != waba.CodePairRate || !ae.Retryable() || ae.RetryAfter() < time.Second {
		t.Fatalf("pair rate: %v", err)
	}
	// Portfolio limit: 50 unique users with business-initiated templates.
	createApproved(t, e, "info", "", `[{"type":"BODY","text":"Info penting"}]`)
	var lastErr error
	for i := 0; i < 51; i++ {
		if i%5 == 0 {
			e.clock.Add(time.Second)
		}
		_, lastErr = e.client.SendTemplate(ctx, pnid, fmt.Sprintf("62857000%04d", i), waba.Template{Name: "info", Language: waba.TemplateLanguage{Code: "id"}}, opts)
		if i < 50 && lastErr != nil {
			t.Fatalf("template %d: %v", i, lastErr)
		}
	}
	if ae := apiCode(t, lastErr); ae.Code != waba.CodeSpamRate || ae.Retryable() {
		t.Fatalf("portfolio limit: %v", lastErr)
	}
}

func TestClientAuthServerErrorsTimeoutsAndPhoneInfo(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	info, err := e.client.PhoneNumber(ctx, pnid)
	if err != nil || info.QualityRating != "GREEN" || info.ThroughputMPS() != 80 || info.MessagingLimitTier == "" {
		t.Fatalf("phone info: %+v %v", info, err)
	}
	resp, _ := http.Post(e.srv.URL+"/sim/numbers/"+pnid+"/quality", "application/json", strings.NewReader(`{"event":"FLAGGED","quality":"RED","tier":"TIER_2K"}`))
	resp.Body.Close()
	info, _ = e.client.PhoneNumber(ctx, pnid)
	if info.QualityRating != "RED" || info.MessagingLimitTier != "TIER_2K" {
		t.Fatalf("after quality change: %+v", info)
	}
	eventually(t, "quality webhook", func() bool { e.rc.mu.Lock(); defer e.rc.mu.Unlock(); return len(e.rc.quality) == 1 })

	bad := waba.NewClient(e.srv.URL, "v23.0", "salah", nil)
	_, err = bad.SendText(ctx, pnid, "6281234567890", "x", false, opts)
	if ae := apiCode(t, err); ae.Code != waba.CodeAccessToken || ae.HTTPStatus != 401 || ae.Retryable() {
		t.Fatalf("bad token: %v", err)
	}
	_, err = e.client.SendText(ctx, "404404", "6281234567890", "x", false, opts)
	if ae := apiCode(t, err); ae.Code != waba.CodeInvalidParameter || ae.Subcode != 33 {
		t.Fatalf("unknown number: %v", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	}))
	defer down.Close()
	_, err = waba.NewClient(down.URL, "v23.0", token, nil).SendText(ctx, pnid, "628", "x", false, opts)
	if ae := apiCode(t, err); ae.HTTPStatus != 502 || !ae.Retryable() {
		t.Fatalf("5xx: %v", err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer slow.Close()
	_, err = waba.NewClient(slow.URL, "v23.0", token, &http.Client{Timeout: 50 * time.Millisecond}).SendText(ctx, pnid, "628", "x", false, opts)
	if err == nil || !waba.Retryable(err) {
		t.Fatalf("timeout must be retryable: %v", err)
	}
	for _, code := range []int{131047, 131026, 132000, 132001, 132012, 132015, 132016, 131049, 131050, 368} {
		if (&waba.APIError{Code: code, HTTPStatus: 400}).Retryable() {
			t.Errorf("%d must be permanent", code)
		}
	}
}

func TestSimDeterministicWithSeedAndLossy(t *testing.T) {
	run := func() []string {
		e := newEnv(t, func(o *sim.Options) { o.Loss, o.Duplicate, o.Reorder = 0.2, 0.3, 0.5 })
		e.customerWrites(t, "6281234567890", "hai")
		var ids []string
		for i := 0; i < 20; i++ {
			r, err := e.client.SendText(context.Background(), pnid, "6281234567890", "halo", false, opts)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.WAMID())
		}
		time.Sleep(200 * time.Millisecond)
		c := e.sim.Snapshot()
		ids = append(ids, fmt.Sprint(c.WebhooksDropped))
		return ids
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different runs:\n%v\n%v", a, b)
	}
	if a[len(a)-1] == "0" {
		t.Fatal("loss 0.2 dropped nothing")
	}
}

func TestErrorTable(t *testing.T) {
	for code, want := range map[int]waba.ErrorKind{130429: waba.KindRetry, 131056: waba.KindRetry, 131049: waba.KindWait, 131048: waba.KindWait,
		368: waba.KindAccount, 131031: waba.KindAccount, 131042: waba.KindAccount, 133010: waba.KindAccount, 3: waba.KindAccount, 190: waba.KindAccount,
		132015: waba.KindTemplate, 132016: waba.KindTemplate, 131047: waba.KindPermanent, 132018: waba.KindPermanent, 987654: waba.KindPermanent} {
		e := waba.Explain(code)
		if e.Kind != want || e.ID == "" || e.EN == "" || e.Code != code {
			t.Errorf("Explain(%d) = %+v, want kind %d with both reasons", code, e, want)
		}
	}
	if (&waba.APIError{Code: 131049, HTTPStatus: 400}).Retryable() || !(&waba.APIError{Code: 131056}).Retryable() || (&waba.APIError{Code: 131056}).RetryAfter() != 6*time.Second {
		t.Error("retry decisions do not follow the table")
	}
}
