package main

import (
	csvpkg "encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/csat"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/waba/sim"
)

// surveysTo are the interactive lists the simulator accepted for a customer.
func (st *stack) surveysTo(phone string) []sim.OutboxEntry {
	var out []sim.OutboxEntry
	for _, e := range st.sim.Outbox() {
		if e.To == phone && e.Type == "interactive" && e.ErrorCode == 0 && e.WAMID != "" {
			out = append(out, e)
		}
	}
	return out
}

// surveyRow is the id of rating n's row in a survey the simulator got.
func surveyRow(t *testing.T, e sim.OutboxEntry, n int) string {
	t.Helper()
	var body struct {
		Interactive struct {
			Type   string
			Action struct {
				Sections []struct{ Rows []struct{ ID, Title string } }
			}
		}
	}
	if err := json.Unmarshal(e.Body, &body); err != nil || body.Interactive.Type != "list" || len(body.Interactive.Action.Sections) != 1 ||
		len(body.Interactive.Action.Sections[0].Rows) != 5 {
		t.Fatalf("survey body %s (%v)", e.Body, err)
	}
	r := body.Interactive.Action.Sections[0].Rows[n-1]
	if r.Title != csat.RatingTitle(n) {
		t.Fatalf("row %d: %+v", n, r)
	}
	return r.ID
}

// The whole stack: CSAT switched on through the API, a customer writes (a
// signed webhook from the simulator), Ayu answers and resolves (twice: a
// double click); the simulator receives exactly one interactive list, the
// simulated customer taps "5", and the report shows it for Ayu and her
// team, while the conversation stays resolved and the first response count
// is Ayu's one answer. Then auto-resolve (3 s idle) sends a survey too.
func TestCSATEndToEnd(t *testing.T) {
	st := startStack(t, time.Hour)
	seed := st.seedInbox()
	db := st.db.Gorm
	var set csat.Settings
	if code := st.call("PUT", "/api/v1/reports/csat-settings", seed.ayu, map[string]any{"enabled": true, "question": "Q", "timeoutMinutes": 60}, nil); code != 403 {
		t.Fatalf("an agent changed the CSAT settings: %d", code)
	}
	if code := st.call("PUT", "/api/v1/reports/csat-settings", seed.admin, map[string]any{"enabled": true, "question": csat.DefaultQuestion,
		"timeoutMinutes": 60, "teams": []any{}}, &set); code != 200 || !set.Enabled || set.TimeoutMinutes != 60 {
		t.Fatalf("csat settings: %d %+v", code, set)
	}
	if code := st.call("PUT", "/api/v1/reports/csat-settings", seed.admin, map[string]any{"enabled": true, "question": "", "timeoutMinutes": 60}, nil); code != 400 {
		t.Fatalf("empty question: %d", code)
	}
	ayuWS, convID, sent := st.answeredConversation(seed)
	ayuWS.waitFor(t, 15*time.Second, "reply sent", eventful(models.EventMessageStatus, map[string]any{"id": sent.ID, "status": "sent"}))
	for range 2 {
		if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", convID), seed.ayu, nil, nil); code != 200 {
			t.Fatalf("resolve: %d", code)
		}
	}
	var surveys []sim.OutboxEntry
	waitUntil(t, 15*time.Second, "the survey reaches the simulator", func() bool {
		surveys = st.surveysTo(e2eCustomer)
		return len(surveys) > 0
	})
	time.Sleep(time.Second) // a second survey would have followed by now
	if surveys = st.surveysTo(e2eCustomer); len(surveys) != 1 {
		t.Fatalf("%d surveys, want exactly one", len(surveys))
	}
	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "list_reply", "context": surveys[0].WAMID,
		"payload": surveyRow(t, surveys[0], 5), "phoneNumberId": e2ePNID})

	var r reports.Report
	waitUntil(t, 15*time.Second, "the rating in the report", func() bool {
		if code := st.call("GET", "/api/v1/reports", seed.admin, nil, &r); code != 200 {
			t.Fatalf("report: %d", code)
		}
		return r.CSAT.Totals.Responses == 1
	})
	if tot := r.CSAT.Totals; tot.Distribution != [5]int64{0, 0, 0, 0, 1} || tot.Average == nil || *tot.Average != 5 || *tot.SatisfiedPct != 100 {
		t.Fatalf("csat totals %+v", tot)
	}
	if len(r.CSAT.Agents) != 1 || r.CSAT.Agents[0].ID != seed.ayuID || r.CSAT.Agents[0].Name != "Ayu Lestari" || r.CSAT.Agents[0].Responses != 1 {
		t.Fatalf("csat agents %+v", r.CSAT.Agents)
	}
	if len(r.CSAT.Teams) != 1 || r.CSAT.Teams[0].ID != seed.teamID || r.CSAT.Teams[0].Name != "Penagihan Jakarta" || *r.CSAT.Teams[0].Average != 5 {
		t.Fatalf("csat teams %+v", r.CSAT.Teams)
	}
	// The survey is no agent's answer, the rating no new request.
	if r.Totals.FirstResponse.Count != 1 || r.Totals.ConvResolved != 1 || r.Totals.ConvReopened != 0 || r.Totals.MsgIn != 2 || r.Totals.MsgOut != 2 {
		t.Fatalf("activity totals %+v", r.Totals)
	}
	var status string
	db.Raw(`SELECT status FROM conversations WHERE id = ?`, convID).Scan(&status)
	if status != "resolved" {
		t.Fatalf("the rating reopened the conversation: %s", status)
	}
	// The CSV export's csat table: the total and Ayu's row.
	req, _ := http.NewRequest("GET", st.apiURL+"/api/v1/reports/export?format=csv&table=csat", nil)
	req.Header.Set("Authorization", "Bearer "+seed.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csvpkg.NewReader(resp.Body).ReadAll()
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(rows) < 4 || rows[1][0] != "total" || rows[1][3] != "1" || rows[1][4] != "5.00" ||
		rows[1][9] != "1" || rows[1][10] != "100.0" {
		t.Fatalf("csat export %d %v %q", resp.StatusCode, err, rows)
	}

	// Auto-resolve: the worker's workflows resolve after 3 s idle and
	// queue the survey from the activity.
	st.cfg.ConversationAutoResolve = 3 * time.Second
	st.restartWorker()
	const other = "6281298765432"
	st.simPost("/sim/customers/"+other+"/messages", map[string]any{"type": "text", "text": "Sudah saya bayar", "name": "Rina", "phoneNumberId": e2ePNID})
	waitUntil(t, 30*time.Second, "auto-resolved and surveyed", func() bool { return len(st.surveysTo(other)) == 1 })
	var autoStatus string
	db.Raw(`SELECT v.status FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.wa_id = ?`, other).Scan(&autoStatus)
	if autoStatus != "resolved" {
		t.Fatalf("auto-resolved conversation is %s", autoStatus)
	}
	st.endWorkflows()
}
