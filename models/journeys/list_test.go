package journeys_test

import (
	"context"
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
