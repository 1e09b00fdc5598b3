// Package realtime is the websocket gateway role (scrm realtime): it holds
// agent connections, consumes the RabbitMQ fanout and pushes events.
// It imports models only.
//
// Protocol (JSON text frames):
//
//	connect   GET /ws[?cursor=<last event id>], then first message {"type":"auth","token":"..."}
//	          (a token in the URL is refused with 400: URLs end up in proxy and
//	          access logs and browser history). The page's Origin must be in
//	          the allow-list; an agent may hold MaxConnsPerAgent sockets per pod.
//	server -> {"type":"welcome","agentId":N,"latest":L}   L: newest event id (use as cursor if you have none)
//	server -> {"id","type","ts","data"}                    an event; ids only grow, duplicates are possible
//	server -> {"type":"reload","latest":L}                 too far behind: reload state over REST, continue from L
//	server -> {"type":"resync_required"}                   send a resync with your cursor
//	client -> {"type":"resync","after":N}                  replay events with id > N (bounded)
//	client -> {"type":"auth","token":"..."}                swap in a fresh token of the same agent
//	close 1012: the pod restarts, reconnect (to any pod) with your cursor;
//	close 1013: too slow, or too many sockets of this agent: reconnect later
//	with your cursor; close 1008: token refused (expired, logged out, disabled).
//
// What a socket carries: an event reaches a principal only if it holds the
// permission the kernel's event map names for the type AND its data scope
// covers the event's audience (models.Principal.MayReceive), live and on
// resync alike. Control events (agent.disabled, agent.revalidate) are never
// delivered: they make the pod re-check the named agents' sockets at once,
// so logout, disable and role or team changes take effect within seconds.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
)

// Authenticator turns an access token into a principal; models implements it
// (JWT plus the agent's status). A disabled agent or expired token errors.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (models.Principal, error)
}

// Check is one readiness dependency.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options tune the gateway; zero values take the defaults in withDefaults.
type Options struct {
	RevalidateEvery   time.Duration // re-check every connection's token (30s)
	AuthTimeout       time.Duration // wait for the first auth message (10s)
	PingInterval      time.Duration // websocket ping period (25s)
	PongWait          time.Duration // read deadline without any frame or pong (60s)
	WriteTimeout      time.Duration // per frame write deadline (10s)
	ReadLimit         int64         // max inbound message size (4096)
	SendQueueLen      int           // frames queued per connection before it is dropped (4096)
	SendQueueBytes    int           // bytes queued per connection before it is dropped (4 MiB)
	ResyncLimit       int           // max events replayed to a client before "reload" (1000)
	ResyncOverlap     int64         // replay this many ids before the cursor: transactions commit, and replicas publish, out of id order (256; <0 for none)
	PodReplayMax      int           // max events a pod replays after an AMQP outage before asking clients to resync (10000)
	TailEvery         time.Duration // how often the pod reads the events table for events RabbitMQ never brought (1s; <0 for never)
	TailGrace         time.Duration // an event younger than this is left to RabbitMQ (2s)
	PresenceGrace     time.Duration // offline after this long with no connection (30s)
	DrainPresenceWait time.Duration // at shutdown, wait this long for agents to show up on another pod (3s)
	Shards            int           // hub shards (32)
	MaxConnsPerAgent  int           // sockets one agent may hold on a pod (16; <0 for no cap)
	// AllowedOrigins are the web origins ("https://crm.example.com") whose
	// pages may open a socket, besides pages of the gateway's own host
	// (same origin). A request without Origin (not a browser) is let through: only
	// browsers send cookies or ambient credentials, and this gateway takes
	// neither, so the list stops other sites' pages, not other programs.
	AllowedOrigins []string
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.RevalidateEvery, 30*time.Second)
	def(&o.AuthTimeout, 10*time.Second)
	def(&o.PingInterval, 25*time.Second)
	def(&o.PongWait, 60*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.PresenceGrace, 30*time.Second)
	def(&o.DrainPresenceWait, 3*time.Second)
	if o.TailEvery == 0 {
		o.TailEvery = time.Second
	}
	def(&o.TailGrace, 2*time.Second)
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4096
	}
	if o.SendQueueLen <= 0 {
		o.SendQueueLen = 4096
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = 4 << 20
	}
	if o.ResyncLimit <= 0 {
		o.ResyncLimit = 1000
	}
	if o.ResyncOverlap < 0 {
		o.ResyncOverlap = 0
	} else if o.ResyncOverlap == 0 {
		// Not only commit order: every api and worker replica publishes
		// its committed events in batches from its own queue, so at
		// 300 msg/s a client sees ids from one replica tens of ids ahead
		// of another's (32 lost 20 agent-deliveries in the drills' pod
		// kill). Replayed duplicates are harmless (clients apply events
		// by id); 256 ids are still far below ResyncLimit.
		o.ResyncOverlap = 256
	}
	if o.PodReplayMax <= 0 {
		o.PodReplayMax = 10000
	}
	if o.MaxConnsPerAgent == 0 {
		o.MaxConnsPerAgent = 16
	} else if o.MaxConnsPerAgent < 0 {
		o.MaxConnsPerAgent = 0
	}
	return o
}

