package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// besideField is true when the API's error for field f shows beside it
// (right after its label), the field is marked and no other error shows;
// the message holds want (its Indonesian text).
func besideField(f, want string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector('.field-error[data-for="%[1]s"]'); const f = document.querySelector('[data-field="%[1]s"]');
		return !!e && !!f && f.classList.contains('invalid') && e.previousElementSibling === (f.closest('label') || f)
			&& document.querySelectorAll('.field-error').length === 1 && e.textContent.includes(%[2]q); })()`, f, want)
}

// The editors no other test drives: a wait for a duration, until a time of
// day, until a date field +/- days; assign to an agent and to a team; a
// promise to pay; set an attribute. Each of the API's errors on them shows
// beside its field; the saved definition holds exactly what was typed, and
// the builder shows it again on reopening.
func TestWebUIJourneyEditors(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	var team2 struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Penagihan Surabaya", "strategy": "round_robin"}, &team2); code != 201 {
		t.Fatalf("create team: %d", code)
	}

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
		waitJS("builder", `!!document.querySelector('#jb-name') && !!document.querySelector('#jb-add-kind option')`, 15*time.Second),
		chromedp.SendKeys("#jb-name", "Editor lengkap", chromedp.ByQuery),
		add("wait"), add("wait"), add("wait"), add("assign"), add("assign"), add("update_case"), add("set_attribute"), add("stop"),
		// 1. a duration: 400 days first (longer than a wait may be).
		waitJS("a new wait is 1 hour", `document.querySelector('[data-field="steps[0].wait.seconds"]').value === '1' && document.querySelector('`+step(0, ".jb-unit")+`').value === 'h'`, time.Second),
		setValue(field("steps[0].wait.seconds"), "400"), setValue(step(0, ".jb-unit"), "d"),
		// 2. until a time of day.
		setValue(step(1, ".jb-wait-mode"), "at"),
		waitJS("the time of day", `!!document.querySelector('[data-field="steps[1].wait.atTime"]') && !document.querySelector('[data-field="steps[1].wait.seconds"]')`, time.Second),
		setValue(field("steps[1].wait.atTime"), "10:30"),
		// 3. until a date field: a misspelt one, 400 days off.
		setValue(step(2, ".jb-wait-mode"), "field"),
		waitJS("the date field", `document.querySelector('[data-field="steps[2].wait.field"]')?.value === 'case.due_date'`, time.Second),
		setValue(field("steps[2].wait.field"), "tanggal_bayar"),
		setValue(field("steps[2].wait.offsetDays"), "400"),
		setValue(field("steps[2].wait.atTime"), "08:15"),
		// 4, 5: an agent (none picked yet), then a team.
		setValue(step(4, ".jb-assign-kind"), "team"),
		waitJS("the team list", `document.querySelector('`+step(4, ".jb-assign-kind")+`').value === 'team' && [...document.querySelector('[data-field="steps[4].agentId"]').options].some(o => o.textContent === 'Penagihan Surabaya')`, time.Second),
		setValue(field("steps[4].agentId"), fmt.Sprint(team2.ID)),
		// 6. a promise in 120 days (90 at most); 7. an attribute without a name.
		setValue(field("steps[5].promiseDays"), "120"),
		setValue(field("steps[6].value"), "janji_bayar"),
		chromedp.EmulateViewport(1366, 2600),
		save("steps[0].wait.seconds", "harus antara 1 dan 31622400 (dalam detik: paling lama 366 hari)"),
		screenshot(t, "ui-journey-editors-error.png"),
		chromedp.EmulateViewport(1366, 768),
		setValue(field("steps[0].wait.seconds"), "2"), setValue(step(0, ".jb-unit"), "h"),
		save("steps[2].wait.field", "bukan kolom tanggal"),
		setValue(field("steps[2].wait.field"), "case.due_date"),
		save("steps[2].wait.offsetDays", "harus antara -366 dan 366"),
		setValue(field("steps[2].wait.offsetDays"), "-3"),
		save("steps[3].agentId", "isi tepat salah satu"),
		setValue(field("steps[3].agentId"), fmt.Sprint(seed.ayuID)),
		save("steps[5].promiseDays", "harus antara 0 dan 90"),
		setValue(field("steps[5].promiseDays"), "7"),
		save("steps[6].attribute", "wajib diisi"),
		chromedp.SendKeys(field("steps[6].attribute"), "status_bayar", chromedp.ByQuery),
		chromedp.EmulateViewport(1366, 2600),
		screenshot(t, "ui-journey-editors.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", `/^\/journeys\/\d+$/.test(location.pathname) && !!document.querySelector('#jv-edit')`, 15*time.Second))

	var id int64
	db.Raw(`SELECT id FROM journeys WHERE name = 'Editor lengkap'`).Scan(&id)
	var stored string
	db.Raw(`SELECT definition::text FROM journey_versions WHERE journey_id = ? AND version = 1`, id).Scan(&stored)
	want := fmt.Sprintf(`{"steps": [
		{"id": "s1", "kind": "wait", "wait": {"seconds": 7200}},
		{"id": "s2", "kind": "wait", "wait": {"atTime": "10:30"}},
		{"id": "s3", "kind": "wait", "wait": {"field": "case.due_date", "offsetDays": -3, "atTime": "08:15"}},
		{"id": "s4", "kind": "assign", "agentId": %d},
		{"id": "s5", "kind": "assign", "teamId": %d},
		{"id": "s6", "kind": "update_case", "action": "promise_to_pay", "promiseDays": 7},
		{"id": "s7", "kind": "set_attribute", "attribute": "status_bayar", "value": "janji_bayar"},
		{"id": "s8", "kind": "stop"}]}`, seed.ayuID, team2.ID)
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

	// Reopened, the builder shows what was saved; saving unchanged stores
	// no new version.
	b.run("reopen",
		chromedp.Click("#jv-edit", chromedp.ByQuery),
		waitJS("the steps loaded", `document.querySelectorAll('.jb-step').length === 8`, 15*time.Second),
		waitJS("the duration", `document.querySelector('[data-field="steps[0].wait.seconds"]').value === '2' && document.querySelector('`+step(0, ".jb-unit")+`').value === 'h'
			&& document.querySelector('`+step(0, ".jb-wait-mode")+`').value === 'for'`, time.Second),
		waitJS("the time of day", `document.querySelector('`+step(1, ".jb-wait-mode")+`').value === 'at' && document.querySelector('[data-field="steps[1].wait.atTime"]').value === '10:30'`, time.Second),
		waitJS("the date field", `document.querySelector('`+step(2, ".jb-wait-mode")+`').value === 'field' && document.querySelector('[data-field="steps[2].wait.field"]').value === 'case.due_date'
			&& document.querySelector('[data-field="steps[2].wait.offsetDays"]').value === '-3' && document.querySelector('[data-field="steps[2].wait.atTime"]').value === '08:15'`, time.Second),
		waitJS("the agent", fmt.Sprintf(`document.querySelector('%s').value === 'agent' && document.querySelector('[data-field="steps[3].agentId"]').value === '%d'
			&& document.querySelector('[data-field="steps[3].agentId"]').selectedOptions[0].textContent === 'Ayu Lestari'`, step(3, ".jb-assign-kind"), seed.ayuID), time.Second),
		waitJS("the team", fmt.Sprintf(`document.querySelector('%s').value === 'team' && document.querySelector('[data-field="steps[4].agentId"]').value === '%d'`, step(4, ".jb-assign-kind"), team2.ID), time.Second),
		waitJS("the promise", `document.querySelector('[data-field="steps[5].promiseDays"]').value === '7' && document.querySelector('[data-field="steps[5].action"]').value === 'promise_to_pay'`, time.Second),
		waitJS("the attribute", `document.querySelector('[data-field="steps[6].attribute"]').value === 'status_bayar' && document.querySelector('[data-field="steps[6].value"]').value === 'janji_bayar'`, time.Second),
		chromedp.EmulateViewport(1366, 2600),
		screenshot(t, "ui-journey-editors-reopened.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", fmt.Sprintf(`location.pathname === '/journeys/%d'`, id), 15*time.Second))
	var versions int64
	db.Raw(`SELECT count(*) FROM journey_versions WHERE journey_id = ?`, id).Scan(&versions)
	if versions != 1 {
		t.Errorf("%d versions after saving unchanged, want 1", versions)
	}

	// A launch refused for a field of the builder (no number to send
	// from): the page leads to the builder, which shows it beside the field.
	if err := db.Exec(`UPDATE journeys SET sender_id = NULL WHERE id = ?`, id).Error; err != nil {
		t.Fatal(err)
	}
	b.run("a launch refused for the number",
		chromedp.Reload(),
		waitJS("the journey's page", `!!document.querySelector('#jv-launch') && document.querySelector('#jv-sender')?.textContent === '—'`, 15*time.Second),
		chromedp.Click("#jv-launch", chromedp.ByQuery),
		waitJS("the refusal, and the way to the field", `document.querySelector('#jv-head + .form-error')?.textContent.includes('pilih nomor pengirim perjalanan') && !!document.querySelector('#jv-fix')`, 15*time.Second),
		chromedp.Click("#jv-fix", chromedp.ByQuery),
		waitJS("beside the number in the builder", besideField("senderId", "pilih nomor pengirim perjalanan"), 15*time.Second),
		screenshot(t, "ui-journey-launch-error.png"),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", `!!document.querySelector('#jv-launch') && document.querySelector('#jv-sender')?.textContent === '+622150000001'`, 15*time.Second),
		chromedp.Click("#jv-launch", chromedp.ByQuery),
		waitJS("live", `document.querySelector('#jv-status [data-status]')?.dataset.status === 'live'`, 15*time.Second))
	b.noErrors()
}

// The journey's page enrols pasted phone numbers, pasted contact ids and
// the contacts of a finished import besides a segment, shows the counts
// the API answered, and puts its errors beside the field.
func TestWebUIJourneyEnrolByList(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	st.audience(seed.admin, "jr-list", 1, 3) // 62813...1-3 reachable, 4-8 opted out
	var j struct{ ID int64 }
	if code := st.call("POST", "/api/v1/journeys", seed.admin, map[string]any{"name": "Daftar tempel", "senderId": seed.senderID,
		"quietHours": map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"},
		"definition": map[string]any{"steps": []map[string]any{{"id": "w", "kind": "wait", "wait": map[string]any{"seconds": 86400}}}}}, &j); code != 201 {
		t.Fatalf("create journey: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/journeys/%d/launch", j.ID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("launch: %d", code)
	}
	// A finished import of 2 new customers and one of the audience's.
	var job struct {
		Job struct{ ID int64 } `json:"job"`
	}
	if code := st.call("POST", "/api/v1/intake", seed.admin, map[string]any{"rows": []map[string]any{{"phone": "081477770001", "name": "Rina"},
		{"phone": "081477770002", "name": "Sari"}, {"phone": "081300000001", "name": "Pelanggan 1"}}}, &job, "Idempotency-Key", "jr-list-1"); code != 202 {
		t.Fatalf("intake: %d", code)
	}
	waitUntil(t, 30*time.Second, "the import finished", func() bool {
		var s string
		db.Raw(`SELECT status FROM intake_jobs WHERE id = ?`, job.Job.ID).Scan(&s)
		return s == "completed"
	})
	var c1 int64
	db.Raw(`SELECT id FROM contacts WHERE phone_e164 = '+6281300000001'`).Scan(&c1)

	b := newBrowser(t, 120*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	counts := func(want map[string]int) string {
		js := `(() => { const n = (k) => document.querySelector('#jv-enroll-result [data-k="' + k + '"] strong')?.textContent; return true`
		for k, v := range want {
			js += fmt.Sprintf(` && n(%q) === '%d'`, k, v)
		}
		return js + `; })()`
	}
	b.run("phone numbers",
		chromedp.Navigate(fmt.Sprintf("%s/journeys/%d", st.apiURL, j.ID)),
		waitJS("the enrol form", `!!document.querySelector('#jv-enroll-mode') && !!document.querySelector('#jv-segment')`, 15*time.Second),
		setValue("#jv-enroll-mode", "list"),
		waitJS("the list", `!!document.querySelector('#jv-contacts') && document.querySelector('#jv-list-kind').value === 'phones'`, time.Second),
		// Nothing pasted: said beside the list, nothing sent.
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("empty list", besideField("phones", "Tempel minimal satu"), 2*time.Second),
		// The third entry is no phone number: the API names phones[2].
		setValue("#jv-contacts", "0813 0000 0001\n+62 813-0000-0002\nbukan nomor\n081300000004\n081399999999"),
		waitJS("5 entries counted", `document.querySelector('#jv-list-count').textContent === '5 entri'`, time.Second),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("the API's error beside the list", `(() => { const e = document.querySelector('.field-error[data-for="phones[2]"]');
			return !!e && e.previousElementSibling === document.querySelector('#jv-contacts').closest('label') && e.textContent.includes('"bukan nomor" bukan nomor telepon yang valid')
				&& document.querySelector('#jv-contacts').classList.contains('invalid'); })()`, 15*time.Second),
		screenshot(t, "ui-journey-enrol-error.png"),
		setValue("#jv-contacts", "0813 0000 0001\n+62 813-0000-0002, 081300000004\n081399999999"),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("the counts", counts(map[string]int{"matched": 3, "enrolled": 2, "optedOut": 1, "notFound": 1, "alreadyRunning": 0}), 15*time.Second),
		waitJS("no error left", `!document.querySelector('.field-error')`, time.Second),
		screenshot(t, "ui-journey-enrol-phones.png"))
	b.run("contact ids",
		setValue("#jv-list-kind", "contactIds"),
		setValue("#jv-contacts", fmt.Sprintf("%d x7", c1)),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("a bad id beside the list", besideField("contactIds[1]", `"x7" bukan ID kontak`)+` || (() => { const e = document.querySelector('.field-error[data-for="contactIds[1]"]');
			return !!e && e.textContent.includes('"x7" bukan ID kontak') && e.previousElementSibling === document.querySelector('#jv-contacts').closest('label'); })()`, 2*time.Second),
		setValue("#jv-contacts", fmt.Sprintf("%d 999999", c1)),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("the counts", counts(map[string]int{"matched": 1, "enrolled": 0, "alreadyRunning": 1, "notFound": 1}), 15*time.Second))
	b.run("a finished import",
		setValue("#jv-enroll-mode", "intake"),
		waitJS("the import listed", fmt.Sprintf(`document.querySelector('#jv-intake')?.value === '%d' && document.querySelector('#jv-intake').selectedOptions[0].textContent.includes('kiriman API · 3 baris')`, job.Job.ID), 2*time.Second),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("the counts", counts(map[string]int{"matched": 3, "enrolled": 2, "alreadyRunning": 1, "optedOut": 0}), 15*time.Second),
		screenshot(t, "ui-journey-enrol-intake.png"))
	// The list shows the counts from its own answer: no detail per journey.
	b.run("the list",
		chromedp.Navigate(st.apiURL+"/journeys"),
		waitJS("the list's counts", fmt.Sprintf(`document.querySelector('#journey-list tr[data-id="%d"] td[data-k="running"]')?.textContent === '4'`, j.ID), 15*time.Second),
		waitJS("no detail read", `!performance.getEntriesByType('resource').some(e => /\/api\/v1\/journeys\/\d+$/.test(new URL(e.name).pathname))`, time.Second))
	var rows []struct {
		Phone  string
		Source string
	}
	db.Raw(`SELECT c.phone_e164 AS phone, e.source FROM journey_enrollments e JOIN contacts c ON c.id = e.contact_id WHERE e.journey_id = ? ORDER BY c.phone_e164`, j.ID).Scan(&rows)
	got := fmt.Sprint(rows)
	if want := "[{+6281300000001 api} {+6281300000002 api} {+6281477770001 list} {+6281477770002 list}]"; got != want {
		t.Errorf("enrollments %s, want %s", got, want)
	}
	b.noErrors()
}
