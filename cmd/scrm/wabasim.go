package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/config"
	"github.com/wabascrm/scrm/waba/sim"
)

// WABASimRole is `scrm wabasim`: the WhatsApp Cloud API simulator. scrm dev
// and the e2e tests run it too; they read the simulator (what the product
// sent) through Sim.
type WABASimRole struct {
	Cfg config.Config
	// Addr is where to listen (default Cfg.WABASimAddr); Listener, when
	// set, is served instead.
	Addr     string
	Listener net.Listener
	// Out, when set, receives the one-line start notice.
	Out io.Writer
	// Sim is the simulator Run serves.
	Sim *sim.Sim
	// webhookURL is what the notice reports.
	webhookURL string
}

// NewWABASim builds the simulator. Empty o.WebhookURL, o.AppSecret and
// o.AccessToken come from cfg (the api's webhook receiver, the app secret
// and the Cloud API token); a simulator without an app secret cannot sign.
func NewWABASim(cfg config.Config, opts Options, o sim.Options) (*WABASimRole, error) {
	if o.WebhookURL == "" {
		o.WebhookURL = "http://" + cfg.HTTPAddr + "/webhooks/whatsapp"
	}
	if o.AppSecret == "" {
		o.AppSecret = cfg.WABAAppSecret
	}
	if o.AppSecret == "" {
		return nil, errors.New("wabasim needs --app-secret or SCRM_WABA_APP_SECRET to sign webhooks")
	}
	if o.AccessToken == "" {
		o.AccessToken = cfg.WABAAccessToken
	}
	if o.AppID == "" {
		o.AppID = cfg.WABAAppID // "" : the simulator's default app id
	}
	if o.Logger == nil {
		o.Logger = opts.logger(cfg, "wabasim")
	}
	return &WABASimRole{Cfg: cfg, Sim: sim.New(o), webhookURL: o.WebhookURL}, nil
}

// Run serves until ctx is done, then stops webhook delivery.
func (r *WABASimRole) Run(ctx context.Context) error {
	ln := r.Listener
	if ln == nil {
		addr := r.Addr
		if addr == "" {
			addr = r.Cfg.WABASimAddr
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			r.Sim.Close()
			return fmt.Errorf("wabasim cannot listen on %s: %w", addr, err)
		}
	}
	if r.Out != nil {
		fmt.Fprintf(r.Out, "wabasim on http://%s -> webhooks to %s\n", ln.Addr(), r.webhookURL)
	}
	return r.Sim.Serve(ctx, ln)
}

func newWABASimCmd(f *rootFlags) *cobra.Command {
	var (
		addr, webhookURL, appSecret, token string
		stateFile                          string
		seed                               int64
		sent, delivered, read, review      time.Duration
		loss, dup, reorder, replyRate      float64
		mps                                int
		notOnWA                            []string
	)
	cmd := &cobra.Command{
		Use:   "wabasim",
		Short: "run the WhatsApp Cloud API simulator (Graph endpoints + signed webhooks)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			o := sim.Options{AppSecret: appSecret, WebhookURL: webhookURL, AccessToken: token, Seed: seed,
				SentDelay: sent, DeliveredDelay: delivered, ReadDelay: read, TemplateReviewDelay: review,
				Loss: loss, Duplicate: dup, Reorder: reorder, NotOnWhatsApp: notOnWA, StateFile: stateFile}
			if mps > 0 {
				o.Numbers = []sim.Number{{PhoneNumberID: "100000000000001", Display: "+62 21 5000 0001", WABAID: "200000000000001", PortfolioID: "300000000000001", ThroughputMPS: mps}}
			}
			if replyRate > 0 {
				o.Persona = &sim.Persona{ReplyRate: replyRate, Delay: 500 * time.Millisecond, PressButton: true,
					Texts: []string{"Baik, terima kasih 🙏", "Nanti saya bayar ya kak", "Bisa dicicil?"}}
			}
			r, err := NewWABASim(cfg, Options{}, o)
			if err != nil {
				return err
			}
			r.Addr, r.Out = addr, cmd.OutOrStdout()
			return r.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "", "listen address (default SCRM_WABASIM_ADDR)")
	fl.StringVar(&webhookURL, "webhook-url", "", "where to deliver webhooks (default http://<http_addr>/webhooks/whatsapp)")
	fl.StringVar(&appSecret, "app-secret", "", "secret signing X-Hub-Signature-256 (default SCRM_WABA_APP_SECRET)")
	fl.StringVar(&token, "access-token", "", "bearer token requests must carry (default SCRM_WABA_ACCESS_TOKEN; empty: any)")
	fl.Int64Var(&seed, "seed", 1, "random seed (same seed, same run)")
	fl.StringVar(&stateFile, "state-file", "", "keep numbers, templates and customers in this file across restarts (empty: start afresh)")
	fl.DurationVar(&sent, "sent-delay", 200*time.Millisecond, "delay of the sent status")
	fl.DurationVar(&delivered, "delivered-delay", 800*time.Millisecond, "delay of the delivered status")
	fl.DurationVar(&read, "read-delay", 3*time.Second, "delay of the read status")
	fl.DurationVar(&review, "template-review-delay", 2*time.Second, "delay before a submitted template is approved or rejected")
	fl.Float64Var(&loss, "loss", 0, "probability a status webhook is lost")
	fl.Float64Var(&dup, "duplicate", 0, "probability a status webhook is delivered twice")
	fl.Float64Var(&reorder, "reorder", 0, "probability a status webhook is delayed past later ones")
	fl.Float64Var(&replyRate, "reply-rate", 0, "share of delivered messages a simulated customer answers")
	fl.IntVar(&mps, "throughput", 0, "messages per second of the default number (default 80)")
	fl.StringSliceVar(&notOnWA, "not-on-whatsapp", nil, "recipients whose sends fail with 131026")
	return cmd
}