// Deps are what the realtime role needs; cmd/scrm fills them.
type Deps struct {
	Logger          *slog.Logger
	Ready           []Check
	Metrics         http.Handler
	Registerer      prometheus.Registerer
	ShutdownTimeout time.Duration

	// Auth validates tokens. Nil refuses every connection.
	Auth Authenticator
	// Events is the durable stream (resync source; presence events are
	// appended to it).
	Events models.EventStore
	// Feed delivers published events (AMQPConsumer in production).
	Feed Feed
	// Publisher publishes presence events (AMQPPublisher). Optional.
	Publisher models.EventPublisher
	// Presence stores agents' presence. Optional.
	Presence PresenceSink
	Options  Options
}

// Server is the realtime role.
type Server struct {
	deps     Deps
	opts     Options
	mux      *http.ServeMux
	hub      *hub
	presence *presence
	metrics  *metrics
	upgrader websocket.Upgrader

	draining  atomic.Bool
	maxSeen   atomic.Int64 // newest event id this pod has delivered
	binds     atomic.Int64
	replayMu  sync.Mutex
	bgWG      sync.WaitGroup
	replaying atomic.Int32 // pod replays in flight (tests wait on it)
	recent    *recentIDs   // ids delivered lately (the table tail skips them)
}

// New builds the HTTP surface of the gateway.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.ShutdownTimeout <= 0 {
		d.ShutdownTimeout = 20 * time.Second
	}
	s := &Server{deps: d, opts: d.Options.withDefaults(), mux: http.NewServeMux(), metrics: newMetrics(d.Registerer), recent: newRecentIDs(1 << 16)}
	s.presence = newPresence(s, s.opts.PresenceGrace)
	s.hub = newHub(s.opts.Shards, s.presence.connected, s.presence.disconnected)
	s.upgrader = websocket.Upgrader{
		// Small read buffer (clients send only tiny control messages) and a
		// pooled write buffer keep an idle connection cheap.
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		WriteBufferPool:  &sync.Pool{},
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      originAllowed(s.opts.AllowedOrigins),
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /ws", s.serveWS)
	if d.Metrics != nil {
		s.mux.Handle("GET /metrics", d.Metrics)
	}
	return s
}

// Handler exposes the mux.
func (s *Server) Handler() http.Handler { return s.mux }

// Connections is the number of open websockets on this pod.
func (s *Server) Connections() int { return s.hub.count() }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var down []string
	if s.draining.Load() {
		down = append(down, "draining")
	}
	if s.deps.Feed != nil && !s.deps.Feed.Connected() {
		down = append(down, "feed: not subscribed")
	}
	for _, c := range s.deps.Ready {
		if err := c.Fn(ctx); err != nil {
			down = append(down, c.Name+": "+err.Error())
		}
	}
	if len(down) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "down": down})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
}

var errNoAuthenticator = errors.New("no authenticator configured")

func (s *Server) authenticate(ctx context.Context, token string) (models.Principal, error) {
	if s.deps.Auth == nil {
		return models.Principal{}, errNoAuthenticator
	}
	if token == "" {
		return models.Principal{}, errors.New("empty token")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.deps.Auth.Authenticate(ctx, token)
}

func wsError(w http.ResponseWriter, status int, code, field, msg string) {
	e := map[string]any{"code": code, "message": msg}
	if field != "" {
		e["field"] = field
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		wsError(w, http.StatusServiceUnavailable, "unavailable", "", "pod is restarting: connect to another one")
		return
	}
	if s.deps.Auth == nil {
		wsError(w, http.StatusServiceUnavailable, "unavailable", "", "authentication is not configured on this gateway")
		return
	}
	q := r.URL.Query()
	var cursor int64 = -1
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			wsError(w, http.StatusBadRequest, "invalid", "cursor", "cursor must be a non-negative event id")
			return
		}
		cursor = n
	}
	if q.Has("token") {
		wsError(w, http.StatusBadRequest, "invalid", "token",
			"a token in the URL is not accepted: send {\"type\":\"auth\",\"token\":...} as the first message")
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered with an HTTP error (403 for an Origin
		// outside the allow-list).
		return
	}
	// The handler returns right away: the two connection goroutines start
	// with small stacks, so an idle socket costs little memory.
	go s.startClient(conn, cursor)
}

