package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/waba/sim"
	"github.com/wabascrm/scrm/worker/testenv"
	"github.com/wabascrm/scrm/workflows"
)

const (
	e2eSecret    = "e2e-app-secret"
	e2eVerify    = "e2e-verify"
	e2eWABAToken = "e2e-waba-token"
	e2eJWT       = "e2e-jwt-secret-0123456789abcdef0123"
	e2ePNID      = "106540352242922"
	e2eCustomer  = "6281234567890"
)

// stack is the whole product in one test process on real PostgreSQL,
// RabbitMQ and Temporal, with the WhatsApp simulator as the only stand-in.
// It runs the production role structs (APIRole, WorkerRole, RealtimeRole,
// WABASimRole) on one set of connections, as scrm dev does; only cfg and
// opts say what is different in a test.
type stack struct {
	t      testing.TB
	db     *testenv.DB
	apiURL string
	rtURL  string
	sim    *sim.Sim
	simURL string
	// temporal is the roles' own client (the test's namespace).
	temporal           client.Client
	window             time.Duration
	statusLoss         float64 // share of status webhooks the simulator drops
	productionSettings bool    // campaigns with production page size and drain length
	// cfg and opts are what every role of the stack gets; a test may change
	// cfg's worker settings (e.g. SenderOnPause, SenderWarmupSchedule)
	// before restartWorker.
	cfg   config.Config
	opts  Options
	conns *infra
	// ctx ends with the test; roles record an unexpected exit in died.
	ctx        context.Context
	died       chan error
	stopWorker context.CancelFunc
	workerDone chan struct{}
	workerErr  error // what the last worker run returned (read after workerDone)
}

// Case timings in the end-to-end stack: short enough to watch expiry.
var e2eCaseConfig = workflows.CaseConfig{AssignmentExpiry: 4 * time.Second, FollowUpDue: time.Hour, RetryAssignEvery: time.Second}

// run starts a role; an exit before the stack stops fails the test at cleanup.
func (st *stack) run(wg *sync.WaitGroup, name string, run func(context.Context) error) {
	wg.Go(func() {
		if err := run(st.ctx); err != nil && st.ctx.Err() == nil {
			st.roleDied(fmt.Errorf("%s: %w", name, err))
		}
	})
}

// roleDied keeps the first few unexpected exits for the cleanup to report
// (a test goroutine must not call t.Errorf after the test ended).
func (st *stack) roleDied(err error) {
	select {
	case st.died <- err:
	default:
	}
}

// runWorker starts the worker role; restartWorker stops it (like a crash:
// in-flight activities are abandoned) and starts it again.
func (st *stack) runWorker() {
	ctx, cancel := context.WithCancel(st.ctx)
	done := make(chan struct{})
	w := WorkerRole{Cfg: st.cfg, Opts: st.opts, Conns: st.conns}
	go func() {
		defer close(done)
		err := w.Run(ctx)
		if err != nil && ctx.Err() == nil {
			st.roleDied(fmt.Errorf("worker: %w", err))
		}
		st.workerErr = err
	}()
	st.stopWorker, st.workerDone = cancel, done
}

func (st *stack) restartWorker() {
	st.stopWorker()
	<-st.workerDone
	st.runWorker()
}

