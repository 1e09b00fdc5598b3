package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
)

// TestInboxMessageSearch (#16 search): full-text search of message text,
// every word as a prefix, within what the agent may see (its conversations
// and its team's queue, never another team's), never the thread's own
// assignment lines; pages by message id.
func TestInboxMessageSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	var t1, t2 identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Desk"}), 201).json(t, &t1)
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Other"}), 201).json(t, &t2)
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), t1.ID)
	b1 := e.agent("b1@example.com", e.roleID(models.RoleKeyAgent), t2.ID)
	tok := e.login("a1@example.com").AccessToken

	var sender int64
	e.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PNS', '+62 21 8') RETURNING id`).Scan(&sender)
	conv := func(phone string, agent *int64, team int64) int64 {
		var k, c int64
		e.db.Raw(`INSERT INTO contacts (phone_e164, name) VALUES (?, ?) RETURNING id`, phone, "C"+phone).Scan(&k)
		e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, assignee_agent_id, team_id) VALUES (?, ?, ?, ?) RETURNING id`, sender, k, agent, team).Scan(&c)
		return c
	}
	msg := func(c int64, dir, body string) int64 {
		var id int64
		e.db.Raw(`INSERT INTO messages (conversation_id, direction, type, body, status) VALUES (?, ?, 'text', ?, 'received') RETURNING id`, c, dir, body).Scan(&id)
		return id
	}
	mine := conv("+6281100000201", &a1, t1.ID)
	other := conv("+6281100000202", &b1, t2.ID)
	queue := conv("+6281100000203", nil, t1.ID)
	m1 := msg(mine, "in", "Saya sudah transfer ke BCA 123-456-7890 kemarin sore")
	msg(mine, "out", "Terima kasih, kami cek dulu")
	msg(other, "in", "Saya juga sudah transfer ke BCA")
	m3 := msg(queue, "in", "Mau TRANSFER cicilan bulan ini")
	msg(mine, "note", "Budi transferred the conversation to the team queue")

	search := func(token, q string, extra string) inbox.SearchPage {
		t.Helper()
		var p inbox.SearchPage
		e.must(e.do("GET", "/api/v1/messages/search?q="+url.QueryEscape(q)+extra, token, nil), 200).json(t, &p)
		return p
	}
	ids := func(p inbox.SearchPage) []int64 {
		out := []int64{}
		for _, h := range p.Items {
			out = append(out, h.MessageID)
		}
		return out
	}
	// Prefixes, any case, every word; a number as written.
	if got := ids(search(tok, "transf bca", "")); !slices.Equal(got, []int64{m1}) {
		t.Fatalf("transf bca: %v", got)
	}
	if got := ids(search(tok, "123-456", "")); !slices.Equal(got, []int64{m1}) {
		t.Fatalf("123-456: %v", got)
	}
	// Scope: its conversation and its team's queue; not the other team's, not notes.
	p := search(tok, "transfer", "")
	if got := ids(p); !slices.Equal(got, []int64{m3, m1}) {
		t.Fatalf("a1 transfer: %v", got)
	}
	if p.Items[1].ConversationID != mine || p.Items[1].ContactName != "C+6281100000201" || p.Items[1].SenderNumber != "+62 21 8" || p.Items[1].Snippet == "" {
		t.Fatalf("hit: %+v", p.Items[1])
	}
	if got := ids(search(admin, "transfer", "")); len(got) != 3 {
		t.Fatalf("admin transfer: %v", got)
	}
	// Pages by message id.
	p = search(tok, "transfer", "&limit=1")
	if got := ids(p); !slices.Equal(got, []int64{m3}) || p.NextBefore != m3 {
		t.Fatalf("page 1: %+v", p)
	}
	if got := ids(search(tok, "transfer", fmt.Sprintf("&limit=1&before=%d", p.NextBefore))); !slices.Equal(got, []int64{m1}) {
		t.Fatalf("page 2: %v", got)
	}
	if got := ids(search(tok, "tidakada", "")); len(got) != 0 {
		t.Fatalf("no hit: %v", got)
	}
	e.must(e.do("GET", "/api/v1/messages/search?q=a", tok, nil), 400)
	e.must(e.do("GET", "/api/v1/messages/search?q="+url.QueryEscape(`'\ x`), tok, nil), 400)
	if got := ids(search(tok, `transfer' | bca`, "")); !slices.Equal(got, []int64{m1}) {
		t.Fatalf("quotes and operators are words: %v", got)
	}

	// The query can use the index (00161).
	var plan []string
	if err := e.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL enable_seqscan = off`).Error; err != nil {
			return err
		}
		return tx.Raw(`EXPLAIN SELECT id FROM messages WHERE direction IN ('in', 'out') AND body <> '' AND to_tsvector('simple', body) @@ to_tsquery('simple', 'transfer:*')`).Scan(&plan).Error
	}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range plan {
		if strings.Contains(l, "messages_body_fts") {
			found = true
		}
	}
	if !found {
		t.Fatalf("plan without the index: %v", plan)
	}
}
