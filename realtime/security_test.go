package realtime_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/realtime"
)

// TestPermissionGate (finding 1): the gateway applies the kernel's event ->
// permission map, live and on resync. An all-scope principal without
// inbox:read (a Campaign Manager) gets campaign events but no message or
// conversation events; an unknown type reaches nobody.
func TestPermissionGate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{ResyncOverlap: -1})
	e.auth.add("cm", models.Principal{AgentID: 1, AllScope: true, Permissions: []models.Permission{models.PermCampaignsRead}})
	e.auth.add("adm", models.Principal{AgentID: 2, AllScope: true, Permissions: models.AllPermissions()})
	p := e.startPod("p")
	cm := mustDial(t, "cm", p.addr, "cm", -1)
	adm := mustDial(t, "adm", p.addr, "adm", -1)
	aud := models.Audience{AgentIDs: []int64{9}, TeamIDs: []int64{3}}
	msg := e.emit(models.EventMessageCreated, aud, map[string]string{"text": "secret"})
	note := e.emit(models.EventConversationUpdated, aud, map[string]string{"note": "private"})
	prog := e.emit(models.EventCampaignProgress, models.Audience{}, map[string]int{"sent": 1})
	unknown := models.Event{Type: "made.up", Audience: aud}
	if err := e.pub.Publish(t.Context(), unknown); err != nil {
		t.Fatal(err)
	}
	adm.waitEvents(5*time.Second, msg.ID, note.ID, prog.ID)
	cm.waitEvents(5*time.Second, prog.ID)
	time.Sleep(200 * time.Millisecond)
	if cm.has(msg.ID) || cm.has(note.ID) {
		t.Error("live: a principal without inbox:read received inbox events")
	}
	// Resync from before the events replays the same choice.
	late := mustDial(t, "cm-late", p.addr, "cm", msg.ID-1)
	late.waitEvents(5*time.Second, prog.ID)
	time.Sleep(200 * time.Millisecond)
	if late.has(msg.ID) || late.has(note.ID) {
		t.Error("resync: a principal without inbox:read received inbox events")
	}
}

// TestConnectionCapPerAgent (finding 11): an agent holds at most
// MaxConnsPerAgent sockets on a pod; the next one is closed with 1013, and
// another agent is not affected.
func TestConnectionCapPerAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{MaxConnsPerAgent: 3})
	e.auth.add("a", models.Principal{AgentID: 1})
	e.auth.add("b", models.Principal{AgentID: 2})
	p := e.startPod("p")
	var open []*wsClient
	for range 3 {
		open = append(open, mustDial(t, "a", p.addr, "a", -1))
	}
	extra, _, err := dialWS(t, "a-extra", p.addr, "a", -1)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := extra.waitClosed(5 * time.Second); code != websocket.CloseTryAgainLater {
		t.Errorf("4th socket: close %d, want 1013", code)
	}
	mustDial(t, "b", p.addr, "b", -1)
	// Closing one frees a slot.
	_ = open[0].conn.Close()
	eventually(t, 5*time.Second, "slot freed", func() bool { return p.srv.Connections() == 3 })
	mustDial(t, "a-again", p.addr, "a", -1)
}

// TestOriginAllowList (finding 11): a page from another origin cannot open
// a socket; an allowed origin, the gateway's own host and a non-browser
// client (no Origin) can.
func TestOriginAllowList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{AllowedOrigins: []string{"https://crm.example.com"}})
	e.auth.add("a", models.Principal{AgentID: 1})
	p := e.startPod("p")
	dial := func(origin string) (int, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial("ws://"+p.addr+"/ws", h)
		if c != nil {
			_ = c.Close()
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	if st, err := dial("https://evil.example.net"); err == nil || st != http.StatusForbidden {
		t.Errorf("foreign origin: %d %v, want 403", st, err)
	}
	if st, err := dial("https://crm.example.com"); err != nil || st != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: %d %v", st, err)
	}
	if st, err := dial(""); err != nil || st != http.StatusSwitchingProtocols {
		t.Errorf("no origin: %d %v", st, err)
	}
	// A page of the gateway's own host (UI and /ws behind one ingress).
	if st, err := dial("http://" + p.addr); err != nil || st != http.StatusSwitchingProtocols {
		t.Errorf("same origin: %d %v", st, err)
	}
}

// TestRevocationPushed (finding 11): a control event over the broker makes
// the pod re-check the agent's sockets at once (the periodic re-check is an
// hour away here): a revoked token is closed within seconds, a narrowed
// principal stops receiving what it lost, and no client sees the control.
func TestRevocationPushed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, realtime.Options{RevalidateEvery: time.Hour})
	e.auth.add("t1", models.Principal{AgentID: 1})
	e.auth.add("t2", models.Principal{AgentID: 2, SupervisedTeamIDs: []int64{9}})
	e.auth.add("adm", models.Principal{AgentID: 3, AllScope: true, Permissions: models.AllPermissions()})
	p := e.startPod("p")
	c1 := mustDial(t, "a1", p.addr, "t1", -1)
	c2 := mustDial(t, "a2", p.addr, "t2", -1)
	adm := mustDial(t, "adm", p.addr, "adm", -1)

	e.auth.revoke("t1")
	start := time.Now()
	ctl := e.emit(models.EventAgentDisabled, models.Audience{AgentIDs: []int64{1}}, map[string]int64{"agentId": 1})
	if code, _ := c1.waitClosed(5 * time.Second); code != websocket.ClosePolicyViolation {
		t.Errorf("revoked: close %d, want 1008", code)
	}
	t.Logf("socket closed %s after the revocation was published", time.Since(start).Round(time.Millisecond))

	// Agent 2 loses supervision of team 9 (a team change).
	e.auth.add("t2", models.Principal{AgentID: 2})
	rv := e.emit(models.EventAgentRevalidate, models.Audience{AgentIDs: []int64{2}}, map[string]int64{"agentId": 2})
	probe := e.emit(evTest, models.Audience{AgentIDs: []int64{3}}, nil)
	adm.waitEvents(5*time.Second, probe.ID)
	eventually(t, 5*time.Second, "a2 narrowed", func() bool {
		ev := e.emit(evTest, models.Audience{TeamIDs: []int64{9}}, nil)
		adm.waitEvents(5*time.Second, ev.ID)
		time.Sleep(100 * time.Millisecond)
		return !c2.has(ev.ID)
	})
	if adm.has(ctl.ID) || adm.has(rv.ID) {
		t.Error("a control event was delivered to a client")
	}
}
