package sim_test

// One test per documented rule: each sends a wrong body the way a buggy
// client would and asserts Graph's refusal, quoting Meta's page. These
// tests speak raw JSON on purpose: they must not depend on the product's
// client types (package waba), which are what the simulator checks.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/waba/sim"
)

const (
	rPNID  = "100000000000001"
	rWABA  = "200000000000001"
	rApp   = "400000000000001"
	rPhone = "6281234567890"
)

type hooks struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var v map[string]any
	_ = json.NewDecoder(r.Body).Decode(&v)
	h.mu.Lock()
	h.bodies = append(h.bodies, v)
	h.mu.Unlock()
}

// values returns the change values of field delivered so far.
func (h *hooks) values(field string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, b := range h.bodies {
		for _, e := range b["entry"].([]any) {
			for _, c := range e.(map[string]any)["changes"].([]any) {
				ch := c.(map[string]any)
				if ch["field"] == field {
					out = append(out, ch["value"].(map[string]any))
				}
			}
		}
	}
	return out
}

// statuses returns the statuses delivered for wamid.
func (h *hooks) statuses(wamid string) []map[string]any {
	var out []map[string]any
	for _, v := range h.values("messages") {
		sts, _ := v["statuses"].([]any)
		for _, s := range sts {
			if st := s.(map[string]any); st["id"] == wamid {
				out = append(out, st)
			}
		}
	}
	return out
}

type rig struct {
	t     *testing.T
	srv   *httptest.Server
	hooks *hooks
	now   *time.Time
	mu    *sync.Mutex
	sim   *sim.Sim
}

