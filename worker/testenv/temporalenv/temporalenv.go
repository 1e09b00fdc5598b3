// Package temporalenv starts a real in-process Temporal server for tests
// (go.temporal.io/server/temporaltest: random port, in-memory SQLite) with
// the project's search attributes registered.
//
// Importing it links the whole Temporal server into the test binary (large,
// slow to link), so only a few test packages should use it.
package temporalenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/testenv"
)

// Shared is one Temporal server for a whole test binary (start it in
// TestMain): starting a server costs seconds and hundreds of MB, so the
// tests of a binary share it and isolate themselves by namespace instead
// (workflow IDs such as case:1 repeat across tests whose databases all
// start at id 1, so a shared namespace would mix their workflows).
type Shared struct {
	ts *temporaltest.TestServer // nil for an external server (Connect)
	// hostPort is the external server's frontend.
	hostPort string
	// admin is a client of the server's own namespace, for namespace and
	// search attribute registration.
	admin client.Client
}

// StartShared starts the server; Stop it when the tests are done.
func StartShared() (s *Shared, err error) {
	defer func() {
		// temporaltest panics on start failures when it has no *testing.T.
		if r := recover(); r != nil {
			err = fmt.Errorf("temporalenv: start shared server: %v", r)
		}
	}()
	ts := temporaltest.NewServer()
	return &Shared{ts: ts, admin: ts.GetDefaultClient()}, nil
}

// Connect uses a Temporal server that runs on its own (the production
// server of `make temporal-server`, on PostgreSQL) instead of starting one:
// benchmarks measure what production runs. Each test still gets its own
// namespace; they are left behind (their retention ends them).
func Connect(hostPort string) (*Shared, error) {
	c, err := client.Dial(client.Options{HostPort: hostPort})
	if err != nil {
		return nil, fmt.Errorf("temporalenv: connect %s: %w", hostPort, err)
	}
	return &Shared{hostPort: hostPort, admin: c}, nil
}

// Stop shuts the server down (an external one keeps running).
func (s *Shared) Stop() {
	if s.ts == nil {
		s.admin.Close()
		return
	}
	s.ts.Stop()
}

// HostPort is the server's frontend address.
func (s *Shared) HostPort() string {
	if s.ts == nil {
		return s.hostPort
	}
	return s.ts.GetFrontendHostPort()
}

// Namespace registers a fresh namespace with the project's search
// attributes and returns its name. Namespaces are not deleted: the server
// is in memory and goes away with the test binary.
func (s *Shared) Namespace(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := testenv.UniqueName("scrm-t-")
	_, err := s.admin.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        ns,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	if err != nil {
		tb.Fatalf("temporalenv: register namespace %s: %v", ns, err)
	}
	// The frontend learns of a new namespace through its registry; retry
	// until it answers for it.
	for {
		_, err = worker.RegisterSearchAttributes(ctx, s.admin, ns)
		if err == nil {
			return ns
		}
		if ctx.Err() != nil {
			tb.Fatalf("temporalenv: namespace %s: %v", ns, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
