package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
)

// allDay lets a journey send at any hour of any day (To is exclusive:
// 23:59-00:00 local is the one closed minute).
var allDay = models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"}

// liveJourney stores a journey on senderID (quiet hours open all day) and
// sets it live.
func (st *stack) liveJourney(name string, senderID int64, def journeys.Definition) int64 {
	st.t.Helper()
	js := journeys.JourneyStore{DB: st.db.Gorm}
	j, _, err := js.Create(context.Background(), journeys.NewJourney{Name: name, SenderID: senderID, QuietHours: allDay, Definition: def})
	if err != nil {
		st.t.Fatalf("create journey %s: %v", name, err)
	}
	if _, err := js.SetStatus(context.Background(), j.ID, journeys.JourneyLive); err != nil {
		st.t.Fatal(err)
	}
	return j.ID
}

var allScope = models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}

// TestJourneyButtonReplyEndToEnd runs one customer through send_template ->
// wait_for_reply -> branch on the tapped button -> update_case -> stop on
// the whole stack: the reminder reaches the simulator, the customer taps
// its quick-reply button "Saya janji bayar" (the payload is the label), the trigger's journey_signals row reaches the workflow, the
// promise lands on the customer's case and no follow-up is sent. With
// SCRM_UPDATE_HISTORIES=1 it records workflows/journeys/testdata/journey.json.
func TestJourneyButtonReplyEndToEnd(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	ctx := context.Background()
	remind := st.approvedTemplate(seed.admin, "pengingat_jatuh_tempo", []map[string]any{
		{"type": "BODY", "text": "Halo {{1}}, tagihan Anda jatuh tempo besok.", "example": map[string]any{"body_text": [][]string{{"Siti"}}}},
		{"type": "BUTTONS", "buttons": []map[string]any{{"type": "QUICK_REPLY", "text": "Saya janji bayar"}}}})
	follow := st.journeyTemplate(seed.admin, "pengingat_lanjutan", "Halo {{1}}, tagihan Anda belum kami terima.")

	var debtor struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", seed.admin, map[string]any{"phone": "0813-7777-0001", "name": "Dewi Anggraini"}, &debtor); code != 201 {
		t.Fatalf("create contact: %d", code)
	}
	var c struct{ ID int64 }
	if code := st.call("POST", "/api/v1/cases", seed.admin, map[string]any{"reference": "LN-JOURNEY-1", "amount": 1500000,
		"dueDate": "2026-12-20", "product": "Pinjaman Tunai", "teamId": seed.teamID, "contactId": debtor.ID}, &c); code != 201 && code != 200 {
		t.Fatalf("create case: %d", code)
	}
	vars := map[string]string{"body.1": "contact.name|Bapak/Ibu"}
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: remind, Variables: vars},
		{ID: "reply", Kind: journeys.KindWaitForReply, TimeoutSeconds: 60, Next: "route", Else: "follow"},
		{ID: "route", Kind: journeys.KindBranch, Rules: []journeys.BranchRule{{On: journeys.OnButton, Value: "Saya janji bayar", Goto: "promise"}}, Else: "follow"},
		{ID: "promise", Kind: journeys.KindUpdateCase, Action: journeys.CaseActionPromise, PromiseDays: 3, Next: "end"},
		{ID: "follow", Kind: journeys.KindSendTemplate, TemplateID: follow, Variables: vars, Next: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
	jid := st.liveJourney("Pengingat jatuh tempo", seed.senderID, def)
	js := journeys.JourneyStore{DB: st.db.Gorm}
	res, err := js.EnrollAudience(ctx, allScope, jid, journeys.Audience{ContactIDs: []int64{debtor.ID}})
	if err != nil || res.Enrolled != 1 {
		t.Fatalf("enrol: %+v %v", res, err)
	}
	const phone = "6281377770001"
	templatesTo := func() int {
		n := 0
		for _, e := range st.sim.Outbox() {
			if e.To == phone && e.Type == "template" && e.ErrorCode == 0 {
				n++
			}
		}
		return n
	}
	waitUntil(t, 30*time.Second, "reminder at the simulator", func() bool { return templatesTo() == 1 })
	// No agent wrote it: the thread marks it automated (origin auto).
	var origins []string
	st.db.Gorm.Raw(`SELECT origin FROM messages WHERE idempotency_scope = ?`, journeys.IdempotencyScope).Scan(&origins)
	if len(origins) != 1 || origins[0] != models.OriginAuto {
		t.Fatalf("journey send origins %q, want [auto]", origins)
	}
	st.simPost("/sim/customers/"+phone+"/messages", map[string]any{"type": "button", "text": "Saya janji bayar", "context": st.templateTo(phone), "phoneNumberId": e2ePNID})

	var e journeys.Enrollment
	waitUntil(t, 30*time.Second, "enrollment completed", func() bool {
		st.db.Gorm.Where("journey_id = ?", jid).Take(&e)
		return e.Status == journeys.EnrollmentCompleted
	})
	if e.CurrentStep != "end" {
		t.Fatalf("enrollment ended at %q, want end", e.CurrentStep)
	}
	waitUntil(t, 10*time.Second, "promise on the case", func() bool {
		var outcome string
		st.db.Gorm.Raw(`SELECT COALESCE(outcome, '') FROM cases WHERE id = ? AND promise_date IS NOT NULL`, c.ID).Scan(&outcome)
		return outcome == journeys.CaseActionPromise
	})
	funnel, err := js.Funnel(ctx, jid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("funnel %+v", funnel)
	time.Sleep(time.Second) // a wrong follow-up would be at the simulator by now
	if n := templatesTo(); n != 1 {
		t.Fatalf("%d templates to the customer, want 1 (no follow-up after the button)", n)
	}
	id := workflows.JourneyEnrollmentWorkflowID(jid, e.ID)
	if os.Getenv("SCRM_UPDATE_HISTORIES") == "1" {
		if err := st.temporal.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		writeHistoryAt(t, historyEvents(t, st.temporal, id), id, filepath.Join("..", "..", "workflows", "journeys", "testdata", "journey.json"))
	}
}
