package api_test

import (
	"fmt"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
)

// TestInboxAssigneeReadsItsContact (#16 agent context): the assignee of a
// conversation reads the contact it serves (tags, attributes), edits it with
// contacts:write, lists the customer's conversations, and sees it in the
// contact list; it may not hand the contact to a new owner; a contact it has
// no conversation or case with stays 404; the contact of a case assigned to
// it is visible too; reassigning the chat takes the access away.
func TestInboxAssigneeReadsItsContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adminID, admin := e.admin()
	var team identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Desk"}), 201).json(t, &team)
	a1 := e.agent("a1@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	a2 := e.agent("a2@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	tok := e.login("a1@example.com").AccessToken

	var served, other, cased contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{
		"phone": "081211110001", "name": "Siti", "tags": []string{"vip"}, "attributes": map[string]any{"kota": "Bandung"},
		"ownerAgentId": adminID,
	}), 201).json(t, &served)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "081211110002", "name": "Other"}), 201).json(t, &other)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "081211110003", "name": "Cased"}), 201).json(t, &cased)

	// Before any assignment the agent sees none of them.
	for _, id := range []int64{served.ID, other.ID, cased.ID} {
		e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", id), tok, nil), 404)
	}

	var sender, conv, oldConv int64
	e.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PN1', '+62 21 1') RETURNING id`).Scan(&sender)
	var sender2 int64
	e.db.Raw(`INSERT INTO senders (phone_number_id, display_number) VALUES ('PN2', '+62 21 2') RETURNING id`).Scan(&sender2)
	e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, assignee_agent_id, team_id) VALUES (?, ?, ?, ?) RETURNING id`,
		sender, served.ID, a1, team.ID).Scan(&conv)
	e.db.Raw(`INSERT INTO conversations (sender_id, contact_id, assignee_agent_id, team_id, status) VALUES (?, ?, ?, ?, 'resolved') RETURNING id`,
		sender2, served.ID, a1, team.ID).Scan(&oldConv)
	if conv == 0 || oldConv == 0 {
		t.Fatal("seed conversations")
	}

	// The assignee reads its customer with tags and attributes.
	var got contacts.ContactRecord
	e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", served.ID), tok, nil), 200).json(t, &got)
	if got.Name != "Siti" || len(got.Tags) != 1 || got.Tags[0] != "vip" || string(got.Attributes) == "" {
		t.Fatalf("contact of own conversation: %+v", got)
	}
	// ... edits it (the Agent role holds contacts:write) ...
	e.must(e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", served.ID), tok, map[string]any{"tags": []string{"vip", "janji-bayar"}}), 200).json(t, &got)
	if len(got.Tags) != 2 {
		t.Fatalf("edit: %+v", got)
	}
	// ... but serving a chat is no claim on the customer: no new owner.
	e.must(e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", served.ID), tok, map[string]any{"ownerAgentId": a1}), 403)
	// It is in the agent's contact list; the unrelated contact is not.
	var l contactList
	e.must(e.do("GET", "/api/v1/contacts", tok, nil), 200).json(t, &l)
	if l.Total != 1 || l.Items[0].ID != served.ID {
		t.Fatalf("agent contact list: %+v", l)
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", other.ID), tok, nil), 404)
	e.must(e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", other.ID), tok, map[string]any{"name": "x"}), 404)

	// The side panel's previous conversations: the customer's chats in scope.
	var page inbox.InboxPage
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations?contactId=%d", served.ID), tok, nil), 200).json(t, &page)
	if len(page.Items) != 2 {
		t.Fatalf("conversations of the contact: %+v", page.Items)
	}
	e.must(e.do("GET", fmt.Sprintf("/api/v1/conversations?contactId=%d", other.ID), tok, nil), 200).json(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("conversations of an unrelated contact: %+v", page.Items)
	}

	// A case assigned to the agent shows its contact too.
	e.db.Exec(`INSERT INTO cases (reference, contact_id, team_id, agent_id, status, assigned_at) VALUES ('LN-1', ?, ?, ?, 'assigned', now())`,
		cased.ID, team.ID, a1)
	e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", cased.ID), tok, nil), 200)

	// Reassigned to a teammate: the access goes with the conversations.
	e.db.Exec(`UPDATE conversations SET assignee_agent_id = ? WHERE contact_id = ?`, a2, served.ID)
	e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", served.ID), tok, nil), 404)
	e.must(e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", served.ID), e.login("a2@example.com").AccessToken, nil), 200)
}
