package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Probe is one recorded run of the ProbeWorkflow.
type Probe struct {
	ID         int64  `gorm:"primaryKey"`
	ProbeKey   string `gorm:"uniqueIndex"`
	Worker     string
	RecordedAt time.Time `gorm:"autoCreateTime"`
}

// ProbeStore persists probes.
type ProbeStore struct{ DB *gorm.DB }

// Record inserts the probe once; a retried activity with the same key changes nothing.
func (s ProbeStore) Record(ctx context.Context, key, worker string) (Probe, error) {
	p := Probe{ProbeKey: key, Worker: worker}
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&p).Error; err != nil {
		return Probe{}, fmt.Errorf("record probe: %w", err)
	}
	var out Probe
	if err := s.DB.WithContext(ctx).Where("probe_key = ?", key).Take(&out).Error; err != nil {
		return Probe{}, fmt.Errorf("read probe: %w", err)
	}
	return out, nil
}

// Count returns how many probes carry key (0 or 1).
func (s ProbeStore) Count(ctx context.Context, key string) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Probe{}).Where("probe_key = ?", key).Count(&n).Error
	return n, err
}
