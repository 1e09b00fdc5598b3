// Command realtime benchmarks the websocket tier on loopback against the
// real PostgreSQL and RabbitMQ of the test environment:
//
//  1. latency: publish -> websocket delivery p50/p99 with 3 pods, N agents
//     (one socket each) at a fixed offered load, and CPU per pod;
//  2. memory per idle connection (heap in use + goroutine stacks delta on a
//     pod holding N idle sockets);
//  3. the seed's pure fanout against routing by agent key (a direct
//     exchange where a pod binds only the keys of its agents), with 1, 3
//     and 6 pods: events received per pod, latency and pod CPU.
//
// Every pod and the client fleet run as child processes of this binary, so
// CPU and memory are measured per pod (getrusage and runtime.MemStats inside
// each pod), not blended with the clients or the producer.
//
//	go run ./bench/realtime [-agents 1000 -rate 500 -duration 10s]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // heap profiles of a pod: go tool pprof http://<stats addr>/debug/pprof/heap
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/worker/testenv"
)

type flags struct {
	role                             string
	agents, rate                     int
	duration                         time.Duration
	cmpAgents, cmpRate               int
	cmpDuration                      time.Duration
	skipCompare                      bool
	workers                          int
	name, mode, amqpURL, exch, dbURL string
	addrs                            string
	npods, index                     int
}

