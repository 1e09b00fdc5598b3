package api

import (
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/autoreply"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/csat"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/models/integrations"
	"github.com/wabascrm/scrm/models/journeys"
	"github.com/wabascrm/scrm/models/media"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/sla"
	"github.com/wabascrm/scrm/models/templates"
)

// StoreConfig is the part of the configuration the api's stores carry.
type StoreConfig struct {
	// WebhookAllowPrivate lets webhook subscriptions name private addresses.
	WebhookAllowPrivate bool
	// Window is the customer-service window (24h when zero).
	Window time.Duration
	// CampaignHolidays join every new campaign's quiet hours.
	CampaignHolidays []string
	// CampaignReplyWindow: a reply within it counts for the campaign (3 days when zero).
	CampaignReplyWindow time.Duration
	// Hasher hashes passwords set through the API (zero value: production cost).
	Hasher identity.Hasher
	// OptOutKeywords / OptInKeywords change a contact's marketing
	// preference when a customer writes one (nil: inbox defaults).
	OptOutKeywords, OptInKeywords []string
	// Receipts: read receipts and typing indicators (zero: neither).
	Receipts inbox.ReceiptPolicy
}

// NewStores builds the stores the api's handlers call, all on one database;
// pub (may be nil) receives events after commit. cmd/scrm and the api's own
// tests both build them here, so they cannot be put together differently.
func NewStores(db *gorm.DB, pub models.EventPublisher, log *slog.Logger, c StoreConfig) *Stores {
	if db == nil {
		return nil // data routes answer 503
	}
	events := models.EventStore{DB: db}
	return &Stores{
		Agents:        identity.AgentStore{DB: db, Events: pub, Log: log, Hasher: c.Hasher},
		Roles:         identity.RoleStore{DB: db, Events: pub, Log: log},
		Teams:         identity.TeamStore{DB: db, Events: pub, Log: log},
		Audit:         identity.AuditStore{DB: db},
		Senders:       senders.SenderStore{DB: db},
		Dispatch:      dispatch.DispatchStore{DB: db},
		Templates:     templates.TemplateStore{DB: db},
		Conversations: inbox.ConversationStore{DB: db, Events: events, Window: c.Window, Receipts: c.Receipts},
		Canned:        inbox.CannedResponseStore{DB: db},
		AutoReplies:   autoreply.RuleStore{DB: db},
		Inbound:       &ingest.InboundStore{DB: db, Events: events, Window: c.Window, OptOutKeywords: c.OptOutKeywords, OptInKeywords: c.OptInKeywords},
		Cases:         cases.CaseStore{DB: db, Events: events, Publisher: pub, Log: log},
		Contacts:      contacts.ContactStore{DB: db},
		Segments:      contacts.SegmentStore{DB: db},
		Intake:        contacts.IntakeStore{DB: db, Events: events},
		Campaigns:     campaigns.CampaignStore{DB: db, Holidays: c.CampaignHolidays, ReplyWindow: c.CampaignReplyWindow},
		Journeys:      journeys.JourneyStore{DB: db},
		Media:         media.MediaStore{DB: db, Events: events},
		Reports:       reports.ReportStore{DB: db},
		SLA:           sla.PolicyStore{DB: db},
		CSAT:          csat.SettingsStore{DB: db},
		APIKeys:       apikeys.APIKeyStore{DB: db},
		Webhooks:      integrations.Store{DB: db, AllowPrivate: c.WebhookAllowPrivate},
	}
}
