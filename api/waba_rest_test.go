package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker/testenv"
)

// tokenAuth maps bearer tokens to principals.
type tokenAuth map[string]models.Principal

func (a tokenAuth) Authenticate(_ context.Context, tok string) (models.Principal, error) {
	p, ok := a[tok]
	if !ok {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "bad token")
	}
	return p, nil
}

type restEnv struct {
	t    *testing.T
	api  *httptest.Server
	sim  *sim.Sim
	simS *httptest.Server
	db   *testenv.DB
}

func newRestEnv(t *testing.T) *restEnv { return newRestEnvApp(t, sim.DefaultAppID) }

func newRestEnvApp(t *testing.T, appID string) *restEnv {
	t.Helper()
	tdb := testenv.NewDB(t)
	e := &restEnv{t: t, db: tdb}
	// The simulator delivers review webhooks to the api under test.
	apiMux := http.NewServeMux()
	e.api = httptest.NewServer(apiMux)
	t.Cleanup(e.api.Close)
	e.sim = sim.New(sim.Options{AppSecret: testSecret, WebhookURL: e.api.URL + "/webhooks/whatsapp", AccessToken: "tok", Seed: 3,
		TemplateReviewDelay: 20 * time.Millisecond, Numbers: []sim.Number{{PhoneNumberID: testPNID, Display: "+62 21 5088 1234", WABAID: testWABA, PortfolioID: "9"}}})
	t.Cleanup(e.sim.Close)
	e.simS = httptest.NewServer(e.sim.Handler())
	t.Cleanup(e.simS.Close)
	all := []models.Permission{"senders:read", "senders:write", "templates:read", "templates:write"}
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), Stores: StoresOn(tdb.Gorm, nil),
		WABAAppSecret: testSecret, WABAVerifyToken: testVerify, WABA: waba.NewClient(e.simS.URL, "v23.0", "tok", nil), WABAAppID: appID,
		Auth: tokenAuth{"admin": {AgentID: 1, Permissions: all, AllScope: true}, "reader": {AgentID: 2, Permissions: all[:1]}}})
	apiMux.Handle("/", s.Handler())
	return e
}

