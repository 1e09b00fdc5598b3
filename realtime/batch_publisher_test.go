package realtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

// flakyPublisher fails its first calls (a broker restarting), then
// records what it was given, slowly (a confirm round trip).
type flakyPublisher struct {
	mu      sync.Mutex
	fail    int
	batches [][]int64
}

func (f *flakyPublisher) Publish(_ context.Context, evs ...models.Event) error {
	time.Sleep(2 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("broker away")
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	f.batches = append(f.batches, ids)
	return nil
}

func TestBatchPublisherKeepsOrderRetriesAndNeverBlocks(t *testing.T) {
	inner := &flakyPublisher{fail: 3}
	p := NewBatchPublisher(inner, 5000, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Now()
	for i := 1; i <= 2000; i++ {
		if err := p.Publish(context.Background(), models.Event{ID: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("queueing 2,000 events took %s: Publish must not wait for the broker", d)
	}
	p.Close(10 * time.Second)
	var got []int64
	for _, b := range inner.batches {
		got = append(got, b...)
	}
	if len(got) != 2000 {
		t.Fatalf("published %d events, want 2000 (retried through 3 failures)", len(got))
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("event %d published as #%d: order lost", id, i+1)
		}
	}
	if len(inner.batches) >= 2000 {
		t.Errorf("%d publishes for 2,000 events: nothing was batched", len(inner.batches))
	}

	full := NewBatchPublisher(&flakyPublisher{fail: 1 << 30}, 10, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer full.Close(0)
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = full.Publish(context.Background(), models.Event{ID: int64(i)})
	}
	if !errors.Is(err, errPublishQueueFull) || full.Dropped() == 0 {
		t.Fatalf("a full queue answered %v (dropped %d): it must refuse at once, not block", err, full.Dropped())
	}
}