// listenLoopback binds 127.0.0.1:0 so the address is known before the role
// serves on it (the api, the gateway and the simulator point at each other).
func listenLoopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// e2eConfig is the configuration every role of the stack runs with: the
// defaults, pointed at the test's database, exchange, Temporal namespace and
// simulator, with the shorter timings the tests watch.
func (st *stack) e2eConfig(dbURL string, rmq *testenv.AMQP, temporalAddr, namespace string, apiLn, rtLn net.Listener) config.Config {
	t := st.t
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr = apiLn.Addr().String()
	cfg.RealtimeAddr = rtLn.Addr().String()
	cfg.InternalAddr = "127.0.0.1:0" // the tests' stacks run side by side
	cfg.PublicRealtimeURL = st.rtURL + "/ws"
	cfg.DatabaseURL = dbURL
	cfg.AMQPURL, cfg.AMQPExchange = rmq.URL, rmq.Exchange
	cfg.TemporalAddress, cfg.TemporalNamespace, cfg.TemporalTaskQueue = temporalAddr, namespace, "e2e-inbox"
	cfg.WABABaseURL, cfg.WABAAPIVersion, cfg.WABAAccessToken = st.simURL, "v23.0", e2eWABAToken
	cfg.WABAAppID = sim.DefaultAppID
	cfg.WABAAppSecret, cfg.WABAVerifyToken, cfg.JWTSecret = e2eSecret, e2eVerify, e2eJWT
	cfg.PasswordHashCost = bcrypt.MinCost // the same hasher in the roles, only cheaper
	cfg.WindowLength, cfg.WindowClosingWarning = st.window, st.window/3
	cfg.ConversationAutoResolve = 0 // the tests watch a conversation's run end with its window
	cfg.SenderOnPause = "wait"
	cfg.IntegrationsAllowPrivateTargets = true // the tests' receivers listen on 127.0.0.1
	cfg.SenderWarmupSchedule = ""              // the tests' numbers send at full rate from day one
	cfg.SenderRecheck = 2 * time.Second
	if st.productionSettings {
		cfg.SenderRecheck = time.Minute // the production default
	}
	cfg.CampaignHolidays = ""
	cfg.ShutdownTimeout = time.Second
	cfg.MediaDir = t.TempDir() // the files of this stack's messages
	// The tests' database pools hold 4 connections on a loaded 2-core
	// machine: with production's 100 ms admission wait the receiver sheds
	// status and quality webhooks, and the simulator's redelivery backoff
	// then outlasts assertions such as "paused within 2 s of the flag".
	// Shedding itself is proven by TestWebhookShedsAboveCapacity.
	cfg.WebhookAdmitWait = 3 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatalf("e2e config: %v", err)
	}
	if err := cfg.RequireSecrets(); err != nil {
		t.Fatalf("e2e config: %v", err)
	}
	return cfg
}

// stackOption changes a stack's settings before its roles start.
type stackOption func(*stack)

// withCaseConfig runs the CaseWorkflows with c instead of e2eCaseConfig
// (whose 4 s expiry and 1 s pool retries keep every case busy: a load
// that grows with the number of cases).
func withCaseConfig(c workflows.CaseConfig) stackOption {
	return func(st *stack) { st.opts.Tuning.Cases = c }
}

