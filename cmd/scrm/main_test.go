package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/worker/testenv/temporalenv"
)

// The test binary doubles as the scrm binary: with SCRM_TEST_AS_MAIN=1 it
// runs main() with the given arguments, so process-level behaviour (exit
// codes, signals, one-line errors) is tested without a second link of the
// Temporal server.
func TestMain(m *testing.M) {
	if os.Getenv("SCRM_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"scrm"}, strings.Fields(os.Getenv("SCRM_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	code := m.Run()
	if s := e2eTemporal.server; s != nil {
		s.Stop()
	}
	os.Exit(code)
}

// e2eTemporal is the one Temporal server of this test binary, started by
// the first test that needs it (the process-level tests above need none);
// each test gets its own namespace on it.
var e2eTemporal struct {
	once   sync.Once
	server *temporalenv.Shared
	err    error
}

func sharedTemporal(t testing.TB) *temporalenv.Shared {
	t.Helper()
	e2eTemporal.once.Do(func() {
		// SCRM_TEST_TEMPORAL_ADDRESS points the tests and benchmarks at a
		// Temporal server of its own, e.g. the production one of `make
		// temporal-server` (127.0.0.1:7433); else one in-process server.
		if addr := os.Getenv("SCRM_TEST_TEMPORAL_ADDRESS"); addr != "" {
			e2eTemporal.server, e2eTemporal.err = temporalenv.Connect(addr)
			return
		}
		e2eTemporal.server, e2eTemporal.err = temporalenv.StartShared()
	})
	if e2eTemporal.err != nil {
		t.Fatal(e2eTemporal.err)
	}
	return e2eTemporal.server
}

// scrmCmd prepares the test binary to run as `scrm args...` with env.
func scrmCmd(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCRM_TEST_AS_MAIN=1", "SCRM_TEST_ARGS="+strings.Join(args, " "))
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// freeAddr returns a free loopback address below the kernel's ephemeral
// range (32768+), so it cannot collide with ports the embedded Temporal
// server asks the kernel for while the test runs.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		l, err := net.Listen("tcp", addr)
		if err == nil {
			_ = l.Close()
			return addr
		}
	}
	t.Fatal("no free port in 20000-32000")
	return ""
}

func waitHTTP(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = fmt.Sprint(resp.StatusCode)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d within %s (last: %s)", url, want, within, last)
}

var secretsEnv = []string{
	"SCRM_JWT_SECRET=" + strings.Repeat("j", 32),
	"SCRM_WABA_APP_SECRET=app-secret",
	"SCRM_WABA_VERIFY_TOKEN=verify",
}

func TestAPIWithPostgresDownPrintsOneLineAndFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	env := append([]string{"SCRM_DATABASE_URL=postgres://postgres@127.0.0.1:1/scrm?sslmode=disable"}, secretsEnv...)
	var stderr bytes.Buffer
	cmd := scrmCmd(ctx, env, "api")
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatal("scrm api must exit non-zero when PostgreSQL is down")
	}
	out := strings.TrimSpace(stderr.String())
	if want := "scrm: cannot reach PostgreSQL at 127.0.0.1:1: connection refused"; out != want {
		t.Fatalf("stderr:\n%q\nwant:\n%q", out, want)
	}
}

func TestAPIRefusesBadConfigNamingTheKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := scrmCmd(ctx, append([]string{"SCRM_HTTP_ADDR=nonsense"}, secretsEnv...), "api")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("want non-zero exit")
	}
	if !strings.Contains(stderr.String(), "SCRM_HTTP_ADDR") || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
		t.Fatalf("stderr: %q", stderr.String())
	}
}
