package waba_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
)

// Every send through MeteredSender is counted once with its result and
// Meta's code: a real simulator for sent and a refused token, a server that
// answers Meta's transient error, and one that never answers.
func TestMeteredSenderCountsResults(t *testing.T) {
	s := sim.New(sim.Options{AppSecret: secret, AccessToken: token, Seed: 1})
	simSrv := httptest.NewServer(s.Handler())
	defer func() { s.Close(); simSrv.Close() }()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"fbtrace_id":"x"}}`))
	}))
	defer busy.Close()
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer silent.Close()
	defer close(release) // before Close, which waits for the handler

	reg := prometheus.NewRegistry()
	m := waba.NewSendMetrics(reg)
	send := func(base, tok string, timeout time.Duration) error {
		c := waba.NewClient(base, "v23.0", tok, &http.Client{Timeout: timeout})
		_, err := waba.MeteredSender{Next: c, Metrics: m}.Send(context.Background(), pnid,
			waba.OutboundMessage{To: "6281234567890", Type: "text", Text: &waba.OutboundText{Body: "halo"}}, waba.SendOptions{BizOpaque: "msg-1"})
		return err
	}
	if err := send(simSrv.URL, token, 5*time.Second); err != nil {
		t.Fatalf("send to the simulator: %v", err)
	}
	if err := send(simSrv.URL, "wrong-token", 5*time.Second); err == nil {
		t.Fatal("a wrong token was accepted")
	}
	if err := send(busy.URL, token, 5*time.Second); !waba.Retryable(err) {
		t.Fatalf("code 2 should be retryable, got %v", err)
	}
	if err := send(silent.URL, token, 200*time.Millisecond); err == nil {
		t.Fatal("a server that never answers did not time out")
	}

	want := map[[2]string]float64{
		{waba.SendResultSent, "0"}:      1,
		{waba.SendResultFailed, "190"}:  1,
		{waba.SendResultRetryable, "2"}: 1,
		{waba.SendResultNoAnswer, "0"}:  1,
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]float64{}
	latencySeries := 0
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			switch f.GetName() {
			case "scrm_waba_sends_total":
				l := labels(mt)
				if l["phone_number_id"] != pnid {
					t.Errorf("series with phone_number_id %q", l["phone_number_id"])
				}
				got[[2]string{l["result"], l["code"]}] += mt.GetCounter().GetValue()
			case "scrm_waba_send_duration_seconds":
				latencySeries++
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("scrm_waba_sends_total{result=%q,code=%q} = %v, want %v", k[0], k[1], got[k], n)
		}
	}
	if latencySeries != 4 {
		t.Errorf("%d latency series, want one per result (4)", latencySeries)
	}
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
