package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/worker/testenv"
)

// tokenAuth maps tokens to principals; revoke makes a token fail; down
// makes every check fail like an unreachable database.
type tokenAuth struct {
	mu   sync.Mutex
	m    map[string]models.Principal
	down bool
}

func (a *tokenAuth) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func newTokenAuth() *tokenAuth { return &tokenAuth{m: map[string]models.Principal{}} }

// add maps token to p. The test events are message and presence events, so
// p reads the inbox and agents (unless the test sets its own permissions):
// these tests are about transport and data scope; the permission gate has
// its own (TestPermissionGate).
func (a *tokenAuth) add(token string, p models.Principal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.Permissions == nil {
		p.Permissions = []models.Permission{models.PermInboxRead, models.PermAgentsRead}
	}
	a.m[token] = p
}

func (a *tokenAuth) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, token)
}

func (a *tokenAuth) Authenticate(_ context.Context, token string) (models.Principal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		return models.Principal{}, errors.New("authenticate: failed to connect to PostgreSQL: connection refused")
	}
	p, ok := a.m[token]
	if !ok {
		return models.Principal{}, models.Errorf(models.EUnauthorized, "invalid token")
	}
	return p, nil
}

// memPresence records presence writes.
type memPresence struct {
	mu  sync.Mutex
	now map[int64]string
	log []string
}

func newMemPresence() *memPresence { return &memPresence{now: map[int64]string{}} }

func (m *memPresence) SetPresence(_ context.Context, agentID int64, presence string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now[agentID] = presence
	m.log = append(m.log, fmt.Sprintf("%d:%s", agentID, presence))
	return nil
}

func (m *memPresence) get(agentID int64) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now[agentID]
}

// pod is one in-process realtime server.
type pod struct {
	name     string
	srv      *realtime.Server
	consumer *realtime.AMQPConsumer
	pub      *realtime.AMQPPublisher
	reg      *prometheus.Registry
	addr     string
	cancel   context.CancelFunc
	done     chan error
}

type env struct {
	t     *testing.T
	db    *testenv.DB
	amqp  *testenv.AMQP
	auth  *tokenAuth
	pres  *memPresence
	store models.EventStore
	pub   *realtime.AMQPPublisher // the "webhook" producer
	tag   string                  // unique prefix of this test's AMQP connection names
	opts  realtime.Options
	// minBackoff of the pods' consumers: long enough in TestThreePods to
	// publish while they are certainly unsubscribed.
	minBackoff time.Duration
}

func newEnv(t *testing.T, opts realtime.Options) *env {
	db := testenv.NewDB(t)
	a := testenv.NewAMQP(t)
	tag := testenv.UniqueName("t")
	e := &env{t: t, db: db, amqp: a, auth: newTokenAuth(), pres: newMemPresence(),
		store: models.EventStore{DB: db.Gorm}, tag: tag, opts: opts}
	e.pub = realtime.NewAMQPPublisher(a.URL, a.Exchange, tag+"-webhook")
	t.Cleanup(func() { _ = e.pub.Close() })
	return e
}

func (e *env) startPod(name string) *pod {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	p := &pod{name: name, reg: prometheus.NewRegistry(), addr: ln.Addr().String(), done: make(chan error, 1)}
	p.consumer = &realtime.AMQPConsumer{URL: e.amqp.URL, Exchange: e.amqp.Exchange, Name: e.tag + "-" + name,
		Logger: testLogger(e.t, name), MinBackoff: e.minBackoff, MaxBackoff: 2 * time.Second, Prefetch: 1000}
	p.pub = realtime.NewAMQPPublisher(e.amqp.URL, e.amqp.Exchange, e.tag+"-"+name)
	p.srv = realtime.New(realtime.Deps{
		Logger: testLogger(e.t, name), Registerer: p.reg, ShutdownTimeout: 10 * time.Second,
		Auth: e.auth, Events: e.store, Feed: p.consumer, Publisher: p.pub, Presence: e.pres, Options: e.opts,
	})
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- p.srv.Serve(ctx, ln) }()
	e.t.Cleanup(func() { p.stop(e.t) })
	eventually(e.t, 10*time.Second, "pod "+name+" subscribed", p.consumer.Connected)
	return p
}

func (p *pod) stop(t *testing.T) {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("pod %s: %v", p.name, err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("pod %s did not stop", p.name)
	}
	_ = p.pub.Close()
}

func testLogger(_ *testing.T, name string) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("pod", name)
}

// emit appends an event in a transaction (as a producer does), then
// publishes it after commit.
func (e *env) emit(typ string, aud models.Audience, data any) models.Event {
	e.t.Helper()
	ev := e.append(typ, aud, data)
	if err := e.pub.Publish(context.Background(), ev); err != nil {
		e.t.Fatalf("publish: %v", err)
	}
	return ev
}

func (e *env) append(typ string, aud models.Audience, data any) models.Event {
	e.t.Helper()
	ev, err := models.NewEvent(typ, aud, data)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.db.Gorm.Transaction(func(tx *gorm.DB) error { return e.store.Append(context.Background(), tx, &ev) })
	if err != nil {
		e.t.Fatalf("append: %v", err)
	}
	return ev
}

