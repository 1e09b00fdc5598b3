// Package sim is a faithful, deterministic simulator of the WhatsApp Cloud
// API for dev, tests, demos and benchmarks. It serves the Graph endpoints
// the product uses with Meta's validation and answer shapes, enforces the
// customer-service window, template approval and parameters, throughput,
// pair rate and portfolio messaging limits, and delivers signed webhooks
// (statuses, customer messages, template reviews, quality changes) to the
// product. Its own control endpoints live under /sim (see README.md).
package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Number is one simulated business phone number.
type Number struct {
	PhoneNumberID string `json:"phoneNumberId"`
	Display       string `json:"displayPhoneNumber"` // e.g. "+62 21 5000 0001"
	WABAID        string `json:"wabaId"`
	PortfolioID   string `json:"portfolioId"`
	VerifiedName  string `json:"verifiedName"`
	Quality       string `json:"quality"`       // GREEN YELLOW RED
	ThroughputMPS int    `json:"throughputMps"` // sends per second; default 80
	// LimitTier is the portfolio messaging limit tier (TIER_250 ... TIER_UNLIMITED).
	LimitTier string `json:"limitTier"`
	// Restricted (business-initiated messaging) and Banned follow
	// account_update events sent through /sim/numbers/{id}/account.
	Restricted bool `json:"restricted,omitempty"`
	Banned     bool `json:"banned,omitempty"`
}

// Persona makes simulated customers answer the business.
type Persona struct {
	ReplyRate float64       // 0..1 chance a delivered message gets a reply
	Delay     time.Duration // after the read status
	Texts     []string      // replies to pick from (seeded)
	// PressButton answers templates that have quick-reply buttons with a
	// button tap (type "button") instead of text.
	PressButton bool
}

// Options configure a simulator. Zero values give sensible defaults.
type Options struct {
	AppSecret   string // signs webhooks (X-Hub-Signature-256)
	WebhookURL  string // where webhooks go; empty: none are sent
	AccessToken string // when set, requests must carry it as a bearer token
	AppID       string // the Meta app id of the Resumable Upload API (default 400000000000001)
	Seed        int64
	Numbers     []Number
	// Status webhook timing after an accepted send.
	SentDelay, DeliveredDelay, ReadDelay time.Duration
	// ReadRate is the share of delivered messages that get read (default 1).
	ReadRate *float64
	// Loss, Duplicate and Reorder are per-status-webhook probabilities.
	Loss, Duplicate, Reorder float64
	// NotOnWhatsApp lists recipients (digits or E.164) whose sends fail with 131026.
	NotOnWhatsApp []string
	// Pair rate: one message per PairWindow (6s) to the same user, bursts
	// of up to PairLimit (45) paid back at that rate.
	PairLimit  int
	PairWindow time.Duration
	// TemplateReviewDelay before PENDING becomes APPROVED (or REJECTED for
	// names starting with "reject"). Default 200ms.
	TemplateReviewDelay time.Duration
	Persona             *Persona
	// Now is the clock (tests move it to cross the 24h window).
	Now        func() time.Time
	HTTPClient *http.Client
	Logger     *slog.Logger
	// StateFile keeps numbers, templates and what is known of customers
	// across restarts (state.go); empty: the simulator starts afresh.
	StateFile string
}

// OutboxEntry is one request the product made to send a message.
type OutboxEntry struct {
	Seq           int64           `json:"seq"`
	At            time.Time       `json:"at"`
	PhoneNumberID string          `json:"phoneNumberId"`
	To            string          `json:"to"`
	Type          string          `json:"type"`
	WAMID         string          `json:"wamid,omitempty"`
	ReplyTo       string          `json:"replyTo,omitempty"` // context.message_id
	BizOpaque     string          `json:"bizOpaque,omitempty"`
	Body          json.RawMessage `json:"body"`
	// ErrorCode is set when the API refused the send (HTTP error) or when
	// the send was accepted but will fail asynchronously (FailedAsync).
	ErrorCode   int  `json:"errorCode,omitempty"`
	FailedAsync bool `json:"failedAsync,omitempty"`
}

type webhookItem struct {
	due  time.Time
	seq  int64
	body []byte
}

// Counters are what GET /sim/counters answers.
type Counters struct {
	Accepted          int64                       `json:"accepted"`
	Rejected          map[string]int64            `json:"rejected"` // by error code
	FailedAsync       map[string]int64            `json:"failedAsync"`
	WebhooksDelivered int64                       `json:"webhooksDelivered"`
	WebhooksFailed    int64                       `json:"webhooksFailed"`
	WebhooksDropped   int64                       `json:"webhooksDropped"`
	PerSecond         map[string]map[int64]int    `json:"perSecond"`    // number -> unix second -> sends
	MaxPerSecond      map[string]int              `json:"maxPerSecond"` // number -> busiest second
	Inbound           int64                       `json:"inbound"`
	ByType            map[string]int64            `json:"byType"`
	Reads             int64                       `json:"reads"`  // mark-as-read calls
	Typing            int64                       `json:"typing"` // of which with a typing indicator
	Held              int64                       `json:"held"`   // template sends held by pacing (pacing.go)
	Templates         map[string]map[string]int64 `json:"-"`
}

