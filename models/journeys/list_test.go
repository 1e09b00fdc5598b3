package journeys_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/journeys"
)

// The list carries each journey's enrollments by status, counted for the
// page's journeys only (the page no longer reads a detail per journey).
func TestListCountsEnrollmentsByStatus(t *testing.T) {
	t.Parallel()
	st, j1, sq := fixture(t)
	ctx := context.Background()
	j2, _, err := st.Create(ctx, journeys.NewJourney{Name: "second", SenderID: 1, Definition: def()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetStatus(ctx, j2.ID, journeys.JourneyLive); err != nil {
		t.Fatal(err)
	}
	j3, _, err := st.Create(ctx, journeys.NewJourney{Name: "draft", SenderID: 1, Definition: def()})
	if err != nil {
		t.Fatal(err)
	}
	enrol := func(j, contact int64) journeys.Enrollment {
		t.Helper()
		e, _, err := st.Enroll(ctx, j, contact, journeys.SourceAPI)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// j1: Citra completed once and runs again, Ani runs: running 2, completed 1.
	done := enrol(j1.ID, 3)
	sq.Exec(`UPDATE journey_enrollments SET status = 'completed', ended_at = now() WHERE id = ?`, done.ID)
	enrol(j1.ID, 3)
	enrol(j1.ID, 1)
	// j2: Ani exited, Citra cancelled.
	sq.Exec(`UPDATE journey_enrollments SET status = 'exited', exit_reason = 'opted_out', ended_at = now() WHERE id = ?`, enrol(j2.ID, 1).ID)
	sq.Exec(`UPDATE journey_enrollments SET status = 'cancelled', exit_reason = 'manual', ended_at = now() WHERE id = ?`, enrol(j2.ID, 3).ID)

	want := map[int64]map[string]int64{
		j1.ID: {"running": 2, "completed": 1},
		j2.ID: {"exited": 1, "cancelled": 1},
		j3.ID: {},
	}
	seen := map[int64]bool{}
	for _, pg := range []models.Page{{Limit: 2}, {Limit: 2, Offset: 2}} {
		items, total, err := st.List(ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 {
			t.Fatalf("total %d, want 3", total)
		}
		for _, it := range items {
			if seen[it.ID] {
				t.Fatalf("journey %d listed twice", it.ID)
			}
			seen[it.ID] = true
			if it.Enrollments == nil || !maps.Equal(it.Enrollments, want[it.ID]) {
				t.Errorf("journey %d (%s): enrollments %v, want %v", it.ID, it.Name, it.Enrollments, want[it.ID])
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("listed %v, want 3 journeys", seen)
	}
}

// Pasted phone numbers enrol the contacts they are, normalised (0811... is
// +62811...) and each once; an unknown number counts as not found, a
// number that is none is named by its place.
func TestEnrollByPhones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, _ := fixture(t)
	all := models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}
	res, err := st.EnrollAudience(ctx, all, j.ID, journeys.Audience{Phones: []string{"081100000001", "+62 811-0000-0001", "6281100000002", "081199999999"}})
	if err != nil {
		t.Fatal(err)
	}
	if res != (journeys.EnrollResult{Matched: 2, Enrolled: 1, OptedOut: 1, NotFound: 1}) {
		t.Fatalf("enrol by phones %+v", res)
	}
	_, err = st.EnrollAudience(ctx, all, j.ID, journeys.Audience{Phones: []string{"081100000001", "bukan nomor"}})
	var fe *models.Error
	if !errors.As(err, &fe) || fe.Field != "phones[1]" || fe.Code != models.EInvalid {
		t.Fatalf("a bad number: %v, want a field error on phones[1]", err)
	}
	if _, err := st.EnrollAudience(ctx, all, j.ID, journeys.Audience{Phones: []string{"081100000001"}, ContactIDs: []int64{1}}); models.CodeOf(err) != models.EInvalid {
		t.Fatalf("phones and ids: %v, want invalid", err)
	}
	own := models.Principal{AgentID: 5, DataScope: models.ScopeOwn}
	if res, err := st.EnrollAudience(ctx, own, j.ID, journeys.Audience{Phones: []string{"081100000001"}}); err != nil || res.Matched != 0 || res.NotFound != 1 {
		t.Fatalf("out-of-scope number %+v %v, want not found", res, err)
	}
}
