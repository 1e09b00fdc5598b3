package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/workflows"
	wfjourneys "github.com/wabascrm/scrm/workflows/journeys"
)

// zoneAt returns an IANA zone whose local hour is within [lo, hi) now.
func zoneAt(t *testing.T, lo, hi int) string {
	t.Helper()
	for _, z := range []string{"Asia/Jakarta", "Asia/Jayapura", "Pacific/Kiritimati", "Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo",
		"Asia/Shanghai", "Asia/Bangkok", "Asia/Dhaka", "Asia/Karachi", "Asia/Dubai", "Europe/Moscow", "Europe/Athens", "Europe/Berlin",
		"Europe/London", "Atlantic/Azores", "America/Noronha", "America/Sao_Paulo", "America/Halifax", "America/New_York",
		"America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "Pacific/Pago_Pago"} {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue
		}
		if h := time.Now().In(loc).Hour(); h >= lo && h < hi {
			return z
		}
	}
	t.Fatalf("no zone has a local hour in [%d, %d) now", lo, hi)
	return ""
}

// templateName reads the template a simulator outbox entry sent.
func templateName(e sim.OutboxEntry) string {
	var b struct {
		Template struct{ Name string } `json:"template"`
	}
	_ = json.Unmarshal(e.Body, &b)
	return b.Template.Name
}

