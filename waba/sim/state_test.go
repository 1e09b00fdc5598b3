package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/wabascrm/scrm/waba/sim"
)

// A restarted simulator with a state file still knows the templates it
// approved (a send of one is accepted, not 132001), its numbers' changes
// and the customers who stopped marketing.
func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wabasim.json")
	withState := func(o *sim.Options) { o.StateFile = path }
	r := newRig(t, withState)
	r.approved("promo", tplDef("promo", "MARKETING", okBody))
	r.control("/sim/customers/"+rPhone+"/preferences", `{"value":"stop"}`)
	r.control("/sim/numbers/"+rPNID+"/quality", `{"quality":"YELLOW"}`)
	r.sim.Close() // writes the state once more

	r2 := newRig(t, withState)
	send := `{"messaging_product":"whatsapp","to":"6281100000041","type":"template","template":{"name":"promo","language":{"code":"id"}}}`
	if code, out := r2.send(send); code != 200 {
		t.Fatalf("send of a template approved before the restart: %d %v", code, out)
	}
	code, out := r2.send(`{"messaging_product":"whatsapp","to":"` + rPhone + `","type":"template","template":{"name":"promo","language":{"code":"id"}}}`)
	st := lastStatus(r2, wamidOf(t, code, out), "failed")
	if e := asList(st["errors"]); len(e) != 1 || e[0]["code"] != 131050.0 {
		t.Fatalf("opt-out forgotten: %v", st)
	}
	_, nums := r2.call("GET", "/sim/numbers", "")
	if q := asList(nums["data"])[0]["quality"]; q != "YELLOW" {
		t.Fatalf("quality after the restart: %v", q)
	}
}
