// Command webhook benchmarks WhatsApp webhook ingest: it runs the api's
// receiver in-process on a fresh, migrated PostgreSQL database, offers a
// fixed load of signed inbound-message webhooks (open loop: latency is
// measured from each request's scheduled time, so a stall is not hidden),
// and prints achieved requests/s and p50/p90/p99 acknowledgement latency.
// A refused delivery (503 when the receiver sheds load, or a transport
// error) is redelivered like Meta does, with backoff, until acknowledged;
// lost counts messages never acknowledged or acknowledged but not stored.
//
//	go run ./bench/webhook -rate 1000 -duration 10s [-amqp]
//
// With -amqp the stored events are published to a RabbitMQ fanout exchange
// after commit, as the realtime publisher does, and a consumer bound to it
// (what every realtime pod runs) times each message from its scheduled
// send to its event's arrival. CPU is the bench process's own (receiver
// and load generator together) from /proc/self/stat.
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
	"github.com/wabascrm/scrm/models/ingest"
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
		inflight = flag.Int("max-inflight", 0, "webhook_max_inflight of the receiver (0: the product's default)")
		admit    = flag.Duration("admit-wait", 0, "webhook_admit_wait of the receiver (0: the product's default)")
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
	if err := run(*dbURL, *amqpURL, *useAMQP, *cold, *rate, *duration, *workers, *contacts, *inflight, *admit); err != nil {
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

func run(dbURL, amqpURL string, useAMQP, cold bool, rate int, duration time.Duration, workers, contacts, inflight int, admit time.Duration) error {
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
		Stores:        &api.Stores{Inbound: &ingest.InboundStore{DB: db, Events: models.EventStore{DB: db}}},
		WABAAppSecret: secret, WABAVerifyToken: "v", ShutdownTimeout: 5 * time.Second,
		WebhookMaxInflight: inflight, WebhookAdmitWait: admit}
	pubNote := "none (no publisher configured)"
	exchange := ""
	if useAMQP {
		// The product's own publisher (publisher confirms) on a throwaway exchange.
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		ex := "scrm.bench." + hex.EncodeToString(b)
		exchange = ex
		p := realtime.NewAMQPPublisher(amqpURL, ex, "bench-webhook")
		defer func() { _ = p.Close() }()
		defer deleteExchange(amqpURL, ex)
		// As the product wires it: queued off the request path, sent in
		// batches with confirms.
		bp := realtime.NewBatchPublisher(p, 20000, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		defer bp.Close(5 * time.Second)
		deps.Events = bp
		pubNote = "RabbitMQ fanout " + ex + " (realtime.BatchPublisher over AMQPPublisher, confirms)"
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
					for attempt := 0; ; attempt++ { // refused (shed) deliveries are redelivered, as Meta does
						code, err := post(client, target, body(-1-i, contacts))
						if err == nil && code == http.StatusOK {
							break
						}
						if attempt == 20 {
							werr.Store(fmt.Errorf("warm-up: %d %v", code, err))
							break
						}
						time.Sleep(100 * time.Millisecond)
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
	lat := make([]time.Duration, total)   // every first attempt's response time
	acked := make([]time.Duration, total) // scheduled -> final 200 (after redeliveries)
	dues := make([]time.Time, total)
	var failed, non200, redelivered, unacked atomic.Int64
	var retries sync.WaitGroup
	var arrivals *eventClock
	if useAMQP {
		if arrivals, err = consumeEvents(amqpURL, exchange, total); err != nil {
			return err
		}
		defer arrivals.close()
	}
	cpu0 := procCPU()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if d := time.Until(j.due); d > 0 {
					time.Sleep(d)
				}
				dues[j.i] = j.due
				b := body(j.i, contacts)
				code, err := post(client, target, b)
				lat[j.i] = time.Since(j.due)
				if err == nil && code == http.StatusOK {
					acked[j.i] = lat[j.i]
					continue
				}
				// Redeliveries run on their own (Meta's retries do not
				// hold up its next deliveries), with backoff.
				retries.Go(func() {
					backoff := 100 * time.Millisecond
					for attempt := 1; ; attempt++ {
						if err != nil {
							failed.Add(1)
						} else {
							non200.Add(1)
						}
						if attempt == 20 {
							unacked.Add(1)
							return
						}
						redelivered.Add(1)
						time.Sleep(backoff)
						backoff = min(2*backoff, 2*time.Second)
						if code, err = post(client, target, b); err == nil && code == http.StatusOK {
							acked[j.i] = time.Since(j.due)
							return
						}
					}
				})
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
	retries.Wait()
	cpu := procCPU() - cpu0

	var stored int64
	if err := db.Raw(`SELECT count(DISTINCT wamid) FROM messages WHERE wamid LIKE 'wamid.bench.%' AND wamid NOT LIKE 'wamid.bench.-%'`).Scan(&stored).Error; err != nil {
		return err
	}
	var rows int64
	if err := db.Raw(`SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.bench.%' AND wamid NOT LIKE 'wamid.bench.-%'`).Scan(&rows).Error; err != nil {
		return err
	}
	socket := "not measured (run with -amqp)"
	if arrivals != nil {
		got := arrivals.wait(int(stored), 10*time.Second)
		var d []time.Duration
		for i, at := range got {
			if !at.IsZero() && !dues[i].IsZero() {
				d = append(d, at.Sub(dues[i]))
			}
		}
		within := 0
		for _, x := range d {
			if x <= time.Second {
				within++
			}
		}
		socket = fmt.Sprintf("%d of %d events received, %d within 1 s of the scheduled send; p50 %s  p99 %s", len(d), total, within,
			pctOf(d, 0.5).Round(10*time.Microsecond), pctOf(d, 0.99).Round(10*time.Microsecond))
	}
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf(`webhook ingest benchmark
  offered          %d webhooks/s for %s (%d requests, 1 inbound message each, %d customers)
  concurrency      up to %d in flight
  publish          %s
  achieved         %.0f requests/s (%.1fs)
  stored messages  %d of %d (%d rows: %d duplicated); lost %d
  refusals         %d transport errors, %d non-200 (shed: 503), %d redeliveries, %d never acknowledged
  response time    first attempts: p50 %s  p90 %s  p99 %s  max %s; over 1 s: %.2f%%
  time to ack      scheduled -> 200 incl. redeliveries: p50 %s  p99 %s  max %s
  event at pods    %s
  CPU              %.3f ms per message (this process: receiver + load generator)
  load average     %s`+"\n",
		rate, duration, total, contacts, workers, pubNote, float64(total)/elapsed.Seconds(), elapsed.Seconds(), stored, total, rows, rows-stored,
		int64(total)-stored, failed.Load(), non200.Load(), redelivered.Load(), unacked.Load(),
		pctOf(lat, 0.50).Round(10*time.Microsecond), pctOf(lat, 0.90).Round(10*time.Microsecond), pctOf(lat, 0.99).Round(10*time.Microsecond),
		pctOf(lat, 1).Round(10*time.Microsecond), 100*float64(countOver(lat, time.Second))/float64(total),
		pctOf(acked, 0.50).Round(10*time.Microsecond), pctOf(acked, 0.99).Round(10*time.Microsecond), pctOf(acked, 1).Round(10*time.Microsecond),
		socket, float64(cpu.Milliseconds())/float64(total), strings.TrimSpace(string(la)))
	if stored != int64(total) || rows != stored {
		return errors.New("lost or duplicated messages")
	}
	return nil
}

func pctOf(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func countOver(xs []time.Duration, d time.Duration) int {
	n := 0
	for _, x := range xs {
		if x > d {
			n++
		}
	}
	return n
}

// procCPU is this process's user+system CPU time (/proc/self/stat fields
// 14 and 15, in clock ticks of 10 ms).
func procCPU() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
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

// eventClock records when each bench message's message.created event
// arrived on a queue bound to the fanout exchange (as a realtime pod's).
type eventClock struct {
	conn *amqp.Connection
	mu   sync.Mutex
	at   []time.Time
	n    int
}

func consumeEvents(url, exchange string, total int) (*eventClock, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.ExchangeDeclare(exchange, amqp.ExchangeFanout, true, false, false, false, nil)
	}
	var q amqp.Queue
	if err == nil {
		q, err = ch.QueueDeclare("", false, true, true, false, nil)
	}
	if err == nil {
		err = ch.QueueBind(q.Name, "", exchange, false, nil)
	}
	var msgs <-chan amqp.Delivery
	if err == nil {
		msgs, err = ch.Consume(q.Name, "", true, true, false, false, nil)
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	c := &eventClock{conn: conn, at: make([]time.Time, total)}
	go func() {
		for d := range msgs {
			now := time.Now()
			var e struct {
				Type string `json:"type"`
				Data struct {
					WAMID string `json:"wamid"`
				} `json:"data"`
			}
			if json.Unmarshal(d.Body, &e) != nil || e.Type != models.EventMessageCreated {
				continue
			}
			var i int
			if _, err := fmt.Sscanf(e.Data.WAMID, "wamid.bench.%d", &i); err != nil || i < 0 || i >= total {
				continue
			}
			c.mu.Lock()
			if c.at[i].IsZero() {
				c.at[i] = now
				c.n++
			}
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// wait returns the arrival times once n events arrived or d passed.
func (c *eventClock) wait(n int, d time.Duration) []time.Time {
	deadline := time.Now().Add(d)
	for {
		c.mu.Lock()
		got := c.n
		c.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at...)
}

func (c *eventClock) close() { _ = c.conn.Close() }
