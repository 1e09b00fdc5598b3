package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/models/integrations"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/models/outbox"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/models/sla"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/workflows"
)

// Every long-running role is a struct: its configuration in, Run(ctx) out.
// The cobra commands only load the configuration and call Run; scrm dev and
// the end-to-end tests start the very same structs, so a test can never run
// a product wired differently from production. The few things a test sets
// differently are explicit fields (Options, Listener, Conns), each zero in
// production.

// Options are the seams of a process that are not user configuration. The
// zero value is production.
type Options struct {
	// Logger receives the role's logs (nil: JSON on stderr at cfg.LogLevel).
	Logger *slog.Logger
	// Tuning shortens the workflows' built-in timings (tests watch a case
	// expire in seconds); zero keeps the workflows' defaults.
	Tuning Tuning
}

// Tuning holds workflow timings that are constants of the product, not
// settings an operator should change; only tests set them.
type Tuning struct {
	// Cases are the CaseWorkflow timings (assignment expiry, follow-up, retry).
	Cases workflows.CaseConfig
	// CampaignPageSize is the audience page of a CampaignWorkflow (500 when zero).
	CampaignPageSize int
	// SenderDrainFor bounds one dispatch drain of a SenderWorkflow (30 s when zero).
	SenderDrainFor time.Duration
	// WindowSignalEvery is the idle poll period of the window-signal relay (200 ms when zero).
	WindowSignalEvery time.Duration
	// JourneyPauseRecheck is how often a paused journey's send looks again
	// (10 minutes when zero).
	JourneyPauseRecheck time.Duration
	// WebhookRelayEvery is the idle poll period of the outbound webhook
	// relay (500 ms when zero); WebhookGapWait how long it waits for a
	// missing event id (integrations.GapWait when zero).
	WebhookRelayEvery, WebhookGapWait time.Duration
	// AutoReplyNow is the auto-replies' clock (nil: time.Now): a test puts
	// it at 21:00 WIB to see the away message.
	AutoReplyNow func() time.Time
}

func (o Options) logger(cfg config.Config, role string) *slog.Logger {
	if o.Logger != nil {
		return o.Logger.With("role", role)
	}
	return newLogger(cfg.LogLevel).With("role", role)
}

// infra is the set of live connections a process holds. A `scrm <role>`
// process opens its own; scrm dev and the e2e tests open one and hand it to
// every role they run (Conns on the role structs), as one process would.
type infra struct {
	cfg      config.Config
	log      *slog.Logger
	db       *gorm.DB
	amqp     *amqp.Connection
	amqpMu   sync.Mutex // guards amqp, re-dialled by amqpReady
	temporal client.Client
	// tokens authenticates API calls and websockets (nil when no JWT
	// secret is configured: protected routes answer 503 and every
	// websocket is refused).
	tokens *identity.Tokens
	// rtAuth validates websocket tokens (the same authenticator as the API).
	rtAuth realtime.Authenticator
	// auth authenticates API bearer tokens: access tokens and API keys.
	auth apikeys.Bearer
	// rtPresence stores agents' presence (agents.presence). Optional.
	rtPresence realtime.PresenceSink
	// pub publishes committed events to the realtime fanout (api, worker);
	// live queues them for it off the request path (what the roles use).
	pub  *realtime.AMQPPublisher
	live *realtime.BatchPublisher
	// reg is the process's metrics registry (the Temporal client's metrics,
	// scrm_dependency_up, the worker's store and send metrics are on it);
	// the realtime gateway keeps its own.
	reg *prometheus.Registry

	// The worker's collectors go on reg once per process: a worker that is
	// stopped and started again in the same process (the e2e tests' crash
	// drill) reuses them instead of registering twice.
	workerMetricsOnce sync.Once
	sendMetrics       *waba.SendMetrics
	// blobs keeps the files of messages (media.go), with the database.
	blobs blobStore
}

type needs struct{ db, amqp, temporal bool }

// needsAll is what the api and worker roles (and dev, and the e2e stack) need.
func needsAll() needs { return needs{db: true, amqp: true, temporal: true} }

