package journeys_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/worker/testenv"
)

func def() journeys.Definition {
	return journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: 1, Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu", "body.2": "case.reference"}},
		{ID: "reply", Kind: journeys.KindWaitForReply, TimeoutSeconds: 86400, Else: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
}

// fixture: a number, an approved template with two variables, three
// contacts (Ani with a case, Budi opted out, Citra in Papua) and a live
// journey on the number.
func fixture(t *testing.T) (journeys.JourneyStore, journeys.Journey, testenv.SQL) {
	t.Helper()
	db := testenv.NewDB(t).Gorm
	sq := testenv.SQL{T: t, DB: db}
	sq.Exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`)
	sq.Exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'remind', 'id', 'UTILITY', 'APPROVED',
		'[{"type":"BODY","text":"Halo {{1}}, tagihan {{2}} jatuh tempo","example":{"body_text":[["Budi","X"]]}}]'),
		(2, 'draft', 'id', 'UTILITY', 'PENDING', '[]')`)
	sq.Exec(`INSERT INTO contacts (id, phone_e164, wa_id, name, opted_out, attributes) VALUES
		(1, '+6281100000001', '6281100000001', 'Ani', false, '{"tier":"gold","birthday":"2026-04-01"}'),
		(2, '+6281100000002', '6281100000002', 'Budi', true, '{}'),
		(3, '+62967100000003', '62967100000003', 'Citra', false, '{}')`)
	sq.Exec(`INSERT INTO teams (id, name) VALUES (1, 'collections')`)
	sq.Exec(`INSERT INTO cases (id, reference, contact_id, team_id, amount, due_date) VALUES (1, 'LN-1', 1, 1, 500000, '2026-03-15')`)
	st := journeys.JourneyStore{DB: db}
	j, v, err := st.Create(context.Background(), journeys.NewJourney{Name: "collections", SenderID: 1, Definition: def()})
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || j.CurrentVersion != 1 || j.Status != journeys.JourneyDraft {
		t.Fatalf("created %+v %+v", j, v)
	}
	if j, err = st.SetStatus(context.Background(), j.ID, journeys.JourneyLive); err != nil {
		t.Fatal(err)
	}
	return st, j, sq
}

func TestCreateRefusesAnInvalidDefinition(t *testing.T) {
	t.Parallel()
	st, _, _ := fixture(t)
	bad := def()
	bad.Steps[1].Else = "nowhere"
	_, _, err := st.Create(context.Background(), journeys.NewJourney{Name: "x", Definition: bad})
	var me *models.Error
	if !errors.As(err, &me) || me.Field != "steps[1].else" {
		t.Fatalf("want the dangling else refused, got %v", err)
	}
}

// Editing a live journey stores a new version; the old one stays as it was
// (running enrollments execute it) and the database refuses to change it.
func TestVersionsAreImmutable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	e1, _, err := st.Enroll(ctx, j.ID, 1, "api")
	if err != nil {
		t.Fatal(err)
	}
	d2 := def()
	d2.Steps[1].TimeoutSeconds = 3600
	v2, err := st.NewVersion(ctx, j.ID, d2, 0)
	if err != nil || v2.Version != 2 {
		t.Fatalf("new version %+v %v", v2, err)
	}
	e3, _, err := st.Enroll(ctx, j.ID, 3, "api")
	if err != nil {
		t.Fatal(err)
	}
	if e1.Version != 1 || e3.Version != 2 {
		t.Fatalf("enrolled on versions %d and %d, want 1 then 2", e1.Version, e3.Version)
	}
	v1, err := st.Version(ctx, j.ID, 1)
	if err != nil || v1.Definition.Steps[1].TimeoutSeconds != 86400 {
		t.Fatalf("version 1 changed: %+v %v", v1, err)
	}
	if err := sq.DB.Exec(`UPDATE journey_versions SET definition = '{}' WHERE journey_id = ? AND version = 1`, j.ID).Error; err == nil ||
		!strings.Contains(err.Error(), "immutable") {
		t.Fatalf("a version was updated: %v", err)
	}
	if _, err := st.NewVersion(ctx, j.ID, journeys.Definition{}, 0); err == nil {
		t.Fatal("an empty definition was stored")
	}
}

func TestEnrollOncePerContactWhileRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, _ := fixture(t)
	// Ten enrolments of one contact at once: one row, the others get it.
	var wg sync.WaitGroup
	ids := make([]int64, 10)
	created := make([]bool, 10)
	errs := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			e, c, err := st.Enroll(ctx, j.ID, 1, "segment")
			ids[i], created[i], errs[i] = e.ID, c, err
		})
	}
	wg.Wait()
	n := 0
	for i := range 10 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("two running enrollments: %v", ids)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d enrolments reported created, want 1", n)
	}
	// Once it ended the contact may run the journey again.
	if ok, err := st.Record(ctx, journeys.StepRecord{EnrollmentID: ids[0], Seq: 1, Step: "end", Status: journeys.EnrollmentCompleted}); err != nil || !ok {
		t.Fatalf("record %v %v", ok, err)
	}
	again, c, err := st.Enroll(ctx, j.ID, 1, "segment")
	if err != nil || !c || again.ID == ids[0] {
		t.Fatalf("re-enrol after the end: %+v %v %v", again, c, err)
	}
	// Refusals: opted out, not live.
	var me *models.Error
	if _, _, err := st.Enroll(ctx, j.ID, 2, "api"); !errors.As(err, &me) || me.Code != models.EUnprocessable {
		t.Fatalf("opted-out contact: %v", err)
	}
	if _, err := st.SetStatus(ctx, j.ID, journeys.JourneyPaused); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Enroll(ctx, j.ID, 3, "api"); !errors.As(err, &me) || me.Code != models.EConflict {
		t.Fatalf("paused journey: %v", err)
	}
}

// Record applies each step record once, in order, and the funnel counts
// what was applied: a retried activity (same seq) counts nothing twice.
func TestRecordAndFunnel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, _ := fixture(t)
	a, _, _ := st.Enroll(ctx, j.ID, 1, "api")
	c, _, _ := st.Enroll(ctx, j.ID, 3, "api")
	rec := func(r journeys.StepRecord, want bool) {
		t.Helper()
		ok, err := st.Record(ctx, r)
		if err != nil || ok != want {
			t.Fatalf("record %+v: %v %v, want %v", r, ok, err, want)
		}
	}
	sent := []journeys.Count{{Step: "remind", Counter: journeys.CountEntered}, {Step: "remind", Counter: journeys.CountSent}}
	rec(journeys.StepRecord{EnrollmentID: a.ID, Seq: 1, Step: "reply", Counts: sent}, true)
	rec(journeys.StepRecord{EnrollmentID: a.ID, Seq: 1, Step: "reply", Counts: sent}, false) // the retry
	rec(journeys.StepRecord{EnrollmentID: c.ID, Seq: 1, Step: "reply", Counts: sent}, true)
	if _, err := st.Funnel(ctx, j.ID); err != nil { // a fold between the records
		t.Fatal(err)
	}
	rec(journeys.StepRecord{EnrollmentID: a.ID, Seq: 2, Step: "end", Counts: []journeys.Count{
		{Step: "reply", Counter: journeys.CountEntered}, {Step: "reply", Counter: journeys.CountReplied}}}, true)
	rec(journeys.StepRecord{EnrollmentID: c.ID, Seq: 2, Step: "reply", Status: journeys.EnrollmentExited, ExitReason: journeys.ExitOptedOut,
		Counts: []journeys.Count{{Step: "reply", Counter: journeys.CountEntered}, {Step: "reply", Counter: journeys.CountExited, Detail: journeys.ExitOptedOut}}}, true)
	rec(journeys.StepRecord{EnrollmentID: c.ID, Seq: 3, Step: "end"}, false) // ended: nothing moves
	got, err := st.Funnel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"remind/entered/": 2, "remind/sent/": 2, "reply/entered/": 2, "reply/replied/": 1, "reply/exited/opted_out": 1}
	have := map[string]int64{}
	for _, r := range got {
		if r.Version != 1 {
			t.Fatalf("row of version %d", r.Version)
		}
		have[r.StepID+"/"+r.Counter+"/"+r.Detail] = r.N
	}
	if len(have) != len(want) {
		t.Fatalf("funnel %v, want %v", have, want)
	}
	for k, n := range want {
		if have[k] != n {
			t.Fatalf("funnel %v, want %v", have, want)
		}
	}
	e, _ := st.Enrollment(ctx, c.ID)
	if e.Status != journeys.EnrollmentExited || e.ExitReason != journeys.ExitOptedOut || e.EndedAt == nil || e.Seq != 2 {
		t.Fatalf("exited enrollment %+v", e)
	}
}

