package templates

import (
	"encoding/json"
	"testing"
)

func TestApplyEdit(t *testing.T) {
	stored := json.RawMessage(`[{"type":"HEADER","format":"TEXT","text":"Tagihan"},
		{"type":"BODY","text":"Halo {{1}}, tagihan {{2}}.","example":{"body_text":[["Siti","Rp1"]]}},
		{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Sudah bayar"},{"type":"URL","text":"Bayar","url":"https://bank.id/{{1}}"},{"type":"PHONE_NUMBER","text":"Telepon","phone_number":"+6221500"}]}]`)
	out, err := ApplyEdit(stored, Edit{Body: "Halo {{1}}, tagihan {{2}} jatuh tempo {{3}}.", Header: "Tagihan baru", Footer: "Bank Contoh",
		Buttons: []EditButton{{Type: "URL", Text: "Bayar sekarang", URL: "https://bank.id/bayar/{{1}}"}, {Type: "PHONE_NUMBER", Text: "Hubungi", PhoneNumber: "+6221777"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"format":"TEXT","text":"Tagihan baru","type":"HEADER"},{"example":{"body_text":[["Siti","Rp1"]]},"text":"Halo {{1}}, tagihan {{2}} jatuh tempo {{3}}.","type":"BODY"},{"text":"Bank Contoh","type":"FOOTER"},{"buttons":[{"text":"Sudah bayar","type":"QUICK_REPLY"},{"text":"Bayar sekarang","type":"URL","url":"https://bank.id/bayar/{{1}}"},{"phone_number":"+6221777","text":"Hubungi","type":"PHONE_NUMBER"}],"type":"BUTTONS"}]`
	if string(out) != want {
		t.Fatalf("edited:\n%s\nwant\n%s", out, want)
	}
	// A media header keeps its format; an empty edit changes nothing.
	media := json.RawMessage(`[{"type":"HEADER","format":"IMAGE","example":{"header_handle":["h"]}},{"type":"BODY","text":"x"}]`)
	out, _ = ApplyEdit(media, Edit{Header: "ignored", Body: "y"})
	if string(out) != `[{"example":{"header_handle":["h"]},"format":"IMAGE","type":"HEADER"},{"text":"y","type":"BODY"}]` {
		t.Fatalf("media header: %s", out)
	}
	if _, err := ApplyEdit(json.RawMessage(`{`), Edit{}); err == nil {
		t.Fatal("broken stored components accepted")
	}
}
