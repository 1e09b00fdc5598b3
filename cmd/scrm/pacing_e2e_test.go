package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/campaigns"
)

// WhatsApp's template pacing (sends answered held_for_quality_assessment):
// the campaign waits with the reason on screen instead of pouring its
// audience into a queue that may be dropped; a good verdict releases the
// held messages and the campaign goes on by itself, every customer getting
// exactly one message. A bad verdict pauses the template: the dropped
// messages fail with 132015 and go again by "retry failed" once the
// template is approved.
func TestCampaignWaitsForTemplatePacing(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	var metaID string
	st.db.Gorm.Raw(`SELECT meta_id FROM templates WHERE id = ?`, cs.template).Scan(&metaID)
	st.simPost("/sim/templates/"+metaID+"/pacing", map[string]any{"threshold": 40})

	const n = 300
	seg := st.audience(seed.admin, "paced", 700001, n)
	id := st.launchCampaign(cs, "Paced", seg, n)
	var c struct {
		Status       string `json:"status"`
		StatusReason string `json:"statusReason"`
	}
	get := func(id int64) {
		st.call("GET", fmt.Sprintf("/api/v1/campaigns/%d", id), cs.admin, nil, &c)
	}
	waitUntil(t, 60*time.Second, "campaign waits for pacing", func() bool {
		get(id)
		return c.Status == campaigns.CampaignPaused && strings.Contains(c.StatusReason, "WhatsApp is pacing template")
	})
	time.Sleep(2 * time.Second) // sends on their way land
	before := len(st.sim.Outbox())
	time.Sleep(3 * time.Second)
	if after := len(st.sim.Outbox()); after != before {
		t.Fatalf("%d sends while the template was paced", after-before)
	}
	var held int64
	st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE held_at IS NOT NULL`).Scan(&held)
	if held == 0 || held > int64(before-40) {
		t.Fatalf("%d messages marked held of %d sent past the threshold", held, before-40)
	}
	t.Logf("paced: %d sent, %d held by WhatsApp when the campaign stopped", before, held)
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/resume", id), cs.admin, nil, nil); code != 409 {
		t.Fatalf("resume while paced: %d, want 409", code)
	}
	st.simPost("/sim/templates/"+metaID+"/pacing", map[string]any{"verdict": "good"})
	waitUntil(t, 30*time.Second, "held messages released", func() bool {
		st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE held_at IS NOT NULL`).Scan(&held)
		return held == 0
	})
	waitUntil(t, 30*time.Second, "campaign running again", func() bool {
		get(id)
		var paced int64
		st.db.Gorm.Raw(`SELECT count(*) FROM templates WHERE paced_since IS NOT NULL`).Scan(&paced)
		t.Logf("campaign %s %q, %d paced templates", c.Status, c.StatusReason, paced)
		return c.Status != campaigns.CampaignPaused
	})
	waitUntil(t, 120*time.Second, "completed after the release", func() bool {
		get(id)
		return c.Status == campaigns.CampaignCompleted
	})
	accepted := map[string]int{}
	for _, e := range st.sim.Outbox() {
		if e.ErrorCode == 0 {
			accepted[e.To]++
		}
	}
	if len(accepted) != n {
		t.Fatalf("%d of %d customers got the campaign", len(accepted), n)
	}
	for to, k := range accepted {
		if k != 1 {
			t.Fatalf("%s got %d messages", to, k)
		}
	}
	st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE held_at IS NOT NULL`).Scan(&held)
	var paced int64
	st.db.Gorm.Raw(`SELECT count(*) FROM templates WHERE paced_since IS NOT NULL`).Scan(&paced)
	if held != 0 || paced != 0 {
		t.Fatalf("after the release: %d held messages, %d paced templates", held, paced)
	}

	// A bad verdict.
	st.simPost("/sim/templates/"+metaID+"/pacing", map[string]any{"threshold": 0})
	const m = 40
	seg2 := st.audience(seed.admin, "dropped", 710001, m)
	id2 := st.launchCampaign(cs, "Dropped", seg2, m)
	waitUntil(t, 60*time.Second, "second campaign waits for pacing", func() bool {
		get(id2)
		return c.Status == campaigns.CampaignPaused && strings.Contains(c.StatusReason, "pacing")
	})
	time.Sleep(2 * time.Second) // sends on their way land
	st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE held_at IS NOT NULL`).Scan(&held)
	if held == 0 {
		t.Fatal("no message held with a threshold of 0")
	}
	st.simPost("/sim/templates/"+metaID+"/pacing", map[string]any{"verdict": "bad"})
	waitUntil(t, 30*time.Second, "held by the pause, dropped ones failed", func() bool {
		get(id2)
		var failed int64
		st.db.Gorm.Raw(`SELECT count(*) FROM messages m JOIN campaign_recipients r ON r.message_id = m.id
			WHERE r.campaign_id = ? AND m.status = 'failed' AND m.error_code = 132015`, id2).Scan(&failed)
		return strings.Contains(c.StatusReason, "WhatsApp paused template") && failed == held
	})
	st.simPost("/sim/templates/"+metaID+"/review", map[string]any{"status": "APPROVED"})
	waitUntil(t, 60*time.Second, "second campaign done after the approval", func() bool {
		get(id2)
		return c.Status == campaigns.CampaignCompleted
	})
	var requeued struct {
		Requeued int `json:"requeued"`
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id2), cs.admin, nil, &requeued); code != 202 && code != 200 {
		t.Fatalf("retry failed: %d", code)
	}
	waitUntil(t, 60*time.Second, "every customer of the second campaign reached once", func() bool {
		got := map[string]int{}
		for _, e := range st.sim.Outbox() {
			if e.ErrorCode == 0 && strings.HasPrefix(e.To, "628130071") {
				got[e.To]++
			}
		}
		return len(got) == m
	})
	t.Logf("bad verdict: %d held messages dropped (132015), requeued %d", held, requeued.Requeued)
}
