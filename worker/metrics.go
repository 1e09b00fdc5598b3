package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"
)

// Check is one dependency probe (PostgreSQL, RabbitMQ, Temporal).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// DependencyCollector exports scrm_dependency_up{dependency} by running the
// role's readiness checks on every scrape, so "RabbitMQ unreachable from the
// api" is an alert, not only a failing /readyz.
type DependencyCollector struct {
	Checks  []Check
	Timeout time.Duration // per check (2s)
}

var depUpDesc = prometheus.NewDesc("scrm_dependency_up",
	"1 when the dependency answered the role's readiness check at scrape time, else 0.", []string{"dependency"}, nil)

// Describe implements prometheus.Collector.
func (c DependencyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- depUpDesc }

// Collect implements prometheus.Collector.
func (c DependencyCollector) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	for _, chk := range c.Checks {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		up := 1.0
		if chk.Fn(ctx) != nil {
			up = 0
		}
		cancel()
		ch <- prometheus.MustNewConstMetric(depUpDesc, prometheus.GaugeValue, up, chk.Name)
	}
}

// StoreCollector exports gauges read from PostgreSQL on every scrape:
// every sender's quality rating and the recipient counts of running
// campaigns. Every replica exports the same values; aggregate with max().
type StoreCollector struct {
	DB      *gorm.DB
	Timeout time.Duration // whole scrape (5s)
	Log     *slog.Logger
}

var (
	senderQualityDesc = prometheus.NewDesc("scrm_sender_quality",
		"1 for the sender's current quality rating (GREEN, YELLOW, RED, UNKNOWN), 0 for the others.",
		[]string{"sender_id", "phone_number_id", "quality"}, nil)
	senderActiveDesc = prometheus.NewDesc("scrm_sender_active",
		"1 when the sender's status is active (not flagged, restricted, disabled or unverified).",
		[]string{"sender_id", "phone_number_id", "status"}, nil)
	senderThroughputDesc = prometheus.NewDesc("scrm_sender_throughput_mps",
		"The sender's messages-per-second limit.", []string{"sender_id", "phone_number_id"}, nil)
	campaignRecipientsDesc = prometheus.NewDesc("scrm_campaign_recipients",
		"Recipients of a running campaign by status (queued, sent, delivered, read, replied, failed, skipped).",
		[]string{"campaign_id", "status"}, nil)
	campaignDueDesc = prometheus.NewDesc("scrm_campaign_recipients_due",
		"Queued recipients of a running campaign whose send time has come (not_before <= now): work the senders should be doing now.",
		[]string{"campaign_id"}, nil)
	campaignProgressDesc = prometheus.NewDesc("scrm_campaign_last_progress_timestamp_seconds",
		"Unix time of the last change to any recipient of a running campaign (its launch when none yet).",
		[]string{"campaign_id"}, nil)
	storeUpDesc = prometheus.NewDesc("scrm_store_collector_up",
		"1 when the last scrape read senders and campaigns from PostgreSQL, else 0.", nil, nil)
)

var qualities = []string{"GREEN", "YELLOW", "RED", "UNKNOWN"}
var recipientStatuses = []string{"queued", "sent", "delivered", "read", "replied", "failed", "skipped"}

