package models_test

import (
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

// Up to CountCap the count is exact; above it, the planner's estimate
// (after ANALYZE, close to the truth) and flagged.
func TestCountRowsCapsAndEstimates(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	if err := db.Exec(`INSERT INTO contacts (phone_e164, wa_id, name, tags) SELECT '+62813' || lpad(g::text, 8, '0'), '62813' || lpad(g::text, 8, '0'),
		'C' || g, CASE WHEN g % 3 = 0 THEN '{vip}'::text[] ELSE '{}'::text[] END FROM generate_series(1, 30000) g`).Error; err != nil {
		t.Fatal(err)
	}
	db.Exec(`ANALYZE contacts`)
	q := db.Table("contacts").Where("contacts.tags @> ARRAY[?]::text[]", "vip")
	c, err := models.CountRows(q)
	if err != nil || c.Total != 10_000 || c.Estimated {
		t.Fatalf("10,000 vip: %+v %v", c, err)
	}
	c, err = models.CountRows(db.Table("contacts").Where("name LIKE ?", "C%"))
	if err != nil || !c.Estimated || c.Total < 20_000 || c.Total > 40_000 {
		t.Fatalf("30,000 contacts: %+v %v", c, err)
	}
	// A containment filter (jsonb @>) through the estimate as well.
	c, err = models.CountRows(db.Table("contacts").Where("contacts.attributes @> ?::jsonb", `{}`).Where("name LIKE ?", "C%"))
	if err != nil || !c.Estimated || c.Total < 10_001 {
		t.Fatalf("30,000 contacts by attributes: %+v %v", c, err)
	}
	c, err = models.CountRows(db.Table("contacts").Where("name = ?", "C7"))
	if err != nil || c.Total != 1 || c.Estimated {
		t.Fatalf("one: %+v %v", c, err)
	}
}
