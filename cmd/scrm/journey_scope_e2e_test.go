package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/journeys"
)

// An enrollment names a customer: a campaigns reader whose role sees only
// its own contacts lists only its own customers' enrollments and cannot end
// another's by guessing ids (404, the enrollment runs on), while the
// journey's counts (they name nobody) stay readable, as a campaign's do.
func TestJourneyEnrollmentsThroughContactScope(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	var role struct{ ID int64 }
	if code := st.call("POST", "/api/v1/roles", seed.admin, map[string]any{"name": "Analis Kampanye",
		"permissions": []string{"campaigns:read", "campaigns:launch"}, "dataScope": "own"}, &role); code != 201 {
		t.Fatalf("create role: %d", code)
	}
	var analyst struct{ ID int64 }
	if code := st.call("POST", "/api/v1/agents", seed.admin, map[string]any{"name": "Rina Analis", "email": "rina@e2e.id",
		"password": "agent-password-1", "roleId": role.ID, "teamIds": []int64{seed.teamID}}, &analyst); code != 201 {
		t.Fatalf("create analyst: %d", code)
	}
	rina := st.login("rina@e2e.id", "agent-password-1")
	contact := func(phone, name string, owner int64) int64 {
		body := map[string]any{"phone": phone, "name": name}
		if owner != 0 {
			body["ownerAgentId"] = owner
		}
		var c struct{ ID int64 }
		if code := st.call("POST", "/api/v1/contacts", seed.admin, body, &c); code != 201 {
			t.Fatalf("create contact %s: %d", name, code)
		}
		return c.ID
	}
	mine := contact("0813-7777-0101", "Pelanggan Rina", analyst.ID)
	other := contact("0813-7777-0102", "Pelanggan Lain", 0)
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "hold", Kind: journeys.KindWaitForReply, TimeoutSeconds: 3600, Next: "end", Else: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
	jid := st.liveJourney("Cakupan", seed.senderID, def)
	js := journeys.JourneyStore{DB: st.db.Gorm}
	if res, err := js.EnrollAudience(context.Background(), allScope, jid, journeys.Audience{ContactIDs: []int64{mine, other}}); err != nil || res.Enrolled != 2 {
		t.Fatalf("enrol: %+v %v", res, err)
	}
	type page struct {
		Items []journeys.Enrollment `json:"items"`
		Total int64                 `json:"total"`
	}
	list := func(token string) page {
		var p page
		if code := st.call("GET", fmt.Sprintf("/api/v1/journeys/%d/enrollments", jid), token, nil, &p); code != 200 {
			t.Fatalf("list enrollments: %d", code)
		}
		return p
	}
	if p := list(seed.admin); p.Total != 2 || len(p.Items) != 2 {
		t.Fatalf("the admin sees %+v, want both enrollments", p)
	}
	p := list(rina)
	if p.Total != 1 || len(p.Items) != 1 || p.Items[0].ContactID != mine {
		t.Fatalf("an own-scope reader sees %+v, want only its own customer's enrollment", p)
	}
	var theirs int64
	for _, e := range list(seed.admin).Items {
		if e.ContactID == other {
			theirs = e.ID
		}
	}
	// Ending another's enrollment by its id: not found, and nothing changed.
	if code := st.call("POST", fmt.Sprintf("/api/v1/journeys/%d/enrollments/%d/exit", jid, theirs), rina, nil, nil); code != 404 {
		t.Fatalf("exit of an out-of-scope enrollment: %d, want 404", code)
	}
	if e, err := js.Enrollment(context.Background(), theirs); err != nil || e.Status != journeys.EnrollmentRunning {
		t.Fatalf("the out-of-scope enrollment after the refused exit: %+v %v", e, err)
	}
	var sig int64
	st.db.Gorm.Raw(`SELECT count(*) FROM journey_signals WHERE enrollment_id = ?`, theirs).Scan(&sig)
	if sig != 0 {
		t.Fatalf("the refused exit wrote %d signals", sig)
	}
	// Its own customer's enrollment it may end.
	if code := st.call("POST", fmt.Sprintf("/api/v1/journeys/%d/enrollments/%d/exit", jid, p.Items[0].ID), rina, nil, nil); code != 202 {
		t.Fatalf("exit of its own customer's enrollment: %d, want 202", code)
	}
	waitUntil(t, 30*time.Second, "own enrollment ended", func() bool {
		e, err := js.Enrollment(context.Background(), p.Items[0].ID)
		return err == nil && e.Status != journeys.EnrollmentRunning
	})
	if code := st.call("GET", fmt.Sprintf("/api/v1/journeys/%d/funnel", jid), rina, nil, nil); code != 200 {
		t.Fatalf("funnel for a campaigns reader: %d", code)
	}
}