// Describe implements prometheus.Collector.
func (c StoreCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{senderQualityDesc, senderActiveDesc, senderThroughputDesc, campaignRecipientsDesc, campaignDueDesc, campaignProgressDesc, storeUpDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A database error yields
// scrm_store_collector_up 0 and no other series, never a failed scrape.
func (c StoreCollector) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ms, err := c.read(ctx)
	up := 1.0
	if err != nil {
		up = 0
		ms = nil
		if c.Log != nil {
			c.Log.Warn("metrics: read senders and campaigns", "err", err)
		}
	}
	for _, m := range ms {
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, up)
}

func (c StoreCollector) read(ctx context.Context) ([]prometheus.Metric, error) {
	if c.DB == nil {
		return nil, errors.New("no database")
	}
	db := c.DB.WithContext(ctx)
	var senders []struct {
		ID            int64  `gorm:"column:id"`
		PhoneNumberID string `gorm:"column:phone_number_id"`
		Quality       string `gorm:"column:quality"`
		Status        string `gorm:"column:status"`
		ThroughputMPS int    `gorm:"column:throughput_mps"`
	}
	if err := db.Raw(`SELECT id, phone_number_id, quality, status, throughput_mps FROM senders ORDER BY id`).Scan(&senders).Error; err != nil {
		return nil, fmt.Errorf("senders: %w", err)
	}
	var out []prometheus.Metric
	for _, s := range senders {
		id := strconv.FormatInt(s.ID, 10)
		for _, q := range qualities {
			v := 0.0
			if s.Quality == q {
				v = 1
			}
			out = append(out, prometheus.MustNewConstMetric(senderQualityDesc, prometheus.GaugeValue, v, id, s.PhoneNumberID, q))
		}
		active := 0.0
		if s.Status == "active" {
			active = 1
		}
		out = append(out, prometheus.MustNewConstMetric(senderActiveDesc, prometheus.GaugeValue, active, id, s.PhoneNumberID, s.Status),
			prometheus.MustNewConstMetric(senderThroughputDesc, prometheus.GaugeValue, float64(s.ThroughputMPS), id, s.PhoneNumberID))
	}

	var counts []struct {
		CampaignID int64     `gorm:"column:campaign_id"`
		Status     string    `gorm:"column:status"`
		N          int64     `gorm:"column:n"`
		Last       time.Time `gorm:"column:last"`
	}
	// Only running campaigns: their count is small, and a finished
	// campaign's series should disappear rather than stay flat.
	if err := db.Raw(`
		SELECT c.id AS campaign_id, COALESCE(r.status, '') AS status, count(r.id) AS n,
		       GREATEST(COALESCE(max(r.updated_at), c.launched_at, c.updated_at), COALESCE(c.launched_at, c.updated_at)) AS last
		FROM campaigns c LEFT JOIN campaign_recipients r ON r.campaign_id = c.id
		WHERE c.status = 'running'
		GROUP BY c.id, r.status, c.launched_at, c.updated_at ORDER BY c.id`).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("campaign recipients: %w", err)
	}
	var dues []struct {
		CampaignID int64 `gorm:"column:campaign_id"`
		N          int64 `gorm:"column:n"`
	}
	// Queued rows wait for quiet hours (not_before); only due ones are late.
	if err := db.Raw(`
		SELECT r.campaign_id, count(*) AS n FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
		WHERE c.status = 'running' AND r.status = 'queued' AND r.not_before <= now() GROUP BY r.campaign_id`).Scan(&dues).Error; err != nil {
		return nil, fmt.Errorf("campaign recipients due: %w", err)
	}
	due := map[int64]int64{}
	for _, d := range dues {
		due[d.CampaignID] = d.N
	}
	type camp struct {
		n    map[string]int64
		last time.Time
	}
	byCampaign := map[int64]*camp{}
	var order []int64
	for _, r := range counts {
		cp := byCampaign[r.CampaignID]
		if cp == nil {
			cp = &camp{n: map[string]int64{}}
			byCampaign[r.CampaignID] = cp
			order = append(order, r.CampaignID)
		}
		if r.Status != "" {
			cp.n[r.Status] = r.N
		}
		if r.Last.After(cp.last) {
			cp.last = r.Last
		}
	}
	for _, id := range order {
		cp := byCampaign[id]
		sid := strconv.FormatInt(id, 10)
		// Every status, zeros included, so rate() and sums see a series
		// from the campaign's first scrape on.
		for _, st := range recipientStatuses {
			out = append(out, prometheus.MustNewConstMetric(campaignRecipientsDesc, prometheus.GaugeValue, float64(cp.n[st]), sid, st))
		}
		out = append(out, prometheus.MustNewConstMetric(campaignDueDesc, prometheus.GaugeValue, float64(due[id]), sid),
			prometheus.MustNewConstMetric(campaignProgressDesc, prometheus.GaugeValue, float64(cp.last.Unix()), sid))
	}
	return out, nil
}

// ServeMetrics serves /metrics (reg) and /healthz on addr until ctx ends:
// the worker has no other HTTP port.
func ServeMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker metrics cannot listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if log != nil {
		log.Info("worker metrics listening", "addr", ln.Addr().String())
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