// QueueSend stores one queued template through the inbox path, exactly once
// per key, and skips what must not be sent.
func TestQueueSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	ib := inbox.ConversationStore{DB: st.DB, Events: models.EventStore{DB: st.DB}}
	ani, citra := mustEnroll(t, st, j.ID, 1), mustEnroll(t, st, j.ID, 3)
	// Budi opted out after he was enrolled.
	budi := sq.ID(`INSERT INTO journey_enrollments (journey_id, version, contact_id) VALUES (?, 1, 2) RETURNING id`, j.ID)
	req := journeys.SendRequest{EnrollmentID: ani, ContactID: 1, SenderID: 1, TemplateID: 1, Key: journeys.SendKey(ani, "remind", 1),
		Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu", "body.2": "case.reference"}}
	r, err := st.QueueSend(ctx, ib, req)
	if err != nil || !r.Created || r.MessageID == 0 || r.Skipped != "" {
		t.Fatalf("first send %+v %v", r, err)
	}
	// The first send opened the thread: agents are told it started.
	if len(r.Events) == 0 || r.Events[0].Type != models.EventConversationUpdated || !strings.Contains(string(r.Events[0].Data), `"started"`) {
		t.Fatalf("first send's events %+v: no conversation started", r.Events)
	}
	again, err := st.QueueSend(ctx, ib, req)
	if err != nil || again.Created || again.MessageID != r.MessageID {
		t.Fatalf("retried send %+v %v, want the first row", again, err)
	}
	if n := sq.ID(`SELECT count(*) FROM messages WHERE direction = 'out'`); n != 1 {
		t.Fatalf("%d outbound rows, want 1", n)
	}
	var body string
	sq.DB.Raw(`SELECT body FROM messages WHERE id = ?`, r.MessageID).Scan(&body)
	if body != "Halo Ani, tagihan LN-1 jatuh tempo" {
		t.Fatalf("body %q", body)
	}
	var state string
	sq.DB.Raw(`SELECT send_state FROM messages WHERE id = ?`, r.MessageID).Scan(&state)
	if state != "pending" {
		t.Fatalf("send_state %q: the conversation workflow would not send it", state)
	}
	for name, c := range map[string]struct {
		req  journeys.SendRequest
		want string
	}{
		"opted out":    {journeys.SendRequest{EnrollmentID: budi, ContactID: 2, SenderID: 1, TemplateID: 1, Key: "k2"}, journeys.ExitOptedOut},
		"no sender":    {journeys.SendRequest{EnrollmentID: citra, ContactID: 3, SenderID: 0, TemplateID: 1, Key: "k3"}, journeys.ExitNoSender},
		"not approved": {journeys.SendRequest{EnrollmentID: citra, ContactID: 3, SenderID: 1, TemplateID: 2, Key: "k4"}, journeys.ExitNoTemplate},
		"no template":  {journeys.SendRequest{EnrollmentID: citra, ContactID: 3, SenderID: 1, TemplateID: 99, Key: "k5"}, journeys.ExitNoTemplate},
	} {
		r, err := st.QueueSend(ctx, ib, c.req)
		if err != nil || r.Skipped != c.want || r.MessageID != 0 {
			t.Fatalf("%s: %+v %v, want skipped %s", name, r, err, c.want)
		}
	}
	if n := sq.ID(`SELECT count(*) FROM messages WHERE direction = 'out'`); n != 1 {
		t.Fatalf("%d outbound rows after the skips, want 1", n)
	}

	// The journey's frequency cap: Ani got one template, a cap of one in a
	// week exits her second send; the retry of the first is not a second.
	sq.Exec(`UPDATE journeys SET frequency_cap = '{"max":1,"days":7}' WHERE id = ?`, j.ID)
	if again, err := st.QueueSend(ctx, ib, req); err != nil || again.MessageID != r.MessageID || again.Skipped != "" {
		t.Fatalf("retry under the cap %+v %v, want the first row", again, err)
	}
	second := req
	second.Key = journeys.SendKey(ani, "follow", 3)
	if capped, err := st.QueueSend(ctx, ib, second); err != nil || capped.Skipped != journeys.ExitCapped {
		t.Fatalf("second send over the cap %+v %v, want skipped %s", capped, err, journeys.ExitCapped)
	}
	sq.Exec(`UPDATE journeys SET frequency_cap = '{}' WHERE id = ?`, j.ID)

	// Paused: nothing is queued and the step is held; cancelled: it exits.
	if _, err := st.SetStatus(ctx, j.ID, journeys.JourneyPaused); err != nil {
		t.Fatal(err)
	}
	if held, err := st.QueueSend(ctx, ib, second); err != nil || !held.Held || held.MessageID != 0 {
		t.Fatalf("send of a paused journey %+v %v, want held", held, err)
	}
	if _, _, err := st.Cancel(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if gone, err := st.QueueSend(ctx, ib, second); err != nil || gone.Skipped != journeys.ExitManual {
		t.Fatalf("send of a cancelled journey %+v %v, want skipped %s", gone, err, journeys.ExitManual)
	}
	if n := sq.ID(`SELECT count(*) FROM messages WHERE direction = 'out'`); n != 1 {
		t.Fatalf("%d outbound rows after cap, pause and cancel, want 1", n)
	}
}

func TestContactActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, j, sq := fixture(t)
	if err := st.SetAttribute(ctx, 1, "journey", "done"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.AddTag(ctx, 1, "reminded"); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.Attributes(ctx, 1)
	if err != nil || a["journey"] != "done" || a["tier"] != "gold" {
		t.Fatalf("attributes %v %v", a, err)
	}
	if n := sq.ID(`SELECT cardinality(tags) FROM contacts WHERE id = 1`); n != 1 {
		t.Fatalf("%d tags, want 1", n)
	}
	due, err := st.FieldDate(ctx, 1, "case.due_date")
	if err != nil || due.Format(time.DateOnly) != "2026-03-15" {
		t.Fatalf("due date %v %v", due, err)
	}
	bd, err := st.FieldDate(ctx, 1, "contact.birthday")
	if err != nil || bd.Format(time.DateOnly) != "2026-04-01" {
		t.Fatalf("birthday %v %v", bd, err)
	}
	if none, err := st.FieldDate(ctx, 3, "case.due_date"); err != nil || !none.IsZero() {
		t.Fatalf("no case: %v %v", none, err)
	}
	if id, err := st.OpenCase(ctx, 1); err != nil || id != 1 {
		t.Fatalf("open case %d %v", id, err)
	}
	ib := inbox.ConversationStore{DB: st.DB, Events: models.EventStore{DB: st.DB}}
	sq.Exec(`INSERT INTO agents (id, email, name, password_hash, status, role_id) VALUES (5, 'ayu@example.com', 'Ayu', 'x', 'active', (SELECT min(id) FROM roles))`)
	c, _, err := st.Assign(ctx, ib, 1, 1, 5, 0)
	if err != nil || c.AssigneeAgentID == nil || *c.AssigneeAgentID != 5 {
		t.Fatalf("assign to agent: %+v %v", c, err)
	}
	c, _, err = st.Assign(ctx, ib, 3, 1, 0, 1)
	if err != nil || c.TeamID == nil || *c.TeamID != 1 {
		t.Fatalf("assign to team: %+v %v", c, err)
	}
	rc, err := st.Run(ctx, mustEnroll(t, st, j.ID, 3))
	if err != nil || rc.Zone != models.TZWIT || rc.SenderID != 1 || rc.Definition.StartStep() != "remind" {
		t.Fatalf("run context %+v %v", rc, err)
	}
}

func mustEnroll(t *testing.T, st journeys.JourneyStore, journeyID, contactID int64) int64 {
	t.Helper()
	e, _, err := st.Enroll(context.Background(), journeyID, contactID, "api")
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}
