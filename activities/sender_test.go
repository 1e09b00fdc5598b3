package activities_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/outbox"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker/testenv"
)

// dispatchFixture is a real PostgreSQL with two numbers on one portfolio,
// an approved template, n contacts in a segment, a running sender-dispatched
// campaign with every recipient claimed, and the simulator behind the client.
type dispatchFixture struct {
	db       *gorm.DB
	sim      *sim.Sim
	client   *waba.Client
	campaign int64
	drain    *activities.SenderDispatch
}

func newDispatchFixture(t *testing.T, n, productMPS, simMPS int, tier string) *dispatchFixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s := sim.New(sim.Options{Seed: 3, TemplateReviewDelay: 10 * time.Millisecond, Numbers: []sim.Number{
		{PhoneNumberID: "PN1", WABAID: "W1", PortfolioID: "PF", ThroughputMPS: simMPS, LimitTier: "TIER_UNLIMITED"},
		{PhoneNumberID: "PN2", WABAID: "W1", PortfolioID: "PF", ThroughputMPS: simMPS, LimitTier: "TIER_UNLIMITED"}}})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); s.Close() })
	client := waba.NewClient(srv.URL, "v23.0", "", nil)
	exec(`INSERT INTO senders (id, phone_number_id, waba_id, display_number, business_portfolio_id, throughput_mps, messaging_limit_tier)
		VALUES (1, 'PN1', 'W1', '+62 21 1', 'PF', ?, ?), (2, 'PN2', 'W1', '+62 21 2', 'PF', ?, ?)`, productMPS, tier, productMPS, tier)
	comps := `[{"type":"BODY","text":"Halo {{1}}, ada promo.","example":{"body_text":[["Budi"]]}}]`
	exec(`INSERT INTO templates (id, name, language, category, status, components, waba_id) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED', ?, 'W1')`, comps)
	// The simulator must know the template too (it refuses unknown ones).
	if _, err := client.CreateTemplate(ctx, "W1", waba.TemplateDef{Name: "promo", Language: "id", Category: "MARKETING",
		Components: []byte(comps)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the simulator approves it
	exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags) SELECT '+62812' || lpad(g::text, 8, '0'), '62812' || lpad(g::text, 8, '0'), 'C' || g, '{d}'
		FROM generate_series(1, ?) g`, n)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'd', '{"tags":["d"]}')`)
	st := campaigns.CampaignStore{DB: db}
	c, _, err := st.Create(ctx, models.Principal{}, campaigns.CampaignInput{Name: "d", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1},
		Variables: map[string]string{"body.1": "contact.name"}, QuietHours: &models.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, From: "00:00", To: "23:59"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &dispatchFixture{db: db, sim: s, client: client, campaign: c.ID}
	f.drain = &activities.SenderDispatch{Store: dispatch.DispatchStore{DB: db}, Outcomes: st,
		Sender: activities.WABASender{Outbox: outbox.OutboxStore{DB: db, Events: models.EventStore{DB: db}}, API: client, Pacer: dispatch.DispatchStore{DB: db}}}
	return f
}

// launch claims the whole audience and makes the campaign sender-dispatched and running.
func (f *dispatchFixture) launch(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st := campaigns.CampaignStore{DB: f.db}
	ids, err := st.NextContacts(ctx, f.campaign, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Claim(ctx, f.campaign, ids); err != nil {
		t.Fatal(err)
	}
	if err := st.UseSenderDispatch(ctx, f.campaign); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetStatus(ctx, f.campaign, campaigns.CampaignRunning, ""); err != nil {
		t.Fatal(err)
	}
}

func (f *dispatchFixture) run(t *testing.T, sender int64, d time.Duration) activities.DrainResult {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.drain)
	v, err := env.ExecuteActivity(f.drain.SenderDrain, activities.DrainInput{SenderID: sender, MaxDuration: d})
	if err != nil {
		t.Fatal(err)
	}
	var r activities.DrainResult
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *dispatchFixture) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// accepted counts accepted templates per recipient at the simulator.
func (f *dispatchFixture) accepted() map[string]int {
	out := map[string]int{}
	for _, e := range f.sim.Outbox() {
		if e.ErrorCode == 0 && e.Type == "template" {
			out[e.To]++
		}
	}
	return out
}

