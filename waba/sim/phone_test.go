package sim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/waba/sim"
)

// The simulator serves the customer phone page and keeps every other route.
func TestPhoneHandler(t *testing.T) {
	s := sim.New(sim.Options{AppSecret: "x", Numbers: []sim.Number{{PhoneNumberID: "1001", Display: "+62 21 5000 0009", WABAID: "W"}}})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, ct, body := get("/sim/phone"); code != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "/sim/customers/") {
		t.Fatalf("phone page: %d %s", code, ct)
	}
	if code, _, body := get("/sim/numbers"); code != 200 || !strings.Contains(body, `"phoneNumberId":"1001"`) {
		t.Fatalf("numbers through the phone handler: %d %s", code, body)
	}
	if code, _, _ := get("/sim/nope"); code != 404 {
		t.Fatalf("unknown /sim path: %d", code)
	}
}
