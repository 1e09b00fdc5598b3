package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/waba"
)

// ReadMarker is the Cloud API call the relay makes (waba.Client.MarkRead).
type ReadMarker interface {
	MarkRead(ctx context.Context, phoneNumberID, wamid string, typing bool) error
}

// ReceiptRelay sends the read receipts and typing indicators the api
// queued (inbox.ReceiptStore): only the worker calls the Cloud API. Rows
// are leased, so relays in every worker run side by side; a receipt Meta
// refuses (e.g. a message it no longer accepts receipts for) is dropped
// with a log line, one without an answer is retried when its lease ends.
type ReceiptRelay struct {
	Store inbox.ReceiptStore
	API   ReadMarker
	// Every is the poll period when the queue is empty (250 ms when zero):
	// a typing indicator is worth sending only within a second or so.
	Every  time.Duration
	Logger *slog.Logger
}

const (
	receiptBatch    = 100
	receiptParallel = 8
	receiptLease    = 20 * time.Second
)

// Run drains until ctx is done.
func (r ReceiptRelay) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	for {
		n, err := r.drainOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("read receipt relay", "err", err)
		}
		if n == receiptBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func (r ReceiptRelay) drainOnce(ctx context.Context) (int, error) {
	rows, err := r.Store.Claim(ctx, receiptBatch, receiptLease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var (
		mu   sync.Mutex
		done []inbox.Receipt
	)
	sem := make(chan struct{}, receiptParallel)
	var wg sync.WaitGroup
	for _, q := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := r.API.MarkRead(cctx, q.PhoneNumberID, q.WAMID, q.Typing)
			cancel()
			var ae *waba.APIError
			switch {
			case err == nil:
			case errors.As(err, &ae) && !ae.Retryable():
				r.Logger.Warn("read receipt refused: dropped", "conversation_id", q.ConversationID, "code", ae.Code, "err", err)
			default:
				return // leased: tried again when the lease ends
			}
			mu.Lock()
			done = append(done, q)
			mu.Unlock()
		})
	}
	wg.Wait()
	return len(rows), r.Store.Done(ctx, done)
}