func main() {
	var f flags
	flag.StringVar(&f.role, "role", "main", "internal: main, pod or clients")
	flag.IntVar(&f.agents, "agents", 1000, "connected agents (one socket each) for the latency and memory runs")
	flag.IntVar(&f.rate, "rate", 500, "offered load, events per second")
	flag.DurationVar(&f.duration, "duration", 10*time.Second, "load duration of the latency run")
	flag.IntVar(&f.cmpAgents, "compare-agents", 600, "agents in the fanout vs routing runs")
	flag.IntVar(&f.cmpRate, "compare-rate", 300, "events per second in the fanout vs routing runs")
	flag.DurationVar(&f.cmpDuration, "compare-duration", 4*time.Second, "load duration of each fanout vs routing run")
	flag.BoolVar(&f.skipCompare, "skip-compare", false, "skip the fanout vs routing runs")
	flag.IntVar(&f.workers, "workers", 16, "producer goroutines (append + publish)")
	flag.StringVar(&f.name, "name", "", "internal")
	flag.StringVar(&f.mode, "mode", "fanout", "internal")
	flag.StringVar(&f.amqpURL, "amqp", testenv.AMQPURL(), "RabbitMQ URL")
	flag.StringVar(&f.exch, "exchange", "", "internal")
	flag.StringVar(&f.dbURL, "db", "", "internal")
	flag.StringVar(&f.addrs, "addrs", "", "internal")
	flag.IntVar(&f.npods, "npods", 1, "internal")
	flag.IntVar(&f.index, "index", 0, "internal")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch f.role {
	case "pod":
		err = runPod(ctx, f)
	case "clients":
		err = runClients(ctx, f)
	default:
		err = runMain(ctx, f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------- main --

func runMain(ctx context.Context, f flags) error {
	started := time.Now()
	dbURL, dropDB, err := createDB(ctx)
	if err != nil {
		return err
	}
	defer dropDB()
	db, err := models.OpenDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer models.CloseDB(db)
	f.dbURL = dbURL
	fmt.Printf("realtime bench on loopback; %d CPUs; PostgreSQL db %s; RabbitMQ %s\n", runtime.NumCPU(), dbURL, f.amqpURL)
	fmt.Println("pods and clients are child processes: CPU and memory below are per process.")

	// 1. latency with 3 fanout pods.
	fmt.Printf("\n== 1. latency: 3 pods (fanout), %d agents, %d events/s for %s ==\n", f.agents, f.rate, f.duration)
	r, err := runLoad(ctx, f, db, "fanout", 3, f.agents, f.rate, f.duration)
	if err != nil {
		return err
	}
	r.print()

	// 2. memory per idle connection.
	fmt.Printf("\n== 2. memory per idle connection: 1 pod, %d idle sockets ==\n", f.agents)
	if err := runMemory(ctx, f); err != nil {
		return err
	}

	// 3. fanout vs routing by agent key.
	if !f.skipCompare {
		fmt.Printf("\n== 3. fanout vs direct routing by agent key: %d agents, %d events/s for %s, each event to 1 agent ==\n",
			f.cmpAgents, f.cmpRate, f.cmpDuration)
		fmt.Printf("%-7s %4s %12s %14s %9s %9s %9s %13s\n", "mode", "pods", "events sent", "in per pod", "p50 ms", "p99 ms", "lost", "pod CPU s/s")
		for _, n := range []int{1, 3, 6} {
			for _, mode := range []string{"fanout", "routed"} {
				r, err := runLoad(ctx, f, db, mode, n, f.cmpAgents, f.cmpRate, f.cmpDuration)
				if err != nil {
					return err
				}
				fmt.Printf("%-7s %4d %12d %14.0f %9.2f %9.2f %9d %13.3f\n", mode, n, r.sent, r.avgIn(), r.p50, r.p99, r.sent-r.received, r.podCPU())
			}
		}
	}
	fmt.Printf("\ntotal bench time %.1fs\n", time.Since(started).Seconds())
	return nil
}

func createDB(ctx context.Context) (string, func(), error) {
	admin, err := models.OpenDB(ctx, testenv.BaseDatabaseURL())
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL at %s: %w", testenv.BaseDatabaseURL(), err)
	}
	name := testenv.UniqueName("scrm_bench_")
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		_ = models.CloseDB(admin)
		return "", nil, err
	}
	pu, err := url.Parse(testenv.BaseDatabaseURL())
	if err != nil {
		_ = models.CloseDB(admin)
		return "", nil, err
	}
	pu.Path = "/" + name
	u := pu.String()
	db, err := models.OpenDB(ctx, u)
	if err == nil {
		sqlDB, _ := db.DB()
		_, err = migrations.Up(ctx, sqlDB)
		_ = models.CloseDB(db)
	}
	drop := func() {
		_ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
		_ = models.CloseDB(admin)
	}
	if err != nil {
		drop()
		return "", nil, err
	}
	return u, drop, nil
}

type loadResult struct {
	sent, received int
	p50, p99, maxL float64
	perPodIn       []float64
	perPodCPU      []float64
	wall           time.Duration
	clientCPU      float64
	producerCPU    float64
}

func (r loadResult) avgIn() float64 {
	s := 0.0
	for _, v := range r.perPodIn {
		s += v
	}
	return s / float64(len(r.perPodIn))
}

func (r loadResult) podCPU() float64 {
	s := 0.0
	for _, v := range r.perPodCPU {
		s += v
	}
	return s / r.wall.Seconds()
}

func (r loadResult) print() {
	fmt.Printf("events sent %d, delivered %d (lost %d)\n", r.sent, r.received, r.sent-r.received)
	fmt.Printf("latency publish -> websocket read: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.p50, r.p99, r.maxL)
	for i := range r.perPodIn {
		fmt.Printf("pod %d: events in %.0f, CPU %.2f s over %.1f s load = %.1f%% of a core\n",
			i, r.perPodIn[i], r.perPodCPU[i], r.wall.Seconds(), 100*r.perPodCPU[i]/r.wall.Seconds())
	}
	fmt.Printf("client fleet CPU %.2f s; producer (this process) CPU %.2f s\n", r.clientCPU, r.producerCPU)
}

// runLoad starts n pods and a client fleet, offers rate events/s for d, and
// collects latency and per-pod counters.
func runLoad(ctx context.Context, f flags, db *gorm.DB, mode string, n, agents, rate int, d time.Duration) (loadResult, error) {
	var res loadResult
	exch := testenv.UniqueName("scrm.bench.")
	defer deleteExchange(f.amqpURL, exch)
	pods := make([]*child, 0, n)
	defer func() {
		for _, p := range pods {
			p.stop()
		}
	}()
	var addrs []string
	for i := range n {
		p, err := startChild(ctx, "pod", "-name", fmt.Sprintf("p%d", i), "-mode", mode, "-amqp", f.amqpURL,
			"-exchange", exch, "-db", f.dbURL, "-agents", strconv.Itoa(agents), "-npods", strconv.Itoa(n), "-index", strconv.Itoa(i))
		if err != nil {
			return res, err
		}
		pods = append(pods, p)
		addrs = append(addrs, p.fields[0])
	}
	clients, err := startChild(ctx, "clients", "-addrs", strings.Join(addrs, ","), "-agents", strconv.Itoa(agents), "-npods", strconv.Itoa(n))
	if err != nil {
		return res, err
	}
	defer clients.stop()
	time.Sleep(time.Second) // presence writes of the connect burst settle

	pub, err := newPublisher(f.amqpURL, exch, mode)
	if err != nil {
		return res, err
	}
	defer pub.close()
	before := make([]podStats, n)
	for i, p := range pods {
		if before[i], err = p.stats(false); err != nil {
			return res, err
		}
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	sent, err := produce(ctx, db, pub, f.workers, agents, rate, d)
	res.wall = time.Since(t0)
	res.producerCPU = cpuSeconds() - cpu0
	if err != nil {
		return res, err
	}
	res.sent = sent
	time.Sleep(500 * time.Millisecond) // let the tail arrive
	for i, p := range pods {
		after, err := p.stats(false)
		if err != nil {
			return res, err
		}
		res.perPodIn = append(res.perPodIn, after.EventsIn-before[i].EventsIn)
		res.perPodCPU = append(res.perPodCPU, after.CPU-before[i].CPU)
	}
	var cs clientSummary
	if err := clients.finish(&cs); err != nil {
		return res, err
	}
	res.received, res.p50, res.p99, res.maxL, res.clientCPU = cs.Received, cs.P50, cs.P99, cs.Max, cs.CPU
	return res, nil
}

func runMemory(ctx context.Context, f flags) error {
	exch := testenv.UniqueName("scrm.bench.")
	defer deleteExchange(f.amqpURL, exch)
	p, err := startChild(ctx, "pod", "-name", "mem", "-mode", "fanout", "-amqp", f.amqpURL, "-exchange", exch,
		"-db", f.dbURL, "-agents", strconv.Itoa(f.agents), "-npods", "1", "-index", "0")
	if err != nil {
		return err
	}
	defer p.stop()
	base, err := p.stats(true)
	if err != nil {
		return err
	}
	clients, err := startChild(ctx, "clients", "-addrs", p.fields[0], "-agents", strconv.Itoa(f.agents), "-npods", "1")
	if err != nil {
		return err
	}
	defer clients.stop()
	time.Sleep(2 * time.Second) // presence writes settle, connections idle
	loaded, err := p.stats(true)
	if os.Getenv("BENCH_HOLD") != "" {
		fmt.Printf("holding; pod stats at http://%s/debug/pprof/heap\n", p.fields[1])
		time.Sleep(60 * time.Second)
	}
	if err != nil {
		return err
	}
	conns := loaded.Connections - base.Connections
	heap := float64(loaded.HeapInuse - base.HeapInuse)
	stack := float64(loaded.StackInuse - base.StackInuse)
	fmt.Printf("%d idle sockets: heap in use +%.0f KiB, goroutine stacks +%.0f KiB, goroutines +%d\n",
		conns, heap/1024, stack/1024, loaded.Goroutines-base.Goroutines)
	fmt.Printf("per idle connection: %.1f KiB (heap %.1f + stacks %.1f), %.1f goroutines\n",
		(heap+stack)/1024/float64(conns), heap/1024/float64(conns), stack/1024/float64(conns),
		float64(loaded.Goroutines-base.Goroutines)/float64(conns))
	return nil
}

// publisher abstracts the two exchange layouts.
type publisher interface {
	Publish(ctx context.Context, events ...models.Event) error
	close()
}

type fanoutPub struct{ *realtime.AMQPPublisher }

func (p fanoutPub) close() { _ = p.Close() }

// routedPub publishes one copy per audience agent to a direct exchange with
// routing key agent.<id>, with publisher confirms.
type routedPub struct {
	conn *amqp.Connection
	ch   *amqp.Channel
	mu   sync.Mutex
	exch string
}

func newPublisher(url, exch, mode string) (publisher, error) {
	if mode == "fanout" {
		return fanoutPub{realtime.NewAMQPPublisher(url, exch, "bench")}, nil
	}
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.ExchangeDeclare(exch, amqp.ExchangeDirect, false, false, false, false, nil)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &routedPub{conn: conn, ch: ch, exch: exch}, nil
}

func (p *routedPub) close() { _ = p.conn.Close() }

func (p *routedPub) Publish(ctx context.Context, events ...models.Event) error {
	var dcs []*amqp.DeferredConfirmation
	for _, e := range events {
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		for _, id := range e.Audience.AgentIDs {
			p.mu.Lock()
			dc, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, p.exch, agentKey(id), false, false,
				amqp.Publishing{ContentType: "application/json", Body: body})
			p.mu.Unlock()
			if err != nil {
				return err
			}
			dcs = append(dcs, dc)
		}
	}
	for _, dc := range dcs {
		if ok, err := dc.WaitContext(ctx); err != nil || !ok {
			return fmt.Errorf("confirm: %v %w", ok, err)
		}
	}
	return nil
}

func agentKey(id int64) string { return "agent." + strconv.FormatInt(id, 10) }

func deleteExchange(url, name string) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return
	}
	defer conn.Close()
	if ch, err := conn.Channel(); err == nil {
		_ = ch.ExchangeDelete(name, false, false)
	}
}