func (e *restEnv) do(method, path, tok, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errField(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func TestSendersREST(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	body := fmt.Sprintf(`{"phoneNumberId":%q,"wabaId":%q,"displayNumber":"021-5088-1234","businessPortfolioId":"9"}`, testPNID, testWABA)
	if code, _ := e.do("POST", "/api/v1/senders", "", body); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := e.do("POST", "/api/v1/senders", "reader", body); code != 403 {
		t.Fatalf("reader writes: %d", code)
	}
	code, out := e.do("POST", "/api/v1/senders", "admin", body)
	if code != 201 || out["displayNumber"] != "+622150881234" || out["throughputMps"] != float64(80) || out["status"] != "active" {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if code, out := e.do("POST", "/api/v1/senders", "admin", body); code != 409 || errField(out) != "phoneNumberId" {
		t.Fatalf("duplicate: %d %v", code, out)
	}
	for bad, field := range map[string]string{
		`{"phoneNumberId":"12","wabaId":"1","displayNumber":"12"}`:                            "displayNumber",
		`{"phoneNumberId":"abc","wabaId":"1","displayNumber":"081234567890"}`:                 "phoneNumberId",
		`{"phoneNumberId":"13","wabaId":"1","displayNumber":"081234567890","quality":"BLUE"}`: "quality",
		`{"phoneNumberId":13}`: "phoneNumberId",
	} {
		if code, out := e.do("POST", "/api/v1/senders", "admin", bad); code != 400 || errField(out) != field {
			t.Errorf("%s: %d %v", bad, code, out)
		}
	}
	if code, _ := e.do("GET", "/api/v1/senders/99999", "reader", ""); code != 404 {
		t.Errorf("missing sender: %d", code)
	}
	if code, out := e.do("GET", "/api/v1/senders", "reader", ""); code != 200 || len(out["data"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	// A second number as the secondary.
	_, out2 := e.do("POST", "/api/v1/senders", "admin", `{"phoneNumberId":"555","wabaId":"1","displayNumber":"+62 21 5088 9999"}`)
	id2 := int64(out2["id"].(float64))
	path := fmt.Sprintf("/api/v1/senders/%d/allocations", id)
	if code, out := e.do("POST", path, "admin", `{"agentId":5,"role":"primary"}`); code != 201 {
		t.Fatalf("allocate: %d %v", code, out)
	}
	if code, out := e.do("POST", fmt.Sprintf("/api/v1/senders/%d/allocations", id2), "admin", `{"agentId":5,"role":"primary"}`); code != 409 || errField(out) != "role" {
		t.Fatalf("second primary: %d %v", code, out)
	}
	if code, _ := e.do("POST", fmt.Sprintf("/api/v1/senders/%d/allocations", id2), "admin", `{"agentId":5,"role":"secondary"}`); code != 201 {
		t.Fatalf("secondary: %d", code)
	}
	if code, out := e.do("POST", path, "admin", `{"agentId":5,"teamId":2,"role":"primary"}`); code != 400 || errField(out) != "agentId" {
		t.Fatalf("both agent and team: %d %v", code, out)
	}
	if code, out := e.do("POST", path, "admin", `{"teamId":2,"role":"boss"}`); code != 400 || errField(out) != "role" {
		t.Fatalf("bad role: %d %v", code, out)
	}
	store := senders.SenderStore{DB: e.db.Gorm}
	ch, err := store.SenderFor(context.Background(), 5, 0)
	if err != nil || ch.Sender.ID != id {
		t.Fatalf("primary choice: %+v %v", ch, err)
	}
	// The simulator reports RED quality: sync flags the number and the secondary takes over.
	resp, _ := http.Post(e.simS.URL+"/sim/numbers/"+testPNID+"/quality", "application/json", strings.NewReader(`{"quality":"RED","tier":"TIER_10K","throughputMps":1000}`))
	resp.Body.Close()
	code, out = e.do("POST", fmt.Sprintf("/api/v1/senders/%d/sync", id), "admin", "")
	if code != 200 || out["quality"] != "RED" || out["status"] != "flagged" || out["messagingLimitTier"] != "TIER_10K" || out["throughputMps"] != float64(1000) {
		t.Fatalf("sync: %d %v", code, out)
	}
	ch, err = store.SenderFor(context.Background(), 5, 0)
	if err != nil || ch.Sender.ID != id2 || !strings.Contains(ch.Reason, "secondary") {
		t.Fatalf("secondary choice: %+v %v", ch, err)
	}
	if code, _ := e.do("DELETE", fmt.Sprintf("%s/%d", path, 99999), "admin", ""); code != 404 {
		t.Errorf("delete missing allocation: %d", code)
	}
	if code, _ := e.do("PATCH", fmt.Sprintf("/api/v1/senders/%d", id), "admin", `{"status":"disabled"}`); code != 200 {
		t.Errorf("patch: %d", code)
	}
	if code, _ := e.do("DELETE", fmt.Sprintf("/api/v1/senders/%d", id2), "admin", ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
}

const reminderTpl = `[{"type":"HEADER","format":"TEXT","text":"Halo {{1}}","example":{"header_text":["Budi"]}},
 {"type":"BODY","text":"Tagihan {{1}} sebesar {{2}} jatuh tempo {{3}}. Terima kasih 🙏","example":{"body_text":[["INV-1","Rp 1.500.000","25 Nov"]]}},
 {"type":"FOOTER","text":"PT Contoh Finansial"},
 {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Sudah bayar"},{"type":"URL","text":"Bayar","url":"https://contoh.co.id/b/{{1}}","example":["https://contoh.co.id/b/INV-1"]}]}]`

func TestTemplatesREST(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	tpl := func(name, comps string) string {
		return fmt.Sprintf(`{"name":%q,"language":"id","category":"UTILITY","wabaId":%q,"components":%s}`, name, testWABA, comps)
	}
	for body, field := range map[string]string{
		tpl("Pengingat Tagihan", reminderTpl):                                                        "name",
		tpl("gap", `[{"type":"BODY","text":"{{1}} dan {{3}}","example":{"body_text":[["a","b"]]}}]`): "components[0].text",
		tpl("long", `[{"type":"BODY","text":"`+strings.Repeat("a", 1025)+`"}]`):                      "components[0].text",
		tpl("noexample", `[{"type":"BODY","text":"Halo {{1}}, apa kabar?"}]`):                        "components[0].example",
		tpl("nobody", `[{"type":"FOOTER","text":"x"}]`):                                              "components",
		`{"name":"x","language":"id","category":"SPAM","components":[]}`:                             "category",
	} {
		if code, out := e.do("POST", "/api/v1/templates", "admin", body); code != 400 || errField(out) != field {
			t.Errorf("%.60s: %d %v", body, code, out)
		}
	}
	code, out := e.do("POST", "/api/v1/templates", "admin", tpl("pengingat_tagihan", reminderTpl))
	if code != 201 || out["status"] != "DRAFT" {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if code, _ := e.do("POST", "/api/v1/templates", "admin", tpl("pengingat_tagihan", reminderTpl)); code != 409 {
		t.Fatalf("duplicate: %d", code)
	}
	code, out = e.do("POST", fmt.Sprintf("/api/v1/templates/%d/render", id), "admin", `{"mapping":{"body.1":"case.ref"},"values":{"case.ref":"INV-9","header.1":"Ibu Sékar"}}`)
	if code != 422 || errField(out) != "variables" || !strings.Contains(fmt.Sprint(out), "body.2") || !strings.Contains(fmt.Sprint(out), "button.1.1") {
		t.Fatalf("render missing: %d %v", code, out)
	}
	code, out = e.do("POST", fmt.Sprintf("/api/v1/templates/%d/render", id), "admin",
		`{"mapping":{"body.1":"case.ref","body.2":"case.amount","body.3":"case.due","header.1":"contact.name","button.1.1":"case.ref"},
		  "values":{"case.ref":"INV-9","case.amount":"Rp 2.000.000","case.due":"30 Nov","contact.name":"Ibu Sékar"}}`)
	if code != 200 || !strings.Contains(out["preview"].(string), "Tagihan INV-9 sebesar Rp 2.000.000 jatuh tempo 30 Nov") {
		t.Fatalf("render: %d %v", code, out)
	}
	code, out = e.do("POST", fmt.Sprintf("/api/v1/templates/%d/submit", id), "admin", "")
	if code != 200 || out["metaId"] == nil {
		t.Fatalf("submit: %d %v", code, out)
	}
	// The simulator approves it and its signed webhook updates our row.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, out = e.do("GET", fmt.Sprintf("/api/v1/templates/%d", id), "admin", "")
		if out["status"] == "APPROVED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never approved: %v", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := e.do("POST", fmt.Sprintf("/api/v1/templates/%d/submit", id), "admin", ""); code != 409 {
		t.Fatalf("resubmit approved: %d", code)
	}
	// The rendered template is accepted by the simulator (right parameter counts).
	var tplRow templates.Template
	e.db.Gorm.First(&tplRow, id)
	r, err := templates.RenderTemplate(tplRow, map[string]string{"body.1": "ref", "body.2": "amt", "body.3": "due", "header.1": "name", "button.1.1": "ref"},
		map[string]string{"ref": "INV-9", "amt": "Rp 1", "due": "besok", "name": "Putu"})
	if err != nil {
		t.Fatal(err)
	}
	c := waba.NewClient(e.simS.URL, "v23.0", "tok", nil)
	if _, err := c.SendTemplate(context.Background(), testPNID, "6281234567890", r.WABA(), waba.SendOptions{BizOpaque: "1"}); err != nil {
		t.Fatalf("rendered template refused: %v", err)
	}
	// WhatsApp forgot it (deleted in WhatsApp Manager, an account reset):
	// the APPROVED template can be resubmitted and is reviewed afresh.
	if err := c.DeleteTemplate(context.Background(), testWABA, tplRow.Name); err != nil {
		t.Fatal(err)
	}
	oldMeta := out["metaId"]
	if code, out := e.do("POST", fmt.Sprintf("/api/v1/templates/%d/submit", id), "admin", ""); code != 200 || out["status"] != "PENDING" || out["metaId"] == oldMeta {
		t.Fatalf("resubmit of a template WhatsApp forgot: %d %v", code, out)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, out = e.do("GET", fmt.Sprintf("/api/v1/templates/%d", id), "admin", "")
		if out["status"] == "APPROVED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resubmission never approved: %v", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A rejected template reports the reason.
	_, out = e.do("POST", "/api/v1/templates", "admin", tpl("reject_promo_besar", `[{"type":"BODY","text":"Diskon!"}]`))
	rid := int64(out["id"].(float64))
	e.do("POST", fmt.Sprintf("/api/v1/templates/%d/submit", rid), "admin", "")
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, out = e.do("GET", fmt.Sprintf("/api/v1/templates/%d", rid), "admin", "")
		if out["status"] == "REJECTED" && out["reason"] == "INVALID_FORMAT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never rejected: %v", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, out := e.do("GET", "/api/v1/templates?status=REJECTED", "admin", ""); code != 200 || len(out["data"].([]any)) != 1 {
		t.Fatalf("filter: %d %v", code, out)
	}
}

// TestSimulatorToReceiver runs the whole loop: a simulated customer writes
// (signed webhook -> stored), the product answers through the client, and
// the simulator's status webhooks move the stored message to read, matched
// through biz_opaque_callback_data even though the wamid was never stored.
func TestSimulatorToReceiver(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	db := e.db.Gorm
	if err := db.Exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES (?, ?, '+622150881234')`, testPNID, testWABA).Error; err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.simS.URL+"/sim/customers/6281234567890/messages", "application/json",
		strings.NewReader(`{"text":"Selamat pagi, saya mau konfirmasi pembayaran 🙏","name":"Ayu Ṅurhaliza"}`))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		ID            string `json:"id"`
		WebhookStatus int    `json:"webhookStatus"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&cm)
	resp.Body.Close()
	if cm.WebhookStatus != 200 {
		t.Fatalf("receiver answered %d", cm.WebhookStatus)
	}
	var in models.Message
	db.Raw(`SELECT * FROM messages WHERE wamid = ?`, cm.ID).Scan(&in)
	if in.Direction != "in" || !strings.Contains(in.Body, "konfirmasi") {
		t.Fatalf("inbound not stored: %+v", in)
	}
	var outID int64
	db.Raw(`INSERT INTO messages (conversation_id, direction, type, body, status) VALUES (?, 'out', 'text', 'Terima kasih, sudah kami terima', 'queued') RETURNING id`, in.ConversationID).Scan(&outID)
	c := waba.NewClient(e.simS.URL, "v23.0", "tok", nil)
	r, err := c.SendText(context.Background(), testPNID, "6281234567890", "Terima kasih, sudah kami terima", false, waba.SendOptions{BizOpaque: fmt.Sprint(outID), ReplyTo: cm.ID})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var m models.Message
		db.Raw(`SELECT * FROM messages WHERE id = ?`, outID).Scan(&m)
		if m.Status == models.MsgRead {
			if m.WAMID == nil || *m.WAMID != r.WAMID() || m.ReadAt == nil {
				t.Fatalf("read but wamid %v readAt %v", m.WAMID, m.ReadAt)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbound message stuck at %q", m.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
