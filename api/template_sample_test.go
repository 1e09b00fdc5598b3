package api

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func (e *restEnv) sample(tok, format, filename, claimed string, data []byte) (int, map[string]any) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("format", format)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="` + filename + `"`}
	h["Content-Type"] = []string{claimed}
	w, _ := mw.CreatePart(h)
	_, _ = w.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.api.URL+"/api/v1/templates/header-sample", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The sample of a media header: uploaded to the (strict) Resumable Upload
// API for a handle Meta accepts at creation; what WhatsApp would refuse is
// refused here first, by the bytes and not by what the browser claims.
func TestTemplateHeaderSample(t *testing.T) {
	t.Parallel()
	e := newRestEnv(t)
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	code, out := e.sample("admin", "DOCUMENT", "kontrak.pdf", "application/pdf", pdf)
	h, _ := out["handle"].(string)
	if code != 201 || !strings.HasPrefix(h, "4::") || out["contentType"] != "application/pdf" {
		t.Fatalf("pdf sample: %d %v", code, out)
	}
	// The handle is one Meta takes: the template with it is created and approved.
	comps := `[{"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["` + h + `"]}},{"type":"BODY","text":"Kontrak Anda terlampir."}]`
	code, out = e.do("POST", "/api/v1/templates", "admin", `{"name":"kontrak","language":"id","category":"UTILITY","wabaId":"`+testWABA+`","components":`+comps+`}`)
	if code != 201 {
		t.Fatalf("create with the handle: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if code, out := e.do("POST", "/api/v1/templates/"+strconv.FormatInt(id, 10)+"/submit", "admin", ""); code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}

	for name, c := range map[string]struct {
		tok, format, claimed string
		data                 []byte
		code                 int
	}{
		"a PNG claimed to be a PDF": {"admin", "DOCUMENT", "application/pdf", png, 422},
		"a PDF as an IMAGE header":  {"admin", "IMAGE", "image/png", pdf, 422},
		"a TEXT header has no file": {"admin", "TEXT", "text/plain", []byte("x"), 400},
		"an empty file":             {"admin", "DOCUMENT", "application/pdf", nil, 400},
		"an image over 5 MB":        {"admin", "IMAGE", "image/png", append(png, make([]byte, 5<<20)...), 413},
		"without templates:write":   {"reader", "DOCUMENT", "application/pdf", pdf, 403},
	} {
		if code, out := e.sample(c.tok, c.format, "f", c.claimed, c.data); code != c.code {
			t.Errorf("%s: %d %v, want %d", name, code, out, c.code)
		}
	}

	// Without the app id the route says what is missing.
	e2 := newRestEnvApp(t, "")
	if code, out := e2.sample("admin", "DOCUMENT", "kontrak.pdf", "application/pdf", pdf); code != 503 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "SCRM_WABA_APP_ID") {
		t.Fatalf("no app id: %d %v", code, out)
	}
}
