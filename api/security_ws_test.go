package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/worker/testenv"
)

// secEnv is the api with its stores publishing to a real RabbitMQ fanout,
// and a real realtime gateway consuming it and authenticating sockets with
// the api's own tokens: what an agent's browser meets.
type secEnv struct {
	*env
	pub    *realtime.AMQPPublisher
	rtAddr string
	gw     *realtime.Server
}

func newSecEnv(t *testing.T, opts realtime.Options) *secEnv {
	t.Helper()
	tdb := testenv.NewDB(t)
	mq := testenv.NewAMQP(t)
	tag := testenv.UniqueName("sec")
	pub := realtime.NewAMQPPublisher(mq.URL, mq.Exchange, tag+"-api")
	t.Cleanup(func() { _ = pub.Close() })
	tokens, err := identity.NewTokens(tdb.Gorm, testSecret, testenv.Hasher())
	if err != nil {
		t.Fatal(err)
	}
	tokens.Events = pub
	log := slog.New(slog.DiscardHandler)
	srv := api.New(api.Deps{
		Logger: log, Registry: prometheus.NewRegistry(), Events: pub,
		Stores: api.StoresOn(tdb.Gorm, pub), Auth: tokens, Tokens: tokens, ShutdownTimeout: time.Second,
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	feed := &realtime.AMQPConsumer{URL: mq.URL, Exchange: mq.Exchange, Name: tag + "-rt", Logger: log, Prefetch: 1000}
	gw := realtime.New(realtime.Deps{Logger: log, Registerer: prometheus.NewRegistry(), ShutdownTimeout: 5 * time.Second,
		Auth: tokens, Events: models.EventStore{DB: tdb.Gorm}, Feed: feed, Options: opts})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 10*time.Second, "gateway subscribed", feed.Connected)
	return &secEnv{env: &env{t: t, db: tdb.Gorm, tokens: tokens, srv: srv, http: hs}, pub: pub, rtAddr: ln.Addr().String(), gw: gw}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// emit stores an event and publishes it, as the product's stores do.
func (s *secEnv) emit(typ string, aud models.Audience, data any) models.Event {
	s.t.Helper()
	ev, err := models.NewEvent(typ, aud, data)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.Transaction(func(tx *gorm.DB) error { return (models.EventStore{}).Append(context.Background(), tx, &ev) }); err != nil {
		s.t.Fatal(err)
	}
	if err := s.pub.Publish(context.Background(), ev); err != nil {
		s.t.Fatal(err)
	}
	return ev
}

// sock is a browser-like websocket: token in the first frame, never the URL.
type sock struct {
	t      *testing.T
	conn   *websocket.Conn
	mu     sync.Mutex
	got    map[int64]wsFrame
	closed chan struct{}
	code   int
}

type wsFrame struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func (s *secEnv) dial(token string, cursor int64) *sock {
	s.t.Helper()
	u := "ws://" + s.rtAddr + "/ws"
	if cursor >= 0 {
		u += fmt.Sprintf("?cursor=%d", cursor)
	}
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	if err := c.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		s.t.Fatal(err)
	}
	k := &sock{t: s.t, conn: c, got: map[int64]wsFrame{}, closed: make(chan struct{})}
	welcome := make(chan struct{})
	go func() {
		defer close(k.closed)
		once := sync.OnceFunc(func() { close(welcome) })
		defer once()
		for {
			_, raw, err := c.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					k.mu.Lock()
					k.code = ce.Code
					k.mu.Unlock()
				}
				return
			}
			var f wsFrame
			if json.Unmarshal(raw, &f) != nil {
				continue
			}
			if f.Type == "welcome" {
				once()
			}
			if f.ID > 0 {
				k.mu.Lock()
				k.got[f.ID] = f
				k.mu.Unlock()
			}
		}
	}()
	select {
	case <-welcome:
	case <-time.After(5 * time.Second):
		s.t.Fatal("no welcome")
	}
	return k
}

func (k *sock) has(id int64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.got[id]
	return ok
}

