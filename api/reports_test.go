package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/reports"
)

// reportsEnv: team Penagihan (supervisor + agent Ani) and team Layanan
// (agent Budi with a role that may read reports of its own work); one
// conversation of Ani answered in 10 minutes on Monday 30 Nov 2026 (WIB),
// labelled with a formula-looking label, and a paid marketing template.
type reportsEnv struct {
	*env
	admin, sup, ani, budi string
	team1, team2, aniID   int64
}

func newReportsEnv(t *testing.T) *reportsEnv {
	t.Helper()
	e := newEnv(t)
	_, admin := e.admin()
	var t1, t2 identity.Team
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Penagihan"}), 201).json(t, &t1)
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Layanan"}), 201).json(t, &t2)
	e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor), t1.ID)
	aniID := e.agent("ani@example.com", e.roleID(models.RoleKeyAgent), t1.ID)
	var own identity.Role
	e.must(e.do("POST", "/api/v1/roles", admin, map[string]any{"name": "Agent with reports",
		"permissions": []string{"reports:read", "inbox:read"}, "dataScope": "own"}), 201).json(t, &own)
	e.agent("budi@example.com", own.ID, t2.ID)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := e.db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wib := models.LoadZone("Asia/Jakarta")
	mon := func(h, m int) time.Time { return time.Date(2026, 11, 30, h, m, 0, 0, wib) }
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`)
	exec(`INSERT INTO contacts (id, phone_e164, name) VALUES (1, '+6281200000001', 'Citra')`)
	exec(`INSERT INTO conversations (id, sender_id, contact_id, team_id, assignee_agent_id, labels, created_at, updated_at)
		VALUES (1, 1, 1, ?, ?, '{"=HYPERLINK(1)"}', ?, ?)`, t1.ID, aniID, mon(9, 0), mon(9, 0))
	exec(`INSERT INTO messages (conversation_id, direction, type, wamid, status, created_at) VALUES (1, 'in', 'text', 'i1', 'received', ?)`, mon(9, 0))
	exec(`INSERT INTO messages (id, conversation_id, direction, type, status, created_at) VALUES (10, 1, 'out', 'text', 'queued', ?)`, mon(9, 10))
	exec(`UPDATE messages SET author_agent_id = ? WHERE id = 10`, aniID)
	exec(`INSERT INTO messages (id, conversation_id, direction, type, status, wamid, created_at) VALUES (11, 1, 'out', 'template', 'queued', 'o11', ?)`, mon(10, 0))
	exec(`UPDATE messages SET status = 'sent', sent_at = ? WHERE id = 11`, mon(10, 0))
	exec(`UPDATE messages SET pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE id = 11`)
	return &reportsEnv{env: e, admin: admin, sup: e.login("sup@example.com").AccessToken, ani: e.login("ani@example.com").AccessToken,
		budi: e.login("budi@example.com").AccessToken, team1: t1.ID, team2: t2.ID, aniID: aniID}
}

const reportRange = "from=2026-11-30&to=2026-12-01"

func TestReportsREST(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	var r reports.Report
	e.must(e.do("GET", "/api/v1/reports?"+reportRange+"&teamId="+itoa(e.team1), e.sup, nil), 200).json(t, &r)
	if r.From != "2026-11-30" || r.To != "2026-12-01" || r.Zone != "Asia/Jakarta" || r.Totals.ConvNew != 1 ||
		r.Totals.FirstResponse.Count != 1 || *r.Totals.FirstResponse.AvgSeconds != 600 || r.Totals.CostIDR != 586.33 ||
		len(r.Daily) != 2 || len(r.HourOfDay) != 24 || r.HourOfDay[9].ConvNew != 1 {
		t.Fatalf("supervisor report: %+v", r)
	}
	if len(r.Agents) != 1 || r.Agents[0].Name != "ani@example.com" || len(r.Teams) != 1 || r.Teams[0].Name != "Penagihan" {
		t.Fatalf("breakdowns: %+v / %+v", r.Agents, r.Teams)
	}

	// Budi (own scope) sees nothing of team 1's work, and cannot ask for it.
	e.must(e.do("GET", "/api/v1/reports?"+reportRange, e.budi, nil), 200).json(t, &r)
	if r.Totals.ConvNew != 0 || r.Totals.MsgIn != 0 || r.Totals.CostIDR != 0 || len(r.Agents) != 0 {
		t.Fatalf("own scope sees %+v", r.Totals)
	}
	for _, q := range []string{"&teamId=" + itoa(e.team1), "&agentId=" + itoa(e.aniID), "&senderId=999"} {
		res := e.must(e.do("GET", "/api/v1/reports?"+reportRange+q, e.budi, nil), 404)
		if code, _ := res.errField(); code != "not_found" {
			t.Fatalf("%s: %s", q, res.body)
		}
	}
	// Agents (system role) have no reports:read at all.
	e.must(e.do("GET", "/api/v1/reports", e.ani, nil), 403)

	// A bad range is a 400 naming the field.
	for q, field := range map[string]string{
		"from=2026-12-05&to=2026-12-01": "from",
		"from=30-11-2026":               "from",
		"to=2026-02-30":                 "to",
		"from=2025-01-01&to=2026-12-01": "to",
		"teamId=abc":                    "teamId",
	} {
		res := e.must(e.do("GET", "/api/v1/reports?"+q, e.sup, nil), 400)
		if code, f := res.errField(); code != "invalid" || f != field {
			t.Errorf("%s: %s", q, res.body)
		}
	}
}

func TestReportsExportREST(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	res := e.must(e.do("GET", "/api/v1/reports/export?format=csv&"+reportRange, e.sup, nil), 200)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
		!strings.Contains(res.header.Get("Content-Disposition"), "laporan-activity-2026-11-30-2026-12-01.csv") {
		t.Fatalf("headers %v", res.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "section" || rows[0][3] != "conversations_new" || rows[1][0] != "total" || rows[1][3] != "1" {
		t.Fatalf("csv head %v", rows[:2])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var label []string
	days := 0
	for _, r := range rows[1:] {
		switch r[0] {
		case "label":
			label = r
		case "day":
			days++
		}
	}
	// The label is text, never a formula.
	if label == nil || label[1] != "'=HYPERLINK(1)" || label[col["first_response_avg_s"]] != "600" || days != 2 {
		t.Fatalf("label row %v, %d days", label, days)
	}
	if rows[1][col["cost_idr"]] != "586.33" || rows[1][col["billable"]] != "1" {
		t.Fatalf("total row %v", rows[1])
	}
	res = e.must(e.do("GET", "/api/v1/reports/export?format=csv&table=cost&"+reportRange, e.sup, nil), 200)
	if !strings.Contains(string(res.body), `"marketing","regular","false","1","1","586.33"`) {
		t.Fatalf("cost csv %s", res.body)
	}

	res = e.must(e.do("GET", "/api/v1/reports/export?format=xlsx&"+reportRange, e.sup, nil), 200)
	f, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "activity,cases,campaigns,failures,cost,csat,sla,journeys" {
		t.Fatalf("sheets %s", got)
	}
	if v, _ := f.GetCellValue("activity", "D2"); v != "1" {
		t.Fatalf("activity D2 = %q", v)
	}
	if typ, _ := f.GetCellType("activity", "D2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Fatalf("numbers should be numeric cells, got %v", typ)
	}
	// No survey answered in this history: the csat sheet has its total row, zero.
	if a, _ := f.GetCellValue("csat", "A2"); a != "total" {
		t.Fatalf("csat A2 = %q", a)
	}
	if d, _ := f.GetCellValue("csat", "D2"); d != "0" {
		t.Fatalf("csat D2 = %q", d)
	}
	for _, q := range []string{"format=pdf", "table=secrets"} {
		e.must(e.do("GET", "/api/v1/reports/export?"+q, e.sup, nil), 400)
	}
	e.must(e.do("GET", "/api/v1/reports/export?format=csv&teamId="+itoa(e.team1), e.budi, nil), 404)
}

func TestRateCardREST(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	var rc reports.RateCard
	e.must(e.do("GET", "/api/v1/reports/rate-card", e.sup, nil), 200).json(t, &rc)
	if len(rc.Prefixes) == 0 || len(rc.Prices) == 0 {
		t.Fatalf("seeded card %+v", rc)
	}
	card := map[string]any{"prefixes": []map[string]string{{"prefix": "62", "market": "ID"}},
		"prices": []map[string]any{{"market": "ID", "category": "marketing", "priceIdr": 600}, {"market": "default", "category": "marketing", "priceIdr": 900}}}
	e.must(e.do("PUT", "/api/v1/reports/rate-card", e.sup, card), 403) // supervisors do not manage numbers
	e.must(e.do("PUT", "/api/v1/reports/rate-card", e.admin, card), 200).json(t, &rc)
	if len(rc.Prices) != 2 || rc.Prices[0].PriceIDR != 600 {
		t.Fatalf("stored card %+v", rc)
	}
	// The next priced message uses the new price; the earlier one keeps its cost.
	if err := e.db.Exec(`UPDATE messages SET status = 'queued', pricing_category = NULL WHERE id = 10`).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.db.Exec(`UPDATE messages SET pricing_type = 'regular', pricing_category = 'marketing', billable = true WHERE id = 10`).Error; err != nil {
		t.Fatal(err)
	}
	var r reports.Report
	e.must(e.do("GET", "/api/v1/reports?"+reportRange, e.admin, nil), 200).json(t, &r)
	if r.Totals.CostIDR != 1186.33 || r.Totals.Billable != 2 {
		t.Fatalf("cost after the new card: %v (%d billable)", r.Totals.CostIDR, r.Totals.Billable)
	}
	bad := map[string]any{"prefixes": []map[string]string{{"prefix": "+6x", "market": "ID"}}, "prices": card["prices"]}
	if code, f := e.must(e.do("PUT", "/api/v1/reports/rate-card", e.admin, bad), 400).errField(); code != "invalid" || f != "prefixes[0].prefix" {
		t.Fatalf("bad card: %s %s", code, f)
	}
	if code, f := e.must(e.do("PUT", "/api/v1/reports/rate-card", e.admin, "{}"), 400).errField(); code != "invalid" || f != "prices" {
		t.Fatalf("empty card: %s %s", code, f)
	}
}

// The rows of nobody (a conversation no agent served, in no team) are
// named in the reader's language: the web app asks in Indonesian and
// shows no English placeholder.
func TestReportsNameNobodyInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	wib := models.LoadZone("Asia/Jakarta")
	at := time.Date(2026, 11, 30, 11, 0, 0, 0, wib)
	if err := e.db.Exec(`INSERT INTO contacts (id, phone_e164, name) VALUES (2, '+6281200000002', 'Dewi')`).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.db.Exec(`INSERT INTO conversations (id, sender_id, contact_id, created_at, updated_at) VALUES (2, 1, 2, ?, ?)`, at, at).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.db.Exec(`INSERT INTO messages (conversation_id, direction, type, wamid, status, created_at) VALUES (2, 'in', 'text', 'i2', 'received', ?)`, at).Error; err != nil {
		t.Fatal(err)
	}
	get := func(lang string) reports.Report {
		t.Helper()
		req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/reports?"+reportRange, nil)
		req.Header.Set("Authorization", "Bearer "+e.admin)
		req.Header.Set("Accept-Language", lang)
		res, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r reports.Report
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != 200 {
			t.Fatalf("report in %s: %d %v", lang, res.StatusCode, err)
		}
		return r
	}
	nobody := func(rows []reports.GroupRow) string {
		for _, g := range rows {
			if g.ID == 0 {
				return g.Name
			}
		}
		return "<no row of nobody>"
	}
	id := get("id")
	if a, tm := nobody(id.Agents), nobody(id.Teams); a != "(belum ditugaskan)" || tm != "(tanpa tim)" {
		t.Errorf("Indonesian: agent %q, team %q", a, tm)
	}
	en := get("en")
	if a, tm := nobody(en.Agents), nobody(en.Teams); a != reports.NoAgent || tm != reports.NoTeam {
		t.Errorf("English: agent %q, team %q", a, tm)
	}
}
