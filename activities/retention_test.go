package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

// One call runs at most MaxBatches statements of BatchSize rows and says
// when the table has more; the next call finishes it.
func TestPruneTableIsBounded(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	if err := db.Exec(`INSERT INTO webhook_dead_letters (kind, reason, dedupe_key, created_at)
		SELECT 'message', 'x', 'd' || g, now() - interval '200 days' FROM generate_series(1, 75) g`).Error; err != nil {
		t.Fatal(err)
	}
	a := &activities.Retention{Store: models.RetentionStore{DB: db}}
	in := activities.PruneInput{Table: "webhook_dead_letters", Keep: 90 * 24 * time.Hour, BatchSize: 10, MaxBatches: 5}
	first, err := a.PruneTable(context.Background(), in)
	if err != nil || first.Pruned != 50 || first.Batches != 5 || !first.More {
		t.Fatalf("first call %+v %v", first, err)
	}
	second, err := a.PruneTable(context.Background(), in)
	if err != nil || second.Pruned != 25 || second.More {
		t.Fatalf("second call %+v %v", second, err)
	}
}
