package main

// -funnel: a database of its own (scrm_bench_funnel21) with one campaign of
// -recipients recipients seeded with generate_series, the stored states and
// counters written as migration 00210's backfill does; then the funnel and
// the recipients-by-status page, before (the exact derivation from the
// messages, the batch walk filtered in Go: the code this branch replaced,
// kept here as SQL) and after (CampaignStore), and the contact list with an
// exact count vs the capped count, at 1 and 20 clients.

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/migrations"
	"gorm.io/gorm"
)

const funnelDB = "scrm_bench_funnel21"

// oldStateSQL is the derivation the funnel and the listing ran before 00210.
const oldStateSQL = `CASE
	WHEN r.status = 'skipped' THEN 'skipped'
	WHEN m.status = 'failed' OR r.status = 'failed' THEN 'failed'
	WHEN rp.at IS NOT NULL THEN 'replied'
	WHEN m.status IN ('sent','delivered','read') THEN m.status
	ELSE 'queued' END`

const oldJoinSQL = `
	LEFT JOIN messages m ON m.id = r.message_id
	LEFT JOIN LATERAL (SELECT min(i.created_at) AS at FROM messages i
		WHERE m.status IN ('sent','delivered','read') AND i.conversation_id = m.conversation_id AND i.direction = 'in'
			AND i.created_at > COALESCE(m.sent_at, m.created_at)
			AND i.created_at <= COALESCE(m.sent_at, m.created_at) + interval '72 hours') rp ON true`

func oldFunnel(ctx context.Context, db *gorm.DB, id int64) error {
	var rows []struct {
		State, Reason string
		N             int64
	}
	return db.WithContext(ctx).Raw(`SELECT `+oldStateSQL+` AS state, CASE WHEN r.status = 'skipped' THEN r.reason ELSE '' END AS reason, count(*) AS n
		FROM campaign_recipients r`+oldJoinSQL+` WHERE r.campaign_id = ? GROUP BY 1, 2`, id).Scan(&rows).Error
}

