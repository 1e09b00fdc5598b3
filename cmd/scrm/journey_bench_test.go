package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/workflows"
)

// BenchmarkJourney100k runs SCRM_BENCH_ENROLLMENTS (100,000) contacts
// through a 3-step journey (reminder template -> wait SCRM_BENCH_WAIT
// seconds (5) -> follow-up template -> end) on the whole stack: the
// contacts split over SCRM_BENCH_SENDERS (10) numbers at 80 msg/s, one
// live journey per number (a journey sends from one number), each
// enrolling its segment with EnrollAudience; the workers' JourneyStarter
// starts the workflows, the sends go through the conversation workflows
// and the numbers' dispatch budget to the simulator. It reports
// enrollments completed per second (against the numbers' ceiling), the
// time to enrol and to start every workflow, Temporal history events and
// actions per enrollment (journey and conversation workflows of a sample),
// CPU seconds per 1,000 enrollments and peak RSS of the one process (api +
// worker + simulator + in-process or production Temporal), and checks
// exactly two templates per contact at the simulator, in order.
// go test ./cmd/scrm/ -run '^$' -bench Journey -benchtime 1x -timeout 90m
func BenchmarkJourney100k(b *testing.B) {
	n, k := envInt("SCRM_BENCH_ENROLLMENTS", 100000), envInt("SCRM_BENCH_SENDERS", 10)
	wait := envInt("SCRM_BENCH_WAIT", 5)
	st := startStack(b, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaignNumbers(seed.admin, k)
	remind := st.journeyTemplate(seed.admin, "pengingat_tagihan_bench", "Halo {{1}}, tagihan Anda jatuh tempo besok.")
	follow := st.journeyTemplate(seed.admin, "pengingat_lanjutan_bench", "Halo {{1}}, tagihan Anda belum kami terima.")
	vars := map[string]string{"body.1": "contact.name|Bapak/Ibu"}
	def := journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: remind, Variables: vars},
		{ID: "pause", Kind: journeys.KindWait, Wait: &journeys.Wait{Seconds: int64(wait)}},
		{ID: "follow", Kind: journeys.KindSendTemplate, TemplateID: follow, Variables: vars},
	}}
	ctx := context.Background()
	js := journeys.JourneyStore{DB: st.db.Gorm}
	for i := 0; b.Loop(); i++ {
		first := 1 + i*1000000
		// One segment and one live journey per number; every contact's
		// number is +62813..., one zone (WIB).
		var ids []int64
		var segs []int64
		per := n / k
		for j := range k {
			size := per
			if j == k-1 {
				size = n - per*(k-1)
			}
			segs = append(segs, st.audience(seed.admin, fmt.Sprintf("journey-%d-%d-%s", i, j, time.Now().Format("150405.000")), first+j*(per+5), size))
			ids = append(ids, st.liveJourney(fmt.Sprintf("Pengingat %d/%d", i, j), cs.senderIDs[j], def))
		}
		cpu0, tcpu0, start := processCPU(), serverCPU(), time.Now()
		for j, id := range ids {
			res, err := js.EnrollAudience(ctx, allScope, id, journeys.Audience{SegmentID: segs[j]})
			if err != nil || res.OptedOut != 5 {
				b.Fatalf("enrol journey %d: %+v %v", id, res, err)
			}
		}
		enrolled := time.Since(start)
		var startedAt, completedAt time.Duration
		progress := func() (started, completed, other int64) {
			var r struct{ Started, Completed, Other int64 }
			st.db.Gorm.Raw(`SELECT count(*) FILTER (WHERE workflow_started) AS started, count(*) FILTER (WHERE status = 'completed') AS completed,
				count(*) FILTER (WHERE status NOT IN ('running', 'completed')) AS other FROM journey_enrollments WHERE journey_id IN ?`, ids).Scan(&r)
			return r.Started, r.Completed, r.Other
		}
		lastLog := time.Now()
		waitUntil(b, 10*time.Minute+time.Duration(n)*300*time.Millisecond, "every enrollment completed", func() bool {
			time.Sleep(time.Duration(min(2000, 50+n/50)) * time.Millisecond)
			started, completed, other := progress()
			if other > 0 {
				b.Fatalf("%d enrollments exited or were cancelled", other)
			}
			if startedAt == 0 && started == int64(n) {
				startedAt = time.Since(start)
			}
			if time.Since(lastLog) > 15*time.Second {
				lastLog = time.Now()
				b.Logf("%s: %d started, %d completed, %d templates accepted at the simulator", time.Since(start).Round(time.Second), started, completed, st.acceptedTemplates())
			}
			if completed == int64(n) && completedAt == 0 {
				completedAt = time.Since(start)
			}
			// Done when every enrollment completed and the simulator
			// accepted both templates of each (the follow-up is queued by
			// the last step and sent by the conversation's workflow after).
			return completedAt > 0 && st.acceptedTemplates() >= 2*n
		})
		el := time.Since(start)
		cpu, tcpu := processCPU()-cpu0, serverCPU()-tcpu0
		st.checkTwoTemplates(cs, first, per, n, k)
		jev, cev, jact, cact, sample := st.journeySample(ids, 200)
		rate := float64(n) / el.Seconds()
		ceiling := float64(k*80) / 2 // two templates per enrollment
		b.ReportMetric(rate, "enrollments/s")
		b.ReportMetric(100*rate/ceiling, "%ceiling")
		b.ReportMetric(startedAt.Seconds(), "s-to-start-all")
		b.ReportMetric(completedAt.Seconds(), "s-to-complete-all")
		b.ReportMetric(jev, "journey-events/enrollment")
		b.ReportMetric(cev, "conv-events/enrollment")
		b.ReportMetric(jact+cact, "actions/enrollment")
		b.ReportMetric(cpu.Seconds()*1000/float64(n), "cpu-s/1k")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
		if tcpu > 0 {
			b.ReportMetric(tcpu.Seconds()*1000/float64(n), "temporal-server-cpu-s/1k")
		}
		load, _ := os.ReadFile("/proc/loadavg")
		b.Logf("%d enrollments over %d journeys/numbers (wait %d s): enrolled in %s, all workflows started after %s, all enrollments completed after %s, all 2 x %d templates accepted after %s: %.1f/s of a %.0f/s ceiling (%.1f%%); sample of %d: %.1f journey + %.1f conversation history events, ~%.1f + %.1f actions per enrollment; CPU %.1f s (%.2f s per 1,000; the production Temporal server's process, when it runs: %.1f s); peak RSS %d MiB; load %s",
			n, k, wait, enrolled.Round(time.Millisecond), startedAt.Round(time.Millisecond), completedAt.Round(time.Millisecond), n, el.Round(time.Millisecond), rate, ceiling, 100*rate/ceiling,
			sample, jev, cev, jact, cact, cpu.Seconds(), cpu.Seconds()*1000/float64(n), tcpu.Seconds(), peakRSS()>>20, strings.TrimSpace(string(load)))
	}
}

