package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
)

// A customer taps a row of a list it received: the webhook is Meta's
// interactive list_reply with the row's id, title and description. A row
// the list does not have, a message that is no list or was sent to someone
// else, are refused (a customer can only tap what it was sent).
func TestCustomerTapsListRow(t *testing.T) {
	var mu sync.Mutex
	var inbound []waba.InboundMessage
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, _ := waba.ParseWebhook(body)
		mu.Lock()
		defer mu.Unlock()
		for _, c := range p.Changes {
			if c.Messages != nil {
				inbound = append(inbound, c.Messages.Messages...)
			}
		}
	}))
	defer hook.Close()
	s := sim.New(sim.Options{AppSecret: "s", WebhookURL: hook.URL, Seed: 1, SentDelay: time.Hour, DeliveredDelay: time.Hour, ReadDelay: time.Hour})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(phone string, body map[string]any) (int, map[string]any) {
		raw, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+"/sim/customers/"+phone+"/messages", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	const pnid, phone = "100000000000001", "6281234567890"
	if code, _ := post(phone, map[string]any{"text": "Halo"}); code != 200 {
		t.Fatalf("customer message: %d", code)
	}
	c := waba.NewClient(srv.URL, "v23.0", "any", nil)
	ctx := context.Background()
	list := waba.Interactive{Type: "list", Body: &waba.InteractiveText{Text: "Nilai layanan kami"}, Action: waba.InteractiveAction{Button: "Beri nilai",
		Sections: []waba.ListSection{{Title: "Nilai", Rows: []waba.ListRow{{ID: "r1", Title: "1 - Buruk"}, {ID: "r5", Title: "5 - Sangat puas", Description: "Terbaik"}}}}}}
	res, err := c.SendInteractive(ctx, pnid, phone, list, waba.SendOptions{BizOpaque: "1"})
	if err != nil {
		t.Fatal(err)
	}
	text, err := c.SendText(ctx, pnid, phone, "Terima kasih", false, waba.SendOptions{BizOpaque: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if code, out := post(phone, map[string]any{"type": "list_reply", "context": res.WAMID(), "payload": "r5"}); code != 200 {
		t.Fatalf("tap: %d %v", code, out)
	}
	mu.Lock()
	got := inbound[len(inbound)-1]
	mu.Unlock()
	if got.Type != "interactive" || got.Interactive == nil || got.Interactive.Type != "list_reply" || got.Interactive.ListReply == nil ||
		got.Interactive.ListReply.ID != "r5" || got.Interactive.ListReply.Title != "5 - Sangat puas" ||
		got.Interactive.ListReply.Description != "Terbaik" || got.Context == nil || got.Context.ID != res.WAMID() {
		t.Fatalf("list reply webhook %+v", got)
	}
	for name, body := range map[string]map[string]any{
		"unknown row":     {"type": "list_reply", "context": res.WAMID(), "payload": "r3"},
		"not a list":      {"type": "list_reply", "context": text.WAMID(), "payload": "r5"},
		"no such message": {"type": "list_reply", "context": "wamid.nope", "payload": "r5"},
		"no context":      {"type": "list_reply", "payload": "r5"},
	} {
		if code, _ := post(phone, body); code != 400 {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if code, _ := post("6289999999999", map[string]any{"type": "list_reply", "context": res.WAMID(), "payload": "r5"}); code != 400 {
		t.Errorf("another customer tapped the list: %d, want 400", code)
	}
}
