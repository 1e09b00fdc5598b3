package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wabascrm/scrm/bench/prodtemporal"
)

// Secrets of the drill's own stack (nothing here is shared with other runs).
const (
	appSecret   = "drill-app-secret"
	verifyToken = "drill-verify"
	wabaToken   = "drill-waba-token"
	jwtSecret   = "drill-jwt-secret-0123456789abcdef0123456789"
	agentPass   = "drill-password-0123"
)

// proc is one OS process of the built binary.
type proc struct {
	name string
	args []string
	env  []string
	log  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group: a drill's Ctrl-C does not reach the children
	// before the drill tears them down in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// signal sends sig to the process and waits (up to wait) for it to exit.
func (p *proc) signal(sig syscall.Signal, wait time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stack is the drill's private deployment: its own PostgreSQL cluster, its
// own RabbitMQ node (a vhost on it), the production Temporal server on the
// drill's PostgreSQL (or the embedded dev server with -temporal dev), and
// every role as its own process: two api replicas, two workers, three
// realtime pods.
type stack struct {
	dir, bin         string
	pgBin, pgData    string
	pgPort           int
	rabbit           *rabbitNode
	vhost            string
	dbURL, amqpURL   string
	temporalAddr     string
	prodTemporal     *prodtemporal.Cluster // nil with -temporal dev
	apiAddr, simAddr string
	api2Addr         string   // the second api replica
	internalAddrs    []string // each api replica's /readyz (SCRM_INTERNAL_ADDR)
	workerAddr       string   // the worker's /metrics
	worker2Addr      string
	rtAddrs          []string
	temporal, api    *proc
	api2, work       *proc
	work2            *proc
	sim              *proc
	rt               []*proc
	logf             func(string, ...any)
}

// apiAddrs are the replicas the load generator spreads webhooks over.
func (s *stack) apiAddrs() []string { return []string{s.apiAddr, s.api2Addr} }

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// asPostgres runs a PostgreSQL tool as the postgres OS user (initdb and
// the server refuse to run as root).
func (s *stack) asPostgres(tool string, args ...string) error {
	return run("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.pgBin, tool)}, args...)...)
}

func findPGBin() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(m) == 0 {
		return "", errors.New("no /usr/lib/postgresql/*/bin/pg_ctl: install the PostgreSQL server")
	}
	sort.Strings(m)
	return filepath.Dir(m[len(m)-1]), nil
}

func newStack(ctx context.Context, bin string, pgPort int, temporalKind string, logf func(string, ...any)) (*stack, error) {
	dir, err := os.MkdirTemp("", "scrm-drill-")
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o755) // the postgres user must reach its data dir
	s := &stack{dir: dir, bin: bin, pgPort: pgPort, logf: logf}
	if s.bin == "" {
		s.bin = filepath.Join(dir, "scrm")
		logf("building %s", s.bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/scrm")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return s, fmt.Errorf("go build: %w", err)
		}
	}
	if err := s.startPostgres(); err != nil {
		return s, err
	}
	logf("starting the drill's own RabbitMQ node")
	if s.rabbit, err = startRabbit(ctx, filepath.Join(dir, "rabbitmq")); err != nil {
		return s, err
	}
	if err := s.createVhost(); err != nil {
		return s, err
	}
	s.temporalAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
	switch temporalKind {
	case "prod":
		logf("building the production Temporal server (once, into bin/temporal-%s)", prodtemporal.ServerVersion)
		bins, err := prodtemporal.Build(ctx, ".", "", os.Stderr)
		if err != nil {
			return s, err
		}
		// The frontend's port is chosen by WriteConfig (below 32768, as
		// Temporal's membership table needs).
		s.prodTemporal = &prodtemporal.Cluster{Bins: bins, Dir: filepath.Join(dir, "temporal"), PGPort: s.pgPort, Shards: 4}
		logf("creating Temporal's schema on the drill's PostgreSQL (temporal, temporal_visibility), 4 history shards")
		if err := s.prodTemporal.CreateSchema(ctx, io.Discard); err != nil {
			return s, err
		}
		if err := s.prodTemporal.WriteConfig(); err != nil {
			return s, err
		}
		s.temporalAddr = s.prodTemporal.FrontendAddr
	case "dev":
	default:
		return s, fmt.Errorf("-temporal %q: prod or dev", temporalKind)
	}
	s.apiAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
	s.api2Addr = fmt.Sprintf("127.0.0.1:%d", freePort())
	s.worker2Addr = fmt.Sprintf("127.0.0.1:%d", freePort())
	s.internalAddrs = []string{fmt.Sprintf("127.0.0.1:%d", freePort()), fmt.Sprintf("127.0.0.1:%d", freePort())}
	s.simAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
	s.workerAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
	for range 3 {
		s.rtAddrs = append(s.rtAddrs, fmt.Sprintf("127.0.0.1:%d", freePort()))
	}
	if err := s.bringUp(ctx); err != nil {
		return s, err
	}
	return s, nil
}

func (s *stack) startPostgres() error {
	var err error
	if s.pgBin, err = findPGBin(); err != nil {
		return err
	}
	s.pgData = filepath.Join(s.dir, "pg")
	if err := os.MkdirAll(s.pgData, 0o700); err != nil {
		return err
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("the drill runs its own PostgreSQL as the postgres OS user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(s.pgData, uid, gid); err != nil {
		return err
	}
	s.logf("initdb %s (the drill's own cluster)", s.pgData)
	if err := s.asPostgres("initdb", "-D", s.pgData, "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8"); err != nil {
		return err
	}
	// A free port now may be taken a moment later (it is in the ephemeral
	// range): try a few.
	fixed := s.pgPort != 0
	for attempt := 0; ; attempt++ {
		if !fixed {
			s.pgPort = freePort()
		}
		err = s.pgStart()
		if err == nil {
			break
		}
		if fixed || attempt == 2 {
			return err
		}
	}
	s.dbURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/scrm?sslmode=disable", s.pgPort)
	return nil
}

func (s *stack) pgStart() error {
	// fsync off: the drill stops the server cleanly (a checkpoint), so it
	// changes nothing measured and spares the shared disk.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off", s.pgPort, s.pgData)
	return s.asPostgres("pg_ctl", "-D", s.pgData, "-l", filepath.Join(s.pgData, "server.log"), "-o", opts, "-w", "-t", "60", "start")
}

func (s *stack) pgStop() error {
	return s.asPostgres("pg_ctl", "-D", s.pgData, "-m", "fast", "-w", "-t", "60", "stop")
}

func (s *stack) createVhost() error {
	s.vhost = "scrm-drill-" + randHex(4)
	if err := s.rabbit.ctl("add_vhost", s.vhost); err != nil {
		return err
	}
	if err := s.rabbit.ctl("set_permissions", "-p", s.vhost, "guest", ".*", ".*", ".*"); err != nil {
		return err
	}
	s.amqpURL = fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/%s", s.rabbit.port, s.vhost)
	s.logf("RabbitMQ vhost %s", s.vhost)
	return nil
}

// closeAMQP force-closes every connection of the drill's vhost (only).
func (s *stack) closeAMQP() error {
	return s.rabbit.ctl("close_all_connections", "--vhost", s.vhost, "--limit", "100000", "drill: forced close")
}

// amqpConnections counts the open connections of the drill's vhost.
func (s *stack) amqpConnections() (int, error) {
	out, err := exec.Command("rabbitmqctl", "-q", "-n", s.rabbit.name, "list_connections", "-p", s.vhost, "name").Output()
	if err != nil {
		return 0, fmt.Errorf("rabbitmqctl list_connections: %w", err)
	}
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "name") {
			n++
		}
	}
	return n, nil
}

