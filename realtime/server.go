// Package realtime is the websocket gateway role (scrm realtime): it holds
// agent connections, consumes the RabbitMQ fanout and pushes events.
// It imports models only.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Check is one readiness dependency.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Deps are what the realtime role needs; cmd/scrm fills them.
type Deps struct {
	Logger          *slog.Logger
	Ready           []Check
	Metrics         http.Handler
	ShutdownTimeout time.Duration
}

// Server is the realtime role.
type Server struct {
	deps Deps
	mux  *http.ServeMux
}

// New builds the HTTP surface of the gateway.
func New(d Deps) *Server {
	s := &Server{deps: d, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if d.Metrics != nil {
		s.mux.Handle("GET /metrics", d.Metrics)
	}
	return s
}

// Handler exposes the mux.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var down []string
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

// Run listens on addr until ctx is done.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("realtime cannot listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.deps.Logger.Info("realtime listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("realtime: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.deps.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("realtime shutdown: %w", err)
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
