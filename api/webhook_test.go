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
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker/testenv"
)

const (
	testSecret = "rahasia-aplikasi-meta"
	testVerify = "token-verifikasi"
	testPNID   = "106540352242922"
	testWABA   = "102290129340398"
)

type recordingPublisher struct {
	mu     sync.Mutex
	events []models.Event
}

func (p *recordingPublisher) Publish(_ context.Context, evs ...models.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, evs...)
	return nil
}

func (p *recordingPublisher) types() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		out = append(out, e.Type)
	}
	return out
}

type webhookEnv struct {
	t   *testing.T
	db  *gorm.DB
	h   http.Handler
	pub *recordingPublisher
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	t.Helper()
	tdb := testenv.NewDB(t)
	pub := &recordingPublisher{}
	s := New(Deps{
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Registry: prometheus.NewRegistry(),
		Stores: StoresOn(tdb.Gorm, pub), Events: pub, WABAAppSecret: testSecret, WABAVerifyToken: testVerify,
	})
	env := &webhookEnv{t: t, db: tdb.Gorm, h: s.Handler(), pub: pub}
	env.exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES (?, ?, '+62 21 5088 1234')`, testPNID, testWABA)
	return env
}

func (e *webhookEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if err := e.db.Exec(sql, args...).Error; err != nil {
		e.t.Fatalf("exec %s: %v", sql, err)
	}
}

func (e *webhookEnv) count(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Raw(sql, args...).Scan(&n).Error; err != nil {
		e.t.Fatalf("count %s: %v", sql, err)
	}
	return n
}

func (e *webhookEnv) post(body string, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(waba.SignatureHeader, sig)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *webhookEnv) postSigned(body string) *httptest.ResponseRecorder {
	return e.post(body, waba.Sign([]byte(testSecret), []byte(body)))
}

// envelope wraps "messages" values (or any field) like Meta does.
func envelope(field string, values ...string) string {
	var ch []string
	for _, v := range values {
		ch = append(ch, fmt.Sprintf(`{"field":%q,"value":%s}`, field, v))
	}
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[%s]}]}`, testWABA, strings.Join(ch, ","))
}

func messagesValue(pnid, name, waID, msg string) string {
	return fmt.Sprintf(`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"622150881234","phone_number_id":%q},
		"contacts":[{"profile":{"name":%q},"wa_id":%q}],"messages":[%s]}`, pnid, name, waID, msg)
}

func textMsg(wamid, from, body string) string {
	return fmt.Sprintf(`{"from":%q,"id":%q,"timestamp":"1763971200","type":"text","text":{"body":%q}}`, from, wamid, body)
}

func TestWebhookVerifyHandshake(t *testing.T) {
	t.Parallel()
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), WABAVerifyToken: testVerify})
	for _, tc := range []struct {
		q    string
		code int
		body string
	}{
		{"hub.mode=subscribe&hub.verify_token=" + testVerify + "&hub.challenge=1158201444", 200, "1158201444"},
		{"hub.mode=subscribe&hub.verify_token=salah&hub.challenge=1158201444", 403, ""},
		{"hub.mode=unsubscribe&hub.verify_token=" + testVerify + "&hub.challenge=1", 403, ""},
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhooks/whatsapp?"+tc.q, nil))
		if w.Code != tc.code || (tc.body != "" && w.Body.String() != tc.body) {
			t.Errorf("%s: got %d %q", tc.q, w.Code, w.Body.String())
		}
	}
}