// The number sends every recipient exactly once, never more than its
// throughput in a calendar second, while an "inbox" takes slots of the same
// budget; the simulator refuses nothing.
func TestSenderDrainPacesPerSecondAndSharesTheBudget(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 45, 10, 10, "TIER_UNLIMITED")
	f.launch(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	inbox := 0
	wg.Go(func() {
		d := dispatch.DispatchStore{DB: f.db}
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			now := time.Now()
			if ok, err := d.TakeSlot(context.Background(), 1, now.Unix(), 10); err == nil && ok {
				m := waba.OutboundMessage{To: "6289900000001", Type: "text", Text: &waba.OutboundText{Body: "agent reply"}}
				if _, err := f.client.Send(context.Background(), "PN1", m, waba.SendOptions{BizOpaque: fmt.Sprint("inbox-", inbox)}); err != nil {
					t.Errorf("inbox send: %v", err)
				}
				inbox++
			}
		}
	})
	r := f.run(t, 1, 20*time.Second)
	close(stop)
	wg.Wait()
	if !r.Idle || r.Sent != 45 || r.Block != "" {
		t.Fatalf("drain %+v", r)
	}
	got := f.accepted()
	if len(got) != 45 {
		t.Fatalf("%d recipients reached", len(got))
	}
	for to, n := range got {
		if n != 1 {
			t.Fatalf("%s got %d templates", to, n)
		}
	}
	c := f.sim.Snapshot()
	if c.MaxPerSecond["PN1"] > 10 || c.Rejected["130429"] != 0 || inbox == 0 {
		t.Fatalf("max per second %d, refused %v, inbox sends %d", c.MaxPerSecond["PN1"], c.Rejected, inbox)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_recipients WHERE status = 'sent'`); n != 45 {
		t.Fatalf("%d recipients sent", n)
	}
	// The drain's mark is gone: the next queued page wakes the number.
	if busy, err := (dispatch.DispatchStore{DB: f.db}).Draining(context.Background(), []int64{1}); err != nil || busy[1] {
		t.Fatalf("still marked draining: %v %v", busy, err)
	}
}

// When Meta refuses for throughput (its limit is lower than we were told),
// the drain backs off, nothing refused is lost and nothing is sent twice.
func TestSenderDrainBacksOffOnThroughputRefusals(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 60, 40, 8, "TIER_UNLIMITED")
	f.launch(t)
	backoffs := 0
	for range 30 {
		r := f.run(t, 1, 10*time.Second)
		if r.Block == dispatch.BlockThroughput {
			backoffs++
			time.Sleep(time.Until(r.Until))
			continue
		}
		if r.Idle {
			break
		}
	}
	got := f.accepted()
	if len(got) != 60 || backoffs == 0 {
		t.Fatalf("%d reached after %d back-offs", len(got), backoffs)
	}
	for to, n := range got {
		if n != 1 {
			t.Fatalf("%s got %d templates", to, n)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_recipients WHERE status = 'sent'`); n != 60 {
		t.Fatalf("%d recipients sent", n)
	}
}

// A number in warm-up sends today's cap and is held until tomorrow.
func TestSenderDrainStopsAtTheWarmupCap(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 30, 80, 80, "TIER_UNLIMITED")
	f.launch(t)
	f.drain.Warmup = []int{12, 100}
	if err := f.db.Exec(`UPDATE senders SET warmup_started_at = now() WHERE id = 1`).Error; err != nil {
		t.Fatal(err)
	}
	r := f.run(t, 1, 10*time.Second)
	if r.Sent != 12 || r.Block != dispatch.BlockWarmup || !r.Until.After(time.Now()) || time.Until(r.Until) > 24*time.Hour {
		t.Fatalf("drain %+v", r)
	}
	if len(f.accepted()) != 12 {
		t.Fatalf("%d sent", len(f.accepted()))
	}
	u, err := dispatch.DispatchStore{DB: f.db}.Usage(context.Background(), 1)
	if err != nil || u.TemplatesToday != 12 || u.Queued != 18 {
		t.Fatalf("usage %+v %v", u, err)
	}
}

// The portfolio's rolling-24h limit counts unique users outside the window
// across its numbers: customers who wrote today do not use it.
func TestSenderDrainRespectsThePortfolioLimit(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 70, 80, 80, "TIER_50")
	// Five customers wrote within the window: they do not count.
	if err := f.db.Exec(`INSERT INTO conversations (sender_id, contact_id, last_inbound_at)
		SELECT 1, id, now() - interval '1 hour' FROM contacts ORDER BY id LIMIT 5`).Error; err != nil {
		t.Fatal(err)
	}
	// Ten users were reached by the other number of the portfolio today.
	if err := f.db.Exec(`INSERT INTO portfolio_reach (portfolio, contact_id, reached_at)
		SELECT 'pf:PF', g, now() - interval '2 hours' FROM generate_series(100001, 100010) g`).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec(`INSERT INTO portfolio_reach_hourly (portfolio, hour, n) VALUES ('pf:PF', date_trunc('hour', now() - interval '2 hours'), 10)`).Error; err != nil {
		t.Fatal(err)
	}
	f.launch(t)
	r := f.run(t, 1, 10*time.Second)
	sent := r.Sent
	// Sends not started by their round's cut-off (a loaded machine) wait
	// for the next round; the drain stops at the portfolio block, and the
	// next one (the SenderWorkflow's) sends them on the units already
	// reserved for them.
	for i := 0; i < 5 && sent < 45 && r.Block == dispatch.BlockPortfolio; i++ {
		r = f.run(t, 1, 10*time.Second)
		sent += r.Sent
	}
	if r.Block != dispatch.BlockPortfolio || sent != 45 {
		t.Fatalf("drain %+v (%d sent in all): want 40 new users + 5 in the window", r, sent)
	}
	if n := f.count(t, `SELECT count(*) FROM portfolio_reach WHERE portfolio = 'pf:PF' AND reached_at > now() - interval '24 hours'`); n != 50 {
		t.Fatalf("portfolio reach %d", n)
	}
	if n := f.count(t, `SELECT sum(n) FROM portfolio_reach_hourly WHERE portfolio = 'pf:PF'`); n != 50 {
		t.Fatalf("hourly reach %d", n)
	}
	// Until the hour of the oldest reach has aged out (22-23 h from now).
	if until := time.Until(r.Until); until < 22*time.Hour || until > 23*time.Hour {
		t.Fatalf("held for %s: want until the oldest reach is 24h old", until)
	}
}

