package dispatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/worker/testenv"
)

func TestTierLimitAndWarmupCap(t *testing.T) {
	t.Parallel()
	for tier, want := range map[string]int{"TIER_250": 250, "": 250, "TIER_2K": 2000, "TIER_100K": 100000, "TIER_UNLIMITED": 0} {
		if got := dispatch.TierLimit(tier); got != want {
			t.Fatalf("TierLimit(%q) = %d, want %d", tier, got, want)
		}
	}
	jkt := models.LoadZone(models.TZWIB)
	started := time.Date(2026, 11, 20, 23, 30, 0, 0, jkt) // late on day 0
	schedule := []int{250, 500, 1000}
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 11, 20, 23, 59, 0, 0, jkt), 250},
		{time.Date(2026, 11, 21, 0, 1, 0, 0, jkt), 500}, // day 1 starts at Jakarta midnight
		{time.Date(2026, 11, 22, 12, 0, 0, 0, jkt), 1000},
		{time.Date(2026, 11, 23, 0, 0, 0, 0, jkt), 0}, // schedule over: no cap
	} {
		if got := dispatch.WarmupCap(schedule, &started, c.at); got != c.want {
			t.Fatalf("WarmupCap at %s = %d, want %d", c.at, got, c.want)
		}
	}
	if dispatch.WarmupCap(schedule, nil, started) != 0 {
		t.Fatal("a number without warm-up has a cap")
	}
	if next := dispatch.NextLocalDay(time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)); !next.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, jkt)) {
		t.Fatalf("next local day %s", next) // 18:00 UTC is already 01:00 on the 21st in Jakarta
	}
	for _, c := range []struct {
		s    models.Sender
		want string
	}{
		{models.Sender{Status: models.SenderActive, Quality: models.QualityGreen}, dispatch.BlockNone},
		{models.Sender{Status: models.SenderActive, Quality: models.QualityYellow}, dispatch.BlockNone},
		{models.Sender{Status: models.SenderActive, Quality: models.QualityRed}, dispatch.BlockQuality},
		{models.Sender{Status: models.SenderFlagged, Quality: models.QualityGreen}, dispatch.BlockStatus},
	} {
		if got, _ := dispatch.DispatchBlock(c.s); got != c.want {
			t.Fatalf("DispatchBlock(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

// Frequency caps can count only marketing templates, and a campaign can
// leave alone customers an agent is talking to.
func TestCampaignClaimCapCategoriesAndAssignedConversations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES
		(1, 'promo', 'id', 'MARKETING', 'APPROVED', '[{"type":"BODY","text":"Halo {{1}}","example":{"body_text":[["Budi"]]}}]'),
		(2, 'tagihan', 'id', 'UTILITY', 'APPROVED', '[{"type":"BODY","text":"Tagihan"}]')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, name, tags) VALUES
		(1, '+6281100000001', '6281100000001', 'Busy', '{x}'), (2, '+6281100000002', '6281100000002', 'Utility', '{x}'),
		(3, '+6281100000003', '6281100000003', 'Marketed', '{x}'), (4, '+6281100000004', '6281100000004', 'Free', '{x}')`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'x', '{"tags":["x"]}')`)
	exec(`INSERT INTO agents (id, name, email, password_hash, role_id) VALUES (50, 'Agen', 'agen@x.id', 'x', (SELECT min(id) FROM roles))`)
	exec(`INSERT INTO conversations (id, sender_id, contact_id, status, assignee_agent_id) VALUES (101, 1, 1, 'open', 50)`)
	exec(`INSERT INTO conversations (id, sender_id, contact_id) VALUES (102, 1, 2), (103, 1, 3)`)
	exec(`INSERT INTO messages (conversation_id, direction, type, status, payload) VALUES
		(102, 'out', 'template', 'delivered', '{"type":"template","template":{"name":"tagihan","language":{"code":"id"}}}'),
		(103, 'out', 'template', 'delivered', '{"type":"template","template":{"name":"promo","language":{"code":"id"}}}')`)
	st := campaigns.CampaignStore{DB: db}
	if _, _, err := st.Create(ctx, models.Principal{}, campaigns.CampaignInput{Name: "bad", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1},
		Variables: map[string]string{"body.1": "contact.name"}, Cap: &campaigns.FrequencyCap{Max: 1, Days: 7, Categories: []string{"PROMO"}}}); err == nil {
		t.Fatal("unknown category accepted")
	}
	c, _, err := st.Create(ctx, models.Principal{}, campaigns.CampaignInput{Name: "promo", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1},
		Variables: map[string]string{"body.1": "contact.name"}, SkipAssigned: true,
		Cap: &campaigns.FrequencyCap{Max: 1, Days: 7, Categories: []string{"marketing"}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Claim(ctx, c.ID, []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Skipped[campaigns.SkipAssignedConversation] != 1 || r.Skipped[campaigns.SkipFrequencyCap] != 1 || len(r.Sends) != 2 {
		t.Fatalf("claim %+v", r)
	}
	for _, s := range r.Sends {
		if s.ContactID != 2 && s.ContactID != 4 {
			t.Fatalf("sending to contact %d", s.ContactID)
		}
	}
}

// A campaign's audience is a segment, an uploaded list (an import's
// contacts) or both, paged by keyset without duplicates.
func TestCampaignAudienceFromUploadedList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES
		(1, 'promo', 'id', 'MARKETING', 'APPROVED', '[{"type":"BODY","text":"Halo {{1}}","example":{"body_text":[["Budi"]]}}]')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, name, tags) SELECT g, '+628110000000' || g, '628110000000' || g, 'C' || g,
		CASE WHEN g <= 4 THEN '{seg}'::text[] ELSE '{}'::text[] END FROM generate_series(1, 8) g`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'seg', '{"tags":["seg"]}')`)
	exec(`INSERT INTO intake_jobs (id, source, created_by) VALUES (7, 'csv', 1)`)
	// The list has contacts 4 (also in the segment), 6 and 7, and a row that failed.
	exec(`INSERT INTO intake_rows (job_id, row_no, raw, result, contact_id) VALUES
		(7, 1, '{}', 'created', 4), (7, 2, '{}', 'created', 6), (7, 3, '{}', 'updated', 7), (7, 4, '{}', 'error', NULL)`)
	st := campaigns.CampaignStore{DB: db}
	in := campaigns.CampaignInput{Name: "list", TemplateID: 1, SenderIDs: []int64{1}, Variables: map[string]string{"body.1": "contact.name"}}
	if _, _, err := st.Create(ctx, models.Principal{}, in); err == nil {
		t.Fatal("a campaign without an audience was accepted")
	}
	for _, c := range []struct {
		segment, job int64
		want         string
	}{
		{0, 7, "[6 7]"}, // after contact 4: the cursor starts past it
		{1, 0, "[]"},
		{1, 7, "[6 7]"},
	} {
		in.SegmentID, in.IntakeJobID = c.segment, c.job
		if c.job != 0 {
			// Another agent's uploaded list answers like a missing one.
			if _, _, err := st.Create(ctx, models.Principal{AgentID: 2}, in); models.CodeOf(err) != models.EUnprocessable {
				t.Fatalf("another agent's list: %v", err)
			}
		}
		camp, pv, err := st.Create(ctx, models.Principal{AgentID: 1}, in) // the import's creator
		if err != nil {
			t.Fatal(err)
		}
		all, err := st.NextContacts(ctx, camp.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(all)) != pv.Size {
			t.Fatalf("segment %d list %d: preview %d, paged %v", c.segment, c.job, pv.Size, all)
		}
		after, err := st.NextContacts(ctx, camp.ID, 4, 100)
		if err != nil || fmt.Sprint(after) != c.want {
			t.Fatalf("segment %d list %d: after 4 %v %v, want %s", c.segment, c.job, after, err, c.want)
		}
	}
	// Sizes: list 3, segment 4, both 6 (contact 4 once).
	var sizes []int
	for _, c := range [][2]int64{{0, 7}, {1, 0}, {1, 7}} {
		in.SegmentID, in.IntakeJobID = c[0], c[1]
		_, pv, err := st.Create(ctx, models.Principal{AgentID: 1}, in)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, int(pv.Size))
	}
	if fmt.Sprint(sizes) != "[3 4 6]" {
		t.Fatalf("audience sizes %v", sizes)
	}
}

