package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba/sim"
)

// restAPI is an authenticated client of the drill's api.
type restAPI struct {
	base, token string
}

func (a restAPI) call(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, a.base+path, body)
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s %s", method, path, resp.Status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// campaignScenario injects its fault at each of marks (fractions of the
// sends done); k makes its numbers, template and customers its own.
type campaignScenario struct {
	key, name, fault string
	k                int
	marks            []float64
	inject           func(ctx context.Context, s *stack) error
}

func campaignScenarios() []campaignScenario {
	restartWorker := func(_ context.Context, s *stack) error {
		s.work.signal(syscall.SIGKILL, 5*time.Second)
		return s.work.start()
	}
	return []campaignScenario{
		{key: "e", name: "e. worker SIGKILLed twice mid-campaign", k: 1, marks: []float64{1. / 3, 2. / 3}, inject: restartWorker,
			fault: "worker-1 of 2 SIGKILLed at 1/3 and 2/3 of the sends, started again at once"},
		{key: "f", name: "f. one of two workers SIGKILLed mid-campaign", k: 2, marks: []float64{0.5},
			fault: "worker-2 of 2 SIGKILLed at 1/2 of the sends and left down (worker-1 takes over its tasks)",
			inject: func(_ context.Context, s *stack) error {
				s.work2.signal(syscall.SIGKILL, 5*time.Second)
				return nil
			}},
		{key: "j", name: "j. Temporal server restarted mid-campaign", k: 3, marks: []float64{0.5},
			fault: "the Temporal server SIGKILLed at 1/2 of the sends and started again",
			inject: func(ctx context.Context, s *stack) error {
				s.temporal.signal(syscall.SIGKILL, 5*time.Second)
				return s.startTemporal(ctx)
			}},
	}
}

