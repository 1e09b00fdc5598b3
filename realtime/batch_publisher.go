package realtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wabascrm/scrm/models"
)

// BatchPublisher takes committed events off the request path: Publish
// only queues them (bounded) and returns; one goroutine sends them to the
// inner publisher in batches, in the order they were queued, retrying
// with backoff while the broker is away. The events table stays the
// durable record: an event dropped because the queue was full, or left
// in it when the process dies, reaches clients by their resync from the
// cursor (DESIGN.md §5), as a publish that failed always did. Before it,
// every webhook waited for the broker's confirm, and for up to 2 s on
// each request while RabbitMQ restarted.
type BatchPublisher struct {
	inner models.EventPublisher
	log   *slog.Logger
	queue chan models.Event

	dropped atomic.Int64
	stop    context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// Batch limits: up to batchMax events per publish; an event waits in the
// queue while the previous batch is confirmed, never for a timer.
const (
	batchMax        = 256
	batchRetryUntil = 30 * time.Second
)

// NewBatchPublisher starts the sending goroutine; Close stops it.
func NewBatchPublisher(inner models.EventPublisher, capacity int, log *slog.Logger) *BatchPublisher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &BatchPublisher{inner: inner, log: log, queue: make(chan models.Event, capacity), stop: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

var _ models.EventPublisher = (*BatchPublisher)(nil)

// errPublishQueueFull says events were not queued (clients resync them).
var errPublishQueueFull = errors.New("publish queue full: events dropped from the live push (clients resync them)")

// Publish queues events without waiting for the broker.
func (p *BatchPublisher) Publish(_ context.Context, events ...models.Event) error {
	for i, e := range events {
		select {
		case p.queue <- e:
		default:
			p.dropped.Add(int64(len(events) - i))
			return errPublishQueueFull
		}
	}
	return nil
}

// Dropped counts events that found the queue full.
func (p *BatchPublisher) Dropped() int64 { return p.dropped.Load() }

func (p *BatchPublisher) run(ctx context.Context) {
	defer close(p.done)
	batch := make([]models.Event, 0, batchMax)
	for {
		var first models.Event
		select {
		case <-ctx.Done():
			return
		case first = <-p.queue:
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < batchMax {
			select {
			case e := <-p.queue:
				batch = append(batch, e)
			default:
				break fill
			}
		}
		p.send(ctx, batch)
	}
}

func (p *BatchPublisher) send(ctx context.Context, batch []models.Event) {
	backoff := 50 * time.Millisecond
	deadline := time.Now().Add(batchRetryUntil)
	for {
		err := p.inner.Publish(ctx, batch...)
		if err == nil {
			return
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			p.log.Warn("realtime: events not published (clients resync them)", "err", err, "count", len(batch))
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// Close sends what is queued (for up to wait) and stops.
func (p *BatchPublisher) Close(wait time.Duration) {
	p.once.Do(func() {
		deadline := time.Now().Add(wait)
		for len(p.queue) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		p.stop()
		<-p.done
	})
}
