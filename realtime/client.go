package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wabascrm/scrm/models"
)

// Close codes sent to clients.
const (
	closeServiceRestart = websocket.CloseServiceRestart // 1012: pod draining, reconnect elsewhere
	closePolicy         = websocket.ClosePolicyViolation
	closeTryAgainLater  = websocket.CloseTryAgainLater // 1013: slow consumer, reconnect with cursor
)

// client is one websocket. Only its writer goroutine writes to conn; only its
// reader goroutine reads. Pushes go to a bounded queue, never block the hub.
type client struct {
	srv       *Server
	conn      *websocket.Conn
	principal atomic.Pointer[models.Principal]

	mu         sync.Mutex
	token      string
	queue      [][]byte
	queueBytes int
	replaying  int       // >0 while a resync is reading the events table
	pending    []pending // live events held back during a resync
	closed     bool

	signal    chan struct{} // cap 1: queue is non-empty
	closing   chan struct{} // closed by shutdown
	closeOnce sync.Once
	closeCode int
	closeMsg  string
	done      chan struct{} // closed when the reader exits
}

type pending struct {
	id    int64
	frame []byte
}

func (c *client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// enqueueLocked appends a frame; false means the client is too slow and is
// being disconnected. c.mu must be held.
func (c *client) enqueueLocked(frame []byte) bool {
	if c.closed {
		return false
	}
	o := c.srv.opts
	if len(c.queue) >= o.SendQueueLen || c.queueBytes+len(frame) > o.SendQueueBytes {
		c.closed = true
		c.srv.metrics.drops.WithLabelValues("slow_consumer").Inc()
		go c.shutdown(closeTryAgainLater, "slow consumer: reconnect with your cursor")
		return false
	}
	c.queue = append(c.queue, frame)
	c.queueBytes += len(frame)
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return true
}

// push queues a control frame.
func (c *client) push(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueueLocked(frame)
}

// pushEvent queues a live event, or holds it while a resync is in flight so
// that replayed (older) events go out first.
func (c *client) pushEvent(id int64, frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.replaying > 0 {
		if c.closed {
			return false
		}
		if len(c.pending) >= c.srv.opts.SendQueueLen {
			c.closed = true
			c.srv.metrics.drops.WithLabelValues("slow_consumer").Inc()
			go c.shutdown(closeTryAgainLater, "slow consumer: reconnect with your cursor")
			return false
		}
		c.pending = append(c.pending, pending{id, frame})
		return true
	}
	if !c.enqueueLocked(frame) {
		return false
	}
	c.srv.metrics.eventsOut.Inc()
	return true
}

// shutdown asks the writer to send a close frame and end the connection.
func (c *client) shutdown(code int, msg string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeMsg = code, msg
		close(c.closing)
	})
}

func (c *client) writeLoop() {
	o := c.srv.opts
	ping := time.NewTicker(o.PingInterval)
	defer ping.Stop()
	defer c.conn.Close()
	for {
		select {
		case <-c.signal:
			c.mu.Lock()
			batch := c.queue
			c.queue, c.queueBytes = nil, 0
			c.mu.Unlock()
			for _, b := range batch {
				_ = c.conn.SetWriteDeadline(time.Now().Add(o.WriteTimeout))
				if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
					c.shutdown(websocket.CloseAbnormalClosure, "")
					c.srv.metrics.drops.WithLabelValues("write_error").Inc()
					return
				}
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteTimeout)); err != nil {
				c.shutdown(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			return
		case <-c.closing:
			if c.closeCode != websocket.CloseAbnormalClosure {
				msg := websocket.FormatCloseMessage(c.closeCode, c.closeMsg)
				_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(o.WriteTimeout))
				// Give the peer a moment to answer the close handshake.
				select {
				case <-c.done:
				case <-time.After(time.Second):
				}
			}
			return
		}
	}
}

// inbound is every message a client may send.
type inbound struct {
	Type  string `json:"type"`
	Token string `json:"token"`
	After *int64 `json:"after"`
}