func startStack(t testing.TB, window time.Duration, options ...stackOption) *stack {
	t.Helper()
	// Errors only: a failing run shows why, a passing one stays quiet.
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	st := &stack{t: t, db: testenv.NewDB(t), window: window, died: make(chan error, 16)}
	rmq := testenv.NewAMQP(t)
	ts := sharedTemporal(t)
	namespace := ts.Namespace(t)

	apiLn, rtLn, simLn := listenLoopback(t), listenLoopback(t), listenLoopback(t)
	st.apiURL = "http://" + apiLn.Addr().String()
	// The realtime address is known before the api starts: the web UI asks
	// the api for it.
	st.rtURL = "ws://" + rtLn.Addr().String()
	st.simURL = "http://" + simLn.Addr().String()
	// Benchmarks may drop the simulator's status webhooks
	// (SCRM_SIM_STATUS_LOSS=1) to measure dispatch alone.
	st.statusLoss, _ = strconv.ParseFloat(os.Getenv("SCRM_SIM_STATUS_LOSS"), 64)
	// Benchmarks may run campaigns with the production settings (pages of
	// 500, 30 s drains) instead of the tests' small ones.
	st.productionSettings = os.Getenv("SCRM_BENCH_PRODUCTION_SETTINGS") == "1"
	st.cfg = st.e2eConfig(st.db.URL, rmq, ts.HostPort(), namespace, apiLn, rtLn)
	st.opts = Options{Logger: log, Tuning: Tuning{Cases: e2eCaseConfig, CampaignPageSize: 200, SenderDrainFor: 10 * time.Second,
		WindowSignalEvery: 500 * time.Millisecond}}
	if st.productionSettings {
		st.opts.Tuning.CampaignPageSize, st.opts.Tuning.SenderDrainFor = 0, 0 // the workflows' defaults: 500, 30 s
	}
	for _, o := range options {
		o(st)
	}

	simRole, err := NewWABASim(st.cfg, st.opts, sim.Options{Seed: 7, Loss: st.statusLoss,
		Numbers:   []sim.Number{{PhoneNumberID: e2ePNID, Display: "+62 21 5000 0001", WABAID: "WABA-E2E", ThroughputMPS: 80, LimitTier: "TIER_2K"}},
		SentDelay: 50 * time.Millisecond, DeliveredDelay: 50 * time.Millisecond, ReadDelay: 50 * time.Millisecond,
		TemplateReviewDelay: 100 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	simRole.Listener = simLn
	st.sim = simRole.Sim

	ctx, cancel := context.WithCancel(context.Background())
	st.ctx = ctx
	if st.conns, err = connect(ctx, st.cfg, log, needsAll()); err != nil {
		cancel()
		t.Fatal(err)
	}
	st.temporal = st.conns.temporal
	var wg sync.WaitGroup
	// The simulator stops first: its status webhooks would otherwise hit an
	// api that is shutting down and fill a failure's log with 503s.
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan struct{})
	go func() {
		defer close(simDone)
		if err := simRole.Run(simCtx); err != nil && simCtx.Err() == nil {
			st.roleDied(fmt.Errorf("wabasim: %w", err))
		}
	}()
	st.run(&wg, "api", APIRole{Cfg: st.cfg, Opts: st.opts, Listener: apiLn, Conns: st.conns}.Run)
	st.run(&wg, "realtime", RealtimeRole{Cfg: st.cfg, Opts: st.opts, Listener: rtLn, Conns: st.conns}.Run)
	st.runWorker()
	// Runs before the database is dropped (cleanups run last first).
	t.Cleanup(func() {
		stopSim()
		<-simDone
		st.stopWorker()
		<-st.workerDone
		cancel()
		wg.Wait()
		st.endWorkflows()
		st.conns.close()
		close(st.died)
		for err := range st.died {
			t.Errorf("role stopped before the test ended: %v", err)
		}
	})
	return st
}

// endWorkflows terminates the workflows a test leaves running (a number's
// dispatcher, case timers): the Temporal server is shared by the whole test
// binary and would otherwise keep firing their timers, for no worker, while
// the later tests run.
func (st *stack) endWorkflows() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var running []*commonpb.WorkflowExecution
	var token []byte
	for {
		resp, err := st.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "ExecutionStatus = 'Running'", PageSize: 1000, NextPageToken: token})
		if err != nil {
			st.t.Logf("list running workflows: %v", err)
			return
		}
		for _, e := range resp.GetExecutions() {
			running = append(running, e.GetExecution())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	for _, e := range running {
		_ = st.temporal.TerminateWorkflow(ctx, e.GetWorkflowId(), e.GetRunId(), "test ended")
	}
	st.t.Logf("terminated %d workflows left running", len(running))
}

// call makes an API request and decodes the answer into out (when not nil).
func (st *stack) call(method, path, token string, body any, out any, hdr ...string) int {
	st.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, st.apiURL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			st.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

func (st *stack) login(email, password string) string {
	st.t.Helper()
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if code := st.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out); code != 200 {
		st.t.Fatalf("login %s: %d", email, code)
	}
	return out.AccessToken
}

func (st *stack) simPost(path string, body any) {
	st.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(st.simURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		st.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		st.t.Fatalf("sim %s: %d %s", path, resp.StatusCode, raw)
	}
}

type wsEvent struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// socket collects an agent's websocket events.
type socket struct {
	mu     sync.Mutex
	events []wsEvent
	conn   *websocket.Conn
}

