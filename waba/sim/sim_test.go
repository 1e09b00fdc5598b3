package sim_test

import (
	"context"
	"encoding/json"
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

func TestPersonaTapsQuickReplyAndControlEndpoints(t *testing.T) {
	var mu sync.Mutex
	var inbound []waba.InboundMessage
	var bad int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !waba.VerifySignature([]byte("s"), body, r.Header.Get(waba.SignatureHeader)) {
			bad++
			w.WriteHeader(401)
			return
		}
		p, _ := waba.ParseWebhook(body)
		for _, c := range p.Changes {
			if c.Messages != nil {
				inbound = append(inbound, c.Messages.Messages...)
			}
		}
	}))
	defer hook.Close()
	s := sim.New(sim.Options{AppSecret: "s", WebhookURL: hook.URL, Seed: 1, SentDelay: time.Millisecond, DeliveredDelay: 2 * time.Millisecond,
		ReadDelay: 3 * time.Millisecond, TemplateReviewDelay: time.Millisecond, Persona: &sim.Persona{ReplyRate: 1, PressButton: true}})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := waba.NewClient(srv.URL, "v23.0", "any", nil)
	ctx := context.Background()
	if _, err := c.CreateTemplate(ctx, "200000000000001", waba.TemplateDef{Name: "konfirmasi", Language: "id", Category: "UTILITY",
		Components: json.RawMessage(`[{"type":"BODY","text":"Apakah Anda sudah membayar?"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Sudah"}]}]`)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.SendTemplate(ctx, "100000000000001", "6281234567890", waba.Template{Name: "konfirmasi", Language: waba.TemplateLanguage{Code: "id"}}, waba.SendOptions{BizOpaque: "1"}); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("template never approved: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		mu.Lock()
		n := len(inbound)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("persona never replied")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	if inbound[0].Type != "button" || inbound[0].Button.Text != "Sudah" || inbound[0].Context == nil || bad != 0 {
		t.Fatalf("reply = %+v (bad signatures %d)", inbound[0], bad)
	}
	mu.Unlock()

	// The persona's reply opened the window: free-form now succeeds without 131047.
	if _, err := c.SendText(ctx, "100000000000001", "6281234567890", "Terima kasih!", false, waba.SendOptions{BizOpaque: "2"}); err != nil {
		t.Fatal(err)
	}
	get := func(path string, v any) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	var ob struct{ Data []sim.OutboxEntry }
	get("/sim/outbox", &ob)
	last := ob.Data[len(ob.Data)-1]
	if last.Type != "text" || last.FailedAsync || last.BizOpaque != "2" || !strings.Contains(string(last.Body), "Terima kasih") {
		t.Fatalf("outbox last = %+v", last)
	}
	var cnt sim.Counters
	get("/sim/counters", &cnt)
	if cnt.Accepted != 2 || cnt.ByType["template"] != 1 || cnt.MaxPerSecond["100000000000001"] < 1 || cnt.Inbound < 1 {
		t.Fatalf("counters = %+v", cnt)
	}
	resp, _ := http.Post(srv.URL+"/sim/reset", "application/json", nil)
	resp.Body.Close()
	get("/sim/outbox", &ob)
	if len(ob.Data) != 0 {
		t.Fatalf("outbox after reset: %d", len(ob.Data))
	}
}
