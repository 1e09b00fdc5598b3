package activities_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker/testenv"
)

// A review result whose webhook was lost is corrected by the reconcile pass.
func TestReconcileTemplatesAppliesMetaStatuses(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	s := sim.New(sim.Options{Seed: 1, TemplateReviewDelay: 10 * time.Millisecond, Numbers: []sim.Number{{PhoneNumberID: "PN-R", WABAID: "WABA-R"}}}) // no webhook URL: the approval webhook is "lost"
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer s.Close()
	client := waba.NewClient(srv.URL, "v23.0", "", nil)
	ctx := context.Background()
	comps := json.RawMessage(`[{"type":"BODY","text":"Halo {{1}}, tagihan Anda jatuh tempo.","example":{"body_text":[["Siti"]]}}]`)
	store := templates.TemplateStore{DB: db}
	tpl, err := store.Create(ctx, templates.Template{Name: "pengingat", Language: "id", Category: "UTILITY", Components: comps, WABAID: "WABA-R"})
	if err != nil {
		t.Fatal(err)
	}
	if tpl, err = store.Submit(ctx, client, tpl.ID); err != nil || tpl.Status != templates.TplPending {
		t.Fatalf("submit: %+v %v", tpl, err)
	}
	time.Sleep(100 * time.Millisecond) // the simulator approves it
	a := &activities.TemplateSync{Store: store, API: client}
	res, err := a.ReconcileTemplates(ctx)
	if err != nil || res.WABAs != 1 || res.Changed != 1 {
		t.Fatalf("reconcile: %+v %v", res, err)
	}
	got, _ := store.Get(ctx, tpl.ID)
	if got.Status != templates.TplApproved {
		t.Fatalf("status %s", got.Status)
	}
	// A second pass changes nothing.
	if res, err := a.ReconcileTemplates(ctx); err != nil || res.Changed != 0 {
		t.Fatalf("second pass: %+v %v", res, err)
	}
}
