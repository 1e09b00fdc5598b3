package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/worker/testenv"
)

// chunkRunner stands in for Temporal: it runs the intake activities chunk
// by chunk, exactly as ContactIntakeWorkflow does, when a job is started.
type chunkRunner struct {
	acts    *activities.Intake
	chunk   int
	run     bool // false: only record starts (the job stays pending)
	mu      sync.Mutex
	started []int64
}

func (r *chunkRunner) StartIntake(ctx context.Context, jobID int64) error {
	r.mu.Lock()
	r.started = append(r.started, jobID)
	r.mu.Unlock()
	if !r.run {
		return nil
	}
	return r.drive(ctx, jobID)
}

func (r *chunkRunner) drive(ctx context.Context, jobID int64) error {
	after := 0
	for {
		res, err := r.acts.ProcessIntakeChunk(ctx, jobID, after, r.chunk)
		if err != nil {
			return err
		}
		if res.Rows == 0 {
			break
		}
		after = res.LastRowNo
	}
	_, err := r.acts.FinishIntake(ctx, jobID, contacts.IntakeCompleted, "")
	return err
}

func (r *chunkRunner) CancelIntake(context.Context, int64) error { return nil }

func newIntakeEnv(t *testing.T, run bool, chunk int) (*env, *chunkRunner) {
	t.Helper()
	tdb := testenv.NewDB(t)
	tokens, err := identity.NewTokens(tdb.Gorm, testSecret, testenv.Hasher())
	if err != nil {
		t.Fatal(err)
	}
	runner := &chunkRunner{run: run, chunk: chunk, acts: &activities.Intake{
		Store: contacts.IntakeStore{DB: tdb.Gorm, Events: models.EventStore{DB: tdb.Gorm}},
	}}
	srv := api.New(api.Deps{
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Stores: api.StoresOn(tdb.Gorm, nil), Auth: tokens, Tokens: tokens, ShutdownTimeout: time.Second, Intake: runner,
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, db: tdb.Gorm, tokens: tokens, srv: srv, http: hs}, runner
}

// upload posts a multipart file with optional form fields.
func (e *env) upload(token, name string, data []byte, fields map[string]string) resp {
	e.t.Helper()
	return e.uploadKey(token, "", name, data, fields)
}

func (e *env) uploadKey(token, key, name string, data []byte, fields map[string]string) resp {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/intake/files", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

type jobResp struct {
	Job      contacts.IntakeJob      `json:"job"`
	Progress contacts.IntakeProgress `json:"progress"`
}

// report downloads the job's report as row -> "result|reason|e164".
func (e *env) report(token string, jobID int64) map[string]string {
	e.t.Helper()
	r := e.must(e.do("GET", "/api/v1/intake/"+itoa(jobID)+"/report.csv", token, nil), 200)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		e.t.Fatalf("report csv: %v", err)
	}
	if strings.Join(recs[0], ",") != "row,phone,name,result,reason,phone_e164,contact_id,contact,case_ref" {
		e.t.Fatalf("report header %v", recs[0])
	}
	out := map[string]string{}
	for _, rec := range recs[1:] {
		out[rec[0]] = rec[3] + "|" + rec[4] + "|" + rec[5]
	}
	return out
}

const mixedCSV = "Nama,No HP,Kota,No Kontrak\n" +
	"Budi Santoso,0812-3456-789,Jakarta,\n" + // 2 created
	"Siti Nurhaliza,081298765432,Bandung,\n" + // 3 created
	"Budi Lagi,+62 812 3456 789,Jakarta,\n" + // 4 duplicate of 2
	"Salah,12345,Medan,\n" + // 5 malformed phone
	",,,\n" + // 6 empty
	"Siti N,6281298765432,Bandung,\n" + // 7 duplicate of 3 (another chunk)
	"José Müller Ñandú,0813-1111-2222,Denpasar,\n" + // 8 created, diacritics
	"\n" + // 9 blank line: not a row
	"Dewi Existing,+6281555556666,Surabaya,\n" + // 10 updated (already a contact)
	"Agus Kredit,0857-1234-5678,Medan,K-001\n" + // 11 error: a case row without a team (its contact is saved)
	"Tanpa Nomor,,Medan,\n" // 12 error: empty phone

func TestIntakeMixedCSVReport(t *testing.T) {
	t.Parallel()
	e, runner := newIntakeEnv(t, true, 3)
	_, admin := e.admin()
	var dewi contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0815-5555-6666", "name": "Dewi", "attributes": map[string]any{"vip": "yes"}}), 201).json(t, &dewi)

	// Dry run: reports, writes nothing.
	var dry struct {
		Format   string                  `json:"format"`
		Headers  []string                `json:"headers"`
		Mapping  contacts.IntakeMapping  `json:"mapping"`
		Progress contacts.IntakeProgress `json:"progress"`
	}
	e.must(e.upload(admin, "mixed.csv", []byte(mixedCSV), map[string]string{"dryRun": "true"}), 200).json(t, &dry)
	if dry.Format != "csv" || dry.Mapping.Phone != "No HP" || dry.Mapping.Name != "Nama" || dry.Mapping.CaseRef != "No Kontrak" || dry.Mapping.Attributes["Kota"] != "Kota" {
		t.Fatalf("dry run mapping: %+v", dry)
	}
	want := contacts.IntakeProgress{Status: "dry_run", Total: 10, Processed: 10, Created: 4, Updated: 1, Duplicate: 2, Errors: 3, Empty: 1}
	if dry.Progress != want {
		t.Fatalf("dry run progress\n got %+v\nwant %+v", dry.Progress, want)
	}
	var n int64
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&n)
	if n != 1 {
		t.Fatalf("dry run wrote contacts: %d", n)
	}

	// The import, with an explicit mapping (attribute key "city").
	mapping := `{"phone":"No HP","name":"Nama","caseRef":"No Kontrak","attributes":{"city":"Kota"}}`
	var job jobResp
	e.must(e.upload(admin, "mixed.csv", []byte(mixedCSV), map[string]string{"mapping": mapping}), 202).json(t, &job)
	if job.Job.Source != "csv" || job.Job.TotalRows != 10 || job.Job.FileName != "mixed.csv" {
		t.Fatalf("job: %+v", job.Job)
	}
	got := e.report(admin, job.Job.ID)
	wantRows := map[string]string{
		"2":  "created||'+628123456789",
		"3":  "created||'+6281298765432",
		"4":  "duplicate|same phone as row 2|'+628123456789",
		"6":  "empty|empty row|",
		"7":  "duplicate|same phone as row 3|'+6281298765432",
		"8":  "created||'+6281311112222",
		"10": "updated||'+6281555556666",
		"11": "error|case: a case row needs a team (id or name)|'+6285712345678",
		"12": "error|phone is empty|",
	}
	if len(got) != 10 {
		t.Fatalf("report rows %d: %v", len(got), got)
	}
	for row, w := range wantRows {
		if got[row] != w {
			t.Errorf("row %s: got %q want %q", row, got[row], w)
		}
	}
	if !strings.HasPrefix(got["5"], "error|") || !strings.Contains(got["5"], "12345") {
		t.Errorf("row 5: %q", got["5"])
	}
	var jr jobResp
	e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID), admin, nil), 200).json(t, &jr)
	wantP := contacts.IntakeProgress{JobID: job.Job.ID, Status: contacts.IntakeCompleted, Total: 10, Processed: 10, Created: 4, Updated: 1, Duplicate: 2, Errors: 3, Empty: 1}
	if jr.Progress != wantP {
		t.Fatalf("progress\n got %+v\nwant %+v", jr.Progress, wantP)
	}
	var c contacts.ContactRecord
	e.db.Where("phone_e164 = ?", "+6281311112222").Take(&c)
	if c.Name != "José Müller Ñandú" || !strings.Contains(string(c.Attributes), `"city": "Denpasar"`) {
		t.Fatalf("diacritics contact: %+v %s", c, c.Attributes)
	}
	c = contacts.ContactRecord{}
	e.db.Take(&c, dewi.ID)
	if c.Name != "Dewi Existing" || !strings.Contains(string(c.Attributes), `"vip": "yes"`) || !strings.Contains(string(c.Attributes), `"city": "Surabaya"`) {
		t.Fatalf("updated contact keeps and merges attributes: %+v %s", c, c.Attributes)
	}

	// A case row refused by the plan waits for nothing (TestIntakeSeveralLoans
	// follows valid case rows into the cases phase).
	pend, err := contacts.IntakeStore{DB: e.db}.CasePending(t.Context(), job.Job.ID, 0, 100)
	if err != nil || len(pend) != 0 {
		t.Fatalf("case pending: %v %+v", err, pend)
	}

	// A re-run of every chunk (a crashed worker resuming), with other chunk
	// boundaries, changes nothing: no new contacts, results, or events.
	var nContacts, events int64
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&nContacts)
	e.db.Raw("SELECT count(*) FROM events WHERE type = ?", models.EventIntakeProgress).Scan(&events)
	if events == 0 {
		t.Fatal("no intake.progress events")
	}
	var last models.Event
	e.db.Where("type = ?", models.EventIntakeProgress).Order("id DESC").Take(&last)
	if len(last.Audience.AgentIDs) != 1 || last.Audience.AgentIDs[0] != job.Job.CreatedBy || !strings.Contains(string(last.Data), `"processed": 10`) {
		t.Fatalf("progress event: %+v %s", last.Audience, last.Data)
	}
	runner.chunk = 2
	if err := runner.drive(t.Context(), job.Job.ID); err != nil {
		t.Fatal(err)
	}
	var nContacts2, events2 int64
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&nContacts2)
	e.db.Raw("SELECT count(*) FROM events WHERE type = ?", models.EventIntakeProgress).Scan(&events2)
	if nContacts2 != nContacts || events2 != events || nContacts != 5 {
		t.Fatalf("re-run changed things: contacts %d->%d events %d->%d", nContacts, nContacts2, events, events2)
	}
	if again := e.report(admin, job.Job.ID); strings.Join(mapValues(again), ";") != strings.Join(mapValues(got), ";") {
		t.Fatalf("report changed on re-run:\n%v\n%v", got, again)
	}
	// Another agent without scope cannot see the job.
	e.agent("cm@example.com", e.roleID(models.RoleKeyCampaignManager))
	cm := e.login("cm@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID), cm, nil), 200) // campaign managers have all scope
	e.agent("sup@example.com", e.roleID(models.RoleKeySupervisor))
	sup := e.login("sup@example.com").AccessToken
	e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID), sup, nil), 403) // no contacts:import
}

