package models_test

import (
	"context"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/worker/testenv"
)

func TestProbeRecordIsIdempotent(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	s := models.ProbeStore{DB: db.Gorm}
	ctx := context.Background()
	a, err := s.Record(ctx, "k1", "w1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Record(ctx, "k1", "w2") // a retried activity on another worker
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || b.Worker != "w1" {
		t.Fatalf("retry must not create a second row: %+v %+v", a, b)
	}
	if n, _ := s.Count(ctx, "k1"); n != 1 {
		t.Fatalf("count %d", n)
	}
}

func TestEventStoreAppendAndAfter(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	s := models.EventStore{DB: db.Gorm}
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		e, err := models.NewEvent(models.EventMessageCreated, models.Audience{AgentIDs: []int64{int64(i)}}, map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(ctx, db.Gorm, &e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids not increasing: %v", ids)
		}
	}
	got, err := s.After(ctx, ids[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != ids[2] || got[1].ID != ids[3] || got[0].Audience.AgentIDs[0] != 2 {
		t.Fatalf("After: %+v", got)
	}
	latest, _ := s.Latest(ctx)
	if latest != ids[4] {
		t.Fatalf("latest %d want %d", latest, ids[4])
	}
}
