package sim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// enqueue schedules a webhook delivery after d.
func (s *Sim) enqueue(d time.Duration, body []byte) {
	if s.opts.WebhookURL == "" {
		return
	}
	s.mu.Lock()
	s.seq++
	s.queue = append(s.queue, webhookItem{due: time.Now().Add(d), seq: s.seq, body: body})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dispatch delivers due webhooks in due order, retrying failures like Meta
// (with backoff) a few times.
func (s *Sim) dispatch(ctx context.Context) {
	defer s.doneWG.Done()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		s.mu.Lock()
		sort.Slice(s.queue, func(i, j int) bool {
			if !s.queue[i].due.Equal(s.queue[j].due) {
				return s.queue[i].due.Before(s.queue[j].due)
			}
			return s.queue[i].seq < s.queue[j].seq
		})
		var due []webhookItem
		now := time.Now()
		for len(s.queue) > 0 && !s.queue[0].due.After(now) {
			due = append(due, s.queue[0])
			s.queue = s.queue[1:]
		}
		wait := time.Hour
		if len(s.queue) > 0 {
			wait = time.Until(s.queue[0].due)
		}
		s.mu.Unlock()
		for _, it := range due {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func(it webhookItem) {
				defer wg.Done()
				defer func() { <-sem }()
				s.deliver(ctx, it)
			}(it)
		}
		if len(due) > 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// deliver posts one webhook; failures are retried up to 5 times with backoff.
func (s *Sim) deliver(ctx context.Context, it webhookItem) {
	backoff := 100 * time.Millisecond
	for attempt := 0; attempt < 6; attempt++ {
		code, err := s.post(ctx, it.body)
		if err == nil && code < 300 {
			s.mu.Lock()
			s.counters.WebhooksDelivered++
			s.mu.Unlock()
			return
		}
		s.log.Warn("wabasim: webhook delivery failed", "status", code, "err", err, "attempt", attempt)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	s.mu.Lock()
	s.counters.WebhooksFailed++
	s.mu.Unlock()
}

func (s *Sim) post(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signatureHeader, sign([]byte(s.opts.AppSecret), body))
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
