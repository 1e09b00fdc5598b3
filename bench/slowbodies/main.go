// Command slowbodies measures what slow unauthenticated webhook bodies
// cost the api (issue #17 finding 6): it starts the api's HTTP server in a
// child process, opens -conns connections that each declare a 4 MiB body
// with a well-formed (wrong) signature and drip it over -over, and reports
// the child's RSS growth (peak VmRSS minus the idle RSS) and how the
// connections ended. Run: go run ./bench/slowbodies
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api"
)

func main() {
	serve := flag.Bool("serve", false, "run the api server (the child)")
	conns := flag.Int("conns", 40, "slow connections")
	over := flag.Duration("over", 30*time.Second, "how long each body takes to send")
	size := flag.Int("size", 4<<20, "declared body size")
	flag.Parse()
	if *serve {
		serveAPI()
		return
	}
	child := exec.Command(os.Args[0], "-serve")
	out, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	must(child.Start())
	defer func() { _ = child.Process.Kill() }()
	addr, _ := bufio.NewReader(out).ReadString('\n')
	addr = strings.TrimSpace(addr)
	time.Sleep(500 * time.Millisecond)
	idle := rss(child.Process.Pid)

	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range *conns {
		wg.Go(func() {
			r := drip(addr, *size, *over)
			mu.Lock()
			outcomes[r]++
			mu.Unlock()
		})
	}
	peak := idle
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(200 * time.Millisecond)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			peak = max(peak, rss(child.Process.Pid))
		}
	}
	fmt.Printf("%d slow connections, %d-byte bodies over %s: api RSS idle %.1f MiB, peak %.1f MiB, growth %.1f MiB; ended after %s: %v\n",
		*conns, *size, *over, mib(idle), mib(peak), mib(peak-idle), time.Since(start).Round(time.Second), outcomes)
}

// drip sends the headers, then the body a slice at a time, and returns how
// the server answered (status line, or the error that ended the connection).
func drip(addr string, size int, over time.Duration) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer func() { _ = c.Close() }()
	sig := "sha256=" + strings.Repeat("0", 64)
	fmt.Fprintf(c, "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Hub-Signature-256: %s\r\n\r\n", size, sig)
	answer := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			answer <- "closed"
			return
		}
		answer <- strings.TrimSpace(strings.TrimPrefix(line, "HTTP/1.1 "))
	}()
	steps := int(over / (100 * time.Millisecond))
	chunk := []byte(strings.Repeat("a", size/steps))
	for range steps {
		select {
		case a := <-answer:
			return a
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write(chunk); err != nil {
			select {
			case a := <-answer:
				return a
			case <-time.After(time.Second):
				return "write failed"
			}
		}
	}
	select {
	case a := <-answer:
		return a
	case <-time.After(5 * time.Second):
		return "no answer"
	}
}

func serveAPI() {
	log := slog.New(slog.DiscardHandler)
	srv := api.New(api.Deps{Logger: log, Registry: prometheus.NewRegistry(), WABAAppSecret: "bench-secret", ShutdownTimeout: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	fmt.Println(ln.Addr().String())
	must(srv.Serve(context.Background(), ln))
}

func rss(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func must(err error) {
	if err != nil {
		panic(err)
	}
}
