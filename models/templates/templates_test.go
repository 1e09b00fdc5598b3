package templates

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestValidateTemplateRules(t *testing.T) {
	t.Parallel()
	ok := Template{Name: "sapaan", Language: "id", Category: "MARKETING", ParameterFormat: "NAMED",
		Components: json.RawMessage(`[{"type":"BODY","text":"Halo {{nama}}, poin Anda {{poin}} ✨","example":{"body_text_named_params":[{"param_name":"nama","example":"Budi"},{"param_name":"poin","example":"10"}]}}]`)}
	if err := ValidateTemplate(&ok); err != nil {
		t.Fatalf("named template: %v", err)
	}
	restart := Template{Name: "a", Language: "en_US", Category: "UTILITY", Components: json.RawMessage(
		`[{"type":"HEADER","format":"TEXT","text":"No. {{1}}","example":{"header_text":["x"]}},{"type":"BODY","text":"Ya {{1}} {{2}} {{1}} ya","example":{"body_text":[["a","b"]]}}]`)}
	if err := ValidateTemplate(&restart); err != nil {
		t.Fatalf("numbering restarts per component and may repeat: %v", err)
	}
	for name, comps := range map[string]string{
		"starts at 2":   `[{"type":"BODY","text":"x {{2}} x","example":{"body_text":[["a"]]}}]`,
		"out of order":  `[{"type":"BODY","text":"x {{2}} {{1}} x","example":{"body_text":[["a","b"]]}}]`,
		"example short": `[{"type":"BODY","text":"x {{1}} {{2}} x","example":{"body_text":[["a"]]}}]`,
		// The rest are Meta's rules as waba/sim enforces them (docs/whatsapp.md).
		"var at start":      `[{"type":"BODY","text":"{{1}}, tagihan terbit.","example":{"body_text":[["a"]]}}]`,
		"var at end":        `[{"type":"BODY","text":"Halo {{1}}","example":{"body_text":[["a"]]}}]`,
		"header 2 vars":     `[{"type":"HEADER","format":"TEXT","text":"{{1}} {{2}}","example":{"header_text":["a","b"]}},{"type":"BODY","text":"x"}]`,
		"header no format":  `[{"type":"HEADER","text":"Halo"},{"type":"BODY","text":"x"}]`,
		"media no handle":   `[{"type":"HEADER","format":"DOCUMENT"},{"type":"BODY","text":"x"}]`,
		"3 url buttons":     `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"a","url":"https://a"},{"type":"URL","text":"b","url":"https://b"},{"type":"URL","text":"c","url":"https://c"}]}]`,
		"qr not grouped":    `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"a"},{"type":"URL","text":"b","url":"https://b"},{"type":"QUICK_REPLY","text":"c"}]}]`,
		"copy code no ex":   `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"COPY_CODE"}]}]`,
		"url var in middle": `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"b","url":"https://x/{{1}}/y","example":["https://x/1/y"]}]}]`,
		"phone without num": `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"PHONE_NUMBER","text":"Telepon"}]}]`,
		"empty footer":      `[{"type":"BODY","text":"x"},{"type":"FOOTER"}]`,
		"footer var":        `[{"type":"BODY","text":"x"},{"type":"FOOTER","text":"{{1}}"}]`,
		"two bodies":        `[{"type":"BODY","text":"x"},{"type":"BODY","text":"y"}]`,
		"not array":         `{"type":"BODY"}`,
		"button example":    `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"b","url":"https://x/{{1}}"}]}]`,
	} {
		tp := Template{Name: "a", Language: "id", Category: "UTILITY", Components: json.RawMessage(comps)}
		if err := ValidateTemplate(&tp); models.CodeOf(err) != models.EInvalid {
			t.Errorf("%s: want invalid, got %v", name, err)
		}
	}
	media := Template{Name: "a", Language: "id", Category: "UTILITY", Components: json.RawMessage(`[{"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["4::aGFuZGxl"]}},
	 {"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"COPY_CODE","example":"HEMAT10"},{"type":"QUICK_REPLY","text":"Ya"},{"type":"QUICK_REPLY","text":"Tidak"}]}]`)}
	if err := ValidateTemplate(&media); err != nil {
		t.Fatalf("document header + copy code: %v", err)
	}
	auth := func(comps string) Template {
		return Template{Name: "otp", Language: "id", Category: "AUTHENTICATION", Components: json.RawMessage(comps)}
	}
	okAuth := auth(`[{"type":"BODY","add_security_recommendation":true},{"type":"FOOTER","code_expiration_minutes":10},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE","text":"Salin"}]}]`)
	if err := ValidateTemplate(&okAuth); err != nil {
		t.Fatalf("authentication: %v", err)
	}
	for name, comps := range map[string]string{
		"auth body text":  `[{"type":"BODY","text":"Kode {{1}}"},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]`,
		"auth no otp":     `[{"type":"BODY"}]`,
		"auth quick repl": `[{"type":"BODY"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"a"}]}]`,
		"auth header":     `[{"type":"HEADER","format":"TEXT","text":"Kode"},{"type":"BODY"},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]`,
		"auth expiry 120": `[{"type":"BODY"},{"type":"FOOTER","code_expiration_minutes":120},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]`,
		"auth one tap":    `[{"type":"BODY"},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"ONE_TAP"}]}]`,
	} {
		tp := auth(comps)
		if err := ValidateTemplate(&tp); models.CodeOf(err) != models.EInvalid {
			t.Errorf("%s: want invalid, got %v", name, err)
		}
	}
}

