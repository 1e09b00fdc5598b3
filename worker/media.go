package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/workflows"
)

// MediaFetchStarter starts one MediaFetchWorkflow per customer file that
// arrived (the media rows written with the messages are the durable queue;
// a row is claimed before its workflow starts and given back if the start
// fails). It polls often: Meta's file URLs are short-lived and agents wait.
type MediaFetchStarter struct {
	Store     media.MediaStore
	Client    client.Client
	TaskQueue string
	Every     time.Duration // 250 ms when zero
	Logger    *slog.Logger
}

// Run starts fetches until ctx is done.
func (s MediaFetchStarter) Run(ctx context.Context) error {
	every := s.Every
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.startOnce(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("media fetch start", "err", err)
		}
	}
}

func (s MediaFetchStarter) startOnce(ctx context.Context) error {
	ids, err := s.Store.ToFetch(ctx, 50)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.MediaFetchWorkflowID(id), TaskQueue: s.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, workflows.MediaFetchWorkflowName, activities.MediaFetchInput{MediaID: id})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err != nil && !errors.As(err, &started) {
			if uerr := s.Store.Unclaim(ctx, id); uerr != nil {
				s.Logger.Warn("media fetch: give back a row", "err", uerr, "media", id)
			}
			return fmt.Errorf("start media fetch %d: %w", id, err)
		}
	}
	return nil
}

// BlobDeleter removes stored bytes.
type BlobDeleter interface {
	Delete(ctx context.Context, key string) error
}

// MediaRetention deletes the bytes of files stored longer than Keep (the
// row stays, marked expired, so the thread says the file is no longer
// kept). Keep zero keeps files forever.
type MediaRetention struct {
	Store  media.MediaStore
	Blobs  BlobDeleter
	Keep   time.Duration
	Every  time.Duration // 1 h when zero
	Logger *slog.Logger
}

// Run sweeps until ctx is done.
func (r MediaRetention) Run(ctx context.Context) error {
	if r.Keep <= 0 {
		return nil
	}
	every := r.Every
	if every <= 0 {
		every = time.Hour
	}
	for {
		if n, err := r.SweepOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			r.Logger.Warn("media retention", "err", err)
		} else if n > 0 {
			r.Logger.Info("media retention: files removed", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// SweepOnce removes the files stored before now-Keep and returns how many.
func (r MediaRetention) SweepOnce(ctx context.Context, now time.Time) (int, error) {
	done := 0
	for {
		rows, err := r.Store.StoredBefore(ctx, now.Add(-r.Keep), 200)
		if err != nil || len(rows) == 0 {
			return done, err
		}
		for _, m := range rows {
			for _, k := range []string{m.BlobKey, m.ThumbKey} {
				if k == "" {
					continue
				}
				if err := r.Blobs.Delete(ctx, k); err != nil {
					return done, err
				}
			}
			if err := r.Store.MarkExpired(ctx, m.ID); err != nil {
				return done, err
			}
			done++
		}
	}
}
