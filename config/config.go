// Package config loads the typed configuration of every scrm role.
//
// Precedence, lowest first: built-in defaults, an optional YAML file, then
// environment variables named SCRM_<KEY> (for example SCRM_HTTP_ADDR). Only
// cmd/scrm calls Load; everything else receives the values it needs.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// Config is the whole configuration. The mapstructure tags are the YAML keys;
// the environment name of a key is SCRM_ plus the key in upper case.
type Config struct {
	HTTPAddr     string `mapstructure:"http_addr"`
	RealtimeAddr string `mapstructure:"realtime_addr"`
	// InternalAddr is the api role's internal listener: /metrics, /readyz,
	// /healthz and (PprofEnabled) /debug/pprof/, never exposed publicly.
	InternalAddr string `mapstructure:"internal_addr"`
	PprofEnabled bool   `mapstructure:"pprof_enabled"`
	// PublicRealtimeURL is the websocket URL browsers connect to (the web
	// UI learns it from GET /api/v1/ui-config).
	PublicRealtimeURL string `mapstructure:"public_realtime_url"`
	// RealtimeAllowedOrigins: comma-separated web origins whose pages may
	// open a websocket besides the gateway's own host (empty:
	// http://<http_addr> unless that is a wildcard bind).
	RealtimeAllowedOrigins string `mapstructure:"realtime_allowed_origins"`
	// RealtimeMaxConnsPerAgent caps one agent's sockets per gateway pod.
	RealtimeMaxConnsPerAgent int    `mapstructure:"realtime_max_conns_per_agent"`
	DatabaseURL              string `mapstructure:"database_url"`
	AMQPURL                  string `mapstructure:"amqp_url"`
	// AMQPExchange is the fanout exchange that carries realtime events.
	AMQPExchange string `mapstructure:"amqp_exchange"`

	TemporalAddress   string `mapstructure:"temporal_address"`
	TemporalNamespace string `mapstructure:"temporal_namespace"`
	TemporalTaskQueue string `mapstructure:"temporal_task_queue"`

	WABABaseURL     string `mapstructure:"waba_base_url"`
	WABAAPIVersion  string `mapstructure:"waba_api_version"`
	WABAAccessToken string `mapstructure:"waba_access_token"`
	WABAAppSecret   string `mapstructure:"waba_app_secret"`
	// WABAAppID is the Meta app id, for the Resumable Upload API (sample
	// files of media-header templates).
	WABAAppID       string `mapstructure:"waba_app_id"`
	WABAVerifyToken string `mapstructure:"waba_verify_token"`

	JWTSecret string `mapstructure:"jwt_secret"`
	// PasswordHashCost is the bcrypt cost of agents' passwords (0: bcrypt's
	// default, 10). Tests run at 4 so hundreds of logins cost milliseconds.
	PasswordHashCost int `mapstructure:"password_hash_cost"`
	// TrustedProxies is a comma-separated list of proxy IPs/CIDRs whose
	// X-Forwarded-For the api believes.
	TrustedProxies string `mapstructure:"trusted_proxies"`
	// OptOutKeywords / OptInKeywords: comma-separated whole-message replies
	// that stop / resume a contact's marketing messages.
	OptOutKeywords string `mapstructure:"opt_out_keywords"`
	OptInKeywords  string `mapstructure:"opt_in_keywords"`
	// InboxReadReceipts: an agent opening a conversation marks the
	// customer's messages read on WhatsApp (blue ticks);
	// InboxTypingIndicator: the customer sees "typing..." while an agent types.
	InboxReadReceipts    bool `mapstructure:"inbox_read_receipts"`
	InboxTypingIndicator bool `mapstructure:"inbox_typing_indicator"`
	// IntegrationsAllowPrivateTargets lets outbound webhooks go to private,
	// loopback and link-local addresses (tests and scrm dev; never production).
	IntegrationsAllowPrivateTargets bool `mapstructure:"integrations_allow_private_targets"`
	// Retention periods (issue #21; 0 keeps for ever) and the prune loop.
	RetentionEvents          time.Duration `mapstructure:"retention_events"`
	RetentionMessageStatuses time.Duration `mapstructure:"retention_message_statuses"`
	RetentionIdempotencyKeys time.Duration `mapstructure:"retention_idempotency_keys"`
	RetentionSessions        time.Duration `mapstructure:"retention_sessions"`
	RetentionDeadLetters     time.Duration `mapstructure:"retention_dead_letters"`
	RetentionDeliveries      time.Duration `mapstructure:"retention_webhook_deliveries"`
	RetentionAudit           time.Duration `mapstructure:"retention_audit"`
	RetentionEvery           time.Duration `mapstructure:"retention_every"`
	RetentionBatch           int           `mapstructure:"retention_batch"`
	// WebhookMaxInflight bounds the webhook deliveries one api replica
	// stores at the same time (it protects the database pool); a delivery
	// that finds no slot within WebhookAdmitWait answers 503 at once (Meta
	// redelivers) instead of queueing for seconds.
	WebhookMaxInflight int           `mapstructure:"webhook_max_inflight"`
	WebhookAdmitWait   time.Duration `mapstructure:"webhook_admit_wait"`
	// SessionMaxAge ends a login this long after it began; SessionIdleTimeout
	// ends it when its refresh token goes unused this long.
	SessionMaxAge      time.Duration `mapstructure:"session_max_age"`
	SessionIdleTimeout time.Duration `mapstructure:"session_idle_timeout"`
	// SessionCookieSecure is auto (Secure when the request came over
	// https), always or never, for the refresh-token cookie.
	SessionCookieSecure string `mapstructure:"session_cookie_secure"`

	// Customer-service window lifecycle (ConversationWorkflow).
	WindowLength            time.Duration `mapstructure:"window_length"`
	WindowClosingWarning    time.Duration `mapstructure:"window_closing_warning"`
	ConversationAutoResolve time.Duration `mapstructure:"conversation_auto_resolve"`
	// TemplateSyncEvery is the period of the template status reconcile.
	TemplateSyncEvery time.Duration `mapstructure:"template_sync_every"`

	// Campaign dispatch (SenderWorkflow per number).
	SenderOnPause        string        `mapstructure:"sender_on_pause"`
	SenderWarmupSchedule string        `mapstructure:"sender_warmup_schedule"`
	SenderRecheck        time.Duration `mapstructure:"sender_recheck"`
	CampaignHolidays     string        `mapstructure:"campaign_holidays"`
	// CampaignReplyAttributionDays: a customer message within this many
	// days after a template send counts as its reply.
	CampaignReplyAttributionDays int `mapstructure:"campaign_reply_attribution_days"`

	// Files of messages: where their bytes are kept and for how long
	// (MediaDirPath resolves an empty MediaDir).
	MediaStore       string        `mapstructure:"media_store"`
	MediaDir         string        `mapstructure:"media_dir"`
	MediaS3Endpoint  string        `mapstructure:"media_s3_endpoint"`
	MediaS3Bucket    string        `mapstructure:"media_s3_bucket"`
	MediaS3AccessKey string        `mapstructure:"media_s3_access_key"`
	MediaS3SecretKey string        `mapstructure:"media_s3_secret_key"`
	MediaS3Region    string        `mapstructure:"media_s3_region"`
	MediaS3Secure    bool          `mapstructure:"media_s3_secure"`
	MediaRetention   time.Duration `mapstructure:"media_retention"`
	MediaLinkTTL     time.Duration `mapstructure:"media_link_ttl"`

	LogLevel        string        `mapstructure:"log_level"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`

	// Dev-mode only.
	DataDir        string `mapstructure:"data_dir"`
	TemporalUIAddr string `mapstructure:"temporal_ui_addr"`
	WABASimAddr    string `mapstructure:"wabasim_addr"`
	AdminEmail     string `mapstructure:"admin_email"`
	AdminPassword  string `mapstructure:"admin_password"`
}