// oldPage walks the campaign in batches of 1000 and keeps the rows in
// status until the page (100) is full, as Recipients did.
func oldPage(ctx context.Context, db *gorm.DB, id int64, status string) error {
	n := 0
	for after := int64(0); ; {
		var rows []struct {
			ID     int64
			Status string
		}
		if err := db.WithContext(ctx).Raw(`WITH r AS MATERIALIZED (SELECT * FROM campaign_recipients WHERE campaign_id = ? AND id > ? ORDER BY id LIMIT 1000)
			SELECT r.id, `+oldStateSQL+` AS status, ct.name, m.sent_at FROM r JOIN contacts ct ON ct.id = r.contact_id`+oldJoinSQL+` ORDER BY r.id`,
			id, after).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if r.Status == status {
				if n++; n > 100 {
					return nil
				}
			}
		}
		if len(rows) < 1000 {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

func seedFunnel(ctx context.Context, base string, n int) (*gorm.DB, error) {
	admin, err := models.OpenDB(ctx, base)
	if err != nil {
		return nil, err
	}
	defer models.CloseDB(admin)
	_ = admin.Exec("DROP DATABASE IF EXISTS " + funnelDB + " WITH (FORCE)").Error
	if err := admin.Exec("CREATE DATABASE " + funnelDB).Error; err != nil {
		return nil, err
	}
	db, err := models.OpenDB(ctx, withDB(base, funnelDB))
	if err != nil {
		return nil, err
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // the SET below holds for the whole seeding
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		return nil, err
	}
	t0 := time.Now()
	// Statuses: the last 5% still queued (a live campaign), 5% failed, 2%
	// skipped (opted out), then 20% sent, 30% delivered, the rest read; a
	// tenth of the customers wrote back, half of them within 72 h.
	g := strconv.Itoa(n)
	for _, q := range []string{
		`SET session_replication_role = replica`,
		`INSERT INTO senders (id, phone_number_id, display_number) VALUES (1, 'PN1', '+62 21 1')`,
		`INSERT INTO templates (id, name, language, category, status, components) VALUES (1, 'promo', 'id', 'MARKETING', 'APPROVED', '[{"type":"BODY","text":"Halo"}]')`,
		`INSERT INTO segments (id, name, filter) VALUES (1, 'all', '{}')`,
		`INSERT INTO campaigns (id, name, template_id, segment_id, sender_ids, status) VALUES (1, 'big', 1, 1, '{1}', 'running')`,
		`INSERT INTO contacts (id, phone_e164, wa_id, name, tags, attributes) SELECT g, '+62813' || lpad(g::text, 8, '0'), '62813' || lpad(g::text, 8, '0'),
			'Pelanggan ' || g, CASE WHEN g % 100 = 0 THEN '{vip,promo}'::text[] WHEN g % 2 = 0 THEN '{promo}'::text[] ELSE '{}'::text[] END,
			jsonb_build_object('city', CASE g % 5 WHEN 0 THEN 'Jakarta' WHEN 1 THEN 'Bandung' WHEN 2 THEN 'Surabaya' WHEN 3 THEN 'Medan' ELSE 'Makassar' END)
			FROM generate_series(1, ` + g + `) g`,
		`INSERT INTO conversations (id, sender_id, contact_id) SELECT g, 1, g FROM generate_series(1, ` + g + `) g`,
		`INSERT INTO messages (id, conversation_id, direction, type, status, payload, sent_at, created_at)
			SELECT g, g, 'out', 'template', CASE WHEN g > ` + g + ` * 0.95 THEN 'queued' WHEN g % 20 = 0 THEN 'failed' WHEN g % 10 < 2 THEN 'sent'
				WHEN g % 10 < 5 THEN 'delivered' ELSE 'read' END,
				'{"template":{"name":"promo","language":{"code":"id"}}}', CASE WHEN g <= ` + g + ` * 0.95 THEN now() - interval '5 days' END, now() - interval '5 days'
			FROM generate_series(1, ` + g + `) g WHERE g % 50 <> 49`,
		`INSERT INTO messages (id, conversation_id, direction, type, status, created_at)
			SELECT ` + g + ` + g, g, 'in', 'text', 'received', now() - interval '5 days' + (CASE WHEN g % 20 = 10 THEN interval '1 hour' ELSE interval '4 days' END)
			FROM generate_series(1, ` + g + `) g WHERE g % 10 = 0`,
		`SELECT setval(pg_get_serial_sequence('messages', 'id'), 2 * ` + g + `)`,
		`INSERT INTO campaign_recipients (campaign_id, contact_id, sender_id, message_id, status, reason)
			SELECT 1, g, 1, CASE WHEN g % 50 <> 49 THEN g END, CASE WHEN g % 50 = 49 THEN 'skipped' WHEN g > ` + g + ` * 0.95 THEN 'queued'
				WHEN g % 20 = 0 THEN 'failed' ELSE 'sent' END, CASE WHEN g % 50 = 49 THEN 'opted_out' ELSE '' END
			FROM generate_series(1, ` + g + `) g`,
		// migration 00210's backfill
		`UPDATE campaign_recipients r SET state = campaign_recipient_state(r.status, r.message_id, c.reply_window_ms) FROM campaigns c WHERE c.id = r.campaign_id`,
		`INSERT INTO campaign_funnel (campaign_id, state, reason, n) SELECT campaign_id, state, CASE WHEN state = 'skipped' THEN reason ELSE '' END, count(*)
			FROM campaign_recipients GROUP BY 1, 2, 3`,
		`SET session_replication_role = origin`,
		`VACUUM ANALYZE`,
	} {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return nil, fmt.Errorf("%.60s: %w", strings.TrimSpace(q), err)
		}
	}
	fmt.Printf("seeded %d recipients in %s\n", n, time.Since(t0).Round(time.Second))
	return db, nil
}

// withDB is dsn with its database replaced by name.
func withDB(dsn, name string) string {
	i := strings.Index(dsn, "://")
	rest := dsn[i+3:]
	slash := strings.Index(rest, "/")
	q := ""
	if j := strings.Index(rest, "?"); j >= 0 {
		q = rest[j:]
	}
	return dsn[:i+3] + rest[:slash] + "/" + name + q
}

// procCPU is utime+stime of a process in milliseconds (clock ticks of 10 ms).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 10
}

type op struct {
	name string
	runs int // 0: -runs
	// only1: not at 20 clients (20 concurrent walks of 25 s each would take
	// minutes on the 2 shared cores, and say nothing new)
	only1 bool
	f     func(ctx context.Context, db *gorm.DB) error
}