// acceptedTemplates counts the templates the simulator accepted.
func (st *stack) acceptedTemplates() int {
	n := 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "template" && e.ErrorCode == 0 {
			n++
		}
	}
	return n
}

// checkTwoTemplates: every contact of the bench got exactly the reminder
// then the follow-up, accepted once each at the simulator; the opted-out
// ones none; no number over 80 in a second.
func (st *stack) checkTwoTemplates(cs campaignSeed, first, per, n, k int) {
	t := st.t
	t.Helper()
	got := map[string][]string{}
	for _, e := range st.sim.Outbox() {
		if e.Type != "template" || e.ErrorCode != 0 {
			continue
		}
		var body struct {
			Template struct{ Name string } `json:"template"`
		}
		_ = json.Unmarshal(e.Body, &body)
		got[e.To] = append(got[e.To], body.Template.Name)
	}
	total := 0
	for j := range k {
		size := per
		if j == k-1 {
			size = n - per*(k-1)
		}
		base := first + j*(per+5)
		for c := base; c < base+size+5; c++ {
			to := "62813" + fmt.Sprintf("%08d", c)
			names := got[to]
			if c >= base+size { // opted out
				if len(names) != 0 {
					t.Fatalf("opted-out %s got %v", to, names)
				}
				continue
			}
			if len(names) != 2 || names[0] != "pengingat_tagihan_bench" || names[1] != "pengingat_lanjutan_bench" {
				t.Fatalf("%s got %v, want the reminder then the follow-up", to, names)
			}
			total += 2
		}
	}
	c := st.sim.Snapshot()
	for _, pnid := range cs.pnids {
		if c.MaxPerSecond[pnid] > 80 {
			t.Fatalf("number %s sent %d in one second (limit 80)", pnid, c.MaxPerSecond[pnid])
		}
	}
	t.Logf("exactly once: %d contacts x 2 templates = %d accepted sends, none more", n, total)
}