// Key describes one configuration key for docs and for Load.
type Key struct {
	Name    string
	Default any
	Doc     string
}

// Keys lists every key with its default, in the order the docs show them.
// config/scrm.example.yaml and the README table are checked against it by a test.
func Keys() []Key {
	return []Key{
		{"http_addr", "127.0.0.1:8080", "address of the HTTP API, web UI and webhook receiver (scrm api)"},
		{"realtime_addr", "127.0.0.1:8081", "address of the websocket gateway (scrm realtime)"},
		{"internal_addr", "127.0.0.1:9090", "internal listener of scrm api: /metrics, /readyz, /healthz, pprof (keep it off the public network)"},
		{"pprof_enabled", false, "serve net/http/pprof under /debug/pprof/ on internal_addr"},
		{"public_realtime_url", "ws://127.0.0.1:8081/ws", "websocket URL the web UI's browsers connect to (or a path like /ws on the UI's own host)"},
		{"realtime_allowed_origins", "", "comma-separated web origins (scheme://host:port) whose pages may open a websocket, besides the gateway's own host; empty: http://<http_addr> unless it binds 0.0.0.0"},
		{"realtime_max_conns_per_agent", 16, "websockets one agent may hold on one gateway pod (browser tabs); more are closed with 1013"},
		{"database_url", "postgres://postgres@127.0.0.1:5432/scrm?sslmode=disable", "PostgreSQL DSN"},
		{"amqp_url", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ URL"},
		{"amqp_exchange", "scrm.realtime", "fanout exchange carrying realtime events"},
		{"temporal_address", "127.0.0.1:7233", "Temporal frontend gRPC address"},
		{"temporal_namespace", "default", "Temporal namespace"},
		{"temporal_task_queue", "scrm", "Temporal task queue served by scrm worker"},
		{"waba_base_url", "https://graph.facebook.com", "WhatsApp Cloud API base URL (the simulator in dev)"},
		{"waba_api_version", "v23.0", "Graph API version"},
		{"waba_access_token", "", "Cloud API bearer token"},
		{"waba_app_secret", "", "Meta app secret: verifies X-Hub-Signature-256 on webhooks"},
		{"waba_app_id", "", "Meta app id: uploads the sample file a media-header template needs at creation (Resumable Upload API; empty: such templates cannot be created here)"},
		{"waba_verify_token", "", "token Meta echoes in the webhook verify handshake"},
		{"jwt_secret", "", "HMAC secret for access tokens (>= 32 bytes)"},
		{"password_hash_cost", 0, "bcrypt cost of agents' passwords: 0 is bcrypt's default (10); 4-31 otherwise (raise to harden, lower only in tests)"},
		{"window_length", "24h", "customer-service window after the customer's last message (Meta: 24h; shorten only for demos and tests)"},
		{"window_closing_warning", "1h", "agents are told the window is closing this long before it closes"},
		{"conversation_auto_resolve", "72h", "an idle conversation is resolved after this long (0 disables)"},
		{"template_sync_every", "15m", "how often template statuses are reconciled with Meta (behind the status webhooks)"},
		{"sender_on_pause", "wait", "when a number turns RED or is flagged, its queued campaign recipients wait for it, or move to the campaign's other usable numbers (wait or move)"},
		{"sender_warmup_schedule", "250,500,1000,2000,5000,10000,20000", "daily template caps of a number in warm-up, for day 1, 2, ... (no cap after the last day)"},
		{"sender_recheck", "1m", "how often an idle or paused number's dispatcher looks again without being woken"},
		{"campaign_holidays", "", "comma-separated public holidays (YYYY-MM-DD) on which no campaign sends, added to every campaign's quiet hours"},
		{"campaign_reply_attribution_days", 3, "a customer message within this many days after a template send counts as its reply (funnels, template stats, exports)"},
		{"trusted_proxies", "", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For (and X-Forwarded-Proto) is trusted (empty: none)"},
		{"session_max_age", "12h", "a login ends this long after it began, however active (ASVS L2: 12h)"},
		{"session_idle_timeout", "1h", "a login ends when its refresh token goes unused this long"},
		{"session_cookie_secure", "auto", "Secure flag of the refresh-token cookie: auto (when the request came over https, directly or via a trusted proxy), always or never"},
		{"opt_out_keywords", "STOP,BERHENTI", "comma-separated replies that opt a contact out of marketing messages"},
		{"opt_in_keywords", "START,MULAI", "comma-separated replies that opt a contact back in"},
		{"inbox_read_receipts", true, "an agent opening a conversation marks the customer's messages read on WhatsApp (blue ticks)"},
		{"inbox_typing_indicator", true, "the customer sees \"typing...\" while an agent types (at most one call per 20 s per conversation)"},
		{"retention_events", "720h", "events older than this are pruned once the webhook relay has fanned them out (0: keep for ever; keep it above the realtime resync window)"},
		{"retention_message_statuses", "2160h", "message status history rows and their raw payloads older than this are pruned (0: keep for ever; the message keeps its current status)"},
		{"retention_idempotency_keys", "168h", "Idempotency-Keys of sent messages are forgotten this long after the send (0: keep for ever)"},
		{"retention_sessions", "720h", "login sessions are deleted this long after they expired or were revoked (0: keep for ever)"},
		{"retention_dead_letters", "2160h", "webhook dead letters (raw payloads that could not be stored) older than this are pruned (0: keep for ever)"},
		{"retention_webhook_deliveries", "720h", "delivered or failed outbound webhook deliveries older than this are pruned (0: keep for ever; pending ones never)"},
		{"retention_audit", "0s", "audit log rows older than this are pruned (0: keep for ever, the default; set by your audit policy)"},
		{"retention_every", "1h", "period of the retention workflow's prune rounds"},
		{"retention_batch", 5000, "rows the retention workflow deletes per statement"},
		{"integrations_allow_private_targets", false, "outbound webhooks may go to private, loopback, link-local and ULA addresses (tests and scrm dev only: it opens SSRF to the internal network)"},
		{"webhook_max_inflight", 24, "webhook deliveries one api replica stores at the same time (keep below the database pool of 40)"},
		{"webhook_admit_wait", "100ms", "how long a webhook delivery waits for a slot before answering 503 (Meta redelivers)"},
		{"media_store", "fs", "where files of messages are kept: fs (a directory, media_dir; one machine or a shared volume) or s3 (an S3-compatible bucket)"},
		{"media_dir", "", "media_store fs: the directory of the files (empty: media/ under data_dir)"},
		{"media_s3_endpoint", "", "media_store s3: host:port of the S3-compatible server (AWS S3, MinIO, SeaweedFS)"},
		{"media_s3_bucket", "scrm-media", "media_store s3: the bucket (created when missing)"},
		{"media_s3_access_key", "", "media_store s3: access key"},
		{"media_s3_secret_key", "", "media_store s3: secret key"},
		{"media_s3_region", "us-east-1", "media_store s3: region"},
		{"media_s3_secure", true, "media_store s3: use https"},
		{"media_retention", "2160h", "files of messages are deleted this long after they were stored (the message stays and says so); 0 keeps them forever"},
		{"media_link_ttl", "5m", "how long a link to a file, handed to an agent who may see its conversation, works"},
		{"log_level", "info", "debug, info, warn or error"},
		{"shutdown_timeout", "20s", "how long a role waits for in-flight work on SIGTERM"},
		{"data_dir", ".scrm", "scrm dev: where the embedded Temporal keeps its SQLite file"},
		{"temporal_ui_addr", "127.0.0.1:8233", "scrm dev: address of the embedded Temporal Web UI"},
		{"wabasim_addr", "127.0.0.1:8090", "scrm dev: address of the WhatsApp Cloud API simulator"},
		{"admin_email", "admin@scrm.local", "scrm dev: e-mail of the first Admin"},
		{"admin_password", "", "scrm dev: password of the first Admin (generated and printed when empty)"},
	}
}

// Load reads defaults, then the YAML file at path (if path is not empty),
// then SCRM_* environment variables.
func Load(path string) (Config, error) {
	v := viper.New()
	for _, k := range Keys() {
		v.SetDefault(k.Name, k.Default)
		// BindEnv makes every key visible to Unmarshal even when only the
		// environment sets it (viper's AutomaticEnv alone does not).
		if err := v.BindEnv(k.Name, "SCRM_"+strings.ToUpper(k.Name)); err != nil {
			return Config{}, fmt.Errorf("bind env for %s: %w", k.Name, err)
		}
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read config file %s: %w", path, err)
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return Config{}, fmt.Errorf("decode config: %w", err)
	}
	return c, nil
}

// ValidationError names the key that is wrong.
type ValidationError struct {
	Key    string
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("config: SCRM_%s: %s", strings.ToUpper(e.Key), e.Reason)
}

// Validate checks the values every role depends on. Role-specific secrets
// (app secret, JWT secret) are checked by RequireSecrets so that, say,
// `scrm migrate` does not need them.
func (c Config) Validate() error {
	var errs []error
	addr := func(key, v string) {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			errs = append(errs, &ValidationError{key, fmt.Sprintf("%q is not host:port", v)})
		}
	}
	addr("http_addr", c.HTTPAddr)
	addr("realtime_addr", c.RealtimeAddr)
	addr("internal_addr", c.InternalAddr)
	addr("temporal_address", c.TemporalAddress)
	addr("temporal_ui_addr", c.TemporalUIAddr)
	addr("wabasim_addr", c.WABASimAddr)

	urlOf := func(key, v string, schemes ...string) {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			errs = append(errs, &ValidationError{key, fmt.Sprintf("%q is not a URL", redact(v))})
			return
		}
		for _, s := range schemes {
			if u.Scheme == s {
				return
			}
		}
		errs = append(errs, &ValidationError{key, fmt.Sprintf("scheme %q not one of %v", u.Scheme, schemes)})
	}
	urlOf("database_url", c.DatabaseURL, "postgres", "postgresql")
	urlOf("amqp_url", c.AMQPURL, "amqp", "amqps")
	urlOf("waba_base_url", c.WABABaseURL, "http", "https")

	if c.RealtimeMaxConnsPerAgent < 1 {
		errs = append(errs, &ValidationError{"realtime_max_conns_per_agent", "must be at least 1"})
	}
	for _, o := range c.RealtimeOrigins() {
		if u, err := url.Parse(o); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" {
			errs = append(errs, &ValidationError{"realtime_allowed_origins", fmt.Sprintf("%q is not an origin (scheme://host[:port])", o)})
		}
	}
	if c.AMQPExchange == "" {
		errs = append(errs, &ValidationError{"amqp_exchange", "must not be empty"})
	}
	if c.TemporalNamespace == "" {
		errs = append(errs, &ValidationError{"temporal_namespace", "must not be empty"})
	}
	if c.TemporalTaskQueue == "" {
		errs = append(errs, &ValidationError{"temporal_task_queue", "must not be empty"})
	}
	if !strings.HasPrefix(c.WABAAPIVersion, "v") {
		errs = append(errs, &ValidationError{"waba_api_version", fmt.Sprintf("%q must look like v23.0", c.WABAAPIVersion)})
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, &ValidationError{"log_level", fmt.Sprintf("%q is not debug, info, warn or error", c.LogLevel)})
	}
	if c.WindowLength <= 0 {
		errs = append(errs, &ValidationError{"window_length", "must be positive"})
	}
	if c.WindowClosingWarning <= 0 || c.WindowClosingWarning >= c.WindowLength {
		errs = append(errs, &ValidationError{"window_closing_warning", "must be positive and shorter than window_length"})
	}
	if c.ConversationAutoResolve < 0 {
		errs = append(errs, &ValidationError{"conversation_auto_resolve", "must not be negative"})
	}
	if c.TemplateSyncEvery < time.Minute {
		errs = append(errs, &ValidationError{"template_sync_every", "must be at least 1m"})
	}
	if c.SenderOnPause != "wait" && c.SenderOnPause != "move" {
		errs = append(errs, &ValidationError{"sender_on_pause", fmt.Sprintf("%q is not wait or move", c.SenderOnPause)})
	}
	if _, err := c.WarmupSchedule(); err != nil {
		errs = append(errs, &ValidationError{"sender_warmup_schedule", err.Error()})
	}
	if c.SenderRecheck < time.Second {
		errs = append(errs, &ValidationError{"sender_recheck", "must be at least 1s"})
	}
	if c.CampaignReplyAttributionDays < 1 || c.CampaignReplyAttributionDays > 90 {
		errs = append(errs, &ValidationError{"campaign_reply_attribution_days", "must be between 1 and 90"})
	}
	if _, err := c.HolidayList(); err != nil {
		errs = append(errs, &ValidationError{"campaign_holidays", err.Error()})
	}
	switch c.MediaStore {
	case "fs":
		if c.MediaDir == "" && c.DataDir == "" {
			errs = append(errs, &ValidationError{"media_dir", "must be set when media_store is fs and data_dir is empty"})
		}
	case "s3":
		if c.MediaS3Endpoint == "" || strings.Contains(c.MediaS3Endpoint, "://") {
			errs = append(errs, &ValidationError{"media_s3_endpoint", "must be host:port (no scheme) when media_store is s3"})
		}
		if c.MediaS3Bucket == "" {
			errs = append(errs, &ValidationError{"media_s3_bucket", "must be set when media_store is s3"})
		}
	default:
		errs = append(errs, &ValidationError{"media_store", fmt.Sprintf("%q is not fs or s3", c.MediaStore)})
	}
	if c.MediaRetention < 0 {
		errs = append(errs, &ValidationError{"media_retention", "must not be negative (0 keeps files forever)"})
	}
	if c.MediaLinkTTL < 10*time.Second || c.MediaLinkTTL > 24*time.Hour {
		errs = append(errs, &ValidationError{"media_link_ttl", "must be between 10s and 24h"})
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, &ValidationError{"shutdown_timeout", "must be positive"})
	}
	if c.WebhookMaxInflight < 1 {
		errs = append(errs, &ValidationError{"webhook_max_inflight", "must be at least 1"})
	}
	if c.WebhookAdmitWait < 0 {
		errs = append(errs, &ValidationError{"webhook_admit_wait", "must not be negative"})
	}
	for _, p := range c.TrustedProxyList() {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			errs = append(errs, &ValidationError{"trusted_proxies", fmt.Sprintf("%q is not an IP or CIDR", p)})
		}
	}
	if c.PasswordHashCost != 0 && (c.PasswordHashCost < 4 || c.PasswordHashCost > 31) {
		errs = append(errs, &ValidationError{"password_hash_cost", "must be 0 (default) or between 4 and 31"})
	}
	if c.SessionMaxAge < time.Minute {
		errs = append(errs, &ValidationError{"session_max_age", "must be at least 1m"})
	}
	if c.SessionIdleTimeout < time.Minute || c.SessionIdleTimeout > c.SessionMaxAge {
		errs = append(errs, &ValidationError{"session_idle_timeout", "must be at least 1m and at most session_max_age"})
	}
	switch c.SessionCookieSecure {
	case "auto", "always", "never":
	default:
		errs = append(errs, &ValidationError{"session_cookie_secure", fmt.Sprintf("%q is not auto, always or never", c.SessionCookieSecure)})
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, &ValidationError{"jwt_secret", "must be at least 32 bytes"})
	}
	return errors.Join(errs...)
}

