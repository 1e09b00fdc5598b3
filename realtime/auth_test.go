package realtime_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/realtime"
)

func TestUnknownTokenRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{})
	e.auth.add("good", models.Principal{AgentID: 1})
	p := e.startPod("p")

	// A token in the URL is refused before the upgrade with a JSON 400
	// naming the field (URLs land in access logs and browser history).
	raw, resp, err := websocket.DefaultDialer.Dial("ws://"+p.addr+"/ws?token=good", nil)
	if err == nil {
		_ = raw.Close()
		t.Fatal("token in the URL accepted")
	}
	var body struct {
		Error struct{ Code, Field string }
	}
	if resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("token in URL: %v, want 400", resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error.Code != "invalid" || body.Error.Field != "token" {
		t.Errorf("400 body = %+v (%v)", body, err)
	}

	// A bad cursor is a 400 naming the field.
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+p.addr+"/ws?cursor=x", nil)
	if err == nil {
		_ = conn.Close()
		t.Fatal("cursor=x accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("cursor=x: %v, want 400", resp)
	}

	// First-message auth: an unknown token is closed with 1008.
	c, _, err := dialWS(t, "msgauth-bad", p.addr, "", -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.conn.WriteJSON(map[string]string{"type": "auth", "token": "nope"}); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.waitClosed(5 * time.Second); code != websocket.ClosePolicyViolation {
		t.Errorf("first-message auth with unknown token: close %d, want 1008", code)
	}

	// First-message auth with a good token works and delivers events.
	ok, _, err := dialWS(t, "msgauth-good", p.addr, "", -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ok.conn.WriteJSON(map[string]string{"type": "auth", "token": "good"}); err != nil {
		t.Fatal(err)
	}
	w := ok.waitControl("welcome", 5*time.Second)
	if w["agentId"] != float64(1) {
		t.Errorf("welcome = %v", w)
	}
	ev := e.emit(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]int{"x": 1})
	ok.waitEvents(5*time.Second, ev.ID)
}

func TestNoAuthenticatorRefusesAll(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	db := newEnv(t, realtime.Options{})
	srv := realtime.New(realtime.Deps{Registerer: prometheus.NewRegistry(), Events: db.store})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	_, resp, err := dialWS(t, "x", ln.Addr().String(), "", -1)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("no authenticator: err=%v resp=%v, want 503", err, resp)
	}
}

// TestRevokedTokenDisconnected: the periodic re-validation closes sockets
// whose token the authenticator now rejects (disabled agent, expired token),
// and leaves the others alone.
func TestRevokedTokenDisconnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{RevalidateEvery: 150 * time.Millisecond})
	e.auth.add("t1", models.Principal{AgentID: 1})
	e.auth.add("t2", models.Principal{AgentID: 2})
	p := e.startPod("p")
	c1 := mustDial(t, "a1", p.addr, "t1", -1)
	c2 := mustDial(t, "a2", p.addr, "t2", -1)
	e.auth.revoke("t1")
	code, text := c1.waitClosed(3 * time.Second)
	if code != websocket.ClosePolicyViolation {
		t.Errorf("revoked: close %d %q, want 1008", code, text)
	}
	time.Sleep(400 * time.Millisecond)
	select {
	case <-c2.closed:
		t.Fatal("valid connection closed by re-validation")
	default:
	}
	// A check that cannot reach the database says nothing about the
	// token: the connection stays through the outage.
	e.auth.setDown(true)
	time.Sleep(500 * time.Millisecond)
	select {
	case <-c2.closed:
		t.Fatal("connection closed because the token could not be checked")
	default:
	}
	e.auth.setDown(false)
	// Re-validation also refreshes the principal: agent 2 becomes a
	// supervisor of team 9 and now sees team 9's events.
	e.auth.add("t2", models.Principal{AgentID: 2, SupervisedTeamIDs: []int64{9}})
	time.Sleep(400 * time.Millisecond)
	ev := e.emit(evTest, models.Audience{TeamIDs: []int64{9}}, map[string]int{"x": 1})
	c2.waitEvents(5*time.Second, ev.ID)
}

// TestResyncOnRequestAndReload: a resync message replays from the cursor;
// too far behind gets "reload"; a resync with a revoked token disconnects.
func TestResyncOnRequestAndReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{ResyncLimit: 5, ResyncOverlap: -1, RevalidateEvery: time.Hour})
	e.auth.add("t1", models.Principal{AgentID: 1})
	p := e.startPod("p")
	var ids []int64
	for i := range 3 {
		ids = append(ids, e.append(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]int{"i": i}).ID)
	}
	hidden := e.append(evTest, models.Audience{AgentIDs: []int64{2}}, map[string]int{"i": 9})
	c := mustDial(t, "a1", p.addr, "t1", -1)
	if err := c.conn.WriteJSON(map[string]any{"type": "resync", "after": ids[0] - 1}); err != nil {
		t.Fatal(err)
	}
	c.waitEvents(5*time.Second, ids...)
	time.Sleep(100 * time.Millisecond)
	if c.has(hidden.ID) {
		t.Error("resync replayed an event of another agent")
	}

	for i := range 10 {
		e.append(evTest, models.Audience{AgentIDs: []int64{1}}, map[string]int{"j": i})
	}
	far := mustDial(t, "far", p.addr, "t1", 0)
	r := far.waitControl("reload", 5*time.Second)
	latest, _ := e.store.Latest(context.Background())
	if r["latest"] != float64(latest) {
		t.Errorf("reload = %v, want latest %d", r, latest)
	}

	// Bad input gets an error frame, not a disconnect.
	if err := c.conn.WriteJSON(map[string]any{"type": "resync"}); err != nil {
		t.Fatal(err)
	}
	c.waitControl("error", 5*time.Second)

	e.auth.revoke("t1")
	if err := c.conn.WriteJSON(map[string]any{"type": "resync", "after": 0}); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.waitClosed(5 * time.Second); code != websocket.ClosePolicyViolation {
		t.Errorf("resync with revoked token: close %d, want 1008", code)
	}
}
