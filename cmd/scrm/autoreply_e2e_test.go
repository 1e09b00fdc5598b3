package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
)

// lastNight is the latest 21:00 WIB on a Monday-Saturday before now: the
// away rule's default business hours (08:00-20:00) are closed then.
func lastNight(now time.Time) time.Time {
	wib := models.LoadZone(models.TZWIB)
	l := now.In(wib)
	n := time.Date(l.Year(), l.Month(), l.Day(), 21, 0, 0, 0, wib)
	for n.After(now) || n.Weekday() == time.Sunday {
		n = n.AddDate(0, 0, -1)
	}
	return n
}

// withAutoReplyClock runs the auto-replies at 21:00 WIB (the clock moves
// on from there as the test runs).
func withAutoReplyClock() stackOption {
	return func(st *stack) {
		offset := time.Until(lastNight(time.Now()))
		st.opts.Tuning.AutoReplyNow = func() time.Time { return time.Now().Add(offset) }
	}
}

// autoTexts are the text bodies the simulator got for customer phone.
func (st *stack) autoTexts(phone string) []string {
	var out []string
	for _, e := range st.sim.Outbox() {
		if e.To != phone || e.Type != "text" || e.ErrorCode != 0 || e.WAMID == "" {
			continue
		}
		var b struct{ Text struct{ Body string } }
		_ = json.Unmarshal(e.Body, &b)
		out = append(out, b.Text.Body)
	}
	return out
}