func (st *stack) connect(token string) *socket {
	st.t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(st.rtURL+"/ws", nil)
	if err != nil {
		st.t.Fatalf("ws: %v %v", err, resp)
	}
	if err := conn.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		st.t.Fatalf("ws auth: %v", err)
	}
	s := &socket{conn: conn}
	st.t.Cleanup(func() { _ = conn.Close() })
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var e wsEvent
			if json.Unmarshal(raw, &e) == nil {
				s.mu.Lock()
				s.events = append(s.events, e)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// waitFor returns the first event matching pred within d.
func (s *socket) waitFor(t testing.TB, d time.Duration, what string, pred func(wsEvent) bool) wsEvent {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, e := range s.events {
			if pred(e) {
				s.mu.Unlock()
				return e
			}
		}
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	var seen []string
	for _, e := range s.events {
		seen = append(seen, e.Type+" "+string(e.Data))
	}
	s.mu.Unlock()
	if len(seen) > 12 {
		seen = seen[len(seen)-12:]
	}
	t.Fatalf("no %s event within %s; last events:\n%s", what, d, strings.Join(seen, "\n"))
	return wsEvent{}
}

func (s *socket) count(pred func(wsEvent) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if pred(e) {
			n++
		}
	}
	return n
}

// countAfter counts events matching pred after the first one matching first.
func (s *socket) countAfter(first, pred func(wsEvent) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, seen := 0, false
	for _, e := range s.events {
		if seen && pred(e) {
			n++
		}
		if !seen && first(e) {
			seen = true
		}
	}
	return n
}

func eventful(typ string, fields map[string]any) func(wsEvent) bool {
	return func(e wsEvent) bool {
		if e.Type != typ {
			return false
		}
		var m map[string]any
		if json.Unmarshal(e.Data, &m) != nil {
			return false
		}
		for k, v := range fields {
			if fmt.Sprint(m[k]) != fmt.Sprint(v) {
				return false
			}
		}
		return true
	}
}