func TestNormalizeParam(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Budi\tSantoso":        "Budi Santoso",
		"Sri     Rahayu":       "Sri Rahayu",
		"Sri    Rahayu":        "Sri    Rahayu", // 4 spaces are allowed
		"Jl. Merdeka\r\nNo. 5": "Jl. Merdeka No. 5",
		"  Wayan  ":            "Wayan",
		"Ñyoman  Ayu":          "Ñyoman  Ayu",
	} {
		if got := NormalizeParam(in); got != want {
			t.Errorf("NormalizeParam(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderTemplateMediaHeaderCopyCodeAndNormalisation(t *testing.T) {
	t.Parallel()
	tp := Template{Name: "tagihan", Language: "id", Components: json.RawMessage(`[{"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["h"]}},
	 {"type":"BODY","text":"Halo {{1}}, tagihan terlampir."},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Bayar","url":"https://x.id/{{1}}"},{"type":"COPY_CODE","example":"A"}]}]`)}
	_, err := RenderTemplate(tp, nil, map[string]string{"body.1": "Budi"})
	var de *models.Error
	if !asErr(err, &de) || !strings.Contains(de.Message, "header.media") || !strings.Contains(de.Message, "button.1.code") || !strings.Contains(de.Message, "button.0.1") {
		t.Fatalf("missing media/code/url: %v", err)
	}
	r, err := RenderTemplate(tp, map[string]string{"body.1": "contact.name"}, map[string]string{"contact.name": "Budi\tSantoso\n", "header.media": "https://x.id/t.pdf",
		"button.0.1": "INV 7", "button.1.code": "HEMAT10"})
	if err != nil || r.Preview != "[document]\nHalo Budi Santoso, tagihan terlampir." || len(r.Adjusted) != 1 || r.Adjusted[0] != "body.1" {
		t.Fatalf("render: %q %v %v", r.Preview, r.Adjusted, err)
	}
	w := r.WABA()
	raw, _ := json.Marshal(w.Components)
	want := `[{"type":"header","parameters":[{"type":"document","document":{"link":"https://x.id/t.pdf"}}]},{"type":"body","parameters":[{"type":"text","text":"Budi Santoso"}]},` +
		`{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"INV 7"}]},{"type":"button","sub_type":"copy_code","index":"1","parameters":[{"type":"coupon_code","coupon_code":"HEMAT10"}]}]`
	if string(raw) != want {
		t.Fatalf("waba components:\n%s\nwant\n%s", raw, want)
	}
}

func TestRenderTemplateNamed(t *testing.T) {
	t.Parallel()
	tp := Template{Name: "sapaan", Language: "id", ParameterFormat: "NAMED",
		Components: json.RawMessage(`[{"type":"BODY","text":"Halo {{nama}}, poin Anda {{poin}}"}]`)}
	_, err := RenderTemplate(tp, map[string]string{"body.nama": "contact.name"}, map[string]string{"contact.name": "Wayan"})
	var de *models.Error
	if !asErr(err, &de) || de.Code != models.EUnprocessable || !strings.Contains(de.Message, "body.poin") {
		t.Fatalf("missing: %v", err)
	}
	r, err := RenderTemplate(tp, map[string]string{"body.nama": "contact.name", "body.poin": "attr.points"},
		map[string]string{"contact.name": "Wayan Ñyoman", "attr.points": "120"})
	if err != nil || r.Preview != "Halo Wayan Ñyoman, poin Anda 120" {
		t.Fatalf("render: %q %v", r.Preview, err)
	}
	w := r.WABA()
	if len(w.Components) != 1 || w.Components[0].Parameters[1].ParameterName != "poin" || w.Components[0].Parameters[1].Text != "120" {
		t.Fatalf("waba shape: %+v", w)
	}
}

func asErr(err error, de **models.Error) bool {
	e, ok := err.(*models.Error)
	if ok {
		*de = e
	}
	return ok
}
