package main

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/workflows"
)

// BenchmarkCampaign10k sends one 10,000-recipient campaign over 3 senders
// at 80 mps each through the whole stack and reports recipients/second.
// go test ./cmd/scrm/ -run '^$' -bench Campaign10k -benchtime 1x
func BenchmarkCampaign10k(b *testing.B) {
	st := startStack(b, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaigns(seed.admin)
	const n = 10000
	for i := 0; b.Loop(); i++ {
		first := 1 + i*100000
		seg := st.audience(seed.admin, "bench-"+time.Now().Format("150405.000000"), first, n)
		start := time.Now()
		v := st.runCampaign(cs, "bench", seg, n, 0)
		el := time.Since(start)
		st.checkExactlyOnce(cs, v.ID, first, n)
		b.ReportMetric(float64(n)/el.Seconds(), "recipients/s")
	}
}

// BenchmarkCampaignFleet sends one campaign of SCRM_BENCH_RECIPIENTS
// (100,000) recipients over SCRM_BENCH_SENDERS (20) numbers at 80 msg/s
// each against the simulator, and reports the achieved rate against the
// fleet's ceiling, the Temporal history events per recipient (campaign
// and sender workflows, every run) and the process's peak memory.
// go test ./cmd/scrm/ -run '^$' -bench CampaignFleet -benchtime 1x -timeout 60m
func BenchmarkCampaignFleet(b *testing.B) {
	n, k := envInt("SCRM_BENCH_RECIPIENTS", 100000), envInt("SCRM_BENCH_SENDERS", 20)
	st := startStack(b, time.Hour)
	seed := st.seedInbox()
	cs := st.seedCampaignNumbers(seed.admin, k)
	for i := 0; b.Loop(); i++ {
		first := 1 + i*1000000
		seg := st.audience(seed.admin, "fleet-"+time.Now().Format("150405.000000"), first, n)
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heapBefore := ms.HeapInuse
		start := time.Now()
		v := st.runCampaign(cs, "fleet", seg, n, 0)
		el := time.Since(start)
		st.checkExactlyOnce(cs, v.ID, first, n)
		runtime.ReadMemStats(&ms)
		events := st.historyEvents(workflows.CampaignWorkflowID(v.ID))
		for _, id := range cs.senderIDs {
			events += st.historyEvents(workflows.SenderWorkflowID(id))
		}
		rate := float64(n) / el.Seconds()
		ceiling := float64(k * 80)
		b.ReportMetric(rate, "recipients/s")
		b.ReportMetric(100*rate/ceiling, "%ceiling")
		b.ReportMetric(float64(events)/float64(n), "events/recipient")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
		b.Logf("%d recipients over %d numbers in %s: %.0f/s of a %.0f/s ceiling (%.1f%%), %d history events (%.4f per recipient), heap %d -> %d MiB, peak RSS %d MiB (api + worker + simulator + Temporal server in one process)",
			n, k, el.Round(time.Millisecond), rate, ceiling, 100*rate/ceiling, events, float64(events)/float64(n),
			heapBefore>>20, ms.HeapInuse>>20, peakRSS()>>20)
	}
}

// historyEvents counts the events of every run of a workflow, walking back
// along continue-as-new from the latest run.
func (st *stack) historyEvents(workflowID string) int {
	total, runID := 0, ""
	for {
		iter := st.temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
		prev := ""
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				st.t.Fatalf("history of %s: %v", workflowID, err)
			}
			if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				prev = a.GetContinuedExecutionRunId()
			}
			total++
		}
		if prev == "" {
			return total
		}
		runID = prev
	}
}

// peakRSS is the process's high-water resident memory (VmHWM), in bytes.
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