func TestWebhookStoresEveryMessageType(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	from := "6281234567890"
	msgs := map[string]string{
		"text":        textMsg("wamid.T1", from, "Halo kak, saya mau tanya cicilan bulan ini 🙏"),
		"image":       `{"from":"6281234567890","id":"wamid.I1","timestamp":"1763971201","type":"image","image":{"id":"1479537139650973","mime_type":"image/jpeg","sha256":"abc","caption":"Bukti transfer ✅"}}`,
		"document":    `{"from":"6281234567890","id":"wamid.D1","timestamp":"1763971201","type":"document","document":{"id":"88","mime_type":"application/pdf","filename":"slip-gaji.pdf"}}`,
		"audio":       `{"from":"6281234567890","id":"wamid.A1","timestamp":"1763971201","type":"audio","audio":{"id":"89","mime_type":"audio/ogg; codecs=opus","voice":true}}`,
		"button":      `{"from":"6281234567890","id":"wamid.B1","timestamp":"1763971202","type":"button","context":{"from":"622150881234","id":"wamid.OUT1"},"button":{"payload":"BAYAR_SEKARANG","text":"Bayar sekarang"}}`,
		"interactive": `{"from":"6281234567890","id":"wamid.X1","timestamp":"1763971203","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"tenor-6","title":"6 bulan","description":"Cicilan ringan"}}}`,
		"reaction":    `{"from":"6281234567890","id":"wamid.R1","timestamp":"1763971204","type":"reaction","reaction":{"message_id":"wamid.OUT1","emoji":"❤️"}}`,
		"location":    `{"from":"6281234567890","id":"wamid.L1","timestamp":"1763971205","type":"location","location":{"latitude":-6.2,"longitude":106.8166,"name":"Kantor Cabang Sudirman","address":"Jl. Jend. Sudirman, Jakarta"}}`,
		"contacts":    `{"from":"6281234567890","id":"wamid.C1","timestamp":"1763971206","type":"contacts","contacts":[{"name":{"formatted_name":"Gede Ngurah Rai"},"phones":[{"phone":"+62 811 3800 100","type":"CELL"}]}]}`,
		"unsupported": `{"from":"6281234567890","id":"wamid.U1","timestamp":"1763971207","type":"unsupported","errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]}`,
		"newtype":     `{"from":"6281234567890","id":"wamid.N1","timestamp":"1763971208","type":"hologram","hologram":{"id":"1"}}`,
	}
	var all []string
	for _, m := range msgs {
		all = append(all, m)
	}
	val := fmt.Sprintf(`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"622150881234","phone_number_id":%q},
		"contacts":[{"profile":{"name":"Ni Luh Putu Wédari 🌺"},"wa_id":%q}],"messages":[%s]}`, testPNID, from, strings.Join(all, ","))
	if w := e.postSigned(envelope("messages", val)); w.Code != 200 {
		t.Fatalf("post: %d %s", w.Code, w.Body.String())
	}
	if n := e.count(`SELECT count(*) FROM messages WHERE direction = 'in'`); n != int64(len(msgs)) {
		t.Fatalf("stored %d messages, want %d", n, len(msgs))
	}
	var c models.Contact
	if err := e.db.Raw(`SELECT * FROM contacts`).Scan(&c).Error; err != nil {
		t.Fatal(err)
	}
	if c.PhoneE164 == nil || *c.PhoneE164 != "+6281234567890" || c.Name != "Ni Luh Putu Wédari 🌺" || c.WAID != from {
		t.Fatalf("contact = %+v", c)
	}
	var conv models.Conversation
	if err := e.db.Raw(`SELECT * FROM conversations`).Scan(&conv).Error; err != nil {
		t.Fatal(err)
	}
	if conv.UnreadCount != len(msgs) || conv.LastInboundAt == nil || !conv.LastInboundAt.Equal(time.Unix(1763971208, 0)) {
		t.Fatalf("conversation = %+v", conv)
	}
	checks := map[string][2]string{ // wamid -> type, body
		"wamid.T1": {"text", "Halo kak, saya mau tanya cicilan bulan ini 🙏"},
		"wamid.I1": {"image", "Bukti transfer ✅"},
		"wamid.D1": {"document", "slip-gaji.pdf"},
		"wamid.B1": {"button", "Bayar sekarang"},
		"wamid.X1": {"interactive", "6 bulan"},
		"wamid.R1": {"reaction", "❤️"},
		"wamid.L1": {"location", "Kantor Cabang Sudirman"},
		"wamid.U1": {"unsupported", ""},
		"wamid.N1": {"unsupported", ""},
	}
	for wamid, want := range checks {
		var m models.Message
		if err := e.db.Raw(`SELECT * FROM messages WHERE wamid = ?`, wamid).Scan(&m).Error; err != nil {
			t.Fatal(err)
		}
		if m.Type != want[0] || m.Body != want[1] || m.Status != models.MsgReceived || m.ConversationID != conv.ID {
			t.Errorf("%s: got type %q body %q status %q", wamid, m.Type, m.Body, m.Status)
		}
	}
	// The raw payload is kept, so even unknown types lose nothing.
	var payload string
	e.db.Raw(`SELECT payload->'hologram'->>'id' FROM messages WHERE wamid = 'wamid.N1'`).Scan(&payload)
	if payload != "1" {
		t.Errorf("raw payload of unknown type lost: %q", payload)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'message.created'`); n != int64(len(msgs)) {
		t.Errorf("events appended = %d", n)
	}
	if got := len(e.pub.types()); got != len(msgs) {
		t.Errorf("events published = %d", got)
	}
}

func TestWebhookRejectsBadSignature(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	body := envelope("messages", messagesValue(testPNID, "Bambang Sukarnô", "6281298765432", textMsg("wamid.S1", "6281298765432", "Tolong hubungi saya 😊")))
	// Re-serialised JSON (escaped non-ASCII) has a different HMAC than the raw bytes.
	var v any
	_ = json.Unmarshal([]byte(body), &v)
	reser, _ := json.Marshal(v)
	for name, sig := range map[string]string{
		"missing":      "",
		"wrong secret": waba.Sign([]byte("bukan-rahasia"), []byte(body)),
		"not hex":      "sha256=zz",
		"no prefix":    strings.TrimPrefix(waba.Sign([]byte(testSecret), []byte(body)), "sha256="),
		"reserialised": waba.Sign([]byte(testSecret), []byte(strings.ReplaceAll(string(reser), "😊", `\ud83d\ude0a`))),
	} {
		if w := e.post(body, sig); w.Code != http.StatusUnauthorized {
			t.Errorf("%s: got %d", name, w.Code)
		}
	}
	if n := e.count(`SELECT count(*) FROM messages`) + e.count(`SELECT count(*) FROM contacts`) + e.count(`SELECT count(*) FROM events`); n != 0 {
		t.Fatalf("something was stored: %d rows", n)
	}
	if w := e.postSigned(body); w.Code != 200 {
		t.Fatalf("valid signature: %d", w.Code)
	}
	if n := e.count(`SELECT count(*) FROM messages`); n != 1 {
		t.Fatalf("valid delivery stored %d", n)
	}
}

func TestWebhookDuplicateDeliveryStoresOnce(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	body := envelope("messages", messagesValue(testPNID, "Siti Aisyah Rahmawati ✨", "6285712345678", textMsg("wamid.DUP", "6285712345678", "Sudah saya transfer ya")))
	for i := 0; i < 5; i++ {
		if w := e.postSigned(body); w.Code != 200 {
			t.Fatalf("delivery %d: %d", i, w.Code)
		}
	}
	if n := e.count(`SELECT count(*) FROM messages`); n != 1 {
		t.Fatalf("messages = %d", n)
	}
	if n := e.count(`SELECT unread_count FROM conversations`); n != 1 {
		t.Fatalf("unread = %d", n)
	}
	if n := e.count(`SELECT count(*) FROM events`); n != 1 {
		t.Fatalf("events = %d", n)
	}
}

func statusValue(statuses ...string) string {
	return fmt.Sprintf(`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"622150881234","phone_number_id":%q},"statuses":[%s]}`, testPNID, strings.Join(statuses, ","))
}

func status(wamid, st string, ts int64, extra string) string {
	return fmt.Sprintf(`{"id":%q,"status":%q,"timestamp":"%d","recipient_id":"6281234567890"%s}`, wamid, st, ts, extra)
}

// seedOutbound makes a conversation with one outbound message per wamid
// (an empty wamid leaves it NULL, as after an ambiguous send) and returns ids.
func (e *webhookEnv) seedOutbound(wamids ...string) []int64 {
	e.t.Helper()
	e.exec(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES ('+6281234567890', '6281234567890', 'Dewi Ṡartika')`)
	e.exec(`INSERT INTO conversations (sender_id, contact_id, assignee_agent_id) SELECT s.id, c.id, 7 FROM senders s, contacts c`)
	var ids []int64
	for _, w := range wamids {
		var id int64
		var wp *string
		if w != "" {
			wp = &w
		}
		if err := e.db.Raw(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status)
			SELECT id, 'out', 'text', 'Tagihan Anda jatuh tempo', ?, 'queued' FROM conversations RETURNING id`, wp).Scan(&id).Error; err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestWebhookStatusesMoveForwardOnly(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	ids := e.seedOutbound("wamid.O1", "wamid.O2", "")
	pricing := `,"conversation":{"id":"c1","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}`
	// Out of order: read arrives before sent and delivered, read twice.
	for _, b := range []string{
		status("wamid.O1", "read", 1763971300, ""),
		status("wamid.O1", "sent", 1763971200, pricing),
		status("wamid.O1", "delivered", 1763971250, pricing),
		status("wamid.O1", "read", 1763971300, ""),
		status("wamid.O1", "failed", 1763971400, `,"errors":[{"code":131026,"title":"Message undeliverable"}]`),
	} {
		if w := e.postSigned(envelope("messages", statusValue(b))); w.Code != 200 {
			t.Fatalf("status: %d %s", w.Code, w.Body.String())
		}
	}
	var m models.Message
	e.db.Raw(`SELECT * FROM messages WHERE id = ?`, ids[0]).Scan(&m)
	if m.Status != models.MsgRead || m.ReadAt == nil || m.ErrorCode != nil {
		t.Fatalf("O1 = status %q readAt %v err %v", m.Status, m.ReadAt, m.ErrorCode)
	}
	if n := e.count(`SELECT count(*) FROM message_statuses WHERE wamid = 'wamid.O1'`); n != 4 {
		t.Errorf("status rows = %d, want 4 (deduped by wamid,status)", n)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'message.status'`); n != 1 {
		t.Errorf("status events = %d, want 1", n)
	}
	// A failure before delivery sticks with its code and reason.
	e.postSigned(envelope("messages", statusValue(
		status("wamid.O2", "sent", 1763971200, ""),
		status("wamid.O2", "failed", 1763971201, `,"errors":[{"code":131026,"title":"Message undeliverable","error_data":{"details":"Receiver is not on WhatsApp"}}]`),
		status("wamid.O2", "delivered", 1763971202, ""))))
	e.db.Raw(`SELECT * FROM messages WHERE id = ?`, ids[1]).Scan(&m)
	if m.Status != models.MsgFailed || m.ErrorCode == nil || *m.ErrorCode != 131026 || !strings.Contains(m.ErrorReason, "not on WhatsApp") {
		t.Fatalf("O2 = %q %v %q", m.Status, m.ErrorCode, m.ErrorReason)
	}
	// A send that timed out before its wamid was stored is reconciled via biz_opaque_callback_data.
	e.postSigned(envelope("messages", statusValue(status("wamid.O3", "delivered", 1763971500, fmt.Sprintf(`,"biz_opaque_callback_data":"%d"`, ids[2])))))
	e.db.Raw(`SELECT * FROM messages WHERE id = ?`, ids[2]).Scan(&m)
	if m.WAMID == nil || *m.WAMID != "wamid.O3" || m.Status != models.MsgDelivered {
		t.Fatalf("O3 = %v %q", m.WAMID, m.Status)
	}
	// Events reach the conversation's assignee.
	var aud string
	e.db.Raw(`SELECT audience::text FROM events WHERE type = 'message.status' ORDER BY id LIMIT 1`).Scan(&aud)
	if !strings.Contains(aud, "7") {
		t.Errorf("audience = %s", aud)
	}
}

func TestWebhookUnregisteredNumberAndBSUID(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	body := envelope("messages", `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"6281100001111","phone_number_id":"999000111"},
		"contacts":[{"profile":{"name":"Made Wirawan Ğ"},"user_id":"ID.1234567890abcdef"}],
		"messages":[{"from_user_id":"ID.1234567890abcdef","id":"wamid.BS1","timestamp":"1763971200","type":"text","text":{"body":"Permisi 🙇"}}]}`)
	if w := e.postSigned(body); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	var s models.Sender
	e.db.Raw(`SELECT * FROM senders WHERE phone_number_id = '999000111'`).Scan(&s)
	if s.Status != models.SenderUnverified || s.WABAID != testWABA {
		t.Fatalf("sender = %+v", s)
	}
	var c models.Contact
	e.db.Raw(`SELECT * FROM contacts`).Scan(&c)
	if c.PhoneE164 != nil || c.BSUID == nil || *c.BSUID != "ID.1234567890abcdef" || c.Name != "Made Wirawan Ğ" {
		t.Fatalf("contact = %+v", c)
	}
	if n := e.count(`SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE v.sender_id = ?`, s.ID); n != 1 {
		t.Fatalf("message not stored against unverified sender: %d", n)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = ?`, models.EventSenderUnverified); n != 1 {
		t.Fatalf("admins not flagged: %d", n)
	}
	// Later the phone arrives with the same BSUID: same contact, phone filled.
	e.postSigned(envelope("messages", `{"metadata":{"phone_number_id":"999000111"},"contacts":[{"profile":{"name":"Made Wirawan Ğ"},"wa_id":"6281339990000","user_id":"ID.1234567890abcdef"}],
		"messages":[{"from":"6281339990000","id":"wamid.BS2","timestamp":"1763971300","type":"text","text":{"body":"ini nomor saya"}}]}`))
	if n := e.count(`SELECT count(*) FROM contacts WHERE phone_e164 = '+6281339990000' AND bsuid = 'ID.1234567890abcdef'`); n != 1 {
		t.Fatalf("contact not merged by bsuid: %d", e.count(`SELECT count(*) FROM contacts`))
	}
}

