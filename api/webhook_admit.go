package api

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/models"
)

// webhookAdmission bounds the webhook deliveries an api replica stores at
// the same time. Above capacity a delivery waits at most wait for a slot
// and is then refused with 503 at once: Meta redelivers refused deliveries
// (with backoff), so shedding costs nothing, while letting requests queue
// on the database pool made every acknowledgement seconds late (issue #21:
// p50 15-21 s at 2,000/s). The slot is held only around the durable append.
type webhookAdmission struct {
	slots chan struct{}
	wait  time.Duration
	shed  prometheus.Counter
}

func newWebhookAdmission(reg prometheus.Registerer, max int, wait time.Duration) *webhookAdmission {
	if max <= 0 {
		max = 24
	}
	if wait == 0 {
		wait = 100 * time.Millisecond
	}
	a := &webhookAdmission{slots: make(chan struct{}, max), wait: wait, shed: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scrm_webhook_shed_total",
		Help: "Webhook deliveries answered 503 because every storage slot of this replica stayed busy (webhook_max_inflight, webhook_admit_wait).",
	})}
	reg.MustRegister(a.shed)
	return a
}

// acquire takes a slot or returns EUnavailable; release it when done.
func (a *webhookAdmission) acquire(ctx context.Context) (release func(), err error) {
	select {
	case a.slots <- struct{}{}:
		return a.release, nil
	default:
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return a.release, nil
	case <-t.C:
	case <-ctx.Done():
	}
	a.shed.Inc()
	return nil, models.Errorf(models.EUnavailable, "webhook receiver at capacity, deliver again later")
}

func (a *webhookAdmission) release() { <-a.slots }
