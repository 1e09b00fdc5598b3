package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
)

// loansCSV has one debtor with two loans and a row of every error kind the
// import knows. Comments: the expected result and contact outcome.
const loansCSV = "Nama,No HP,No Kontrak,Tagihan,Jatuh Tempo,Tim,Agen\n" +
	"Rina,0812-1000-0001,KR-1,1.500.000,2026-10-15,Penagihan,\n" + // 2 case_pending, contact created
	"Rina,0812-1000-0001,KR-2,750000,01/11/2026,Penagihan,\n" + // 3 case_pending (second loan), contact updated
	"Rina lagi,+62 812 1000 0001,KR-1,100,,Penagihan,\n" + // 4 duplicate: same reference as row 2
	"Sari,0812-1000-0003,KR-3,abc,,Penagihan,\n" + // 5 error: amount; contact created
	"Tono,0812-1000-0004,KR-4,100,31/02/2026,Penagihan,\n" + // 6 error: no 31 February; contact created
	"Ani,0812-1000-0005,KR-5,100,,Tim Tidak Ada,\n" + // 7 error: unknown team; contact created
	"Budi,0812-1000-0006,KR-6,100,,Penagihan,luar@example.com\n" + // 8 error: agent not in the team; contact created
	"Dodi,0812-1000-0007,LAMA-1,100,,Penagihan,\n" + // 9 error: reference of another customer; contact created
	"Eka,0812-1000-0008,,,,,ghost@example.com\n" + // 10 error: unknown agent; no contact
	"Fajar,12345,,,,,\n" + // 11 error: phone
	",,,,,,\n" + // 12 empty
	"Gita,0812-1000-0009,KR-9,200000,2026-12-01,Penagihan,dalam@example.com\n" + // 13 case_pending, contact created
	"Hadi,0812-1000-0010,,,,,\n" + // 14 created
	"Hadi B,0812-1000-0010,,,,,\n" + // 15 duplicate: same phone as row 14
	"Ika,0815-5555-6666,,,,,\n" + // 16 updated (already a contact)
	"Sari,0812-1000-0003,KR-3,300000,,Penagihan,\n" // 17 case_pending: row 5 corrected; contact updated

// The dry run runs every check the import runs: for a file with every error
// kind both give each row the same result, reason and contact outcome, and
// the job's summary equals the counts of its per-row report. One debtor
// with two loans is one contact with two case rows.
func TestIntakeDryRunMatchesImport(t *testing.T) {
	t.Parallel()
	e, _ := newIntakeEnv(t, true, 4) // chunks of 4: duplicates and plans cross chunk boundaries
	_, admin := e.admin()
	var team struct{ ID int64 }
	e.must(e.do("POST", "/api/v1/teams", admin, map[string]any{"name": "Penagihan"}), 201).json(t, &team)
	e.agent("dalam@example.com", e.roleID(models.RoleKeyAgent), team.ID)
	e.agent("luar@example.com", e.roleID(models.RoleKeyAgent))
	var ika, other contacts.ContactRecord
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0815-5555-6666", "name": "Ika"}), 201).json(t, &ika)
	e.must(e.do("POST", "/api/v1/contacts", admin, map[string]any{"phone": "0813-9999-0000", "name": "Lain"}), 201).json(t, &other)
	if _, err := (cases.CaseStore{DB: e.db}).Create(t.Context(), 0, cases.CaseInput{Reference: "LAMA-1", ContactID: &other.ID, TeamID: team.ID}); err != nil {
		t.Fatal(err)
	}

	var dry struct {
		Progress contacts.IntakeProgress `json:"progress"`
		Rows     []contacts.RowResult    `json:"rows"`
	}
	e.must(e.upload(admin, "loans.csv", []byte(loansCSV), map[string]string{"dryRun": "true"}), 200).json(t, &dry)
	want := contacts.IntakeProgress{Status: "dry_run", Total: 16, Processed: 16, Created: 8, Updated: 3, Duplicate: 2, Errors: 7, CasePending: 4, Empty: 1}
	if dry.Progress != want {
		t.Fatalf("dry run\n got %+v\nwant %+v", dry.Progress, want)
	}
	var n int64
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&n)
	if n != 2 {
		t.Fatalf("the dry run wrote contacts: %d", n)
	}
	dryRows := map[string]string{}
	for _, r := range dry.Rows {
		dryRows[fmt.Sprint(r.RowNo)] = r.Result + "|" + r.Reason + "|" + r.ContactResult
	}

	var job jobResp
	e.must(e.upload(admin, "loans.csv", []byte(loansCSV), nil), 202).json(t, &job)
	r := e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID)+"/report.csv", admin, nil), 200)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 17 {
		t.Fatalf("report: %v, %d lines", err, len(recs))
	}
	// The summary is what the report says, counted.
	var counted contacts.IntakeProgress
	for _, rec := range recs[1:] {
		row, result, reason, contact := rec[0], rec[3], rec[4], rec[7]
		if got := result + "|" + reason + "|" + contact; got != dryRows[row] {
			t.Errorf("row %s: import %q, dry run %q", row, got, dryRows[row])
		}
		counted.Processed++
		switch result {
		case contacts.RowDuplicate:
			counted.Duplicate++
		case contacts.RowError:
			counted.Errors++
		case contacts.RowCasePending:
			counted.CasePending++
		case contacts.RowEmpty:
			counted.Empty++
		}
		switch contact {
		case contacts.RowCreated:
			counted.Created++
		case contacts.RowUpdated:
			counted.Updated++
		}
	}
	var jr jobResp
	e.must(e.do("GET", "/api/v1/intake/"+itoa(job.Job.ID), admin, nil), 200).json(t, &jr)
	counted.JobID, counted.Status, counted.Total = job.Job.ID, contacts.IntakeCompleted, 16
	if jr.Progress != counted {
		t.Fatalf("summary is not the report\n summary %+v\n report  %+v", jr.Progress, counted)
	}
	if want.JobID, want.Status = job.Job.ID, contacts.IntakeCompleted; jr.Progress != want {
		t.Fatalf("summary\n got %+v\nwant %+v", jr.Progress, want)
	}
	for row, wantReason := range map[string]string{
		"4": "same case reference as row 2", "5": "amount", "6": "due date", "7": `no team "Tim Tidak Ada"`,
		"8": "not an active member", "9": "belongs to another customer", "10": "not found", "15": "same phone as row 14",
	} {
		if !strings.Contains(dryRows[row], wantReason) {
			t.Errorf("row %s: %q does not say %q", row, dryRows[row], wantReason)
		}
	}

	// Rina's two loans wait for the cases phase on one contact.
	pend, err := contacts.IntakeStore{DB: e.db}.CasePending(t.Context(), job.Job.ID, 0, 100)
	if err != nil || len(pend) != 4 || pend[0].ContactID == 0 || pend[0].ContactID != pend[1].ContactID ||
		pend[0].Record.CaseRef != "KR-1" || pend[1].Record.CaseRef != "KR-2" || pend[3].Record.CaseRef != "KR-3" {
		t.Fatalf("case rows: %v %+v", err, pend)
	}
	var rinas int64
	e.db.Raw("SELECT count(*) FROM contacts WHERE phone_e164 = '+6281210000001'").Scan(&rinas)
	e.db.Raw("SELECT count(*) FROM contacts").Scan(&n)
	if rinas != 1 || n != 2+8 {
		t.Fatalf("contacts: rina %d, all %d (want 1 and 10)", rinas, n)
	}
}
