package contacts

import (
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models"
)

// A workbook's sheets are offered and the chosen one is read: many
// business exports put a summary sheet first and the rows on the second.
func TestParseUploadSheet(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetSheetName("Sheet1", "Ringkasan")
	_ = f.SetSheetRow("Ringkasan", "A1", &[]any{"Total", "2"})
	if _, err := f.NewSheet("Pinjaman"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetSheetRow("Pinjaman", "A1", &[]any{"Nama", "No HP", "No Kontrak"})
	_ = f.SetSheetRow("Pinjaman", "A2", &[]any{"Budi", "0812-3456-7890", "KTA-1"})
	_ = f.SetSheetRow("Pinjaman", "A3", &[]any{"Budi", "0812-3456-7890", "KTA-2"})
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()

	tbl, format, err := ParseUploadSheet(data, "")
	if err != nil || format != "xlsx" || tbl.Sheet != "Ringkasan" || strings.Join(tbl.Sheets, ",") != "Ringkasan,Pinjaman" || tbl.Headers[0] != "Total" {
		t.Fatalf("first sheet: %v %s %+v", err, format, tbl)
	}
	tbl, _, err = ParseUploadSheet(data, "Pinjaman")
	if err != nil || tbl.Sheet != "Pinjaman" || len(tbl.Rows) != 2 || tbl.Headers[2] != "No Kontrak" {
		t.Fatalf("chosen sheet: %v %+v", err, tbl)
	}
	var me *models.Error
	_, _, err = ParseUploadSheet(data, "Tagihan")
	if !errors.As(err, &me) || me.Field != "sheet" || !strings.Contains(me.Message, "Ringkasan, Pinjaman") {
		t.Fatalf("unknown sheet: %v", err)
	}
	_, _, err = ParseUploadSheet([]byte("Nama,No HP\nBudi,0812\n"), "Pinjaman")
	if !errors.As(err, &me) || me.Field != "sheet" {
		t.Fatalf("a sheet of a CSV: %v", err)
	}
}
