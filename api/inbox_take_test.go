package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
)

// TestInboxTakeAndTransfer (#16 nothing stranded): agents see their team's
// queue, take from it (of two racing agents one wins, the other gets 409),
// transfer to a teammate or back to the queue; never another team's
// conversation, never to an agent outside the team; every assignment change
// is a line in the thread and a row of the audit log.
func TestInboxTakeAndTransfer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	var t1, t2 identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Desk", "strategy": "manual"}), 201).json(t, &t1)
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Other", "strategy": "manual"}), 201).json(t, &t2)
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), t1.ID)
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent), t1.ID)
	b1 := e.agent("b1@example.com", e.roleID(models.RoleKeyAgent), t2.ID)
	e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor), t1.ID)
	tok1, tok2, tokB := e.login("a1@example.com").AccessToken, e.login("a2@example.com").AccessToken, e.login("b1@example.com").AccessToken
	sup := e.login("sup@example.com").AccessToken

	var sender, c1, c2, k1, k2 int64
	e.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PNQ', '+62 21 9') RETURNING id`).Scan(&sender)
	e.db.Raw(`INSERT INTO contacts (phone_e164, name) VALUES ('+6281100000101', 'Ani') RETURNING id`).Scan(&k1)
	e.db.Raw(`INSERT INTO contacts (phone_e164, name) VALUES ('+6281100000102', 'Beni') RETURNING id`).Scan(&k2)
	e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, team_id, last_inbound_at) VALUES (?, ?, ?, now()) RETURNING id`, sender, k1, t1.ID).Scan(&c1)
	e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, team_id, last_inbound_at) VALUES (?, ?, ?, now()) RETURNING id`, sender, k2, t2.ID).Scan(&c2)
	if c1 == 0 || c2 == 0 {
		t.Fatal("seed")
	}
	ids := func(p inbox.InboxPage) []int64 {
		var out []int64
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		return out
	}

	// The queue of each agent is its team's.
	var page inbox.InboxPage
	e.must(e.do("GET", "/api/v1/conversations?view=queue", tok1, nil), 200).json(t, &page)
	if got := ids(page); !slices.Equal(got, []int64{c1}) {
		t.Fatalf("a1's queue: %v", got)
	}
	e.must(e.do("GET", "/api/v1/conversations?view=queue", tokB, nil), 200).json(t, &page)
	if got := ids(page); !slices.Equal(got, []int64{c2}) {
		t.Fatalf("b1's queue: %v", got)
	}
	// ?ids= (the web app's live row refresh) stays within the scope and view.
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations?ids=%d,%d", c1, c2), tok1, nil), 200).json(t, &page)
	if got := ids(page); !slices.Equal(got, []int64{c1}) {
		t.Fatalf("ids within a1's scope: %v", got)
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations?view=mine&ids=%d", c1), tok1, nil), 200).json(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("ids outside the view: %v", ids(page))
	}
	e.must(e.do("GET", "/api/v1/conversations?ids=1,x", tok1, nil), 400)
	// A queued conversation can be read before it is taken (by its team only).
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d", c1), tok1, nil), 200)
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d", c1), tokB, nil), 404)

	// Another team's conversation is not taken, nor confirmed.
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", c1), tokB, nil), 404)
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", c2), tok1, nil), 404)

	// Two agents take the same conversation at once: one wins, one gets 409.
	var wg sync.WaitGroup
	status := map[string]int{}
	var mu sync.Mutex
	for name, tok := range map[string]string{"a1": tok1, "a2": tok2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", c1), tok, nil)
			mu.Lock()
			status[name] = r.status
			mu.Unlock()
		}()
	}
	wg.Wait()
	winner, loser, winTok, loseTok := a1, a2, tok1, tok2
	if status["a2"] == 200 {
		winner, loser, winTok, loseTok = a2, a1, tok2, tok1
	}
	if !((status["a1"] == 200 && status["a2"] == 409) || (status["a1"] == 409 && status["a2"] == 200)) {
		t.Fatalf("race: %v", status)
	}
	var conv models.Conversation
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d", c1), winTok, nil), 200).json(t, &conv)
	if conv.AssigneeAgentID == nil || *conv.AssigneeAgentID != winner {
		t.Fatalf("after take: %+v", conv)
	}
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", c1), loseTok, nil), 409) // taken: the team learns so, nobody else
	e.must(e.do("GET", "/api/v1/conversations?view=queue", loseTok, nil), 200).json(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("queue after take: %v", ids(page))
	}

	// Transfer: never to an agent outside the team, never by a non-assignee.
	r := e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", c1), winTok, map[string]any{"agentId": b1}), 422)
	if _, f := r.errField(); f != "agentId" {
		t.Fatalf("outside the team: %s", r.body)
	}
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", c1), loseTok, map[string]any{"agentId": loser}), 404)
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", c1), winTok, map[string]any{}), 400)
	var mates struct {
		Items []inbox.Teammate `json:"items"`
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d/teammates", c1), winTok, nil), 200).json(t, &mates)
	mateIDs := []int64{}
	for _, m := range mates.Items {
		mateIDs = append(mateIDs, m.ID)
	}
	if !slices.Contains(mateIDs, loser) || slices.Contains(mateIDs, winner) || slices.Contains(mateIDs, b1) {
		t.Fatalf("teammates: %+v", mates.Items)
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d/teammates", c1), tokB, nil), 404)
	// To the teammate, then back to the queue.
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", c1), winTok, map[string]any{"agentId": loser}), 200).json(t, &conv)
	if conv.AssigneeAgentID == nil || *conv.AssigneeAgentID != loser {
		t.Fatalf("after transfer: %+v", conv)
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d", c1), winTok, nil), 404)
	conv = models.Conversation{}
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", c1), loseTok, map[string]any{"queue": true}), 200).json(t, &conv)
	if conv.AssigneeAgentID != nil || conv.TeamID == nil || *conv.TeamID != t1.ID {
		t.Fatalf("back to the queue: %+v", conv)
	}
	e.must(e.do("GET", "/api/v1/conversations?view=queue", tok1, nil), 200).json(t, &page)
	if got := ids(page); !slices.Equal(got, []int64{c1}) {
		t.Fatalf("queue after hand-back: %v", got)
	}
	// A supervisor's assignment is a line too.
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", c1), sup, map[string]any{"agentId": a1}), 200)

	// The thread carries a line per change, oldest first: take, transfer,
	// hand-back, assign.
	var thread inbox.MessagesPage
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", c1), tok1, nil), 200).json(t, &thread)
	var kinds []string
	for i := len(thread.Items) - 1; i >= 0; i-- {
		m := thread.Items[i]
		if m.Direction != models.DirNote || m.Type != "assignment" {
			t.Fatalf("unexpected row %+v", m)
		}
		var l inbox.AssignmentLine
		if err := json.Unmarshal(m.Payload, &l); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, l.Kind)
		if m.Body == "" || l.ByAgentID == nil {
			t.Fatalf("line %+v", l)
		}
	}
	if !slices.Equal(kinds, []string{"take", "transfer", "transfer", "assign"}) {
		t.Fatalf("thread lines: %v", kinds)
	}
	var audit []string
	e.db.Raw(`SELECT action FROM audit_log WHERE entity = 'conversation' AND entity_id = ? ORDER BY id`, c1).Scan(&audit)
	if !slices.Equal(audit, []string{inbox.AuditConversationTake, inbox.AuditConversationTransfer, inbox.AuditConversationTransfer, inbox.AuditConversationAssign}) {
		t.Fatalf("audit: %v", audit)
	}
	// A line is no customer message: the preview and unread count stay.
	var unread int
	e.db.Raw(`SELECT unread_count FROM conversations WHERE id = ?`, c1).Scan(&unread)
	if unread != 0 {
		t.Fatalf("unread %d", unread)
	}
}

// An agent at her max_conversations cannot take another from the queue
// (routing would not give her one either); resolving one frees the slot.
func TestInboxTakeRespectsCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	var team identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Desk", "strategy": "manual"}), 201).json(t, &team)
	a1 := e.agent("cap@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	e.db.Exec(`UPDATE agents SET max_conversations = 2 WHERE id = ?`, a1)
	tok := e.login("cap@example.com").AccessToken
	var sender int64
	e.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PNC', '+62 21 8') RETURNING id`).Scan(&sender)
	var convs []int64
	for i := range 3 {
		var k, c int64
		e.db.Raw(`INSERT INTO contacts (phone_e164) VALUES (?) RETURNING id`, fmt.Sprintf("+628110000020%d", i)).Scan(&k)
		e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, team_id, last_inbound_at) VALUES (?, ?, ?, now()) RETURNING id`, sender, k, team.ID).Scan(&c)
		convs = append(convs, c)
	}
	for _, c := range convs[:2] {
		e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", c), tok, nil), 200)
	}
	r := e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", convs[2]), tok, nil), 409)
	var body struct{ Error struct{ Message string } }
	r.json(t, &body)
	if body.Error.Message == "" || !strings.Contains(body.Error.Message, "2 of 2") {
		t.Fatalf("refusal: %+v", body)
	}
	var assignee *int64
	e.db.Raw(`SELECT assignee_agent_id FROM conversations WHERE id = ?`, convs[2]).Scan(&assignee)
	if assignee != nil {
		t.Fatalf("taken past capacity by %d", *assignee)
	}
	e.db.Exec(`UPDATE conversations SET status = 'resolved' WHERE id = ?`, convs[0])
	e.must(e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", convs[2]), tok, nil), 200)
}
