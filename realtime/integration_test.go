package realtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/realtime"
)

// evTest is the type of the transport tests' events: a message event, which
// the test principals may read (tokenAuth.add).
const evTest = models.EventMessageCreated

// TestThreePods runs three pods on one RabbitMQ and one PostgreSQL and
// proves scoped delivery, failover with cursor resync, recovery from a
// broker connection loss without loss, and that pod queues go away.
func TestThreePods(t *testing.T) {
	// Not parallel: the outage check must see both pods disconnected within
	// their 3 s backoff, after rabbitmqctl (a CPU-hungry Erlang start per
	// call) closed their connections; beside other tests on a busy machine
	// that took longer and the pods were back before the check (seen once).
	e := newEnv(t, realtime.Options{PresenceGrace: 300 * time.Millisecond, DrainPresenceWait: 200 * time.Millisecond})
	e.minBackoff = 3 * time.Second
	e.auth.add("a1", models.Principal{AgentID: 1, TeamIDs: []int64{7}})
	e.auth.add("a2", models.Principal{AgentID: 2, TeamIDs: []int64{7}})
	e.auth.add("a3", models.Principal{AgentID: 3, TeamIDs: []int64{8}})
	e.auth.add("sup7", models.Principal{AgentID: 10, TeamIDs: []int64{7}, SupervisedTeamIDs: []int64{7}})
	e.auth.add("admin", models.Principal{AgentID: 99, AllScope: true})

	p0, p1, p2 := e.startPod("p0"), e.startPod("p1"), e.startPod("p2")

	// Agent 1 has two tabs on two pods; others are spread out.
	a1x := mustDial(t, "a1@p0", p0.addr, "a1", -1)
	a1y := mustDial(t, "a1@p1", p1.addr, "a1", -1)
	a2 := mustDial(t, "a2@p1", p1.addr, "a2", -1)
	a3 := mustDial(t, "a3@p2", p2.addr, "a3", -1)
	sup := mustDial(t, "sup7@p2", p2.addr, "sup7", -1)
	adm := mustDial(t, "admin@p0", p0.addr, "admin", -1)
	all := []*wsClient{a1x, a1y, a2, a3, sup, adm}
	everyone := models.Audience{AgentIDs: []int64{1, 2, 3, 10, 99}}

	// --- scoped delivery -------------------------------------------------
	toA1 := e.emit(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]any{"n": 1})
	toTeam7 := e.emit(evTest, models.Audience{AgentIDs: []int64{2}, TeamIDs: []int64{7}}, map[string]any{"n": 2})
	toA3 := e.emit(evTest, models.Audience{AgentIDs: []int64{3}}, map[string]any{"n": 3})
	// A sentinel for everyone: each pod handles its queue in order, so once
	// a socket has it, anything meant for it earlier has arrived too.
	sentinel := e.emit(evTest, everyone, map[string]any{"n": "sentinel"})
	for _, c := range all {
		c.waitEvents(10*time.Second, sentinel.ID)
	}
	want := map[*wsClient][]int64{
		a1x: {toA1.ID}, a1y: {toA1.ID}, a2: {toTeam7.ID}, a3: {toA3.ID},
		sup: {toTeam7.ID}, adm: {toA1.ID, toTeam7.ID, toA3.ID},
	}
	for _, c := range all {
		for _, ev := range []models.Event{toA1, toTeam7, toA3} {
			should := false
			for _, id := range want[c] {
				should = should || id == ev.ID
			}
			if c.has(ev.ID) != should {
				t.Errorf("%s: has event %d = %v, want %v", c.name, ev.ID, c.has(ev.ID), should)
			}
		}
	}

	// --- a pod stops: its clients move to another pod and miss nothing ----
	q1 := p1.consumer.QueueName()
	if q1 == "" || !queueExists(t, e.amqp, q1) {
		t.Fatalf("pod p1 queue %q should exist while it runs", q1)
	}
	p1.stop(t)
	for _, c := range []*wsClient{a1y, a2} {
		code, text := c.waitClosed(5 * time.Second)
		if code != websocket.CloseServiceRestart {
			t.Errorf("%s: close code %d (%q), want 1012", c.name, code, text)
		}
	}
	if queueExists(t, e.amqp, q1) {
		t.Errorf("queue %s of the stopped pod still exists", q1)
	}
	if _, resp, err := dialWS(t, "late", p1.addr, "a1", -1); err == nil {
		t.Errorf("stopped pod still accepts sockets (%v)", resp)
	}
	// Events while a1y and a2 are disconnected.
	var missed []int64
	for i := range 5 {
		missed = append(missed, e.emit(evTest, models.Audience{AgentIDs: []int64{1, 2}}, map[string]any{"gap": i}).ID)
	}
	a1z := mustDial(t, "a1@p2", p2.addr, "a1", a1y.cursor())
	a2b := mustDial(t, "a2@p0", p0.addr, "a2", a2.cursor())
	a1z.waitEvents(10*time.Second, missed...)
	a2b.waitEvents(10*time.Second, missed...)
	// ... and live events keep coming after the replay.
	live := e.emit(evTest, models.Audience{AgentIDs: []int64{1, 2}}, map[string]any{"n": "live"})
	a1z.waitEvents(10*time.Second, live.ID)
	a2b.waitEvents(10*time.Second, live.ID)
	a1x.waitEvents(10*time.Second, append(missed, live.ID)...) // never disconnected
	assertOrdered(t, a1z)
	// Presence across pods: p1 said agent 1 went offline when it stopped,
	// but agent 1 still had a tab on p0, which answered with "online"; agent
	// 2 came back on p0.
	eventually(t, 5*time.Second, "agents 1 and 2 online again", func() bool {
		return e.pres.get(1) == realtime.PresenceOnline && e.pres.get(2) == realtime.PresenceOnline
	})
	time.Sleep(500 * time.Millisecond) // longer than the grace period
	if e.pres.get(1) != realtime.PresenceOnline || e.pres.get(2) != realtime.PresenceOnline {
		t.Errorf("presence after failover: 1=%s 2=%s, want online", e.pres.get(1), e.pres.get(2))
	}
	e.pres.mu.Lock()
	log1 := strings.Join(e.pres.log, " ")
	e.pres.mu.Unlock()
	if i := strings.Index(log1, "1:offline"); i < 0 || !strings.Contains(log1[i:], "1:online") {
		t.Errorf("presence log %q: want p1's offline for agent 1 answered by p0's online", log1)
	}

	// --- the broker drops every connection of the pods and the producer ---
	before0, before2 := counter(t, p0.reg, "scrm_realtime_amqp_reconnects_total"), counter(t, p2.reg, "scrm_realtime_amqp_reconnects_total")
	oldQ0 := p0.consumer.QueueName()
	if n := closeConnections(t, e.tag); n < 3 {
		t.Fatalf("closed %d broker connections, want at least 3 (2 pods + producer)", n)
	}
	// Publish during the outage: the producer reconnects itself, but the
	// pods wait MinBackoff before re-subscribing, so these events reach no
	// queue and can only arrive through the pods' replay from the events table.
	eventually(t, 5*time.Second, "pods notice the loss", func() bool {
		return !p0.consumer.Connected() && !p2.consumer.Connected()
	})
	var during []int64
	for i := range 5 {
		during = append(during, e.emit(evTest, models.Audience{AgentIDs: []int64{1, 2, 3}}, map[string]any{"outage": i}).ID)
	}
	if p0.consumer.Connected() || p2.consumer.Connected() {
		t.Fatal("a pod re-subscribed before the outage events were published; the test proves nothing")
	}
	eventually(t, 15*time.Second, "pods re-subscribed", func() bool {
		return p0.consumer.Connected() && p2.consumer.Connected() &&
			counter(t, p0.reg, "scrm_realtime_amqp_reconnects_total") > before0 &&
			counter(t, p2.reg, "scrm_realtime_amqp_reconnects_total") > before2
	})
	if p0.consumer.QueueName() == oldQ0 || queueExists(t, e.amqp, oldQ0) {
		t.Errorf("old queue %s should be gone after the connection loss", oldQ0)
	}
	after := e.emit(evTest, models.Audience{AgentIDs: []int64{1, 2, 3}}, map[string]any{"n": "after"})
	for _, c := range []*wsClient{a1x, a1z, a2b, a3} {
		c.waitEvents(15*time.Second, append(during, after.ID)...)
	}
	for _, c := range []*wsClient{a1x, a1z, a2b, a3, sup, adm} {
		select {
		case <-c.closed:
			t.Errorf("%s was disconnected by the broker outage", c.name)
		default:
		}
	}

	// --- stop everything: the queues disappear ---------------------------
	q0, q2 := p0.consumer.QueueName(), p2.consumer.QueueName()
	p0.stop(t)
	p2.stop(t)
	for _, q := range []string{q0, q2} {
		if queueExists(t, e.amqp, q) {
			t.Errorf("queue %s still exists after its pod stopped", q)
		}
	}
}

