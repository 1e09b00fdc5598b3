package worker

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models/integrations"
)

// WebhookRelay delivers the outbound event webhooks: it fans the durable
// events table out into webhook_deliveries (one relay at a time holds the
// cursor) and sends the due deliveries, leased so relays of every worker
// run side by side, each object's in order, at least once, with
// exponential backoff. Only the worker calls out.
type WebhookRelay struct {
	Store integrations.Store
	// Client makes the calls (nil: one with Timeout and no redirects).
	Client *http.Client
	// Timeout bounds one call (10 s when zero); at most maxHookResponse
	// bytes of the answer are read.
	Timeout time.Duration
	// Every is the poll period when idle (500 ms when zero).
	Every time.Duration
	// GapWait: see integrations.Fanout (integrations.GapWait when zero).
	GapWait time.Duration
	// Lease is how long a claimed delivery is held by this relay (60 s when
	// zero): a relay that dies mid-call leaves its rows pending, and another
	// relay takes them once the lease ran out. It must outlast Timeout.
	Lease  time.Duration
	Logger *slog.Logger
	// Now is the clock of the signature (time.Now when nil).
	Now func() time.Time
}

const (
	hookFanoutBatch = 500
	hookClaimBatch  = 100
	hookParallel    = 8
	hookLease       = 60 * time.Second
	maxHookResponse = 64 << 10
	// hookLogKeep: delivered rows stay in the log this long.
	hookLogKeep  = 30 * 24 * time.Hour
	hookPruneGap = time.Hour
)

// Run relays until ctx is done.
func (r WebhookRelay) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	wait := r.GapWait
	if wait <= 0 {
		wait = integrations.GapWait
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	lease := r.Lease
	if lease <= 0 {
		lease = hookLease
	}
	client := r.Client
	if client == nil {
		client = HookClient(timeout, r.Store.AllowPrivate)
	}
	gaps := integrations.Gaps{}
	var pruned time.Time
	for {
		if time.Since(pruned) > hookPruneGap {
			pruned = time.Now()
			if _, err := r.Store.Prune(ctx, hookLogKeep); err != nil && ctx.Err() == nil {
				r.Logger.Warn("webhook log prune", "err", err)
			}
		}
		fanned, err := r.Store.Fanout(ctx, gaps, wait, hookFanoutBatch)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("webhook fanout", "err", err)
		}
		sent, err := r.sendOnce(ctx, client, timeout, lease)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("webhook deliveries", "err", err)
		}
		if err == nil && (fanned == hookFanoutBatch || sent > 0) {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func (r WebhookRelay) sendOnce(ctx context.Context, client *http.Client, timeout, lease time.Duration) (int, error) {
	rows, err := r.Store.Claim(ctx, hookClaimBatch, lease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, hookParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, d := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status, callErr := r.call(ctx, client, timeout, d)
			if callErr != nil || status < 200 || status >= 300 {
				r.Logger.Info("webhook delivery failed", "delivery_id", d.ID, "subscription_id", d.SubscriptionID,
					"event_id", d.EventID, "attempt", d.Attempts, "status", status, "err", callErr)
			}
			if err := r.Store.Result(ctx, d, status, callErr); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(rows), firstErr
}

// call makes one signed POST and returns the answer's status.
func (r WebhookRelay) call(ctx context.Context, client *http.Client, timeout time.Duration, d integrations.Delivery) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WABA-SCRM-Webhooks/1")
	req.Header.Set("X-SCRM-Event-Id", d.EventID)
	req.Header.Set("X-SCRM-Event-Type", d.EventType)
	req.Header.Set("X-SCRM-Delivery-Attempt", strconv.Itoa(d.Attempts))
	req.Header.Set("X-SCRM-Signature", integrations.Sign(d.Secret, now().Unix(), d.Payload))
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxHookResponse))
	return res.StatusCode, nil
}

// HookClient is the outbound webhook client: no redirects (a 3xx is the
// answer, never followed to another host), and unless allowPrivate a dialer
// whose Control refuses private, loopback and link-local addresses after
// resolution, so DNS rebinding cannot reach them (issue #20).
func HookClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = integrations.DialControl
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a proxy would dial for us, past the check
	tr.DialContext = dialer.DialContext
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
