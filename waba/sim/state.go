package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The simulator's lasting state: what Meta keeps about a business between
// the product's restarts (its numbers, their quality and restrictions, its
// templates and review results, uploaded header handles, and what it knows
// of customers: identities, open windows, ad referrals, marketing opt-outs).
// With Options.StateFile set (scrm dev puts it in the data dir) it is loaded
// at start and written back while it changes, so restarting the dev stack
// does not leave the product holding numbers and APPROVED templates the
// simulator has forgotten. Outbox, counters and queued webhooks are a run's
// own and are not kept.
type simState struct {
	Seq         int64                `json:"seq"`
	Numbers     []Number             `json:"numbers"`
	Templates   []stateTemplate      `json:"templates"`
	Handles     map[string]string    `json:"handles,omitempty"`
	Windows     map[string]time.Time `json:"windows,omitempty"`
	Referrals   map[string]time.Time `json:"referrals,omitempty"`
	EntryPoints map[string]time.Time `json:"entryPoints,omitempty"`
	BSUIDPhone  map[string]string    `json:"bsuidPhone,omitempty"`
	PhoneBSUID  map[string]string    `json:"phoneBsuid,omitempty"`
	OptedOut    map[string]bool      `json:"optedOut,omitempty"`
	NotOnWA     map[string]bool      `json:"notOnWhatsApp,omitempty"`
}

type stateTemplate struct {
	ID              string          `json:"id"`
	WABAID          string          `json:"wabaId"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	Status          string          `json:"status"`
	ParameterFormat string          `json:"parameterFormat"`
	RejectedReason  string          `json:"rejectedReason,omitempty"`
	Components      json.RawMessage `json:"components"`
	Def             []tplCompDef    `json:"def"`
}

func (s *Sim) snapshotLocked() ([]byte, error) {
	st := simState{Seq: s.seq, Handles: s.handles, Windows: s.windows, Referrals: s.referrals, EntryPoints: s.entryPoints,
		BSUIDPhone: s.bsuidPhone, PhoneBSUID: s.phoneBSUID, OptedOut: s.optedOut, NotOnWA: s.notOnWA}
	for _, n := range s.numbers {
		st.Numbers = append(st.Numbers, *n)
	}
	for _, t := range s.templates {
		st.Templates = append(st.Templates, stateTemplate{ID: t.ID, WABAID: t.WABAID, Name: t.Name, Language: t.Language, Category: t.Category,
			Status: t.Status, ParameterFormat: t.ParameterFormat, RejectedReason: t.RejectedReason, Components: t.Components, Def: t.def})
	}
	// Stable order, so an unchanged state writes nothing.
	sortBy(st.Numbers, func(n Number) string { return n.PhoneNumberID })
	sortBy(st.Templates, func(t stateTemplate) string { return t.ID })
	return json.MarshalIndent(st, "", " ")
}

// loadStateLocked restores a state file; a missing file is a first start.
func (s *Sim) loadStateLocked(path string) error {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wabasim: read state %s: %w", path, err)
	}
	var st simState
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("wabasim: state %s is not the simulator's: %w", path, err)
	}
	s.seq = max(s.seq, st.Seq)
	for i := range st.Numbers {
		n := st.Numbers[i]
		s.numbers[n.PhoneNumberID] = &n
	}
	for _, t := range st.Templates {
		s.templates[t.ID] = &template{ID: t.ID, WABAID: t.WABAID, Name: t.Name, Language: t.Language, Category: t.Category, Status: t.Status,
			ParameterFormat: t.ParameterFormat, RejectedReason: t.RejectedReason, Components: t.Components, def: t.Def}
	}
	merge := func(dst map[string]time.Time, src map[string]time.Time) {
		for k, v := range src {
			dst[k] = v
		}
	}
	merge(s.windows, st.Windows)
	merge(s.referrals, st.Referrals)
	merge(s.entryPoints, st.EntryPoints)
	for k, v := range st.Handles {
		s.handles[k] = v
	}
	for k, v := range st.BSUIDPhone {
		s.bsuidPhone[k] = v
	}
	for k, v := range st.PhoneBSUID {
		s.phoneBSUID[k] = v
	}
	for k, v := range st.OptedOut {
		s.optedOut[k] = v
	}
	for k, v := range st.NotOnWA {
		s.notOnWA[k] = v
	}
	return nil
}

// keepState writes the state file whenever it changed (checked every
// second) and once more when ctx ends. The write is atomic (a temporary
// file renamed over the old one), so a crash leaves the last good state.
func (s *Sim) keepState(ctx context.Context, path string) {
	defer s.doneWG.Done()
	var last []byte
	save := func() {
		s.mu.Lock()
		raw, err := s.snapshotLocked()
		s.mu.Unlock()
		if err != nil || bytes.Equal(raw, last) {
			return
		}
		if err := writeAtomic(path, raw); err != nil {
			s.log.Warn("wabasim: state not saved", "path", path, "err", err)
			return
		}
		last = raw
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-tick.C:
			save()
		}
	}
}

func writeAtomic(path string, raw []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func sortBy[T any](xs []T, key func(T) string) {
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
