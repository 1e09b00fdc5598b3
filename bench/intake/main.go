// Command intake measures contact import throughput: it builds a CSV of N
// rows (mostly valid Indonesian mobiles in mixed spellings, some duplicates,
// some malformed), parses and maps it, stores the job, then runs the same
// chunk activity the ContactIntakeWorkflow runs, chunk after chunk, on a
// fresh migrated PostgreSQL database, and prints rows/s per phase.
//
//	go run ./bench/intake -rows 100000 -chunk 500
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/migrations"
	"github.com/wabascrm/scrm/worker/testenv"
)

func main() {
	var (
		dbURL = flag.String("db", envOr("SCRM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server (a scratch database is created on it)")
		rows  = flag.Int("rows", 100_000, "rows in the file")
		chunk = flag.Int("chunk", 500, "rows per chunk activity")
	)
	flag.Parse()
	if err := run(*dbURL, *rows, *chunk); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func csvFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Nama,No HP,Kota,Segmen\n")
	spell := []string{"0812%08d", "62812%08d", "+62 812 %08d"}
	for i := range n {
		switch {
		case i%50 == 49:
			b.WriteString("Salah,12345,Medan,x\n") // malformed
		case i%20 == 19:
			fmt.Fprintf(&b, "Dup %d,"+spell[i%3]+",Jakarta,gold\n", i, i-1) // duplicate of the previous row
		default:
			fmt.Fprintf(&b, "Pelanggan Ñandú %d,"+spell[i%3]+",Bandung,silver\n", i, i)
		}
	}
	return b.Bytes()
}

func run(base string, n, chunk int) error {
	ctx := context.Background()
	dsn, drop, err := testenv.ScratchDatabase(ctx, base, "scrm_bench_")
	if err != nil {
		return err
	}
	defer drop()
	db, err := models.OpenDB(ctx, dsn)
	if err != nil {
		return err
	}
	defer models.CloseDB(db)
	sqlDB, _ := db.DB()
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		return err
	}
	data := csvFile(n)
	t0 := time.Now()
	tbl, _, err := contacts.ParseUpload(data)
	if err != nil {
		return err
	}
	m := contacts.GuessMapping(tbl.Headers)
	rowNos, recs, err := m.Apply(tbl)
	if err != nil {
		return err
	}
	parse := time.Since(t0)
	store := contacts.IntakeStore{DB: db, Events: models.EventStore{DB: db}}
	t1 := time.Now()
	job, _, err := store.CreateJob(ctx, models.Principal{AgentID: 1, AllScope: true},
		contacts.NewIntakeJob{Source: "csv", FileName: "bench.csv", Mapping: m, RowNos: rowNos, Records: recs})
	if err != nil {
		return err
	}
	upload := time.Since(t1)
	acts := &activities.Intake{Store: store}
	t2 := time.Now()
	after, chunks := 0, 0
	for {
		r, err := acts.ProcessIntakeChunk(ctx, job.ID, after, chunk)
		if err != nil {
			return err
		}
		if r.Rows == 0 {
			break
		}
		after, chunks = r.LastRowNo, chunks+1
	}
	p, err := acts.FinishIntake(ctx, job.ID, contacts.IntakeCompleted, "")
	if err != nil {
		return err
	}
	process := time.Since(t2)
	// A resumed worker re-running every chunk: must change nothing.
	t3 := time.Now()
	after = 0
	for {
		r, err := acts.ProcessIntakeChunk(ctx, job.ID, after, chunk)
		if err != nil {
			return err
		}
		if r.Rows == 0 {
			break
		}
		after = r.LastRowNo
	}
	rerun := time.Since(t3)
	var contacts int64
	db.Raw("SELECT count(*) FROM contacts").Scan(&contacts)
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("rows=%d file=%.1fMB chunk=%d chunks=%d\n", n, float64(len(data))/(1<<20), chunk, chunks)
	fmt.Printf("parse+map   %8.2fs %10.0f rows/s\n", parse.Seconds(), rate(parse))
	fmt.Printf("store rows  %8.2fs %10.0f rows/s\n", upload.Seconds(), rate(upload))
	fmt.Printf("import      %8.2fs %10.0f rows/s\n", process.Seconds(), rate(process))
	fmt.Printf("re-run      %8.2fs %10.0f rows/s (no-op)\n", rerun.Seconds(), rate(rerun))
	fmt.Printf("end to end  %8.2fs %10.0f rows/s\n", (parse + upload + process).Seconds(), rate(parse+upload+process))
	fmt.Printf("result: %+v contacts=%d\n", p, contacts)
	if int64(p.Created) != contacts || p.Processed != n {
		return fmt.Errorf("counts disagree: %+v vs %d contacts", p, contacts)
	}
	return nil
}
