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

// client is one websocket. Only its reader goroutine reads. Writes go
// through a bounded queue drained by a writer goroutine that exists only
// while there is something to write (pings included), so an idle socket
// costs one goroutine. Pushes never block the hub.
type client struct {
	srv       *Server
	conn      *websocket.Conn
	principal atomic.Pointer[models.Principal]

	mu         sync.Mutex
	token      string
	queue      []outFrame
	queueBytes int
	writing    bool      // a writer goroutine is draining the queue
	replaying  int       // >0 while a resync is reading the events table
	pending    []pending // live events held back during a resync
	closed     bool      // no more frames are accepted

	done chan struct{} // closed when the reader exits
}

type frameKind uint8

const (
	frameText frameKind = iota
	framePing
	frameClose
)

type outFrame struct {
	kind frameKind
	data []byte
	code int
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

// kickLocked starts the writer if it is not running. c.mu must be held.
func (c *client) kickLocked() {
	if !c.writing {
		c.writing = true
		go c.flush()
	}
}

// enqueueLocked appends a frame; false means the client is closed or too
// slow (and is being disconnected). c.mu must be held.
func (c *client) enqueueLocked(frame []byte) bool {
	if c.closed {
		return false
	}
	o := c.srv.opts
	if len(c.queue) >= o.SendQueueLen || c.queueBytes+len(frame) > o.SendQueueBytes {
		c.srv.metrics.drops.WithLabelValues("slow_consumer").Inc()
		c.closeLocked(closeTryAgainLater, "slow consumer: reconnect with your cursor", true)
		return false
	}
	c.queue = append(c.queue, outFrame{kind: frameText, data: frame})
	c.queueBytes += len(frame)
	c.kickLocked()
	return true
}

// push queues a control frame.
func (c *client) push(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enqueueLocked(frame)
}

// ping queues a websocket ping (sent by the pod's pinger).
func (c *client) ping() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.queue = append(c.queue, outFrame{kind: framePing})
		c.kickLocked()
	}
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
			c.srv.metrics.drops.WithLabelValues("slow_consumer").Inc()
			c.closeLocked(closeTryAgainLater, "slow consumer: reconnect with your cursor", true)
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

// shutdown sends a close frame after what is already queued and ends the
// connection.
func (c *client) shutdown(code int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, msg, false)
}

// closeLocked queues the close frame (dropping queued frames when the
// client is too slow for them) and makes sure the socket is closed even if
// the peer never answers. c.mu must be held.
func (c *client) closeLocked(code int, msg string, drop bool) {
	if c.closed {
		return
	}
	c.closed = true
	if drop {
		c.queue, c.queueBytes = nil, 0
	}
	c.queue = append(c.queue, outFrame{kind: frameClose, code: code, data: []byte(msg)})
	c.kickLocked()
	time.AfterFunc(c.srv.opts.WriteTimeout+time.Second, func() { _ = c.conn.Close() })
}

// flush is the writer: it drains the queue and exits when it is empty.
func (c *client) flush() {
	o := c.srv.opts
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.queueBytes = nil, 0
		if len(batch) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, f := range batch {
			deadline := time.Now().Add(o.WriteTimeout)
			var err error
			switch f.kind {
			case frameText:
				if err = c.conn.SetWriteDeadline(deadline); err == nil {
					err = c.conn.WriteMessage(websocket.TextMessage, f.data)
				}
			case framePing:
				err = c.conn.WriteControl(websocket.PingMessage, nil, deadline)
			case frameClose:
				_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.code, string(f.data)), deadline)
				// The reader ends when the peer answers (or the timer of
				// closeLocked closes the socket); stay "writing" for good.
				return
			}
			if err != nil {
				c.srv.metrics.drops.WithLabelValues("write_error").Inc()
				c.mu.Lock()
				c.closed = true
				c.mu.Unlock()
				_ = c.conn.Close() // ends the reader
				return
			}
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
		_ = c.conn.Close()
		c.srv.hub.unregister(c)
		c.srv.metrics.connections.Dec()
		close(c.done)
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
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			// Closing: keep reading until the peer answers our close frame
			// (or the close timer ends the socket), ignoring what it says.
			continue
		}
		var m inbound
		if err := json.Unmarshal(raw, &m); err != nil {
			c.push(errorFrame("invalid", "message must be a JSON object with a type"))
			continue
		}
		switch m.Type {
		case "auth":
			// A fresh access token for the same agent extends the session.
			if err := c.reauth(ctx, m.Token); err != nil {
				continue
			}
			c.push(mustJSON(map[string]any{"type": "auth_ok"}))
		case "resync":
			if m.After == nil || *m.After < 0 {
				c.push(errorFrame("invalid", "resync needs after >= 0"))
				continue
			}
			if err := c.revalidate(ctx); err != nil {
				continue
			}
			c.resync(ctx, *m.After)
		default:
			c.push(errorFrame("invalid", "unknown message type"))
		}
	}
}

var errRejected = errors.New("token rejected")

// refused reports an answer about the token itself (expired, revoked,
// disabled agent), as opposed to a failure to check it.
func refused(err error) bool {
	var me *models.Error
	return errors.As(err, &me) && (me.Code == models.EUnauthorized || me.Code == models.EForbidden)
}

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
	if err != nil && !refused(err) {
		// PostgreSQL is down or slow: that says nothing about the token.
		// Closing would send every agent into a re-login loop during an
		// outage; the next check decides.
		c.srv.deps.Logger.Warn("token re-check failed; connection kept", "agent_id", c.principal.Load().AgentID, "err", err)
		return nil
	}
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
			if !p.MayReceive(e) {
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