// timeOps runs each op at 1 client (one connection: its backend's CPU from
// /proc) and at 20 clients, and prints p50/p99.
func timeOps(ctx context.Context, base string, runs int, only string, ops []op) error {
	one, err := models.OpenDB(ctx, withDB(base, funnelDB))
	if err != nil {
		return err
	}
	defer models.CloseDB(one)
	s1, _ := one.DB()
	s1.SetMaxOpenConns(1)
	var pid int
	one.Raw(`SELECT pg_backend_pid()`).Scan(&pid)
	many, err := models.OpenDB(ctx, withDB(base, funnelDB))
	if err != nil {
		return err
	}
	defer models.CloseDB(many)
	s20, _ := many.DB()
	s20.SetMaxOpenConns(20)
	fmt.Printf("%-34s %7s %10s %10s %14s\n", "operation", "clients", "p50", "p99", "server CPU/op")
	for _, o := range ops {
		if !strings.Contains(o.name, only) {
			continue
		}
		r := runs
		if o.runs > 0 {
			r = o.runs
		}
		for _, clients := range []int{1, 20} {
			if clients > 1 && o.only1 {
				continue
			}
			db := one
			if clients > 1 {
				db = many
			}
			_ = o.f(ctx, db) // warm-up
			cpu0 := procCPU(pid)
			var mu sync.Mutex
			var ds []time.Duration
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for range r {
						t := time.Now()
						if err := o.f(ctx, db); err != nil {
							fmt.Fprintln(os.Stderr, o.name, err)
							return
						}
						mu.Lock()
						ds = append(ds, time.Since(t))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(ds) == 0 {
				continue
			}
			cpu := ""
			if clients == 1 {
				cpu = fmt.Sprintf("%.1f ms", (procCPU(pid)-cpu0)/float64(len(ds)))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			p := func(q float64) string { return ds[int(q*float64(len(ds)-1))].Round(100 * time.Microsecond).String() }
			fmt.Printf("%-34s %7d %10s %10s %14s\n", o.name, clients, p(0.5), p(0.99), cpu)
		}
	}
	return nil
}

// runFunnel: base is the server's maintenance database (DSN).
func runFunnel(ctx context.Context, base string, n, runs, beforeRuns int, reuse bool, only string) error {
	if !reuse {
		db, err := seedFunnel(ctx, base, n)
		if err != nil {
			return err
		}
		models.CloseDB(db)
	}
	admin := models.Principal{AllScope: true}
	page := func(status string) func(ctx context.Context, db *gorm.DB) error {
		return func(ctx context.Context, db *gorm.DB) error {
			pg, err := campaigns.CampaignStore{DB: db}.Recipients(ctx, admin, 1, status, "", 100)
			if err == nil && len(pg.Items) != 100 {
				err = fmt.Errorf("%s page of %d", status, len(pg.Items))
			}
			return err
		}
	}
	list := func(f contacts.ContactFilter) func(ctx context.Context, db *gorm.DB) error {
		return func(ctx context.Context, db *gorm.DB) error {
			_, _, err := contacts.ContactStore{DB: db}.List(ctx, admin, f, models.Page{Limit: 50})
			return err
		}
	}
	exact := func(f contacts.ContactFilter) func(ctx context.Context, db *gorm.DB) error {
		return func(ctx context.Context, db *gorm.DB) error {
			var total int64
			q := db.WithContext(ctx).Model(&contacts.ContactRecord{})
			q = contactsFilterSQL(q, f)
			if err := q.Count(&total).Error; err != nil {
				return err
			}
			var out []contacts.ContactRecord
			return q.Order("contacts.id DESC").Limit(50).Find(&out).Error
		}
	}
	return timeOps(ctx, base, runs, only, []op{
		{"funnel before (exact join)", beforeRuns, false, func(ctx context.Context, db *gorm.DB) error { return oldFunnel(ctx, db, 1) }},
		{"funnel after (counters)", 0, false, func(ctx context.Context, db *gorm.DB) error {
			f, err := campaigns.CampaignStore{DB: db}.Funnel(ctx, 1)
			if err == nil && f.Recipients != int64(n) {
				err = fmt.Errorf("funnel %+v", f)
			}
			return err
		}},
		{"replied page before (Go walk)", beforeRuns, false, func(ctx context.Context, db *gorm.DB) error { return oldPage(ctx, db, 1, "replied") }},
		{"replied page after (state index)", 0, false, page("replied")},
		{"queued page before (Go walk)", 1, true, func(ctx context.Context, db *gorm.DB) error { return oldPage(ctx, db, 1, "queued") }},
		{"queued page after (state index)", 0, false, page("queued")},
		{"contacts all, exact count", 0, false, exact(contacts.ContactFilter{})},
		{"contacts all, capped count", 0, false, list(contacts.ContactFilter{})},
		{"contacts tag vip, exact count", 0, false, exact(contacts.ContactFilter{Tag: "vip"})},
		{"contacts tag vip, capped count", 0, false, list(contacts.ContactFilter{Tag: "vip"})},
		{"contacts city, exact count", 0, false, exact(contacts.ContactFilter{Attributes: map[string]string{"city": "Medan"}})},
		{"contacts city, capped count", 0, false, list(contacts.ContactFilter{Attributes: map[string]string{"city": "Medan"}})},
		{"contacts name, exact count", 0, false, exact(contacts.ContactFilter{Query: "Pelanggan 4242"})},
		{"contacts name, capped count", 0, false, list(contacts.ContactFilter{Query: "Pelanggan 4242"})},
	})
}

// contactsFilterSQL is ContactFilter's SQL before this branch, for the
// exact-count baseline (the tag as "= ANY", which no index serves; admin
// scope adds no condition).
func contactsFilterSQL(q *gorm.DB, f contacts.ContactFilter) *gorm.DB {
	if f.Tag != "" {
		q = q.Where("? = ANY(contacts.tags)", f.Tag)
	}
	for k, v := range f.Attributes {
		q = q.Where("contacts.attributes @> ?::jsonb", `{"`+k+`":"`+v+`"}`)
	}
	if f.Query != "" {
		q = q.Where("lower(contacts.name) LIKE ?", "%"+strings.ToLower(f.Query)+"%")
	}
	return q
}
