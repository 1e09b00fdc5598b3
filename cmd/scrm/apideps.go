package main

import (
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
	"github.com/wabascrm/scrm/worker"
)

// newAPIServer builds the api server on live connections.
func newAPIServer(in *infra, cfg config.Config, t Tuning, log *slog.Logger) *api.Server {
	// The secret is checked before we get here (RequireSecrets, dev secrets);
	// without it protected routes answer 503 and say why.
	if in.tokens == nil {
		log.Error("authentication disabled: SCRM_JWT_SECRET is not set")
	}
	return api.New(apiDeps(in, cfg, t, log))
}

// apiDeps is the one place api.Deps is assembled (kept in its own file so a
// change of api.Deps touches nothing else of the wiring).
func apiDeps(in *infra, cfg config.Config, t Tuning, log *slog.Logger) api.Deps {
	d := api.Deps{
		Logger:          log,
		Registry:        in.reg,
		Ready:           in.checks(),
		TrustedProxies:  cfg.TrustedProxyList(),
		ShutdownTimeout: cfg.ShutdownTimeout,
		WABAAppSecret:   cfg.WABAAppSecret,
		WABAVerifyToken: cfg.WABAVerifyToken,
		WABA:            waba.NewClient(cfg.WABABaseURL, cfg.WABAAPIVersion, cfg.WABAAccessToken, nil),
		UIRealtimeURL:   cfg.PublicRealtimeURL,
	}
	if in.pub != nil {
		d.Events = in.pub
	}
	holidays, _ := cfg.HolidayList() // checked by Validate
	d.Stores = apiStores(in.db, d.Events, log, apiStoreConfig{
		Window:              cfg.WindowLength,
		CampaignHolidays:    holidays,
		CampaignReplyWindow: time.Duration(cfg.CampaignReplyAttributionDays) * 24 * time.Hour,
		Hasher:              passwordHasher(cfg),
	})
	if in.temporal != nil {
		d.Conversations = conversationSignaler(in, cfg)
		d.Cases = caseWorkflows(in, cfg, t)
		d.Intake = worker.IntakeStarter{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue}
		d.Campaigns = campaignWorkflows(in, cfg, t)
		d.Senders = senderWorkflows(in, cfg, t)
	}
	if in.tokens != nil {
		d.Auth, d.Tokens = in.tokens, in.tokens
	}
	return d
}

// passwordHasher hashes at the configured bcrypt cost (0: bcrypt's default).
func passwordHasher(cfg config.Config) identity.Hasher {
	return identity.Hasher{Cost: cfg.PasswordHashCost}
}

// apiStoreConfig is the part of the configuration the api's stores carry.
type apiStoreConfig struct {
	// Window is the customer-service window (24h when zero).
	Window time.Duration
	// CampaignHolidays join every new campaign's quiet hours.
	CampaignHolidays []string
	// CampaignReplyWindow: a reply within it counts for the campaign (3 days when zero).
	CampaignReplyWindow time.Duration
	// Hasher hashes passwords set through the API (zero value: production cost).
	Hasher identity.Hasher
}

// apiStores builds the stores the api role's handlers call, all on one
// database; pub (may be nil) receives events after commit.
func apiStores(db *gorm.DB, pub models.EventPublisher, log *slog.Logger, c apiStoreConfig) *api.Stores {
	if db == nil {
		return nil // data routes answer 503
	}
	events := models.EventStore{DB: db}
	return &api.Stores{
		Agents:        identity.AgentStore{DB: db, Events: pub, Log: log, Hasher: c.Hasher},
		Roles:         identity.RoleStore{DB: db},
		Teams:         identity.TeamStore{DB: db},
		Audit:         identity.AuditStore{DB: db},
		Senders:       senders.SenderStore{DB: db},
		Dispatch:      dispatch.DispatchStore{DB: db},
		Templates:     templates.TemplateStore{DB: db},
		Conversations: inbox.ConversationStore{DB: db, Events: events, Window: c.Window},
		Canned:        inbox.CannedResponseStore{DB: db},
		Inbound:       &inbox.InboundStore{DB: db, Events: events, Window: c.Window},
		WindowSignals: inbox.WindowSignalStore{DB: db},
		Cases:         cases.CaseStore{DB: db, Events: events, Publisher: pub, Log: log},
		Contacts:      contacts.ContactStore{DB: db},
		Segments:      contacts.SegmentStore{DB: db},
		Intake:        contacts.IntakeStore{DB: db, Events: events},
		Campaigns:     campaigns.CampaignStore{DB: db, Holidays: c.CampaignHolidays, ReplyWindow: c.CampaignReplyWindow},
	}
}
