package api_test

import (
	"testing"

	"github.com/xuri/excelize/v2"
)

// A workbook whose first sheet is a summary: the dry run reads the sheet
// that has the phone column and lists every sheet; a chosen sheet is read;
// an unknown sheet is refused by name.
func TestIntakeXLSXSheetChoice(t *testing.T) {
	t.Parallel()
	e, _ := newIntakeEnv(t, false, 100)
	_, admin := e.admin()
	f := excelize.NewFile()
	_ = f.SetSheetName("Sheet1", "Ringkasan")
	_ = f.SetSheetRow("Ringkasan", "A1", &[]any{"Total debitur", "2"})
	_, _ = f.NewSheet("Debitur")
	_ = f.SetSheetRow("Debitur", "A1", &[]any{"Nama", "No HP"})
	_ = f.SetSheetRow("Debitur", "A2", &[]any{"Budi", "0812-3456-7890"})
	_ = f.SetSheetRow("Debitur", "A3", &[]any{"Siti", "0812-9876-5432"})
	_, _ = f.NewSheet("Arsip")
	_ = f.SetSheetRow("Arsip", "A1", &[]any{"Nama", "No HP"})
	_ = f.SetSheetRow("Arsip", "A2", &[]any{"Lama", "0813-1111-2222"})
	buf, _ := f.WriteToBuffer()
	data := buf.Bytes()
	var dry struct {
		Sheets   []string `json:"sheets"`
		Sheet    string   `json:"sheet"`
		Progress struct {
			Total int `json:"total"`
		} `json:"progress"`
	}
	e.must(e.upload(admin, "debitur.xlsx", data, map[string]string{"dryRun": "true"}), 200).json(t, &dry)
	if dry.Sheet != "Debitur" || len(dry.Sheets) != 3 || dry.Progress.Total != 2 {
		t.Fatalf("auto sheet: %+v", dry)
	}
	e.must(e.upload(admin, "debitur.xlsx", data, map[string]string{"dryRun": "true", "sheet": "Arsip"}), 200).json(t, &dry)
	if dry.Sheet != "Arsip" || dry.Progress.Total != 1 {
		t.Fatalf("chosen sheet: %+v", dry)
	}
	if r := e.upload(admin, "debitur.xlsx", data, map[string]string{"dryRun": "true", "sheet": "Tagihan"}); r.status != 400 {
		t.Fatalf("unknown sheet: %d %s", r.status, r.body)
	}
}
