// Package outbox is the outbox of sends: the send states of a message row
// (at most one send per row), batches, refusals, the pacing hold of a
// template send and the free entry points a reply opens.
package outbox
