package sim

import (
	_ "embed"
	"net/http"
)

// phonePage is the dev "customer phone": a page on the simulator where a
// newcomer plays a customer. It sends as the customer through
// POST /sim/customers/{phone}/messages and shows what the business sent
// to that number from GET /sim/outbox, so it needs nothing else.
//
//go:embed phone.html
var phonePage []byte

// handlePhone serves the customer phone page (GET /sim/phone).
func (s *Sim) handlePhone(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(phonePage)
}
