package realtime

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models"
)

// Presence values the gateway sets.
const (
	PresenceOnline  = "online"
	PresenceOffline = "offline"
)

// PresenceSink stores an agent's presence (the agents.presence column; the
// lead wires the models implementation).
type PresenceSink interface {
	SetPresence(ctx context.Context, agentID int64, presence string) error
}

// PresenceData is the data of an agent.presence event.
type PresenceData struct {
	AgentID  int64  `json:"agentId"`
	Presence string `json:"presence"`
}

// presence follows an agent's connections on this pod: online on the first
// one, offline after Grace with none. Pods learn about each other through the
// fanout itself: an "online" from another pod cancels a pending offline here
// (the agent moved), and an "offline" from another pod for an agent still
// connected here is answered with a fresh "online".
type presence struct {
	srv   *Server
	grace time.Duration

	mu      sync.Mutex
	agents  map[int64]*agentPresence
	own     map[int64]struct{} // ids of events this pod published (to ignore echoes)
	jobs    []presenceJob
	signal  chan struct{}
	pending int // outstanding timers + jobs, guarded by mu
}

type agentPresence struct {
	local   int
	teamIDs []int64
	timer   *time.Timer
}

type presenceJob struct {
	agentID  int64
	teamIDs  []int64
	presence string
}

func newPresence(s *Server, grace time.Duration) *presence {
	return &presence{srv: s, grace: grace, agents: map[int64]*agentPresence{}, own: map[int64]struct{}{}, signal: make(chan struct{}, 1)}
}

// enqueueLocked schedules a publication; jobs run in order on one goroutine.
func (p *presence) enqueueLocked(agentID int64, teamIDs []int64, state string) {
	p.pending++
	p.jobs = append(p.jobs, presenceJob{agentID, teamIDs, state})
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

func (p *presence) connected(pr models.Principal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.agents[pr.AgentID]
	if a == nil {
		a = &agentPresence{}
		p.agents[pr.AgentID] = a
	}
	a.local++
	a.teamIDs = pr.TeamIDs
	if a.timer != nil {
		// Came back within the grace period: still online, nothing to say.
		if a.timer.Stop() {
			p.pending--
		}
		a.timer = nil
		return
	}
	if a.local == 1 {
		p.enqueueLocked(pr.AgentID, pr.TeamIDs, PresenceOnline)
	}
}

func (p *presence) disconnected(agentID int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.agents[agentID]
	if a == nil {
		return
	}
	a.local--
	if a.local > 0 || a.timer != nil {
		return
	}
	p.startTimerLocked(agentID, a, p.grace)
}

func (p *presence) startTimerLocked(agentID int64, a *agentPresence, d time.Duration) {
	p.pending++
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if a.timer == t {
			a.timer = nil
			if a.local == 0 {
				p.enqueueLocked(agentID, a.teamIDs, PresenceOffline)
				delete(p.agents, agentID)
			}
		}
		p.pending--
	})
	a.timer = t
}

// observe sees every agent.presence event that reaches the pod.
func (p *presence) observe(e models.Event) {
	if e.Type != models.EventAgentPresence {
		return
	}
	var d PresenceData
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, mine := p.own[e.ID]; mine {
		delete(p.own, e.ID)
		return
	}
	a := p.agents[d.AgentID]
	if a == nil {
		return
	}
	switch d.Presence {
	case PresenceOnline:
		if a.local == 0 && a.timer != nil {
			// The agent is connected to another pod now.
			if a.timer.Stop() {
				p.pending--
			}
			a.timer = nil
			delete(p.agents, d.AgentID)
		}
	case PresenceOffline:
		if a.local > 0 {
			p.enqueueLocked(d.AgentID, a.teamIDs, PresenceOnline)
		}
	}
}

// run publishes presence changes in order until ctx is done.
func (p *presence) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.signal:
		}
		for {
			p.mu.Lock()
			jobs := p.jobs
			p.jobs = nil
			p.mu.Unlock()
			if len(jobs) == 0 {
				break
			}
			for _, j := range jobs {
				p.publish(ctx, j)
				p.mu.Lock()
				p.pending--
				p.mu.Unlock()
			}
		}
	}
}

func (p *presence) publish(ctx context.Context, j presenceJob) {
	s := p.srv
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if s.deps.Presence != nil {
		if err := s.deps.Presence.SetPresence(ctx, j.agentID, j.presence); err != nil {
			s.deps.Logger.Warn("realtime: set presence", "agent", j.agentID, "err", err)
		}
	}
	// Supervisors of the agent's teams see its presence, and so does the agent.
	e, err := models.NewEvent(models.EventAgentPresence, models.Audience{AgentIDs: []int64{j.agentID}, TeamIDs: j.teamIDs},
		PresenceData{AgentID: j.agentID, Presence: j.presence})
	if err != nil {
		s.deps.Logger.Warn("realtime: presence event", "err", err)
		return
	}
	if err := s.deps.Events.Append(ctx, s.deps.Events.DB, &e); err != nil {
		s.deps.Logger.Warn("realtime: append presence event", "agent", j.agentID, "err", err)
		return
	}
	p.mu.Lock()
	if len(p.own) > 10000 { // echoes lost in an AMQP outage must not pile up
		clear(p.own)
	}
	p.own[e.ID] = struct{}{}
	p.mu.Unlock()
	if s.deps.Publisher != nil {
		if err := s.deps.Publisher.Publish(ctx, e); err != nil {
			s.deps.Logger.Warn("realtime: publish presence event", "agent", j.agentID, "err", err)
		}
	}
}

// drain shortens pending offline timers to at most d and waits (until ctx)
// for them and for queued publications. Used at shutdown, while the feed
// still runs, so agents that reconnected to another pod cancel their timer.
func (p *presence) drain(ctx context.Context, d time.Duration) {
	p.mu.Lock()
	for id, a := range p.agents {
		if a.timer != nil && d < p.grace {
			if a.timer.Stop() {
				p.pending--
			}
			a.timer = nil
			p.startTimerLocked(id, a, d)
		}
	}
	p.mu.Unlock()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		p.mu.Lock()
		n := p.pending
		p.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