func newRig(t *testing.T, mod func(*sim.Options)) *rig {
	t.Helper()
	h := &hooks{}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mu := &sync.Mutex{}
	o := sim.Options{AppSecret: "s", WebhookURL: hs.URL, AccessToken: "tok", Seed: 3,
		SentDelay: time.Millisecond, DeliveredDelay: 2 * time.Millisecond, ReadDelay: 3 * time.Millisecond, TemplateReviewDelay: time.Millisecond,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	if mod != nil {
		mod(&o)
	}
	s := sim.New(o)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &rig{t: t, srv: srv, hooks: h, now: &now, mu: mu, sim: s}
}

func (r *rig) advance(d time.Duration) { r.mu.Lock(); *r.now = r.now.Add(d); r.mu.Unlock() }

// call makes a Graph request and returns the status and decoded answer.
func (r *rig) call(method, path, body string, hdr ...string) (int, map[string]any) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (r *rig) send(body string) (int, map[string]any) {
	r.t.Helper()
	return r.call("POST", "/v23.0/"+rPNID+"/messages", body)
}

// control posts to the simulator's /sim endpoints.
func (r *rig) control(path, body string) map[string]any {
	r.t.Helper()
	resp, err := http.Post(r.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		r.t.Fatalf("%s: %v %v", path, resp, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// customer writes to the business (opens the 24h window); returns the wamid.
func (r *rig) customer(phone, body string) string {
	r.t.Helper()
	return r.control("/sim/customers/"+phone+"/messages", body)["id"].(string)
}

func (r *rig) approved(name, def string) {
	r.t.Helper()
	code, out := r.call("POST", "/v23.0/"+rWABA+"/message_templates", def)
	if code != 200 {
		r.t.Fatalf("create %s: %d %v", name, code, out)
	}
	r.eventually("approval of "+name, func() bool {
		_, l := r.call("GET", "/v23.0/"+rWABA+"/message_templates?name="+name, "")
		d, _ := l["data"].([]any)
		return len(d) == 1 && d[0].(map[string]any)["status"] == "APPROVED"
	})
}

func (r *rig) eventually(what string, f func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (r *rig) handle(mime string, n int) string {
	r.t.Helper()
	code, s := r.call("POST", fmt.Sprintf("/v23.0/%s/uploads?file_name=x&file_length=%d&file_type=%s", rApp, n, mime), "")
	if code != 200 {
		r.t.Fatalf("upload session: %v", s)
	}
	code, h := r.call("POST", "/v23.0/"+s["id"].(string), strings.Repeat("x", n), "Authorization", "OAuth tok", "file_offset", "0")
	if code != 200 || h["h"] == nil {
		r.t.Fatalf("upload: %d %v", code, h)
	}
	return h["h"].(string)
}

type refusal struct {
	name  string // the rule, quoted or paraphrased from Meta's page
	body  string
	code  int
	quote string // a piece of the answer's message or details
}

func (r *rig) refuses(path string, cases []refusal) {
	r.t.Helper()
	for _, c := range cases {
		status, out := r.call("POST", path, c.body)
		e, _ := out["error"].(map[string]any)
		if status < 400 || e == nil {
			r.t.Errorf("%s: accepted (%d %v)", c.name, status, out)
			continue
		}
		data, _ := e["error_data"].(map[string]any)
		text := fmt.Sprint(e["message"], " ", data["details"])
		if int(e["code"].(float64)) != c.code || !strings.Contains(text, c.quote) || e["type"] != "OAuthException" || data["messaging_product"] != "whatsapp" {
			r.t.Errorf("%s: got %d %q, want code %d containing %q", c.name, int(e["code"].(float64)), text, c.code, c.quote)
		}
	}
}

func txt(extra string) string {
	return `{"messaging_product":"whatsapp","recipient_type":"individual","to":"` + rPhone + `",` + extra + `}`
}

func TestRulesMessageBodies(t *testing.T) {
	r := newRig(t, nil)
	in := r.customer(rPhone, `{"text":"halo"}`)
	// A correct reply threads with context.message_id.
	if code, out := r.send(txt(`"type":"text","text":{"body":"Baik"},"context":{"message_id":"` + in + `"}`)); code != 200 {
		t.Fatalf("correct reply refused: %v", out)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{
		// "context: ... message_id: the WhatsApp message ID of the message being replied to" (messages reference):
		// context.id is the inbound webhook's key, not the send's.
		{"reply-to as context.id", txt(`"type":"text","text":{"body":"x"},"context":{"id":"` + in + `"}`), 100, `Unexpected key "id" on param "context"`},
		{"reply-to an unknown message", txt(`"type":"text","text":{"body":"x"},"context":{"message_id":"wamid.nope"}`), 131009, "context.message_id"},
		{"unknown top-level key", txt(`"type":"text","text":{"body":"x"},"priority":"high"`), 100, `Unexpected key "priority" on param "body"`},
		// "caption ... Cannot be used with audio or sticker media" (media messages).
		{"caption on audio", txt(`"type":"audio","audio":{"link":"https://x.id/a.ogg","caption":"x"}`), 100, `Unexpected key "caption" on param "audio"`},
		// "filename ... Document only".
		{"filename on image", txt(`"type":"image","image":{"link":"https://x.id/a.jpg","filename":"a.jpg"}`), 100, `Unexpected key "filename" on param "image"`},
		{"media with id and link", txt(`"type":"image","image":{"id":"1","link":"https://x.id/a.jpg"}`), 100, "either id or link"},
		{"media id never uploaded", txt(`"type":"document","document":{"id":"424242"}`), 131009, "not an uploaded media id"},
		{"media link not http(s)", txt(`"type":"image","image":{"link":"ftp://x.id/a.jpg"}`), 131009, "http(s) URL"},
		{"object of another type", txt(`"type":"text","text":{"body":"x"},"image":{"link":"https://x.id/a.jpg"}`), 100, `Unexpected key "image"`},
		{"type without its object", txt(`"type":"image"`), 131008, "image object is required"},
		{"text body over 4096", txt(`"type":"text","text":{"body":"` + strings.Repeat("a", 4097) + `"}`), 131009, "4096"},
		{"unknown type", txt(`"type":"poll","poll":{}`), 100, `Unexpected key "poll"`},
		{"wrong messaging_product", `{"messaging_product":"sms","to":"` + rPhone + `","type":"text","text":{"body":"x"}}`, 131008, "messaging_product"},
		// Business-scoped user ids: "use recipient instead of to"; never both.
		{"both to and recipient", txt(`"recipient":"ID.1234567890","type":"text","text":{"body":"x"}`), 100, "not both"},
		{"recipient not a BSUID", `{"messaging_product":"whatsapp","recipient":"6281234","type":"text","text":{"body":"x"}}`, 131009, "business-scoped user id"},
		{"text value of wrong JSON type", txt(`"type":"text","text":{"body":42}`), 100, "wrong type"},
	})
}

func TestRulesInteractiveLimits(t *testing.T) {
	r := newRig(t, nil)
	r.customer(rPhone, `{"text":"halo"}`)
	btn := func(n int, title string) string {
		var b []string
		for i := 0; i < n; i++ {
			b = append(b, fmt.Sprintf(`{"type":"reply","reply":{"id":"b%d","title":%q}}`, i, title))
		}
		return txt(`"type":"interactive","interactive":{"type":"button","body":{"text":"Pilih"},"action":{"buttons":[` + strings.Join(b, ",") + `]}}`)
	}
	rows := func(n int) string {
		var b []string
		for i := 0; i < n; i++ {
			b = append(b, fmt.Sprintf(`{"id":"r%d","title":"Baris %d"}`, i, i))
		}
		return txt(`"type":"interactive","interactive":{"type":"list","body":{"text":"Pilih"},"action":{"button":"Lihat","sections":[{"title":"A","rows":[` + strings.Join(b, ",") + `]}]}}`)
	}
	if code, out := r.send(btn(3, "Virtual account")); code != 200 {
		t.Fatalf("3 buttons refused: %v", out)
	}
	if code, out := r.send(rows(10)); code != 200 {
		t.Fatalf("10 rows refused: %v", out)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{
		// "You can have up to 3 buttons" (reply buttons messages).
		{"4 reply buttons", btn(4, "x"), 131009, "1 to 3 buttons"},
		// "title: Button label text. Maximum 20 characters."
		{"button title over 20", btn(1, strings.Repeat("t", 21)), 131009, "at most 20 characters"},
		{"button type not reply", strings.Replace(btn(1, "x"), `"type":"reply"`, `"type":"url"`, 1), 131009, "type must be reply"},
		// "Maximum 10 rows across all sections" (list messages).
		{"11 list rows", rows(11), 131009, "1 to 10 rows"},
		{"list row title over 24", strings.Replace(rows(1), "Baris 0", strings.Repeat("r", 25), 1), 131009, "at most 24 characters"},
		{"body over 1024", strings.Replace(btn(1, "x"), `"text":"Pilih"`, `"text":"`+strings.Repeat("b", 1025)+`"`, 1), 131009, "1024"},
		{"footer over 60", strings.Replace(btn(1, "x"), `"body":{"text":"Pilih"}`, `"body":{"text":"Pilih"},"footer":{"text":"`+strings.Repeat("f", 61)+`"}`, 1), 131009, "60"},
		{"list with buttons", strings.Replace(rows(1), `"button":"Lihat"`, `"button":"Lihat","buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]`, 1), 100, `Unexpected key "buttons"`},
		// cta_url: "display_text ... Maximum 20 characters"; url required.
		{"cta_url display text over 20", txt(`"type":"interactive","interactive":{"type":"cta_url","body":{"text":"Bayar"},"action":{"name":"cta_url","parameters":{"display_text":"` + strings.Repeat("d", 21) + `","url":"https://x.id"}}}`), 131009, "display_text"},
		{"cta_url without url", txt(`"type":"interactive","interactive":{"type":"cta_url","body":{"text":"Bayar"},"action":{"name":"cta_url","parameters":{"display_text":"Bayar","url":""}}}`), 131009, "url"},
		{"unknown key in a reply", strings.Replace(btn(1, "x"), `"title":"x"`, `"title":"x","payload":"p"`, 1), 100, `Unexpected key "payload"`},
	})
}

func TestRulesMarkReadAndTyping(t *testing.T) {
	r := newRig(t, nil)
	in := r.customer(rPhone, `{"text":"halo"}`)
	ok := `{"messaging_product":"whatsapp","status":"read","message_id":"` + in + `","typing_indicator":{"type":"text"}}`
	if code, out := r.send(ok); code != 200 || out["success"] != true {
		t.Fatalf("read + typing refused: %v", out)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{
		// Mark as read takes messaging_product, status, message_id (and typing_indicator) only.
		{"read receipt with to", `{"messaging_product":"whatsapp","status":"read","message_id":"` + in + `","to":"` + rPhone + `"}`, 100, `Unexpected key "to"`},
		// "typing_indicator: type: text" is the only type.
		{"typing indicator of another type", `{"messaging_product":"whatsapp","status":"read","message_id":"` + in + `","typing_indicator":{"type":"audio"}}`, 131009, "typing_indicator.type"},
		{"read of a message never received", `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.nope"}`, 131009, "not a message this number received"},
	})
}

const tplMedia = `{"name":"tagihan_dokumen","language":"id","category":"UTILITY","components":[
 {"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["%s"]}},
 {"type":"BODY","text":"Halo {{1}}, tagihan {{2}} terlampir.","example":{"body_text":[["Budi","Rp 1.000"]]}},
 {"type":"BUTTONS","buttons":[{"type":"COPY_CODE","example":"HEMAT10"},{"type":"URL","text":"Bayar","url":"https://x.id/b/{{1}}","example":["https://x.id/b/1"]},{"type":"QUICK_REPLY","text":"Sudah bayar"},{"type":"URL","text":"Info","url":"https://x.id/info"}]}]}`

func tplSend(name, comps string) string {
	return txt(`"type":"template","template":{"name":"` + name + `","language":{"code":"id"},"components":[` + comps + `]}`)
}

const (
	docHeader = `{"type":"header","parameters":[{"type":"document","document":{"link":"https://x.id/t.pdf","filename":"tagihan.pdf"}}]}`
	copyBtn   = `{"type":"button","sub_type":"copy_code","index":"0","parameters":[{"type":"coupon_code","coupon_code":"HEMAT10"}]}`
	urlBtn    = `{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"INV-1"}]}`
)

func body(a, b string) string {
	return `{"type":"body","parameters":[{"type":"text","text":` + a + `},{"type":"text","text":` + b + `}]}`
}

func TestRulesTemplateSends(t *testing.T) {
	r := newRig(t, nil)
	r.approved("tagihan_dokumen", fmt.Sprintf(tplMedia, r.handle("application/pdf", 64)))
	r.approved("sapa_nama", `{"name":"sapa_nama","language":"id","category":"MARKETING","parameter_format":"NAMED","components":[
	 {"type":"BODY","text":"Halo {{nama}}, ada promo.","example":{"body_text_named_params":[{"param_name":"nama","example":"Budi"}]}}]}`)
	good := tplSend("tagihan_dokumen", docHeader+","+body(`"Budi Santoso"`, `"Rp 1.500.000"`)+","+copyBtn+","+urlBtn)
	if code, out := r.send(good); code != 200 {
		t.Fatalf("correct template send refused: %v", out)
	}
	named := `{"type":"body","parameters":[{"type":"text","parameter_name":"nama","text":"Sri"}]}`
	if code, out := r.send(tplSend("sapa_nama", named)); code != 200 {
		t.Fatalf("named send refused: %v", out)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{
		// 132018: "Param text cannot have new-line/tab characters or more than 4 consecutive spaces".
		{"newline in a parameter", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi\nSantoso"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132018, "new-line"},
		{"tab in a parameter", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi\tSantoso"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132018, "tab"},
		{"5 spaces in a parameter", tplSend("tagihan_dokumen", docHeader+","+body(`"Sri     Rahayu"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132018, "4 consecutive spaces"},
		// Media headers: "the header component ... must include a parameter" of the header's format.
		{"document header without its parameter", tplSend("tagihan_dokumen", body(`"Budi"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132000, "header (DOCUMENT)"},
		{"image for a DOCUMENT header", tplSend("tagihan_dokumen", `{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.id/a.jpg"}}]}`+","+body(`"Budi"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132012, "must be document"},
		// 132000: "Number of parameters does not match the expected number of params".
		{"one body parameter for two variables", tplSend("tagihan_dokumen", docHeader+`,{"type":"body","parameters":[{"type":"text","text":"Budi"}]},`+copyBtn+","+urlBtn), 132000, "body"},
		// Copy code buttons: {"type":"coupon_code","coupon_code":"..."} (max 15 characters).
		{"COPY_CODE button without coupon_code", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+","+urlBtn), 132000, "copy_code"},
		{"coupon code sent as text", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+`,{"type":"button","sub_type":"copy_code","index":"0","parameters":[{"type":"text","text":"HEMAT10"}]},`+urlBtn), 132012, "coupon_code"},
		{"coupon code over 15", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+`,{"type":"button","sub_type":"copy_code","index":"0","parameters":[{"type":"coupon_code","coupon_code":"ABCDEFGHIJKLMNOP"}]},`+urlBtn), 131009, "1 to 15"},
		{"dynamic URL button missing", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+","+copyBtn), 132000, "dynamic URL"},
		{"parameters for a static URL button", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+","+copyBtn+","+urlBtn+`,{"type":"button","sub_type":"url","index":"3","parameters":[{"type":"text","text":"x"}]}`), 132000, "static URL"},
		{"quick reply with sub_type url", tplSend("tagihan_dokumen", docHeader+","+body(`"Budi"`, `"Rp 1"`)+","+copyBtn+","+urlBtn+`,{"type":"button","sub_type":"url","index":"2","parameters":[{"type":"payload","payload":"p"}]}`), 132012, "quick_reply"},
		// 132005: "Translated text too long".
		{"filled body over 1024", tplSend("tagihan_dokumen", docHeader+","+body(`"`+strings.Repeat("a", 1000)+`"`, `"Rp 1"`)+","+copyBtn+","+urlBtn), 132005, "1024"},
		// Named parameters: every parameter carries parameter_name.
		{"named template without parameter_name", tplSend("sapa_nama", `{"type":"body","parameters":[{"type":"text","text":"Sri"}]}`), 100, "Parameter name is missing"},
		{"named template, unknown name", tplSend("sapa_nama", `{"type":"body","parameters":[{"type":"text","parameter_name":"name","text":"Sri"}]}`), 132000, "not a variable"},
		{"unknown key on a parameter", tplSend("sapa_nama", `{"type":"body","parameters":[{"type":"text","parameter_name":"nama","text":"Sri","value":"x"}]}`), 100, `Unexpected key "value"`},
		// 132001: "Template name does not exist in the translation".
		{"unknown language", strings.Replace(tplSend("sapa_nama", named), `"code":"id"`, `"code":"en_US"`, 1), 132001, "does not exist"},
	})
}

func tplDef(name, cat, comps string) string {
	return `{"name":"` + name + `","language":"id","category":"` + cat + `","components":[` + comps + `]}`
}

const okBody = `{"type":"BODY","text":"Halo, tagihan Anda sudah terbit."}`

func TestRulesTemplateCreation(t *testing.T) {
	r := newRig(t, nil)
	pdf, png := r.handle("application/pdf", 10), r.handle("image/png", 10)
	path := "/v23.0/" + rWABA + "/message_templates"
	if code, out := r.call("POST", path, tplDef("otp_login", "AUTHENTICATION",
		`{"type":"BODY","add_security_recommendation":true},{"type":"FOOTER","code_expiration_minutes":5},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE","text":"Salin kode"}]}`)); code != 200 {
		t.Fatalf("authentication template refused: %v", out)
	}
	btns := func(bs ...string) string {
		return tplDef("a", "UTILITY", okBody+`,{"type":"BUTTONS","buttons":[`+strings.Join(bs, ",")+`]}`)
	}
	qr := `{"type":"QUICK_REPLY","text":"Ya"}`
	url := `{"type":"URL","text":"Buka","url":"https://x.id"}`
	r.refuses(path, []refusal{
		// "Template names: lowercase alphanumeric characters and underscores only, max 512".
		{"name with capitals and spaces", tplDef("Promo Besar", "MARKETING", okBody), 100, "lowercase"},
		{"unknown category", tplDef("a", "PROMO", okBody), 100, "category"},
		{"no body", tplDef("a", "UTILITY", `{"type":"FOOTER","text":"x"}`), 131008, "BODY"},
		// Header: "TEXT ... Only 1 variable parameter is supported".
		{"text header with 2 variables", tplDef("a", "UTILITY", `{"type":"HEADER","format":"TEXT","text":"{{1}} dan {{2}}","example":{"header_text":["a","b"]}},`+okBody), 100, "at most 1 variable"},
		{"text header over 60", tplDef("a", "UTILITY", `{"type":"HEADER","format":"TEXT","text":"`+strings.Repeat("h", 61)+`"},`+okBody), 100, "60"},
		// Media headers need "example.header_handle" from the Resumable Upload API.
		{"image header without header_handle", tplDef("a", "MARKETING", `{"type":"HEADER","format":"IMAGE"},`+okBody), 131008, "header_handle"},
		{"made-up header_handle", tplDef("a", "MARKETING", `{"type":"HEADER","format":"IMAGE","example":{"header_handle":["4::bm9wZQ=="]}},`+okBody), 131009, "Resumable Upload"},
		{"pdf handle for an IMAGE header", tplDef("a", "MARKETING", `{"type":"HEADER","format":"IMAGE","example":{"header_handle":["`+pdf+`"]}},`+okBody), 131009, "not a IMAGE"},
		{"text on a media header", tplDef("a", "MARKETING", `{"type":"HEADER","format":"IMAGE","text":"x","example":{"header_handle":["`+png+`"]}},`+okBody), 100, `Unexpected key "text"`},
		// Body: variables need examples; they "can't be at the start or end".
		{"variables without examples", tplDef("a", "UTILITY", `{"type":"BODY","text":"Halo {{1}}, apa kabar?"}`), 100, "example.body_text"},
		{"variable at the start", tplDef("a", "UTILITY", `{"type":"BODY","text":"{{1}}, tagihan Anda terbit.","example":{"body_text":[["Budi"]]}}`), 100, "start or end"},
		{"variable at the end", tplDef("a", "UTILITY", `{"type":"BODY","text":"Halo {{1}}","example":{"body_text":[["Budi"]]}}`), 100, "start or end"},
		{"variables out of order", tplDef("a", "UTILITY", `{"type":"BODY","text":"Halo {{2}} dan {{1}} ya","example":{"body_text":[["a","b"]]}}`), 100, "in order"},
		{"body over 1024", tplDef("a", "UTILITY", `{"type":"BODY","text":"`+strings.Repeat("b", 1025)+`"}`), 100, "1024"},
		{"footer with a variable", tplDef("a", "UTILITY", okBody+`,{"type":"FOOTER","text":"Kode {{1}}"}`), 100, "footer"},
		{"unknown key on a component", tplDef("a", "UTILITY", `{"type":"BODY","txt":"Halo"}`), 100, `Unexpected key "txt"`},
		// Buttons: "up to 10 buttons ... quick reply buttons must be grouped ... 2 URL, 1 phone number, 1 copy code".
		{"11 buttons", btns(qr, qr, qr, qr, qr, qr, qr, qr, qr, qr, qr), 100, "1 to 10"},
		{"3 URL buttons", btns(url, url, url), 100, "at most 2 URL"},
		{"quick replies not grouped", btns(qr, url, qr), 100, "grouped"},
		{"COPY_CODE without example", btns(`{"type":"COPY_CODE"}`), 131008, "COPY_CODE"},
		{"2 COPY_CODE buttons", btns(`{"type":"COPY_CODE","example":"A1"}`, `{"type":"COPY_CODE","example":"B2"}`), 100, "at most 1 COPY_CODE"},
		{"URL variable not at the end", btns(`{"type":"URL","text":"Buka","url":"https://x.id/{{1}}/x","example":["https://x.id/1/x"]}`), 100, "at the end"},
		{"button text over 25", btns(`{"type":"QUICK_REPLY","text":"` + strings.Repeat("q", 26) + `"}`), 100, "25"},
		// Authentication: fixed body (no text), one OTP button, no header.
		{"authentication with body text", tplDef("a", "AUTHENTICATION", `{"type":"BODY","text":"Kode Anda {{1}}"},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}`), 100, `Unexpected key "text"`},
		{"authentication without OTP button", tplDef("a", "AUTHENTICATION", `{"type":"BODY","add_security_recommendation":true}`), 131008, "OTP"},
		{"authentication with a quick reply", tplDef("a", "AUTHENTICATION", `{"type":"BODY"},{"type":"BUTTONS","buttons":[`+qr+`]}`), 131009, "exactly one OTP"},
		{"authentication code expiry over 90", tplDef("a", "AUTHENTICATION", `{"type":"BODY"},{"type":"FOOTER","code_expiration_minutes":120},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}`), 131009, "1 to 90"},
		{"OTP button outside authentication", btns(`{"type":"OTP","otp_type":"COPY_CODE","text":"Salin"}`), 100, `Unexpected key "otp_type"`},
	})
}

func TestRulesResumableUpload(t *testing.T) {
	r := newRig(t, nil)
	code, s := r.call("POST", "/v23.0/"+rApp+"/uploads?file_name=a.pdf&file_length=4&file_type=application/pdf", "")
	if code != 200 || !strings.HasPrefix(fmt.Sprint(s["id"]), "upload:") {
		t.Fatalf("session: %v", s)
	}
	id := s["id"].(string)
	if code, out := r.call("POST", "/v23.0/"+id, "ab", "file_offset", "0"); code != 200 || out["file_offset"] != 2.0 {
		t.Fatalf("first half: %v", out)
	}
	if _, st := r.call("GET", "/v23.0/"+id, ""); st["file_offset"] != 2.0 {
		t.Fatalf("status: %v", st)
	}
	// Resuming must continue at the session's file_offset.
	if code, out := r.call("POST", "/v23.0/"+id, "cd", "file_offset", "1"); code != 400 || !strings.Contains(fmt.Sprint(out["error"]), "does not match") {
		t.Fatalf("wrong offset: %d %v", code, out)
	}
	if code, out := r.call("POST", "/v23.0/"+id, "cd", "file_offset", "2"); code != 200 || !strings.HasPrefix(fmt.Sprint(out["h"]), "4::") {
		t.Fatalf("resume: %v", out)
	}
	r.refuses("/v23.0/"+rApp+"/uploads?file_name=a.gif&file_length=4&file_type=image/gif", []refusal{{"gif", "", 131009, "file_type"}})
	r.refuses("/v23.0/999/uploads?file_name=a.pdf&file_length=4&file_type=application/pdf", []refusal{{"not the app", "", 100, "does not exist"}})
}

func TestRulesPairRate(t *testing.T) {
	r := newRig(t, nil)
	r.customer(rPhone, `{"text":"halo"}`)
	msg := txt(`"type":"text","text":{"body":"x"}`)
	// "1 message every 6 seconds ... bursts of up to 45 messages", the
	// burst paid back at that rate (throughput / pair rate limits).
	for i := 0; i < 45; i++ {
		r.advance(20 * time.Millisecond) // stay under 80 per second
		if code, out := r.send(msg); code != 200 {
			t.Fatalf("burst message %d refused: %v", i, out)
		}
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{{"46th in the burst", msg, 131056, "pair rate limit"}})
	r.advance(6 * time.Second)
	if code, out := r.send(msg); code != 200 {
		t.Fatalf("one more after 6 s refused: %v", out)
	}
	r.refuses("/v23.0/"+rPNID+"/messages", []refusal{{"and again at once", msg, 131056, "pair rate limit"}})
}

func TestRulesPhoneNumberFields(t *testing.T) {
	r := newRig(t, nil)
	code, out := r.call("GET", "/v23.0/"+rPNID+"?fields=quality_rating,whatsapp_business_manager_messaging_limit,throughput", "")
	if code != 200 || out["quality_rating"] != "GREEN" || out["whatsapp_business_manager_messaging_limit"] != "TIER_250" || out["display_phone_number"] != nil {
		t.Fatalf("fields: %v", out)
	}
	code, out = r.call("GET", "/v23.0/"+rPNID+"?fields=quality_score", "")
	if code != 400 || !strings.Contains(fmt.Sprint(out["error"]), "nonexisting field (quality_score)") {
		t.Fatalf("unknown field: %d %v", code, out)
	}
}
