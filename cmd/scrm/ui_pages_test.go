package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/templates"
)

// browser is one headless Chromium tab that records console errors.
type browser struct {
	t    *testing.T
	ctx  context.Context
	errs *browserErrors
}

// newBrowser starts Debian's Chromium (headless, no sandbox, no GPU, no
// background networking) for at most d.
func newBrowser(t *testing.T, d time.Duration) *browser {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancel := context.WithTimeout(bctx, d)
	t.Cleanup(func() { cancel(); cancelBrowser(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, errs: &browserErrors{}}
	chromedp.ListenTarget(ctx, b.errs.listen)
	return b
}

func (b *browser) run(step string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (browser errors: %v)", step, err, b.errs.list())
	}
}

// login signs in through the form at the given viewport.
func (b *browser) login(st *stack, email, password string) {
	b.t.Helper()
	b.run("login "+email, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(st.apiURL+"/login"),
		chromedp.WaitVisible("#login-email", chromedp.ByQuery),
		chromedp.SendKeys("#login-email", email, chromedp.ByQuery),
		chromedp.SendKeys("#login-password", password, chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
		chromedp.WaitVisible(".topbar .menu", chromedp.ByQuery))
}

func (b *browser) noErrors() {
	b.t.Helper()
	if e := b.errs.list(); len(e) > 0 {
		b.t.Fatalf("browser console errors:\n%s", strings.Join(e, "\n"))
	}
}

// setValue sets a form control's value and fires input and change, as a user would.
func setValue(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value), nil)
}

