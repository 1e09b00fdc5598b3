package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wabascrm/scrm/api/httpx"
)

// InternalOptions configure the internal listener: what operators and the
// orchestrator reach (Prometheus, readiness probes, profiles), never
// browsers or Meta. It is a port of its own (config internal_addr) so the
// public listener exposes no dependency names, metric labels or profiles.
type InternalOptions struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Ready    []Check
	// Pprof mounts net/http/pprof under /debug/pprof/ (config
	// pprof_enabled, off by default: a CPU profile costs the process).
	Pprof bool
}

// Internal is the internal listener's handler: /healthz, /readyz, /metrics
// and, when enabled, /debug/pprof/.
func Internal(o InternalOptions) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.CustomRecovery(func(c *gin.Context, rec any) {
		httpx.WriteError(c, o.Logger, fmt.Errorf("panic: %v", rec))
	}))
	e.GET("/healthz", httpx.Wrap(o.Logger, healthz))
	e.GET("/readyz", httpx.Wrap(o.Logger, readyz(o.Ready)))
	if o.Registry != nil {
		e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry})))
	}
	if o.Pprof {
		// The handlers by name, not the package's DefaultServeMux side
		// effect: nothing else serves DefaultServeMux.
		e.GET("/debug/pprof/", gin.WrapF(pprof.Index))
		e.GET("/debug/pprof/cmdline", gin.WrapF(pprof.Cmdline))
		e.GET("/debug/pprof/profile", gin.WrapF(pprof.Profile))
		e.GET("/debug/pprof/symbol", gin.WrapF(pprof.Symbol))
		e.GET("/debug/pprof/trace", gin.WrapF(pprof.Trace))
		e.GET("/debug/pprof/:name", func(c *gin.Context) { pprof.Handler(c.Param("name")).ServeHTTP(c.Writer, c.Request) })
	}
	return e
}

// ServeInternal serves h on ln until ctx is done.
func ServeInternal(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		// A CPU profile or trace runs up to the seconds it is asked for.
		WriteTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("internal listener (metrics, readiness, pprof) on", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("internal listener: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("internal listener: %w", err)
	}
	return nil
}