// runCampaign is a campaign over 3 numbers to cfg.campaign recipients
// through the public REST API with sc's fault injected at its marks. The
// simulator's outbox (what "Meta" accepted) must hold exactly one template
// per recipient.
func runCampaign(ctx context.Context, s *stack, cfg config, email string, sc campaignScenario) (row, error) {
	n := cfg.campaign
	r := row{scenario: sc.name, fault: sc.fault}
	tok, err := login(ctx, s.apiAddr, email)
	if err != nil {
		return r, err
	}
	api := restAPI{base: "http://" + s.apiAddr, token: tok}
	simAPI := restAPI{base: "http://" + s.simAddr}

	var senderIDs []int64
	pnids := map[string]bool{}
	for i := 1; i <= 3; i++ {
		pnid := fmt.Sprintf("3%d00000000%05d", sc.k, i)
		display := fmt.Sprintf("+62 21 52%d0 %04d", sc.k, i)
		if _, err := simAPI.call(ctx, "POST", "/sim/numbers", sim.Number{PhoneNumberID: pnid, Display: display, WABAID: "WABA-DRILL",
			PortfolioID: "PF-DRILL", ThroughputMPS: 80, LimitTier: "TIER_100K", Quality: "GREEN"}, nil); err != nil {
			return r, err
		}
		var snd struct{ ID int64 }
		if _, err := api.call(ctx, "POST", "/api/v1/senders", map[string]any{"phoneNumberId": pnid, "wabaId": "WABA-DRILL",
			"displayNumber": display, "throughputMps": 80, "businessPortfolioId": "PF-DRILL", "messagingLimitTier": "TIER_100K"}, &snd); err != nil {
			return r, err
		}
		senderIDs = append(senderIDs, snd.ID)
		pnids[pnid] = true
	}
	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, ada promo {{2}} untuk Anda minggu ini.",
		"example": map[string]any{"body_text": [][]string{{"Siti", "cicilan 0%"}}}}}
	if _, err := api.call(ctx, "POST", "/api/v1/templates", map[string]any{"name": "drill_promo_" + sc.key, "language": "id", "category": "MARKETING",
		"components": comps, "wabaId": "WABA-DRILL"}, &tpl); err != nil {
		return r, err
	}
	if _, err := api.call(ctx, "POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), nil, nil); err != nil {
		return r, err
	}
	if err := poll(ctx, 30*time.Second, "template approved", func() (bool, error) {
		var t struct{ Status string }
		_, err := api.call(ctx, "GET", fmt.Sprintf("/api/v1/templates/%d", tpl.ID), nil, &t)
		return t.Status == templates.TplApproved, err
	}); err != nil {
		return r, err
	}

	db, err := models.OpenDB(ctx, s.dbURL)
	if err != nil {
		return r, err
	}
	tag := "drill-" + sc.key
	phone := fmt.Sprintf("6285%d", sc.k) // 62813... are the inbound scenarios' customers
	err = db.Exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags)
		SELECT '+' || ? || lpad(g::text, 8, '0'), ? || lpad(g::text, 8, '0'), 'Pelanggan ' || g, ARRAY[?]
		FROM generate_series(1, ?::int) g`, phone, phone, tag, n).Error
	_ = models.CloseDB(db)
	if err != nil {
		return r, err
	}
	var sg struct{ ID int64 }
	if _, err := api.call(ctx, "POST", "/api/v1/segments", map[string]any{"name": tag, "filter": map[string]any{"tags": []string{tag}}}, &sg); err != nil {
		return r, err
	}
	var created struct {
		Campaign struct{ ID int64 } `json:"campaign"`
	}
	allDay := map[string]any{"days": []int{0, 1, 2, 3, 4, 5, 6}, "from": "00:00", "to": "23:59"}
	if _, err := api.call(ctx, "POST", "/api/v1/campaigns", map[string]any{"name": tag, "templateId": tpl.ID, "segmentId": sg.ID,
		"senderIds": senderIDs, "variables": map[string]string{"body.1": "contact.name", "body.2": "cicilan 0%"}, "quietHours": allDay}, &created); err != nil {
		return r, err
	}
	id := created.Campaign.ID
	t0 := time.Now()
	if _, err := api.call(ctx, "POST", fmt.Sprintf("/api/v1/campaigns/%d/launch", id), nil, nil); err != nil {
		return r, err
	}
	type view struct {
		Status string           `json:"status"`
		Funnel campaigns.Funnel `json:"funnel"`
	}
	get := func() (view, error) {
		var v view
		_, err := api.call(ctx, "GET", fmt.Sprintf("/api/v1/campaigns/%d", id), nil, &v)
		return v, err
	}
	// Expected pace: 3 numbers x 80/s; allow a slow, shared machine 4x.
	budget := time.Duration(n/240)*4*time.Second + 2*time.Minute
	var kills []string
	for _, f := range sc.marks {
		mark := int64(float64(n) * f)
		if err := poll(ctx, budget, fmt.Sprintf("%d sent", mark), func() (bool, error) {
			v, err := get()
			return v.Funnel.Sent >= mark, err
		}); err != nil {
			return r, err
		}
		v, _ := get()
		if err := sc.inject(ctx, s); err != nil {
			return r, fmt.Errorf("inject fault: %w", err)
		}
		kills = append(kills, fmt.Sprintf("%d", v.Funnel.Sent))
	}
	var final view
	if err := poll(ctx, budget, "campaign completed", func() (bool, error) {
		v, err := get()
		final = v
		return v.Status == campaigns.CampaignCompleted, err
	}); err != nil {
		return r, fmt.Errorf("%w (last: %+v)", err, final)
	}
	took := time.Since(t0)

	var ob struct {
		Data []sim.OutboxEntry `json:"data"`
	}
	if _, err := simAPI.call(ctx, "GET", "/sim/outbox", nil, &ob); err != nil {
		return r, err
	}
	byTo := map[string]int{}
	refused := 0
	for _, e := range ob.Data {
		if !pnids[e.PhoneNumberID] || e.Type != "template" {
			continue
		}
		if e.ErrorCode != 0 && !e.FailedAsync {
			refused++ // refused by the API: nothing was sent, the outbox retries
			continue
		}
		byTo[e.To]++
	}
	dup, missing := 0, 0
	for i := 1; i <= n; i++ {
		c := byTo[fmt.Sprintf("%s%08d", phone, i)]
		switch {
		case c == 0:
			missing++
		case c > 1:
			dup += c - 1
		}
	}
	r.load = fmt.Sprintf("%d recipients over 3 numbers (80 msg/s each) via POST /api/v1/campaigns + /launch, completed in %.0fs (%.0f templates/s)",
		n, took.Seconds(), float64(n)/took.Seconds())
	r.lost = fmt.Sprintf("%d", missing)
	r.dup = fmt.Sprintf("%d", dup)
	r.ok = missing == 0 && dup == 0 && final.Funnel.Sent == int64(n)
	metered, tseries, err := s.scrapeWorker("scrm_waba_sends_total", `result="sent"`)
	if err != nil {
		return r, fmt.Errorf("worker /metrics: %w", err)
	}
	r.note = fmt.Sprintf("fault at %v sent; simulator outbox: %d recipients reached, %d templates accepted, %d refused by the API (throughput) and retried; funnel %+v; "+
		"the last worker's /metrics: %.0f sends counted as sent (scrm_waba_sends_total, since its restart), %d temporal_* series",
		kills, len(byTo), sumCounts(byTo), refused, final.Funnel, metered, tseries)
	return r, nil
}

func sumCounts(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += v
	}
	return t
}

func poll(ctx context.Context, d time.Duration, what string, f func() (bool, error)) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		ok, err := f()
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: not within %s (last error: %v)", what, d, last)
}
