package realtime

import (
	"context"
	"sync"
	"time"
)

// The events table is the durable record; RabbitMQ is only the fast path
// to the pods. An event can be committed and never published: its
// producer died with it queued (an api SIGKILLed, drill g), or the broker
// lost it. Clients resync only when they reconnect, and a pod replays only
// when its queue is bound again, so such an event reached nobody (the
// drill counted 66 agent-deliveries lost). Every pod therefore also tails
// the table: each TailEvery it reads what arrived since it last looked
// (with the resync overlap, for out-of-order commits) and delivers the
// events it has not delivered and that are older than TailGrace (by then
// the fast path has had its chance, so a live event is not sent twice).

// recentIDs remembers the ids a pod delivered lately (bounded).
type recentIDs struct {
	mu   sync.Mutex
	set  map[int64]struct{}
	ring []int64
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[int64]struct{}, n), ring: make([]int64, n)}
}

func (r *recentIDs) add(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[id]; ok {
		return
	}
	if old := r.ring[r.next]; old != 0 {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % len(r.ring)
	r.set[id] = struct{}{}
}

func (r *recentIDs) has(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[id]
	return ok
}

func (s *Server) tailLoop(ctx context.Context) {
	if s.opts.TailEvery < 0 {
		return
	}
	from := s.maxSeen.Load()
	var latest int64
	t := time.NewTicker(s.opts.TailEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		// Idle pods cost one index lookup a tick.
		l, err := s.deps.Events.Latest(qctx)
		if err != nil || (l == latest && l <= from) {
			cancel()
			continue
		}
		latest = l
		evs, err := s.deps.Events.After(qctx, max(from-s.opts.ResyncOverlap, 0), 5000)
		cancel()
		if err != nil {
			continue
		}
		cutoff := time.Now().Add(-s.opts.TailGrace)
		for _, e := range evs {
			if e.TS.After(cutoff) {
				break // too young: the fast path may still bring it; next tick
			}
			from = max(from, e.ID)
			if s.recent.has(e.ID) {
				continue
			}
			s.metrics.tailed.Inc()
			s.deliver(e)
		}
	}
}