// Sim is a running simulator.
type Sim struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	mu        sync.Mutex
	rng       *rand.Rand
	seq       int64
	numbers   map[string]*Number
	templates map[string]*template // id -> template
	media     map[string]string    // id -> mime type
	vault     *mediaVault          // media objects (media.go)
	windows   map[string]time.Time // number|user -> last inbound
	pairs     map[string]pairState // number|user -> pair-rate bucket
	// referrals: number|user -> the customer's last message from a
	// click-to-WhatsApp ad; entryPoints: number|user -> the business reply
	// that opened the 72 h free entry point.
	referrals, entryPoints map[string]time.Time
	// paced: template id -> its pacing (pacing.go).
	paced      map[string]*pacing
	inbound    map[string]inboundInfo // inbound wamid -> where it came from
	bsuidPhone map[string]string      // BSUID -> phone
	phoneBSUID map[string]string      // phone -> BSUID
	optedOut   map[string]bool        // user key -> stopped marketing messages
	uploads    map[string]*uploadSession
	handles    map[string]string               // header_handle -> mime type
	reached    map[string]map[string]time.Time // portfolio -> user -> last business-initiated
	notOnWA    map[string]bool
	outbox     []OutboxEntry
	reads      []ReadEntry
	counters   Counters
	queue      []webhookItem
	sentMsgs   map[string]sentInfo // wamid -> who and what

	wake   chan struct{}
	stop   context.CancelFunc
	doneWG sync.WaitGroup
}

type sentInfo struct {
	number     string
	user       user
	quickReply []string // quick reply button texts of a template
}

type inboundInfo struct {
	number, from string
}

// pairState is a pair-rate leaky bucket: level messages at time at.
type pairState struct {
	level float64
	at    time.Time
}

// New builds a simulator and starts its webhook dispatcher; Close stops it.
func New(o Options) *Sim {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.SentDelay == 0 && o.DeliveredDelay == 0 && o.ReadDelay == 0 {
		o.SentDelay, o.DeliveredDelay, o.ReadDelay = 20*time.Millisecond, 60*time.Millisecond, 120*time.Millisecond
	}
	if o.ReadRate == nil {
		one := 1.0
		o.ReadRate = &one
	}
	if o.PairLimit == 0 {
		o.PairLimit = 45
	}
	if o.PairWindow == 0 {
		o.PairWindow = 6 * time.Second
	}
	if o.AppID == "" {
		o.AppID = DefaultAppID
	}
	if o.TemplateReviewDelay == 0 {
		o.TemplateReviewDelay = 200 * time.Millisecond
	}
	if len(o.Numbers) == 0 {
		o.Numbers = []Number{{PhoneNumberID: "100000000000001", Display: "+62 21 5000 0001", WABAID: "200000000000001", PortfolioID: "300000000000001", VerifiedName: "SCRM Demo"}}
	}
	s := &Sim{
		opts: o, log: o.Logger, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed)),
		numbers: map[string]*Number{}, templates: map[string]*template{}, media: map[string]string{},
		windows: map[string]time.Time{}, pairs: map[string]pairState{}, reached: map[string]map[string]time.Time{},
		notOnWA: map[string]bool{}, sentMsgs: map[string]sentInfo{}, wake: make(chan struct{}, 1),
		entryPoints: map[string]time.Time{}, referrals: map[string]time.Time{}, paced: map[string]*pacing{}, inbound: map[string]inboundInfo{}, bsuidPhone: map[string]string{}, phoneBSUID: map[string]string{},
		optedOut: map[string]bool{}, uploads: map[string]*uploadSession{}, handles: map[string]string{}, vault: newMediaVault(o.Seed),
	}
	s.resetCountersLocked()
	for i := range o.Numbers {
		s.addNumberLocked(o.Numbers[i])
	}
	for _, p := range o.NotOnWhatsApp {
		s.notOnWA[digits(p)] = true
	}
	if o.StateFile != "" {
		// A kept state wins over the configured numbers: it is what "Meta"
		// knows now (their quality, restrictions and limits included).
		if err := s.loadStateLocked(o.StateFile); err != nil {
			s.log.Warn("wabasim: starting without the kept state", "err", err)
		}
	}
	s.routes()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.doneWG.Add(1)
	go s.dispatch(ctx)
	if o.StateFile != "" {
		s.doneWG.Add(1)
		go s.keepState(ctx, o.StateFile)
	}
	return s
}