// produce offers rate events/s for d, each to one random agent: append in
// a transaction (as the webhook does), then publish after commit. The
// published copy carries the publish time so clients can measure latency.
func produce(ctx context.Context, db *gorm.DB, pub publisher, workers, agents, rate int, d time.Duration) (int, error) {
	store := models.EventStore{DB: db}
	total := int(float64(rate) * d.Seconds())
	jobs := make(chan int64, total)
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for agent := range jobs {
				e, err := models.NewEvent(models.EventMessageStatus, models.Audience{AgentIDs: []int64{agent}}, map[string]int64{"t": 0})
				if err == nil {
					err = db.Transaction(func(tx *gorm.DB) error { return store.Append(ctx, tx, &e) })
				}
				if err == nil {
					e.Data = json.RawMessage(`{"t":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`)
					err = pub.Publish(ctx, e)
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	start := time.Now()
	var x uint64 = 88172645463325252
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			time.Sleep(wait)
		}
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		jobs <- int64(x%uint64(agents)) + 1
	}
	close(jobs)
	wg.Wait()
	if lag := time.Since(start) - d; lag > 200*time.Millisecond {
		fmt.Printf("  (producer fell behind the offered load by %s)\n", lag.Round(time.Millisecond))
	}
	if p := firstErr.Load(); p != nil {
		return total - int(failed.Load()), fmt.Errorf("%d publishes failed: %w", failed.Load(), *p)
	}
	return total, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// --------------------------------------------------------------- child --

// child is a re-executed copy of this binary (a pod or the client fleet).
// It prints one READY line with fields, then runs until its stdin closes.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	fields []string
	once   sync.Once
}

