// Package activities holds the Temporal activities: methods on structs that
// carry their dependencies. Every activity is idempotent.
package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/wabascrm/scrm/models"
)

// ProbeInput names one probe run.
type ProbeInput struct {
	Key string
}

// ProbeResult says which worker recorded the probe and when.
type ProbeResult struct {
	ProbeID    int64
	Worker     string
	RecordedAt time.Time
}

// ProbeRecorder stores probe rows.
type ProbeRecorder interface {
	Record(ctx context.Context, key, worker string) (models.Probe, error)
}

// Probe holds the dependencies of the probe activity.
type Probe struct {
	Store    ProbeRecorder
	Identity string
}

// RecordProbe writes the probe row once per key: a retried activity finds
// the row and returns it.
func (p *Probe) RecordProbe(ctx context.Context, in ProbeInput) (ProbeResult, error) {
	if in.Key == "" {
		// Bad input never gets better on retry.
		return ProbeResult{}, temporal.NewNonRetryableApplicationError("probe: empty key", "InvalidInput", nil)
	}
	row, err := p.Store.Record(ctx, in.Key, p.Identity)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe %s: %w", in.Key, err)
	}
	return ProbeResult{ProbeID: row.ID, Worker: row.Worker, RecordedAt: row.RecordedAt}, nil
}