// connect opens what the role needs, failing with one clear line each.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, n needs) (*infra, error) {
	in := &infra{cfg: cfg, log: log, reg: newRegistry()}
	var err error
	if n.db {
		if in.db, err = openDB(ctx, cfg, true); err != nil {
			return nil, err
		}
		if in.blobs, err = openBlobs(ctx, cfg); err != nil {
			in.close()
			return nil, err
		}
	}
	if in.db != nil && cfg.JWTSecret != "" {
		tokens, err := identity.NewTokens(in.db, cfg.JWTSecret, passwordHasher(cfg))
		if err != nil {
			in.close()
			return nil, fmt.Errorf("SCRM_JWT_SECRET: %w", err)
		}
		tokens.RefreshTTL, tokens.IdleTimeout = cfg.SessionMaxAge, cfg.SessionIdleTimeout
		in.tokens = tokens
		// Bearer tokens are access tokens or API keys (scrm_live_...).
		in.auth = apikeys.Bearer{Tokens: tokens, Keys: apikeys.APIKeyStore{DB: in.db}}
		in.rtAuth = tokens // websockets are for people: no API keys
		in.rtPresence = identity.PresenceFromConnections{DB: in.db}
	}
	if n.amqp {
		if in.amqp, err = dialAMQP(cfg); err != nil {
			in.close()
			return nil, err
		}
		in.pub = newEventPublisher(cfg, "scrm")
		if in.tokens != nil {
			in.tokens.Events = in.pub // logout re-checks the agent's sockets at once
		}
		in.live = realtime.NewBatchPublisher(in.pub, 20000, log)
	}
	if n.temporal {
		if in.temporal, err = dialTemporal(ctx, cfg, log, worker.NewTemporalMetricsHandler(in.reg)); err != nil {
			in.close()
			return nil, err
		}
	}
	in.reg.MustRegister(worker.DependencyCollector{Checks: in.dependencyChecks()})
	return in, nil
}

// useOrConnect returns shared when set (and a no-op release), else opens
// the role's own connections and a func closing them.
func useOrConnect(ctx context.Context, shared *infra, cfg config.Config, log *slog.Logger, n needs) (*infra, func(), error) {
	if shared != nil {
		return shared, func() {}, nil
	}
	in, err := connect(ctx, cfg, log, n)
	if err != nil {
		return nil, nil, err
	}
	return in, in.close, nil
}

func (in *infra) dependencyChecks() []worker.Check {
	var cs []worker.Check
	for _, c := range in.checks() {
		cs = append(cs, worker.Check{Name: c.Name, Fn: c.Fn})
	}
	return cs
}

func (in *infra) close() {
	if in.live != nil {
		in.live.Close(2 * time.Second)
	}
	if in.pub != nil {
		_ = in.pub.Close()
	}
	if in.temporal != nil {
		in.temporal.Close()
	}
	if in.amqp != nil {
		_ = in.amqp.Close()
	}
	if in.db != nil {
		_ = models.CloseDB(in.db)
	}
}

// amqpReady reports whether RabbitMQ is reachable, re-dialling the probe
// connection after a broker restart so readiness recovers by itself.
func (in *infra) amqpReady(context.Context) error {
	in.amqpMu.Lock()
	defer in.amqpMu.Unlock()
	if in.amqp != nil && !in.amqp.IsClosed() {
		return nil
	}
	conn, err := dialAMQP(in.cfg)
	if err != nil {
		return errors.New(reason(err))
	}
	in.amqp = conn
	return nil
}

