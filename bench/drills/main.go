// Command drills runs the reliability drills end to end on this machine:
// the built scrm binary as separate OS processes (2 api replicas, 2
// workers, 3 realtime pods, wabasim) and the production Temporal server
// (go.temporal.io/server built from the pinned module, on PostgreSQL, 4
// history shards; `-temporal dev` runs the embedded dev server instead) on
// the drill's OWN PostgreSQL cluster (initdb into a temp dir, a free port)
// and its OWN RabbitMQ node, so the shared services other tests use are
// never touched. Each scenario injects one fault under load and counts
// what was lost or duplicated; the result is one table.
//
//	go run ./bench/drills [-short] [-only a,b,...] [-temporal prod|dev] [-bin path/to/scrm] [-keep]
//
// Scenarios (inbound: signed webhooks spread over both api replicas,
// redelivered like Meta until acknowledged; agents on 3 realtime pods):
//
//	a  every RabbitMQ connection of the drill's vhost force-closed
//	b  one realtime pod SIGKILLed: its agents reconnect to the others
//	c  PostgreSQL stopped for 20s (the api answers 503, the sender redelivers)
//	d  api-1 SIGKILLed and restarted mid-burst
//	g  api-2 SIGKILLed and left down: api-1 takes the redeliveries
//	h  the Temporal server SIGKILLed and restarted (every window-opened
//	   signal must still reach Temporal)
//	i  the RabbitMQ node stopped and started (rabbitmqctl stop_app/start_app)
//
// Campaign scenarios (3 senders; the simulator must count exactly one
// template per recipient):
//
//	e  worker-1 SIGKILLed twice (and restarted) while worker-2 runs
//	f  worker-2 SIGKILLed and left down: worker-1 finishes the campaign
//	j  the Temporal server SIGKILLed and restarted mid-campaign
//
// And one measurement, k: CPU per window-open all in (every role's and
// PostgreSQL's /proc counters), new customers' first messages against
// their second ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

type config struct {
	short    bool
	rate     int
	duration time.Duration
	faultAt  time.Duration
	pgDown   time.Duration
	contacts int
	agents   int
	campaign int
}

type row struct {
	scenario, load, fault string
	lost, dup             string
	note                  string
	ok                    bool
}

func main() {
	var (
		short  = flag.Bool("short", false, "smaller loads (about 2 minutes of load in all)")
		only   = flag.String("only", "a,b,c,d,g,h,i,e,f,j,k", "comma-separated scenarios to run")
		tkind  = flag.String("temporal", "prod", "prod: the production Temporal server on the drill's PostgreSQL; dev: the embedded dev server (SQLite)")
		bin    = flag.String("bin", "", "a built scrm binary (default: go build ./cmd/scrm into the temp dir)")
		keep   = flag.Bool("keep", false, "keep the temp dir (logs of every process, the PostgreSQL data)")
		pgPort = flag.Int("pg-port", 0, "port of the drill's own PostgreSQL cluster (default: a free one)")
	)
	flag.Parse()
	cfg := config{short: *short, rate: 300, duration: 60 * time.Second, faultAt: 20 * time.Second, pgDown: 20 * time.Second,
		contacts: 500, agents: 6, campaign: 10000}
	if *short {
		cfg.rate, cfg.duration, cfg.faultAt, cfg.pgDown, cfg.contacts, cfg.campaign = 100, 15*time.Second, 5*time.Second, 8*time.Second, 200, 1000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s drill: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(f, a...))
	}
	rows, err := runAll(ctx, cfg, strings.Split(*only, ","), *bin, *pgPort, *tkind, *keep, logf)
	printTable(rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "drills:", err)
		os.Exit(1)
	}
	for _, r := range rows {
		if !r.ok {
			os.Exit(2)
		}
	}
}

func runAll(ctx context.Context, cfg config, only []string, bin string, pgPort int, temporalKind string, keep bool, logf func(string, ...any)) ([]row, error) {
	if wd, err := os.Getwd(); err == nil && bin == "" {
		if _, err := os.Stat(wd + "/cmd/scrm"); err != nil {
			return nil, fmt.Errorf("run from the repository root (no ./cmd/scrm here) or pass -bin")
		}
	}
	s, err := newStack(ctx, bin, pgPort, temporalKind, logf)
	if s != nil {
		defer s.teardown(keep)
	}
	if err != nil {
		return nil, err
	}
	emails, err := seed(ctx, s, cfg.agents)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range only {
		want[strings.TrimSpace(k)] = true
	}
	var rows []row
	for _, sc := range inboundScenarios(cfg) {
		if !want[sc.key] {
			continue
		}
		logf("scenario %s: %s", sc.key, sc.fault)
		r, err := runInbound(ctx, s, cfg, sc, emails)
		if err != nil {
			return rows, fmt.Errorf("scenario %s: %w", sc.key, err)
		}
		rows = append(rows, r)
		logf("scenario %s: lost %s, duplicated %s", sc.key, r.lost, r.dup)
		if err := s.heal(ctx); err != nil {
			return rows, fmt.Errorf("after scenario %s: %w", sc.key, err)
		}
	}
	for _, sc := range campaignScenarios() {
		if !want[sc.key] {
			continue
		}
		logf("scenario %s: campaign of %d recipients, %s", sc.key, cfg.campaign, sc.fault)
		r, err := runCampaign(ctx, s, cfg, emails[0], sc)
		if err != nil {
			return rows, fmt.Errorf("scenario %s: %w", sc.key, err)
		}
		rows = append(rows, r)
		logf("scenario %s: lost %s, duplicated %s", sc.key, r.lost, r.dup)
		if err := s.heal(ctx); err != nil {
			return rows, fmt.Errorf("after scenario %s: %w", sc.key, err)
		}
	}
	if want["k"] {
		logf("scenario k: CPU per window-open (new customers' first messages, then their second ones)")
		r, err := runCost(ctx, s, cfg)
		if err != nil {
			return rows, fmt.Errorf("scenario k: %w", err)
		}
		rows = append(rows, r)
		logf("scenario k: %s", r.note)
	}
	return rows, nil
}

// seed creates the drill's agents (Admins: they see every conversation,
// so every agent must receive every inbound message) and the sender the
// inbound webhooks are addressed to.
func seed(ctx context.Context, s *stack, n int) ([]string, error) {
	db, err := models.OpenDB(ctx, s.dbURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = models.CloseDB(db) }()
	var emails []string
	for i := range n {
		e := fmt.Sprintf("drill-agent-%d@scrm.local", i)
		if _, err := identity.CreateAdmin(ctx, db, identity.AdminInput{Name: fmt.Sprintf("Drill agent %d", i), Email: e, Password: agentPass}); err != nil {
			return nil, err
		}
		emails = append(emails, e)
	}
	err = db.Exec(`INSERT INTO senders (phone_number_id, waba_id, display_number, throughput_mps, messaging_limit_tier)
		VALUES (?, '200000000000001', '+62 21 5000 0001', 80, 'TIER_UNLIMITED') ON CONFLICT DO NOTHING`, drillPNID).Error
	return emails, err
}

func printTable(rows []row) {
	if len(rows) == 0 {
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "scenario\tload held\tfault\tlost\tduplicated\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t\n", r.scenario, r.load, r.fault, r.lost, r.dup)
	}
	_ = w.Flush()
	fmt.Println()
	for _, r := range rows {
		if r.note != "" {
			fmt.Printf("%s: %s\n", r.scenario, r.note)
		}
	}
}