func mapValues(m map[string]string) []string {
	var out []string
	for i := range 20 {
		if v, ok := m[itoa(int64(i))]; ok {
			out = append(out, itoa(int64(i))+"="+v)
		}
	}
	return out
}

func TestIntakeXLSX(t *testing.T) {
	t.Parallel()
	e, _ := newIntakeEnv(t, true, 500)
	_, admin := e.admin()
	f := excelize.NewFile()
	rows := [][]any{{"Nama", "Telepon", "Kota"}, {"Wayan", "0812-2222-3333", "Denpasar"}, {"Ketut", "62812 2222 3333", ""}, {"Made", "abc", ""}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var job, again jobResp
	e.must(e.uploadKey(admin, "up-1", "tagihan.xlsx", buf.Bytes(), nil), 202).json(t, &job)
	e.must(e.uploadKey(admin, "up-1", "tagihan.xlsx", buf.Bytes(), nil), 200).json(t, &again)
	e.must(e.uploadKey(admin, "up-1", "lain.csv", []byte("HP\n0812-2222-4444\n"), nil), 422) // another file, same key
	if again.Job.ID != job.Job.ID {
		t.Fatalf("same upload key made two jobs: %d %d", job.Job.ID, again.Job.ID)
	}
	if job.Job.Source != "xlsx" {
		t.Fatalf("source %q", job.Job.Source)
	}
	got := e.report(admin, job.Job.ID)
	if got["2"] != "created||'+6281222223333" ||
		got["3"] != "duplicate|same phone as row 2|'+6281222223333" || !strings.HasPrefix(got["4"], "error|") {
		t.Fatalf("xlsx report: %v", got)
	}
}

func TestIntakeBadFiles(t *testing.T) {
	t.Parallel()
	e, runner := newIntakeEnv(t, true, 500)
	_, admin := e.admin()
	cases := []struct {
		name   string
		data   []byte
		fields map[string]string
		status int
		field  string
	}{
		{"binary", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), nil, 422, "file"},
		{"latin1", []byte("Nama,No HP\nJos\xe9,0812-3456-789\n"), nil, 422, "file"},
		{"empty", []byte("  \n"), nil, 400, "file"},
		{"no phone column", []byte("Nama,Kota\nBudi,Jakarta\n"), nil, 422, "mapping.phone"},
		{"mapped column missing", []byte("Nama,HP\nBudi,0812\n"), map[string]string{"mapping": `{"phone":"Nomor"}`}, 422, "mapping.phone"},
		{"bad mapping json", []byte("Nama,HP\nBudi,0812\n"), map[string]string{"mapping": `{"phone":`}, 400, "mapping"},
		{"header only", []byte("Nama,HP\n"), nil, 422, "file"},
		{"broken zip", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{1}, 100)...), nil, 422, "file"},
		{"too large", append([]byte("HP\n"), bytes.Repeat([]byte("0812-3456-789\n"), (contacts.MaxIntakeFileBytes/14)+10)...), nil, 413, "file"},
	}
	for _, c := range cases {
		r := e.upload(admin, "x.csv", c.data, c.fields)
		if r.status != c.status {
			t.Errorf("%s: status %d want %d: %.300s", c.name, r.status, c.status, r.body)
			continue
		}
		if _, f := r.errField(); f != c.field {
			t.Errorf("%s: field %q want %q: %.300s", c.name, f, c.field, r.body)
		}
	}
	if len(runner.started) != 0 {
		t.Fatalf("bad files started jobs: %v", runner.started)
	}
	// Not multipart at all.
	e.must(e.do("POST", "/api/v1/intake/files", admin, map[string]any{"rows": 1}), 400)
}

