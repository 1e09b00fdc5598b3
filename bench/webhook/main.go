// Command webhook benchmarks WhatsApp webhook ingest: it runs the api's
// receiver in-process on a fresh, migrated PostgreSQL database, offers a
// fixed load of signed inbound-message webhooks (open loop: latency is
// measured from each request's scheduled time, so a stall is not hidden),
// and prints achieved requests/s and p50/p90/p99 acknowledgement latency.
//
//	go run ./bench/webhook -rate 1000 -duration 10s [-amqp]
//
// With -amqp the stored events are published to a RabbitMQ fanout exchange
// after commit, as the realtime publisher will do.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker/testenv"
)

const (
	secret = "bench-secret"
	pnid   = "100000000000001"
)

func main() {
	var (
		dbURL    = flag.String("db", envOr("SCRM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server (a scratch database is created on it)")
		amqpURL  = flag.String("amqp-url", envOr("SCRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"), "RabbitMQ URL")
		useAMQP  = flag.Bool("amqp", false, "publish events to RabbitMQ after commit")
		cold     = flag.Bool("cold", false, "skip the warm-up (measure a cold start: first messages of every customer, pools opening)")
		rate     = flag.Int("rate", 1000, "offered webhooks per second (one inbound message each)")
		duration = flag.Duration("duration", 10*time.Second, "how long to offer load")
		workers  = flag.Int("workers", 128, "max concurrent requests")
		contacts = flag.Int("contacts", 2000, "distinct customers")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the run here")
	)
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*dbURL, *amqpURL, *useAMQP, *cold, *rate, *duration, *workers, *contacts); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func run(dbURL, amqpURL string, useAMQP, cold bool, rate int, duration time.Duration, workers, contacts int) error {
	ctx := context.Background()
	dsn, drop, err := testenv.ScratchDatabase(ctx, dbURL, "scrm_bench_")
	if err != nil {
		return err
	}
	defer drop()
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		return err
	}
	defer models.CloseDB(db)
	sqlDB, _ := db.DB()
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		return err
	}
	if err := db.Exec(`INSERT INTO senders (phone_number_id, waba_id, display_number) VALUES (?, '200', '+622150000001')`, pnid).Error; err != nil {
		return err
	}
	deps := api.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		// Only the webhook is driven: its stores suffice.
		Stores:        &api.Stores{Inbound: &inbox.InboundStore{DB: db, Events: models.EventStore{DB: db}}, WindowSignals: inbox.WindowSignalStore{DB: db}},
		WABAAppSecret: secret, WABAVerifyToken: "v", ShutdownTimeout: 5 * time.Second}
	pubNote := "none (no publisher configured)"
	if useAMQP {
		// The product's own publisher (publisher confirms) on a throwaway exchange.
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		ex := "scrm.bench." + hex.EncodeToString(b)
		p := realtime.NewAMQPPublisher(amqpURL, ex, "bench-webhook")
		defer func() { _ = p.Close() }()
		defer deleteExchange(amqpURL, ex)
		deps.Events = p
		pubNote = "RabbitMQ fanout " + ex + " (realtime.AMQPPublisher, confirms)"
	}
	srv := api.New(deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = srv.Serve(sctx, ln) }()
	target := "http://" + ln.Addr().String() + "/webhooks/whatsapp"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: 10 * time.Second}

	// Warm up (not measured): every customer writes once, from `workers`
	// goroutines, so the measured run sees the steady state — returning
	// customers, open HTTP and PostgreSQL connections — not the first
	// contact/conversation upserts and connection set-up of a cold start.
	// -cold skips this to measure a cold start.
	if !cold {
		warm := make(chan int, contacts)
		for i := 0; i < contacts; i++ {
			warm <- i
		}
		close(warm)
		var wwg sync.WaitGroup
		var werr atomic.Value
		for w := 0; w < workers; w++ {
			wwg.Go(func() {
				for i := range warm {
					if code, err := post(client, target, body(-1-i, contacts)); err != nil || code != http.StatusOK {
						werr.Store(fmt.Errorf("warm-up: %d %v", code, err))
					}
				}
			})
		}
		wwg.Wait()
		if e, ok := werr.Load().(error); ok {
			return e
		}
	}

	total := int(float64(rate) * duration.Seconds())
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, total)
	lat := make([]time.Duration, total)
	var failed, non200 atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if d := time.Until(j.due); d > 0 {
					time.Sleep(d)
				}
				code, err := post(client, target, body(j.i, contacts))
				lat[j.i] = time.Since(j.due)
				if err != nil {
					failed.Add(1)
				} else if code != 200 {
					non200.Add(1)
				}
			}
		}()
	}
	start := time.Now().Add(20 * time.Millisecond)
	interval := time.Second / time.Duration(rate)
	for i := 0; i < total; i++ {
		jobs <- job{i: i, due: start.Add(time.Duration(i) * interval)}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	var stored int64
	if err := db.Raw(`SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.bench.%' AND wamid NOT LIKE 'wamid.bench.-%'`).Scan(&stored).Error; err != nil {
		return err
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	pct := func(p float64) time.Duration { return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))] }
	fmt.Printf(`webhook ingest benchmark
  offered          %d webhooks/s for %s (%d requests, 1 inbound message each, %d customers)
  concurrency      up to %d in flight
  publish          %s
  achieved         %.0f requests/s (%.1fs)
  stored messages  %d of %d
  errors           %d transport, %d non-200
  ack latency      p50 %s  p90 %s  p99 %s  max %s
`, rate, duration, total, contacts, workers, pubNote, float64(total)/elapsed.Seconds(), elapsed.Seconds(), stored, total,
		failed.Load(), non200.Load(), pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond),
		pct(0.99).Round(10*time.Microsecond), sorted[len(sorted)-1].Round(10*time.Microsecond))
	if stored != int64(total) {
		return errors.New("not every message was stored")
	}
	return nil
}

func body(i, contacts int) []byte {
	c := i % contacts
	if c < 0 {
		c = -c
	}
	from := fmt.Sprintf("62812%08d", c)
	v := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "200", "changes": []any{map[string]any{
		"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]string{"display_phone_number": "622150000001", "phone_number_id": pnid},
			"contacts":          []any{map[string]any{"profile": map[string]string{"name": fmt.Sprintf("Pelanggan Ñomor %d 🛵", c)}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": fmt.Sprintf("wamid.bench.%d", i), "timestamp": fmt.Sprint(time.Now().Unix()),
				"type": "text", "text": map[string]string{"body": "Halo kak, cicilan saya bulan ini berapa ya? 🙏"}}},
		}}}}}}
	b, _ := json.Marshal(v)
	return b
}

func post(c *http.Client, target string, b []byte) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(waba.SignatureHeader, waba.Sign([]byte(secret), b))
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func deleteExchange(url, ex string) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return
	}
	defer func() { _ = conn.Close() }()
	if ch, err := conn.Channel(); err == nil {
		_ = ch.ExchangeDelete(ex, false, false)
	}
}