func assertOrdered(t *testing.T, c *wsClient) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 1; i < len(c.order); i++ {
		if c.order[i] < c.order[i-1] && c.events[c.order[i]] == evTest {
			t.Errorf("%s: replayed events out of order: %v", c.name, c.order)
			return
		}
	}
}

// TestPresence: online on the first connection, offline after the grace
// period, and a tab reopened within the grace keeps the agent online.
func TestPresence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{PresenceGrace: 400 * time.Millisecond, DrainPresenceWait: 100 * time.Millisecond})
	e.auth.add("a5", models.Principal{AgentID: 5, TeamIDs: []int64{3}})
	e.auth.add("sup3", models.Principal{AgentID: 6, SupervisedTeamIDs: []int64{3}})
	e.auth.add("a7", models.Principal{AgentID: 7, TeamIDs: []int64{4}})
	p := e.startPod("p")
	sup := mustDial(t, "sup3", p.addr, "sup3", -1)
	other := mustDial(t, "a7", p.addr, "a7", -1)

	c := mustDial(t, "a5", p.addr, "a5", -1)
	eventually(t, 5*time.Second, "agent 5 online", func() bool { return e.pres.get(5) == realtime.PresenceOnline })
	onlineID := presenceEvent(t, e, 5, realtime.PresenceOnline)
	sup.waitEvents(5*time.Second, onlineID)

	// Close and reopen within the grace period: no offline.
	_ = c.conn.Close()
	c2 := mustDial(t, "a5 again", p.addr, "a5", -1)
	time.Sleep(700 * time.Millisecond)
	if got := e.pres.get(5); got != realtime.PresenceOnline {
		t.Fatalf("presence %q after a quick reconnect, want online", got)
	}
	_ = c2.conn.Close()
	eventually(t, 5*time.Second, "agent 5 offline", func() bool { return e.pres.get(5) == realtime.PresenceOffline })
	offlineID := presenceEvent(t, e, 5, realtime.PresenceOffline)
	sup.waitEvents(5*time.Second, offlineID)
	// An agent of another team does not see it.
	time.Sleep(200 * time.Millisecond)
	if other.has(onlineID) || other.has(offlineID) {
		t.Errorf("agent 7 saw agent 5's presence")
	}
}

