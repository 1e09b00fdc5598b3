package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
	"github.com/wabascrm/scrm/workflows"
)

type devProc struct {
	cmd   *exec.Cmd
	wait  chan error
	lines chan string
}

// startDev runs `scrm dev` as a child process and waits for its banner.
func startDev(t *testing.T, env []string) *devProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := scrmCmd(ctx, env, "dev")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, _ := os.CreateTemp(t.TempDir(), "dev-stderr-*.log")
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProc{cmd: cmd, wait: make(chan error, 1), lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() { p.wait <- cmd.Wait() }()
	t.Cleanup(func() { cancel() })

	deadline := time.After(90 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				_, _ = logf.Seek(0, io.SeekStart)
				b, _ := io.ReadAll(logf)
				werr := <-p.wait
				t.Fatalf("scrm dev exited (%v) before it was up; stderr tail:\n%s", werr, tail(string(b), 3000))
			}
			if strings.HasPrefix(l, "SCRM dev is up") {
				// Drain the rest of the banner in the background.
				go func() {
					for range p.lines {
					}
				}()
				return p
			}
		case <-deadline:
			t.Fatal("scrm dev did not print its banner within 90 s")
		}
	}
}

// stop sends Ctrl-C (SIGINT) and expects a clean, zero exit.
func (p *devProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.wait:
		if err != nil {
			t.Fatalf("scrm dev did not exit cleanly on Ctrl-C: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("scrm dev did not stop within 45 s of Ctrl-C")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestDevStartsServesAndReusesDataAfterRestart(t *testing.T) {
	dbName := testenv.UniqueName("scrm_dev_t_")
	u, _ := url.Parse(testenv.BaseDatabaseURL())
	u.Path = "/" + dbName
	httpAddr, rtAddr, temporalAddr, uiAddr, simAddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	internalAddr := freeAddr(t)
	env := []string{
		"SCRM_DATA_DIR=" + t.TempDir(),
		"SCRM_DATABASE_URL=" + u.String(),
		"SCRM_HTTP_ADDR=" + httpAddr,
		"SCRM_INTERNAL_ADDR=" + internalAddr,
		"SCRM_REALTIME_ADDR=" + rtAddr,
		"SCRM_TEMPORAL_ADDRESS=" + temporalAddr,
		"SCRM_TEMPORAL_UI_ADDR=" + uiAddr,
		"SCRM_WABASIM_ADDR=" + simAddr,
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if admin, err := models.OpenDB(ctx, testenv.BaseDatabaseURL()); err == nil {
			_ = admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)").Error
			_ = models.CloseDB(admin)
		}
	})

	for run := 1; run <= 2; run++ {
		started := time.Now()
		p := startDev(t, env)
		t.Logf("run %d: up in %s", run, time.Since(started).Round(time.Millisecond))
		waitHTTP(t, "http://"+internalAddr+"/readyz", 200, 10*time.Second)
		waitHTTP(t, "http://"+httpAddr+"/healthz", 200, 10*time.Second)
		waitHTTP(t, "http://"+rtAddr+"/healthz", 200, 10*time.Second)
		waitHTTP(t, "http://"+uiAddr+"/namespaces/default/workflows", 200, 10*time.Second)

		// The namespace and every probe run so far are visible through Temporal:
		// the SQLite file in the data dir survived the restart.
		c, err := client.Dial(client.Options{HostPort: temporalAddr, Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var n int
		for {
			resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: "WorkflowType = 'ProbeWorkflow'"})
			if err == nil && int(resp.GetCount()) >= run {
				n = int(resp.GetCount())
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("run %d: probe workflows visible = %v, err %v", run, resp.GetCount(), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The worker keeps exactly one template-sync loop running.
		for {
			resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: "WorkflowType = 'TemplateSyncWorkflow' AND ExecutionStatus = 'Running'"})
			if err == nil && resp.GetCount() == 1 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("run %d: template-sync running = %v, err %v", run, resp.GetCount(), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if run == 1 {
			saveTimerHistory(t, c, workflows.TemplateSyncWorkflowID, "templatesync.json")
		}
		cancel()
		c.Close()
		if n != run {
			t.Fatalf("run %d: %d probe workflows, want %d", run, n, run)
		}

		// Ctrl-C stops everything cleanly, and the ports are free again.
		p.stop(t)
		for _, a := range []string{httpAddr, rtAddr, temporalAddr, uiAddr} {
			if l, err := net.Listen("tcp", a); err != nil {
				t.Fatalf("run %d: %s still taken after stop: %v", run, a, err)
			} else {
				_ = l.Close()
			}
		}
	}
}