// wsClient is a test websocket that records everything it receives.
type wsClient struct {
	t    *testing.T
	name string
	conn *websocket.Conn

	mu        sync.Mutex
	events    map[int64]string // id -> type
	order     []int64
	controls  []map[string]any
	maxID     int64
	closeCode int
	closeText string
	closed    chan struct{}
}

// dialWS opens a socket and, when token is set, authenticates with it in
// the first message (the gateway takes no token in the URL).
func dialWS(t *testing.T, name, addr, token string, cursor int64) (*wsClient, *http.Response, error) {
	q := url.Values{}
	if cursor >= 0 {
		q.Set("cursor", fmt.Sprint(cursor))
	}
	u := url.URL{Scheme: "ws", Host: addr, Path: "/ws", RawQuery: q.Encode()}
	conn, resp, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		return nil, resp, err
	}
	if token != "" {
		if err := conn.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
			_ = conn.Close()
			return nil, resp, err
		}
	}
	c := &wsClient{t: t, name: name, conn: conn, events: map[int64]string{}, closed: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { _ = conn.Close() })
	return c, resp, nil
}

func mustDial(t *testing.T, name, addr, token string, cursor int64) *wsClient {
	t.Helper()
	c, _, err := dialWS(t, name, addr, token, cursor)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	c.waitControl("welcome", 5*time.Second)
	return c
}

func (c *wsClient) read() {
	defer close(c.closed)
	for {
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			c.mu.Lock()
			if errors.As(err, &ce) {
				c.closeCode, c.closeText = ce.Code, ce.Text
			} else {
				c.closeCode = -1
			}
			c.mu.Unlock()
			return
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Errorf("%s: bad frame %s", c.name, raw)
			continue
		}
		c.mu.Lock()
		if id, ok := m["id"].(float64); ok {
			if _, has := m["audience"]; has {
				c.t.Errorf("%s: audience leaked to client: %s", c.name, raw)
			}
			c.events[int64(id)] = m["type"].(string)
			c.order = append(c.order, int64(id))
			c.maxID = max(c.maxID, int64(id))
		} else {
			c.controls = append(c.controls, m)
		}
		c.mu.Unlock()
	}
}

func (c *wsClient) has(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.events[id]
	return ok
}

func (c *wsClient) cursor() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxID
}

func (c *wsClient) control(typ string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.controls {
		if m["type"] == typ {
			return m
		}
	}
	return nil
}

func (c *wsClient) waitControl(typ string, d time.Duration) map[string]any {
	c.t.Helper()
	var m map[string]any
	eventually(c.t, d, c.name+" gets "+typ, func() bool { m = c.control(typ); return m != nil })
	return m
}

func (c *wsClient) waitEvents(d time.Duration, ids ...int64) {
	c.t.Helper()
	eventually(c.t, d, fmt.Sprintf("%s receives %v", c.name, ids), func() bool {
		for _, id := range ids {
			if !c.has(id) {
				return false
			}
		}
		return true
	})
}

func (c *wsClient) waitClosed(d time.Duration) (int, string) {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(d):
		c.t.Fatalf("%s: not disconnected within %s", c.name, d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closeText
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queueExists asks the broker passively (a failed passive declare closes
// the channel, so each check uses its own).
func queueExists(t *testing.T, a *testenv.AMQP, name string) bool {
	ch, err := a.Conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	_, err = ch.QueueDeclarePassive(name, false, true, true, false, nil)
	var ae *amqp.Error
	switch {
	case err == nil:
		return true
	case errors.As(err, &ae) && ae.Code == amqp.NotFound:
		return false
	case errors.As(err, &ae) && ae.Code == amqp.ResourceLocked:
		return true // exclusive to the pod's connection: it exists
	}
	t.Fatalf("passive declare %s: %v", name, err)
	return false
}

// closeConnections force-closes this test's broker connections (and only
// them: other developers share the broker) with rabbitmqctl.
func closeConnections(t *testing.T, tag string) int {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", "-q", "list_connections", "pid", "client_properties").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_connections: %v: %s", err, out)
	}
	var pids []string
	for _, line := range strings.Split(string(out), "\n") {
		pid, props, ok := strings.Cut(line, "\t")
		if ok && strings.Contains(props, `"connection_name","scrm-`) && strings.Contains(props, tag) {
			pids = append(pids, pid)
		}
	}
	// In parallel: each rabbitmqctl call takes about half a second.
	var wg sync.WaitGroup
	for _, pid := range pids {
		wg.Go(func() {
			if out, err := exec.Command("rabbitmqctl", "-q", "close_connection", pid, "test").CombinedOutput(); err != nil {
				t.Errorf("rabbitmqctl close_connection %s: %v: %s", pid, err, out)
			}
		})
	}
	wg.Wait()
	return len(pids)
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.Counter != nil {
				sum += m.Counter.GetValue()
			}
			if m.Gauge != nil {
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}