// RequireSecrets checks the secrets that the api and worker roles cannot run without.
func (c Config) RequireSecrets() error {
	var errs []error
	if c.JWTSecret == "" {
		errs = append(errs, &ValidationError{"jwt_secret", "must be set (>= 32 bytes)"})
	}
	if c.WABAAppSecret == "" {
		errs = append(errs, &ValidationError{"waba_app_secret", "must be set: webhooks cannot be verified without it"})
	}
	if c.WABAVerifyToken == "" {
		errs = append(errs, &ValidationError{"waba_verify_token", "must be set"})
	}
	return errors.Join(errs...)
}

// OptOutKeywordList splits OptOutKeywords.
func (c Config) OptOutKeywordList() []string { return splitList(c.OptOutKeywords) }

// OptInKeywordList splits OptInKeywords.
func (c Config) OptInKeywordList() []string { return splitList(c.OptInKeywords) }

func splitList(v string) []string {
	out := []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// TrustedProxyList splits TrustedProxies.
func (c Config) TrustedProxyList() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DatabaseHost returns host:port of the DSN for error messages.
func (c Config) DatabaseHost() string { return hostOf(c.DatabaseURL, "5432") }

// AMQPHost returns host:port of the AMQP URL for error messages.
func (c Config) AMQPHost() string { return hostOf(c.AMQPURL, "5672") }

func hostOf(raw, defPort string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defPort)
	}
	return u.Host
}

