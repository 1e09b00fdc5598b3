package main

import (
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/api"
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

// apiDeps builds the api role's dependencies on live infra: the stores on
// its database and the Temporal-backed services.
func apiDeps(in *infra) api.Deps {
	d := api.Deps{
		Logger:          in.log,
		Registry:        in.reg,
		Ready:           in.checks(),
		TrustedProxies:  in.cfg.TrustedProxyList(),
		ShutdownTimeout: in.cfg.ShutdownTimeout,
		WABAAppSecret:   in.cfg.WABAAppSecret,
		WABAVerifyToken: in.cfg.WABAVerifyToken,
		WABA:            waba.NewClient(in.cfg.WABABaseURL, in.cfg.WABAAPIVersion, in.cfg.WABAAccessToken, nil),
		UIRealtimeURL:   in.cfg.PublicRealtimeURL,
	}
	holidays, _ := in.cfg.HolidayList() // checked by Validate
	if in.pub != nil {
		d.Events = in.pub
	}
	d.Stores = apiStores(in.db, d.Events, in.log, apiStoreConfig{Window: in.cfg.WindowLength, CampaignHolidays: holidays,
		CampaignReplyWindow: time.Duration(in.cfg.CampaignReplyAttributionDays) * 24 * time.Hour})
	if in.temporal != nil {
		d.Conversations = in.conversationSignaler()
		d.Cases = in.caseWorkflows()
		d.Intake = worker.IntakeStarter{Client: in.temporal, TaskQueue: in.cfg.TemporalTaskQueue}
		d.Campaigns = worker.CampaignWorkflows{Client: in.temporal, TaskQueue: in.cfg.TemporalTaskQueue}
		d.Senders = in.senderWorkflows()
	}
	// The secret is checked before we get here (RequireSecrets, dev secrets);
	// without it protected routes answer 503 and say why.
	if in.tokens != nil {
		d.Auth, d.Tokens = in.tokens, in.tokens
	} else {
		in.log.Error("authentication disabled: SCRM_JWT_SECRET is not set")
	}
	return d
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
