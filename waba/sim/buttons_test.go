package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// tap posts a customer message and returns the HTTP status and the error.
func (r *rig) tap(body string) (int, string) {
	r.t.Helper()
	resp, err := http.Post(r.srv.URL+"/sim/customers/"+rPhone+"/messages", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	msg, _ := out["error"].(string)
	return resp.StatusCode, msg
}

// lastInbound is the newest inbound message delivered.
func (r *rig) lastInbound() map[string]any {
	r.t.Helper()
	var last map[string]any
	for _, v := range r.hooks.values("messages") {
		if ms, _ := v["messages"].([]any); len(ms) > 0 {
			last = ms[len(ms)-1].(map[string]any)
		}
	}
	return last
}

// A customer taps only what it was sent. A quick-reply tap names the
// template message (context) and the button by its label; the webhook
// carries the send's payload for that button, else the label (Meta's button
// webhook reference). A reply-button tap carries the button's id and title.
// Made-up payloads, unknown labels, messages that are no template or were
// sent to someone else are refused.
func TestRulesButtonTaps(t *testing.T) {
	r := newRig(t, nil)
	r.approved("tawar_bayar", `{"name":"tawar_bayar","language":"id","category":"UTILITY","components":[
	 {"type":"BODY","text":"Tagihan Anda jatuh tempo."},
	 {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Saya akan bayar"},{"type":"QUICK_REPLY","text":"Bicara dengan agen"}]}]}`)
	r.customer(rPhone, `{"text":"halo"}`) // opens the window for the text and buttons below
	sendID := func(body string) string {
		code, out := r.send(body)
		if code != 200 {
			t.Fatalf("send refused: %v", out)
		}
		return out["messages"].([]any)[0].(map[string]any)["id"].(string)
	}
	plain := sendID(tplSend("tawar_bayar", ""))
	withPayload := sendID(tplSend("tawar_bayar", `{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"AGENT"}]}`))
	text := sendID(txt(`"type":"text","text":{"body":"Halo"}`))
	buttons := sendID(txt(`"type":"interactive","interactive":{"type":"button","body":{"text":"Pilih"},"action":{"buttons":[
	 {"type":"reply","reply":{"id":"pay-now","title":"Bayar sekarang"}},{"type":"reply","reply":{"id":"later","title":"Nanti"}}]}}`))

	check := func(name, body, wantType, wantPayload, wantText string) {
		t.Helper()
		if code, msg := r.tap(body); code != 200 {
			t.Fatalf("%s: refused %d %s", name, code, msg)
		}
		var got map[string]any
		r.eventually(name+" webhook", func() bool { got = r.lastInbound(); return got != nil && got["type"] == wantType })
		var p, x any
		switch wantType {
		case "button":
			b := got["button"].(map[string]any)
			p, x = b["payload"], b["text"]
		case "interactive":
			b := got["interactive"].(map[string]any)["button_reply"].(map[string]any)
			p, x = b["id"], b["title"]
		}
		if p != wantPayload || x != wantText {
			t.Fatalf("%s: payload %v text %v, want %q %q", name, p, x, wantPayload, wantText)
		}
		if c, _ := got["context"].(map[string]any); c == nil || c["id"] == nil {
			t.Fatalf("%s: no context in %v", name, got)
		}
	}
	check("label as the default payload", `{"type":"button","text":"Saya akan bayar","context":"`+plain+`"}`, "button", "Saya akan bayar", "Saya akan bayar")
	check("the send's payload", `{"type":"button","text":"Bicara dengan agen","context":"`+withPayload+`"}`, "button", "AGENT", "Bicara dengan agen")
	check("the send's payload, named by the caller", `{"type":"button","text":"Bicara dengan agen","payload":"AGENT","context":"`+withPayload+`"}`, "button", "AGENT", "Bicara dengan agen")
	check("reply button by id", `{"type":"interactive","payload":"later","context":"`+buttons+`"}`, "interactive", "later", "Nanti")
	check("reply button by title", `{"type":"interactive","text":"Bayar sekarang","context":"`+buttons+`"}`, "interactive", "pay-now", "Bayar sekarang")

	for _, c := range []struct{ name, body, quote string }{
		{"a tap without context", `{"type":"button","text":"Saya akan bayar"}`, "needs context"},
		{"a made-up payload", `{"type":"button","text":"Saya akan bayar","payload":"promise","context":"` + plain + `"}`, `not "promise"`},
		{"the payload of another send", `{"type":"button","text":"Bicara dengan agen","payload":"AGENT","context":"` + plain + `"}`, `carries payload "Bicara dengan agen"`},
		{"a label the template does not have", `{"type":"button","text":"Janji bayar","context":"` + plain + `"}`, "no quick-reply button"},
		{"a quick-reply tap on a text", `{"type":"button","text":"Saya akan bayar","context":"` + text + `"}`, "not a template"},
		{"a quick-reply tap on reply buttons", `{"type":"button","text":"Nanti","context":"` + buttons + `"}`, "not a template"},
		{"a reply-button tap on a template", `{"type":"interactive","payload":"later","context":"` + plain + `"}`, "no reply buttons"},
		{"an unknown reply button", `{"type":"interactive","payload":"never","context":"` + buttons + `"}`, "no reply button"},
		{"an unknown message", `{"type":"button","text":"Saya akan bayar","context":"wamid.nope"}`, "no message"},
	} {
		if code, msg := r.tap(c.body); code != 400 || !strings.Contains(msg, c.quote) {
			t.Errorf("%s: %d %q, want 400 containing %q", c.name, code, msg, c.quote)
		}
	}
	// Another customer cannot tap this customer's template.
	resp, err := http.Post(r.srv.URL+"/sim/customers/6281299999999/messages", "application/json",
		strings.NewReader(`{"type":"button","text":"Saya akan bayar","context":"`+plain+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("another customer's tap: %d, want 400", resp.StatusCode)
	}
}
