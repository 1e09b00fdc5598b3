// Command queries times the inbox list and the contact search of
// models/inbox (#21) at 1 and 20 clients on a database seeded by
// bench/reports (SCRM_BENCH_DB=scrm_bench_q21 go run ./bench/reports -keep
// -scale 0.1), and prints p50/p99. -before drops the indexes of migration
// 00190 first (the plans the list and the search had before it) and puts
// them back at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

func main() {
	dsn := flag.String("db", "postgres://postgres@127.0.0.1:5432/scrm_bench_q21?sslmode=disable", "seeded database")
	runs := flag.Int("runs", 40, "timed runs per operation and client")
	before := flag.Bool("before", false, "drop the 00190 indexes while timing")
	funnel := flag.Bool("funnel", false, "seed "+funnelDB+" (one campaign) and time the funnel, the recipients by status and the contact list")
	recipients := flag.Int("recipients", 500_000, "-funnel: recipients (and contacts) of the campaign")
	beforeRuns := flag.Int("before-runs", 3, "-funnel: timed runs per client of the slow former queries")
	reuse := flag.Bool("reuse", false, "-funnel: time the database seeded by an earlier run")
	only := flag.String("ops", "", "-funnel: only the operations whose name contains this")
	flag.Parse()
	ctx := context.Background()
	if *funnel {
		if err := runFunnel(ctx, withDB(*dsn, "postgres"), *recipients, *runs, *beforeRuns, *reuse, *only); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	db, err := models.OpenDB(ctx, *dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer models.CloseDB(db)
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(20)
	if *before {
		for _, ix := range []string{"conversations_activity_sort", "conversations_waiting_sort", "contacts_name_trgm", "contacts_phone_trgm"} {
			db.Exec("DROP INDEX IF EXISTS " + ix)
		}
		defer func() {
			for _, s := range []string{
				`CREATE INDEX IF NOT EXISTS conversations_activity_sort ON conversations ((COALESCE(last_message_at, created_at)) DESC, id DESC)`,
				`CREATE INDEX IF NOT EXISTS conversations_waiting_sort ON conversations ((COALESCE(last_inbound_at, created_at)), id) WHERE status IN ('open', 'pending')`,
				`CREATE INDEX IF NOT EXISTS contacts_name_trgm ON contacts USING GIN (name gin_trgm_ops)`,
				`CREATE INDEX IF NOT EXISTS contacts_phone_trgm ON contacts USING GIN (phone_e164 gin_trgm_ops)`,
			} {
				db.Exec(s)
			}
		}()
	}
	db.Exec("ANALYZE conversations")
	db.Exec("ANALYZE contacts")
	ib := inbox.ConversationStore{DB: db, Events: models.EventStore{DB: db}}
	admin := models.Principal{AllScope: true}
	ops := []struct {
		name string
		f    inbox.InboxFilter
	}{
		{"admin all inbox", inbox.InboxFilter{View: "all"}},
		{"admin waiting", inbox.InboxFilter{View: "all", Sort: "waiting"}},
		{"name search", inbox.InboxFilter{View: "all", Query: "Pelanggan 4242"}},
		{"phone search", inbox.InboxFilter{View: "all", Query: "0800 0004 2424"}},
		{"partial digits", inbox.InboxFilter{View: "all", Query: "42424"}},
	}
	fmt.Printf("%-18s %8s %10s %10s\n", "operation", "clients", "p50", "p99")
	for _, op := range ops {
		for _, clients := range []int{1, 20} {
			var mu sync.Mutex
			var ds []time.Duration
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range *runs {
						t := time.Now()
						if _, err := ib.List(ctx, admin, op.f); err != nil {
							fmt.Fprintln(os.Stderr, op.name, err)
							return
						}
						mu.Lock()
						ds = append(ds, time.Since(t))
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			if len(ds) == 0 {
				continue
			}
			p := func(q float64) string { return ds[int(q*float64(len(ds)-1))].Round(100 * time.Microsecond).String() }
			fmt.Printf("%-18s %8d %10s %10s\n", op.name, clients, p(0.5), p(0.99))
		}
	}
}