// A campaign manager (a user with the Campaign Manager role and nothing
// else) builds a campaign in the wizard over a 17-contact segment (5 opted
// out), sees the audience preview the API computed, launches it and
// watches the progress page until it completes with 12 sent.
func TestWebUICampaignWizard(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm

	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, ada promo {{2}} untuk Anda minggu ini.",
		"example": map[string]any{"body_text": [][]string{{"Siti", "cicilan 0%"}}}}}
	if code := st.call("POST", "/api/v1/templates", seed.admin, map[string]any{"name": "promo_cicilan", "language": "id", "category": "MARKETING",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), seed.admin, nil, nil); code != 200 {
		t.Fatalf("submit template: %d", code)
	}
	waitUntil(t, 10*time.Second, "template approved", func() bool {
		var s string
		db.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == templates.TplApproved
	})
	st.audience(seed.admin, "promo-ui", 1, 12) // 12 reachable + 5 opted out
	var cmRole int64
	db.Raw(`SELECT id FROM roles WHERE system_key = 'campaign_manager'`).Scan(&cmRole)
	if code := st.call("POST", "/api/v1/agents", seed.admin, map[string]any{"name": "Citra Marketing", "email": "citra@e2e.id",
		"password": "campaign-password-1", "roleId": cmRole}, nil); code != 201 {
		t.Fatalf("create campaign manager: %d", code)
	}

	b := newBrowser(t, 60*time.Second)
	b.login(st, "citra@e2e.id", "campaign-password-1")
	b.run("menu per permissions",
		waitJS("campaign manager's menu", `[...document.querySelectorAll('[data-nav]')].map(e => e.dataset.nav).join() === 'campaigns,journeys,contacts,reports,templates,senders'`, 5*time.Second),
		waitJS("campaign list page", `location.pathname === '/campaigns' && !!document.querySelector('#campaign-new')`, 5*time.Second),
		waitJS("no presence switch without the inbox", `!document.querySelector('#presence')`, time.Second))

	b.run("wizard: template",
		chromedp.Click("#campaign-new", chromedp.ByQuery),
		waitJS("template step", `!!document.querySelector('#cw-template option')`, 5*time.Second),
		waitJS("body.1 prefilled with the contact name", `document.querySelector('.cw-var[name="body.1"]')?.value === 'contact.name'`, 2*time.Second),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("a missing variable is refused", `document.querySelector('.form-error:not([hidden])')?.textContent.includes('{{2}}')`, 2*time.Second),
		chromedp.SendKeys(`.cw-var[name="body.2"]`, "cicilan 0%", chromedp.ByQuery),
		waitJS("live preview", `document.querySelector('#cw-preview').textContent === 'Halo [contact.name], ada promo cicilan 0% untuk Anda minggu ini.'`, 2*time.Second),
		chromedp.Click("#wizard-next", chromedp.ByQuery))
	b.run("wizard: audience",
		waitJS("segment step", `document.querySelector('#cw-segment')?.selectedOptions[0]?.textContent === 'promo-ui'`, 2*time.Second),
		waitJS("segment described", `document.querySelector('#cw-segment-desc').textContent.includes('promo-ui')`, 2*time.Second),
		waitJS("segment counted", `document.querySelector('#cw-segment-count').textContent.startsWith('17 ')`, 5*time.Second),
		chromedp.Click("#wizard-next", chromedp.ByQuery))
	// Sending hours default to Mon-Sat 08:00-20:00 WIB; "any time" lets the
	// test run at any hour.
	b.run("wizard: schedule",
		waitJS("schedule step", `!!document.querySelector('#cw-name')`, 2*time.Second),
		waitJS("the only sender preselected", `document.querySelectorAll('input[name="cw-sender"]:checked').length === 1`, 2*time.Second),
		chromedp.SendKeys("#cw-name", "Promo cicilan UI", chromedp.ByQuery),
		chromedp.Click("#cw-qh-always", chromedp.ByQuery),
		waitJS("all days ticked", `document.querySelectorAll('.cw-day:checked').length === 7 && document.querySelector('#cw-qh-from').value === '00:00'`, 2*time.Second),
		screenshot(t, "ui-campaign-schedule-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-campaign-schedule-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#wizard-next", chromedp.ByQuery))
	b.run("wizard: review",
		waitJS("audience preview", `document.querySelector('#cw-audience [data-k="size"] strong')?.textContent === '17'`, 10*time.Second),
		waitJS("opted out and reachable", `document.querySelector('#cw-audience [data-k="opted-out"] strong').textContent === '5' && document.querySelector('#cw-audience [data-k="reachable"] strong').textContent === '12'`, time.Second),
		waitJS("sample preview", `/^Halo Pelanggan \d+, ada promo cicilan 0% untuk Anda minggu ini\.$/.test(document.querySelector('#cw-sample').textContent)`, time.Second),
		waitJS("template checked by the API, no problems", `(e => e && !e.classList.contains('warn-box') && /body \d+\/1024/i.test(e.textContent))(document.querySelector('#cw-check'))`, 5*time.Second),
		screenshot(t, "ui-campaign-review-1366x768.png"))
	var drafts int64
	db.Raw(`SELECT count(*) FROM campaigns WHERE name = 'Promo cicilan UI' AND status = 'draft'`).Scan(&drafts)
	if drafts != 1 {
		t.Fatalf("drafts after review: %d", drafts)
	}

	b.run("launch and progress",
		chromedp.Click("#cw-launch", chromedp.ByQuery),
		waitJS("progress page", `/^\/campaigns\/\d+$/.test(location.pathname) && !!document.querySelector('#camp-funnel .funnel-row')`, 5*time.Second),
		waitJS("template and segment named", `document.querySelector('#camp-template')?.textContent === 'promo_cicilan (id)' && document.querySelector('#camp-segment').textContent === 'promo-ui'`, 5*time.Second),
		waitJS("completed", `document.querySelector('#camp-status [data-status]')?.dataset.status === 'completed'`, 30*time.Second),
		waitJS("12 sent in the funnel", `document.querySelector('#camp-funnel [data-k="sent"]')?.dataset.n === '12' && document.querySelector('#camp-funnel [data-k="queued"]').dataset.n === '0'`, 10*time.Second),
		waitJS("delivered follows the webhooks", `Number(document.querySelector('#camp-funnel [data-k="delivered"]').dataset.n) >= 12`, 20*time.Second),
		waitJS("5 skipped as opted out", `document.querySelector('#camp-funnel [data-k="skipped"]').dataset.n === '5' && document.querySelector('#camp-skips')?.textContent.includes('5')`, 5*time.Second),
		waitJS("no pause or cancel once completed", `!document.querySelector('#camp-pause, #camp-cancel, #camp-resume')`, time.Second),
		// The funnel poll waits for each answer and backs off (2, 4, 8 s ...)
		// while nothing moves.
		waitJS("the poll backs off once the funnel stops moving", `Number(document.querySelector('#camp-funnel').dataset.nextPoll) >= 8000`, 25*time.Second),
		screenshot(t, "ui-campaign-progress-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-campaign-progress-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click(`[data-nav="campaigns"]`, chromedp.ByQuery),
		waitJS("listed as completed", `[...document.querySelectorAll('#campaign-list tbody tr')].some(r => r.textContent.includes('Promo cicilan UI') && r.querySelector('[data-status="completed"]'))`, 5*time.Second),
		screenshot(t, "ui-campaign-list-1366x768.png"))

	// Launch, pause, resume and cancel from the progress page's buttons: a
	// second campaign over the same segment, slowed to 1 message a second
	// so that it is still running when the buttons are pressed.
	var segID int64
	db.Raw(`SELECT id FROM segments WHERE name = 'promo-ui'`).Scan(&segID)
	if code := st.call("PATCH", fmt.Sprintf("/api/v1/senders/%d", seed.senderID), seed.admin, map[string]any{"throughputMps": 1}, nil); code != 200 {
		t.Fatalf("slow the sender down: %d", code)
	}
	cm := st.login("citra@e2e.id", "campaign-password-1")
	var slow struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if code := st.call("POST", "/api/v1/campaigns", cm, map[string]any{"name": "Promo pelan", "templateId": tpl.ID, "segmentId": segID,
		"senderIds": []int64{seed.senderID}, "variables": map[string]string{"body.1": "contact.name", "body.2": "diskon"},
		"quietHours": allDay}, &slow); code != 201 {
		t.Fatalf("create the slow campaign: %d", code)
	}
	status := func(s string) chromedp.Action {
		return waitJS(s, `document.querySelector('#camp-status [data-status]')?.dataset.status === '`+s+`'`, 10*time.Second)
	}
	// What the number sent is read from the simulator (the world), not
	// from the funnel: the funnel counts a send once its status arrives,
	// which on a loaded run can be seconds after the pause for a send made
	// before it. The funnel must then settle on the simulator's count.
	var pnid string
	db.Raw(`SELECT phone_number_id FROM senders WHERE id = ?`, seed.senderID).Scan(&pnid)
	sendsSince := func(at time.Time) int {
		n := 0
		for _, e := range st.sim.Outbox() {
			if e.PhoneNumberID == pnid && e.At.After(at) {
				n++
			}
		}
		return n
	}
	mark := func(at *time.Time) chromedp.Action {
		return chromedp.ActionFunc(func(context.Context) error { *at = time.Now(); return nil })
	}
	var launchedAt, pausedAt time.Time
	funnelSent := `document.querySelector('#camp-funnel [data-k="sent"]').dataset.n`
	b.run("launch and pause",
		chromedp.Navigate(fmt.Sprintf("%s/campaigns/%d", st.apiURL, slow.Campaign.ID)),
		status("draft"),
		mark(&launchedAt),
		chromedp.Click("#camp-launch", chromedp.ByQuery),
		status("running"),
		chromedp.Click("#camp-pause", chromedp.ByQuery),
		status("paused"),
		mark(&pausedAt),
		waitJS("resume offered instead of pause", `!!document.querySelector('#camp-resume') && !document.querySelector('#camp-pause')`, 2*time.Second),
		chromedp.Sleep(5*time.Second))
	// A round already granted when the pause landed may still start its
	// send (1 a second here, started by the round's 750 ms cut-off).
	if late := sendsSince(pausedAt.Add(1500 * time.Millisecond)); late != 0 {
		t.Fatalf("%d sends more than 1.5 s after the pause", late)
	}
	paused := sendsSince(launchedAt)
	if paused >= 12 {
		t.Fatalf("the paused campaign sent %d of 12", paused)
	}
	sentB := strconv.Itoa(paused)
	b.run("the funnel settles on what was sent",
		waitJS("funnel sent = "+sentB, funnelSent+` === '`+sentB+`'`, 20*time.Second),
		screenshot(t, "ui-campaign-paused-1366x768.png"))
	b.run("resume and cancel",
		chromedp.Click("#camp-resume", chromedp.ByQuery),
		status("running"),
		waitJS("sending again", funnelSent+` !== '`+sentB+`'`, 10*time.Second),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click("#camp-cancel", chromedp.ByQuery),
		status("cancelled"),
		waitJS("no actions once cancelled", `!document.querySelector('#camp-head button[id^="camp-"]')`, 2*time.Second))
	var slowSent int64
	db.Raw(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`, slow.Campaign.ID).Scan(&slowSent)
	if slowSent == 0 || slowSent >= 12 {
		t.Fatalf("the cancelled campaign sent %d of 12", slowSent)
	}

	// An uploaded list (an import's 3 contacts) as the audience, without a
	// segment, skipping contacts an agent is serving; and a start time typed
	// in the wizard is Jakarta time: tomorrow 09:00 WIB is 02:00 UTC.
	var job struct {
		Job struct{ ID int64 } `json:"job"`
	}
	if code := st.call("POST", "/api/v1/intake", cm, map[string]any{"rows": []map[string]any{{"phone": "081277770001", "name": "List Satu"},
		{"phone": "081277770002", "name": "List Dua"}, {"phone": "081277770003", "name": "List Tiga"}}}, &job, "Idempotency-Key", "ui-list-1"); code != 202 {
		t.Fatalf("import list: %d", code)
	}
	waitUntil(t, 15*time.Second, "list imported", func() bool {
		var s string
		db.Raw(`SELECT status FROM intake_jobs WHERE id = ?`, job.Job.ID).Scan(&s)
		return s == "completed"
	})
	jkt := time.FixedZone("WIB", 7*3600)
	tomorrow := time.Now().In(jkt).AddDate(0, 0, 1)
	local := tomorrow.Format("2006-01-02") + "T09:00"
	b.run("scheduled start in WIB",
		chromedp.Navigate(st.apiURL+"/campaigns/new"),
		waitJS("template step", `!!document.querySelector('#cw-template option')`, 5*time.Second),
		chromedp.SendKeys(`.cw-var[name="body.2"]`, "diskon", chromedp.ByQuery),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("segment step with the list", `!!document.querySelector('#cw-list option[value="`+fmt.Sprint(job.Job.ID)+`"]')`, 5*time.Second),
		setValue("#cw-segment", "0"),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("segment or list required", `document.querySelector('.form-error:not([hidden])')?.textContent.length > 0`, 2*time.Second),
		setValue("#cw-list", fmt.Sprint(job.Job.ID)),
		chromedp.Click("#cw-skip-assigned", chromedp.ByQuery),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("schedule step", `!!document.querySelector('#cw-name')`, 2*time.Second),
		chromedp.SendKeys("#cw-name", "Promo besok pagi", chromedp.ByQuery),
		chromedp.Click(`input[name="cw-start"][value="later"]`, chromedp.ByQuery),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("start time required", `document.querySelector('.form-error:not([hidden])')?.textContent.length > 0`, 2*time.Second),
		setValue("#cw-start-at", local),
		chromedp.Click("#wizard-next", chromedp.ByQuery),
		waitJS("review: the list's 3 contacts", `document.querySelector('#cw-audience [data-k="size"] strong')?.textContent === '3'`, 10*time.Second))
	var later struct {
		StartAt      time.Time
		SegmentID    *int64
		IntakeJobID  int64
		SkipAssigned bool
	}
	db.Raw(`SELECT start_at, segment_id, intake_job_id, skip_assigned FROM campaigns WHERE name = 'Promo besok pagi'`).Scan(&later)
	if want := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, jkt); !later.StartAt.Equal(want) {
		t.Fatalf("start_at %s, want %s", later.StartAt.UTC(), want.UTC())
	}
	if later.SegmentID != nil || later.IntakeJobID != job.Job.ID || !later.SkipAssigned {
		t.Fatalf("audience of the list campaign: %+v", later)
	}

	var sent int64
	db.Raw(`SELECT count(*) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'Promo cicilan UI' AND r.status = 'sent'`).Scan(&sent)
	templates := 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "template" && e.ErrorCode == 0 {
			templates++
		}
	}
	if sent != 12 || int64(templates) != 12+slowSent {
		t.Fatalf("recipients sent %d, templates accepted by the simulator %d, want 12 and %d", sent, templates, 12+slowSent)
	}
	b.noErrors()
}

// The import wizard: a CSV whose phone column has an unusual name is
// uploaded, the phone column is mapped by hand, the dry run shows the
// per-row report (new, duplicate within the file, invalid number) without
// writing anything, and the import then creates the contacts.
func TestWebUIImportWizard(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, time.Hour)
	st.seedInbox()
	db := st.db.Gorm
	csv := "Nama,Telp Nasabah,Kota\n" +
		"Dewi Anggraini,0812-3456-7001,Jakarta\n" +
		"Eko Prasetyo,+62 812 3456 7002,Bandung\n" +
		"Dewi lagi,081234567001,Jakarta\n" + // the same number as row 2
		"Fajar,12ab,Medan\n" + // not a phone number
		"Gita Permata,6281234567004,Surabaya\n"
	file := filepath.Join(t.TempDir(), "nasabah.csv")
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, 60*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("upload",
		chromedp.Navigate(st.apiURL+"/contacts/import"),
		chromedp.WaitVisible("#import-file", chromedp.ByQuery),
		chromedp.SetUploadFiles("#import-file", []string{file}, chromedp.ByQuery),
		waitJS("mapping step with the file's columns", `[...document.querySelectorAll('.map-select[name="phone"] option')].map(o => o.value).join() === ',Nama,Telp Nasabah,Kota'`, 10*time.Second),
		chromedp.Click("#import-dry-run", chromedp.ByQuery),
		waitJS("phone must be mapped", `document.querySelector('#import .form-error:not([hidden])')?.textContent.length > 0`, 2*time.Second),
		setValue(`.map-select[name="phone"]`, "Telp Nasabah"),
		setValue(`.map-select[name="name"]`, "Nama"),
		chromedp.Click(`.map-attr[value="Kota"]`, chromedp.ByQuery),
		chromedp.Click("#import-dry-run", chromedp.ByQuery),
		waitJS("per-row report", `document.querySelectorAll('#import-rows tbody tr[data-row]').length === 5`, 10*time.Second),
		waitJS("rows 2, 3, 6 new", `['2','3','6'].every(n => document.querySelector('#import-rows tr[data-row="'+n+'"]').dataset.result === 'created')`, time.Second),
		waitJS("row 4 a duplicate", `document.querySelector('#import-rows tr[data-row="4"]').dataset.result === 'duplicate'`, time.Second),
		waitJS("row 5 an error with its reason, in Indonesian", `(r => r.dataset.result === 'error' && r.children[2].textContent.includes('bukan nomor telepon'))(document.querySelector('#import-rows tr[data-row="5"]'))`, time.Second),
		waitJS("summary", `document.querySelector('#import-summary [data-k="created"] strong').textContent === '3' && document.querySelector('#import-summary [data-k="errors"] strong').textContent === '1'`, time.Second),
		screenshot(t, "ui-import-report-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-import-report-390x844.png"),
		chromedp.EmulateViewport(1366, 768))
	var n int64
	db.Raw(`SELECT count(*) FROM contacts WHERE name IN ('Dewi Anggraini', 'Eko Prasetyo', 'Gita Permata')`).Scan(&n)
	if n != 0 {
		t.Fatalf("the dry run wrote %d contacts", n)
	}

	b.run("import",
		chromedp.Click("#import-start", chromedp.ByQuery),
		waitJS("import completed", `document.querySelector('#import-progress .chip')?.classList.contains('st-completed')`, 20*time.Second),
		waitJS("job in the history", `document.querySelector('#import-jobs tbody')?.textContent.includes('nasabah.csv')`, 5*time.Second),
		chromedp.Click(`[data-sub="contactList"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#contact-search", chromedp.ByQuery),
		chromedp.SendKeys("#contact-search", "Gita", chromedp.ByQuery),
		waitJS("imported contact found with its attribute", `(t => t.includes('Gita Permata') && t.includes('+6281234567004') && t.includes('Surabaya'))(document.querySelector('#contact-list').textContent)`, 5*time.Second),
		setValue("#contact-search", ""),
		waitJS("all contacts listed", `document.querySelectorAll('#contact-list tbody tr').length === 3`, 5*time.Second),
		screenshot(t, "ui-contacts-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-contacts-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		// Edit a contact: a tag and the opt-out.
		chromedp.Evaluate(`[...document.querySelectorAll('#contact-list tbody tr')].find(r => r.textContent.includes('Gita Permata')).click()`, nil),
		chromedp.WaitVisible("#contact-form", chromedp.ByQuery),
		chromedp.SendKeys(`#contact-form input[name="tags"]`, "vip", chromedp.ByQuery),
		chromedp.Click(`#contact-form input[name="optedOut"]`, chromedp.ByQuery),
		chromedp.Click(`#contact-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("edited contact listed", `[...document.querySelectorAll('#contact-list tbody tr')].some(r => r.textContent.includes('Gita Permata') && r.querySelector('.chip.warn') && r.textContent.includes('vip'))`, 5*time.Second))
	var gita struct {
		Tags     string
		OptedOut bool
	}
	db.Raw(`SELECT tags::text AS tags, opted_out FROM contacts WHERE name = 'Gita Permata'`).Scan(&gita)
	if gita.Tags != "{vip}" || !gita.OptedOut {
		t.Fatalf("edited contact: %+v", gita)
	}
	db.Raw(`SELECT count(*) FROM contacts WHERE name IN ('Dewi Anggraini', 'Eko Prasetyo', 'Gita Permata')`).Scan(&n)
	if n != 3 {
		t.Fatalf("imported contacts: %d, want 3", n)
	}

	// An XLSX whose columns the API recognises: the mapping comes guessed,
	// and a number imported above is reported as an update.
	xfile := writeXLSX(t, "tambahan.xlsx", []string{"Sheet1"}, map[string][][]any{
		"Sheet1": {{"Nama", "No HP", "Kota"}, {"Eko P.", "0812-3456-7002", "Bogor"}, {"Hadi", "081234567009", "Depok"}}})
	b.run("xlsx with a guessed mapping",
		chromedp.Click(`[data-sub="import"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#import-file", chromedp.ByQuery),
		chromedp.SetUploadFiles("#import-file", []string{xfile}, chromedp.ByQuery),
		waitJS("guessed mapping", `document.querySelector('.map-select[name="phone"]')?.value === 'No HP' && document.querySelector('.map-select[name="name"]').value === 'Nama' && document.querySelector('.map-attr[value="Kota"]').checked`, 10*time.Second),
		waitJS("file info", `document.querySelector('#import-file-info').textContent.includes('XLSX') && document.querySelector('#import-file-info').textContent.includes('2')`, time.Second),
		chromedp.Click("#import-dry-run", chromedp.ByQuery),
		waitJS("update and new", `document.querySelector('#import-rows tr[data-row="2"]')?.dataset.result === 'updated' && document.querySelector('#import-rows tr[data-row="3"]').dataset.result === 'created'`, 10*time.Second))

	// A workbook whose first sheet is a summary: the wizard reads the first
	// sheet with a phone column, and the sheet picker switches to another.
	wfile := writeXLSX(t, "bulanan.xlsx", []string{"Ringkasan", "Januari", "Februari"}, map[string][][]any{
		"Ringkasan": {{"Bulan", "Jumlah"}, {"Januari", 1}, {"Februari", 2}},
		"Januari":   {{"Nama", "No HP"}, {"Indah", "081234567011"}},
		"Februari":  {{"Pelanggan", "Telepon", "Cabang"}, {"Joko", "081234567021", "Solo"}, {"Kartika", "081234567022", "Solo"}},
	})
	b.run("sheet picker",
		chromedp.Click(`[data-sub="import"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#import-file", chromedp.ByQuery),
		chromedp.SetUploadFiles("#import-file", []string{wfile}, chromedp.ByQuery),
		waitJS("the three sheets offered, the first with phones chosen", `(s => s && [...s.options].map(o => o.value).join() === 'Ringkasan,Januari,Februari' && s.value === 'Januari')(document.querySelector('#import-sheet'))`, 10*time.Second),
		waitJS("January's columns", `document.querySelector('.map-select[name="phone"]').value === 'No HP'`, time.Second),
		setValue("#import-sheet", "Februari"),
		waitJS("February's columns", `[...document.querySelectorAll('.map-select[name="phone"] option')].map(o => o.value).join() === ',Pelanggan,Telepon,Cabang' && document.querySelector('#import-sheet').value === 'Februari'`, 10*time.Second),
		setValue(`.map-select[name="phone"]`, "Telepon"),
		setValue(`.map-select[name="name"]`, "Pelanggan"),
		waitJS("a column mapped to a field is no attribute", `![...document.querySelectorAll('.map-attr')].some(c => c.value === 'Pelanggan' || c.value === 'Telepon')`, time.Second),
		chromedp.Click("#import-dry-run", chromedp.ByQuery),
		waitJS("February's two rows", `document.querySelectorAll('#import-rows tbody tr[data-row]').length === 2 && document.querySelector('#import-rows').textContent.includes('+6281234567022')`, 10*time.Second),
		screenshot(t, "ui-import-sheet-1366x768.png"),
		chromedp.Click("#import-start", chromedp.ByQuery),
		waitJS("import completed", `document.querySelector('#import-progress .chip')?.classList.contains('st-completed')`, 20*time.Second))
	db.Raw(`SELECT count(*) FROM contacts WHERE name IN ('Joko', 'Kartika')`).Scan(&n)
	var indah int64
	db.Raw(`SELECT count(*) FROM contacts WHERE name = 'Indah'`).Scan(&indah)
	if n != 2 || indah != 0 {
		t.Fatalf("from the chosen sheet: %d of 2, from the other: %d", n, indah)
	}
	b.noErrors()
}

// writeXLSX writes a workbook with the sheets in order and their rows.
func writeXLSX(t *testing.T, name string, order []string, sheets map[string][][]any) string {
	t.Helper()
	x := excelize.NewFile()
	for i, sh := range order {
		var err error
		if i == 0 {
			err = x.SetSheetName("Sheet1", sh)
		} else {
			_, err = x.NewSheet(sh)
		}
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[sh] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := x.SetSheetRow(sh, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// The admin's management pages against the API: a segment built from an
// attribute, a template refused by the API's validation and then created
// with its live preview, and the case pool where a case is assigned.
func TestWebUIAdminPages(t *testing.T) {
	// Not parallel: it relies on the tests' 4 s case assignment expiry, which
	// a loaded machine can outrun between two steps.
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	// A manual team: its cases wait in the pool until someone assigns them.
	var pool struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", seed.admin, map[string]any{"name": "Pool Manual", "strategy": "manual"}, &pool); code != 201 {
		t.Fatalf("create team: %d", code)
	}
	if code := st.call("PUT", fmt.Sprintf("/api/v1/teams/%d/members/%d", pool.ID, seed.ayuID), seed.admin, map[string]any{"teamRole": "member"}, nil); code != 200 {
		t.Fatalf("add Ayu to the pool team: %d", code)
	}
	for i, ref := range []string{"KTA-0001", "KTA-0002"} {
		if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": ref, "amount": 2500000 * (i + 1),
			"dueDate": time.Now().AddDate(0, 0, -10).Format(time.DateOnly), "teamId": pool.ID}, nil); code != 201 {
			t.Fatalf("create case %s: %d", ref, code)
		}
	}

	b := newBrowser(t, 60*time.Second)
	b.login(st, "admin@e2e.id", "admin-password-1")
	b.run("segment",
		chromedp.Click(`[data-nav="contacts"]`, chromedp.ByQuery),
		chromedp.Click(`[data-sub="segments"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#segment-form", chromedp.ByQuery),
		chromedp.SendKeys(`#segment-form input[name="name"]`, "Nasabah Jakarta", chromedp.ByQuery),
		chromedp.SendKeys(`#segment-form input[name="attrs"]`, "kota=Jakarta", chromedp.ByQuery),
		chromedp.Click(`#segment-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("segment listed", `[...document.querySelectorAll('#segment-list tr')].some(r => r.textContent.includes('Nasabah Jakarta') && r.textContent.includes('kota = Jakarta'))`, 5*time.Second),
		screenshot(t, "ui-segments-1366x768.png"))
	var filter string
	db.Raw(`SELECT filter::text FROM segments WHERE name = 'Nasabah Jakarta'`).Scan(&filter)
	if filter != `{"optedOut": false, "attributes": {"kota": "Jakarta"}}` {
		t.Fatalf("segment filter %s", filter)
	}

	b.run("template refused, then created",
		chromedp.Click(`[data-nav="templates"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#template-form", chromedp.ByQuery),
		chromedp.SendKeys(`#template-form input[name="name"]`, "pengingat_baru", chromedp.ByQuery),
		chromedp.SendKeys(`#template-form input[name="wabaId"]`, "WABA-E2E", chromedp.ByQuery),
		chromedp.SendKeys(`#template-form textarea[name="body"]`, "Halo {{1}}, tagihan {{3}}", chromedp.ByQuery),
		waitJS("example inputs per variable", `document.querySelectorAll('#tpl-examples input').length === 2`, 2*time.Second),
		chromedp.Click(`#template-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("the API's validation error, in Indonesian", `document.querySelector('#template-form .form-error:not([hidden])')?.textContent.includes('tanpa celah')`, 5*time.Second),
		setValue(`#template-form textarea[name="body"]`, "Halo {{1}}, tagihan Anda {{2}} jatuh tempo."),
		chromedp.SendKeys(`#tpl-examples input[data-key="body.1"]`, "Siti", chromedp.ByQuery),
		chromedp.SendKeys(`#tpl-examples input[data-key="body.2"]`, "Rp 2.500.000", chromedp.ByQuery),
		waitJS("live preview", `document.querySelector('#tpl-preview').textContent.includes('Halo Siti, tagihan Anda Rp 2.500.000 jatuh tempo.')`, 2*time.Second),
		screenshot(t, "ui-template-form-1366x768.png"),
		chromedp.Click(`#template-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("template listed", `[...document.querySelectorAll('#template-list tr')].some(r => r.textContent.includes('pengingat_baru'))`, 5*time.Second),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-templates-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		// Submitted to Meta (the simulator approves it): the list follows
		// the review webhook by itself.
		chromedp.Click(`#template-list [data-submit="pengingat_baru"]`, chromedp.ByQuery),
		waitJS("approved without a reload", `[...document.querySelectorAll('#template-list tr')].some(r => r.textContent.includes('pengingat_baru') && r.querySelector('[data-status="APPROVED"]'))`, 10*time.Second),
		// Resubmitting a template WhatsApp still has says so.
		chromedp.Click(`#template-list [data-resubmit="pengingat_baru"]`, chromedp.ByQuery),
		waitJS("WhatsApp still has it", `[...document.querySelectorAll('.toast')].some(x => x.textContent.includes('WhatsApp masih menyimpan template pengingat_baru'))`, 5*time.Second),
		waitJS("the message goes away", `!document.querySelector('.toast')`, 10*time.Second),
		setValue("#template-status", "APPROVED"),
		waitJS("status filter", `document.querySelectorAll('#template-list tbody tr').length === 1 && document.querySelector('#template-list tbody').textContent.includes('pengingat_baru')`, 5*time.Second),
		setValue("#template-status", "REJECTED"),
		waitJS("status filter: none rejected", `!!document.querySelector('#template-list td.empty')`, 5*time.Second))

	// A DOCUMENT-header template: its sample PDF goes to WhatsApp's
	// Resumable Upload API from the form; the handle is what Meta reviews.
	pdf := filepath.Join(t.TempDir(), "contoh-kontrak.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.run("media-header template",
		setValue("#template-status", ""),
		chromedp.WaitVisible("#template-form", chromedp.ByQuery),
		setValue("#tpl-header-format", "DOCUMENT"),
		waitJS("file input shown", `getComputedStyle(document.querySelector('#tpl-header-file')).display !== 'none' && getComputedStyle(document.querySelector('#tpl-header-text')).display === 'none'`, 2*time.Second),
		chromedp.SetUploadFiles("#tpl-header-input", []string{pdf}, chromedp.ByQuery),
		waitJS("sample uploaded", `document.querySelector('#tpl-header-status').dataset.ready === '1'`, 10*time.Second),
		chromedp.SendKeys(`#template-form input[name="name"]`, "kontrak_dokumen", chromedp.ByQuery),
		chromedp.SendKeys(`#template-form input[name="wabaId"]`, "WABA-E2E", chromedp.ByQuery),
		setValue(`#template-form textarea[name="body"]`, "Halo {{1}}, kontrak Anda terlampir."),
		chromedp.SendKeys(`#tpl-examples input[data-key="body.1"]`, "Siti", chromedp.ByQuery),
		waitJS("preview names the document", `document.querySelector('#tpl-preview').textContent.includes('contoh-kontrak.pdf') && document.querySelector('#tpl-preview').textContent.includes('Halo Siti, kontrak')`, 2*time.Second),
		screenshot(t, "ui-template-document-header-1366x768.png"),
		chromedp.Click(`#template-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("listed", `[...document.querySelectorAll('#template-list tr')].some(r => r.textContent.includes('kontrak_dokumen'))`, 5*time.Second),
		chromedp.Click(`#template-list [data-submit="kontrak_dokumen"]`, chromedp.ByQuery),
		waitJS("approved by the strict simulator", `[...document.querySelectorAll('#template-list tr')].some(r => r.textContent.includes('kontrak_dokumen') && r.querySelector('[data-status="APPROVED"]'))`, 10*time.Second))
	// The API reference renders the OpenAPI description.
	b.run("api reference",
		chromedp.Navigate(st.apiURL+"/api/reference"),
		waitJS("every operation listed", `document.querySelectorAll('#api-reference tr[data-op]').length > 100 && !!document.querySelector('#api-reference tr[data-op="postCampaignsIdLaunch"]')`, 10*time.Second),
		screenshot(t, "ui-api-reference-1366x768.png"),
		chromedp.Navigate(st.apiURL+"/templates"))
	var handle string
	db.Raw(`SELECT c->'example'->'header_handle'->>0 FROM templates, jsonb_array_elements(components) c WHERE name = 'kontrak_dokumen' AND c->>'type' = 'HEADER'`).Scan(&handle)
	if !strings.HasPrefix(handle, "4::") {
		t.Fatalf("header_handle stored: %q", handle)
	}

	b.run("case pool",
		chromedp.Click(`[data-nav="cases"]`, chromedp.ByQuery),
		waitJS("both cases in the pool", `['KTA-0001','KTA-0002'].every(r => document.querySelector('#case-list').textContent.includes(r))`, 10*time.Second),
		screenshot(t, "ui-cases-1366x768.png"),
		chromedp.Evaluate(`(() => { const row = [...document.querySelectorAll('#case-list tr')].find(r => r.textContent.includes('KTA-0001'));
			const sel = row.querySelector('select'); sel.value = [...sel.options].find(o => o.textContent === 'Ayu Lestari').value;
			sel.dispatchEvent(new Event('change')); })()`, nil),
		chromedp.Click(`.tabs [data-view="assigned"]`, chromedp.ByQuery),
		waitJS("assigned to Ayu", `[...document.querySelectorAll('#case-list tr')].some(r => r.textContent.includes('KTA-0001') && r.textContent.includes('Ayu Lestari'))`, 10*time.Second))

	// Roles: the Supervisor gets audit:read by ticking its box.
	b.run("permission matrix",
		chromedp.Click(`[data-nav="roles"]`, chromedp.ByQuery),
		waitJS("matrix", `!!document.querySelector('#role-matrix input[data-perm="audit:read"]')`, 5*time.Second),
		chromedp.Evaluate(`(() => { const th = [...document.querySelectorAll('#role-matrix thead th')].findIndex(x => x.textContent.startsWith('Supervisor'));
			const row = document.querySelector('#role-matrix input[data-perm="audit:read"]').closest('tr');
			row.children[th].querySelector('input').click(); })()`, nil),
		waitJS("admin column read-only", `[...document.querySelectorAll('#role-matrix input[data-perm="audit:read"]')][0].disabled`, time.Second))
	waitUntil(t, 5*time.Second, "supervisor holds audit:read", func() bool {
		var perms string
		db.Raw(`SELECT permissions::text FROM roles WHERE system_key = 'supervisor'`).Scan(&perms)
		return strings.Contains(perms, "audit:read")
	})

	// Senders: the number's allocation gets Ayu as secondary.
	b.run("sender allocation",
		chromedp.Click(`[data-nav="senders"]`, chromedp.ByQuery),
		waitJS("sender listed", `!!document.querySelector('#sender-list tbody button')`, 5*time.Second),
		chromedp.Click(`#sender-list tbody button`, chromedp.ByQuery),
		waitJS("team allocation shown", `document.querySelector('#sender-allocations')?.textContent.includes('Penagihan Jakarta')`, 5*time.Second),
		chromedp.Evaluate(`(() => { const f = document.querySelector('#alloc-form');
			const who = f.querySelector('select[name="who"]'); who.value = [...who.options].find(o => o.textContent.includes('Ayu Lestari')).value;
			f.querySelector('select[name="role"]').value = 'secondary'; })()`, nil),
		chromedp.Click(`#alloc-form button[type="submit"]`, chromedp.ByQuery),
		waitJS("Ayu allocated as secondary", `[...document.querySelectorAll('#sender-allocations tr')].some(r => r.textContent.includes('Ayu Lestari') && r.querySelector('.chip.secondary'))`, 5*time.Second),
		screenshot(t, "ui-senders-1366x768.png"),
		// An admin's top bar holds every page link uncut at 1366 px (the
		// account menu keeps her settings behind her name).
		waitJS("every menu link fits", `(() => { const m = document.querySelector('.topbar .menu'); const r = m.getBoundingClientRect();
			return m.scrollWidth <= m.clientWidth + 1 && [...m.querySelectorAll('a')].every(a => { const b = a.getBoundingClientRect(); return b.left >= r.left - 1 && b.right <= r.right + 1; }); })()`, 2*time.Second),
		chromedp.Click("#account-menu summary", chromedp.ByQuery),
		chromedp.WaitVisible("#logout-all", chromedp.ByQuery),
		screenshot(t, "ui-account-menu-1366x768.png"),
		chromedp.KeyEvent(kb.Escape),
		waitJS("closed with Escape", `!document.querySelector('#account-menu').open`, 2*time.Second))

	// Work the assigned case: a promise to pay with its date.
	promise := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	b.run("case outcome",
		chromedp.Click(`[data-nav="cases"]`, chromedp.ByQuery),
		chromedp.Click(`.tabs [data-view="assigned"]`, chromedp.ByQuery),
		waitJS("assigned case listed", `!!document.querySelector('#case-list [data-case="KTA-0001"]')`, 5*time.Second),
		chromedp.Click(`#case-list [data-case="KTA-0001"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#case-card", chromedp.ByQuery),
		setValue(`#case-card select[name="outcome"]`, "promise_to_pay"),
		setValue(`#case-card input[name="promiseDate"]`, promise),
		chromedp.SendKeys(`#case-card input[name="note"]`, "Bayar minggu depan", chromedp.ByQuery),
		screenshot(t, "ui-case-detail-1366x768.png"),
		chromedp.EmulateViewport(390, 844),
		screenshot(t, "ui-case-detail-390x844.png"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Click("#case-outcome-save", chromedp.ByQuery),
		waitJS("card closed", `!document.querySelector('#case-card')`, 5*time.Second))
	waitUntil(t, 10*time.Second, "outcome stored", func() bool {
		var out struct {
			Outcome string
			Note    string
		}
		db.Raw(`SELECT outcome, outcome_note AS note FROM cases WHERE reference = 'KTA-0001'`).Scan(&out)
		return out.Outcome == "promise_to_pay" && out.Note == "Bayar minggu depan"
	})

	var agent int64
	db.Raw(`SELECT coalesce(agent_id, 0) FROM cases WHERE reference = 'KTA-0001'`).Scan(&agent)
	if agent != seed.ayuID {
		t.Fatalf("KTA-0001 agent %d, want Ayu %d", agent, seed.ayuID)
	}
	b.noErrors()
}
