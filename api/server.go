// Package api is the HTTP role: REST under /api/v1, health, metrics, the
// Meta webhook receiver and the embedded web UI. Handlers are thin: bind,
// one domain call, return (status, body, error); api/httpx writes the
// answer and maps errors. Each area's handlers live in a sub-package
// (access, messaging, casework, crm, outreach) that this package mounts.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/api/messaging"
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

// Deps are what the api role needs; cmd/scrm fills them.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Auth verifies access tokens for every non-public route.
	Auth Authenticator
	// Stores are the domain stores the handlers call; nil when the role
	// runs without PostgreSQL (data routes and webhooks answer 503).
	Stores *Stores
	// Tokens logs agents in, refreshes and ends sessions (usually also Auth).
	Tokens *identity.Tokens
	// Events, when set, receives realtime events after commit.
	Events models.EventPublisher
	// TrustedProxies are the proxy addresses/CIDRs whose X-Forwarded-For is
	// believed (per-IP login limits use the client IP). Empty trusts none.
	TrustedProxies []string
	// CookieSecure is the refresh cookie's Secure flag: "auto" (the
	// default, also for ""): when the request came over https; "always";
	// "never".
	CookieSecure string
	// ShutdownTimeout bounds how long in-flight requests may take on stop.
	ShutdownTimeout time.Duration

	// Conversations hands agents' sends to Temporal (nil:
	// sending answers 503).
	Conversations ingest.ConversationSignaler
	// Cases starts CaseWorkflows and sends them updates (nil: case
	// creation and actions answer 503).
	Cases cases.CaseWorkflows
	// WABAAppSecret verifies X-Hub-Signature-256 on webhooks;
	// WebhookMaxInflight and WebhookAdmitWait bound the webhook deliveries
	// stored at once (zero: 24 and 100 ms; see config).
	WebhookMaxInflight int
	WebhookAdmitWait   time.Duration
	// WABAVerifyToken answers Meta's subscription handshake.
	WABAAppSecret   string
	WABAVerifyToken string
	// WABA is the Cloud API client used by sender sync, template
	// submission and media upload (nil: those endpoints answer 503).
	WABA messaging.WABAClient
	// WABAAppID is the Meta app id for the Resumable Upload API (samples of
	// media-header templates; "": those uploads answer 503).
	WABAAppID string
	// Intake starts and cancels contact imports (nil: imports answer 503).
	Intake contacts.IntakeStarter
	// UIRealtimeURL is the websocket URL the web UI connects to
	// (served by GET /api/v1/ui-config).
	UIRealtimeURL string
	// Campaigns starts and signals CampaignWorkflows (nil: launch, pause,
	// resume and cancel answer 503).
	Campaigns campaigns.CampaignWorkflows
	// Senders reports the numbers' dispatcher state (nil: the dispatch
	// endpoint reports usage only).
	Senders messaging.SenderStates
	// Blobs keeps the files of messages; MediaLinks signs the short-lived
	// links to them (nil Blobs: uploads and file links answer 503).
	Blobs      inbox.Blobs
	MediaLinks media.Signer
}

// Stores are the domain stores behind the REST API and the webhook. They
// carry their own configuration (window length, campaign holidays and
// reply window), so the api holds no database handle of its own.
type Stores struct {
	Agents        identity.AgentStore
	Roles         identity.RoleStore
	Teams         identity.TeamStore
	Audit         identity.AuditStore
	Senders       senders.SenderStore
	Dispatch      dispatch.DispatchStore
	Templates     templates.TemplateStore
	Conversations inbox.ConversationStore
	Canned        inbox.CannedResponseStore
	AutoReplies   autoreply.RuleStore
	// Inbound is a pointer: it caches sender ids across deliveries.
	Inbound   *ingest.InboundStore
	Cases     cases.CaseStore
	Contacts  contacts.ContactStore
	Segments  contacts.SegmentStore
	Intake    contacts.IntakeStore
	Campaigns campaigns.CampaignStore
	Journeys  journeys.JourneyStore
	Media     media.MediaStore
	Reports   reports.ReportStore
	SLA       sla.PolicyStore
	CSAT      csat.SettingsStore
	// APIKeys and Webhooks: the integrations with the business's systems.
	APIKeys  apikeys.APIKeyStore
	Webhooks integrations.Store
}

// Server is the api role.
type Server struct {
	deps    Deps
	proxies []*net.IPNet
	engine  *gin.Engine
	routes  []RouteDecl
}

// New builds the router.
func New(d Deps) *Server {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.ContextWithFallback = true // handlers' c.Request.Context() and c are one
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Logger.Error("invalid trusted proxies; trusting none", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
	s := &Server{deps: d, engine: e, proxies: parseProxies(d.TrustedProxies)}
	metrics := NewHTTPMetrics(d.Registry)
	e.Use(requestID(), s.securityHeaders(ContentSecurityPolicy(d.UIRealtimeURL)), gin.CustomRecovery(func(c *gin.Context, rec any) {
		httpx.WriteError(c, d.Logger, fmt.Errorf("panic: %v", rec))
	}), accessLog(d.Logger), metrics.middleware(), s.checkParams())
	e.NoRoute(func(c *gin.Context) {
		if c.Request.Method == http.MethodGet && isAppPath(c.Request.URL.Path) {
			s.index(c) // the app routes deep links itself
			return
		}
		httpx.WriteError(c, d.Logger, models.Errorf(models.ENotFound, "no such route"))
	})
	e.NoMethod(httpx.MethodNotAllowed)

	// Liveness only on the app port: /readyz (which names the dependencies
	// that are down) and /metrics are on the internal listener (Internal).
	s.handle(e, http.MethodGet, "/healthz", Public, httpx.Wrap(d.Logger, healthz))

	s.mountWebhook(e)

	v1 := e.Group("/api/v1")
	s.mountV1(v1)
	s.mountUI(e, v1)
	s.mountOpenAPI(e, v1)
	s.mountMedia(e)
	return s
}

// Handler exposes the router (tests drive it with httptest).
func (s *Server) Handler() http.Handler { return s.engine }

// Run listens on addr until ctx is done, then lets in-flight requests finish
// within ShutdownTimeout.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api cannot listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.deps.Logger.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.deps.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("api shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: %w", err)
	}
	s.deps.Logger.Info("api stopped")
	return nil
}