func (s *Sim) addNumberLocked(n Number) {
	if n.Quality == "" {
		n.Quality = "GREEN"
	}
	if n.ThroughputMPS == 0 {
		n.ThroughputMPS = 80
	}
	if n.LimitTier == "" {
		n.LimitTier = "TIER_250"
	}
	if n.VerifiedName == "" {
		n.VerifiedName = "SCRM Demo"
	}
	s.numbers[n.PhoneNumberID] = &n
}

func (s *Sim) resetCountersLocked() {
	s.counters = Counters{Rejected: map[string]int64{}, FailedAsync: map[string]int64{}, PerSecond: map[string]map[int64]int{},
		MaxPerSecond: map[string]int{}, ByType: map[string]int64{}}
}

// DefaultAppID is the Meta app id of the Resumable Upload API when
// Options.AppID is empty.
const DefaultAppID = "400000000000001"

// Handler serves the Graph endpoints and /sim.
func (s *Sim) Handler() http.Handler { return s.mux }

// Close stops webhook delivery.
func (s *Sim) Close() {
	s.stop()
	s.doneWG.Wait()
}

// Run serves on addr until ctx is done.
func (s *Sim) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("wabasim cannot listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (s *Sim) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("wabasim listening", "addr", ln.Addr().String(), "webhook", s.opts.WebhookURL)
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("wabasim: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("wabasim shutdown: %w", err)
	}
	return nil
}

// Outbox returns what the product sent (accepted and refused).
func (s *Sim) Outbox() []OutboxEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]OutboxEntry(nil), s.outbox...)
}

// ReadEntry is one accepted mark-as-read call (with or without the typing
// indicator).
type ReadEntry struct {
	At            time.Time `json:"at"`
	PhoneNumberID string    `json:"phoneNumberId"`
	MessageID     string    `json:"messageId"`
	Typing        bool      `json:"typing"`
}

// Reads lists the accepted mark-as-read calls, oldest first.
func (s *Sim) Reads() []ReadEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReadEntry(nil), s.reads...)
}

