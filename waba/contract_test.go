package waba_test

// The contract suite: every send shape the product produces, built the way
// the product builds it (templates.RenderTemplate for template sends, the
// inbox's media/caption rules, reply-to, BSUID recipients), sent with the
// product's client to the strict simulator. Any refusal, synchronous or as
// a failed status, fails the suite: the simulator holds Meta's documented
// rules, so a shape it refuses is a shape Meta would refuse.

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
)

func TestContractEverySendShape(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	const to = "6281234567890"
	inbound := e.customerWrites(t, to, "Halo")
	// A customer known only by business-scoped user id.
	resp, err := http.Post(e.srv.URL+"/sim/customers/6285500000000/messages", "application/json",
		strings.NewReader(`{"text":"halo","userId":"ID.55500000000ABC","hidePhone":true}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("bsuid customer: %v", err)
	}
	resp.Body.Close()
	pdf, err := e.client.UploadMedia(ctx, pnid, "tagihan.pdf", "application/pdf", strings.NewReader("%PDF-1.4"))
	if err != nil {
		t.Fatal(err)
	}
	handle, err := e.client.UploadHandle(ctx, "400000000000001", "contoh.pdf", "application/pdf", []byte("%PDF-1.4 contoh"))
	if err != nil {
		t.Fatal(err)
	}
	// Templates as the product stores them (validated locally first, as Submit does).
	defs := map[string]templates.Template{
		"tagihan_dokumen": {Category: "UTILITY", Components: json.RawMessage(`[{"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["` + handle + `"]}},
			{"type":"BODY","text":"Halo {{1}}, tagihan {{2}} terlampir.","example":{"body_text":[["Budi","Rp 1.000"]]}},
			{"type":"FOOTER","text":"Balas STOP untuk berhenti"},
			{"type":"BUTTONS","buttons":[{"type":"URL","text":"Bayar","url":"https://contoh.co.id/b/{{1}}","example":["https://contoh.co.id/b/1"]},{"type":"COPY_CODE","example":"HEMAT10"},{"type":"QUICK_REPLY","text":"Sudah bayar"}]}]`)},
		"sapa_nama": {Category: "MARKETING", ParameterFormat: "NAMED", Components: json.RawMessage(`[{"type":"HEADER","format":"TEXT","text":"Promo {{kota}}","example":{"header_text_named_params":[{"param_name":"kota","example":"Bandung"}]}},
			{"type":"BODY","text":"Halo {{nama}}, poin Anda {{poin}} ya.","example":{"body_text_named_params":[{"param_name":"nama","example":"Budi"},{"param_name":"poin","example":"10"}]}}]`)},
		"info_singkat": {Category: "UTILITY", Components: json.RawMessage(`[{"type":"BODY","text":"Tagihan Anda sudah terbit."}]`)},
	}
	for name, d := range defs {
		d.Name, d.Language = name, "id"
		if err := templates.ValidateTemplate(&d); err != nil {
			t.Fatalf("local validation of %s: %v", name, err)
		}
		createApproved(t, e, name, d.ParameterFormat, string(d.Components))
		d.Category = defs[name].Category
		defs[name] = d
	}
	render := func(name string, mapping, values map[string]string) waba.Template {
		t.Helper()
		r, err := templates.RenderTemplate(defs[name], mapping, values)
		if err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
		return r.WABA()
	}
	// Imported names with tabs, new lines and long runs of spaces.
	messy := map[string]string{"contact.name": "Budi\tSantoso\n", "body.2": "Rp  1.500.000", "button.0.1": "INV-7", "button.1.code": "HEMAT10"}
	media := func(kind string, m waba.OutboundMedia) waba.OutboundMessage {
		out := waba.OutboundMessage{Type: kind}
		switch kind {
		case "image":
			out.Image = &m
		case "video":
			out.Video = &m
		case "audio":
			out.Audio = &m
		case "document":
			out.Document = &m
		}
		return out
	}
	shapes := []struct {
		name string
		to   string
		m    waba.OutboundMessage
		o    waba.SendOptions
	}{
		{"text", to, waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: "Baik Bu 😊"}}, opts},
		{"text reply-to", to, waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: "Ini jawabannya"}}, waba.SendOptions{BizOpaque: "1", ReplyTo: inbound}},
		{"stored reply-to", to, waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: "x"}, Context: &waba.ReplyContext{MessageID: inbound}}, opts},
		{"image by link with caption", to, media("image", waba.OutboundMedia{Link: "https://contoh.co.id/s.jpg", Caption: "Struk"}), opts},
		{"video by link", to, media("video", waba.OutboundMedia{Link: "https://contoh.co.id/v.mp4", Caption: "Cara bayar"}), opts},
		{"document by id with filename", to, media("document", waba.OutboundMedia{ID: pdf, Caption: "Tagihan", Filename: "tagihan.pdf"}), opts},
		{"audio by link", to, media("audio", waba.OutboundMedia{Link: "https://contoh.co.id/a.ogg"}), opts},
		{"reaction", to, waba.OutboundMessage{Type: "reaction", Reaction: &waba.OutboundReaction{MessageID: inbound, Emoji: "👍"}}, opts},
		{"interactive buttons", to, waba.OutboundMessage{Type: "interactive", Interactive: &waba.Interactive{Type: "button", Body: &waba.InteractiveText{Text: "Pilih"},
			Action: waba.InteractiveAction{Buttons: []waba.ReplyButton{{Type: "reply", Reply: waba.ButtonTitle{ID: "va", Title: "Virtual account"}}}}}}, opts},
		{"interactive list", to, waba.OutboundMessage{Type: "interactive", Interactive: &waba.Interactive{Type: "list", Body: &waba.InteractiveText{Text: "Pilih"},
			Action: waba.InteractiveAction{Button: "Tenor", Sections: []waba.ListSection{{Title: "Cicilan", Rows: []waba.ListRow{{ID: "3", Title: "3 bulan", Description: "Bunga 0%"}}}}}}}, opts},
		{"interactive cta_url", to, waba.OutboundMessage{Type: "interactive", Interactive: &waba.Interactive{Type: "cta_url", Body: &waba.InteractiveText{Text: "Bayar"},
			Action: waba.InteractiveAction{Name: "cta_url", Parameters: &waba.CTAURL{DisplayText: "Bayar", URL: "https://contoh.co.id"}}}}, opts},
		{"template: document header by link, messy names, url + copy_code", "6281200000001", waba.OutboundMessage{Type: "template", Template: ptr(render("tagihan_dokumen",
			map[string]string{"body.1": "contact.name"}, merge(messy, map[string]string{"header.media": "https://contoh.co.id/t.pdf"})))}, opts},
		{"template: document header by media id", "6281200000002", waba.OutboundMessage{Type: "template", Template: ptr(render("tagihan_dokumen",
			map[string]string{"body.1": "contact.name"}, merge(messy, map[string]string{"header.media": pdf})))}, opts},
		{"template: named with text header", "6281200000003", waba.OutboundMessage{Type: "template", Template: ptr(render("sapa_nama",
			nil, map[string]string{"header.kota": "Kota\nBaru", "body.nama": "Sri     Rahayu", "body.poin": "120"}))}, opts},
		{"template: no variables", "6281200000004", waba.OutboundMessage{Type: "template", Template: ptr(render("info_singkat", nil, nil))}, opts},
		{"BSUID: text", "ID.55500000000ABC", waba.OutboundMessage{Type: "text", Text: &waba.OutboundText{Body: "Halo"}}, opts},
		{"BSUID: template", "ID.55500000000ABC", waba.OutboundMessage{Type: "template", Template: ptr(render("info_singkat", nil, nil))}, opts},
	}
	for _, s := range shapes {
		m := s.m
		m.To = s.to
		r, err := e.client.Send(ctx, pnid, m, s.o)
		if err != nil {
			t.Errorf("%s: refused: %v", s.name, err)
			continue
		}
		eventually(t, s.name+" delivered", func() bool {
			for _, st := range e.rc.statusOf(r.WAMID()) {
				if st == "delivered" || st == "failed" {
					return true
				}
			}
			return false
		})
		if code := e.rc.failedCode(r.WAMID()); code != 0 {
			t.Errorf("%s: failed asynchronously with %d", s.name, code)
		}
	}
	if err := e.client.MarkRead(ctx, pnid, inbound, true); err != nil {
		t.Errorf("read receipt with typing indicator: %v", err)
	}
	for _, o := range e.sim.Outbox() {
		if o.ErrorCode != 0 {
			t.Errorf("the simulator refused %s: %d %s", o.Type, o.ErrorCode, o.Body)
		}
	}
	// Reply-to went out threaded.
	threaded := 0
	for _, o := range e.sim.Outbox() {
		if o.ReplyTo == inbound {
			threaded++
		}
	}
	if threaded != 2 {
		t.Errorf("threaded sends = %d, want 2", threaded)
	}
}

func ptr[T any](v T) *T { return &v }

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
