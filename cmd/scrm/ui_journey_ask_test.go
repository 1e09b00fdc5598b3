package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The builder edits an ask_promise_date step ("Tanya tanggal janji
// bayar"): its message, how many dates, the list's button, the wait for the
// tap and where a date and no date lead, followed by a wait until the
// case's promise date (the follow-up on the date). The API's errors show
// beside their fields; the stored definition holds what was typed and the
// reopened builder shows it again.
func TestWebUIJourneyAskPromiseDate(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	st.seedInbox()
	db := st.db.Gorm
	b := newBrowser(t, 120*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	add := func(kind string) chromedp.Action {
		return chromedp.Tasks{setValue("#jb-add-kind", kind), chromedp.Click("#jb-add", chromedp.ByQuery),
			waitJS("step "+kind+" added", fmt.Sprintf(`[...document.querySelectorAll('.jb-step')].pop()?.dataset.kind === %q`, kind), 2*time.Second)}
	}
	field := func(f string) string { return fmt.Sprintf(`[data-field="%s"]`, f) }
	step := func(i int, sel string) string { return fmt.Sprintf(`.jb-step[data-index="%d"] %s`, i, sel) }
	save := func(f, want string) chromedp.Action {
		return chromedp.Tasks{chromedp.Click("#jb-save", chromedp.ByQuery), waitJS("the API's error beside "+f, besideField(f, want), 15*time.Second)}
	}
	b.run("build",
		chromedp.Navigate(st.apiURL+"/journeys/new"),
		waitJS("builder", `!!document.querySelector('#jb-name') && [...document.querySelectorAll('#jb-add-kind option')].some(o => o.value === 'ask_promise_date' && o.textContent === 'Tanya tanggal janji bayar')`, 15*time.Second),
		chromedp.SendKeys("#jb-name", "Janji bayar mandiri", chromedp.ByQuery),
		add("ask_promise_date"), add("wait"), add("assign"), add("stop"),
		waitJS("a new ask offers 5 dates for a day", `document.querySelector('[data-field="steps[0].dates"]').value === '5' && document.querySelector('[data-field="steps[0].button"]').value === 'Pilih tanggal'
			&& document.querySelector('[data-field="steps[0].timeoutSeconds"]').value === '1' && document.querySelector('`+step(0, ".jb-unit")+`').value === 'd'`, time.Second),
		setValue(step(1, ".jb-wait-mode"), "field"),
		waitJS("the date field", `!!document.querySelector('[data-field="steps[1].wait.field"]')`, time.Second),
		setValue(field("steps[1].wait.field"), "case.promise_date"),
		setValue(field("steps[1].wait.offsetDays"), "0"),
		setValue(field("steps[2].agentId"), "1"),
		save("steps[0].body", "wajib diisi"),
		setValue(field("steps[0].body"), "Kapan Anda bisa membayar tagihan Anda?"),
		setValue(field("steps[0].dates"), "11"),
		save("steps[0].dates", "harus antara 1 dan 10"),
		setValue(field("steps[0].dates"), "3"),
		setValue(field("steps[0].button"), "Pilih tanggal pembayaran"), // 24: longer than Meta's 20
		save("steps[0].button", "paling banyak 20 karakter"),
		setValue(field("steps[0].button"), "Pilih tanggal bayar"),
		setValue(field("steps[0].timeoutSeconds"), "4"), setValue(step(0, ".jb-unit"), "h"),
		setValue(field("steps[0].next"), "s2"),
		setValue(field("steps[0].else"), "s3"),
		setValue(field("steps[2].next"), "s4"),
		chromedp.EmulateViewport(1366, 1800),
		screenshot(t, "ui-journey-ask-promise.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", `/^\/journeys\/\d+$/.test(location.pathname) && !!document.querySelector('#jv-edit')`, 15*time.Second))

	var id int64
	db.Raw(`SELECT id FROM journeys WHERE name = 'Janji bayar mandiri'`).Scan(&id)
	var stored string
	db.Raw(`SELECT definition::text FROM journey_versions WHERE journey_id = ? AND version = 1`, id).Scan(&stored)
	want := `{"steps": [
		{"id": "s1", "kind": "ask_promise_date", "body": "Kapan Anda bisa membayar tagihan Anda?", "dates": 3, "button": "Pilih tanggal bayar", "timeoutSeconds": 14400, "next": "s2", "else": "s3"},
		{"id": "s2", "kind": "wait", "wait": {"field": "case.promise_date"}},
		{"id": "s3", "kind": "assign", "agentId": 1, "next": "s4"},
		{"id": "s4", "kind": "stop"}]}`
	var got, exp any
	if err := json.Unmarshal([]byte(stored), &got); err != nil {
		t.Fatalf("stored definition %q: %v", stored, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("stored definition\n%s\nwant\n%s", stored, want)
	}
	b.run("reopen",
		chromedp.Click("#jv-edit", chromedp.ByQuery),
		waitJS("the steps loaded", `document.querySelectorAll('.jb-step').length === 4`, 15*time.Second),
		waitJS("the ask", `document.querySelector('[data-field="steps[0].body"]').value === 'Kapan Anda bisa membayar tagihan Anda?'
			&& document.querySelector('[data-field="steps[0].dates"]').value === '3' && document.querySelector('[data-field="steps[0].button"]').value === 'Pilih tanggal bayar'
			&& document.querySelector('[data-field="steps[0].timeoutSeconds"]').value === '4' && document.querySelector('`+step(0, ".jb-unit")+`').value === 'h'
			&& document.querySelector('[data-field="steps[0].next"]').value === 's2' && document.querySelector('[data-field="steps[0].else"]').value === 's3'`, time.Second),
		waitJS("the follow-up on the date", `document.querySelector('[data-field="steps[1].wait.field"]').value === 'case.promise_date'`, time.Second),
		chromedp.EmulateViewport(1366, 1800),
		screenshot(t, "ui-journey-ask-promise-reopened.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", fmt.Sprintf(`location.pathname === '/journeys/%d'`, id), 15*time.Second))
	var versions int64
	db.Raw(`SELECT count(*) FROM journey_versions WHERE journey_id = ?`, id).Scan(&versions)
	if versions != 1 {
		t.Errorf("%d versions after saving unchanged, want 1", versions)
	}
	b.noErrors()
}