// Snapshot returns a copy of the counters.
func (s *Sim) Snapshot() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters
	c.Rejected, c.FailedAsync, c.ByType = cloneMap(c.Rejected), cloneMap(c.FailedAsync), cloneMap(c.ByType)
	c.MaxPerSecond = cloneMap(c.MaxPerSecond)
	c.PerSecond = map[string]map[int64]int{}
	for k, v := range s.counters.PerSecond {
		c.PerSecond[k] = cloneMap(v)
	}
	return c
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// graphError writes Meta's error envelope.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
func (s *Sim) graphError(w http.ResponseWriter, status, code, subcode int, msg, details string) {
	e := graphError{Message: fmt.Sprintf("(#%d) %s", code, msg), Type: "OAuthException", Code: code, Subcode: subcode,
		FBTraceID: "Asim" + strconv.FormatInt(s.nextSeq(), 36)}
	e.ErrorData.MessagingProduct = "whatsapp"
	e.ErrorData.Details = details
	writeJSON(w, status, graphErrorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Sim) nextSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// wamidLocked makes a deterministic, Meta-looking message id.
func (s *Sim) wamidLocked() string {
	s.seq++
	return fmt.Sprintf("wamid.HBgM%016X%08X", s.seq, s.rng.Uint32())
}

func digits(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

func (s *Sim) routes() {
	m := http.NewServeMux()
	// Messages, templates, phone numbers, resumable uploads.
	m.HandleFunc("POST /{version}/{id}/messages", s.auth(s.handleMessages))
	m.HandleFunc("GET /{version}/{id}/message_templates", s.auth(s.handleListTemplates))
	m.HandleFunc("POST /{version}/{id}/message_templates", s.auth(s.handleCreateTemplate))
	m.HandleFunc("DELETE /{version}/{id}/message_templates", s.auth(s.handleDeleteTemplate))
	m.HandleFunc("POST /{version}/{id}/uploads", s.auth(s.handleUploadSession))
	m.HandleFunc("POST /{version}/{id}", s.auth(s.handleGraphPost)) // upload:{session}
	// A media object (media.go), an upload:{session}, else a phone number.
	m.HandleFunc("GET /{version}/{id}", s.auth(s.handleGetObject))
	// Media: upload by phone number id, download of a retrieved URL (media.go).
	m.HandleFunc("POST /{version}/{id}/media", s.auth(s.handleMediaUpload))
	m.HandleFunc("GET /whatsapp_business/attachments/{$}", s.handleMediaDownload)

	// /sim is a separate mux: its paths would clash with /{version}/{id}/...
	c := http.NewServeMux()
	c.HandleFunc("POST /sim/customers/{phone}/messages", s.handleCustomerMessage)
	c.HandleFunc("POST /sim/customers/{phone}/preferences", s.handlePreference)
	c.HandleFunc("POST /sim/customers/{phone}/change-number", s.handleChangeNumber)
	c.HandleFunc("POST /sim/customers/{phone}/media", s.handleCustomerMedia) // media_customer.go
	c.HandleFunc("GET /sim/media/{id}", s.handleSimMedia)
	c.HandleFunc("GET /sim/outbox", s.handleOutbox)
	c.HandleFunc("GET /sim/counters", s.handleCounters)
	c.HandleFunc("POST /sim/reset", s.handleReset)
	c.HandleFunc("GET /sim/numbers", s.handleNumbers)
	c.HandleFunc("POST /sim/numbers", s.handleAddNumber)
	c.HandleFunc("POST /sim/numbers/{id}/quality", s.handleQuality)
	c.HandleFunc("POST /sim/numbers/{id}/account", s.handleAccount)
	c.HandleFunc("POST /sim/numbers/{id}/echo", s.handleEcho)
	c.HandleFunc("POST /sim/numbers/{id}/history", s.handleHistory) // edit.go
	c.HandleFunc("POST /sim/templates/{id}/review", s.handleReview)
	c.HandleFunc("POST /sim/templates/{id}/category", s.handleCategory)
	c.HandleFunc("POST /sim/templates/{id}/pacing", s.handlePacing) // pacing.go
	c.HandleFunc("POST /sim/templates/{id}/edit", s.handleEdit)     // edit.go
	c.HandleFunc("POST /sim/not-on-whatsapp/{phone}", s.handleNotOnWA)
	c.HandleFunc("GET /sim/templates", s.handleSimTemplates)
	c.HandleFunc("GET /sim/phone", s.handlePhone) // dev: play a customer
	top := http.NewServeMux()
	top.Handle("/sim/", c)
	top.Handle("/", m)
	s.mux = top
}

func (s *Sim) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v := r.PathValue("version"); !strings.HasPrefix(v, "v") {
			s.graphError(w, http.StatusBadRequest, codeUnknownPath, 0, "Unknown path components: /"+v, "")
			return
		}
		// Graph takes the token as "Bearer" or "OAuth" (the upload API's
		// documented form) or as the access_token query parameter.
		if tok := s.opts.AccessToken; tok != "" {
			h := r.Header.Get("Authorization")
			if h != "Bearer "+tok && h != "OAuth "+tok && r.URL.Query().Get("access_token") != tok {
				s.graphError(w, http.StatusUnauthorized, codeAccessToken, 463, "Error validating access token: The session is invalid.", "")
				return
			}
		}
		h(w, r)
	}
}

func (s *Sim) number(id string) *Number {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.numbers[id]
}

// handleGraphGet serves GET /{version}/{id}: a phone number (only the
// requested fields; an unknown one is refused like Graph) or an upload
// session. messaging_limit_tier is deprecated (the limit belongs to the
// business portfolio): whatsapp_business_manager_messaging_limit replaces it.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-account-phone-number
func (s *Sim) handleGraphGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if strings.HasPrefix(id, "upload:") {
		s.handleUploadStatus(w, id)
		return
	}
	n := s.number(id)
	if n == nil {
		s.graphError(w, http.StatusBadRequest, codeInvalidParameter, 33,
			"Unsupported get request. Object with ID '"+id+"' does not exist", "")
		return
	}
	s.mu.Lock()
	level := "STANDARD"
	if n.ThroughputMPS >= 1000 {
		level = "HIGH"
	}
	all := map[string]any{"id": n.PhoneNumberID, "display_phone_number": n.Display, "verified_name": n.VerifiedName,
		"quality_rating": n.Quality, "name_status": "APPROVED", "code_verification_status": "VERIFIED",
		"messaging_limit_tier": n.LimitTier, "whatsapp_business_manager_messaging_limit": n.LimitTier,
		"throughput": map[string]string{"level": level}, "platform_type": "CLOUD_API"}
	s.mu.Unlock()
	fields := r.URL.Query().Get("fields")
	if fields == "" {
		fields = "id,display_phone_number,verified_name,quality_rating"
	}
	out := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		v, ok := all[f]
		if !ok {
			s.graphError(w, http.StatusBadRequest, codeInvalidParameter, 0, "Tried accessing nonexisting field ("+f+") on node type (WhatsAppBusinessPhoneNumber)", "")
			return
		}
		out[f] = v
	}
	writeJSON(w, http.StatusOK, out)
}
