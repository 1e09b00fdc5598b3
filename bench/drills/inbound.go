package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wabascrm/scrm/waba"
)

const drillPNID = "100000000000001" // the simulator's default number

// metaSender offers signed inbound-message webhooks at a fixed rate and
// redelivers each one like Meta does: on a transport error or any non-2xx
// answer, again after a growing delay, until it is acknowledged.
type metaSender struct {
	// targets are the api replicas: deliveries go round robin, and a
	// redelivery to the next replica (a load balancer's failover).
	targets  []string
	prefix   string // wamid prefix of this scenario
	contacts int
	// contactBase makes each scenario's customers new ones, so their first
	// messages open windows (and so reach Temporal).
	contactBase int
	client      *http.Client
	inflight    chan struct{}

	acked    sync.Map // wamid -> true
	nAcked   atomic.Int64
	attempts atomic.Int64
	non2xx   atomic.Int64 // answers other than 2xx (503 during an outage)
	transErr atomic.Int64 // refused connections, resets, timeouts
	wg       sync.WaitGroup
}

func newMetaSender(apiAddrs []string, prefix string, contacts, contactBase int) *metaSender {
	var targets []string
	for _, a := range apiAddrs {
		targets = append(targets, "http://"+a+"/webhooks/whatsapp")
	}
	return &metaSender{
		targets: targets, prefix: prefix, contacts: contacts, contactBase: contactBase,
		client:   &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}},
		inflight: make(chan struct{}, 128),
	}
}

func (m *metaSender) wamid(i int) string { return fmt.Sprintf("wamid.%s.%d", m.prefix, i) }

// offer schedules rate messages per second for d (open loop) and returns
// how many were offered; deliveries keep retrying in the background until
// wait returns.
func (m *metaSender) offer(ctx context.Context, rate int, d time.Duration) int {
	total := int(float64(rate) * d.Seconds())
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := 0; i < total; i++ {
		if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
			select {
			case <-ctx.Done():
				return i
			case <-time.After(w):
			}
		}
		m.wg.Add(1)
		go m.deliver(ctx, i)
	}
	return total
}

func (m *metaSender) deliver(ctx context.Context, i int) {
	defer m.wg.Done()
	body := m.body(i)
	backoff := 250 * time.Millisecond
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if m.post(ctx, m.targets[(i+attempt)%len(m.targets)], body) {
			m.acked.Store(m.wamid(i), true)
			m.nAcked.Add(1)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 4*time.Second)
	}
}

func (m *metaSender) post(ctx context.Context, target string, body []byte) bool {
	m.inflight <- struct{}{}
	defer func() { <-m.inflight }()
	m.attempts.Add(1)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(waba.SignatureHeader, waba.Sign([]byte(appSecret), body))
	resp, err := m.client.Do(req)
	if err != nil {
		m.transErr.Add(1)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		m.non2xx.Add(1)
		return false
	}
	return true
}

func (m *metaSender) body(i int) []byte {
	from := fmt.Sprintf("62813%08d", m.contactBase+i%m.contacts)
	v := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "200000000000001", "changes": []any{map[string]any{
		"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]string{"display_phone_number": "622150000001", "phone_number_id": drillPNID},
			"contacts":          []any{map[string]any{"profile": map[string]string{"name": "Drill " + from}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": m.wamid(i), "timestamp": fmt.Sprint(time.Now().Unix()),
				"type": "text", "text": map[string]string{"body": "drill message " + fmt.Sprint(i)}}},
		}}}}}}
	b, _ := json.Marshal(v)
	return b
}

// ackedSet returns every acknowledged wamid.
func (m *metaSender) ackedSet() map[string]bool {
	out := map[string]bool{}
	m.acked.Range(func(k, _ any) bool { out[k.(string)] = true; return true })
	return out
}

// agent is one websocket client that behaves like the web app: it keeps a
// cursor (last event id), reconnects to the next pod with it when a socket
// drops, and answers resync_required with a resync.
type agent struct {
	token string
	pods  []string
	next  int

	mu         sync.Mutex
	conn       *websocket.Conn
	cursor     int64
	events     map[int64]bool
	seen       map[string]int // wamid -> distinct message.created events
	reconnects int
	reloads    int
}

func newAgent(token string, pods []string, first int) *agent {
	return &agent{token: token, pods: pods, next: first, events: map[int64]bool{}, seen: map[string]int{}}
}

// run keeps the agent connected until ctx ends; connected is closed after
// the first welcome.
func (a *agent) run(ctx context.Context, connected chan<- struct{}) {
	first := true
	for ctx.Err() == nil {
		pod := a.pods[a.next%len(a.pods)]
		a.mu.Lock()
		q := url.Values{"token": {a.token}}
		if a.cursor > 0 {
			q.Set("cursor", fmt.Sprint(a.cursor))
		}
		a.mu.Unlock()
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		c, _, err := d.DialContext(ctx, "ws://"+pod+"/ws?"+q.Encode(), nil)
		if err != nil {
			a.next++
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
			continue
		}
		a.mu.Lock()
		a.conn = c
		a.mu.Unlock()
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		for {
			_, raw, err := c.ReadMessage()
			if err != nil {
				break
			}
			if a.handle(c, raw) && first {
				first = false
				close(connected)
			}
		}
		stop()
		_ = c.Close()
		a.mu.Lock()
		a.conn = nil
		if ctx.Err() == nil {
			a.reconnects++
		}
		a.mu.Unlock()
		a.next++ // the pod may be gone: try the next one
	}
}

// handle processes one frame; it reports whether it was the welcome.
func (a *agent) handle(c *websocket.Conn, raw []byte) bool {
	var f struct {
		ID     int64  `json:"id"`
		Type   string `json:"type"`
		Latest int64  `json:"latest"`
		Data   struct {
			WAMID string `json:"wamid"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch f.Type {
	case "welcome":
		if a.cursor == 0 {
			a.cursor = f.Latest
		}
		return true
	case "resync_required":
		_ = c.WriteJSON(map[string]any{"type": "resync", "after": a.cursor})
	case "reload":
		// The web app would reload over REST here; the drill counts it
		// (a message then reaches the agent only by that reload).
		a.reloads++
		a.cursor = max(a.cursor, f.Latest)
	default:
		if f.ID == 0 || a.events[f.ID] {
			return false
		}
		a.events[f.ID] = true
		a.cursor = max(a.cursor, f.ID)
		if f.Type == "message.created" && f.Data.WAMID != "" {
			a.seen[f.Data.WAMID]++
		}
	}
	return false
}

// resync asks the current pod to replay after the agent's cursor (what the
// app does on any reconnect).
func (a *agent) resync() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn != nil {
		_ = a.conn.WriteJSON(map[string]any{"type": "resync", "after": a.cursor})
	}
}

// missing counts acked wamids the agent has not seen, and wamids it saw as
// more than one distinct event.
func (a *agent) missing(acked map[string]bool) (lost, dup int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for w := range acked {
		if a.seen[w] == 0 {
			lost++
		}
	}
	for w, n := range a.seen {
		if acked[w] && n > 1 {
			dup++
		}
	}
	return lost, dup
}

func login(ctx context.Context, apiAddr, email string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": email, "password": agentPass})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+apiAddr+"/api/v1/auth/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("login %s: %s %s", email, resp.Status, raw)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}