// A RED number sends nothing; its queue moves to the campaign's other
// usable number, which sends it, each recipient once.
func TestSenderDrainPausesOnRedAndQueueMoves(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 20, 80, 80, "TIER_UNLIMITED")
	if err := f.db.Exec(`UPDATE campaigns SET sender_ids = '{1,2}'`).Error; err != nil {
		t.Fatal(err)
	}
	f.launch(t)
	if err := f.db.Exec(`UPDATE senders SET quality = 'RED' WHERE id = 1`).Error; err != nil {
		t.Fatal(err)
	}
	r1 := f.run(t, 1, 5*time.Second)
	if r1.Block != dispatch.BlockQuality || r1.Sent != 0 {
		t.Fatalf("RED drain %+v", r1)
	}
	var woke []int64
	f.drain.Waker = wakerFunc(func(ids []int64) { woke = append(woke, ids...) })
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.drain)
	v, err := env.ExecuteActivity(f.drain.SenderMoveQueued, int64(1))
	var moved int
	if err != nil || v.Get(&moved) != nil || moved != 10 || fmt.Sprint(woke) != "[2]" {
		t.Fatalf("moved %d, woke %v, %v", moved, woke, err)
	}
	r2 := f.run(t, 2, 5*time.Second)
	if r2.Sent != 20 || !r2.Idle {
		t.Fatalf("secondary drain %+v", r2)
	}
	for _, e := range f.sim.Outbox() {
		if e.PhoneNumberID != "PN2" {
			t.Fatalf("sent from %s while RED", e.PhoneNumberID)
		}
	}
	if len(f.accepted()) != 20 {
		t.Fatalf("%d reached", len(f.accepted()))
	}
	// Every moved message lives in the new number's conversation.
	if n := f.count(t, `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN campaign_recipients r ON r.message_id = m.id
		WHERE c.sender_id <> r.sender_id`); n != 0 {
		t.Fatalf("%d messages on the wrong number", n)
	}
}

// Outside quiet hours nothing is sent and the drain says when to come back.
func TestSenderDrainWaitsForQuietHours(t *testing.T) {
	t.Parallel()
	f := newDispatchFixture(t, 5, 80, 80, "TIER_UNLIMITED")
	tomorrow := time.Now().In(models.LoadZone(models.TZWIB)).Add(24 * time.Hour).Weekday()
	if err := f.db.Exec(`UPDATE campaigns SET quiet_hours = ?`, fmt.Sprintf(`{"days":[%d],"from":"09:00","to":"10:00"}`, tomorrow)).Error; err != nil {
		t.Fatal(err)
	}
	f.launch(t)
	r := f.run(t, 1, 5*time.Second)
	if !r.Idle || r.Sent != 0 || r.NextDue.Before(time.Now().Add(time.Hour)) || r.NextDue.Hour() != 2 || r.NextDue.Minute() != 0 {
		t.Fatalf("drain %+v: want idle until 09:00 WIB (02:00 UTC) tomorrow", r)
	}
	// A row that became due before quiet hours began is deferred at send time.
	if err := f.db.Exec(`UPDATE campaign_recipients SET not_before = now() - interval '1 minute'`).Error; err != nil {
		t.Fatal(err)
	}
	r = f.run(t, 1, 5*time.Second)
	if r.Sent != 0 || r.Deferred != 5 || len(f.sim.Outbox()) != 0 {
		t.Fatalf("drain %+v", r)
	}
}

type wakerFunc func(ids []int64)

func (w wakerFunc) Wake(_ context.Context, ids []int64, _ bool) error { w(ids); return nil }
