package main

import (
	"testing"
	"time"
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
		v := st.runCampaign(cs, "bench", seg, n, nil)
		el := time.Since(start)
		st.checkExactlyOnce(cs, v.ID, first, n)
		b.ReportMetric(float64(n)/el.Seconds(), "recipients/s")
	}
}