func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The end-to-end path: a signed webhook in, routed to the online
// agent of the number's team, on that agent's websocket; the agent's reply
// reaches the simulator exactly once with the right context; statuses flow
// back; after the window a free-form reply is refused with 409 and a
// template succeeds; a double POST sends once.
func TestInboxEndToEnd(t *testing.T) {
	const window = 6 * time.Second
	st := startStack(t, window)
	ctx := context.Background()
	db := st.db.Gorm

	seed := st.seedInbox()
	admin, ayu, budi, ayuID := seed.admin, seed.ayu, seed.budi, seed.ayuID
	sender := struct{ ID int64 }{seed.senderID}

	// Ayu is online (her websocket), Budi is not connected.
	ayuWS := st.connect(ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		db.Raw(`SELECT presence FROM agents WHERE id = ?`, ayuID).Scan(&p)
		return p == "online"
	})

	// 1. The customer writes (a signed webhook from the simulator).
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, saya mau tanya tagihan 😊",
		"name": "Siti Nurhaliza", "phoneNumberId": e2ePNID})
	assigned := ayuWS.waitFor(t, 15*time.Second, "conversation assigned to ayu", eventful(models.EventConversationUpdated,
		map[string]any{"change": "assigned", "assigneeAgentId": ayuID}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)

	var list inbox.InboxPage
	if code := st.call("GET", "/api/v1/conversations?view=mine", ayu, nil, &list); code != 200 || len(list.Items) != 1 || list.Items[0].ID != conv.ID || !list.Items[0].WindowOpen {
		t.Fatalf("ayu's inbox: %d %+v", code, list)
	}
	if list.Items[0].LastPreview != "Halo, saya mau tanya tagihan 😊" {
		t.Fatalf("preview %q", list.Items[0].LastPreview)
	}
	if list.Items[0].ContactName != "Siti Nurhaliza" {
		t.Fatalf("contact name %q", list.Items[0].ContactName)
	}
	var budiList inbox.InboxPage
	if st.call("GET", "/api/v1/conversations", budi, nil, &budiList); len(budiList.Items) != 0 {
		t.Fatalf("budi must not see ayu's conversation: %+v", budiList)
	}
	var msgs inbox.MessagesPage
	st.call("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu, nil, &msgs)
	// The customer's message, and the thread line of its routing to Ayu (#16:
	// every assignment change is a line in the thread).
	if len(msgs.Items) != 2 || msgs.Items[1].Direction != "in" || msgs.Items[1].WAMID == nil ||
		msgs.Items[0].Direction != models.DirNote || !strings.Contains(msgs.Items[0].Body, "Ayu Lestari") {
		t.Fatalf("messages %+v", msgs)
	}
	inbound := msgs.Items[1]

	// More customer messages inside the window cost Temporal nothing.
	// Let the workflow settle after routing (its timer set) before counting.
	histBefore := historyLen(t, st, conv.ID, sender.ID)
	for stable := 0; stable < 5; {
		time.Sleep(100 * time.Millisecond)
		if n := historyLen(t, st, conv.ID, sender.ID); n == histBefore {
			stable++
		} else {
			histBefore, stable = n, 0
		}
	}
	for i := range 5 {
		st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": fmt.Sprintf("pesan %d", i), "phoneNumberId": e2ePNID})
	}
	ayuWS.waitFor(t, 10*time.Second, "5th follow-up message", eventful(models.EventMessageCreated, map[string]any{"body": "pesan 4"}))
	if after := historyLen(t, st, conv.ID, sender.ID); after != histBefore {
		t.Fatalf("inbound messages inside the window added %d history events", after-histBefore)
	}

	// 2. Ayu replies to the first message; the POST is retried with the same key.
	reply := map[string]any{"type": "text", "text": "Baik Bu Siti, saya cek dulu ya.", "replyTo": inbound.ID}
	var sent1, sent2 models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu, reply, &sent1, "Idempotency-Key", "reply-1"); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu, reply, &sent2, "Idempotency-Key", "reply-1"); code != 200 || sent2.ID != sent1.ID {
		t.Fatalf("retried reply: %d %d vs %d", code, sent2.ID, sent1.ID)
	}
	ayuWS.waitFor(t, 15*time.Second, "reply read", eventful(models.EventMessageStatus, map[string]any{"id": sent1.ID, "status": "read"}))
	textSends := 0
	for _, e := range st.sim.Outbox() {
		if e.Type == "text" {
			textSends++
			// Read the raw body, not through our own types: the reply must be
			// threaded with Meta's key, context.message_id.
			var body struct {
				Context map[string]string `json:"context"`
				Text    struct {
					Body string `json:"body"`
				} `json:"text"`
			}
			_ = json.Unmarshal(e.Body, &body)
			if e.To != e2eCustomer || len(body.Context) != 1 || body.Context["message_id"] != *inbound.WAMID || e.ReplyTo != *inbound.WAMID ||
				body.Text.Body != reply["text"] || e.BizOpaque != strconv.FormatInt(sent1.ID, 10) {
				t.Fatalf("simulator got %+v / %+v", e, body)
			}
		}
	}
	if textSends != 1 {
		t.Fatalf("simulator received %d texts, want exactly 1", textSends)
	}
	var status string
	db.Raw(`SELECT status FROM messages WHERE id = ?`, sent1.ID).Scan(&status)
	if status != "read" {
		t.Fatalf("stored status %s", status)
	}

	// Media: upload to the conversation's number, then send by id.
	var up struct {
		MediaID string `json:"mediaId"`
	}
	if code := st.upload(fmt.Sprintf("/api/v1/conversations/%d/media", conv.ID), ayu, "image", "kwitansi.png", "image/png", pngBytes, &up); code != 201 || up.MediaID == "" {
		t.Fatalf("upload: %d %+v", code, up)
	}
	var img models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu,
		map[string]any{"type": "image", "mediaId": up.MediaID, "caption": "Bukti bayar"}, &img, "Idempotency-Key", "img-1"); code != 202 {
		t.Fatalf("image send: %d", code)
	}
	waitUntil(t, 10*time.Second, "image at the simulator", func() bool {
		for _, e := range st.sim.Outbox() {
			if e.Type == "image" && e.BizOpaque == strconv.FormatInt(img.ID, 10) && strings.Contains(string(e.Body), up.MediaID) {
				return true
			}
		}
		return false
	})

	// 3. An approved template, created and reviewed through the product.
	var tpl struct{ ID int64 }
	comps := []map[string]any{{"type": "BODY", "text": "Halo {{1}}, tagihan Anda jatuh tempo. Balas pesan ini untuk bantuan.",
		"example": map[string]any{"body_text": [][]string{{"Siti"}}}}}
	if code := st.call("POST", "/api/v1/templates", admin, map[string]any{"name": "pengingat_tagihan", "language": "id", "category": "UTILITY",
		"components": comps, "wabaId": "WABA-E2E"}, &tpl); code != 201 {
		t.Fatalf("create template: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/templates/%d/submit", tpl.ID), admin, nil, nil); code != 200 {
		t.Fatalf("submit template: %d", code)
	}
	waitUntil(t, 10*time.Second, "template approved by webhook", func() bool {
		var s string
		db.Raw(`SELECT status FROM templates WHERE id = ?`, tpl.ID).Scan(&s)
		return s == "APPROVED"
	})

	// 4. After the window (shortened for the test) free-form is refused
	// before anything is sent, and the template goes out.
	ayuWS.waitFor(t, window+10*time.Second, "window closed", eventful(models.EventConversationUpdated, map[string]any{"change": "window", "window": "closed"}))
	if ayuWS.count(eventful(models.EventConversationUpdated, map[string]any{"change": "window", "window": "closing"})) != 1 {
		t.Fatal("want exactly one 'window closing' event")
	}
	// The first run (routing, sends, window timers) ends with the window.
	convWF := workflows.ConversationWorkflowID(sender.ID, contactOf(t, st, conv.ID))
	if err := st.temporal.GetWorkflow(ctx, convWF, "").Get(ctx, nil); err != nil {
		t.Fatalf("first conversation run: %v", err)
	}
	saveHistory(t, st, convWF, "conversation_v1.json")
	outboxBefore := len(st.sim.Outbox())
	var refused api.ErrorBody
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu, map[string]any{"type": "text", "text": "masih di sana?"}, &refused); code != 409 {
		t.Fatalf("free-form after the window: %d", code)
	}
	if refused.Error.Code != "window_closed" || refused.Error.Details["closedAt"] == nil || !strings.Contains(fmt.Sprint(refused.Error.Details["templates"]), "pengingat_tagihan") {
		t.Fatalf("409 body %+v", refused.Error)
	}
	var missing api.ErrorBody
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu, map[string]any{"type": "template", "template": "tidak_ada"}, &missing); code != 422 {
		t.Fatalf("unknown template: %d %+v", code, missing)
	}
	var tsent models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), ayu,
		map[string]any{"type": "template", "template": "pengingat_tagihan", "language": "id", "variables": map[string]string{"body.1": "Bu Siti"}}, &tsent, "Idempotency-Key", "tpl-1"); code != 202 {
		t.Fatalf("template send: %d", code)
	}
	// Delivered and read arrive close together; "delivered" may be skipped
	// when "read" is applied first (statuses only move forward).
	ayuWS.waitFor(t, 15*time.Second, "template delivered or read", func(e wsEvent) bool {
		return eventful(models.EventMessageStatus, map[string]any{"id": tsent.ID, "status": "delivered"})(e) ||
			eventful(models.EventMessageStatus, map[string]any{"id": tsent.ID, "status": "read"})(e)
	})
	if n := ayuWS.countAfter(eventful(models.EventConversationUpdated, map[string]any{"change": "window", "window": "closed"}),
		eventful(models.EventConversationUpdated, map[string]any{"change": "window", "window": "opened"})); n != 0 {
		t.Fatalf("a template after the window must not announce an opened window: %d opened events", n)
	}
	after := st.sim.Outbox()[outboxBefore:]
	if len(after) != 1 || after[0].Type != "template" || after[0].ErrorCode != 0 {
		t.Fatalf("after the window the simulator got %+v", after)
	}

	// 5. Ayu reaches a new customer first: the number comes from her sender
	// allocation, the first message must be a template.
	var noSender api.ErrorBody
	var newContact struct{ ID int64 }
	if code := st.call("POST", "/api/v1/contacts", ayu, map[string]any{"phone": "+62 813 5555 0001", "name": "Pak Hendra"}, &newContact); code != 201 {
		t.Fatalf("create contact as agent: %d", code)
	}
	if code := st.call("POST", "/api/v1/conversations", ayu, map[string]any{"contactId": newContact.ID}, &noSender); code != 422 || noSender.Error.Field != "sender" {
		t.Fatalf("without a sender of her own: %d %+v", code, noSender)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/senders/%d/allocations", sender.ID), admin, map[string]any{"agentId": ayuID, "role": "primary"}, nil); code != 201 {
		t.Fatalf("allocate to ayu: %d", code)
	}
	var started models.Conversation
	if code := st.call("POST", "/api/v1/conversations", ayu, map[string]any{"contactId": newContact.ID}, &started); code != 201 || started.SenderID != sender.ID {
		t.Fatalf("start conversation: %d %+v", code, started)
	}
	var blocked api.ErrorBody
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", started.ID), ayu, map[string]any{"type": "text", "text": "Halo"}, &blocked); code != 409 || blocked.Error.Code != "window_closed" {
		t.Fatalf("free-form first message: %d %+v", code, blocked)
	}
	var first models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", started.ID), ayu,
		map[string]any{"type": "template", "template": "pengingat_tagihan", "variables": map[string]string{"body.1": "Pak Hendra"}}, &first, "Idempotency-Key", "first-1"); code != 202 {
		t.Fatalf("first template: %d", code)
	}
	waitUntil(t, 10*time.Second, "first template at the simulator", func() bool {
		for _, e := range st.sim.Outbox() {
			if e.To == "6281355550001" && e.Type == "template" {
				return true
			}
		}
		return false
	})
}