// originAllowed is the upgrader's Origin check (see Options.AllowedOrigins).
func originAllowed(list []string) func(r *http.Request) bool {
	allowed := make(map[string]bool, len(list))
	for _, o := range list {
		allowed[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))] = true
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" || allowed[strings.ToLower(origin)] {
			return true
		}
		// A page of the gateway's own host (the UI and /ws behind one
		// ingress) is same-origin: always allowed.
		u, err := url.Parse(origin)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
}

func (s *Server) startClient(conn *websocket.Conn, cursor int64) {
	ctx := context.Background()
	closeWith := func(code int, reason string) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(s.opts.WriteTimeout))
		_ = conn.Close()
	}
	token, p, err := s.firstMessageAuth(ctx, conn)
	if err != nil {
		s.metrics.drops.WithLabelValues("unauthorized").Inc()
		closeWith(closePolicy, "unauthorized")
		return
	}
	c := &client{srv: s, conn: conn, token: token, done: make(chan struct{})}
	c.principal.Store(&p)
	if cursor >= 0 {
		// Hold live events until the replay is queued, so order holds.
		c.replaying = 1
	}
	if !s.hub.register(c, s.opts.MaxConnsPerAgent) {
		s.metrics.drops.WithLabelValues("too_many_connections").Inc()
		closeWith(closeTryAgainLater, "too many connections of this agent")
		return
	}
	s.metrics.connections.Inc()
	if s.draining.Load() {
		c.shutdown(closeServiceRestart, "service restart: reconnect to another pod")
	}
	welcome := map[string]any{"type": "welcome", "agentId": p.AgentID}
	if cursor < 0 {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		latest, err := s.deps.Events.Latest(qctx)
		cancel()
		if err == nil {
			welcome["latest"] = latest
		}
	}
	c.push(mustJSON(welcome))
	if cursor >= 0 {
		c.resyncHeld(ctx, cursor)
	}
	// A fresh goroutine with a small stack holds the idle connection; this
	// one grew through authentication and database calls.
	go c.readLoop(ctx)
}

func (s *Server) firstMessageAuth(ctx context.Context, conn *websocket.Conn) (string, models.Principal, error) {
	conn.SetReadLimit(s.opts.ReadLimit)
	_ = conn.SetReadDeadline(time.Now().Add(s.opts.AuthTimeout))
	_, raw, err := conn.ReadMessage()
	if err != nil {
		return "", models.Principal{}, err
	}
	var m inbound
	if err := json.Unmarshal(raw, &m); err != nil || m.Type != "auth" {
		return "", models.Principal{}, errors.New("first message must be auth")
	}
	p, err := s.authenticate(ctx, m.Token)
	return m.Token, p, err
}

// deliver is the single path of an event into the pod.
func (s *Server) deliver(e models.Event) {
	s.metrics.eventsIn.Inc()
	s.recent.add(e.ID)
	for {
		cur := s.maxSeen.Load()
		if e.ID <= cur || s.maxSeen.CompareAndSwap(cur, e.ID) {
			break
		}
	}
	if r, ok := models.EventRuleOf(e.Type); ok && r.Control {
		s.recheck(e.Audience.AgentIDs)
		return
	}
	s.hub.dispatch(e)
	s.presence.observe(e)
}

// recheck re-validates the local sockets of the named agents now (a control
// event: logout, disable, role or team change). A refused token closes its
// socket; a changed role or team set replaces the socket's principal, so
// what it receives narrows at once. It runs beside the feed, never in it.
func (s *Server) recheck(agentIDs []int64) {
	var cs []*client
	for _, id := range agentIDs {
		cs = append(cs, s.hub.of(id)...)
	}
	if len(cs) == 0 {
		return
	}
	s.bgWG.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, c := range cs {
			_ = c.revalidate(ctx)
		}
	})
}

