package journeys_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/journeys"
)

// A bulk enrollment goes through the caller's scope, counts the opted-out
// and the already running, and enrols each contact once while it runs.
func TestEnrollAudience(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	all := models.Principal{AgentID: 1, AllScope: true, DataScope: models.ScopeAll}
	res, err := st.EnrollAudience(ctx, all, j.ID, journeys.Audience{ContactIDs: []int64{1, 2, 3, 3, 404}})
	if err != nil {
		t.Fatal(err)
	}
	if res != (journeys.EnrollResult{Matched: 3, Enrolled: 2, OptedOut: 1, NotFound: 1}) {
		t.Fatalf("first enrollment %+v", res)
	}
	res, err = st.EnrollAudience(ctx, all, j.ID, journeys.Audience{ContactIDs: []int64{1, 3}})
	if err != nil || res != (journeys.EnrollResult{Matched: 2, AlreadyRunning: 2}) {
		t.Fatalf("second enrollment %+v %v", res, err)
	}
	// A segment: every contact whose attribute tier is gold.
	sq.Exec(`INSERT INTO segments (id, name, filter) VALUES (7, 'gold', '{"attributes":{"tier":"gold"}}')`)
	res, err = st.EnrollAudience(ctx, all, j.ID, journeys.Audience{SegmentID: 7})
	if err != nil || res.Matched != 1 || res.AlreadyRunning != 1 {
		t.Fatalf("segment enrollment %+v %v", res, err)
	}
	// An agent who sees only their own contacts sees none of these.
	own := models.Principal{AgentID: 5, DataScope: models.ScopeOwn}
	res, err = st.EnrollAudience(ctx, own, j.ID, journeys.Audience{ContactIDs: []int64{1}})
	if err != nil || res.Matched != 0 || res.NotFound != 1 {
		t.Fatalf("out-of-scope enrollment %+v %v, want not found", res, err)
	}
	for name, a := range map[string]journeys.Audience{
		"nothing":    {},
		"two kinds":  {ContactIDs: []int64{1}, SegmentID: 7},
		"no segment": {SegmentID: 999},
		"no list":    {IntakeJobID: 999},
	} {
		if _, err := st.EnrollAudience(ctx, all, j.ID, a); models.CodeOf(err) != models.EInvalid && models.CodeOf(err) != models.EUnprocessable {
			t.Fatalf("%s: %v, want a field error", name, err)
		}
	}
	if got := sq.ID(`SELECT count(*) FROM journey_enrollments WHERE journey_id = ? AND NOT workflow_started`, j.ID); got != 2 {
		t.Fatalf("%d unstarted enrollments, want 2", got)
	}
	un, err := st.ClaimUnstarted(ctx, 10)
	if err != nil || len(un) != 2 {
		t.Fatalf("unstarted %+v %v", un, err)
	}
	// A paused journey's new enrollments wait to start; it enrols nobody.
	if _, err := st.SetStatus(ctx, j.ID, journeys.JourneyPaused); err != nil {
		t.Fatal(err)
	}
	if un, _ := st.ClaimUnstarted(ctx, 10); len(un) != 0 {
		t.Fatalf("a paused journey's enrollments were offered to start: %+v", un)
	}
	if _, err := st.EnrollAudience(ctx, all, j.ID, journeys.Audience{ContactIDs: []int64{1}}); models.CodeOf(err) != models.EConflict {
		t.Fatalf("enrol on a paused journey: %v, want a conflict", err)
	}
}

// The triggers write what a running enrollment must hear in the same
// transaction: the customer's message (with its button payload), an
// opt-out, the close of the contact's last open case; cancelling the
// journey ends the unstarted at once and signals the started.
func TestSignalsOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	ani, citra := mustEnroll(t, st, j.ID, 1), mustEnroll(t, st, j.ID, 3)
	if err := st.MarkStarted(ctx, []int64{ani}); err != nil {
		t.Fatal(err)
	}
	conv := sq.ID(`INSERT INTO conversations (sender_id, contact_id) VALUES (1, 1) RETURNING id`)
	sq.Exec(`INSERT INTO messages (conversation_id, direction, type, body, payload, wamid) VALUES
		(?, 'in', 'button', 'Saya akan bayar', '{"type":"button","button":{"payload":"promise","text":"Saya akan bayar"}}', 'w1'),
		(?, 'out', 'text', 'echo', '{}', 'w2')`, conv, conv)
	sq.Exec(`INSERT INTO messages (conversation_id, direction, type, body, payload, wamid, origin) VALUES (?, 'in', 'text', 'history', '{}', 'w4', 'history')`, conv)
	got, err := st.ClaimSignals(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The customer's message is a reply; the business's and a history
	// sync's are not.
	if len(got) != 1 || got[0].Kind != journeys.SignalReply || got[0].Payload != "promise" || got[0].Body != "Saya akan bayar" || got[0].EnrollmentID != ani {
		t.Fatalf("reply signals %+v", got)
	}
	if again, _ := st.ClaimSignals(ctx, 10, time.Minute); len(again) != 0 {
		t.Fatalf("leased signals claimed twice: %+v", again)
	}
	if err := st.SignalsDone(ctx, []int64{got[0].ID}); err != nil {
		t.Fatal(err)
	}
	sq.Exec(`UPDATE contacts SET opted_out = true WHERE id = 1`)
	sq.Exec(`UPDATE cases SET status = 'exited', exit_reason = 'paid' WHERE id = 1`)
	got, _ = st.ClaimSignals(ctx, 10, time.Minute)
	if len(got) != 2 || got[0].Reason != journeys.ExitOptedOut || got[1].Reason != journeys.ExitCaseClosed {
		t.Fatalf("exit signals %+v, want opted_out then case_closed", got)
	}
	// Citra's workflow has not started: her signals wait for it.
	sq.Exec(`UPDATE contacts SET opted_out = true WHERE id = 3`)
	if got, _ := st.ClaimSignals(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("signal of an unstarted enrollment offered: %+v", got)
	}
	_, n, err := st.Cancel(ctx, j.ID)
	if err != nil || n != 2 {
		t.Fatalf("cancel ended %d, %v; want 2", n, err)
	}
	e, _ := st.Enrollment(ctx, citra)
	if e.Status != journeys.EnrollmentCancelled || e.EndedAt == nil {
		t.Fatalf("unstarted enrollment after cancel %+v", e)
	}
	if got := sq.ID(`SELECT count(*) FROM journey_signals WHERE enrollment_id = ? AND reason = 'manual'`, ani); got != 1 {
		t.Fatalf("%d manual exits for the started enrollment, want 1", got)
	}
}