func startChild(ctx context.Context, role string, args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"-role", role}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := c.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY") {
		c.stop()
		return nil, fmt.Errorf("%s child did not start: %q %v", role, line, err)
	}
	c.fields = strings.Fields(line)[1:]
	return c, nil
}

// finish closes stdin and decodes the child's final JSON line into v.
func (c *child) finish(v any) error {
	_ = c.stdin.Close()
	line, err := c.out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("child summary: %w", err)
	}
	return json.Unmarshal([]byte(line), v)
}

func (c *child) stop() {
	c.once.Do(func() {
		_ = c.stdin.Close()
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c.out); _ = c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-done
		}
	})
}

type podStats struct {
	CPU         float64 `json:"cpu"`
	HeapInuse   uint64  `json:"heapAlloc"` // live heap after GC
	StackInuse  uint64  `json:"stackInuse"`
	Goroutines  int     `json:"goroutines"`
	EventsIn    float64 `json:"eventsIn"`
	Connections int     `json:"connections"`
}

func (c *child) stats(gc bool) (podStats, error) {
	var s podStats
	u := "http://" + c.fields[1] + "/stats"
	if gc {
		u += "?gc=1"
	}
	resp, err := http.Get(u)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// ----------------------------------------------------------------- pod --

type benchAuth struct{}

func (benchAuth) Authenticate(_ context.Context, token string) (models.Principal, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(token, "agent-"), 10, 64)
	if err != nil || !strings.HasPrefix(token, "agent-") {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "bad token")
	}
	// An agent that reads the inbox: the bench events are message statuses.
	return models.Principal{AgentID: id, Permissions: []models.Permission{models.PermInboxRead}}, nil
}

func runPod(ctx context.Context, f flags) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	db, err := models.OpenDB(ctx, f.dbURL)
	if err != nil {
		return err
	}
	defer models.CloseDB(db)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("pod", f.name)
	reg := prometheus.NewRegistry()
	var feed realtime.Feed
	if f.mode == "routed" {
		var keys []string
		for a := 1; a <= f.agents; a++ {
			if a%f.npods == f.index {
				keys = append(keys, agentKey(int64(a)))
			}
		}
		feed = &routedFeed{url: f.amqpURL, exchange: f.exch, keys: keys, log: log}
	} else {
		feed = &realtime.AMQPConsumer{URL: f.amqpURL, Exchange: f.exch, Name: "bench-" + f.name, Logger: log, Prefetch: 1000}
	}
	srv := realtime.New(realtime.Deps{
		Logger: log, Registerer: reg, ShutdownTimeout: 5 * time.Second,
		Auth: benchAuth{}, Events: models.EventStore{DB: db}, Feed: feed,
		Options: realtime.Options{DrainPresenceWait: 10 * time.Millisecond},
	})
	wsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	statsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := podStats{CPU: cpuSeconds(), HeapInuse: ms.HeapAlloc, StackInuse: ms.StackInuse,
			Goroutines: runtime.NumGoroutine(), EventsIn: gather(reg, "scrm_realtime_events_in_total"), Connections: srv.Connections()}
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.Handle("GET /debug/pprof/", http.DefaultServeMux)
	go func() { _ = http.Serve(statsLn, mux) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, wsLn) }()
	deadline := time.Now().Add(15 * time.Second)
	for !feed.Connected() {
		if time.Now().After(deadline) {
			return errors.New("pod feed did not subscribe")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("READY %s %s\n", wsLn.Addr(), statsLn.Addr())
	return <-errc
}

func gather(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			s := 0.0
			for _, m := range mf.GetMetric() {
				s += m.GetCounter().GetValue()
			}
			return s
		}
	}
	return 0
}