func presenceEvent(t *testing.T, e *env, agentID int64, state string) int64 {
	t.Helper()
	var id int64
	eventually(t, 5*time.Second, "presence event in the events table", func() bool {
		evs, err := e.store.After(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var d realtime.PresenceData
			if ev.Type == models.EventAgentPresence && json.Unmarshal(ev.Data, &d) == nil && d.AgentID == agentID && d.Presence == state {
				id = ev.ID
			}
		}
		return id != 0
	})
	return id
}

// TestPodTailsEventsNeverPublished: an event committed but never published
// (its producer died with it queued) reaches the connected clients from
// the events table, once; one that arrives through RabbitMQ is not sent
// again by the tail.
func TestPodTailsEventsNeverPublished(t *testing.T) {
	e := newEnv(t, realtime.Options{TailEvery: 200 * time.Millisecond, TailGrace: 300 * time.Millisecond})
	p := e.startPod("p")
	e.auth.add("a1", models.Principal{AgentID: 1})
	c := mustDial(t, "a1", p.addr, "a1", -1)
	live := e.emit(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]any{"n": "live"})
	c.waitEvents(10*time.Second, live.ID)
	orphan := e.append(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]any{"n": "never published"})
	c.waitEvents(10*time.Second, orphan.ID)
	time.Sleep(time.Second) // several more ticks: nothing is sent twice
	c.mu.Lock()
	n := 0
	for _, id := range c.order {
		if id == live.ID || id == orphan.ID {
			n++
		}
	}
	c.mu.Unlock()
	if n != 2 {
		t.Fatalf("client got the two events %d times, want once each", n)
	}
	if v := counter(t, p.reg, "scrm_realtime_events_tailed_total"); v != 1 {
		t.Fatalf("tailed %v events, want 1 (the unpublished one)", v)
	}
}