// The collections journey over 1,000 customers on the whole stack:
// a reminder with a "Saya akan bayar" button, a wait for the reply (45 s
// here for the 24 h), a follow-up only to those who did not answer, and
// the tappers' promise recorded on their case and handed to a team.
// Exactly one message per step per customer; no send outside 08:00-20:00
// in the customer's zone (50 customers live where it is night now, and
// get nothing); customers who opt out mid-journey get no follow-up.
func TestJourneyCollections1000(t *testing.T) {
	// The tappers' 100 cases wait in the pool; the stack's 1 s assignment
	// retry would make them 100 workflow wake-ups a second.
	st := startStack(t, 24*time.Hour, withCaseConfig(workflows.CaseConfig{AssignmentExpiry: time.Hour, FollowUpDue: time.Hour, RetryAssignEvery: time.Hour}))
	seed := st.seedInbox()
	admin := seed.admin
	cs := st.seedCampaignNumbers(admin, 1)
	db := st.db.Gorm
	const n = 1000
	const first = 810001
	seg := st.audience(admin, "journey-1000", first, n) // n reachable, 5 opted out
	day, night := zoneAt(t, 9, 17), zoneAt(t, 1, 5)
	phone := func(i int) string { return fmt.Sprintf("62813%08d", first+i) }
	// Customers 0-949 live where it is day, 950-999 where it is night.
	if err := db.Exec(`UPDATE contacts SET attributes = jsonb_build_object('timezone', CASE WHEN wa_id >= ? THEN ? ELSE ? END)
		WHERE wa_id BETWEEN ? AND ?`, phone(950), night, day, phone(0), phone(n-1)).Error; err != nil {
		t.Fatal(err)
	}
	mkTemplate := func(name string, comps []map[string]any) int64 { return st.approvedTemplate(admin, name, comps) }
	body := func(text string) map[string]any {
		return map[string]any{"type": "BODY", "text": text, "example": map[string]any{"body_text": [][]string{{"Siti"}}}}
	}
	remind := mkTemplate("pengingat_tagihan", []map[string]any{body("Halo {{1}}, tagihan Anda jatuh tempo besok."),
		{"type": "BUTTONS", "buttons": []map[string]any{{"type": "QUICK_REPLY", "text": "Saya akan bayar"}}}})
	follow := mkTemplate("tindak_lanjut_tagihan", []map[string]any{body("Halo {{1}}, kami belum menerima kabar dari Anda.")})
	// The tappers' cases sit in a team with nobody in it (they stay pooled).
	var team struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", admin, map[string]any{"name": "Janji Bayar", "strategy": "round_robin"}, &team); code != 201 {
		t.Fatalf("create team: %d", code)
	}
	idOf := map[string]int64{}
	var rows []struct {
		ID   int64
		WAID string
	}
	db.Raw(`SELECT id, wa_id FROM contacts WHERE wa_id BETWEEN ? AND ?`, phone(0), phone(n-1)).Scan(&rows)
	for _, r := range rows {
		idOf[r.WAID] = r.ID
	}
	// Groups: 0-99 tap the button, 100-199 write back, 200-249 opt out
	// during the wait, 250-949 stay silent, 950-999 are asleep.
	group := func(i int) string {
		switch {
		case i < 100:
			return "tap"
		case i < 200:
			return "text"
		case i < 250:
			return "stop"
		case i < 950:
			return "silent"
		}
		return "night"
	}
	caseOf := map[string]int64{}
	for i := range 100 {
		var c struct{ ID int64 }
		if code := st.call("POST", "/api/v1/cases", admin, map[string]any{"reference": fmt.Sprintf("JR-%04d", i), "amount": 750000,
			"dueDate": time.Now().AddDate(0, 0, 1).Format(time.DateOnly), "teamId": team.ID, "contactId": idOf[phone(i)]}, &c); code != 201 && code != 200 {
			t.Fatalf("create case %d: %d", i, code)
		}
		caseOf[phone(i)] = c.ID
	}

	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: remind, Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu"}, Next: "reply"},
		{ID: "reply", Kind: journeys.KindWaitForReply, TimeoutSeconds: 45, Next: "answer", Else: "follow"},
		{ID: "answer", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnButton, Value: "Saya akan bayar", Goto: "promise"}}, Else: "end"},
		{ID: "promise", Kind: journeys.KindUpdateCase, Action: journeys.CaseActionPromise, PromiseDays: 3, Next: "handover"},
		{ID: "handover", Kind: journeys.KindAssign, TeamID: team.ID, Next: "end"},
		{ID: "follow", Kind: journeys.KindSendTemplate, TemplateID: follow, Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu"}, Next: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
	var created journeys.Detail
	if code := st.call("POST", "/api/v1/journeys", admin, map[string]any{"name": "Penagihan H-1", "senderId": cs.senderIDs[0],
		// OJK's contact hours, every day of the week (the day zone may be on a Sunday).
		"quietHours": map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "08:00", "to": "20:00"},
		"definition": def}, &created); code != 201 {
		t.Fatalf("create journey: %d", code)
	}
	jid := created.ID
	jURL := fmt.Sprintf("/api/v1/journeys/%d", jid)
	var errBody map[string]any
	if code := st.call("POST", jURL+"/enroll", admin, map[string]any{"segmentId": seg}, &errBody); code != 409 {
		t.Fatalf("enrol on a draft: %d %v, want 409", code, errBody)
	}
	if code := st.call("POST", jURL+"/launch", admin, nil, nil); code != 200 {
		t.Fatalf("launch: %d", code)
	}
	var res journeys.EnrollResult
	if code := st.call("POST", jURL+"/enroll", admin, map[string]any{"segmentId": seg}, &res); code != 202 {
		t.Fatalf("enrol: %d", code)
	}
	if res.Enrolled != n || res.OptedOut != 5 {
		t.Fatalf("enrolled %+v, want %d and 5 opted out", res, n)
	}

	// Play the customers: each answers once their reminder arrived.
	start := time.Now()
	answered := map[string]bool{}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	deadline := time.Now().Add(4 * time.Minute)
	for {
		for _, e := range st.sim.Outbox() {
			if e.Type != "template" || templateName(e) != "pengingat_tagihan" || answered[e.To] {
				continue
			}
			i := 0
			fmt.Sscanf(e.To, "62813%08d", &i)
			i -= first
			g := group(i)
			answered[e.To] = true
			if g != "tap" && g != "text" && g != "stop" {
				continue
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(to, g string) {
				defer func() { <-sem; wg.Done() }()
				switch g {
				case "tap":
					st.simPost("/sim/customers/"+to+"/messages", map[string]any{"type": "button", "text": "Saya akan bayar",
						"payload": "Saya akan bayar", "context": e.WAMID, "phoneNumberId": cs.pnids[0]})
				case "text":
					st.simPost("/sim/customers/"+to+"/messages", map[string]any{"type": "text", "text": "Nanti saya kabari ya", "phoneNumberId": cs.pnids[0]})
				case "stop":
					st.simPost("/sim/customers/"+to+"/preferences", map[string]any{"value": "stop", "phoneNumberId": cs.pnids[0]})
				}
			}(e.To, g)
		}
		var running int64
		db.Raw(`SELECT count(*) FROM journey_enrollments WHERE journey_id = ? AND status = 'running'`, jid).Scan(&running)
		if running == 50 {
			break
		}
		if time.Now().After(deadline) {
			var where []struct {
				Status, CurrentStep string
				Started             bool
				N                   int
			}
			db.Raw(`SELECT status, current_step, workflow_started AS started, count(*) AS n FROM journey_enrollments WHERE journey_id = ? GROUP BY 1, 2, 3`, jid).Scan(&where)
			var states []struct {
				SendState, Status string
				N                 int
			}
			db.Raw(`SELECT send_state, status, count(*) AS n FROM messages WHERE direction = 'out' GROUP BY 1, 2`).Scan(&states)
			t.Logf("enrollments %+v; outbound messages %+v; outbox %d", where, states, len(st.sim.Outbox()))
			t.Fatalf("after %s, %d enrollments still run (want the 50 asleep)", time.Since(start).Round(time.Second), running)
		}
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("950 customers through the journey in %s", time.Since(start).Round(time.Millisecond))

	// Exactly one message per step per customer, in contact hours.
	sent := map[string][]string{}
	for _, e := range st.sim.Outbox() {
		if e.Type != "template" || idOf[e.To] == 0 {
			continue
		}
		sent[e.To] = append(sent[e.To], templateName(e))
		i := 0
		fmt.Sscanf(e.To, "62813%08d", &i)
		zone := day
		if i-first >= 950 {
			zone = night
		}
		loc, _ := time.LoadLocation(zone)
		if h := e.At.In(loc).Hour(); h < 8 || h >= 20 {
			t.Fatalf("%s got %s at %s local (%s): outside 08:00-20:00", e.To, templateName(e), e.At.In(loc).Format(time.Kitchen), zone)
		}
	}
	for i := range n {
		p, got := phone(i), sent[phone(i)]
		want := []string{"pengingat_tagihan"}
		switch group(i) {
		case "silent":
			want = append(want, "tindak_lanjut_tagihan")
		case "night":
			want = nil
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("customer %d (%s, %s) got %v, want %v", i, p, group(i), got, want)
		}
	}
	// Where each enrollment ended.
	var ends []struct {
		Status, ExitReason, CurrentStep string
		N                               int
	}
	db.Raw(`SELECT status, exit_reason, current_step, count(*) AS n FROM journey_enrollments WHERE journey_id = ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, jid).Scan(&ends)
	// The sleepers have no record yet: their first is the reminder's.
	want := map[string]int{"completed/end": 900, "exited/opted_out/reply": 50, "running/": 50}
	got := map[string]int{}
	for _, e := range ends {
		k := e.Status + "/" + e.CurrentStep
		if e.ExitReason != "" {
			k = e.Status + "/" + e.ExitReason + "/" + e.CurrentStep
		}
		got[k] += e.N
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("enrollment ends %v, want %v", got, want)
	}
	// The tappers' promise is on their case; their thread is the team's.
	var promised, handed int64
	db.Raw(`SELECT count(*) FROM cases WHERE id IN ? AND outcome = 'promise_to_pay' AND promise_date IS NOT NULL`, values(caseOf)).Scan(&promised)
	db.Raw(`SELECT count(*) FROM conversations WHERE contact_id IN (SELECT contact_id FROM cases WHERE id IN ?) AND team_id = ?`, values(caseOf), team.ID).Scan(&handed)
	if promised != 100 || handed != 100 {
		t.Fatalf("%d promises recorded and %d threads handed to the team, want 100 each", promised, handed)
	}
	// The funnel as the web app reads it.
	var fb struct{ Rows []journeys.FunnelRow }
	if code := st.call("GET", jURL+"/funnel", admin, nil, &fb); code != 200 {
		t.Fatalf("funnel: %d", code)
	}
	funnel := map[string]int64{}
	for _, r := range fb.Rows {
		funnel[r.StepID+"."+r.Counter+"."+r.Detail] = r.N
	}
	for k, v := range map[string]int64{"remind.entered.": 950, "remind.sent.": 950, "reply.entered.": 950, "reply.replied.": 200,
		"reply.exited.opted_out": 50, "answer.branched.promise": 100, "answer.branched.end": 100, "promise.entered.": 100,
		"handover.entered.": 100, "follow.entered.": 700, "follow.sent.": 700, "end.entered.": 900} {
		if funnel[k] != v {
			t.Fatalf("funnel %s = %d, want %d (all: %v)", k, funnel[k], v, funnel)
		}
	}
	// A sleeping customer's workflow waits for 08:00 in their zone.
	var asleep struct{ ID int64 }
	db.Raw(`SELECT e.id FROM journey_enrollments e JOIN contacts c ON c.id = e.contact_id WHERE e.journey_id = ? AND c.wa_id = ?`, jid, phone(999)).Scan(&asleep)
	v, err := st.temporal.QueryWorkflow(context.Background(), workflows.JourneyEnrollmentWorkflowID(jid, asleep.ID), "", workflows.QueryJourneyState)
	if err != nil {
		t.Fatal(err)
	}
	var state wfjourneys.JourneyState
	if err := v.Get(&state); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation(night)
	if w := state.WaitingUntil.In(loc); w.Hour() != 8 || w.Minute() != 0 || !w.After(time.Now()) {
		t.Fatalf("asleep customer waits until %s local, want the next 08:00", w)
	}
	// Cancelling the journey ends the sleepers without a message.
	if code := st.call("POST", jURL+"/cancel", admin, nil, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	waitUntil(t, 30*time.Second, "the sleepers cancelled", func() bool {
		var running int64
		db.Raw(`SELECT count(*) FROM journey_enrollments WHERE journey_id = ? AND status = 'running'`, jid).Scan(&running)
		return running == 0
	})
	for _, e := range st.sim.Outbox() {
		if i := 0; e.Type == "template" && idOf[e.To] != 0 {
			fmt.Sscanf(e.To, "62813%08d", &i)
			if i-first >= 950 {
				t.Fatalf("a sleeping customer %s got %s after the cancel", e.To, templateName(e))
			}
		}
	}
}

func values(m map[string]int64) []int64 {
	out := make([]int64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
