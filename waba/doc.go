// Package waba speaks the WhatsApp Cloud API: a client for the Graph
// endpoints the product uses (sends, media, templates, phone number info),
// typed errors with Meta's codes, and the webhook payload types with the
// X-Hub-Signature-256 check. It imports nothing from the product, so the
// simulator (waba/sim), activities and the api can all share it.
package waba