func TestWebhookUnknownFieldsAcknowledged(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	for _, body := range []string{
		envelope("calls", `{"calls":[{"id":"x"}]}`),
		envelope("messages", `{"metadata":{"phone_number_id":"1"},"brand_new_thing":{"a":1}}`),
		envelope("account_update", `{"phone_number":"622150881234","event":"VERIFIED_ACCOUNT"}`),
		envelope("messages", `"not an object"`),
		envelope("messages", statusValue(status("wamid.nope", "deleted", 1, ""))),
		`{"object":"page","entry":[]}`,
	} {
		if w := e.postSigned(body); w.Code != 200 {
			t.Errorf("%s: %d %s", body, w.Code, w.Body.String())
		}
	}
	if w := e.postSigned(`not json`); w.Code != 400 {
		t.Errorf("non-JSON: %d", w.Code)
	}
}

func TestWebhookTemplateAndQualityUpdates(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	e.exec(`INSERT INTO templates (name, language, category, status, meta_id) VALUES ('pengingat_tagihan', 'id', 'UTILITY', 'PENDING', '1889012345')`)
	e.postSigned(envelope("message_template_status_update", `{"event":"REJECTED","message_template_id":1889012345,"message_template_name":"pengingat_tagihan","message_template_language":"id","reason":"INVALID_FORMAT"}`))
	var st, reason string
	e.db.Raw(`SELECT status FROM templates`).Scan(&st)
	e.db.Raw(`SELECT reason FROM templates`).Scan(&reason)
	if st != "REJECTED" || reason != "INVALID_FORMAT" {
		t.Fatalf("template = %s %s", st, reason)
	}
	e.postSigned(envelope("phone_number_quality_update", `{"display_phone_number":"622150881234","event":"FLAGGED","current_limit":"TIER_2K"}`))
	var s models.Sender
	e.db.Raw(`SELECT * FROM senders`).Scan(&s)
	if s.Status != models.SenderFlagged || s.Quality != models.QualityRed || s.MessagingLimitTier != "TIER_2K" {
		t.Fatalf("sender = %+v", s)
	}
}

