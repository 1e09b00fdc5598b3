package realtime

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wabascrm/scrm/models"
)

// wireEvent is what a client receives: the audience stays on the server.
type wireEvent struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"`
	TS   time.Time       `json:"ts"`
	Data json.RawMessage `json:"data"`
}

func encodeEvent(e models.Event) []byte {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	b, err := json.Marshal(wireEvent{ID: e.ID, Type: e.Type, TS: e.TS, Data: data})
	if err != nil {
		// Data is RawMessage from a JSONB column or json.Marshal: it is valid.
		b, _ = json.Marshal(wireEvent{ID: e.ID, Type: e.Type, TS: e.TS, Data: json.RawMessage("{}")})
	}
	return b
}

// hub indexes the connections of one pod. It is sharded by agent id so that
// pushes for different agents never contend on one lock.
//
// A "narrow" principal (no AllScope, no supervised teams) can only see events
// whose audience names it, so it is found by agent id. "Broad" principals
// (admins, supervisors) are few; they are checked with CanSee on every event.
type hub struct {
	shards []shard
	broad  atomic.Int64 // number of broad clients, to skip the scan when 0
	// presence hears 0->1 and 1->0 transitions of an agent's local connections.
	onFirst func(p models.Principal)
	onLast  func(agentID int64)
}

type shard struct {
	mu     sync.RWMutex
	narrow map[int64]map[*client]struct{}
	// queue indexes narrow clients that take from their teams' queue
	// (models.Principal.TakesFromQueue) by team, for queue events.
	queue   map[int64]map[*client]struct{}
	broad   map[*client]struct{}
	perUser map[int64]int
}

func newHub(n int, onFirst func(models.Principal), onLast func(int64)) *hub {
	if n <= 0 {
		n = 32
	}
	h := &hub{shards: make([]shard, n), onFirst: onFirst, onLast: onLast}
	for i := range h.shards {
		h.shards[i] = shard{narrow: map[int64]map[*client]struct{}{}, queue: map[int64]map[*client]struct{}{}, broad: map[*client]struct{}{}, perUser: map[int64]int{}}
	}
	return h
}

func (h *hub) shardOf(agentID int64) *shard {
	i := agentID % int64(len(h.shards))
	if i < 0 {
		i = -i
	}
	return &h.shards[i]
}

func isBroad(p *models.Principal) bool { return p.AllScope || len(p.SupervisedTeamIDs) > 0 }

func (s *shard) insert(c *client, p *models.Principal) {
	if isBroad(p) {
		s.broad[c] = struct{}{}
		return
	}
	m := s.narrow[p.AgentID]
	if m == nil {
		m = map[*client]struct{}{}
		s.narrow[p.AgentID] = m
	}
	m[c] = struct{}{}
	if p.TakesFromQueue() {
		for _, t := range p.TeamIDs {
			q := s.queue[t]
			if q == nil {
				q = map[*client]struct{}{}
				s.queue[t] = q
			}
			q[c] = struct{}{}
		}
	}
}

func (s *shard) remove(c *client, p *models.Principal) {
	if isBroad(p) {
		delete(s.broad, c)
		return
	}
	if m := s.narrow[p.AgentID]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(s.narrow, p.AgentID)
		}
	}
	for _, t := range p.TeamIDs {
		if q := s.queue[t]; q != nil {
			delete(q, c)
			if len(q) == 0 {
				delete(s.queue, t)
			}
		}
	}
}

// register adds c unless its agent already holds maxPerAgent connections on
// this pod (0: no cap); false means refused.
func (h *hub) register(c *client, maxPerAgent int) bool {
	p := c.principal.Load()
	s := h.shardOf(p.AgentID)
	s.mu.Lock()
	if maxPerAgent > 0 && s.perUser[p.AgentID] >= maxPerAgent {
		s.mu.Unlock()
		return false
	}
	s.insert(c, p)
	s.perUser[p.AgentID]++
	first := s.perUser[p.AgentID] == 1
	if isBroad(p) {
		h.broad.Add(1)
	}
	// Presence transitions are reported under the shard lock so that a
	// connect and a disconnect of one agent reach the tracker in order.
	if first && h.onFirst != nil {
		h.onFirst(*p)
	}
	s.mu.Unlock()
	return true
}