// redeliver posts a signed webhook of a text message with wamid, as Meta
// does when it retries a delivery.
func (st *stack) redeliver(from, wamid, text string) {
	st.t.Helper()
	body, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "WABA-E2E",
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]any{"display_phone_number": "622150000001", "phone_number_id": e2ePNID},
			"contacts": []any{map[string]any{"profile": map[string]any{"name": "Dewi"}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": wamid, "timestamp": strconv.FormatInt(time.Now().Unix(), 10),
				"type": "text", "text": map[string]any{"body": text}}}}}}}}})
	req, _ := http.NewRequest("POST", st.apiURL+"/webhooks/whatsapp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", waba.Sign([]byte(e2eSecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		st.t.Fatalf("redelivery: %d", resp.StatusCode)
	}
}

// The auto-reply path on the real stack, at 21:00 WIB: a customer's
// first message gets the away reply in the simulator exactly once (Meta
// redelivers the webhook, the worker restarts, a second relay of the same
// message is queued: still one), a second line within the cool-down gets
// nothing, a keyword gets its answer and moves the conversation to the
// sales team, "bicara dengan agen" hands over and stops automation (the
// keyword again gets nothing); the replies are on the agent's websocket and
// in the thread marked origin auto.
func TestAutoReplyEndToEnd(t *testing.T) {
	st := startStack(t, 24*time.Hour, withAutoReplyClock())
	seed := st.seedInbox()
	db := st.db.Gorm
	var sales struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Penjualan", "strategy": "round_robin"}, &sales); code != 201 {
		t.Fatalf("team: %d", code)
	}
	rules := fmt.Sprintf("/api/v1/senders/%d/auto-replies", seed.senderID)
	const away = "Terima kasih. Kantor kami buka Senin-Sabtu 08.00-20.00 WIB; kami balas besok pagi."
	const price = "Biaya admin Rp5.000 per transaksi. Tim penjualan kami akan menghubungi Anda."
	for _, r := range []map[string]any{
		{"kind": "welcome", "reply": "Selamat datang di layanan kami!"},
		{"kind": "away", "reply": away, "zone": models.TZWIB},
		{"kind": "keyword", "reply": price, "keywords": []string{"biaya admin", "harga"}, "routeTeamId": sales.ID},
	} {
		var created autoreply.Rule
		if code := st.call("POST", rules, seed.admin, r, &created); code != 201 || created.ID == 0 {
			t.Fatalf("create rule %v: %d", r, code)
		}
	}
	admin := st.connect(seed.admin)
	ayu := st.connect(seed.ayu)
	const dewi = "6281377788899"
	st.simPost("/sim/customers/"+dewi+"/messages", map[string]any{"type": "text", "text": "Halo, selamat malam", "name": "Dewi", "phoneNumberId": e2ePNID})
	st.restartWorker() // possibly mid-way through the job

	waitUntil(t, 20*time.Second, "the away reply in the simulator", func() bool { return len(st.autoTexts(dewi)) >= 1 })
	var first struct {
		ID             int64
		ConversationID int64
		WAMID          string
	}
	db.Raw(`SELECT m.id, m.conversation_id, m.wamid FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id
		WHERE c.wa_id = ? AND m.direction = 'in' ORDER BY m.id LIMIT 1`, dewi).Scan(&first)
	// Meta redelivers the same message; a second relay of it is queued.
	st.redeliver(dewi, first.WAMID, "Halo, selamat malam")
	waitUntil(t, 10*time.Second, "the first job done", func() bool {
		var n int64
		db.Raw(`SELECT count(*) FROM auto_reply_jobs`).Scan(&n)
		return n == 0
	})
	db.Exec(`INSERT INTO auto_reply_jobs (message_id, conversation_id) VALUES (?, ?)`, first.ID, first.ConversationID)
	admin.waitFor(t, 15*time.Second, "the away reply on the websocket", func(e wsEvent) bool {
		var d struct {
			Automated bool
			Message   models.Message
		}
		return e.Type == models.EventMessageCreated && json.Unmarshal(e.Data, &d) == nil && d.Automated && d.Message.Origin == autoreply.OriginAuto && d.Message.Body == away
	})
	// A chatty customer: the next line within the cool-down gets nothing.
	st.simPost("/sim/customers/"+dewi+"/messages", map[string]any{"type": "text", "text": "halo? ada orang?", "phoneNumberId": e2ePNID})
	waitUntil(t, 15*time.Second, "the conversation routed to Ayu", func() bool {
		var a *int64
		db.Raw(`SELECT assignee_agent_id FROM conversations WHERE id = ?`, first.ConversationID).Scan(&a)
		return a != nil && *a == seed.ayuID
	})
	// The keyword: its answer, and the conversation moves to sales.
	st.simPost("/sim/customers/"+dewi+"/messages", map[string]any{"type": "text", "text": "Berapa BIAYA ADMIN-nya?", "phoneNumberId": e2ePNID})
	waitUntil(t, 20*time.Second, "the keyword's reply", func() bool { return len(st.autoTexts(dewi)) >= 2 })
	ayu.waitFor(t, 15*time.Second, "the keyword reply on Ayu's websocket", func(e wsEvent) bool {
		var d struct {
			Automated bool
			Message   models.Message
		}
		return e.Type == models.EventMessageCreated && json.Unmarshal(e.Data, &d) == nil && d.Automated && d.Message.Body == price
	})
	waitUntil(t, 15*time.Second, "the conversation in the sales team", func() bool {
		var team *int64
		db.Raw(`SELECT team_id FROM conversations WHERE id = ?`, first.ConversationID).Scan(&team)
		return team != nil && *team == sales.ID
	})
	// agen: the hand-over, then automation is quiet.
	st.simPost("/sim/customers/"+dewi+"/messages", map[string]any{"type": "text", "text": "saya mau bicara dengan agen", "phoneNumberId": e2ePNID})
	waitUntil(t, 20*time.Second, "the hand-over reply", func() bool { return len(st.autoTexts(dewi)) >= 3 })
	st.simPost("/sim/customers/"+dewi+"/messages", map[string]any{"type": "text", "text": "harga?", "phoneNumberId": e2ePNID})
	waitUntil(t, 15*time.Second, "every job decided", func() bool {
		var n int64
		db.Raw(`SELECT count(*) FROM auto_reply_jobs`).Scan(&n)
		return n == 0
	})
	time.Sleep(2 * time.Second) // a late duplicate would have reached the simulator by now
	got := st.autoTexts(dewi)
	want := []string{away, price, autoreply.DefaultHandoverReply}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the simulator got %q, want exactly %q", got, want)
	}
	var stops int64
	db.Raw(`SELECT count(*) FROM auto_reply_stops WHERE conversation_id = ?`, first.ConversationID).Scan(&stops)
	if stops != 1 {
		t.Fatalf("hand-over stops: %d", stops)
	}
	// The thread: the three replies are marked automated, no agent wrote them.
	var page struct{ Items []models.Message }
	if code := st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", first.ConversationID), seed.admin, nil, &page); code != 200 {
		t.Fatalf("thread: %d", code)
	}
	autos := 0
	for _, m := range page.Items {
		if m.Origin == autoreply.OriginAuto {
			autos++
		}
	}
	var inbound int64
	db.Raw(`SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'in'`, first.ConversationID).Scan(&inbound)
	if autos != 3 || inbound != 5 {
		t.Fatalf("thread: %d automated messages (want 3), %d inbound (want 5: the redelivery stored nothing)", autos, inbound)
	}
}