func contactOf(t *testing.T, st *stack, convID int64) int64 {
	var id int64
	if err := st.db.Gorm.Raw(`SELECT contact_id FROM conversations WHERE id = ?`, convID).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// saveHistory writes a workflow's history to workflows/testdata when
// SCRM_UPDATE_HISTORIES=1, for the replay tests that guard in-flight
// workflows against non-deterministic changes.
func saveHistory(t *testing.T, st *stack, workflowID, file string) {
	if os.Getenv("SCRM_UPDATE_HISTORIES") != "1" {
		return
	}
	writeHistory(t, historyEvents(t, st.temporal, workflowID), workflowID, file)
}

func historyEvents(t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	var events []*historypb.HistoryEvent
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

func writeHistory(t *testing.T, events []*historypb.HistoryEvent, workflowID, file string) {
	writeHistoryAt(t, events, workflowID, filepath.Join("..", "..", "workflows", "testdata", file))
}

// writeHistoryAt writes a history as the JSON the SDK's replayer reads.
func writeHistoryAt(t *testing.T, events []*historypb.HistoryEvent, workflowID, path string) {
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&historypb.History{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %d history events of %s to %s", len(events), workflowID, path)
}

// saveTimerHistory saves the history of a workflow that never ends (a
// periodic loop) once it has started its first timer, i.e. after one pass.
func saveTimerHistory(t *testing.T, c client.Client, workflowID, file string) {
	if os.Getenv("SCRM_UPDATE_HISTORIES") != "1" {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		events := historyEvents(t, c, workflowID)
		if n := len(events); n > 0 && events[n-1].GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
			writeHistory(t, events, workflowID, file)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s started no timer", workflowID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// saveFinishedHistory waits for the workflow to complete before saving its
// history, so the recording covers the whole run.
func saveFinishedHistory(t *testing.T, st *stack, workflowID, file string) {
	if os.Getenv("SCRM_UPDATE_HISTORIES") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		t.Fatalf("%s: %v", workflowID, err)
	}
	saveHistory(t, st, workflowID, file)
}

// pngBytes is a 1x1 PNG (a valid one: uploads are decoded for their thumbnail).
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\b\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x10IDATx\x9cbbhH\x00\x04\x00\x00\xff\xff\x01l\x00\xe3\x1b\xa3\xddF\x00\x00\x00\x00IEND\xaeB`\x82")

// upload posts a multipart file.
func (st *stack) upload(path, token, kind, name, mime string, data []byte, out any) int {
	st.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("type", kind)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	h.Set("Content-Type", mime)
	fw, _ := mw.CreatePart(h)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", st.apiURL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	if resp.StatusCode >= 300 {
		st.t.Logf("upload: %d %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// inboxSeed is an admin, a round-robin team with two agents (Ayu, Budi) and
// the simulator's number allocated to the team, all made through the API.
type inboxSeed struct {
	admin, ayu, budi string
	ayuID, senderID  int64
	teamID           int64
}

func (st *stack) seedInbox() inboxSeed {
	t := st.t
	t.Helper()
	ctx := context.Background()
	db := st.db.Gorm
	if _, err := identity.CreateAdmin(ctx, db, identity.AdminInput{Name: "Admin", Email: "admin@e2e.id", Password: "admin-password-1", Hasher: testenv.Hasher()}); err != nil {
		t.Fatal(err)
	}
	admin := st.login("admin@e2e.id", "admin-password-1")
	var agentRole int64
	if err := db.Raw(`SELECT id FROM roles WHERE system_key = 'agent'`).Scan(&agentRole).Error; err != nil || agentRole == 0 {
		t.Fatalf("agent role: %v", err)
	}
	var team struct{ ID int64 }
	if code := st.call("POST", "/api/v1/teams", admin, map[string]any{"name": "Penagihan Jakarta", "strategy": "round_robin"}, &team); code != 201 {
		t.Fatalf("create team: %d", code)
	}
	mkAgent := func(name, email string) (int64, string) {
		var a struct{ ID int64 }
		if code := st.call("POST", "/api/v1/agents", admin, map[string]any{"name": name, "email": email, "password": "agent-password-1",
			"roleId": agentRole, "teamIds": []int64{team.ID}}, &a); code != 201 {
			t.Fatalf("create agent %s: %d", email, code)
		}
		return a.ID, st.login(email, "agent-password-1")
	}
	ayuID, ayu := mkAgent("Ayu Lestari", "ayu@e2e.id")
	_, budi := mkAgent("Budi Santoso", "budi@e2e.id") // in the team but offline in the tests

	var sender struct{ ID int64 }
	if code := st.call("POST", "/api/v1/senders", admin, map[string]any{"phoneNumberId": e2ePNID, "wabaId": "WABA-E2E", "displayNumber": "+62 21 5000 0001"}, &sender); code != 201 {
		t.Fatalf("create sender: %d", code)
	}
	if code := st.call("POST", fmt.Sprintf("/api/v1/senders/%d/allocations", sender.ID), admin, map[string]any{"teamId": team.ID, "role": "primary"}, nil); code != 201 {
		t.Fatalf("allocate sender: %d", code)
	}

	return inboxSeed{admin: admin, ayu: ayu, budi: budi, ayuID: ayuID, senderID: sender.ID, teamID: team.ID}
}

// supervisor creates Sari Supervisor (sari@e2e.id, agent-password-1), a
// Supervisor of the seed's team.
func (st *stack) supervisor(seed inboxSeed) {
	st.t.Helper()
	var role int64
	st.db.Gorm.Raw(`SELECT id FROM roles WHERE system_key = 'supervisor'`).Scan(&role)
	if code := st.call("POST", "/api/v1/agents", seed.admin, map[string]any{"name": "Sari Supervisor", "email": "sari@e2e.id",
		"password": "agent-password-1", "roleId": role, "teamIds": []int64{seed.teamID}}, nil); code != 201 {
		st.t.Fatalf("create supervisor: %d", code)
	}
}

// historyLen is the length of the conversation workflow's current run.
func historyLen(t testing.TB, st *stack, convID, senderID int64) int {
	t.Helper()
	var contactID int64
	st.db.Gorm.Raw(`SELECT contact_id FROM conversations WHERE id = ?`, convID).Scan(&contactID)
	iter := st.temporal.GetWorkflowHistory(context.Background(), workflows.ConversationWorkflowID(senderID, contactID), "", false, 0)
	n := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
