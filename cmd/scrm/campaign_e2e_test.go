package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/workflows"
)

// campaignSeed is the campaign part of the end-to-end stack: three senders
// on one portfolio and an approved template.
type campaignSeed struct {
	admin     string
	senderIDs []int64
	pnids     []string
	template  int64
}

func (st *stack) seedCampaigns(admin string) campaignSeed {
	st.t.Helper()
	return st.seedCampaignNumbers(admin, 3)
}

// seedCampaignNumbers is seedCampaigns with k numbers.
func (st *stack) seedCampaignNumbers(admin string, k int) campaignSeed {
	st.t.Helper()
	return st.seedCampaignNumbersAt(admin, k, "TIER_100K")
}

// seedCampaignNumbersAt seeds k numbers whose portfolio tier at the
// simulator (Meta) is simTier; the product believes TIER_100K.
func (st *stack) seedCampaignNumbersAt(admin string, k int, simTier string) campaignSeed {
	t := st.t
	t.Helper()
	cs := campaignSeed{admin: admin}
	for i := 1; i <= k; i++ {
		pnid := fmt.Sprintf("2000000000%05d", i)
		display := fmt.Sprintf("+62 21 51%02d %04d", i/10000, i%10000)
		st.simPost("/sim/numbers", sim.Number{PhoneNumberID: pnid, Display: display, WABAID: "WABA-E2E", PortfolioID: "PF-CAMPAIGN",
			ThroughputMPS: 80, LimitTier: simTier, Quality: "GREEN"})
		var s struct{ ID int64 }
		if code := st.call("POST", "/api/v1/senders", admin, map[string]any{"phoneNumberId": pnid, "wabaId": "WABA-E2E",
			"displayNumber": display, "throughputMps": 80,
			"businessPortfolioId": "PF-CAMPAIGN", "messagingLimitTier": "TIER_100K"}, &s); code != 201 {
			t.Fatalf("create sender %s: %d", pnid, code)
		}
		cs.senderIDs, cs.pnids = append(cs.senderIDs, s.ID), append(cs.pnids, pnid)
	}
	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, ada promo {{2}} untuk Anda minggu ini.",
		"example": map[string]any{"body_text": [][]string{{"Siti", "cicilan 0%"}}}}}
	if code := st.call("POST", "/api/v1/templates", admin, map[string]any{"name": "promo_cicilan", "language": "id", "category": "MARKETING",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), admin, nil, nil); code != 200 {
		t.Fatalf("submit template: %d", code)
	}
	waitUntil(t, 10*time.Second, "template approved", func() bool {
		var s string
		st.db.Gorm.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == templates.TplApproved
	})
	cs.template = tpl.ID
	return cs
}

// audience inserts n contacts tagged tag (plus 5 opted out) and a segment.
func (st *stack) audience(admin, tag string, first, n int) int64 {
	t := st.t
	t.Helper()
	if err := st.db.Gorm.Exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags, opted_out)
		SELECT '+62813' || lpad(g::text, 8, '0'), '62813' || lpad(g::text, 8, '0'), 'Pelanggan ' || g, ARRAY[?], g >= ?
		FROM generate_series(?::int, ?::int) g`, tag, first+n, first, first+n+4).Error; err != nil {
		t.Fatal(err)
	}
	var sg struct{ ID int64 }
	if code := st.call("POST", "/api/v1/segments", admin, map[string]any{"name": tag, "filter": map[string]any{"tags": []string{tag}}}, &sg); code != 201 {
		t.Fatalf("create segment: %d", code)
	}
	return sg.ID
}

type campaignBody struct {
	campaigns.Campaign
	Funnel campaigns.Funnel `json:"funnel"`
}

// launchCampaign creates and launches a campaign over the seed's numbers
// (quiet hours open all day) and checks the audience preview.
func (st *stack) launchCampaign(cs campaignSeed, name string, segment int64, n int) int64 {
	t := st.t
	t.Helper()
	var created struct {
		Campaign campaigns.Campaign        `json:"campaign"`
		Audience campaigns.AudiencePreview `json:"audience"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if code := st.call("POST", "/api/v1/campaigns", cs.admin, map[string]any{"name": name, "templateId": cs.template, "segmentId": segment,
		"senderIds": cs.senderIDs, "variables": map[string]string{"body.1": "contact.name", "body.2": "cicilan 0%"},
		"quietHours": allDay}, &created); code != 201 {
		t.Fatalf("create campaign: %d", code)
	}
	if a := created.Audience; a.Size != int64(n)+5 || a.OptedOut != 5 || a.InvalidNumber != 0 || a.Sample["body.2"] != "cicilan 0%" {
		t.Fatalf("audience %+v", a)
	}
	id := created.Campaign.ID
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", id), cs.admin, nil, nil); code != 202 {
		t.Fatalf("launch: %d", code)
	}
	// Launching twice runs one workflow.
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", id), cs.admin, nil, nil); code != 202 {
		t.Fatalf("second launch: %d", code)
	}
	return id
}

