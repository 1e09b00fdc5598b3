package worker_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/worker/testenv"
)

// series renders every gathered series of the named families as
// `name{k=v,...} value`, sorted.
func series(t *testing.T, reg *prometheus.Registry, names ...string) []string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fams {
		if !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue()
			if f.GetType() == dto.MetricType_COUNTER {
				v = m.GetCounter().GetValue()
			}
			out = append(out, f.GetName()+"{"+strings.Join(ls, ",")+"} "+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	sort.Strings(out)
	return out
}

// The store collector reads senders and running campaigns from a real
// PostgreSQL on every scrape; a finished campaign's series disappear.
func TestStoreCollector(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Gorm.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO senders (id, phone_number_id, quality, status, throughput_mps) VALUES
		(1, '1001', 'GREEN', 'active', 80), (2, '1002', 'RED', 'flagged', 80)`)
	exec(`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED', '[]')`)
	exec(`INSERT INTO segments (id, name, filter) VALUES (1, 'all', '{}')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, name) VALUES (1, '+6281200000001', '6281200000001', 'a'),
		(2, '+6281200000002', '6281200000002', 'b'), (3, '+6281200000003', '6281200000003', 'c')`)
	exec(`INSERT INTO campaigns (id, name, template_id, segment_id, sender_ids, status, launched_at) VALUES
		(7, 'running', 1, 1, '{1,2}', 'running', '2026-11-24T10:00:00Z'), (8, 'done', 1, 1, '{1}', 'completed', '2026-11-24T09:00:00Z')`)
	exec(`INSERT INTO contacts (id, phone_e164, wa_id, name) VALUES (4, '+6281200000004', '6281200000004', 'd')`)
	// Contact 4 is queued until tomorrow's allowed hours: not due.
	exec(`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, status, updated_at, not_before) VALUES
		(7, 1, 1, 'sent', '2026-11-24T10:05:00Z', '2026-11-24T10:00:00Z'), (7, 2, 2, 'delivered', '2026-11-24T10:06:40Z', '2026-11-24T10:00:00Z'),
		(7, 3, 1, 'queued', '2026-11-24T10:01:00Z', '2026-11-24T10:00:00Z'), (7, 4, 1, 'queued', '2026-11-24T10:01:00Z', now() + interval '12 hours'),
		(8, 1, 1, 'read', '2026-11-24T09:30:00Z', '2026-11-24T09:00:00Z')`)

	reg := prometheus.NewRegistry()
	reg.MustRegister(worker.StoreCollector{DB: db.Gorm})
	got := series(t, reg, "scrm_sender_quality", "scrm_sender_active", "scrm_campaign_recipients",
		"scrm_campaign_last_progress_timestamp_seconds", "scrm_campaign_recipients_due", "scrm_store_collector_up")
	want := []string{
		"scrm_campaign_last_progress_timestamp_seconds{campaign_id=7} 1795514800", // 2026-11-24T10:06:40Z, the newest recipient change
		"scrm_campaign_recipients_due{campaign_id=7} 1",
		"scrm_campaign_recipients{campaign_id=7,status=delivered} 1",
		"scrm_campaign_recipients{campaign_id=7,status=failed} 0",
		"scrm_campaign_recipients{campaign_id=7,status=queued} 2",
		"scrm_campaign_recipients{campaign_id=7,status=read} 0",
		"scrm_campaign_recipients{campaign_id=7,status=replied} 0",
		"scrm_campaign_recipients{campaign_id=7,status=sent} 1",
		"scrm_campaign_recipients{campaign_id=7,status=skipped} 0",
		"scrm_sender_active{phone_number_id=1001,sender_id=1,status=active} 1",
		"scrm_sender_active{phone_number_id=1002,sender_id=2,status=flagged} 0",
		"scrm_sender_quality{phone_number_id=1001,quality=GREEN,sender_id=1} 1",
		"scrm_sender_quality{phone_number_id=1001,quality=RED,sender_id=1} 0",
		"scrm_sender_quality{phone_number_id=1001,quality=UNKNOWN,sender_id=1} 0",
		"scrm_sender_quality{phone_number_id=1001,quality=YELLOW,sender_id=1} 0",
		"scrm_sender_quality{phone_number_id=1002,quality=GREEN,sender_id=2} 0",
		"scrm_sender_quality{phone_number_id=1002,quality=RED,sender_id=2} 1",
		"scrm_sender_quality{phone_number_id=1002,quality=UNKNOWN,sender_id=2} 0",
		"scrm_sender_quality{phone_number_id=1002,quality=YELLOW,sender_id=2} 0",
		"scrm_store_collector_up{} 1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Read on scrape: the sender turns YELLOW, the campaign completes.
	exec(`UPDATE senders SET quality = 'YELLOW' WHERE id = 2`)
	exec(`UPDATE campaigns SET status = 'completed' WHERE id = 7`)
	got = series(t, reg, "scrm_sender_quality", "scrm_campaign_recipients")
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "scrm_campaign_recipients") }) {
		t.Errorf("a completed campaign is still exported: %v", got)
	}
	if !slices.Contains(got, "scrm_sender_quality{phone_number_id=1002,quality=YELLOW,sender_id=2} 1") {
		t.Errorf("quality change not seen on the next scrape: %v", got)
	}

	// A database that is gone: up 0, the scrape itself still succeeds.
	sqlDB, _ := db.Gorm.DB()
	_ = sqlDB.Close()
	if got := series(t, reg, "scrm_store_collector_up", "scrm_sender_quality"); !slices.Equal(got, []string{"scrm_store_collector_up{} 0"}) {
		t.Errorf("after the database closed: %v", got)
	}
}

func TestDependencyCollector(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(worker.DependencyCollector{Checks: []worker.Check{
		{Name: "postgres", Fn: func(context.Context) error { return nil }},
		{Name: "rabbitmq", Fn: func(context.Context) error { return errors.New("connection refused") }},
		{Name: "temporal", Fn: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	}, Timeout: 50e6})
	got := series(t, reg, "scrm_dependency_up")
	want := []string{"scrm_dependency_up{dependency=postgres} 1", "scrm_dependency_up{dependency=rabbitmq} 0", "scrm_dependency_up{dependency=temporal} 0"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
