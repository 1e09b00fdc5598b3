package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/worker/testenv"
)

// A journey's step records reach the reports as they reach its page: the
// range's funnel per version and step in the report and its export's
// journeys table, matching the journey's own counters; nothing for a range
// before the records, for a team-scoped reader, or for another number.
func TestJourneyFunnelInTheReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	sq := testenv.SQL{T: t, DB: db}
	sq.Exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1'), (2, 'PN2', '+62 21 2')`)
	sq.Exec(`INSERT INTO contacts (id, phone_e164, wa_id, name) VALUES (1, '+6281100000001', '6281100000001', 'Ani'), (2, '+6281100000002', '6281100000002', 'Budi')`)
	js := journeys.JourneyStore{DB: db}
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "hold", Kind: journeys.KindWaitForReply, TimeoutSeconds: 60, Next: "end", Else: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
	j, _, err := js.Create(ctx, journeys.NewJourney{Name: "Pengingat =1+1", SenderID: 1, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.SetStatus(ctx, j.ID, journeys.JourneyLive); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{1, 2} {
		e, _, err := js.Enroll(ctx, j.ID, c, "api")
		if err != nil {
			t.Fatal(err)
		}
		recs := []journeys.StepRecord{
			{EnrollmentID: e.ID, Seq: 1, Step: "hold", Counts: []journeys.Count{{Step: "hold", Counter: journeys.CountEntered}}},
			{EnrollmentID: e.ID, Seq: 2, Step: "end", Status: journeys.EnrollmentCompleted,
				Counts: []journeys.Count{{Step: "hold", Counter: journeys.CountReplied}, {Step: "end", Counter: journeys.CountEntered}}},
		}
		if c == 2 { // Budi did not answer and was exited by hand
			recs[1] = journeys.StepRecord{EnrollmentID: e.ID, Seq: 2, Step: "hold", Status: journeys.EnrollmentCancelled, ExitReason: journeys.ExitManual,
				Counts: []journeys.Count{{Step: "hold", Counter: journeys.CountExited, Detail: journeys.ExitManual}}}
		}
		for _, r := range recs {
			if ok, err := js.Record(ctx, r); err != nil || !ok {
				t.Fatalf("record %+v: %v %v", r, ok, err)
			}
		}
	}
	rs := reports.ReportStore{DB: db}
	admin := models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}
	today := time.Now()
	r, err := rs.Report(ctx, admin, reports.Filter{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, row := range r.Journeys {
		if row.JourneyID != j.ID || row.Name != j.Name || row.Version != 1 {
			t.Fatalf("row %+v", row)
		}
		got[row.StepID+"/"+row.Counter+"/"+row.Detail] = row.N
	}
	want := map[string]int64{"hold/entered/": 2, "hold/replied/": 1, "hold/exited/manual": 1, "end/entered/": 1}
	if len(got) != len(want) {
		t.Fatalf("report journeys %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("report journeys %v, want %v", got, want)
		}
	}
	// The journey's own counters say the same.
	funnel, err := js.Funnel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range funnel {
		if got[f.StepID+"/"+f.Counter+"/"+f.Detail] != f.N {
			t.Fatalf("journey funnel %+v differs from the report %v", f, got)
		}
	}
	// The export's journeys table.
	var table reports.Table
	for _, tb := range r.Tables() {
		if tb.Name == reports.TableJourneys {
			table = tb
		}
	}
	if len(table.Rows) != 4 || table.Header[0] != "journey_id" {
		t.Fatalf("export table %+v", table)
	}
	for name, f := range map[string]reports.Filter{
		"a range before the records": {From: today.AddDate(0, 0, -10), To: today.AddDate(0, 0, -5)},
		"another number":             {From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1), SenderID: 2},
	} {
		if r, err := rs.Report(ctx, admin, f); err != nil || len(r.Journeys) != 0 {
			t.Fatalf("%s: %+v %v, want no journey rows", name, r.Journeys, err)
		}
	}
	if r, err := rs.Report(ctx, admin, reports.Filter{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1), SenderID: 1}); err != nil || len(r.Journeys) != 4 {
		t.Fatalf("the journey's number: %+v %v", r.Journeys, err)
	}
	sup := models.Principal{AgentID: 9, SupervisedTeamIDs: []int64{1}, Permissions: []models.Permission{models.PermReportsRead}}
	if r, err := rs.Report(ctx, sup, reports.Filter{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1)}); err != nil || len(r.Journeys) != 0 {
		t.Fatalf("a team-scoped reader: %+v %v, want no journey rows", r.Journeys, err)
	}
}
