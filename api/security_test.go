package api_test

import (
	"encoding/csv"
	"strings"
	"testing"
)

// Issue #17 finding 9: names such as "+1+1", "-2+3" and "Ani;=1+1;" (a
// formula after the separator of the id-ID locale) left the exports as
// formulas. Every cell that could start a formula, anywhere in the field,
// is now quoted and prefixed, and no field can be split into a new cell.
func TestSecurityCSVExportFormulas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, admin := e.admin()
	names := []string{"+1+1", "-2+3", "Ani;=1+1;", "Budi,@SUM(A1)", "Sari\t=1", "Citra"}
	for i, n := range names {
		if err := e.db.Exec(`INSERT INTO contacts (phone_e164, wa_id, name) VALUES (?, ?, ?)`,
			"+6281200000"+itoa(int64(10+i)), "6281200000"+itoa(int64(10+i)), n).Error; err != nil {
			t.Fatal(err)
		}
	}
	r := e.must(e.do("GET", "/api/v1/contacts/export", admin, nil), 200)
	body := string(r.body)
	for _, n := range names[:5] {
		if !strings.Contains(body, `"'`+strings.ReplaceAll(n, `"`, `""`)+`"`) {
			t.Errorf("name %q not quoted and defused in:\n%s", n, body)
		}
	}
	// Read with ";" as the separator, as a spreadsheet in the id-ID locale
	// does: no cell may start with a formula character.
	for _, sep := range []rune{',', ';', '\t'} {
		rd := csv.NewReader(strings.NewReader(body))
		rd.Comma, rd.FieldsPerRecord, rd.LazyQuotes = sep, -1, true
		recs, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("sep %q: %v", sep, err)
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("sep %q: cell %q of %v reads as a formula", sep, cell, rec)
				}
			}
		}
	}
	if !strings.Contains(body, `"Citra"`) {
		t.Errorf("plain name changed: %s", body)
	}
}
