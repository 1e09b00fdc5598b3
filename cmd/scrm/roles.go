package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

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
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/realtime"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker"
	"github.com/wabascrm/scrm/workflows"
)

// infra is the set of live connections a role holds.
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
	// rtPresence stores agents' presence (agents.presence). Optional.
	rtPresence realtime.PresenceSink
	// pub publishes committed events to the realtime fanout (api, worker).
	pub *realtime.AMQPPublisher
	// reg is the role's metrics registry (the Temporal client's metrics and
	// scrm_dependency_up are on it); the realtime gateway keeps its own.
	reg *prometheus.Registry
}

type needs struct{ db, amqp, temporal bool }

// connect opens what the role needs, failing with one clear line each.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, n needs) (*infra, error) {
	in := &infra{cfg: cfg, log: log, reg: newRegistry()}
	var err error
	if n.db {
		if in.db, err = openDB(ctx, cfg, true); err != nil {
			return nil, err
		}
	}
	if in.db != nil && cfg.JWTSecret != "" {
		tokens, err := identity.NewTokens(in.db, cfg.JWTSecret, identity.Hasher{})
		if err != nil {
			in.close()
			return nil, fmt.Errorf("SCRM_JWT_SECRET: %w", err)
		}
		in.tokens, in.rtAuth = tokens, tokens
		in.rtPresence = identity.PresenceFromConnections{DB: in.db}
	}
	if n.amqp {
		if in.amqp, err = dialAMQP(cfg); err != nil {
			in.close()
			return nil, err
		}
		in.pub = newEventPublisher(cfg, "scrm")
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

func (in *infra) dependencyChecks() []worker.Check {
	var cs []worker.Check
	for _, c := range in.checks() {
		cs = append(cs, worker.Check{Name: c.Name, Fn: c.Fn})
	}
	return cs
}

func (in *infra) close() {
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

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// apiRole builds the api server on live infra.
func apiRole(in *infra) *api.Server {
	return api.New(apiDeps(in))
}

// conversationSignaler starts and signals ConversationWorkflows.
func (in *infra) conversationSignaler() worker.ConversationSignaler {
	return worker.ConversationSignaler{
		Client:    in.temporal,
		TaskQueue: in.cfg.TemporalTaskQueue,
		Config: workflows.ConversationConfig{
			Window:           in.cfg.WindowLength,
			ClosingWarning:   in.cfg.WindowClosingWarning,
			AutoResolveAfter: in.cfg.ConversationAutoResolve,
		},
	}
}

// senderWorkflows wakes (and starts) the numbers' SenderWorkflows.
func (in *infra) senderWorkflows() worker.SenderWorkflows {
	return worker.SenderWorkflows{Client: in.temporal, TaskQueue: in.cfg.TemporalTaskQueue, Draining: dispatch.DispatchStore{DB: in.db},
		Input: workflows.SenderInput{Recheck: in.cfg.SenderRecheck, OnPause: in.cfg.SenderOnPause}}
}

// caseWorkflows starts CaseWorkflows, sends them updates and runs
// redistributions.
func (in *infra) caseWorkflows() worker.CaseWorkflows {
	return worker.CaseWorkflows{Client: in.temporal, TaskQueue: in.cfg.TemporalTaskQueue}
}

func (in *infra) eventPublisher() models.EventPublisher {
	if in.pub == nil {
		return nil
	}
	return in.pub
}

// workerRole builds the Temporal worker with every activity's dependencies,
// plus the drainer that re-signals window openings the api could not deliver.
func workerRole(in *infra) *worker.Worker {
	host, _ := os.Hostname()
	ib := inbox.ConversationStore{DB: in.db, Events: models.EventStore{DB: in.db}, Window: in.cfg.WindowLength}
	cases := cases.CaseStore{DB: in.db, Events: models.EventStore{DB: in.db}, Publisher: in.eventPublisher(), Log: in.log}
	cloudAPI := waba.NewClient(in.cfg.WABABaseURL, in.cfg.WABAAPIVersion, in.cfg.WABAAccessToken, nil)
	in.reg.MustRegister(worker.StoreCollector{DB: in.db, Log: in.log})
	metered := waba.MeteredSender{Next: cloudAPI, Metrics: waba.NewSendMetrics(in.reg)}
	dispatch := dispatch.DispatchStore{DB: in.db}
	// Inbox sends take their slot from the same per-second budget the
	// numbers' SenderWorkflows dispatch campaigns from.
	sender := activities.WABASender{Outbox: inbox.OutboxStore{DB: in.db, Events: models.EventStore{DB: in.db}}, API: metered,
		Events: in.eventPublisher(), Log: in.log, Pacer: dispatch}
	warmup, _ := in.cfg.WarmupSchedule() // checked by Validate
	senders := in.senderWorkflows()
	return &worker.Worker{
		Client:    in.temporal,
		TaskQueue: in.cfg.TemporalTaskQueue,
		Logger:    in.log,
		Activities: worker.Activities{
			Probe: &activities.Probe{Store: models.ProbeStore{DB: in.db}, Identity: fmt.Sprintf("%s@%d", host, os.Getpid())},
			Conversation: &activities.Conversation{
				Store:  activities.InboxStore{Inbox: ib, Events: in.eventPublisher(), Log: in.log},
				Sender: sender,
			},
			Case:     &activities.Case{Store: cases},
			CaseBulk: &activities.CaseBulk{Store: cases, Cases: in.caseWorkflows()},
			Intake: &activities.Intake{
				Store:  contacts.IntakeStore{DB: in.db, Events: models.EventStore{DB: in.db}},
				Events: in.eventPublisher(), Log: in.log,
			},
			IntakeCases: &activities.IntakeCases{
				Intake:  contacts.IntakeStore{DB: in.db, Events: models.EventStore{DB: in.db}},
				Cases:   cases,
				Starter: in.caseWorkflows(),
			},
			TemplateSync: &activities.TemplateSync{Store: templates.TemplateStore{DB: in.db}, API: cloudAPI},
			Campaign: &activities.Campaign{Store: campaigns.CampaignStore{DB: in.db}, Sender: sender, Waker: senders,
				Events: in.eventPublisher(), Log: in.log},
			Sender: &activities.SenderDispatch{Store: dispatch, Sender: sender, Outcomes: campaigns.CampaignStore{DB: in.db},
				Waker: senders, Warmup: warmup, Log: in.log},
		},
		Background: []func(context.Context) error{
			worker.WindowSignalDrainer{Store: inbox.WindowSignalStore{DB: in.db}, Signaler: in.conversationSignaler(), Logger: in.log}.Run,
			func(ctx context.Context) error {
				return worker.EnsureTemplateSync(ctx, in.temporal, in.cfg.TemporalTaskQueue, in.cfg.TemplateSyncEvery)
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

// realtimeRole builds the websocket gateway: its own fanout subscription,
// the events table for resync, and a publisher for presence events. The
// returned close func releases the publisher.
func realtimeRole(in *infra) (*realtime.Server, func()) {
	var checks []realtime.Check
	for _, c := range in.checks() {
		checks = append(checks, realtime.Check{Name: c.Name, Fn: c.Fn})
	}
	reg := newRegistry()
	reg.MustRegister(worker.DependencyCollector{Checks: in.dependencyChecks()})
	host, _ := os.Hostname()
	pod := fmt.Sprintf("%s-%d", host, os.Getpid())
	pub := newEventPublisher(in.cfg, "realtime")
	srv := realtime.New(realtime.Deps{
		Logger:          in.log,
		Ready:           checks,
		Metrics:         promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Registerer:      reg,
		ShutdownTimeout: in.cfg.ShutdownTimeout,
		Auth:            in.rtAuth,
		Events:          models.EventStore{DB: in.db},
		Feed: &realtime.AMQPConsumer{
			URL:      in.cfg.AMQPURL,
			Exchange: in.cfg.AMQPExchange,
			Name:     pod,
			Logger:   in.log,
			Prefetch: 1000,
		},
		Publisher: pub,
		Presence:  in.rtPresence,
	})
	if in.rtAuth == nil {
		in.log.Warn("realtime: no authenticator configured; every websocket is refused")
	}
	return srv, func() { _ = pub.Close() }
}

// roleCmd is the shape every long-running role shares: load and check the
// configuration, open what the role needs (one clear line on failure), run
// until SIGINT/SIGTERM, then release everything.
func roleCmd(f *rootFlags, use, short string, check func(config.Config) error, n needs, run func(ctx context.Context, in *infra) error) *cobra.Command {
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
			in, err := connect(cmd.Context(), cfg, newLogger(cfg.LogLevel).With("role", use), n)
			if err != nil {
				return err
			}
			defer in.close()
			return run(cmd.Context(), in)
		},
	}
}

func newAPICmd(f *rootFlags) *cobra.Command {
	return roleCmd(f, "api", "serve the REST API, web UI and WhatsApp webhook receiver", config.Config.RequireSecrets,
		needs{db: true, amqp: true, temporal: true},
		func(ctx context.Context, in *infra) error { return apiRole(in).Run(ctx, in.cfg.HTTPAddr) })
}

func newWorkerCmd(f *rootFlags) *cobra.Command {
	return roleCmd(f, "worker", "run the Temporal worker (all workflows and activities)", config.Config.RequireSecrets,
		needs{db: true, amqp: true, temporal: true},
		func(ctx context.Context, in *infra) error {
			// The worker serves only /metrics and /healthz, on http_addr.
			g, gctx := errgroup.WithContext(ctx)
			g.Go(func() error { return worker.ServeMetrics(gctx, in.cfg.HTTPAddr, in.reg, in.log) })
			g.Go(func() error { return workerRole(in).Run(gctx) })
			return g.Wait()
		})
}

func newRealtimeCmd(f *rootFlags) *cobra.Command {
	needJWT := func(cfg config.Config) error {
		if cfg.JWTSecret == "" {
			return &config.ValidationError{Key: "jwt_secret", Reason: "must be set: websockets authenticate with the API's access tokens"}
		}
		return nil
	}
	return roleCmd(f, "realtime", "serve agent websockets fed by the RabbitMQ fanout", needJWT, needs{db: true, amqp: true},
		func(ctx context.Context, in *infra) error {
			srv, closeRT := realtimeRole(in)
			defer closeRT()
			return srv.Run(ctx, in.cfg.RealtimeAddr)
		})
}

func clientStartOptions(id, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}
}
