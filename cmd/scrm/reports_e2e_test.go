package main

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
)

// answeredConversation is the start both reports and CSAT take: Ayu is
// online, the customer writes, routing assigns the conversation to her and
// she replies. It returns her socket, the conversation and her reply.
func (st *stack) answeredConversation(seed inboxSeed) (*socket, int64, models.Message) {
	t := st.t
	t.Helper()
	ayuWS := st.connect(seed.ayu)
	waitUntil(t, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Halo, tagihan saya berapa?",
		"name": "Siti Nurhaliza", "phoneNumberId": e2ePNID})
	assigned := ayuWS.waitFor(t, 15*time.Second, "conversation assigned to ayu", eventful(models.EventConversationUpdated,
		map[string]any{"change": "assigned", "assigneeAgentId": seed.ayuID}))
	var conv struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(assigned.Data, &conv)
	var sent models.Message
	if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), seed.ayu,
		map[string]any{"type": "text", "text": "Tagihan Ibu Rp 1.250.000."}, &sent); code != 202 {
		t.Fatalf("reply: %d", code)
	}
	return ayuWS, conv.ID, sent
}

// The whole stack: a customer writes, Ayu answers (a free service message
// by the simulator's pricing webhooks), a 4-recipient marketing campaign
// goes out (billable, +62: Rp 586.33 each); the report counts the first
// response, the free and paid messages and the campaign's funnel from the
// real status webhooks.
func TestReportsEndToEnd(t *testing.T) {
	t.Parallel()
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	ayuWS, _, sent := st.answeredConversation(seed)
	ayuWS.waitFor(t, 15*time.Second, "reply read", eventful(models.EventMessageStatus, map[string]any{"id": sent.ID, "status": "read"}))

	cs := st.seedCampaignNumbers(seed.admin, 1)
	segment := st.audience(seed.admin, "laporan", 1, 4)
	camp := st.runCampaign(cs, "Promo Laporan", segment, 4, 0)

	var r reports.Report
	waitUntil(t, 20*time.Second, "campaign delivered and priced", func() bool {
		if code := st.call("GET", "/api/v1/reports", seed.admin, nil, &r); code != 200 {
			t.Fatalf("report: %d", code)
		}
		return len(r.Campaigns) == 1 && r.Campaigns[0].Billable == 4 && r.Campaigns[0].Delivered == 4
	})
	c := r.Campaigns[0]
	if c.ID != camp.ID || c.Name != "Promo Laporan" || c.Sent != 4 || c.Failed != 0 || math.Abs(c.CostIDR-4*586.33) > 1e-6 {
		t.Fatalf("campaign row %+v", c)
	}
	cost := map[string]reports.CostRow{}
	for _, x := range r.Cost {
		cost[x.Category+"/"+x.Type] = x
	}
	if m := cost["marketing/regular"]; m.Messages != 4 || m.Billable != 4 || m.Free || math.Abs(m.CostIDR-2345.32) > 1e-6 {
		t.Fatalf("marketing cost %+v (all %+v)", m, r.Cost)
	}
	if f := cost["service/free_customer_service"]; f.Messages != 1 || f.Billable != 0 || !f.Free || f.CostIDR != 0 {
		t.Fatalf("free reply %+v (all %+v)", f, r.Cost)
	}
	tot := r.Totals
	if tot.FirstResponse.Count != 1 || tot.MsgIn != 1 || tot.MsgOut != 5 || tot.TemplatesSent != 4 || tot.Billable != 4 || tot.Free != 1 ||
		math.Abs(tot.CostIDR-2345.32) > 1e-6 {
		t.Fatalf("totals %+v", tot)
	}
	var ayu *reports.GroupRow
	for i := range r.Agents {
		if r.Agents[i].ID == seed.ayuID {
			ayu = &r.Agents[i]
		}
	}
	// The campaign's conversations are not routed: they stay unassigned.
	if ayu == nil || ayu.Name != "Ayu Lestari" || ayu.FirstResponse.Count != 1 || ayu.MsgOut != 1 || ayu.Free != 1 || ayu.ConvNew != 1 {
		t.Fatalf("agents %+v", r.Agents)
	}
	var pt string
	var costMilli int64
	db.Raw(`SELECT pricing_type, cost_milli FROM messages WHERE id = ?`, sent.ID).Row().Scan(&pt, &costMilli)
	if pt != "free_customer_service" || costMilli != 0 {
		t.Fatalf("reply pricing %q cost %d", pt, costMilli)
	}
}