// journeySample sums, over up to m enrollments spread over the journeys,
// the history events of each journey workflow (every run) and of every run
// of its contact's conversation workflow, and the Temporal actions they
// cost (estimated from the events as Temporal Cloud counts them: a
// workflow start, a signal, an activity scheduled, a timer, a search
// attribute upsert, a continue-as-new), each divided by the sample.
func (st *stack) journeySample(journeyIDs []int64, m int) (jEvents, cEvents, jActions, cActions float64, sample int) {
	t := st.t
	t.Helper()
	var rows []struct {
		ID, JourneyID, ContactID, SenderID int64
	}
	st.db.Gorm.Raw(`SELECT e.id, e.journey_id, e.contact_id, j.sender_id FROM journey_enrollments e JOIN journeys j ON j.id = e.journey_id
		WHERE e.journey_id IN ? ORDER BY e.id`, journeyIDs).Scan(&rows)
	step := max(1, len(rows)/m)
	var je, ce, ja, ca int
	for i := 0; i < len(rows) && sample < m; i += step {
		r := rows[i]
		ev, act := st.runsOf(workflows.JourneyEnrollmentWorkflowID(r.JourneyID, r.ID), sample == 0)
		je, ja = je+ev, ja+act
		ev, act = st.runsOf(workflows.ConversationWorkflowID(r.SenderID, r.ContactID), sample == 0)
		ce, ca = ce+ev, ca+act
		sample++
	}
	f := float64(sample)
	return float64(je) / f, float64(ce) / f, float64(ja) / f, float64(ca) / f, sample
}

// runsOf counts the history events and the estimated actions of every run
// of a workflow id (separate runs of a reused id and continue-as-new).
// show logs each run's events (type and activity).
func (st *stack) runsOf(workflowID string, show bool) (events, actions int) {
	t := st.t
	resp, err := st.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s'", workflowID), PageSize: 100})
	if err != nil {
		t.Fatalf("list runs of %s: %v", workflowID, err)
	}
	// A journey's sends start no conversation workflow (the customer's
	// reply does): none is zero events, not an error.
	for _, ex := range resp.GetExecutions() {
		iter := st.temporal.GetWorkflowHistory(context.Background(), workflowID, ex.GetExecution().GetRunId(), false, 0)
		var seen []string
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", workflowID, err)
			}
			events++
			if show {
				name := strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
					name += "(" + a.GetActivityType().GetName() + ")"
				}
				seen = append(seen, name)
			}
			switch {
			case e.GetWorkflowExecutionStartedEventAttributes() != nil, e.GetWorkflowExecutionSignaledEventAttributes() != nil,
				e.GetActivityTaskScheduledEventAttributes() != nil, e.GetTimerStartedEventAttributes() != nil,
				e.GetUpsertWorkflowSearchAttributesEventAttributes() != nil, e.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil:
				actions++
			}
		}
		if show {
			t.Logf("%s run %s: %d events: %s", workflowID, ex.GetExecution().GetRunId(), len(seen), strings.Join(seen, " "))
		}
	}
	return events, actions
}

// serverCPU is the CPU time of the production Temporal server's processes
// (named temporal-server: make temporal-server), zero when none runs.
func serverCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var total time.Duration
	for _, d := range dirs {
		if comm, err := os.ReadFile("/proc/" + d.Name() + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "temporal-server" {
			total += statCPU("/proc/" + d.Name() + "/stat")
		}
	}
	return total
}

// processCPU is the process's user + system CPU time (/proc/self/stat,
// clock ticks of 10 ms).
func processCPU() time.Duration { return statCPU("/proc/self/stat") }

func statCPU(path string) time.Duration {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// Fields after the command: state is [0]; utime is field 14 of the
	// line, [11] here, stime [12].
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * 10 * time.Millisecond
}
