package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models"
)

// A supervisor opens Laporan: yesterday's conversation of its team counts
// in the default 7 days, the 30-day range adds one from 20 days ago, and
// the CSV export downloads the same numbers.
func TestWebUIReports(t *testing.T) {
	t.Parallel()
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	st.supervisor(seed)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wib := models.LoadZone("Asia/Jakarta")
	now := time.Now().In(wib)
	day := func(back int) time.Time {
		d := now.AddDate(0, 0, -back)
		return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, wib)
	}
	for i, back := range []int{1, 20} {
		var contact, conv int64
		db.Raw(`INSERT INTO contacts (phone_e164, name) VALUES (?, ?) RETURNING id`, "+62812555000"+string(rune('1'+i)), "Pelanggan Laporan").Scan(&contact)
		db.Raw(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, labels, created_at, updated_at)
			VALUES (?, ?, ?, ?, '{tagihan}', ?, ?) RETURNING id`, seed.senderID, contact, seed.teamID, seed.ayuID, day(back), day(back)).Scan(&conv)
		exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status, created_at) VALUES (?, 'in', 'text', 'halo', ?, 'received', ?)`,
			conv, "rep-in-"+string(rune('a'+i)), day(back))
		var out int64
		db.Raw(`INSERT INTO messages (conversation_id, direction, type, body, status, created_at) VALUES (?, 'out', 'text', 'siap', 'queued', ?) RETURNING id`,
			conv, day(back).Add(4*time.Minute)).Scan(&out)
		exec(`UPDATE messages SET author_agent_id = ? WHERE id = ?`, seed.ayuID, out)
		// Meta's pricing of the reply: free inside the service window.
		exec(`UPDATE messages SET pricing_model = 'PMP', pricing_type = 'free_customer_service', pricing_category = 'service', billable = false WHERE id = ?`, out)
		if i == 0 {
			var tpl int64
			db.Raw(`INSERT INTO messages (conversation_id, direction, type, status, created_at) VALUES (?, 'out', 'template', 'queued', ?) RETURNING id`,
				conv, day(back).Add(time.Hour)).Scan(&tpl)
			exec(`UPDATE messages SET status = 'sent', sent_at = created_at WHERE id = ?`, tpl)
			exec(`UPDATE messages SET pricing_model = 'PMP', pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE id = ?`, tpl)
		}
	}

	dir := t.TempDir()
	b := newBrowser(t, 60*time.Second)
	b.login(st, "sari@e2e.id", "agent-password-1")
	kpi := func(k string) string {
		return `document.querySelector('#rep-kpis [data-k="` + k + `"] strong')?.textContent`
	}
	b.run("reports, last 7 days",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		waitJS("one new conversation", kpi("conversationsNew")+` === '1'`, 30*time.Second),
		waitJS("first response in business time", kpi("frtP50")+`?.includes('mnt') || `+kpi("frtP50")+`?.includes('dtk')`, 2*time.Second),
		waitJS("daily chart bars", `document.querySelectorAll('#rep-chart-daily rect.bar').length === 14`, 2*time.Second),
		waitJS("agent row", `document.querySelector('#rep-agents').textContent.includes('Ayu Lestari')`, 2*time.Second),
		screenshot(t, "ui-reports-7d-1366x768.png"))
	b.run("reports, last 30 days",
		chromedp.Click(`.rep-quick [data-days="30"]`, chromedp.ByQuery),
		waitJS("two new conversations", kpi("conversationsNew")+` === '2'`, 30*time.Second),
		waitJS("30 days of bars", `document.querySelectorAll('#rep-chart-daily rect.bar').length === 60`, 2*time.Second),
		waitJS("the range is in the address", `location.search.includes('from=')`, 2*time.Second),
		waitJS("label chart", `document.querySelectorAll('#rep-chart-labels rect.bar').length === 30`, 2*time.Second),
		screenshot(t, "ui-reports-30d-1366x768.png"),
		waitJS("free and paid messages", `(t => t.includes('Gratis') && t.includes('586,33'))(document.querySelector('#rep-cost').textContent)`, 2*time.Second),
		waitJS("cost KPI", kpi("cost")+`?.includes('586,33')`, 2*time.Second),
		chromedp.ScrollIntoView("#rep-cases", chromedp.ByQuery),
		screenshot(t, "ui-reports-tables-1366x768.png"),
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir),
		chromedp.Click("#rep-export-csv", chromedp.ByQuery))
	var file string
	deadline := time.Now().Add(10 * time.Second)
	for file == "" && time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(dir, "laporan-*.csv"))
		if len(m) == 1 {
			file = m[0]
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if file == "" {
		t.Fatal("no CSV downloaded")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(rows) < 2 || rows[1][0] != "total" || rows[1][3] != "2" {
		t.Fatalf("csv %q: %v", raw, err)
	}
	if !strings.Contains(filepath.Base(file), now.AddDate(0, 0, -29).Format(time.DateOnly)) {
		t.Fatalf("file name %s does not carry the range", file)
	}
	b.run("phone width",
		chromedp.EmulateViewport(390, 844),
		waitJS("still laid out", `document.querySelector('#rep-kpis').getBoundingClientRect().width <= 390`, 2*time.Second),
		screenshot(t, "ui-reports-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	b.noErrors()
}