func (c *client) readLoop(ctx context.Context) {
	o := c.srv.opts
	defer func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.srv.hub.unregister(c)
		c.srv.metrics.connections.Dec()
		close(c.done)
		c.shutdown(websocket.CloseAbnormalClosure, "")
	}()
	c.conn.SetReadLimit(o.ReadLimit)
	_ = c.conn.SetReadDeadline(time.Now().Add(o.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(o.PongWait))
	})
	for {
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(o.PongWait))
		var m inbound
		if err := json.Unmarshal(raw, &m); err != nil {
			c.push(errorFrame("invalid", "message must be a JSON object with a type"))
			continue
		}
		switch m.Type {
		case "auth":
			// A fresh access token for the same agent extends the session.
			if err := c.reauth(ctx, m.Token); err != nil {
				return
			}
			c.push(mustJSON(map[string]any{"type": "auth_ok"}))
		case "resync":
			if m.After == nil || *m.After < 0 {
				c.push(errorFrame("invalid", "resync needs after >= 0"))
				continue
			}
			if err := c.revalidate(ctx); err != nil {
				return
			}
			c.resync(ctx, *m.After)
		default:
			c.push(errorFrame("invalid", "unknown message type"))
		}
	}
}

var errRejected = errors.New("token rejected")

// reauth switches the connection to a new token of the same agent.
func (c *client) reauth(ctx context.Context, token string) error {
	p, err := c.srv.authenticate(ctx, token)
	if err != nil || p.AgentID != c.principal.Load().AgentID {
		c.srv.metrics.drops.WithLabelValues("unauthorized").Inc()
		c.shutdown(closePolicy, "unauthorized")
		return errRejected
	}
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
	c.srv.hub.setPrincipal(c, p)
	return nil
}

// revalidate checks the current token again; a disabled agent or an expired
// token ends the connection.
func (c *client) revalidate(ctx context.Context) error {
	p, err := c.srv.authenticate(ctx, c.currentToken())
	if err != nil || p.AgentID != c.principal.Load().AgentID {
		c.srv.metrics.drops.WithLabelValues("unauthorized").Inc()
		c.shutdown(closePolicy, "token expired or revoked")
		return errRejected
	}
	c.srv.hub.setPrincipal(c, p)
	return nil
}

// resync sends what the client missed after cursor from the events table,
// then the live events that arrived meanwhile, in that order.
func (c *client) resync(ctx context.Context, after int64) {
	c.mu.Lock()
	c.replaying++
	c.mu.Unlock()
	c.resyncHeld(ctx, after)
}

// resyncHeld is resync for a caller that already incremented c.replaying.
func (c *client) resyncHeld(ctx context.Context, after int64) {
	s := c.srv

	from := max(after-s.opts.ResyncOverlap, 0)
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	evs, err := s.deps.Events.After(qctx, from, s.opts.ResyncLimit+1)
	var latest int64
	if err == nil && len(evs) > s.opts.ResyncLimit {
		latest, err = s.deps.Events.Latest(qctx)
	}
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	c.replaying--
	switch {
	case err != nil:
		s.deps.Logger.Warn("realtime resync failed", "err", err)
		s.metrics.resyncs.WithLabelValues("error").Inc()
		c.enqueueLocked(mustJSON(map[string]any{"type": "resync_required"}))
	case len(evs) > s.opts.ResyncLimit:
		// Too far behind: the client reloads its state over REST and
		// continues from latest.
		s.metrics.resyncs.WithLabelValues("reload").Inc()
		c.enqueueLocked(mustJSON(map[string]any{"type": "reload", "latest": latest}))
	default:
		s.metrics.resyncs.WithLabelValues("ok").Inc()
		p := c.principal.Load()
		sent := make(map[int64]struct{}, len(evs))
		for _, e := range evs {
			if !p.CanSee(e.Audience) {
				continue
			}
			sent[e.ID] = struct{}{}
			if !c.enqueueLocked(encodeEvent(e)) {
				return
			}
			s.metrics.eventsOut.Inc()
		}
		for _, pe := range c.pending {
			if _, ok := sent[pe.id]; ok {
				continue
			}
			if !c.enqueueLocked(pe.frame) {
				return
			}
			s.metrics.eventsOut.Inc()
		}
		c.pending = nil
		return
	}
	// After reload/resync_required the held events still go out: they are
	// newer than anything the client will fetch.
	for _, pe := range c.pending {
		if !c.enqueueLocked(pe.frame) {
			return
		}
	}
	c.pending = nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with maps of plain values
	}
	return b
}

func errorFrame(code, msg string) []byte {
	return mustJSON(map[string]any{"type": "error", "code": code, "message": msg})
}