func TestIntakeAPIIdempotencyAndCancel(t *testing.T) {
	t.Parallel()
	e, runner := newIntakeEnv(t, true, 500)
	_, admin := e.admin()
	adminID := e.login("admin@example.com").Agent.ID
	body := map[string]any{"rows": []map[string]any{
		{"phone": "0812-7777-0001", "name": "A", "attributes": map[string]string{"segment": "gold"}, "agent": "ADMIN@example.com"},
		{"phone": "0812-7777-0002", "name": "B"},
		{"phone": "nope"},
		{"phone": "0812-7777-0003", "agent": "ghost@example.com"},
	}}
	e.must(e.do("POST", "/api/v1/intake", admin, body), 400) // no Idempotency-Key
	req := func(key string, b any) resp {
		raw := strings.NewReader(mustJSON(t, b))
		rq, _ := http.NewRequest("POST", e.http.URL+"/api/v1/intake", raw)
		rq.Header.Set("Authorization", "Bearer "+admin)
		rq.Header.Set("Idempotency-Key", key)
		res, err := e.http.Client().Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, body: out}
	}
	var first, second jobResp
	e.must(req("batch-1", body), 202).json(t, &first)
	e.must(req("batch-1", body), 200).json(t, &second)
	// The same key with other rows is another request: 422, not the first job.
	other := map[string]any{"rows": []map[string]any{{"phone": "0812-7777-0042", "name": "Z"}}}
	if _, f := e.must(req("batch-1", other), 422).errField(); f != "Idempotency-Key" {
		t.Fatalf("reused key: field %q", f)
	}
	if first.Job.ID != second.Job.ID || first.Progress.Created != 2 || first.Progress.Errors != 2 {
		t.Fatalf("idempotent batch: %+v / %+v", first, second)
	}
	if rep := e.report(admin, first.Job.ID); rep["4"] != `error|agent "ghost@example.com" not found|'+6281277770003` {
		t.Fatalf("unknown agent row: %v", rep)
	}
	var owned contacts.ContactRecord
	e.db.Where("phone_e164 = ?", "+6281277770001").Take(&owned)
	if owned.OwnerAgentID == nil || *owned.OwnerAgentID != adminID || !strings.Contains(string(owned.Attributes), "gold") {
		t.Fatalf("agent column sets the owner: %+v", owned)
	}
	var jobs, nContacts int64
	e.db.Raw("SELECT count(*) FROM intake_jobs").Scan(&jobs)
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&nContacts)
	if jobs != 1 || nContacts != 2 {
		t.Fatalf("same key twice: jobs %d contacts %d", jobs, nContacts)
	}
	var jl struct {
		Items []contacts.IntakeJob `json:"items"`
		Total int64                `json:"total"`
	}
	e.must(e.do("GET", "/api/v1/intake", admin, nil), 200).json(t, &jl)
	if jl.Total != 1 || jl.Items[0].ID != first.Job.ID || jl.Items[0].Source != "api" {
		t.Fatalf("job list: %+v", jl)
	}
	e.must(req("batch-2", map[string]any{"rows": []any{}}), 400)
	e.must(req("batch-2", map[string]any{"rows": []any{map[string]any{"phone": "1", "extra": 1}}}), 400)
	big := make([]map[string]string, contacts.MaxIntakeAPIRows+1)
	for i := range big {
		big[i] = map[string]string{"phone": "0812"}
	}
	e.must(req("batch-3", map[string]any{"rows": big}), 413)

	// Cancel before the workflow runs: the stored status stops the import.
	runner.run = false
	var job jobResp
	e.must(req("batch-4", map[string]any{"rows": []map[string]string{{"phone": "0812-7777-0009"}}}), 202).json(t, &job)
	var p contacts.IntakeProgress
	e.must(e.do("POST", "/api/v1/intake/"+itoa(job.Job.ID)+"/cancel", admin, nil), 200).json(t, &p)
	if p.Status != contacts.IntakeCancelled {
		t.Fatalf("cancel: %+v", p)
	}
	if err := runner.drive(t.Context(), job.Job.ID); err != nil {
		t.Fatal(err)
	}
	e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID), admin, nil), 200).json(t, &job)
	if job.Job.Status != contacts.IntakeCancelled || job.Progress.Processed != 0 {
		t.Fatalf("cancelled job ran: %+v", job)
	}
	e.must(e.do("POST", "/api/v1/intake/"+itoa(first.Job.ID)+"/cancel", admin, nil), 409)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
