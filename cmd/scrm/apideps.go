package main

import (
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/api"
	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/inbox"
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
		Logger:             log,
		Registry:           in.reg,
		TrustedProxies:     cfg.TrustedProxyList(),
		CookieSecure:       cfg.SessionCookieSecure,
		ShutdownTimeout:    cfg.ShutdownTimeout,
		WABAAppSecret:      cfg.WABAAppSecret,
		WABAAppID:          cfg.WABAAppID,
		WABAVerifyToken:    cfg.WABAVerifyToken,
		WebhookMaxInflight: cfg.WebhookMaxInflight,
		WebhookAdmitWait:   cfg.WebhookAdmitWait,
		WABA:               waba.NewClient(cfg.WABABaseURL, cfg.WABAAPIVersion, cfg.WABAAccessToken, nil),
		UIRealtimeURL:      cfg.PublicRealtimeURL,
		MediaLinks:         mediaSigner(cfg),
	}
	if in.blobs != nil {
		d.Blobs = in.blobs
	}
	if in.live != nil {
		d.Events = in.live // queued for the broker, off the request path
	}
	holidays, _ := cfg.HolidayList() // checked by Validate
	d.Stores = api.NewStores(in.db, d.Events, log, api.StoreConfig{
		Window:              cfg.WindowLength,
		CampaignHolidays:    holidays,
		CampaignReplyWindow: time.Duration(cfg.CampaignReplyAttributionDays) * 24 * time.Hour,
		Hasher:              passwordHasher(cfg),
		OptOutKeywords:      cfg.OptOutKeywordList(),
		OptInKeywords:       cfg.OptInKeywordList(),
		Receipts:            inbox.ReceiptPolicy{Read: cfg.InboxReadReceipts, Typing: cfg.InboxTypingIndicator},
		WebhookAllowPrivate: cfg.IntegrationsAllowPrivateTargets,
	})
	if in.temporal != nil {
		d.Conversations = conversationSignaler(in, cfg)
		d.Cases = caseWorkflows(in, cfg, t)
		d.Intake = worker.IntakeStarter{Client: in.temporal, TaskQueue: cfg.TemporalTaskQueue}
		d.Campaigns = campaignWorkflows(in, cfg, t)
		d.Senders = senderWorkflows(in, cfg, t)
	}
	if in.tokens != nil {
		d.Auth, d.Tokens = in.auth, in.tokens
	}
	return d
}

// passwordHasher hashes at the configured bcrypt cost (0: bcrypt's default).
func passwordHasher(cfg config.Config) identity.Hasher {
	return identity.Hasher{Cost: cfg.PasswordHashCost}
}