// Attack: an agent (senders:read, not senders:write) lists a number's rules
// but cannot create, change or delete one (403); a rule is reached only
// through its own number, so another number's id answers 404 and its list
// stays empty.
func TestAutoReplyRulesNeedSendersWriteAndStayWithTheirNumber(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	base := fmt.Sprintf("/api/v1/senders/%d/auto-replies", seed.senderID)
	body := map[string]any{"kind": "keyword", "keywords": []string{"harga"}, "reply": "Mulai 10rb"}
	if code := st.call("POST", base, seed.ayu, body, nil); code != 403 {
		t.Fatalf("an agent created a rule: %d", code)
	}
	var rule autoreply.Rule
	if code := st.call("POST", base, seed.admin, body, &rule); code != 201 {
		t.Fatalf("admin create: %d", code)
	}
	var list struct{ Data []autoreply.Rule }
	if code := st.call("GET", base, seed.ayu, nil, &list); code != 200 || len(list.Data) != 1 {
		t.Fatalf("an agent reads the rules: %d %+v", code, list)
	}
	rulePath := fmt.Sprintf("%s/%d", base, rule.ID)
	if code := st.call("PUT", rulePath, seed.ayu, map[string]any{"kind": "away", "reply": "x"}, nil); code != 403 {
		t.Fatalf("an agent changed a rule: %d", code)
	}
	if code := st.call("DELETE", rulePath, seed.budi, nil, nil); code != 403 {
		t.Fatalf("an agent deleted a rule: %d", code)
	}
	var other struct{ ID int64 }
	if code := st.call("POST", "/api/v1/senders", seed.admin, map[string]any{"phoneNumberId": "2000000000777", "wabaId": "WABA-E2E", "displayNumber": "+62 21 5000 0777"}, &other); code != 201 {
		t.Fatalf("second number: %d", code)
	}
	otherRule := fmt.Sprintf("/api/v1/senders/%d/auto-replies/%d", other.ID, rule.ID)
	if code := st.call("PUT", otherRule, seed.admin, map[string]any{"kind": "away", "reply": "dibajak"}, nil); code != 404 {
		t.Fatalf("a rule changed through another number: %d", code)
	}
	if code := st.call("DELETE", otherRule, seed.admin, nil, nil); code != 404 {
		t.Fatalf("a rule deleted through another number: %d", code)
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/senders/%d/auto-replies", other.ID), seed.admin, nil, &list); code != 200 || len(list.Data) != 0 {
		t.Fatalf("another number lists this number's rule: %d %+v", code, list)
	}
	var got struct {
		Reply    string
		SenderID int64
	}
	st.db.Gorm.Raw(`SELECT reply, sender_id FROM auto_reply_rules WHERE id = ?`, rule.ID).Scan(&got)
	if got.Reply != "Mulai 10rb" || got.SenderID != seed.senderID {
		t.Fatalf("the rule after the attempts: %+v", got)
	}
	// A field error names the field, in Indonesian when asked.
	var e struct {
		Error struct{ Field, Message string }
	}
	if code := st.call("POST", base, seed.admin, map[string]any{"kind": "keyword", "reply": "x"}, &e, "Accept-Language", "id"); code != 400 ||
		e.Error.Field != "keywords" || e.Error.Message != "aturan kata kunci memerlukan setidaknya satu kata kunci" {
		t.Fatalf("missing keywords: %d %+v", code, e)
	}
}

// outboxTo are the accepted sends of type typ to phone.
func (st *stack) outboxTo(phone, typ string) []sim.OutboxEntry {
	var out []sim.OutboxEntry
	for _, e := range st.sim.Outbox() {
		if e.To == phone && e.Type == typ && e.ErrorCode == 0 && e.WAMID != "" {
			out = append(out, e)
		}
	}
	return out
}

