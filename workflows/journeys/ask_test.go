package journeys_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
	wfj "github.com/wabascrm/scrm/workflows/journeys"
)

// freeFormText is what the fake keeps of a free-form send: the text, or
// the list's row ids.
func freeFormText(r inbox.OutboundRequest) string {
	if in := r.Interactive; in != nil {
		var rows []string
		for _, c := range in.Choices {
			rows = append(rows, c.ID+" "+c.Title)
		}
		return in.Kind + " [" + in.Button + "] " + in.Body + ": " + strings.Join(rows, ", ")
	}
	return r.Text
}

// promiseJourney: the reminder, a day to tap "Saya akan bayar", then the
// list of dates; a date is followed up on its day (a wait on
// case.promise_date), anything else goes to an agent.
func promiseJourney() journeys.Definition {
	return journeys.Definition{Steps: []journeys.Step{
		{ID: "ask", Kind: journeys.KindAskPromiseDate, Body: "Kapan Anda bisa membayar?", Dates: 3, Button: "Pilih tanggal", TimeoutSeconds: 4 * 3600, Else: "agent"},
		{ID: "ondate", Kind: journeys.KindWait, Wait: &journeys.Wait{Field: "case.promise_date"}},
		{ID: "check", Kind: journeys.KindSendTemplate, TemplateID: 9, Next: "end"},
		{ID: "agent", Kind: journeys.KindAssign, TeamID: 2, Next: "end"},
		{ID: "end", Kind: journeys.KindStop},
	}}
}

// Thursday 10 December 2026, 10:00 in Jakarta: the list offers Fri 11,
// Sat 12 and Mon 14 (Sunday is not a contact day).
var thursday10Dec = time.Date(2026, 12, 10, 10, 0, 0, 0, jakarta)

func TestAskPromiseDateRecordsTheChosenDate(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	f.field = time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC) // the case's promise_date once recorded
	env := journeyEnv(t, f, thursday10Dec)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Payload: "ptp:2026-12-14", Text: "Sen, 14 Des"})
	}, time.Hour)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted {
		t.Fatalf("state %+v", st)
	}
	if len(f.promises) != 1 || f.promises[0].Format(time.DateOnly) != "2026-12-14" {
		t.Fatalf("promises %v", f.promises)
	}
	if len(f.freeKeys) != 2 {
		t.Fatalf("free-form sends %v", f.freeKeys)
	}
	list, confirm := f.freeForm[f.freeKeys[0]], f.freeForm[f.freeKeys[1]]
	if list != "list [Pilih tanggal] Kapan Anda bisa membayar?: ptp:2026-12-11 Jum, 11 Des, ptp:2026-12-12 Sab, 12 Des, ptp:2026-12-14 Sen, 14 Des" {
		t.Fatalf("list %q", list)
	}
	if !strings.Contains(list, "Jum, 11 Des") || !strings.Contains(list, "Sab, 12 Des") || !strings.Contains(list, "Sen, 14 Des") ||
		strings.Contains(list, "Min, 13 Des") {
		t.Fatalf("list %q", list)
	}
	if confirm != "Terima kasih, janji bayar Anda tercatat untuk Senin, 14 Desember 2026." {
		t.Fatalf("confirmation %q", confirm)
	}
	// The follow-up goes out on the promised date at 09:00 local.
	at := f.sentAt()
	if fmt.Sprint(f.sendSteps) != "[check]" || len(at) != 1 || !at[0].Equal(time.Date(2026, 12, 14, 9, 0, 0, 0, jakarta)) {
		t.Fatalf("sends %v at %v", f.sendSteps, at)
	}
	if len(f.assigned) != 0 {
		t.Fatalf("assigned %v", f.assigned)
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "ask/sent/": 1, "ask/replied/": 1, "ondate/entered/": 1,
		"check/entered/": 1, "check/sent/": 1, "end/entered/": 1})
}

func TestAskPromiseDateTimeoutGoesToElse(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	env := journeyEnv(t, f, thursday10Dec)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || len(f.promises) != 0 || len(f.freeKeys) != 1 || len(f.sendSteps) != 0 {
		t.Fatalf("state %+v, promises %v, free-form %v, sends %v", st, f.promises, f.freeKeys, f.sendSteps)
	}
	if fmt.Sprint(f.assigned) != "[agent 0 team 2]" {
		t.Fatalf("assigned %v", f.assigned)
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "ask/sent/": 1, "agent/entered/": 1, "end/entered/": 1})
}

