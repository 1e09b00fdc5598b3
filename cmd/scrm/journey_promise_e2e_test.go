package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/journeys"
)

// TestJourneyPromiseDateEndToEnd runs the self-service promise to
// pay on the whole stack: the reminder reaches the simulator, the customer
// taps "Saya akan bayar", the journey sends the list of dates (an
// interactive list the strict simulator accepts, rows ptp:<date>), the
// customer taps a date, the promise lands on the case with that date and
// the confirmation reaches the customer: each exactly once.
func TestJourneyPromiseDateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ctx := context.Background()
	remind := st.approvedTemplate(seed.admin, "pengingat_janji_bayar", []map[string]any{
		{"type": "BODY", "text": "Halo {{1}}, tagihan Anda jatuh tempo besok.", "example": map[string]any{"body_text": [][]string{{"Siti"}}}},
		{"type": "BUTTONS", "buttons": []map[string]any{{"type": "QUICK_REPLY", "text": "Saya akan bayar"}}}})

	var debtor struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", seed.admin, map[string]any{"phone": "0813-7777-0002", "name": "Budi Santoso"}, &debtor); code != 201 {
		t.Fatalf("create contact: %d", code)
	}
	var c struct{ ID int64 }
	if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "LN-PTP-1", "amount": 2500000,
		"dueDate": "2026-12-20", "product": "Pinjaman Tunai", "teamId": seed.teamID, "contactId": debtor.ID}, &c); code != 201 && code != 200 {
		t.Fatalf("create case: %d", code)
	}
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: remind, Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu"}},
		{ID: "reply", Kind: journeys.KindWaitForReply, TimeoutSeconds: 120, Next: "route", Else: "end"},
		{ID: "route", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnButton, Value: "Saya akan bayar", Goto: "ask"}}, Else: "end"},
		{ID: "ask", Kind: journeys.KindAskPromiseDate, Body: "Kapan Anda bisa membayar?", Dates: 5, Button: "Pilih tanggal", TimeoutSeconds: 120, Next: "end", Else: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
	jid := st.liveJourney("Janji bayar mandiri", seed.senderID, def)
	js := journeys.JourneyStore{DB: st.db.Gorm}
	if res, err := js.EnrollAudience(ctx, allScope, jid, journeys.Audience{ContactIDs: []int64{debtor.ID}}); err != nil || res.Enrolled != 1 {
		t.Fatalf("enrol: %+v %v", res, err)
	}
	const phone = "6281377770002"
	to := func(typ string) (n int, last string, body json.RawMessage) {
		for _, e := range st.sim.Outbox() {
			if e.To == phone && e.Type == typ && e.ErrorCode == 0 {
				n, last, body = n+1, e.WAMID, e.Body
			}
		}
		return n, last, body
	}
	waitUntil(t, 30*time.Second, "reminder at the simulator", func() bool { n, _, _ := to("template"); return n == 1 })
	st.simPost("/sim/customers/"+phone+"/messages", map[string]any{"type": "button", "text": "Saya akan bayar", "context": st.templateTo(phone), "phoneNumberId": e2ePNID})

	waitUntil(t, 30*time.Second, "list of dates at the simulator", func() bool { n, _, _ := to("interactive"); return n == 1 })
	_, listID, raw := to("interactive")
	var list struct {
		Interactive struct {
			Type   string                `json:"type"`
			Body   struct{ Text string } `json:"body"`
			Action struct {
				Button   string `json:"button"`
				Sections []struct {
					Rows []struct{ ID, Title string } `json:"rows"`
				} `json:"sections"`
			} `json:"action"`
		} `json:"interactive"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	in := list.Interactive
	if in.Type != "list" || in.Action.Button != "Pilih tanggal" || in.Body.Text != "Kapan Anda bisa membayar?" || len(in.Action.Sections) != 1 || len(in.Action.Sections[0].Rows) != 5 {
		t.Fatalf("list at the simulator: %s", raw)
	}
	row := in.Action.Sections[0].Rows[1]
	date, err := time.Parse(time.DateOnly, strings.TrimPrefix(row.ID, "ptp:"))
	if err != nil || row.Title != journeys.PromiseRowTitle(date) {
		t.Fatalf("row %+v: %v", row, err)
	}
	st.simPost("/sim/customers/"+phone+"/messages", map[string]any{"type": "list_reply", "context": listID, "payload": row.ID, "phoneNumberId": e2ePNID})

	var e journeys.Enrollment
	waitUntil(t, 30*time.Second, "enrollment completed", func() bool {
		st.db.Gorm.Where("journey_id = ?", jid).Take(&e)
		return e.Status == journeys.EnrollmentCompleted
	})
	waitUntil(t, 10*time.Second, "promise on the case", func() bool {
		var got []string
		st.db.Gorm.Raw(`SELECT to_char(promise_date, 'YYYY-MM-DD') FROM cases WHERE id = ? AND outcome = ?`, c.ID, journeys.CaseActionPromise).Scan(&got)
		return len(got) == 1 && got[0] == date.Format(time.DateOnly)
	})
	want := journeys.PromiseConfirmation(date)
	confirmations := func() int {
		n := 0
		for _, e := range st.sim.Outbox() {
			if e.To == phone && e.Type == "text" && e.ErrorCode == 0 && strings.Contains(string(e.Body), want) {
				n++
			}
		}
		return n
	}
	waitUntil(t, 15*time.Second, "confirmation at the simulator", func() bool { return confirmations() == 1 })
	time.Sleep(time.Second) // a second list or confirmation would be there by now
	if n, _, _ := to("interactive"); n != 1 || confirmations() != 1 {
		t.Fatalf("%d lists, %d confirmations; want 1 each", n, confirmations())
	}
	var origins []string
	st.db.Gorm.Raw(`SELECT origin FROM messages WHERE idempotency_scope = ? ORDER BY id`, journeys.IdempotencyScope).Scan(&origins)
	if strings.Join(origins, ",") != "auto,auto,auto" {
		t.Fatalf("journey sends' origins %q", origins)
	}
	funnel, err := js.Funnel(ctx, jid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range funnel {
		if r.StepID == "ask" {
			got[r.Counter] += int64(r.N)
		}
	}
	if got[journeys.CountEntered] != 1 || got[journeys.CountSent] != 1 || got[journeys.CountReplied] != 1 || len(got) != 3 {
		t.Fatalf("the ask step's funnel %v", got)
	}
}
