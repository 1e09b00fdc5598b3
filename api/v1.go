package api

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/access"
	"github.com/wabascrm/scrm/api/casework"
	"github.com/wabascrm/scrm/api/crm"
	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/api/messaging"
	"github.com/wabascrm/scrm/api/outreach"
	"github.com/wabascrm/scrm/api/reports"
	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/models/sla"
)

// stores returns the configured stores, or zero ones behind the "database
// is not configured" guard when the role runs without PostgreSQL.
func (s *Server) stores() *Stores {
	if s.deps.Stores == nil {
		return &Stores{}
	}
	return s.deps.Stores
}

// desk is the inbox service the inbox routes and campaign test sends share.
func (s *Server) desk() inbox.Desk {
	st := s.stores()
	return inbox.Desk{Store: st.Conversations, Senders: st.Senders, Conversations: s.deps.Conversations,
		Publisher: s.deps.Events, Log: s.deps.Logger, Media: st.Media, Blobs: s.deps.Blobs, Links: s.deps.MediaLinks}
}

// File uploads (contact imports, media for the composer) share one gate:
// at most concurrentUploads bodies are read at once across the replica, each
// within uploadReadDeadline (100 MB at a slow 512 kB/s takes ~200 s); every
// route sets its own size bound with WithMax.
const (
	concurrentUploads  = 4
	uploadReadDeadline = 5 * time.Minute
)

// mountV1 registers the REST API: each area mounts its own routes.
func (s *Server) mountV1(v1 *gin.RouterGroup) {
	d, st, log := s.deps, s.stores(), s.deps.Logger
	uploads := httpx.NewBodyGate(log, httpx.MaxJSONBody, uploadReadDeadline, concurrentUploads)
	caseDesk := cases.CaseDesk{Store: st.Cases, Agents: st.Agents, Workflows: d.Cases, Log: log}
	// Identity routes answer 503 through Tokens/Auth when unconfigured.
	access.Mount(area{s: s, g: v1}, access.Deps{Log: log, Tokens: d.Tokens, Agents: st.Agents, Roles: st.Roles,
		Teams: st.Teams, Audit: st.Audit, Cases: caseDesk, APIKeys: st.APIKeys, Webhooks: st.Webhooks, Cookies: access.SessionCookies{Secure: s.cookieSecure, MaxAge: s.sessionMaxAge()}})

	data := area{s: s, g: v1, guards: []gin.HandlerFunc{httpx.Need(log, d.Stores != nil, "database is not configured")}}
	messaging.Mount(data, messaging.Deps{Log: log, Senders: st.Senders, Dispatch: st.Dispatch, Templates: st.Templates,
		Inbox: s.desk(), Canned: st.Canned, AutoReplies: st.AutoReplies, WABA: d.WABA, States: d.Senders, Uploads: uploads, AppID: d.WABAAppID})
	casework.Mount(data, casework.Deps{Log: log, Desk: caseDesk})
	crm.Mount(data, crm.Deps{Log: log, Contacts: st.Contacts, Segments: st.Segments,
		Imports: contacts.Imports{Store: st.Intake, Starter: d.Intake, Log: log}, Uploads: uploads})
	outreach.Mount(data, outreach.Deps{Log: log, Control: campaigns.CampaignControl{Store: st.Campaigns, Workflows: d.Campaigns,
		Conversations: d.Conversations, Inbox: st.Conversations, Publisher: d.Events, Log: log}})
	outreach.MountJourneys(data, outreach.JourneyDeps{Log: log, Store: st.Journeys})
	reports.Mount(data, reports.Deps{Log: log, Store: st.Reports, CSAT: st.CSAT, SLA: st.SLA,
		Floor: sla.FloorStore{Reports: st.Reports, Policies: st.SLA}})
}