func TestWebhookStorageOutageAnswers503(t *testing.T) {
	t.Parallel()
	tdb := testenv.NewDB(t)
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), Stores: StoresOn(tdb.Gorm, nil), WABAAppSecret: testSecret})
	sqlDB, _ := tdb.Gorm.DB()
	_ = sqlDB.Close()
	body := envelope("messages", messagesValue(testPNID, "Yohanes Ñoviantoro", "6281211112222", textMsg("wamid.OUT", "6281211112222", "halo")))
	req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", strings.NewReader(body))
	req.Header.Set(waba.SignatureHeader, waba.Sign([]byte(testSecret), []byte(body)))
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
}

func TestWebhookBurst500(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	const n = 500
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				from := fmt.Sprintf("62812%08d", i%50) // 50 customers, 10 messages each
				body := envelope("messages", messagesValue(testPNID, "Pelanggan ke-"+fmt.Sprint(i%50)+" 🛵", from,
					textMsg(fmt.Sprintf("wamid.burst.%d", i), from, fmt.Sprintf("pesan %d", i))))
				if r := e.postSigned(body); r.Code != 200 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d: %d %s", i, r.Code, r.Body.String()))
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	if got := e.count(`SELECT count(*) FROM messages`); got != n {
		t.Fatalf("stored %d of %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM contacts`); got != 50 {
		t.Fatalf("contacts = %d", got)
	}
	if got := e.count(`SELECT sum(unread_count) FROM conversations`); got != n {
		t.Fatalf("unread sum = %d", got)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestWebhookKeepsCuratedContactName(t *testing.T) {
	t.Parallel()
	e := newWebhookEnv(t)
	e.exec(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES ('+6281377778888', NULL, 'Bpk. Hendra Wijaya (nasabah prioritas)')`)
	for i, name := range []string{"hendra 😎", "Hendra W."} {
		body := envelope("messages", messagesValue(testPNID, name, "6281377778888", textMsg(fmt.Sprintf("wamid.K%d", i), "6281377778888", "halo")))
		if w := e.postSigned(body); w.Code != 200 {
			t.Fatalf("%d", w.Code)
		}
	}
	var name, waID string
	e.db.Raw(`SELECT name, wa_id FROM contacts`).Row().Scan(&name, &waID)
	if name != "Bpk. Hendra Wijaya (nasabah prioritas)" || waID != "6281377778888" {
		t.Fatalf("contact = %q %q", name, waID)
	}
	if n := e.count(`SELECT count(*) FROM messages`); n != 2 {
		t.Fatalf("messages = %d", n)
	}
}