// bound runs after each (re)subscription. The pod, not each client, replays
// what it may have missed from the events table: one query per pod instead
// of a thundering herd of client resyncs, and clients need no extra logic.
// The queue is bound before the query, so anything committed later arrives
// through it; duplicates are harmless.
func (s *Server) bound(ctx context.Context) {
	if s.binds.Add(1) > 1 {
		s.metrics.amqpReconnects.Inc()
	}
	// The cursor is taken now, before the new binding delivers anything:
	// taken in the goroutine, a live event arriving first (publishers
	// flush their backlog the moment the broker is back) moved it past
	// the events missed during the outage, and the replay skipped them.
	from := max(s.maxSeen.Load()-s.opts.ResyncOverlap, 0)
	s.replaying.Add(1)
	s.bgWG.Go(func() {
		defer s.replaying.Add(-1)
		s.podReplay(ctx, from)
	})
}

func (s *Server) podReplay(ctx context.Context, from int64) {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	const page = 1000
	total := 0
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		evs, err := s.deps.Events.After(qctx, from, page)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.deps.Logger.Warn("realtime pod replay failed; asking clients to resync", "err", err)
			s.askResync()
			return
		}
		for _, e := range evs {
			s.deliver(e)
		}
		total += len(evs)
		if len(evs) < page {
			s.metrics.resyncs.WithLabelValues("pod").Inc()
			return
		}
		if total >= s.opts.PodReplayMax {
			s.askResync()
			return
		}
		from = evs[len(evs)-1].ID
	}
}

func (s *Server) askResync() {
	frame := mustJSON(map[string]any{"type": "resync_required"})
	for _, c := range s.hub.snapshot() {
		c.push(frame)
	}
}

// pingLoop pings every connection through its writer; the reader's
// deadline (PongWait) drops peers that stop answering.
func (s *Server) pingLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, c := range s.hub.snapshot() {
			c.ping()
		}
	}
}

// revalidateLoop re-checks every connection's token so that a disabled
// agent or an expired token loses its socket within RevalidateEvery.
func (s *Server) revalidateLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.RevalidateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, c := range s.hub.snapshot() {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				_ = c.revalidate(ctx)
			})
		}
		wg.Wait()
	}
}

// Run listens on addr until ctx is done.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("realtime cannot listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve runs the gateway on ln until ctx is done, then drains: it refuses
// new sockets, closes the open ones with 1012 (clients reconnect to another
// pod with their cursor), settles presence and drops its queue.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	if id, err := s.deps.Events.Latest(ctx); err == nil {
		s.maxSeen.Store(id)
	} else {
		s.deps.Logger.Warn("realtime: read latest event id", "err", err)
	}
	feedDone := make(chan struct{})
	if s.deps.Feed != nil {
		go func() {
			defer close(feedDone)
			if err := s.deps.Feed.Run(bgCtx, s.deliver, func() { s.bound(bgCtx) }); err != nil {
				s.deps.Logger.Error("realtime feed stopped", "err", err)
			}
		}()
	} else {
		close(feedDone)
	}
	s.bgWG.Go(func() { s.presence.run(bgCtx) })
	s.bgWG.Go(func() { s.revalidateLoop(bgCtx) })
	s.bgWG.Go(func() { s.pingLoop(bgCtx) })
	s.bgWG.Go(func() { s.tailLoop(bgCtx) })

	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.deps.Logger.Info("realtime listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		stopBG()
		<-feedDone
		s.bgWG.Wait()
		return fmt.Errorf("realtime: %w", err)
	case <-ctx.Done():
	}

	deadline := time.Now().Add(s.deps.ShutdownTimeout)
	dctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	s.draining.Store(true)
	shutdownErr := srv.Shutdown(dctx)
	for _, c := range s.hub.snapshot() {
		c.shutdown(closeServiceRestart, "service restart: reconnect to another pod")
	}
	for s.hub.count() > 0 && dctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	// The feed still runs here, so an agent that reconnected to another pod
	// cancels its pending offline.
	s.presence.drain(dctx, s.opts.DrainPresenceWait)
	stopBG()
	<-feedDone // the consumer's connection is closed: its queue is gone
	s.bgWG.Wait()
	if shutdownErr != nil {
		return fmt.Errorf("realtime shutdown: %w", shutdownErr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("realtime: %w", err)
	}
	s.deps.Logger.Info("realtime stopped")
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