func (in *infra) checks() []api.Check {
	var cs []api.Check
	if in.db != nil {
		cs = append(cs, api.Check{Name: "postgres", Fn: func(ctx context.Context) error {
			sqlDB, err := in.db.DB()
			if err != nil {
				return err
			}
			return sqlDB.PingContext(ctx)
		}})
	}
	if in.amqp != nil {
		cs = append(cs, api.Check{Name: "rabbitmq", Fn: in.amqpReady})
	}
	if in.temporal != nil {
		cs = append(cs, api.Check{Name: "temporal", Fn: func(ctx context.Context) error {
			_, err := in.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	}
	return cs
}

// workerMetrics registers the worker's collectors on the process registry
// (once) and returns the Cloud API send metrics.
func (in *infra) workerMetrics() *waba.SendMetrics {
	in.workerMetricsOnce.Do(func() {
		in.reg.MustRegister(worker.StoreCollector{DB: in.db, Log: in.log})
		in.sendMetrics = waba.NewSendMetrics(in.reg)
	})
	return in.sendMetrics
}

func (in *infra) eventPublisher() models.EventPublisher {
	if in.live == nil {
		return nil
	}
	return in.live
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// conversationSignaler starts and signals ConversationWorkflows.
func conversationSignaler(in *infra, cfg config.Config) worker.ConversationSignaler {
	return worker.ConversationSignaler{
		Client:    in.temporal,
		TaskQueue: cfg.TemporalTaskQueue,
		Config: workflows.ConversationConfig{
			Window:           cfg.WindowLength,
			ClosingWarning:   cfg.WindowClosingWarning,
			AutoResolveAfter: cfg.ConversationAutoResolve,
		},
	}
}

// senderWorkflows wakes (and starts) the numbers' SenderWorkflows.
func senderWorkflows(in *infra, cfg config.Config, t Tuning) worker.SenderWorkflows {
	return worker.SenderWorkflows{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue, Draining: dispatch.DispatchStore{DB: in.db},
		Input: workflows.SenderInput{Recheck: cfg.SenderRecheck, OnPause: cfg.SenderOnPause, DrainFor: t.SenderDrainFor}}
}

// caseWorkflows starts CaseWorkflows, sends them updates and runs
// redistributions.
func caseWorkflows(in *infra, cfg config.Config, t Tuning) worker.CaseWorkflows {
	return worker.CaseWorkflows{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue, Config: t.Cases}
}

// journeyWorkflows starts and signals the journeys' enrollment workflows.
func journeyWorkflows(in *infra, cfg config.Config, t Tuning) worker.JourneyWorkflows {
	return worker.JourneyWorkflows{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue, PauseRecheck: t.JourneyPauseRecheck}
}

// campaignWorkflows starts and signals CampaignWorkflows.
func campaignWorkflows(in *infra, cfg config.Config, t Tuning) worker.CampaignWorkflows {
	return worker.CampaignWorkflows{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue, PageSize: t.CampaignPageSize}
}

// APIRole is `scrm api`: the REST API, web UI and webhook receiver.
type APIRole struct {
	Cfg  config.Config
	Opts Options
	// Listener, when set, is served instead of listening on Cfg.HTTPAddr
	// (tests bind 127.0.0.1:0 first so they know the address).
	Listener net.Listener
	// InternalListener, when set, is served instead of listening on
	// Cfg.InternalAddr (metrics, readiness, pprof).
	InternalListener net.Listener
	// Conns are connections shared with the other roles of this process
	// (scrm dev, the e2e stack), opened from the same configuration; nil:
	// Run opens its own and closes them when it returns.
	Conns *infra
}

// Run serves until ctx is done.
func (r APIRole) Run(ctx context.Context) error {
	log := r.Opts.logger(r.Cfg, "api")
	in, release, err := useOrConnect(ctx, r.Conns, r.Cfg, log, needsAll())
	if err != nil {
		return err
	}
	defer release()
	srv := newAPIServer(in, r.Cfg, r.Opts.Tuning, log)
	internal := r.InternalListener
	if internal == nil {
		if internal, err = net.Listen("tcp", r.Cfg.InternalAddr); err != nil {
			return fmt.Errorf("api internal listener cannot listen on %s (SCRM_INTERNAL_ADDR): %w", r.Cfg.InternalAddr, err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return api.ServeInternal(gctx, internal, api.Internal(api.InternalOptions{Logger: log, Registry: in.reg,
			Ready: in.checks(), Pprof: r.Cfg.PprofEnabled}), log)
	})
	g.Go(func() error {
		if r.Listener != nil {
			return srv.Serve(gctx, r.Listener)
		}
		return srv.Run(gctx, r.Cfg.HTTPAddr)
	})
	return g.Wait()
}

// WorkerRole is `scrm worker`: the Temporal worker with every activity's
// dependencies, plus the drainer that re-signals window openings the api
// could not deliver.
type WorkerRole struct {
	Cfg  config.Config
	Opts Options
	// Conns as on APIRole. A worker on shared connections leaves /metrics
	// to the api of its process, which serves the same registry; a worker
	// process of its own serves /metrics and /healthz on Cfg.HTTPAddr.
	Conns *infra
}

// Run serves the task queue until ctx is done. It may be called again
// after it returned: the e2e tests stop and restart the worker mid-run as
// a crash would.
func (r WorkerRole) Run(ctx context.Context) error {
	log := r.Opts.logger(r.Cfg, "worker")
	in, release, err := useOrConnect(ctx, r.Conns, r.Cfg, log, needsAll())
	if err != nil {
		return err
	}
	defer release()
	w := newWorker(in, r.Cfg, r.Opts.Tuning, log)
	if r.Conns != nil {
		return w.Run(ctx)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return worker.ServeMetrics(gctx, r.Cfg.HTTPAddr, in.reg, log) })
	g.Go(func() error { return w.Run(gctx) })
	return g.Wait()
}

// newWorker builds the Temporal worker on live connections.
func newWorker(in *infra, cfg config.Config, t Tuning, log *slog.Logger) *worker.Worker {
	host, _ := os.Hostname()
	events := models.EventStore{DB: in.db}
	ib := inbox.ConversationStore{DB: in.db, Events: events, Window: cfg.WindowLength}
	cases := cases.CaseStore{DB: in.db, Events: events, Publisher: in.eventPublisher(), Log: log}
	intake := contacts.IntakeStore{DB: in.db, Events: events}
	cloudAPI := waba.NewClient(cfg.WABABaseURL, cfg.WABAAPIVersion, cfg.WABAAccessToken, nil)
	mediaStore := media.MediaStore{DB: in.db, Events: events}
	metered := waba.MeteredSender{Next: cloudAPI, Metrics: in.workerMetrics()}
	dispatch := dispatch.DispatchStore{DB: in.db}
	// Inbox sends take their slot from the same per-second budget the
	// numbers' SenderWorkflows dispatch campaigns from.
	sender := activities.WABASender{Outbox: outbox.OutboxStore{DB: in.db, Events: events}, API: metered,
		Events: in.eventPublisher(), Log: log, Pacer: dispatch}
	warmup, _ := cfg.WarmupSchedule() // checked by Validate
	senders := senderWorkflows(in, cfg, t)
	caseWFs := caseWorkflows(in, cfg, t)
	journeyStore := journeys.JourneyStore{DB: in.db}
	journeyActs := &activities.Journey{Store: activities.JourneyDB{Store: journeyStore, Inbox: ib}, Sender: sender,
		Conversations: conversationSignaler(in, cfg), Cases: caseWFs, Events: in.eventPublisher(), Log: log, Warmup: warmup}
	return &worker.Worker{
		Client:    in.temporal,
		TaskQueue: cfg.TemporalTaskQueue,
		Logger:    log,
		Activities: worker.Activities{
			Probe: &activities.Probe{Store: models.ProbeStore{DB: in.db}, Identity: fmt.Sprintf("%s@%d", host, os.Getpid())},
			Conversation: &activities.Conversation{
				Store:  activities.InboxStore{Inbox: ib, Events: in.eventPublisher(), Log: log, Surveys: conversationSignaler(in, cfg)},
				Sender: sender,
				SLA: activities.SLAWaits{Waits: sla.WaitStore{DB: in.db, Events: events, Policies: sla.PolicyStore{DB: in.db}},
					Events: in.eventPublisher(), Log: log},
			},
			Case:     &activities.Case{Store: cases},
			CaseBulk: &activities.CaseBulk{Store: cases, Cases: caseWFs},
			Intake: &activities.Intake{
				Store:  intake,
				Events: in.eventPublisher(), Log: log,
			},
			IntakeCases: &activities.IntakeCases{
				Intake:  intake,
				Cases:   cases,
				Starter: caseWFs,
			},
			Retention:    &activities.Retention{Store: models.RetentionStore{DB: in.db}},
			TemplateSync: &activities.TemplateSync{Store: templates.TemplateStore{DB: in.db}, API: cloudAPI},
			Campaign: &activities.Campaign{Store: campaigns.CampaignStore{DB: in.db}, Sender: sender, Waker: senders,
				Events: in.eventPublisher(), Log: log},
			Sender: &activities.SenderDispatch{Store: dispatch, Sender: sender, Outcomes: campaigns.CampaignStore{DB: in.db},
				Waker: senders, Warmup: warmup, Log: log},
			Media:   &activities.MediaFetch{Store: mediaStore, API: cloudAPI, Blobs: in.blobs, Events: in.eventPublisher(), Log: log},
			Journey: journeyActs,
		},
		Background: []func(context.Context) error{
			worker.WindowSignalDrainer{Store: ingest.WindowSignalStore{DB: in.db}, Signaler: conversationSignaler(in, cfg),
				Cases: cases, Replies: caseWFs, Every: t.WindowSignalEvery, Logger: log}.Run,
			worker.Reoffer{Store: ib, Router: activities.InboxStore{Inbox: ib, Events: in.eventPublisher(), Log: log},
				Changed: conversationSignaler(in, cfg).Changed, Logger: log}.Run,
			worker.JourneyStarter{Store: journeyStore, Workflows: journeyWorkflows(in, cfg, t), Runs: journeyActs, Every: t.WindowSignalEvery, Logger: log}.Run,
			worker.JourneySignalRelay{Store: journeyStore, Workflows: journeyWorkflows(in, cfg, t), Every: t.WindowSignalEvery, Logger: log}.Run,
			worker.AutoReplyRelay{Store: autoreply.JobStore{DB: in.db, Events: events, Window: cfg.WindowLength},
				Signaler: conversationSignaler(in, cfg), Route: routeConversation(activities.InboxStore{Inbox: ib, Events: in.eventPublisher(), Log: log}),
				Events: in.eventPublisher(), Now: t.AutoReplyNow, Every: t.WindowSignalEvery, Logger: log}.Run,
			worker.ReceiptRelay{Store: inbox.ReceiptStore{DB: in.db}, API: cloudAPI, Logger: log}.Run,
			worker.ReportFolder{Store: reports.ReportStore{DB: in.db}, Logger: log}.Run,
			worker.WebhookRelay{Store: integrations.Store{DB: in.db, AllowPrivate: cfg.IntegrationsAllowPrivateTargets}, Every: t.WebhookRelayEvery, GapWait: t.WebhookGapWait, Logger: log}.Run,
			worker.MediaFetchStarter{Store: mediaStore, Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue, Logger: log}.Run,
			worker.MediaRetention{Store: mediaStore, Blobs: in.blobs, Keep: cfg.MediaRetention, Logger: log}.Run,
			func(ctx context.Context) error {
				return worker.EnsureTemplateSync(ctx, in.temporal, cfg.TemporalTaskQueue, cfg.TemplateSyncEvery)
			},
			func(ctx context.Context) error {
				return worker.EnsureRetention(ctx, in.temporal, cfg.TemporalTaskQueue, retentionInput(cfg))
			},
		},
	}
}

// newEventPublisher is the models.EventPublisher the api and worker roles
// use to publish events after commit (pass it to their deps). Close it when
// the role stops.
func newEventPublisher(cfg config.Config, role string) *realtime.AMQPPublisher {
	host, _ := os.Hostname()
	return realtime.NewAMQPPublisher(cfg.AMQPURL, cfg.AMQPExchange, fmt.Sprintf("%s-%s-%d", role, host, os.Getpid()))
}

// RealtimeRole is `scrm realtime`: the websocket gateway with its own
// fanout subscription, the events table for resync, and a publisher for
// presence events.
type RealtimeRole struct {
	Cfg  config.Config
	Opts Options
	// Listener, when set, is served instead of listening on Cfg.RealtimeAddr.
	Listener net.Listener
	// Conns as on APIRole.
	Conns *infra
}

// Run serves until ctx is done, then drains.
func (r RealtimeRole) Run(ctx context.Context) error {
	log := r.Opts.logger(r.Cfg, "realtime")
	in, release, err := useOrConnect(ctx, r.Conns, r.Cfg, log, needs{db: true, amqp: true})
	if err != nil {
		return err
	}
	defer release()
	var checks []realtime.Check
	for _, c := range in.checks() {
		checks = append(checks, realtime.Check{Name: c.Name, Fn: c.Fn})
	}
	reg := newRegistry()
	reg.MustRegister(worker.DependencyCollector{Checks: in.dependencyChecks()})
	host, _ := os.Hostname()
	pod := fmt.Sprintf("%s-%d", host, os.Getpid())
	pub := newEventPublisher(r.Cfg, "realtime")
	defer func() { _ = pub.Close() }()
	srv := realtime.New(realtime.Deps{
		Logger:          log,
		Ready:           checks,
		Metrics:         promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Registerer:      reg,
		ShutdownTimeout: r.Cfg.ShutdownTimeout,
		Auth:            in.rtAuth,
		Events:          models.EventStore{DB: in.db},
		Feed: &realtime.AMQPConsumer{
			URL:      r.Cfg.AMQPURL,
			Exchange: r.Cfg.AMQPExchange,
			Name:     pod,
			Logger:   log,
			Prefetch: 1000,
		},
		Publisher: pub,
		Presence:  in.rtPresence,
		Options: realtime.Options{
			MaxConnsPerAgent: r.Cfg.RealtimeMaxConnsPerAgent,
			AllowedOrigins:   r.Cfg.RealtimeOrigins(),
		},
	})
	if in.rtAuth == nil {
		log.Warn("realtime: no authenticator configured; every websocket is refused")
	}
	if r.Listener != nil {
		return srv.Serve(ctx, r.Listener)
	}
	return srv.Run(ctx, r.Cfg.RealtimeAddr)
}

// roleCmd is the shape every long-running role command shares: load and
// check the configuration, then run the role until SIGINT/SIGTERM.
func roleCmd(f *rootFlags, use, short string, check func(config.Config) error, run func(ctx context.Context, cfg config.Config) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			if err := check(cfg); err != nil {
				return err
			}
			return run(cmd.Context(), cfg)
		},
	}
}

func newAPICmd(f *rootFlags) *cobra.Command {
	return roleCmd(f, "api", "serve the REST API, web UI and WhatsApp webhook receiver", config.Config.RequireSecrets,
		func(ctx context.Context, cfg config.Config) error { return APIRole{Cfg: cfg}.Run(ctx) })
}

func newWorkerCmd(f *rootFlags) *cobra.Command {
	return roleCmd(f, "worker", "run the Temporal worker (all workflows and activities)", config.Config.RequireSecrets,
		func(ctx context.Context, cfg config.Config) error { return WorkerRole{Cfg: cfg}.Run(ctx) })
}

func newRealtimeCmd(f *rootFlags) *cobra.Command {
	needJWT := func(cfg config.Config) error {
		if cfg.JWTSecret == "" {
			return &config.ValidationError{Key: "jwt_secret", Reason: "must be set: websockets authenticate with the API's access tokens"}
		}
		return nil
	}
	return roleCmd(f, "realtime", "serve agent websockets fed by the RabbitMQ fanout", needJWT,
		func(ctx context.Context, cfg config.Config) error { return RealtimeRole{Cfg: cfg}.Run(ctx) })
}

func clientStartOptions(id, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}
}

// retentionInput is the RetentionWorkflow's configuration (issue #21).
func retentionInput(cfg config.Config) workflows.RetentionInput {
	return workflows.RetentionInput{Every: cfg.RetentionEvery, BatchSize: cfg.RetentionBatch, Keep: map[string]time.Duration{
		"events": cfg.RetentionEvents, "message_statuses": cfg.RetentionMessageStatuses,
		"idempotency_keys": cfg.RetentionIdempotencyKeys, "sessions": cfg.RetentionSessions,
		"webhook_dead_letters": cfg.RetentionDeadLetters, "webhook_deliveries": cfg.RetentionDeliveries,
		"audit_log": cfg.RetentionAudit,
	}}
}
