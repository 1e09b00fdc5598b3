package contacts

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
)

// FuzzParseCSVAndMap: any bytes either parse (and map without panicking,
// one record per data row, row numbers increasing) or fail with a 4xx
// domain error naming the file or the mapping.
func FuzzParseCSVAndMap(f *testing.F) {
	seeds := []string{
		"Nama,No HP,Kota\nBudi,0812-3456-789,Jakarta\n",
		"nama;hp;kota\nSiti;+62 812 3456 789;Bandung\n\n;;\n",
		"\xef\xbb\xbfPhone\tName\n628123456789\tJosé Ñandú\n",
		"No HP,\"Nama, lengkap\"\n\"0812\",\"a \"\"quoted\"\" name\"\n",
		"a,b\n\"unterminated\n",
		"HP\n0812\n0813,extra,fields\n",
		"\x00\x01binary",
		"Jos\xe9,0812\n",
		"",
		"PK\x03\x04garbage",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "No HP")
	}
	f.Fuzz(func(t *testing.T, data []byte, phoneCol string) {
		tbl, _, err := ParseUpload(data)
		if err != nil {
			if c := models.CodeOf(err); c != models.EInvalid && c != models.EUnprocessable && c != models.ETooLarge {
				t.Fatalf("parse error code %s: %v", c, err)
			}
			return
		}
		if !utf8.Valid([]byte(strings.Join(tbl.Headers, ""))) {
			t.Fatalf("headers not UTF-8: %q", tbl.Headers)
		}
		for _, m := range []IntakeMapping{GuessMapping(tbl.Headers), {Phone: phoneCol, Attributes: map[string]string{"x": phoneCol}}} {
			rowNos, recs, err := m.Apply(tbl)
			if err != nil {
				if c := models.CodeOf(err); c != models.EInvalid && c != models.EUnprocessable {
					t.Fatalf("map error code %s: %v", c, err)
				}
				continue
			}
			if len(recs) != len(tbl.Rows) || len(rowNos) != len(recs) {
				t.Fatalf("%d records for %d rows", len(recs), len(tbl.Rows))
			}
			for i := 1; i < len(rowNos); i++ {
				if rowNos[i] <= rowNos[i-1] {
					t.Fatalf("row numbers not increasing: %v", rowNos)
				}
			}
			for _, r := range recs {
				_, _, _ = classifyRecord(r) // must not panic on any field content
			}
		}
	})
}

func TestGuessMappingAndApply(t *testing.T) {
	t.Parallel()
	tbl, format, err := ParseUpload([]byte("Nama;No. HP;Jatuh Tempo;Kota\nBudi;0812-3456-789;2026-01-31;Jakarta\n;;;\n"))
	if err != nil || format != "csv" {
		t.Fatal(format, err)
	}
	m := GuessMapping(tbl.Headers)
	if m.Phone != "No. HP" || m.Name != "Nama" || m.DueDate != "Jatuh Tempo" || m.Attributes["Kota"] != "Kota" || len(m.Attributes) != 1 {
		t.Fatalf("guess: %+v", m)
	}
	rowNos, recs, err := m.Apply(tbl)
	if err != nil || len(recs) != 2 || rowNos[0] != 2 || rowNos[1] != 3 {
		t.Fatalf("apply: %v %v %+v", err, rowNos, recs)
	}
	if recs[0].Phone != "0812-3456-789" || !recs[0].HasCase() || recs[0].Attributes["Kota"] != "Jakarta" || !recs[1].Blank() {
		t.Fatalf("records: %+v", recs)
	}
	if _, _, err := (IntakeMapping{}).Apply(tbl); models.CodeOf(err) != models.EUnprocessable {
		t.Fatalf("no phone mapping: %v", err)
	}
}

func TestStringListRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range [][]string{{}, {"a"}, {"vip", "with space", `q"uote`, `back\slash`, "com,ma", "{brace}", "NULL"}} {
		v, _ := models.StringList(in).Value()
		var out models.StringList
		if err := out.Scan(v); err != nil {
			t.Fatal(err)
		}
		if strings.Join(out, "|") != strings.Join(in, "|") || len(out) != len(in) {
			t.Fatalf("%q -> %v -> %q", in, v, out)
		}
	}
}
