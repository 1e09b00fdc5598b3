package api

import (
	"log/slog"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/dispatch"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/senders"
	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/worker/testenv"
)

// StoresOn builds every store on one test database with the product's
// defaults, as cmd/scrm does for the api role (tests of this package and of
// api_test share it; it is compiled only into tests).
func StoresOn(db *gorm.DB, pub models.EventPublisher) *Stores {
	events, log := models.EventStore{DB: db}, slog.New(slog.DiscardHandler)
	return &Stores{
		Agents:        identity.AgentStore{DB: db, Events: pub, Log: log, Hasher: testenv.Hasher()},
		Roles:         identity.RoleStore{DB: db},
		Teams:         identity.TeamStore{DB: db},
		Audit:         identity.AuditStore{DB: db},
		Senders:       senders.SenderStore{DB: db},
		Dispatch:      dispatch.DispatchStore{DB: db},
		Templates:     templates.TemplateStore{DB: db},
		Conversations: inbox.ConversationStore{DB: db, Events: events},
		Canned:        inbox.CannedResponseStore{DB: db},
		Inbound:       &inbox.InboundStore{DB: db, Events: events},
		WindowSignals: inbox.WindowSignalStore{DB: db},
		Cases:         cases.CaseStore{DB: db, Events: events, Publisher: pub, Log: log},
		Contacts:      contacts.ContactStore{DB: db},
		Segments:      contacts.SegmentStore{DB: db},
		Intake:        contacts.IntakeStore{DB: db, Events: events},
		Campaigns:     campaigns.CampaignStore{DB: db},
	}
}