// routedFeed is the alternative to the fanout: a direct exchange where the
// pod's queue binds only agent.<id> for the agents it serves. (The bench
// binds its agents up front; a real implementation would bind and unbind as
// agents connect, and would need team and all-scope keys for supervisors
// and admins.)
type routedFeed struct {
	url, exchange string
	keys          []string
	log           *slog.Logger
	connected     atomic.Bool
}

func (r *routedFeed) Connected() bool { return r.connected.Load() }

func (r *routedFeed) Run(ctx context.Context, deliver func(models.Event), bound func()) error {
	conn, err := amqp.Dial(r.url)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := ch.ExchangeDeclare(r.exchange, amqp.ExchangeDirect, false, false, false, false, nil); err != nil {
		return err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return err
	}
	for _, k := range r.keys {
		if err := ch.QueueBind(q.Name, k, r.exchange, false, nil); err != nil {
			return err
		}
	}
	msgs, err := ch.ConsumeWithContext(ctx, q.Name, "", true, true, false, false, nil)
	if err != nil {
		return err
	}
	r.connected.Store(true)
	bound()
	for {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-msgs:
			if !ok {
				return errors.New("routed feed: deliveries closed")
			}
			var e models.Event
			if json.Unmarshal(d.Body, &e) == nil {
				deliver(e)
			}
		}
	}
}

// ------------------------------------------------------------- clients --

type clientSummary struct {
	Received int     `json:"received"`
	P50      float64 `json:"p50"`
	P99      float64 `json:"p99"`
	Max      float64 `json:"max"`
	CPU      float64 `json:"cpu"`
}

func runClients(ctx context.Context, f flags) error {
	addrs := strings.Split(f.addrs, ",")
	var mu sync.Mutex
	var lat []float64
	var welcomed sync.WaitGroup
	sem := make(chan struct{}, 32)
	conns := make([]*websocket.Conn, 0, f.agents)
	var connsMu sync.Mutex
	var dialErr atomic.Pointer[error]
	for a := 1; a <= f.agents; a++ {
		welcomed.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			u := fmt.Sprintf("ws://%s/ws", addrs[a%len(addrs)])
			c, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
			if err == nil {
				err = c.WriteJSON(map[string]string{"type": "auth", "token": fmt.Sprintf("agent-%d", a)})
			}
			if err != nil {
				dialErr.CompareAndSwap(nil, &err)
				welcomed.Done()
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			go func() {
				first := true
				for {
					_, raw, err := c.ReadMessage()
					if err != nil {
						if first {
							welcomed.Done()
						}
						return
					}
					now := time.Now().UnixNano()
					var m struct {
						Type string
						Data struct{ T int64 }
					}
					if json.Unmarshal(raw, &m) != nil {
						continue
					}
					if first && m.Type == "welcome" {
						first = false
						welcomed.Done()
						continue
					}
					if m.Type == models.EventMessageStatus && m.Data.T > 0 {
						mu.Lock()
						lat = append(lat, float64(now-m.Data.T)/1e6)
						mu.Unlock()
					}
				}
			}()
		}()
	}
	welcomed.Wait()
	if p := dialErr.Load(); p != nil {
		return fmt.Errorf("clients: %w", *p)
	}
	fmt.Printf("READY %d\n", len(conns))
	_, _ = io.Copy(io.Discard, os.Stdin)
	mu.Lock()
	s := clientSummary{Received: len(lat), CPU: cpuSeconds()}
	slices.Sort(lat)
	if len(lat) > 0 {
		s.P50, s.P99, s.Max = lat[len(lat)*50/100], lat[min(len(lat)*99/100, len(lat)-1)], lat[len(lat)-1]
	}
	mu.Unlock()
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}
