package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wabascrm/scrm/models/templates"
)

// journeyTemplate creates and approves a UTILITY template with one body
// variable.
func (st *stack) journeyTemplate(admin, name, body string) int64 {
	return st.approvedTemplate(admin, name, []map[string]any{{"type": "BODY", "text": body, "example": map[string]any{"body_text": [][]string{{"Siti"}}}}})
}

// approvedTemplate submits a UTILITY template of the components and waits
// for the simulator to approve it.
func (st *stack) approvedTemplate(admin, name string, comps []map[string]any) int64 {
	t := st.t
	t.Helper()
	var tpl struct{ ID int64 }
	if code := st.call("POST", "/api/v1/templates", admin, map[string]any{"name": name, "language": "id", "category": "UTILITY",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template %s: %d", name, code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), admin, nil, nil); code != 200 {
		t.Fatalf("submit template %s: %d", name, code)
	}
	waitUntil(t, 10*time.Second, name+" approved", func() bool {
		var s string
		st.db.Gorm.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == templates.TplApproved
	})
	return tpl.ID
}

// templateTo is the wamid of the newest template the simulator accepted
// for phone (the message whose quick-reply button a customer taps).
func (st *stack) templateTo(phone string) string {
	st.t.Helper()
	wamid := ""
	for _, e := range st.sim.Outbox() {
		if e.To == phone && e.Type == "template" && e.ErrorCode == 0 {
			wamid = e.WAMID
		}
	}
	if wamid == "" {
		st.t.Fatalf("no template was sent to %s", phone)
	}
	return wamid
}

// funnelCell reads one counter of one step from the journey page's funnel
// (its data-n; a detail chip's data-n when detail is given).
func funnelCell(step, counter, detail string) string {
	if detail == "" {
		return fmt.Sprintf(`Number(document.querySelector('#jv-funnel tr[data-step="%s"] td[data-k="%s"]')?.dataset.n || -1)`, step, counter)
	}
	return fmt.Sprintf(`Number(document.querySelector('#jv-funnel tr[data-step="%s"] td[data-k="%s"] .jv-part[data-detail="%s"]')?.dataset.n || 0)`, step, counter, detail)
}

// The collections journey built in the UI by a campaign manager (the
// seed's admin): send the reminder -> wait 5 s for a reply -> branch: the
// "promise" button -> tag "promised"; no reply -> the follow-up -> stop.
// The builder first shows the API's field error beside the field it names,
// then saves; the journey is launched and a segment of 5 enrolled (5
// more opted out are refused); 2 customers tap the button; the funnel on
// the page reaches entered 5, replied 2, branched 2/3, the follow-ups sent
// 3, and the database agrees.
func TestWebUIJourneyBuilder(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	// The reminder's quick-reply button: a tap's payload is its label, as
	// the send gives it no payload (Meta's button webhook).
	reminder := st.approvedTemplate(seed.admin, "pengingat_cicilan", []map[string]any{
		{"type": "BODY", "text": "Halo {{1}}, cicilan Anda jatuh tempo besok. Tekan Janji bayar bila Anda akan membayar.",
			"example": map[string]any{"body_text": [][]string{{"Siti"}}}},
		{"type": "BUTTONS", "buttons": []map[string]any{{"type": "QUICK_REPLY", "text": "Janji bayar"}}}})
	followup := st.journeyTemplate(seed.admin, "susulan_cicilan", "Halo {{1}}, kami belum menerima kabar soal cicilan Anda. Balas pesan ini untuk bantuan.")
	segment := st.audience(seed.admin, "jr-ui", 1, 5) // 5 reachable + 5 opted out

	b := newBrowser(t, 150*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	add := func(kind string) chromedp.Action {
		return chromedp.Tasks{setValue("#jb-add-kind", kind), chromedp.Click("#jb-add", chromedp.ByQuery),
			waitJS("step "+kind+" added", fmt.Sprintf(`[...document.querySelectorAll('.jb-step')].pop()?.dataset.kind === %q`, kind), 2*time.Second)}
	}
	field := func(f string) string { return fmt.Sprintf(`[data-field="%s"]`, f) }
	b.run("open the builder",
		// Journeys is one more page link: all of them still fit at 1366 px.
		waitJS("every menu link fits", `(() => { const m = document.querySelector('.topbar .menu'); const r = m.getBoundingClientRect();
			return m.scrollWidth <= m.clientWidth + 1 && [...m.querySelectorAll('a')].every(a => { const b = a.getBoundingClientRect(); return b.left >= r.left - 1 && b.right <= r.right + 1; }); })()`, 2*time.Second),
		chromedp.Click(`[data-nav="journeys"]`, chromedp.ByQuery),
		waitJS("journey list", `location.pathname === '/journeys' && !!document.querySelector('#journey-new')`, 5*time.Second),
		chromedp.Click("#journey-new", chromedp.ByQuery),
		waitJS("builder", `!!document.querySelector('#jb-name') && !!document.querySelector('#jb-add-kind option')`, 5*time.Second),
		waitJS("the only number preselected", `document.querySelector('#jb-sender').selectedOptions[0]?.textContent === '+622150000001'`, 2*time.Second),
		chromedp.SendKeys("#jb-name", "Penagihan cicilan", chromedp.ByQuery),
		chromedp.Click("#jb-qh-always", chromedp.ByQuery),
		add("send_template"), add("wait_for_reply"), add("branch"), add("send_template"), add("stop"), add("tag"),
		waitJS("six steps", `document.querySelectorAll('.jb-step').length === 6`, time.Second),
		// Two template steps, one datalist of sources: every id once.
		waitJS("unique ids", `(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id); return ids.length === new Set(ids).size; })()`, time.Second),
		// A seventh step moved up past the tag, then removed.
		add("wait"),
		chromedp.Click(`.jb-step[data-index="6"] .jb-up`, chromedp.ByQuery),
		waitJS("the wait moved up", `document.querySelector('.jb-step[data-index="5"]')?.dataset.kind === 'wait' && document.querySelector('.jb-step[data-index="6"]')?.dataset.kind === 'tag'`, time.Second),
		chromedp.Click(`.jb-step[data-index="5"] .jb-remove`, chromedp.ByQuery),
		waitJS("the wait removed", `[...document.querySelectorAll('.jb-step')].map(e => e.dataset.kind).join() === 'send_template,wait_for_reply,branch,send_template,stop,tag'`, time.Second))
	b.run("fill the steps",
		setValue(field("steps[0].templateId"), fmt.Sprint(reminder)),
		waitJS("body.1 prefilled", `document.querySelector('.jb-step[data-index="0"] .jb-var[name="body.1"]')?.value === 'contact.name'`, time.Second),
		setValue(field("steps[1].timeoutSeconds"), "5"),
		setValue(`.jb-step[data-index="1"] .jb-unit`, "s"),
		// The branch: the first rule's payload is left empty for now.
		setValue(field("steps[2].rules[0].goto"), "s6"),
		chromedp.Click(`.jb-step[data-index="2"] .jb-add-rule`, chromedp.ByQuery),
		waitJS("second rule", `document.querySelectorAll('.jb-step[data-index="2"] .jb-rule').length === 2`, time.Second),
		setValue(field("steps[2].rules[1].on"), "no_reply"),
		waitJS("no_reply has no value", `!document.querySelector('[data-field="steps[2].rules[1].value"]')`, time.Second),
		setValue(field("steps[2].rules[1].goto"), "s4"),
		setValue(field("steps[3].templateId"), fmt.Sprint(followup)),
		chromedp.SendKeys(field("steps[5].tag"), "promised", chromedp.ByQuery),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the API's error beside the payload field", `(() => {
			const e = document.querySelector('.field-error[data-for="steps[2].rules[0].value"]');
			return !!e && e.closest('.jb-rule') === document.querySelector('[data-field="steps[2].rules[0].value"]').closest('.jb-rule')
				&& document.querySelector('[data-field="steps[2].rules[0].value"]').classList.contains('invalid'); })()`, 5*time.Second),
		chromedp.EmulateViewport(1366, 2100),
		screenshot(t, "ui-journey-builder-error.png"),
		chromedp.SendKeys(field("steps[2].rules[0].value"), "Janji bayar", chromedp.ByQuery),
		screenshot(t, "ui-journey-builder.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("the journey's page", `/^\/journeys\/\d+$/.test(location.pathname) && !!document.querySelector('#jv-launch')`, 5*time.Second))

	var j struct {
		ID         int64
		Status     string
		QuietHours string
	}
	db.Raw(`SELECT id, status, quiet_hours::text AS quiet_hours FROM journeys WHERE name = 'Penagihan cicilan'`).Scan(&j)
	var def string
	db.Raw(`SELECT definition::text FROM journey_versions WHERE journey_id = ? AND version = 1`, j.ID).Scan(&def)
	for _, want := range []string{`"timeoutSeconds": 5`, `"on": "button"`, `"value": "Janji bayar"`, `"goto": "s6"`, `"on": "no_reply"`, `"goto": "s4"`, `"tag": "promised"`,
		fmt.Sprintf(`"templateId": %d`, reminder), fmt.Sprintf(`"templateId": %d`, followup), `"body.1": "contact.name"`} {
		if !strings.Contains(def, want) {
			t.Fatalf("stored definition lacks %s:\n%s", want, def)
		}
	}
	if j.Status != "draft" || !strings.Contains(j.QuietHours, `"23:59"`) {
		t.Fatalf("journey %+v", j)
	}

	b.run("launch and enrol",
		chromedp.Click("#jv-launch", chromedp.ByQuery),
		waitJS("live", `document.querySelector('#jv-status [data-status]')?.dataset.status === 'live'`, 5*time.Second),
		waitJS("enrol enabled", `!document.querySelector('#jv-enroll-btn').disabled`, 2*time.Second),
		setValue("#jv-segment", fmt.Sprint(segment)),
		chromedp.Click("#jv-enroll-btn", chromedp.ByQuery),
		waitJS("the counts the API answered", `(() => { const n = (k) => document.querySelector('#jv-enroll-result [data-k="' + k + '"] strong')?.textContent;
			return n('enrolled') === '5' && n('optedOut') === '5'; })()`, 5*time.Second))

	// Customers 1 and 2 tap the button once the reminder reached them
	// (their enrollments wait for a reply at s2).
	phone := func(i int) string { return fmt.Sprintf("62813%08d", i) }
	waitUntil(t, 30*time.Second, "reminders sent to customers 1 and 2", func() bool {
		var n int64
		db.Raw(`SELECT count(*) FROM journey_enrollments e JOIN contacts c ON c.id = e.contact_id
			WHERE e.journey_id = ? AND e.current_step = 's2' AND c.wa_id IN (?, ?)`, j.ID, phone(1), phone(2)).Scan(&n)
		return n == 2
	})
	for i := 1; i <= 2; i++ {
		st.simPost("/sim/customers/"+phone(i)+"/messages", map[string]any{"type": "button", "text": "Janji bayar",
			"context": st.templateTo(phone(i)), "phoneNumberId": e2ePNID})
	}

	b.run("the funnel on the page",
		waitJS("entered 5 and sent 5 at the reminder", funnelCell("s1", "entered", "")+` === 5 && `+funnelCell("s1", "sent", "")+` === 5`, 20*time.Second),
		waitJS("2 replies", funnelCell("s2", "replied", "")+` === 2`, 20*time.Second),
		waitJS("branched 2 to the tag, 3 to the follow-up", funnelCell("s3", "branched", "s6")+` === 2 && `+funnelCell("s3", "branched", "s4")+` === 3`, 20*time.Second),
		waitJS("3 follow-ups sent, 3 stopped, 2 tagged", funnelCell("s4", "sent", "")+` === 3 && `+funnelCell("s5", "entered", "")+` === 3 && `+funnelCell("s6", "entered", "")+` === 2`, 20*time.Second),
		waitJS("5 completed", `document.querySelector('#jv-enrollments [data-k="completed"] strong')?.textContent === '5'`, 10*time.Second),
		chromedp.EmulateViewport(1366, 1100),
		screenshot(t, "ui-journey-funnel.png"),
		chromedp.EmulateViewport(1366, 768))

	// The database agrees with the page.
	counter := func(step, c, detail string) int64 {
		var n int64
		db.Raw(`SELECT coalesce(sum(n), 0) FROM (SELECT n FROM journey_funnel WHERE journey_id = @id AND step_id = @s AND counter = @c AND (@d = '' OR detail = @d)
			UNION ALL SELECT n FROM journey_funnel_delta WHERE journey_id = @id AND step_id = @s AND counter = @c AND (@d = '' OR detail = @d)) x`,
			map[string]any{"id": j.ID, "s": step, "c": c, "d": detail}).Scan(&n)
		return n
	}
	for _, c := range []struct {
		step, counter, detail string
		want                  int64
	}{{"s1", "entered", "", 5}, {"s1", "sent", "", 5}, {"s2", "entered", "", 5}, {"s2", "replied", "", 2}, {"s3", "branched", "s6", 2},
		{"s3", "branched", "s4", 3}, {"s4", "sent", "", 3}, {"s5", "entered", "", 3}, {"s6", "entered", "", 2}} {
		if got := counter(c.step, c.counter, c.detail); got != c.want {
			t.Errorf("funnel %s/%s/%s = %d in the database, want %d", c.step, c.counter, c.detail, got, c.want)
		}
	}
	var completed, tagged, sent int64
	db.Raw(`SELECT count(*) FROM journey_enrollments WHERE journey_id = ? AND status = 'completed'`, j.ID).Scan(&completed)
	db.Raw(`SELECT count(*) FROM contacts WHERE 'promised' = ANY(tags) AND wa_id IN (?, ?)`, phone(1), phone(2)).Scan(&tagged)
	db.Raw(`SELECT count(*) FROM messages WHERE direction = 'out' AND type = 'template' AND idempotency_key LIKE ? AND status IN ('sent', 'delivered', 'read')`,
		"journey:%").Scan(&sent)
	if completed != 5 || tagged != 2 || sent != 8 {
		t.Errorf("completed %d (want 5), tagged %d (want 2), journey templates sent %d (want 8)", completed, tagged, sent)
	}
	reminders, followups := 0, 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "template" && e.ErrorCode == 0 {
			switch {
			case strings.Contains(string(e.Body), `"pengingat_cicilan"`):
				reminders++
			case strings.Contains(string(e.Body), `"susulan_cicilan"`):
				followups++
			}
		}
	}
	if reminders != 5 || followups != 3 {
		t.Errorf("the simulator got %d reminders (want 5) and %d follow-ups (want 3)", reminders, followups)
	}

	// The date-range report has the journey's step funnel too (its
	// journeys section, from the rollup its step records' deltas folded into).
	jrow := func(step string) string {
		return `(r => r && [...r.querySelectorAll('tr')].find(x => x.children[0]?.textContent === 'Penagihan cicilan (v1)' && x.children[1]?.textContent === '` + step + `'))(document.querySelector('#rep-journeys'))`
	}
	b.run("the journey in the report",
		chromedp.Click(`[data-nav="reports"]`, chromedp.ByQuery),
		waitJS("the reminder entered 5 and sent 5, the wait replied 2, the branch 5", `(([a, b, c]) => !!a && !!b && !!c && a.children[2].textContent === '5' && a.children[3].textContent === '5'
			&& b.children[4].textContent === '2' && c.children[5].textContent === '5')([`+jrow("s1")+`, `+jrow("s2")+`, `+jrow("s3")+`])`, 30*time.Second),
		// The report scrolls inside its main pane: a tall viewport shows it
		// whole, journeys section included, without a scroll.
		chromedp.EmulateViewport(1366, 3200),
		screenshot(t, "ui-reports-journeys.png"),
		chromedp.EmulateViewport(1366, 768))

	// The list counts the enrolments; editing the live journey says it
	// stores a new version, and does.
	row := fmt.Sprintf(`#journey-list tr[data-id="%d"]`, j.ID)
	b.run("the list, then a new version",
		chromedp.Click(`[data-nav="journeys"]`, chromedp.ByQuery),
		waitJS("the list's counts", fmt.Sprintf(`document.querySelector('%s td[data-k="completed"]')?.textContent === '5' && document.querySelector('%s td[data-k="running"]')?.textContent === '0'`, row, row), 5*time.Second),
		screenshot(t, "ui-journey-list.png"),
		clickLive(row+" a"),
		waitJS("the journey's page again", `!!document.querySelector('#jv-edit')`, 5*time.Second),
		chromedp.Click("#jv-edit", chromedp.ByQuery),
		waitJS("the new-version note", `document.querySelector('#jb-version-note')?.textContent.includes('versi baru (2)')`, 5*time.Second),
		waitJS("the steps loaded", `document.querySelector('[data-field="steps[1].timeoutSeconds"]')?.value === '5' && document.querySelector('.jb-step[data-index="1"] .jb-unit').value === 's'`, 2*time.Second),
		setValue(field("steps[1].timeoutSeconds"), "10"),
		chromedp.Click("#jb-save", chromedp.ByQuery),
		waitJS("version 2 on the page", `location.pathname === '/journeys/`+fmt.Sprint(j.ID)+`' && document.querySelector('#jv-version')?.textContent === 'v2'`, 5*time.Second),
		waitJS("the funnel of version 2, version 1 named", `document.querySelector('#jv-funnel-card h3')?.textContent.includes('versi 2') && document.querySelector('#jv-funnel-card').textContent.includes('v1')`, 5*time.Second))
	var versions, current int64
	var def2 string
	db.Raw(`SELECT count(*) FROM journey_versions WHERE journey_id = ?`, j.ID).Scan(&versions)
	db.Raw(`SELECT current_version FROM journeys WHERE id = ?`, j.ID).Scan(&current)
	db.Raw(`SELECT definition::text FROM journey_versions WHERE journey_id = ? AND version = 2`, j.ID).Scan(&def2)
	if versions != 2 || current != 2 || !strings.Contains(def2, `"timeoutSeconds": 10`) || !strings.Contains(def2, `"value": "Janji bayar"`) {
		t.Errorf("versions %d, current %d, version 2: %s", versions, current, def2)
	}

	// Pause, resume, then cancel (confirmed): the journey is archived.
	b.run("pause, resume, cancel",
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-journey-page-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#jv-pause", chromedp.ByQuery),
		waitJS("paused", `document.querySelector('#jv-status [data-status]')?.dataset.status === 'paused' && !!document.querySelector('#jv-resume')`, 5*time.Second),
		waitJS("enrolment closed while paused", `document.querySelector('#jv-enroll-btn')?.disabled === true`, 2*time.Second),
		chromedp.Click("#jv-resume", chromedp.ByQuery),
		waitJS("live again", `document.querySelector('#jv-status [data-status]')?.dataset.status === 'live'`, 5*time.Second),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click("#jv-cancel", chromedp.ByQuery),
		waitJS("archived, nothing left to do", `document.querySelector('#jv-status [data-status]')?.dataset.status === 'archived'
			&& !document.querySelector('#jv-edit') && !document.querySelector('#jv-cancel')`, 5*time.Second))
	var status string
	db.Raw(`SELECT status FROM journeys WHERE id = ?`, j.ID).Scan(&status)
	if status != "archived" {
		t.Errorf("status %s after cancel, want archived", status)
	}
	b.noErrors()
}
