package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabascrm/scrm/waba/sim"
)

func newWABASimCmd(f *rootFlags) *cobra.Command {
	var (
		addr, webhookURL, appSecret, token string
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
			if addr == "" {
				addr = cfg.WABASimAddr
			}
			if webhookURL == "" {
				webhookURL = "http://" + cfg.HTTPAddr + "/webhooks/whatsapp"
			}
			if appSecret == "" {
				appSecret = cfg.WABAAppSecret
			}
			if appSecret == "" {
				return fmt.Errorf("wabasim needs --app-secret or SCRM_WABA_APP_SECRET to sign webhooks")
			}
			if token == "" {
				token = cfg.WABAAccessToken
			}
			o := sim.Options{AppSecret: appSecret, WebhookURL: webhookURL, AccessToken: token, Seed: seed,
				SentDelay: sent, DeliveredDelay: delivered, ReadDelay: read, TemplateReviewDelay: review,
				Loss: loss, Duplicate: dup, Reorder: reorder, NotOnWhatsApp: notOnWA,
				Logger: newLogger(cfg.LogLevel).With("role", "wabasim")}
			if mps > 0 {
				o.Numbers = []sim.Number{{PhoneNumberID: "100000000000001", Display: "+62 21 5000 0001", WABAID: "200000000000001", PortfolioID: "300000000000001", ThroughputMPS: mps}}
			}
			if replyRate > 0 {
				o.Persona = &sim.Persona{ReplyRate: replyRate, Delay: 500 * time.Millisecond, PressButton: true,
					Texts: []string{"Baik, terima kasih 🙏", "Nanti saya bayar ya kak", "Bisa dicicil?"}}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wabasim on http://%s -> webhooks to %s\n", addr, webhookURL)
			return sim.New(o).Run(cmd.Context(), addr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "", "listen address (default SCRM_WABASIM_ADDR)")
	fl.StringVar(&webhookURL, "webhook-url", "", "where to deliver webhooks (default http://<http_addr>/webhooks/whatsapp)")
	fl.StringVar(&appSecret, "app-secret", "", "secret signing X-Hub-Signature-256 (default SCRM_WABA_APP_SECRET)")
	fl.StringVar(&token, "access-token", "", "bearer token requests must carry (default SCRM_WABA_ACCESS_TOKEN; empty: any)")
	fl.Int64Var(&seed, "seed", 1, "random seed (same seed, same run)")
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
