package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/workflows"
)

// A supervisor sets her team's SLA on the floor (15 s to a first and to a
// next response, on the wall clock so the test runs at any hour). A
// customer writes: the floor shows the SLA clock running down, the
// near-breach (12 s) and the breach (15 s) arrive from the
// ConversationWorkflow's durable timers (recorded once each), and the
// team's "past SLA" count goes up, all live. She assigns the customer to
// Ayu, Ayu answers: the wait ends. The customer writes again: a next
// response is due, Ayu answers in time, nothing more is recorded.
func TestWebUIFloorSLA(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	st.supervisor(seed)
	db.Exec(`UPDATE teams SET strategy = 'manual' WHERE id = ?`, seed.teamID)
	// A second team she supervises, without an SLA: where a customer can be moved.
	var other struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Layanan Umum", "strategy": "manual"}, &other); code != 201 {
		t.Fatalf("create team: %d", code)
	}
	var sari int64
	db.Raw(`SELECT id FROM agents WHERE email = 'sari@e2e.id'`).Scan(&sari)
	if code := st.call("PUT", fmt.Sprintf("/api/v1/teams/%d/members/%d", other.ID, sari), seed.admin, map[string]any{}, nil); code != 200 {
		t.Fatalf("add Sari to the second team: %d", code)
	}
	b := newBrowser(t, 90*time.Second)
	b.login(st, "sari@e2e.id", "agent-password-1")
	card := fmt.Sprintf(`.floor-team[data-team="%d"]`, seed.teamID)
	team := `document.querySelector('` + card + `')`
	rows := `[...document.querySelectorAll('#floor-waiting tbody tr[data-conv]')]`
	b.run("set the team's SLA on the floor",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		chromedp.Click(`[data-sub="floor"]`, chromedp.ByQuery),
		waitJS("the team", team+`?.textContent.includes('Penagihan Jakarta')`, 10*time.Second),
		waitJS("no SLA yet", team+`.querySelector('.floor-sla summary').textContent === 'SLA: belum diatur'`, 2*time.Second),
		chromedp.Click(card+` .floor-sla summary`, chromedp.ByQuery),
		setValue(card+` .floor-sla input[name="first"]`, "0.25"),
		setValue(card+` .floor-sla input[name="next"]`, "0.25"),
		chromedp.Click(card+` .floor-sla input[name="hours"]`, chromedp.ByQuery), // off: the wall clock
		chromedp.Click(card+` .floor-sla button[type="submit"]`, chromedp.ByQuery),
		waitJS("saved", team+`.querySelector('.floor-sla summary').textContent === 'SLA: pertama 0.25 mnt, berikutnya 0.25 mnt (24 jam)'`, 5*time.Second))
	var secs struct{ First, Next int }
	db.Raw(`SELECT first_response_secs AS first, next_response_secs AS next FROM sla_policies WHERE team_id = ? AND NOT business_hours`, seed.teamID).Scan(&secs)
	if secs.First != 15 || secs.Next != 15 {
		t.Fatalf("stored policy %+v", secs)
	}

	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, tagihan saya berapa?", "name": "Siti", "phoneNumberId": e2ePNID})
	clock := rows + `[0]?.querySelector('.sla')`
	b.run("the customer waits, the SLA clock runs",
		waitJS("one waiting with an SLA clock", rows+`.length === 1 && `+clock+`?.dataset.state === 'ok' && `+clock+`.textContent.startsWith('sisa 0:')`, 15*time.Second),
		screenshot(t, "ui-floor-sla-running-1366x768.png"))
	var conv int64
	db.Raw(`SELECT id FROM conversations WHERE team_id = ? ORDER BY id DESC LIMIT 1`, seed.teamID).Scan(&conv)
	b.run("near, then past the target",
		waitJS("near the target", clock+`?.dataset.state === 'near'`, 15*time.Second),
		waitJS("past it, counted on the team", clock+`?.dataset.state === 'breach' && `+clock+`.textContent.startsWith('lewat') && `+
			team+`.querySelector('[data-k="slaBreached"] strong').textContent === '1'`, 20*time.Second),
		screenshot(t, "ui-floor-sla-breached-1366x768.png"))
	type alert struct {
		Level string
		At    time.Time
		Due   time.Time `gorm:"column:due_at"`
	}
	var alerts []alert
	db.Raw(`SELECT level, at, due_at FROM sla_events WHERE conversation_id = ? ORDER BY id`, conv).Scan(&alerts)
	if len(alerts) != 2 || alerts[0].Level != "near" || alerts[1].Level != "breach" {
		t.Fatalf("sla events %+v, want near then breach", alerts)
	}
	if late := alerts[1].At.Sub(alerts[1].Due); late < 0 || late > 5*time.Second {
		t.Fatalf("breach recorded %v after its due time", late)
	}
	t.Logf("breach recorded %v after the due time", alerts[1].At.Sub(alerts[1].Due).Round(time.Millisecond))

	b.run("assign to Ayu from the floor",
		setValue(`#floor-waiting tr[data-conv] select`, fmt.Sprint(seed.ayuID)),
		chromedp.Click(`#floor-waiting tr[data-conv] button.primary`, chromedp.ByQuery),
		waitJS("Ayu serves it", rows+`.length === 1 && `+rows+`[0].children[2].textContent === 'Ayu Lestari'`, 10*time.Second))
	reply := func(key string) {
		t.Helper()
		if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), seed.ayu, map[string]any{"type": "text", "text": "Baik, saya cek"}, nil, "Idempotency-Key", key); code != 202 {
			t.Fatalf("reply: %d", code)
		}
	}
	reply("sla-reply-1")
	b.run("answered: off the floor, no breach left",
		waitJS("nobody waiting", rows+`.length === 0 && `+team+`.querySelector('[data-k="slaBreached"] strong').textContent === '0'`, 10*time.Second))

	// The customer writes again: a next response is due.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Jadi berapa?", "name": "Siti", "phoneNumberId": e2ePNID})
	b.run("a next-response wait",
		waitJS("waiting again with a clock", rows+`.length === 1 && `+clock+`?.dataset.state === 'ok'`, 15*time.Second))
	var kind string
	db.Raw(`SELECT sla_kind FROM conversations WHERE id = ?`, conv).Scan(&kind)
	if kind != "next" {
		t.Fatalf("wait kind %q, want next", kind)
	}
	reply("sla-reply-2")
	b.run("answered in time", waitJS("nobody waiting", rows+`.length === 0`, 10*time.Second))
	time.Sleep(16 * time.Second) // past where the next wait's breach would have been
	var n int64
	db.Raw(`SELECT count(*) FROM sla_events WHERE conversation_id = ?`, conv).Scan(&n)
	if n != 2 {
		t.Fatalf("%d sla events, want the first wait's 2 only", n)
	}

	// The customer writes a third time; the supervisor moves them to the
	// other team's queue from the floor: that team has no SLA, the clock goes.
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Saya mau tanya hal lain", "name": "Siti", "phoneNumberId": e2ePNID})
	b.run("move to the other team",
		waitJS("waiting again", rows+`.length === 1 && `+clock+`?.dataset.state === 'ok'`, 15*time.Second),
		setValue(`#floor-waiting tr[data-conv] select.move-team`, fmt.Sprint(other.ID)),
		chromedp.Click(`#floor-waiting tr[data-conv] button.move`, chromedp.ByQuery),
		waitJS("in the other team, without an SLA clock", rows+`.length === 1 && `+rows+`[0].children[1].textContent === 'Layanan Umum' && !`+clock, 10*time.Second),
		screenshot(t, "ui-floor-sla-moved-1366x768.png"))
	var moved int64
	db.Raw(`SELECT team_id FROM conversations WHERE id = ?`, conv).Scan(&moved)
	if moved != other.ID {
		t.Fatalf("team %d after the move, want %d", moved, other.ID)
	}
	// The breach is in the date-range report too (its SLA section, from the
	// rollup the alert's delta was folded into).
	slaTotal := `(r => r && [...r.querySelectorAll('tr')].find(x => x.children[1]?.textContent === 'Total'))(document.querySelector('#rep-sla'))`
	b.run("the breach in the report",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		waitJS("the SLA section counts the near-breach and the breach", `(row => !!row && Number(row.children[2].textContent) >= 1 && Number(row.children[3].textContent) >= 1 && Number(row.children[4].textContent) >= 1)(`+slaTotal+`)`, 30*time.Second),
		chromedp.ScrollIntoView("#rep-sla", chromedp.ByQuery),
		screenshot(t, "ui-reports-sla-1366x768.png"),
		chromedp.Click(`[data-sub="floor"]`, chromedp.ByQuery),
		waitJS("the floor again", team+`?.textContent.includes('Penagihan Jakarta')`, 10*time.Second))
	// Hours in the agent's zone: the supervisor turns business hours back
	// on, counted in the zone of the agent serving; what the form does not
	// show (the team's zone) stays. The admin gives Ayu her zone.
	b.run("SLA hours in the agent's zone",
		chromedp.Click(card+` .floor-sla summary`, chromedp.ByQuery),
		chromedp.Click(card+` .floor-sla input[name="hours"]`, chromedp.ByQuery),
		chromedp.Click(card+` .floor-sla input[name="agentZone"]`, chromedp.ByQuery),
		chromedp.Click(card+` .floor-sla button[type="submit"]`, chromedp.ByQuery),
		waitJS("saved in the agent's zone", team+`.querySelector('.floor-sla summary').textContent === 'SLA: pertama 0.25 mnt, berikutnya 0.25 mnt (jam kerja di zona agen)'`, 5*time.Second))
	var pol struct {
		AgentZone, BusinessHours bool
		Zone                     string
	}
	db.Raw(`SELECT agent_zone, business_hours, zone FROM sla_policies WHERE team_id = ?`, seed.teamID).Scan(&pol)
	if !pol.AgentZone || !pol.BusinessHours || pol.Zone != "Asia/Jakarta" {
		t.Fatalf("policy after the agent-zone edit: %+v", pol)
	}
	adm := newBrowser(t, 60*time.Second)
	adm.login(st, "admin@e2e.id", "admin-password-1")
	ayuZone := fmt.Sprintf(`#agents-list select[data-agent-zone="%d"]`, seed.ayuID)
	adm.run("the admin sets Ayu's zone",
		chromedp.Navigate(st.apiURL+"/admin/agents"),
		waitJS("agents listed", `!!document.querySelector('`+ayuZone+`')`, 10*time.Second),
		setValue(ayuZone, "Asia/Makassar"),
		waitJS("saved", `document.body.textContent.includes('Zona waktu Ayu')`, 5*time.Second),
		screenshot(t, "ui-agents-zone-1366x768.png"))
	var zone string
	db.Raw(`SELECT zone FROM agents WHERE id = ?`, seed.ayuID).Scan(&zone)
	if zone != "Asia/Makassar" {
		t.Fatalf("Ayu's zone %q", zone)
	}
	adm.noErrors()
	b.noErrors()
	saveHistory(t, st, workflows.ConversationWorkflowID(seed.senderID, contactOf(t, st, conv)), "conversation_v3.json")
}
