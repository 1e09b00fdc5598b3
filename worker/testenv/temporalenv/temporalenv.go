// Package temporalenv starts a real in-process Temporal server for tests
// (go.temporal.io/server/temporaltest: random port, in-memory SQLite) with
// the project's search attributes registered.
//
// Importing it links the whole Temporal server into the test binary (large,
// slow to link), so only a few test packages should use it.
package temporalenv

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/wabascrm/scrm/worker"
)

// Server is a running test Temporal server.
type Server struct {
	*temporaltest.TestServer
}

// New starts the server (stopped at cleanup) and registers the project's
// search attributes in its namespace.
func New(tb testing.TB) *Server {
	tb.Helper()
	var ts *temporaltest.TestServer
	if t, ok := tb.(*testing.T); ok {
		ts = temporaltest.NewServer(temporaltest.WithT(t))
	} else {
		// Benchmarks: temporaltest only takes *testing.T, so stop it ourselves.
		ts = temporaltest.NewServer()
		tb.Cleanup(ts.Stop)
	}
	s := &Server{TestServer: ts}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := worker.RegisterSearchAttributes(ctx, ts.GetDefaultClient(), ts.GetDefaultNamespace()); err != nil {
		tb.Fatalf("temporalenv: %v", err)
	}
	return s
}

// Client returns the default client of the test namespace.
func (s *Server) Client() client.Client { return s.GetDefaultClient() }
