package httpx

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// BodyGate bounds the request bodies of a set of routes (the webhook, file
// uploads): their size, the time a client may take to send one, and how
// many are read at once. Without it a slow client (one byte a second)
// holds a connection and a growing buffer for as long as it likes, and
// forty of them pin hundreds of MiB before any signature or login is
// checked (issue #17 finding 6). One gate is shared by the routes it
// guards, so the bound is on their total; routes that need a bound of
// their own get a gate of their own.
type BodyGate struct {
	// Max is the largest body; a Content-Length above it is refused before
	// anything is read, and the body is cut off at Max+1 bytes otherwise.
	Max int64
	// Deadline is how long reading the body may take, from the end of the
	// headers; a client that is slower gets its connection closed.
	Deadline time.Duration
	// Wait is how long a request waits for a free slot before a 503 with
	// Retry-After (the webhook's sender, Meta, redelivers on 503).
	Wait  time.Duration
	slots chan struct{}
	log   *slog.Logger
}

// NewBodyGate makes a gate letting concurrent bodies be read at once.
func NewBodyGate(log *slog.Logger, max int64, deadline time.Duration, concurrent int) *BodyGate {
	return &BodyGate{Max: max, Deadline: deadline, Wait: time.Second, slots: make(chan struct{}, concurrent), log: log}
}

// Handler is the gate as middleware: put it before the handler that reads
// the body (after authentication, so anonymous callers of a logged-in
// route take no slot).
func (g *BodyGate) Handler() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > g.Max {
			WriteError(c, g.log, models.Errorf(models.ETooLarge, "request body is larger than %d bytes", g.Max))
			return
		}
		t := time.NewTimer(g.Wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			WriteError(c, g.log, &models.Error{Code: models.EUnavailable, Message: "too many uploads in progress; retry shortly",
				Details: map[string]any{"retryAfterSeconds": 1}})
			return
		case <-c.Request.Context().Done():
			t.Stop()
			c.Abort()
			return
		}
		defer func() { <-g.slots }()
		// The deadline is left in place after the handler: net/http sets
		// the next request's own deadlines when it reads its headers, and
		// lifting it here would let the server's drain of an unread body
		// block on the slow client again.
		if err := http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(g.Deadline)); err != nil {
			g.log.Warn("body gate: connection has no read deadline", "err", err)
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, g.Max)
		c.Next()
	}
}

// WithMax is a gate with another size bound that shares g's slots and
// deadline (the intake file and the media upload share one cap on
// concurrent uploads).
func (g *BodyGate) WithMax(max int64) *BodyGate {
	c := *g
	c.Max = max
	return &c
}

// Busy is the number of bodies being read now (metrics and tests).
func (g *BodyGate) Busy() int { return len(g.slots) }
