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
		`[{"type":"HEADER","text":"{{1}}","example":{"header_text":["x"]}},{"type":"BODY","text":"{{1}} {{2}} {{1}}","example":{"body_text":[["a","b"]]}}]`)}
	if err := ValidateTemplate(&restart); err != nil {
		t.Fatalf("numbering restarts per component and may repeat: %v", err)
	}
	for name, comps := range map[string]string{
		"starts at 2":    `[{"type":"BODY","text":"{{2}}","example":{"body_text":[["a"]]}}]`,
		"out of order":   `[{"type":"BODY","text":"{{2}} {{1}}","example":{"body_text":[["a","b"]]}}]`,
		"example short":  `[{"type":"BODY","text":"{{1}} {{2}}","example":{"body_text":[["a"]]}}]`,
		"footer var":     `[{"type":"BODY","text":"x"},{"type":"FOOTER","text":"{{1}}"}]`,
		"two bodies":     `[{"type":"BODY","text":"x"},{"type":"BODY","text":"y"}]`,
		"not array":      `{"type":"BODY"}`,
		"button example": `[{"type":"BODY","text":"x"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"b","url":"https://x/{{1}}"}]}]`,
	} {
		tp := Template{Name: "a", Language: "id", Category: "UTILITY", Components: json.RawMessage(comps)}
		if err := ValidateTemplate(&tp); models.CodeOf(err) != models.EInvalid {
			t.Errorf("%s: want invalid, got %v", name, err)
		}
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
