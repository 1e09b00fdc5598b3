// Package inbox holds conversations and messages as agents see them: inbox
// queries and actions, assignment, canned responses, mentions, search,
// queueing of outbound sends and read receipts. The webhook ingest is
// models/ingest, the outbox of sends models/outbox.
package inbox
