// Package inbox holds conversations and messages: inbound ingest from
// webhooks, inbox queries and actions, outbound sends and their outbox.
package inbox
