// Package models is the kernel: the core entities every domain shares
// (Sender, Contact, Conversation, Message), errors, the principal with its
// permissions and data scope, events, phone numbers, zones and quiet hours,
// the customer-service window rule, column types and PostgreSQL helpers.
// Domain packages (models/identity, models/inbox, ...) build on it; it
// imports none of them, nor any web, Temporal or AMQP package.
package models
