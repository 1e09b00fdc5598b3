package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Scenario k measures what a window-open costs all in (api, worker,
// Temporal server, PostgreSQL, realtime), from /proc CPU counters of the
// drill's own processes: phase A offers one message from each of n NEW
// customers (each opens a window: a window_signals row, the relay's
// signal-with-start, the ConversationWorkflow's start and its
// activities); phase B the same n customers' second message (inside the
// window: no Temporal at all). Both phases last equally long (offer, then
// the outbox drained and a fixed settle), so idle CPU cancels out and
// A - B is the window-open.
func runCost(ctx context.Context, s *stack, cfg config) (row, error) {
	n, rate := 1000, 50
	if cfg.short {
		n = 400
	}
	r := row{scenario: "k. cost of a window-open", fault: "none (measurement)"}
	base := 900000 // customers no other scenario uses
	d := time.Duration(n/rate) * time.Second
	phase := func(key string) (map[string]time.Duration, *metaSender, error) {
		sender := newMetaSender(s.apiAddrs(), "cost"+key+randHex(3), n, base)
		c0 := s.cpuByRole()
		sender.offer(ctx, rate, d)
		sender.wg.Wait()
		if _, err := waitWindowSignals(ctx, s.dbURL, 60*time.Second); err != nil {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(10 * time.Second): // the workflows' activities and timers settle
		}
		c1 := s.cpuByRole()
		out := map[string]time.Duration{}
		for k, v := range c1 {
			out[k] = v - c0[k]
		}
		return out, sender, nil
	}
	a, sa, err := phase("A")
	if err != nil {
		return r, err
	}
	b, sb, err := phase("B")
	if err != nil {
		return r, err
	}
	lost, dup := 0, 0
	for _, sd := range []*metaSender{sa, sb} {
		m, du, err := checkStored(ctx, s.dbURL, sd.prefix, sd.ackedSet())
		if err != nil {
			return r, err
		}
		lost += m + n - len(sd.ackedSet())
		dup += du
	}
	var roles []string
	for k := range a {
		roles = append(roles, k)
	}
	sort.Strings(roles)
	var parts []string
	var ta, tb time.Duration
	for _, k := range roles {
		ta, tb = ta+a[k], tb+b[k]
		parts = append(parts, fmt.Sprintf("%s %.1f", k, float64((a[k]-b[k]).Microseconds())/1000/float64(n)))
	}
	perOpen := float64((ta - tb).Microseconds()) / 1000 / float64(n)
	r.load = fmt.Sprintf("%d new customers at %d/s (one message each: %d windows opened), then their %d second messages", n, rate, n, n)
	r.lost, r.dup = strconv.Itoa(lost), strconv.Itoa(dup)
	r.ok = lost == 0 && dup == 0
	la, _ := os.ReadFile("/proc/loadavg")
	r.note = fmt.Sprintf("CPU per window-open all in: %.1f ms (a first message %.1f ms, a message inside the window %.1f ms); by role (ms per open): %s; load average %s",
		perOpen, float64(ta.Microseconds())/1000/float64(n), float64(tb.Microseconds())/1000/float64(n), strings.Join(parts, ", "),
		strings.TrimSpace(string(la)))
	return r, nil
}

// cpuByRole sums user+system CPU of the drill's processes by role, and of
// its PostgreSQL cluster (the postmaster, its live backends, and the
// children it has reaped).
func (s *stack) cpuByRole() map[string]time.Duration {
	out := map[string]time.Duration{}
	add := func(role string, p *proc) {
		if p == nil {
			return
		}
		p.mu.Lock()
		cmd := p.cmd
		p.mu.Unlock()
		if cmd == nil || cmd.Process == nil {
			return
		}
		u, st, _, _, _ := procStat(cmd.Process.Pid)
		out[role] += u + st
	}
	add("api", s.api)
	add("api", s.api2)
	add("worker", s.work)
	add("worker", s.work2)
	add("temporal", s.temporal)
	add("wabasim", s.sim)
	for _, p := range s.rt {
		add("realtime", p)
	}
	raw, err := os.ReadFile(filepath.Join(s.pgData, "postmaster.pid"))
	if err != nil {
		return out
	}
	pm, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	u, st, cu, cs, _ := procStat(pm)
	out["postgres"] += u + st + cu + cs
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if u, st, _, _, ppid := procStat(pid); ppid == pm {
			out["postgres"] += u + st
		}
	}
	return out
}

// procStat reads utime, stime, cutime, cstime and the parent of pid from
// /proc/<pid>/stat (clock ticks of 10 ms).
func procStat(pid int) (u, s, cu, cs time.Duration, ppid int) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return
	}
	str := string(raw)
	f := strings.Fields(str[strings.LastIndexByte(str, ')')+2:])
	if len(f) < 15 {
		return
	}
	tick := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(v) * 10 * time.Millisecond
	}
	ppid, _ = strconv.Atoi(f[1])
	return tick(11), tick(12), tick(13), tick(14), ppid
}