// redact removes a password from a URL so it can appear in errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// MediaDirPath is the directory of the fs media store: media_dir, else
// media/ under data_dir.
func (c Config) MediaDirPath() string {
	if c.MediaDir != "" {
		return c.MediaDir
	}
	return filepath.Join(c.DataDir, "media")
}

// WarmupSchedule parses SenderWarmupSchedule ("250,500,..." daily caps).
func (c Config) WarmupSchedule() ([]int, error) {
	var out []int
	for _, p := range strings.Split(c.SenderWarmupSchedule, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive daily cap", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// HolidayList parses CampaignHolidays ("2026-12-25,2027-01-01").
func (c Config) HolidayList() ([]string, error) {
	var out []string
	for _, p := range strings.Split(c.CampaignHolidays, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, p); err != nil {
			return nil, fmt.Errorf("%q is not a date YYYY-MM-DD", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// RealtimeOrigins is the websocket Origin allow-list: the configured one, or
// the web UI's own origin when none is set.
func (c Config) RealtimeOrigins() []string {
	var out []string
	for o := range strings.SplitSeq(c.RealtimeAllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	if len(out) > 0 {
		return out
	}
	// The web UI's own origin, when http_addr names a host a browser uses
	// (a wildcard bind says nothing: set the key, or serve /ws on the UI's
	// host, which the gateway always allows as same-origin).
	host, port, err := net.SplitHostPort(c.HTTPAddr)
	switch {
	case err != nil || host == "" || host == "0.0.0.0" || host == "::":
		return nil
	case host == "127.0.0.1":
		return []string{"http://127.0.0.1:" + port, "http://localhost:" + port}
	}
	return []string{"http://" + c.HTTPAddr}
}
