package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api/httpx"
)

const requestIDHeader = "X-Request-ID"

// RequestID returns the id the requestID middleware assigned.
func RequestID(c *gin.Context) string { return httpx.RequestID(c) }

// requestID accepts a sane incoming X-Request-ID or makes one, and echoes it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		httpx.SetRequestID(c, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

// accessLog writes one structured line per request.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("request_id", RequestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("route", c.FullPath()),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
		}
		if k, v := resourceID(c.FullPath(), c.Param("id")); k != "" {
			attrs = append(attrs, slog.String(k, v))
		}
		log.LogAttrs(c.Request.Context(), level, "http", attrs...)
	}
}

// resourceID names the route's :id after its resource, so a conversation's
// or campaign's requests can be found by conversation_id / campaign_id (the
// same keys the worker's logs and workflow ids use).
func resourceID(route, id string) (string, string) {
	if id == "" {
		return "", ""
	}
	before, _, ok := strings.Cut(route, "/:id")
	if !ok {
		return "", ""
	}
	res := before[strings.LastIndex(before, "/")+1:]
	switch res {
	case "conversations", "campaigns", "cases", "contacts", "senders", "agents", "teams", "intake", "segments", "roles", "templates":
		return strings.TrimSuffix(res, "s") + "_id", id
	}
	return "", ""
}

// HTTPMetrics holds the request histogram; one per registry.
type HTTPMetrics struct {
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers scrm_http_request_duration_seconds on reg.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	m := &HTTPMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "scrm_http_request_duration_seconds",
		Help:    "HTTP request latency by route, method and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method", "status"})}
	reg.MustRegister(m.duration)
	return m
}

func (m *HTTPMetrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // bounded label cardinality
		}
		m.duration.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
	}
}
