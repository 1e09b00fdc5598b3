package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/testenv"
	"github.com/wabascrm/scrm/workflows"
)

// A workflow and its activity run end to end on a real Temporal server
// (temporaltest), the production worker role and a real PostgreSQL.
func TestProbeWorkflowEndToEnd(t *testing.T) {
	t.Parallel() // own database, namespace, exchange and ports: safe beside the others
	st := startStack(t, time.Hour)
	db := st.db
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	run, err := st.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ProbeWorkflowID("e2e"), TaskQueue: st.cfg.TemporalTaskQueue},
		workflows.ProbeWorkflow, activities.ProbeInput{Key: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ProbeResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	// The worker role names itself host@pid.
	host, _ := os.Hostname()
	if want := fmt.Sprintf("%s@%d", host, os.Getpid()); res.Worker != want || res.ProbeID == 0 {
		t.Fatalf("result %+v, want worker %s", res, want)
	}
	if n, _ := (models.ProbeStore{DB: db.Gorm}).Count(ctx, "e2e"); n != 1 {
		t.Fatalf("probe rows %d", n)
	}
	st.stopWorker()
	if <-st.workerDone; st.workerErr != nil {
		t.Fatalf("worker stop: %v", st.workerErr)
	}

	// The project's search attributes are registered, and registering again is a no-op.
	resp, err := st.temporal.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: st.cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	for name := range workflows.SearchAttributes() {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			t.Errorf("search attribute %s not registered", name)
		}
	}
	added, err := worker.RegisterSearchAttributes(ctx, st.temporal, st.cfg.TemporalNamespace)
	if err != nil || len(added) != 0 {
		t.Fatalf("second registration: added=%v err=%v", added, err)
	}
}

// api and worker refuse to start on an unmigrated schema, naming the fix.
func TestRolesRefuseUnmigratedSchema(t *testing.T) {
	dsn := testenv.EmptyDatabaseURL(t)
	for _, role := range []string{"api", "worker"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var stderr bytes.Buffer
		cmd := scrmCmd(ctx, append([]string{"SCRM_DATABASE_URL=" + dsn}, secretsEnv...), role)
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if err == nil {
			t.Fatalf("%s started on an empty schema", role)
		}
		out := strings.TrimSpace(stderr.String())
		if !strings.Contains(out, "database schema is not migrated") || !strings.Contains(out, "scrm migrate") || strings.Contains(out, "\n") {
			t.Fatalf("%s: stderr %q", role, out)
		}
	}
	// scrm migrate fixes it, twice is harmless.
	for i, want := range []string{"migrations applied: ", "migrations applied: 0"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := scrmCmd(ctx, []string{"SCRM_DATABASE_URL=" + dsn}, "migrate").Output()
		cancel()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("migrate #%d: %q %v", i+1, out, err)
		}
	}
}

// Readiness recovers by itself after the broker dropped the connection.
func TestAMQPReadinessRedialsAfterConnectionLoss(t *testing.T) {
	cfg, err := (&rootFlags{}).load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AMQPURL = testenv.AMQPURL()
	conn, err := dialAMQP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := &infra{cfg: cfg, amqp: conn}
	defer in.close()
	_ = conn.Close() // as after a broker restart
	if err := in.amqpReady(context.Background()); err != nil {
		t.Fatalf("readiness after reconnect: %v", err)
	}
	if in.amqp == conn || in.amqp.IsClosed() {
		t.Fatal("probe connection was not re-dialled")
	}
	in.cfg.AMQPURL = "amqp://guest:guest@127.0.0.1:1/"
	_ = in.amqp.Close()
	if err := in.amqpReady(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("unreachable broker: %v", err)
	}
}