func TestAskPromiseDateTextReplyGoesToElse(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	env := journeyEnv(t, f, thursday10Dec)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Text: "minggu depan ya"})
	}, time.Hour)
	// A date the list did not offer is another answer too.
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || len(f.promises) != 0 || len(f.freeKeys) != 1 || fmt.Sprint(f.assigned) != "[agent 0 team 2]" {
		t.Fatalf("state %+v, promises %v, free-form %v, assigned %v", st, f.promises, f.freeKeys, f.assigned)
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "ask/sent/": 1, "ask/replied/": 1, "agent/entered/": 1, "end/entered/": 1})
}

func TestAskPromiseDateUnofferedDateGoesToElse(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	env := journeyEnv(t, f, thursday10Dec)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyReply, wfj.JourneyReply{Payload: "ptp:2027-01-30"})
	}, time.Hour)
	runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if len(f.promises) != 0 || fmt.Sprint(f.assigned) != "[agent 0 team 2]" {
		t.Fatalf("promises %v, assigned %v", f.promises, f.assigned)
	}
}

func TestAskPromiseDateClosedWindowGoesToElseWithoutASend(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	f.windowClosed = true
	env := journeyEnv(t, f, thursday10Dec)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentCompleted || st.Sent != 0 || len(f.freeKeys) != 0 || len(f.promises) != 0 {
		t.Fatalf("state %+v, free-form %v, promises %v", st, f.freeKeys, f.promises)
	}
	if fmt.Sprint(f.assigned) != "[agent 0 team 2]" {
		t.Fatalf("assigned %v", f.assigned)
	}
	// No waiting for a tap that cannot come: the hand-over is at once.
	if !env.Now().Before(thursday10Dec.Add(time.Minute)) {
		t.Fatalf("ended at %v", env.Now())
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "agent/entered/": 1, "end/entered/": 1})
}

// Asked at 21:00 (quiet hours end at 20:00): the list goes out at 08:00
// the next morning, with the dates from the day after that.
func TestAskPromiseDateWaitsForContactHours(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	env := journeyEnv(t, f, time.Date(2026, 12, 10, 21, 0, 0, 0, jakarta))
	runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if len(f.freeKeys) != 1 || !strings.Contains(f.freeForm[f.freeKeys[0]], "Sab, 12 Des") || strings.Contains(f.freeForm[f.freeKeys[0]], "Jum, 11 Des") {
		t.Fatalf("free-form %v", f.freeForm)
	}
}

// An opt-out while the list waits for its tap exits at the ask step, at
// once: counted exited there, nothing else sent.
func TestAskPromiseDateExitWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	env := journeyEnv(t, f, thursday10Dec)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalJourneyExit, wfj.JourneyExit{Reason: journeys.ExitOptedOut})
	}, time.Hour)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if st.Status != journeys.EnrollmentExited || f.step != "ask" || len(f.freeKeys) != 1 || len(f.promises) != 0 || len(f.assigned) != 0 {
		t.Fatalf("state %+v at %s, free-form %v, promises %v, assigned %v", st, f.step, f.freeKeys, f.promises, f.assigned)
	}
	if env.Now().Sub(thursday10Dec) > 2*time.Hour {
		t.Fatalf("ended at %s: the exit waited for the timeout", env.Now())
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "ask/sent/": 1, "ask/exited/" + journeys.ExitOptedOut: 1})
}

// A paused journey holds the list (nothing sent, entered counted once);
// once resumed the list goes with the dates of that day.
func TestAskPromiseDateHeldWhilePaused(t *testing.T) {
	t.Parallel()
	f := newJourneyFake(promiseJourney())
	f.holdUntil = thursday10Dec.Add(26 * time.Hour) // Friday 12:00
	env := journeyEnv(t, f, thursday10Dec)
	runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, JourneyID: 7})
	if f.holds == 0 || len(f.freeKeys) != 1 {
		t.Fatalf("%d holds, free-form %v", f.holds, f.freeKeys)
	}
	if l := f.freeForm[f.freeKeys[0]]; !strings.Contains(l, "ptp:2026-12-12 Sab, 12 Des") || strings.Contains(l, "ptp:2026-12-11") {
		t.Fatalf("list after the hold %q", l)
	}
	wantFunnel(t, f, map[string]int{"ask/entered/": 1, "ask/sent/": 1, "agent/entered/": 1, "end/entered/": 1})
}
