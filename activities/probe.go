// Package activities holds the Temporal activities: methods on structs that
// carry their dependencies. Every activity is idempotent.
package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/workflows"
)

// ProbeRecorder stores probe rows.
type ProbeRecorder interface {
	Record(ctx context.Context, key, worker string) (models.Probe, error)
}

// Probe holds the dependencies of the probe activity.
type Probe struct {
	Store    ProbeRecorder
	Identity string
}

// RecordProbe writes the probe row once per key.
func (p *Probe) RecordProbe(ctx context.Context, in workflows.ProbeInput) (workflows.ProbeResult, error) {
	if in.Key == "" {
		return workflows.ProbeResult{}, errors.New("probe: empty key")
	}
	row, err := p.Store.Record(ctx, in.Key, p.Identity)
	if err != nil {
		return workflows.ProbeResult{}, fmt.Errorf("probe %s: %w", in.Key, err)
	}
	return workflows.ProbeResult{ProbeID: row.ID, Worker: row.Worker, RecordedAt: row.RecordedAt}, nil
}