// awaitCampaign waits for a launched campaign to complete; restarts > 0
// restarts the worker that many times, evenly through the run.
func (st *stack) awaitCampaign(cs campaignSeed, id int64, n, restarts int) campaignBody {
	t := st.t
	t.Helper()
	var v campaignBody
	get := func() campaignBody {
		if code := st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", id), cs.admin, nil, &v); code != 200 {
			t.Fatalf("get campaign: %d", code)
		}
		return v
	}
	// Progress is read straight from the recipients (cheap), not through
	// the funnel, whose joins would load PostgreSQL as much as the campaign.
	count := func(q string) int64 {
		if n > 5000 {
			time.Sleep(250 * time.Millisecond) // big campaigns: look less often
		}
		var c int64
		st.db.Gorm.Raw(q, id).Scan(&c)
		return c
	}
	sent := func() int64 {
		return count(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'sent'`)
	}
	for i := 1; i <= restarts; i++ {
		mark := int64(n) * int64(i) / int64(restarts+1)
		waitUntil(t, time.Duration(n)*20*time.Millisecond, fmt.Sprintf("%d sent", mark), func() bool { return sent() >= mark })
		st.restartWorker()
		t.Logf("worker restarted at %d/%d sent", sent(), n)
	}
	waitUntil(t, 30*time.Second+time.Duration(n)*20*time.Millisecond, "campaign completed", func() bool {
		if n > 5000 {
			time.Sleep(250 * time.Millisecond)
		}
		var status string
		st.db.Gorm.Raw(`SELECT status FROM campaigns WHERE id = ?`, id).Scan(&status)
		return status == campaigns.CampaignCompleted
	})
	waitUntil(t, 5*time.Second, "all sent", func() bool {
		f := get().Funnel
		return f.Sent == int64(n) && f.Queued == 0
	})
	// Delivered/read follow the simulator's status webhooks.
	// The simulator delivers status webhooks one after another: they trail
	// the sends by seconds when two campaigns run at once.
	deadline := time.Now().Add(90 * time.Second)
	for st.statusLoss < 1 && get().Funnel.Delivered < int64(n)*99/100 {
		if time.Now().After(deadline) {
			var states []struct {
				Status string
				N      int
			}
			st.db.Gorm.Raw(`SELECT m.status, count(*) AS n FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
				WHERE r.campaign_id = ? GROUP BY 1`, id).Scan(&states)
			t.Fatalf("statuses not delivered: funnel %+v, messages %+v, sim %+v", v.Funnel, states, st.sim.Snapshot())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s funnel %+v", v.Name, v.Funnel)
	return v
}

func (st *stack) runCampaign(cs campaignSeed, name string, segment int64, n, restarts int) campaignBody {
	st.t.Helper()
	return st.awaitCampaign(cs, st.launchCampaign(cs, name, segment, n), n, restarts)
}

// checkExactlyOnce: one accepted template per recipient on the campaign
// numbers, none refused for throughput, no second over 80 per number.
func (st *stack) checkExactlyOnce(cs campaignSeed, campaignID int64, firstContact, n int) {
	t := st.t
	t.Helper()
	var msgIDs []string
	st.db.Gorm.Raw(`SELECT message_id::text FROM campaign_recipients WHERE campaign_id = ? AND message_id IS NOT NULL`, campaignID).Scan(&msgIDs)
	ours := map[string]bool{}
	for _, id := range msgIDs {
		ours[id] = true
	}
	byTo := map[string]int{}
	refused := 0
	for _, e := range st.sim.Outbox() {
		if !ours[e.BizOpaque] {
			continue
		}
		if e.ErrorCode != 0 {
			// Refused (nothing sent) and retried by the outbox; logged
			// with the second's load for diagnosis.
			t.Logf("send to %s on %s at %s refused with %d (accepted that second: %d)", e.To, e.PhoneNumberID,
				e.At.Format("15:04:05.000"), e.ErrorCode, st.sim.Snapshot().PerSecond[e.PhoneNumberID][e.At.Unix()])
			refused++
			continue
		}
		byTo[e.To]++
	}
	if len(byTo) != n {
		t.Fatalf("%d recipients reached, want %d", len(byTo), n)
	}
	for i := firstContact; i < firstContact+n; i++ {
		to := "62813" + fmt.Sprintf("%08d", i)
		if byTo[to] != 1 {
			t.Fatalf("%s got %d templates", to, byTo[to])
		}
	}
	c := st.sim.Snapshot()
	for _, pnid := range cs.pnids {
		if c.MaxPerSecond[pnid] > 80 {
			t.Fatalf("number %s sent %d in one second (limit 80)", pnid, c.MaxPerSecond[pnid])
		}
		for sec, n := range c.PerSecond[pnid] {
			if n > 80 {
				t.Fatalf("number %s: %d sends in second %d", pnid, n, sec)
			}
		}
	}
	// Pacing is per number (SenderWorkflow + the shared per-second budget):
	// a refusal here means a number went over its limit.
	if refused != 0 {
		t.Fatalf("%d sends of this campaign refused for throughput (%d in all)", refused, c.Rejected[strconv.Itoa(130429)])
	}
	var bad int64
	st.db.Gorm.Raw(`SELECT count(*) FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
		WHERE r.campaign_id = ? AND (r.status <> 'sent' OR m.status NOT IN ('sent','delivered','read'))`, campaignID).Scan(&bad)
	if bad != 0 {
		t.Fatalf("%d recipients not sent/delivered/read", bad)
	}
}

// TestCampaignEndToEnd: 1,000 recipients over 3 senders through the real
// stack, then a second campaign that survives a worker restart mid-run.
func TestCampaignEndToEnd(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)

	start := time.Now()
	seg1 := st.audience(seed.admin, "promo-a", 1, 1000)

	// Bad input is refused before anything is stored, naming the field.
	var e struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	var draftTpl struct{ ID int64 }
	st.db.Gorm.Raw(`INSERT INTO templates (name, language, category, status, components) VALUES ('draft_promo', 'id', 'MARKETING', 'PENDING', '[]') RETURNING id`).Scan(&draftTpl)
	base := func(k string, v any) map[string]any {
		m := map[string]any{"name": "x", "templateId": cs.template, "segmentId": seg1, "senderIds": cs.senderIDs,
			"variables": map[string]string{"body.1": "contact.name", "body.2": "promo"}}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		body  map[string]any
		code  int
		field string
	}{
		{base("templateId", draftTpl.ID), 422, "templateId"},
		{base("variables", map[string]string{"body.1": "contact.name"}), 422, "variables"},
		{base("senderIds", []int64{}), 400, "senderIds"},
		{base("segmentId", 999999), 422, "segmentId"},
		{base("quietHours", map[string]any{"from": "21:00", "to": "08:00"}), 400, "quietHours.from"},
		{base("bogus", 1), 400, "bogus"},
	} {
		if code := st.call("POST", "/api/v1/campaigns", cs.admin, c.body, &e); code != c.code || e.Error.Field != c.field {
			t.Fatalf("%v: %d %+v, want %d on %s", c.body, code, e.Error, c.code, c.field)
		}
	}
	// Two campaigns at once on the same three numbers: each number has one
	// pacer (its SenderWorkflow and the shared per-second budget), so
	// together they never exceed 80/s on a number and Meta refuses nothing.
	seg2 := st.audience(seed.admin, "promo-b", 100001, 1000)
	sock := st.connect(cs.admin) // the progress page's live feed
	idA := st.launchCampaign(cs, "Promo A", seg1, 1000)
	idB := st.launchCampaign(cs, "Promo B", seg2, 1000)
	v := st.awaitCampaign(cs, idA, 1000, 0)
	v2 := st.awaitCampaign(cs, idB, 1000, 0)
	t.Logf("campaigns A and B at once: 2 x 1000 recipients in %s", time.Since(start).Round(time.Millisecond))
	for _, c := range []campaignBody{v, v2} {
		if f := c.Funnel; f.Recipients != 1005 || f.Skipped != 5 || f.SkipReason[campaigns.SkipOptedOut] != 5 || f.Sent != 1000 || f.Failed != 0 {
			t.Fatalf("%s funnel %+v", c.Name, f)
		}
	}
	st.checkExactlyOnce(cs, v.ID, 1, 1000)
	st.checkExactlyOnce(cs, v2.ID, 100001, 1000)
	// Progress arrived live over the websocket, ending with nothing queued.
	sock.waitFor(t, 10*time.Second, "final progress of A", func(e wsEvent) bool {
		var d campaigns.CampaignProgressData
		return e.Type == models.EventCampaignProgress && json.Unmarshal(e.Data, &d) == nil && d.CampaignID == idA && d.Queued == 0 && d.Sent == 1000
	})
	if n := sock.count(func(e wsEvent) bool { return e.Type == models.EventCampaignProgress }); n < 4 {
		t.Fatalf("%d progress events", n)
	}
	saveHistory(t, st, workflows.CampaignWorkflowID(v.ID), "campaign_v3.json")
	saveHistory(t, st, workflows.SenderWorkflowID(cs.senderIDs[0]), "sender.json")
	var senders []int64
	st.db.Gorm.Raw(`SELECT DISTINCT sender_id FROM campaign_recipients WHERE campaign_id = ? AND sender_id IS NOT NULL ORDER BY 1`, v.ID).Scan(&senders)
	if len(senders) != 3 {
		t.Fatalf("senders used %v", senders)
	}
	// The numbers' dispatchers are visible to ops and admins.
	var disp struct {
		Dispatcher *workflows.SenderState `json:"dispatcher"`
		Usage      dispatch.DispatchUsage `json:"usage"`
	}
	if code := st.call("GET", fmt.Sprintf("/api/v1/senders/%d/dispatch", cs.senderIDs[0]), cs.admin, nil, &disp); code != 200 ||
		disp.Dispatcher == nil || disp.Dispatcher.Sent < 600 || disp.Usage.TemplatesToday < 600 || disp.Usage.Queued != 0 {
		t.Fatalf("dispatch %d %+v %+v", code, disp.Dispatcher, disp.Usage)
	}

	// Customers who answer the template count as replied and their
	// conversations are open in the inbox.
	for i := 1; i <= 25; i++ {
		to := "+62813" + fmt.Sprintf("%08d", i)
		var conv struct{ SenderID int64 }
		st.db.Gorm.Raw(`SELECT cv.sender_id FROM campaign_recipients r JOIN messages m ON m.id = r.message_id JOIN conversations cv ON cv.id = m.conversation_id
			WHERE r.campaign_id = ? AND r.contact_id = (SELECT id FROM contacts WHERE phone_e164 = ?)`, v.ID, to).Scan(&conv)
		st.simPost("/sim/customers/"+to[1:]+"/messages", map[string]any{"type": "text", "text": "Saya tertarik, info lebih lanjut?",
			"phoneNumberId": cs.pnids[slices.Index(cs.senderIDs, conv.SenderID)]})
	}
	waitUntil(t, 15*time.Second, "25 replies in the funnel", func() bool {
		var c campaignBody
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", v.ID), cs.admin, nil, &c)
		return c.Funnel.Replied == 25
	})
	var inbox struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	if code := st.call("GET", "/api/v1/conversations?view=all&status=open&limit=100", cs.admin, nil, &inbox); code != 200 || len(inbox.Items) < 25 {
		t.Fatalf("open conversations: %d, %d", code, len(inbox.Items))
	}

	// Frequency cap: the first audience already got a template this week,
	// so a third campaign at 1 per 7 days skips everyone and sends nothing.
	accepted := st.sim.Snapshot().Accepted
	var capped struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	body := map[string]any{"name": "Promo A again", "templateId": cs.template, "segmentId": seg1, "senderIds": cs.senderIDs,
		"variables": map[string]string{"body.1": "contact.name", "body.2": "promo"}, "quietHours": allDay,
		"frequencyCap": map[string]any{"max": 1, "days": 7}}
	if code := st.call("POST", "/api/v1/campaigns", cs.admin, body, &capped); code != 201 {
		t.Fatalf("create capped: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", capped.Campaign.ID), cs.admin, nil, nil); code != 202 {
		t.Fatalf("launch capped: %d", code)
	}
	var cv campaignBody
	waitUntil(t, 20*time.Second, "capped campaign completed", func() bool {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", capped.Campaign.ID), cs.admin, nil, &cv)
		return cv.Status == campaigns.CampaignCompleted
	})
	if cv.Funnel.SkipReason[campaigns.SkipFrequencyCap] != 1000 || cv.Funnel.Sent != 0 || st.sim.Snapshot().Accepted != accepted {
		t.Fatalf("capped funnel %+v", cv.Funnel)
	}

	// A scheduled campaign is paused, then cancelled before it starts.
	body["name"], body["frequencyCap"], body["startAt"] = "Later", nil, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var later struct {
		Campaign campaigns.Campaign `json:"campaign"`
	}
	if code := st.call("POST", "/api/v1/campaigns", cs.admin, body, &later); code != 201 {
		t.Fatalf("create later: %d", code)
	}
	lid := later.Campaign.ID
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", lid), cs.admin, nil, nil); code != 202 {
		t.Fatalf("launch later: %d", code)
	}
	for _, a := range []string{"pause", "resume", "pause", "cancel"} {
		if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/%s", lid, a), cs.admin, nil, nil); code != 202 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	waitUntil(t, 10*time.Second, "scheduled campaign cancelled", func() bool {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", lid), cs.admin, nil, &cv)
		return cv.Status == campaigns.CampaignCancelled
	})
	if cv.Funnel.Recipients != 0 || st.sim.Snapshot().Accepted != accepted {
		t.Fatalf("cancelled campaign sent: %+v", cv.Funnel)
	}

	// A finished campaign cannot be paused; an unknown one is 404.
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/pause", v2.ID), cs.admin, nil, nil); code != 409 {
		t.Fatalf("pause completed: %d", code)
	}
	if code := st.call("GET", "/api/v1/campaigns/999999", cs.admin, nil, nil); code != 404 {
		t.Fatalf("unknown campaign: %d", code)
	}
}

// TestCampaign10kSurvivesWorkerRestarts: 10,000 recipients over 3 numbers,
// the worker stopped and replaced twice mid-run: exactly one template per
// recipient at the simulator, no second over a number's 80/s.
func TestCampaign10kSurvivesWorkerRestarts(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	const n = 10000
	seg := st.audience(seed.admin, "big", 200001, n)
	start := time.Now()
	v := st.runCampaign(cs, "Big", seg, n, 2)
	el := time.Since(start)
	t.Logf("10,000 recipients with 2 worker restarts in %s (%.0f/s; ceiling 3 x 76 = 228/s)", el.Round(time.Millisecond), n/el.Seconds())
	if f := v.Funnel; f.Sent != n || f.Failed != 0 || f.Skipped != 5 {
		t.Fatalf("funnel %+v", f)
	}
	st.checkExactlyOnce(cs, v.ID, 200001, n)
}

// Recipients Meta refused for a reason worth retrying (the portfolio's
// messaging limit was lower than the product knew) are sent by "retry
// failed" once the limit is raised; a recipient not on WhatsApp is not
// retried; nobody gets two templates.
func TestCampaignRetryFailed(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaignNumbersAt(seed.admin, 3, "TIER_50")
	seg := st.audience(seed.admin, "retry", 300001, 120)
	st.simPost("/sim/not-on-whatsapp/62813"+fmt.Sprintf("%08d", 300120), nil)
	id := st.launchCampaign(cs, "Retry", seg, 120)
	var v campaignBody
	get := func() campaignBody {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", id), cs.admin, nil, &v)
		return v
	}
	waitUntil(t, 60*time.Second, "first run completed", func() bool { return get().Status == campaigns.CampaignCompleted })
	waitUntil(t, 10*time.Second, "statuses in", func() bool { f := get().Funnel; return f.Failed >= 70 && f.Sent+f.Failed == 120 })
	var failures []struct {
		ErrorCode int
		N         int
	}
	st.db.Gorm.Raw(`SELECT COALESCE(r.error_code, m.error_code, 0) AS error_code, count(*) AS n FROM campaign_recipients r
		JOIN messages m ON m.id = r.message_id WHERE r.campaign_id = ? AND (r.status = 'failed' OR m.status = 'failed') GROUP BY 1 ORDER BY 1`, id).Scan(&failures)
	t.Logf("first run: funnel %+v, failures by code %+v", v.Funnel, failures)

	// Meta raises the portfolio's tier; retry sends the refused ones only.
	for _, pnid := range cs.pnids {
		st.simPost("/sim/numbers/"+pnid+"/quality", map[string]any{"event": "UPGRADE", "tier": "TIER_100K"})
	}
	var out struct{ Requeued int }
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), cs.admin, nil, &out); code != 202 {
		t.Fatalf("retry: %d", code)
	}
	waitUntil(t, 60*time.Second, "retry completed", func() bool {
		f := get().Funnel
		return get().Status == campaigns.CampaignCompleted && f.Queued == 0 && f.Sent == 119
	})
	waitUntil(t, 10*time.Second, "undeliverable reported", func() bool { return get().Funnel.Failed == 1 })
	if out.Requeued < 69 || out.Requeued > 70 {
		t.Fatalf("requeued %d", out.Requeued)
	}
	accepted := map[string]int{}
	for _, e := range st.sim.Outbox() {
		if e.ErrorCode == 0 || e.FailedAsync {
			accepted[e.To]++
		}
	}
	if len(accepted) != 120 {
		t.Fatalf("%d recipients accepted by Meta", len(accepted))
	}
	for to, n := range accepted {
		if n != 1 {
			t.Fatalf("%s accepted %d templates", to, n)
		}
	}
	// Nothing left worth retrying: 422 naming why.
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), cs.admin, nil, nil); code != 422 {
		t.Fatalf("second retry: %d", code)
	}
}

// A number flagged by Meta mid-campaign stops sending within a second or
// two (its quality webhook reaches the dispatcher); its recipients wait and
// go out after Meta unflags it; every recipient gets exactly one template.
func TestCampaignPausesFlaggedNumber(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	const n = 900
	seg := st.audience(seed.admin, "flag", 400001, n)
	id := st.launchCampaign(cs, "Flag", seg, n)
	var v campaignBody
	get := func() campaignBody {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", id), cs.admin, nil, &v)
		return v
	}
	waitUntil(t, 30*time.Second, "150 sent", func() bool { return get().Funnel.Sent >= 150 })
	// The pause is measured from the moment the product knows of the flag
	// (the webhook committed), not from the simulator's flag: Meta's delivery
	// delay is not the product's to bound, and in a loaded run the quality
	// update waits behind the campaign's status webhooks in the simulator's
	// queue (1.3-2.6 s on 2 busy cores, 2026-12-07). Its delivery is still
	// bounded below, so a lost or ignored update fails.
	simFlag := time.Now()
	st.simPost("/sim/numbers/"+cs.pnids[0]+"/quality", map[string]any{"event": "FLAGGED"})
	var flagged time.Time
	waitUntil(t, 15*time.Second, "the flag stored", func() bool {
		var status string
		flagged = time.Now() // before the read that sees the flag: after its commit at most by one poll
		st.db.Gorm.Raw(`SELECT status FROM senders WHERE id = ?`, cs.senderIDs[0]).Scan(&status)
		return status == models.SenderFlagged
	})
	t.Logf("the flag reached the product %s after the simulator raised it", flagged.Sub(simFlag).Round(time.Millisecond))
	var disp struct {
		Dispatcher *workflows.SenderState `json:"dispatcher"`
	}
	waitUntil(t, 10*time.Second, "dispatcher paused", func() bool {
		st.call("GET", fmt.Sprintf("/api/v1/senders/%d/dispatch", cs.senderIDs[0]), cs.admin, nil, &disp)
		return disp.Dispatcher != nil && disp.Dispatcher.Status == workflows.SenderPaused
	})
	// The other numbers finish their share while the flagged one waits.
	// Every page claimed first: under load the flag can land after the
	// flagged number sent all of the pages claimed so far, and the next page
	// (the flagged number's share of it included) comes with the campaign's
	// next poll (CI, 2026-12-07: 3 pages of 200 claimed, none queued).
	waitUntil(t, 30*time.Second, "all claimed, others done", func() bool {
		var claimed, q int64
		st.db.Gorm.Raw(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ?`, id).Scan(&claimed)
		st.db.Gorm.Raw(`SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND status = 'queued' AND sender_id <> ?`, id, cs.senderIDs[0]).Scan(&q)
		return claimed >= n && q == 0 // n and the audience's opted-out
	})
	if get().Status != campaigns.CampaignRunning || v.Funnel.Queued == 0 {
		t.Fatalf("while flagged: %s %+v", v.Status, v.Funnel)
	}
	unflagged := time.Now()
	st.simPost("/sim/numbers/"+cs.pnids[0]+"/quality", map[string]any{"event": "UNFLAGGED"})
	waitUntil(t, 60*time.Second, "completed after unflag", func() bool { return get().Status == campaigns.CampaignCompleted })
	late := 0
	for _, e := range st.sim.Outbox() {
		if e.PhoneNumberID == cs.pnids[0] && e.At.After(flagged.Add(2*time.Second)) && e.At.Before(unflagged) {
			late++
		}
	}
	if late != 0 {
		t.Fatalf("%d sends from the flagged number more than 2 s after the flag was stored", late)
	}
	st.checkExactlyOnce(cs, id, 400001, n)
}