// scrapeSum adds up a counter over the running realtime pods' /metrics.
func (s *stack) scrapeSum(metric string) float64 {
	sum := 0.0
	for i, a := range s.rtAddrs {
		if !s.rt[i].running() {
			continue
		}
		resp, err := http.Get("http://" + a + "/metrics")
		if err != nil {
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, metric+" "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				sum += f
			}
		}
	}
	return sum
}

// scrapeWorker sums the series of metric on the worker's /metrics whose
// line contains match, and counts the temporal_* series it serves.
func (s *stack) scrapeWorker(metric, match string) (sum float64, temporalSeries int, err error) {
	resp, err := http.Get("http://" + s.workerAddr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "temporal_") {
			temporalSeries++
		}
		if strings.HasPrefix(l, metric+"{") && strings.Contains(l, match) {
			f, _ := strconv.ParseFloat(l[strings.LastIndex(l, " ")+1:], 64)
			sum += f
		}
	}
	return sum, temporalSeries, nil
}

func (s *stack) env(extra ...string) []string {
	return append([]string{
		"SCRM_DATABASE_URL=" + s.dbURL,
		"SCRM_AMQP_URL=" + s.amqpURL,
		"SCRM_TEMPORAL_ADDRESS=" + s.temporalAddr,
		"SCRM_TEMPORAL_UI_ADDR=127.0.0.1:" + strconv.Itoa(freePort()),
		"SCRM_JWT_SECRET=" + jwtSecret,
		"SCRM_WABA_APP_SECRET=" + appSecret,
		"SCRM_WABA_VERIFY_TOKEN=" + verifyToken,
		"SCRM_WABA_ACCESS_TOKEN=" + wabaToken,
		"SCRM_WABA_BASE_URL=http://" + s.simAddr,
		"SCRM_HTTP_ADDR=" + s.apiAddr,
		"SCRM_INTERNAL_ADDR=" + s.internalAddrs[0],
		"SCRM_WABASIM_ADDR=" + s.simAddr,
		"SCRM_LOG_LEVEL=warn",
		"SCRM_SHUTDOWN_TIMEOUT=5s",
		"SCRM_DATA_DIR=" + filepath.Join(s.dir, "dev"),
	}, extra...)
}

