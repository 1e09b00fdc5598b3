package realtime

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

type fixedAuth map[string]models.Principal

var inboxRead = []models.Permission{models.PermInboxRead}

func (f fixedAuth) Authenticate(_ context.Context, tok string) (models.Principal, error) {
	if p, ok := f[tok]; ok {
		return p, nil
	}
	return models.Principal{}, models.Errorf(models.EUnauthorized, "bad token")
}

// TestSlowConsumerDropped: a socket that stops reading is disconnected
// when its bounded queue fills, the pod never blocks on it, and a healthy
// socket keeps receiving.
func TestSlowConsumerDropped(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	reg := prometheus.NewRegistry()
	s := New(Deps{
		Registerer: reg, Events: models.EventStore{DB: db.Gorm},
		Auth:    fixedAuth{"slow": {AgentID: 1, Permissions: inboxRead}, "fast": {AgentID: 2, Permissions: inboxRead}},
		Options: Options{SendQueueLen: 16, WriteTimeout: 300 * time.Millisecond},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	dial := func(tok string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteJSON(map[string]string{"type": "auth", "token": tok}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	slow := dial("slow") // never read
	fast := dial("fast")
	got := make(chan int64, 10000)
	go func() {
		for {
			_, raw, err := fast.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ ID int64 }
			_ = json.Unmarshal(raw, &m)
			if m.ID > 0 {
				got <- m.ID
			}
		}
	}()
	for s.hub.count() < 2 {
		time.Sleep(10 * time.Millisecond)
	}

	big, _ := json.Marshal(map[string]string{"blob": strings.Repeat("x", 64<<10)})
	start := time.Now()
	for i := range 400 {
		s.deliver(models.Event{ID: int64(i + 1), Type: models.EventMessageCreated, Data: big, Audience: models.Audience{AgentIDs: []int64{1}}})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("400 pushes to a stuck socket took %s: the pod blocked", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.hub.count() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.hub.count(); n != 1 {
		t.Fatalf("%d connections left, want only the fast one", n)
	}
	if v := gathered(t, reg, "scrm_realtime_drops_total", "slow_consumer"); v < 1 {
		t.Errorf("slow_consumer drops = %v", v)
	}
	s.deliver(models.Event{ID: 1000, Type: models.EventMessageCreated, Data: json.RawMessage(`{}`), Audience: models.Audience{AgentIDs: []int64{2}}})
	select {
	case id := <-got:
		if id != 1000 {
			t.Errorf("fast got %d", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("healthy socket starved")
	}
	_ = slow
}

// TestHubScope: dispatch applies Principal.CanSee through the sharded
// index (narrow by agent id, broad by scan).
func TestHubScope(t *testing.T) {
	t.Parallel()
	s := &Server{opts: Options{}.withDefaults(), metrics: newMetrics(nil)}
	h := newHub(4, nil, nil)
	s.hub = h
	mk := func(p models.Principal) *client {
		// writing=true: no writer goroutine (there is no socket); frames
		// stay in the queue for inspection.
		c := &client{srv: s, writing: true}
		c.principal.Store(&p)
		h.register(c, 0)
		return c
	}
	inbox := []models.Permission{models.PermInboxRead}
	a1 := mk(models.Principal{AgentID: 1, Permissions: inbox})
	a5 := mk(models.Principal{AgentID: 5, Permissions: inbox}) // same shard as 1 with 4 shards
	sup := mk(models.Principal{AgentID: 9, SupervisedTeamIDs: []int64{3}, Permissions: inbox})
	adm := mk(models.Principal{AgentID: 8, AllScope: true, Permissions: inbox})
	cases := []struct {
		aud  models.Audience
		want []*client
	}{
		{models.Audience{AgentIDs: []int64{1}}, []*client{a1, adm}},
		{models.Audience{AgentIDs: []int64{1, 1, 5}}, []*client{a1, a5, adm}},
		{models.Audience{TeamIDs: []int64{3}}, []*client{sup, adm}},
		{models.Audience{AgentIDs: []int64{9}, TeamIDs: []int64{3}}, []*client{sup, adm}},
		{models.Audience{}, []*client{adm}},
	}
	for i, tc := range cases {
		for _, c := range []*client{a1, a5, sup, adm} {
			c.queue = nil
		}
		n := h.dispatch(models.Event{ID: int64(i + 1), Type: models.EventMessageCreated, Audience: tc.aud})
		if n != len(tc.want) {
			t.Errorf("case %d: delivered to %d, want %d", i, n, len(tc.want))
		}
		for _, c := range tc.want {
			if len(c.queue) != 1 {
				t.Errorf("case %d: agent %d got %d frames, want 1", i, c.principal.Load().AgentID, len(c.queue))
			}
		}
	}
	// Losing supervision moves the client out of the broad set.
	h.setPrincipal(sup, models.Principal{AgentID: 9, Permissions: inbox})
	sup.queue = nil
	h.dispatch(models.Event{ID: 99, Type: models.EventMessageCreated, Audience: models.Audience{TeamIDs: []int64{3}}})
	if len(sup.queue) != 0 {
		t.Error("former supervisor still receives team events")
	}
	if h.broad.Load() != 1 {
		t.Errorf("broad = %d, want 1 (admin)", h.broad.Load())
	}
}

// TestHubQueueEvents: an unassigned conversation's events (Audience.Queue)
// reach the members of its team who take from the queue (inbox:take),
// once each, and nobody else; a member who loses the permission or the
// team stops hearing them.
func TestHubQueueEvents(t *testing.T) {
	t.Parallel()
	s := &Server{opts: Options{}.withDefaults(), metrics: newMetrics(nil)}
	h := newHub(4, nil, nil)
	s.hub = h
	mk := func(p models.Principal) *client {
		c := &client{srv: s, writing: true}
		c.principal.Store(&p)
		h.register(c, 0)
		return c
	}
	take := []models.Permission{models.PermInboxRead, models.PermInboxTake}
	m1 := mk(models.Principal{AgentID: 1, TeamIDs: []int64{3}, Permissions: take})
	m2 := mk(models.Principal{AgentID: 2, TeamIDs: []int64{3, 4}, Permissions: take})
	m2b := mk(models.Principal{AgentID: 2, TeamIDs: []int64{3, 4}, Permissions: take}) // a second tab
	noTake := mk(models.Principal{AgentID: 5, TeamIDs: []int64{3}, Permissions: []models.Permission{models.PermInboxRead}})
	other := mk(models.Principal{AgentID: 6, TeamIDs: []int64{7}, Permissions: take})
	all := []*client{m1, m2, m2b, noTake, other}
	cases := []struct {
		aud  models.Audience
		want []*client
	}{
		{models.Audience{TeamIDs: []int64{3}, Queue: true}, []*client{m1, m2, m2b}},
		{models.Audience{TeamIDs: []int64{3}}, nil},                                                          // a team's event that is no queue event
		{models.Audience{AgentIDs: []int64{1}, TeamIDs: []int64{3, 3}, Queue: true}, []*client{m1, m2, m2b}}, // taken by 1: once each
		{models.Audience{TeamIDs: []int64{3, 4}, Queue: true}, []*client{m1, m2, m2b}},                       // moved between two of m2's teams
		{models.Audience{TeamIDs: []int64{7}, Queue: true}, []*client{other}},
	}
	for i, tc := range cases {
		for _, c := range all {
			c.queue = nil
		}
		n := h.dispatch(models.Event{ID: int64(i + 1), Type: models.EventMessageCreated, Audience: tc.aud})
		if n != len(tc.want) {
			t.Errorf("case %d: delivered to %d, want %d", i, n, len(tc.want))
		}
		for _, c := range all {
			want := 0
			for _, w := range tc.want {
				if w == c {
					want = 1
				}
			}
			if len(c.queue) != want {
				t.Errorf("case %d: agent %d got %d frames, want %d", i, c.principal.Load().AgentID, len(c.queue), want)
			}
		}
	}
	h.setPrincipal(m1, models.Principal{AgentID: 1, TeamIDs: []int64{3}, Permissions: []models.Permission{models.PermInboxRead}})
	h.setPrincipal(m2, models.Principal{AgentID: 2, TeamIDs: []int64{4}, Permissions: take})
	for _, c := range all {
		c.queue = nil
	}
	h.dispatch(models.Event{ID: 50, Type: models.EventMessageCreated, Audience: models.Audience{TeamIDs: []int64{3}, Queue: true}})
	if len(m1.queue) != 0 || len(m2.queue) != 0 || len(m2b.queue) != 1 {
		t.Errorf("after losing inbox:take / the team: m1 %d, m2 %d, m2b %d frames", len(m1.queue), len(m2.queue), len(m2b.queue))
	}
	h.unregister(m2b)
	if len(h.shardOf(2).queue[3]) != 0 {
		t.Error("an unregistered client stays in the queue index")
	}
}

func gathered(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