// of lists the local connections of one agent (narrow or broad).
func (h *hub) of(agentID int64) []*client {
	s := h.shardOf(agentID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*client
	for c := range s.narrow[agentID] {
		out = append(out, c)
	}
	for c := range s.broad {
		if c.principal.Load().AgentID == agentID {
			out = append(out, c)
		}
	}
	return out
}

func (h *hub) unregister(c *client) {
	p := c.principal.Load()
	s := h.shardOf(p.AgentID)
	s.mu.Lock()
	s.remove(c, p)
	if isBroad(p) {
		h.broad.Add(-1)
	}
	s.perUser[p.AgentID]--
	last := s.perUser[p.AgentID] <= 0
	if last {
		delete(s.perUser, p.AgentID)
		if h.onLast != nil {
			h.onLast(p.AgentID)
		}
	}
	s.mu.Unlock()
}

// setPrincipal swaps a client's principal (after re-validation) and moves it
// between the narrow and broad indexes if its scope changed. The agent id is
// unchanged (the caller refuses a token of another agent).
func (h *hub) setPrincipal(c *client, np models.Principal) {
	s := h.shardOf(np.AgentID)
	s.mu.Lock()
	old := c.principal.Load()
	s.remove(c, old)
	if isBroad(old) {
		h.broad.Add(-1)
	}
	c.principal.Store(&np)
	s.insert(c, &np)
	if isBroad(&np) {
		h.broad.Add(1)
	}
	s.mu.Unlock()
}

// dispatch pushes e to every local connection allowed to see it and returns
// how many connections it was queued on.
func (h *hub) dispatch(e models.Event) int {
	var frame []byte
	n := 0
	push := func(c *client) {
		if !c.principal.Load().MayReceive(e) {
			return
		}
		if frame == nil {
			frame = encodeEvent(e)
		}
		if c.pushEvent(e.ID, frame) {
			n++
		}
	}
	// Narrow clients: only the shards of the named agents.
	for i, id := range e.Audience.AgentIDs {
		if dup(e.Audience.AgentIDs[:i], id) {
			continue
		}
		s := h.shardOf(id)
		s.mu.RLock()
		for c := range s.narrow[id] {
			push(c)
		}
		s.mu.RUnlock()
	}
	// Queue events (an unassigned conversation): the narrow clients of the
	// teams' members who take from the queue, once each (those named above
	// were pushed already; a member of two of the teams counts once).
	if e.Audience.Queue {
		for i := range h.shards {
			s := &h.shards[i]
			s.mu.RLock()
			for j, t := range e.Audience.TeamIDs {
				for c := range s.queue[t] {
					p := c.principal.Load()
					if dup(e.Audience.AgentIDs, p.AgentID) || inAny(p.TeamIDs, e.Audience.TeamIDs[:j]) {
						continue
					}
					push(c)
				}
			}
			s.mu.RUnlock()
		}
	}
	if h.broad.Load() > 0 {
		for i := range h.shards {
			s := &h.shards[i]
			s.mu.RLock()
			for c := range s.broad {
				push(c)
			}
			s.mu.RUnlock()
		}
	}
	return n
}

// inAny reports whether any of ids is in set.
func inAny(ids, set []int64) bool {
	for _, id := range ids {
		if dup(set, id) {
			return true
		}
	}
	return false
}

func dup(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// snapshot lists all clients (callers act on them without hub locks).
func (h *hub) snapshot() []*client {
	var out []*client
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.RLock()
		for _, m := range s.narrow {
			for c := range m {
				out = append(out, c)
			}
		}
		for c := range s.broad {
			out = append(out, c)
		}
		s.mu.RUnlock()
	}
	return out
}

func (h *hub) count() int {
	n := 0
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.RLock()
		for _, m := range s.narrow {
			n += len(m)
		}
		n += len(s.broad)
		s.mu.RUnlock()
	}
	return n
}