func (k *sock) ids() []int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []int64
	for id := range k.got {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (k *sock) waitClosed(d time.Duration) int {
	k.t.Helper()
	select {
	case <-k.closed:
	case <-time.After(d):
		k.t.Fatalf("socket not closed within %s", d)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.code
}

// restPermOf is the specification the websocket must follow, written out
// independently of the kernel's map: the REST permission that reads the
// same data. A new event type fails TestWebsocketMatrix until it is added.
func restPermOf() map[string]models.Permission {
	return map[string]models.Permission{
		models.EventMessageCreated:      models.PermInboxRead,     // GET /conversations/:id/messages
		models.EventMessageStatus:       models.PermInboxRead,     // the same messages
		models.EventMessageMedia:        models.PermInboxRead,     // the messages' files (signed links)
		models.EventConversationUpdated: models.PermInboxRead,     // GET /conversations/:id, notes
		models.EventCaseUpdated:         models.PermCasesRead,     // GET /cases/:id
		models.EventCampaignProgress:    models.PermCampaignsRead, // GET /campaigns/:id
		models.EventAgentPresence:       models.PermAgentsRead,    // GET /agents (presence column)
		models.EventIntakeProgress:      models.PermContactsImp,   // GET /contacts/imports/:id
		models.EventSenderUnverified:    models.PermSendersRead,   // GET /senders
		models.EventSenderUpdated:       models.PermSendersRead,
		models.EventTemplateUpdated:     models.PermTemplatesRead, // GET /templates
		models.EventContactOptOut:       models.PermContactsRead,  // GET /contacts/:id (optedOut)
		models.EventSLAAlert:            models.PermInboxRead,     // the conversation and its customer's name (GET /conversations/:id)
		models.EventAgentDisabled:       "",                       // gateway control: never delivered
		models.EventAgentRevalidate:     "",
	}
}

// TestWebsocketMatrix (finding 1): every event type x the four system roles
// and a custom role x an in-scope and an out-of-scope audience, live and on
// resync, through the real gateway (RabbitMQ, real sockets, the api's
// tokens). Delivered exactly when the role holds the REST permission of
// that data and its data scope covers the audience.
func TestWebsocketMatrix(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t, realtime.Options{ResyncOverlap: -1})
	_, admin := s.admin()
	var t1, t2 identity.Team
	s.must(s.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Team 1"}), 201).json(t, &t1)
	s.must(s.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Team 2"}), 201).json(t, &t2)
	var custom identity.Role
	s.must(s.do("POST", "/api/v1/roles", admin, map[string]any{"name": "Case reviewer", "dataScope": "teams",
		"permissions": []string{"cases:read", "inbox:read", "profile:read", "profile:write"}}), 201).json(t, &custom)
	other := s.agent("other@example.com", s.roleID(models.RoleKeyAgent), t2.ID)

	type subject struct {
		name    string
		roleKey string
		roleID  int64
		teams   []int64
		all     bool // data scope all
		id      int64
		token   string
		perms   []models.Permission
	}
	subjects := []*subject{
		{name: "admin", roleKey: models.RoleKeyAdmin, all: true},
		{name: "supervisor", roleKey: models.RoleKeySupervisor, teams: []int64{t1.ID}},
		{name: "agent", roleKey: models.RoleKeyAgent, teams: []int64{t1.ID}},
		{name: "campaign manager", roleKey: models.RoleKeyCampaignManager, all: true},
		{name: "custom (teams scope)", roleID: custom.ID, teams: []int64{t1.ID}},
	}
	for _, sub := range subjects {
		if sub.roleID == 0 {
			sub.roleID = s.roleID(sub.roleKey)
		}
		email := strings.ReplaceAll(sub.name, " ", "") + "@m.example.com"
		email = strings.NewReplacer("(", "", ")", "").Replace(email)
		sub.id = s.agent(email, sub.roleID, sub.teams...)
		lb := s.login(email)
		sub.token = lb.AccessToken
		var me struct {
			Permissions []models.Permission `json:"permissions"`
		}
		s.must(s.do("GET", "/api/v1/me", sub.token, nil), 200).json(t, &me)
		sub.perms = me.Permissions
	}
	agentID := subjects[2].id
	in := models.Audience{AgentIDs: []int64{agentID}, TeamIDs: []int64{t1.ID}}
	out := models.Audience{AgentIDs: []int64{other}, TeamIDs: []int64{t2.ID}}

	spec := restPermOf()
	types := models.EventTypes()
	for _, typ := range types {
		if _, ok := spec[typ]; !ok {
			t.Errorf("event type %s is not in the websocket matrix (restPermOf): say which REST permission reads its data", typ)
		}
	}
	latest, err := models.EventStore{DB: s.db}.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]*sock{}
	for _, sub := range subjects {
		live[sub.name] = s.dial(sub.token, -1)
	}

	type cell struct {
		ev      models.Event
		inScope bool
		perm    models.Permission
	}
	var cells []cell
	for _, typ := range types {
		for _, inScope := range []bool{true, false} {
			aud := out
			if inScope {
				aud = in
			}
			ev := s.emit(typ, aud, map[string]any{"text": "Halo, saya mau bayar", "name": "Budi", "note": "private"})
			cells = append(cells, cell{ev: ev, inScope: inScope, perm: spec[typ]})
		}
	}
	// A last event every subject may receive marks the end of the stream
	// (one queue, in order): after it, anything missing was withheld.
	var sentinels []int64
	for _, sub := range subjects {
		sentinels = append(sentinels, s.emit(models.EventCampaignProgress, models.Audience{AgentIDs: []int64{sub.id}}, nil).ID)
	}
	want := func(sub *subject, c cell) bool {
		if c.perm == "" || !slices.Contains(sub.perms, c.perm) {
			return false
		}
		return sub.all || c.inScope
	}
	check := func(mode string, socks map[string]*sock) {
		t.Helper()
		for i, sub := range subjects {
			k := socks[sub.name]
			if slices.Contains(sub.perms, models.PermCampaignsRead) {
				waitFor(t, 10*time.Second, mode+": "+sub.name+" reaches the end of the stream", func() bool { return k.has(sentinels[i]) })
			} else {
				// Without campaigns:read there is no sentinel for it: the
				// last cell it must receive ends its stream instead.
				var last int64
				for _, c := range cells {
					if want(sub, c) {
						last = c.ev.ID
					}
				}
				waitFor(t, 10*time.Second, mode+": "+sub.name+" receives its last allowed event", func() bool { return k.has(last) })
				time.Sleep(300 * time.Millisecond)
			}
			for _, c := range cells {
				if got, exp := k.has(c.ev.ID), want(sub, c); got != exp {
					t.Errorf("%s: %s (%v) x %s (in scope %v): delivered %v, want %v", mode, sub.name, sub.roleKey, c.ev.Type, c.inScope, got, exp)
				}
			}
		}
	}
	check("live", live)
	resync := map[string]*sock{}
	for _, sub := range subjects {
		resync[sub.name] = s.dial(sub.token, latest)
	}
	check("resync", resync)
	t.Logf("websocket matrix: %d event types x %d roles x 2 scopes x live+resync = %d cells", len(types), len(subjects), len(types)*len(subjects)*2*2)

	// The product path: a private note written over REST reaches the
	// supervisor but not the Campaign Manager (all-scope, no inbox:read).
	var sender, contact, conv int64
	s.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PNM', '+62 21 9') RETURNING id`).Scan(&sender)
	s.db.Raw(`INSERT INTO contacts (phone_e164, wa_id, name, owner_agent_id) VALUES ('+6281200000001', '6281200000001', 'Budi', ?) RETURNING id`, agentID).Scan(&contact)
	s.db.Raw(`INSERT INTO conversations (sender_id, contact_id, assignee_agent_id, team_id, last_inbound_at) VALUES (?, ?, ?, ?, now()) RETURNING id`,
		sender, contact, agentID, t1.ID).Scan(&conv)
	before := len(live["campaign manager"].ids())
	s.must(s.do("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conv), subjects[2].token, map[string]string{"body": "janji bayar Jumat"}), 201)
	var noteEv int64
	waitFor(t, 10*time.Second, "supervisor gets the note", func() bool {
		for _, id := range live["supervisor"].ids() {
			if id > sentinels[len(sentinels)-1] {
				noteEv = id
				return true
			}
		}
		return false
	})
	end := s.emit(models.EventCampaignProgress, models.Audience{AgentIDs: []int64{subjects[3].id}}, nil)
	waitFor(t, 10*time.Second, "campaign manager reaches the end", func() bool { return live["campaign manager"].has(end.ID) })
	if live["campaign manager"].has(noteEv) || len(live["campaign manager"].ids()) != before+1 {
		t.Error("the Campaign Manager received a private note")
	}
}