func (s *stack) newProc(name string, env []string, args ...string) *proc {
	return &proc{name: name, args: append([]string{s.bin}, args...), env: env, log: filepath.Join(s.dir, name+".log")}
}

func (s *stack) bringUp(ctx context.Context) error {
	s.logf("migrating and creating agents")
	if err := run("env", append(s.env(), s.bin, "migrate", "--create-db")...); err != nil {
		return err
	}
	if s.prodTemporal != nil {
		argv := s.prodTemporal.Command()
		s.temporal = &proc{name: "temporal", args: argv, log: filepath.Join(s.dir, "temporal.log")}
	} else {
		s.temporal = s.newProc("temporal", s.env(), "dev", "temporal")
	}
	if err := s.startTemporal(ctx); err != nil {
		return err
	}
	s.sim = s.newProc("wabasim", s.env(), "wabasim", "--addr", s.simAddr, "--webhook-url", "http://"+s.apiAddr+"/webhooks/whatsapp",
		"--sent-delay", "50ms", "--delivered-delay", "200ms", "--read-delay", "1s", "--template-review-delay", "100ms", "--throughput", "80")
	s.api = s.newProc("api", s.env(), "api")
	s.api2 = s.newProc("api-2", s.env("SCRM_HTTP_ADDR="+s.api2Addr, "SCRM_INTERNAL_ADDR="+s.internalAddrs[1]), "api")
	s.work = s.newProc("worker", s.env("SCRM_HTTP_ADDR="+s.workerAddr), "worker")
	s.work2 = s.newProc("worker-2", s.env("SCRM_HTTP_ADDR="+s.worker2Addr), "worker")
	for i, a := range s.rtAddrs {
		s.rt = append(s.rt, s.newProc(fmt.Sprintf("realtime-%d", i), s.env("SCRM_REALTIME_ADDR="+a), "realtime"))
	}
	for _, p := range append([]*proc{s.sim, s.api, s.api2, s.work, s.work2}, s.rt...) {
		if err := p.start(); err != nil {
			return err
		}
	}
	for i, a := range s.internalAddrs {
		if err := waitHTTP(ctx, "http://"+a+"/readyz", 90*time.Second); err != nil {
			return fmt.Errorf("api %d: %w (log %s)", i, err, s.api.log)
		}
	}
	for i, a := range s.rtAddrs {
		if err := waitHTTP(ctx, "http://"+a+"/readyz", 60*time.Second); err != nil {
			return fmt.Errorf("realtime-%d: %w (log %s)", i, err, s.rt[i].log)
		}
	}
	return waitHTTP(ctx, "http://"+s.simAddr+"/sim/counters", 30*time.Second)
}

// heal restarts every role process that a scenario killed.
func (s *stack) heal(ctx context.Context) error {
	for i, p := range s.rt {
		if !p.running() {
			if err := p.start(); err != nil {
				return err
			}
			if err := waitHTTP(ctx, "http://"+s.rtAddrs[i]+"/readyz", 60*time.Second); err != nil {
				return err
			}
		}
	}
	if !s.temporal.running() {
		if err := s.startTemporal(ctx); err != nil {
			return err
		}
	}
	for _, p := range []*proc{s.api, s.api2, s.work, s.work2, s.sim} {
		if !p.running() {
			if err := p.start(); err != nil {
				return err
			}
		}
	}
	for _, a := range s.internalAddrs {
		if err := waitHTTP(ctx, "http://"+a+"/readyz", 60*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// startTemporal starts the Temporal server and waits until it serves (the
// production server: its namespace and the project's search attributes
// registered).
func (s *stack) startTemporal(ctx context.Context) error {
	if err := s.temporal.start(); err != nil {
		return err
	}
	if s.prodTemporal != nil {
		if err := s.prodTemporal.Ready(ctx, 3*time.Minute); err != nil {
			return fmt.Errorf("temporal: %w (log %s)", err, s.temporal.log)
		}
		return nil
	}
	if err := waitTCP(ctx, s.temporalAddr, 120*time.Second); err != nil {
		return fmt.Errorf("temporal: %w (log %s)", err, s.temporal.log)
	}
	return nil
}

// teardown stops everything the drill started and removes its state.
func (s *stack) teardown(keep bool) {
	var all []*proc
	all = append(all, s.rt...)
	for _, p := range []*proc{s.api, s.api2, s.work, s.work2, s.sim, s.temporal} {
		if p != nil {
			all = append(all, p)
		}
	}
	for _, p := range all {
		p.signal(syscall.SIGTERM, 10*time.Second)
	}
	if s.pgData != "" {
		if err := s.pgStop(); err != nil {
			s.logf("pg stop: %v", err)
		}
	}
	if s.rabbit != nil {
		if err := s.rabbit.stop(); err != nil {
			s.logf("rabbitmq stop: %v", err)
		}
	}
	if keep {
		s.logf("kept %s", s.dir)
		return
	}
	_ = os.RemoveAll(s.dir)
}

func waitTCP(ctx context.Context, addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not listening after %s", addr, d)
}

func waitHTTP(ctx context.Context, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s (%s)", url, d, last)
}