// Variables read case fields of the contact's open case and fall back to a
// default when a field is empty.
func TestCampaignVariablesFromCasesWithDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t).Gorm
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'tagihan', 'id', 'UTILITY', 'APPROVED',
		'[{"type":"BODY","text":"Yth. {{1}}, tagihan {{2}} sebesar Rp{{3}} jatuh tempo {{4}}.","example":{"body_text":[["Budi","REF","100","01-01-2027"]]}}]')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, name, tags) VALUES (1, '+6281100000001', '6281100000001', '', '{c}'),
		(2, '+6281100000002', '6281100000002', 'Sari', '{c}'), (3, '+6281100000003', '6281100000003', 'Tanpa Kasus', '{c}')`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'c', '{"tags":["c"]}')`)
	exec(`INSERT INTO teams (id, name) VALUES (1, 'Koleksi')`)
	exec(`INSERT INTO cases (reference, contact_id, amount, outstanding, due_date, team_id, status, exit_reason, exited_at) VALUES
		('OLD-1', 1, 5, 5, '2026-01-01', 1, 'exited', 'paid', now())`)
	exec(`INSERT INTO cases (reference, contact_id, amount, outstanding, due_date, team_id) VALUES
		('KRD-001', 1, 2500000, 1250000, '2026-12-05', 1), ('KRD-002', 2, 900000, 900000, '2026-12-10', 1)`)
	st := campaigns.CampaignStore{DB: db}
	c, pv, err := st.Create(ctx, models.Principal{}, campaigns.CampaignInput{Name: "tagihan", TemplateID: 1, SegmentID: 1, SenderIDs: []int64{1},
		Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu", "body.2": "case.reference", "body.3": "case.outstanding", "body.4": "case.due_date"}})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Sample["body.1"] != "Bapak/Ibu" || pv.Sample["body.2"] != "KRD-001" || pv.Sample["body.3"] != "1250000" {
		t.Fatalf("sample %+v", pv.Sample)
	}
	r, err := st.Claim(ctx, c.ID, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	// Contact 3 has no open case: its case variables cannot be filled.
	if len(r.Sends) != 2 || r.Skipped[campaigns.SkipMissingValue] != 1 {
		t.Fatalf("claim %+v", r)
	}
	var bodies []string
	db.Raw(`SELECT m.body FROM campaign_recipients r JOIN messages m ON m.id = r.message_id WHERE r.campaign_id = ? ORDER BY r.contact_id`, c.ID).Scan(&bodies)
	want := []string{"Yth. Bapak/Ibu, tagihan KRD-001 sebesar Rp1250000 jatuh tempo 05-12-2026.",
		"Yth. Sari, tagihan KRD-002 sebesar Rp900000 jatuh tempo 10-12-2026."}
	if fmt.Sprint(bodies) != fmt.Sprint(want) {
		t.Fatalf("bodies %q", bodies)
	}
}