// Self-service menus on the real stack: "menu" answers with three reply
// buttons and "layanan" with a list (both accepted by the strict
// simulator); the customer's taps are matched to the choices: an FAQ
// answer, a route to the sales team (from the list), and the hand-over
// (from the buttons), after which automation is quiet.
func TestAutoReplyMenuEndToEnd(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	var sales struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Penjualan", "strategy": "manual"}, &sales); code != 201 {
		t.Fatalf("team: %d", code)
	}
	choices := []map[string]any{
		{"id": "bill", "title": "Cek tagihan", "reply": "Tagihan Anda dapat dilihat di aplikasi, menu Tagihan."},
		{"id": "sales", "title": "Produk baru", "routeTeamId": sales.ID},
		{"id": "human", "title": "Bicara dengan agen", "handover": true},
	}
	base := fmt.Sprintf("/api/v1/senders/%d/auto-replies", seed.senderID)
	var buttons, list autoreply.Rule
	if code := st.call("POST", base, seed.admin, map[string]any{"kind": "keyword", "keywords": []string{"menu"}, "reply": "Pilih layanan:",
		"menu": map[string]any{"type": "buttons", "choices": choices}}, &buttons); code != 201 {
		t.Fatalf("buttons rule: %d", code)
	}
	if code := st.call("POST", base, seed.admin, map[string]any{"kind": "keyword", "keywords": []string{"layanan"}, "reply": "Layanan kami:",
		"menu": map[string]any{"type": "list", "button": "Lihat layanan", "choices": choices}}, &list); code != 201 {
		t.Fatalf("list rule: %d", code)
	}
	if code := st.call("POST", base, seed.admin, map[string]any{"kind": "away", "reply": "x", "menu": map[string]any{"type": "buttons", "choices": choices}}, nil); code != 400 {
		t.Fatalf("an away rule with a menu: %d", code)
	}
	const rina = "6281299911122"
	say := func(body map[string]any) {
		body["phoneNumberId"] = e2ePNID
		st.simPost("/sim/customers/"+rina+"/messages", body)
	}
	say(map[string]any{"type": "text", "text": "menu", "name": "Rina"})
	waitUntil(t, 20*time.Second, "the button menu", func() bool { return len(st.outboxTo(rina, "interactive")) == 1 })
	menuMsg := st.outboxTo(rina, "interactive")[0]
	say(map[string]any{"type": "interactive", "context": menuMsg.WAMID, "payload": autoreply.TapID(buttons.ID, "bill")})
	waitUntil(t, 20*time.Second, "the FAQ answer", func() bool { return len(st.autoTexts(rina)) == 1 })
	if got := st.autoTexts(rina)[0]; got != "Tagihan Anda dapat dilihat di aplikasi, menu Tagihan." {
		t.Fatalf("FAQ answer %q", got)
	}
	say(map[string]any{"type": "text", "text": "layanan apa saja?"})
	waitUntil(t, 20*time.Second, "the list menu", func() bool { return len(st.outboxTo(rina, "interactive")) == 2 })
	listMsg := st.outboxTo(rina, "interactive")[1]
	var lb struct {
		Interactive struct {
			Type   string
			Action struct{ Button string }
		}
	}
	if err := json.Unmarshal(listMsg.Body, &lb); err != nil || lb.Interactive.Type != "list" || lb.Interactive.Action.Button != "Lihat layanan" {
		t.Fatalf("list body %s", listMsg.Body)
	}
	say(map[string]any{"type": "list_reply", "context": listMsg.WAMID, "payload": autoreply.TapID(list.ID, "sales")})
	var convID int64
	waitUntil(t, 20*time.Second, "routed to sales by the list row", func() bool {
		var c struct {
			ID     int64
			TeamID *int64
		}
		db.Raw(`SELECT v.id, v.team_id FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.wa_id = ?`, rina).Scan(&c)
		convID = c.ID
		return c.TeamID != nil && *c.TeamID == sales.ID
	})
	say(map[string]any{"type": "interactive", "context": menuMsg.WAMID, "payload": autoreply.TapID(buttons.ID, "human")})
	waitUntil(t, 20*time.Second, "the hand-over", func() bool { return len(st.autoTexts(rina)) == 2 })
	say(map[string]any{"type": "text", "text": "menu"})
	waitUntil(t, 15*time.Second, "every job decided", func() bool {
		var n int64
		db.Raw(`SELECT count(*) FROM auto_reply_jobs`).Scan(&n)
		return n == 0
	})
	time.Sleep(2 * time.Second)
	if n, texts := len(st.outboxTo(rina, "interactive")), st.autoTexts(rina); n != 2 || len(texts) != 2 || texts[1] != autoreply.DefaultHandoverReply {
		t.Fatalf("after the hand-over: %d menus, texts %q", n, texts)
	}
	var stops int64
	db.Raw(`SELECT count(*) FROM auto_reply_stops WHERE conversation_id = ?`, convID).Scan(&stops)
	if stops != 1 {
		t.Fatalf("stops: %d", stops)
	}
}
