// Package integrations connects the product to the business's own systems:
// outbound event webhooks. Subscriptions say which event types go to which
// URL under which secret; the worker's relay (worker/webhooks.go) turns the
// durable events table into one delivery row per subscription, in event
// order, and delivers them signed, ordered per object, at least once.
//
// The rules (which product event is which webhook event, the signature,
// the backoff) are pure functions beside the stores.
package integrations
