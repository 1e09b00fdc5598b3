package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/csat"
)

// An admin switches the CSAT survey on in Tim (the business on, the team
// on explicitly, a shorter answer time) and reads the ratings on Laporan:
// Ayu's 5, 4 and 2 today are an average of 3.67 out of 5, 2 of 3 satisfied,
// in the KPI, the 1-5 chart and the per-agent and per-team table.
func TestWebUICSAT(t *testing.T) {
	t.Parallel()
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	b := newBrowser(t, 60*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("csat settings in Tim",
		chromedp.Click(`[data-nav="teams"]`, chromedp.ByQuery),
		waitJS("the csat form", `!!document.querySelector('#csat-form #csat-question')`, 20*time.Second),
		waitJS("the default question", `document.querySelector('#csat-question').value === `+jsString(csat.DefaultQuestion), 2*time.Second),
		chromedp.Click("#csat-enabled", chromedp.ByQuery),
		setValue("#csat-timeout", "120"),
		setValue(`[data-csat-team]`, "on"),
		chromedp.ScrollIntoView("#csat-form", chromedp.ByQuery),
		screenshot(t, "ui-csat-settings-1366x768.png"),
		chromedp.Click("#csat-save", chromedp.ByQuery))
	waitUntil(t, 10*time.Second, "settings saved", func() bool {
		var on bool
		var mins int
		db.Raw(`SELECT s.enabled AND t.enabled, s.timeout_minutes FROM csat_settings s JOIN csat_team_settings t ON t.team_id = ?`, seed.teamID).Row().Scan(&on, &mins)
		return on && mins == 120
	})

	// Three answers to Ayu's surveys today (the same statement the ingest
	// runs: the trigger counts them, the report folds them).
	for i, rating := range []int{5, 4, 2} {
		var contact, conv, survey int64
		db.Raw(`INSERT INTO contacts (phone_e164, name) VALUES (?, 'Pelanggan CSAT') RETURNING id`, "+6281277700"+string(rune('1'+i))).Scan(&contact)
		db.Raw(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, status) VALUES (?, ?, ?, ?, 'resolved') RETURNING id`,
			seed.senderID, contact, seed.teamID, seed.ayuID).Scan(&conv)
		db.Raw(`INSERT INTO csat_surveys (conversation_id, episode_at, team_id, agent_id, sender_id, sent_at, expires_at)
			VALUES (?, now(), ?, ?, ?, now(), now() + interval '1 hour') RETURNING id`, conv, seed.teamID, seed.ayuID, seed.senderID).Scan(&survey)
		if err := csat.RecordRating(t.Context(), db, survey, rating, time.Now(), ""); err != nil {
			t.Fatal(err)
		}
	}
	kpi := `document.querySelector('#rep-kpis [data-k="csat"]')`
	b.run("csat on Laporan",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		waitJS("the csat KPI", kpi+`?.querySelector('strong').textContent === '3,67 / 5'`, 30*time.Second),
		waitJS("responses and satisfied", `(t => t.includes('3 tanggapan') && t.includes('66,7%'))(`+kpi+`.textContent)`, 2*time.Second),
		waitJS("five bars", `document.querySelectorAll('#rep-chart-csat rect.bar').length === 5`, 2*time.Second),
		waitJS("ratings 2, 4 and 5 drawn", `[...document.querySelectorAll('#rep-chart-csat rect.bar')].map(r => Number(r.getAttribute('height')) > 0).join() === 'false,true,false,true,true'`, 2*time.Second),
		waitJS("agent and team rows", `(t => t.includes('Ayu Lestari') && t.includes('Penagihan Jakarta') && t.includes('3,67'))(document.querySelector('#rep-csat').textContent)`, 2*time.Second),
		chromedp.Evaluate(`document.querySelector('#rep-chart-csat').scrollIntoView({block: 'center'})`, nil),
		screenshot(t, "ui-csat-reports-1366x768.png"),
		chromedp.ScrollIntoView("#rep-csat", chromedp.ByQuery),
		screenshot(t, "ui-csat-table-1366x768.png"))
	b.noErrors()
}

// jsString is s as a JavaScript string literal (JSON's quoting is valid JS).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
